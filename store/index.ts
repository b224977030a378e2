/**
 * Storage for findings, bands, reports and audit records: PostgreSQL (storage.url) or embedded PGlite
 * (storage.dataDir), one migration set. Times are ISO 8601 strings in and out; see storage.ts.
 */
export { createStorage } from './storage.js';
export type {
  Storage,
  StorageOptions,
  StorageDeps,
  TimeRange,
  FindingStore,
  FindingQuery,
  StoredFinding,
  BandStore,
  BandInput,
  StoredBand,
  ReportStore,
  ReportKind,
  ReportInput,
  StoredReport,
  AuditLog,
  AuditInput,
  AuditRecord,
} from './storage.js';

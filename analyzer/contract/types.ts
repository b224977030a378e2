/**
 * TypeScript mirror of analysis.schema.json (a verbatim copy of /work/shared/contracts/analysis.schema.json,
 * JSON Schema 2020-12). Written by hand from the schema, field for field; the storage suite validates
 * stored findings and a full result against the schema with ajv, so a drift between the two fails a test.
 * Times are ISO 8601 strings (`date-time`), as in the JSON the CLI prints and the API returns.
 * The schema allows extra properties; these types name only the ones whose meaning is fixed.
 */

/** An ISO 8601 date-time with a zone, e.g. `2026-11-22T17:02:00.000Z`. */
export type IsoDateTime = string;

export const FINDING_KINDS = ['noisy-neighbor', 'platform-degradation', 'tenant-degradation'] as const;
/**
 * noisy-neighbor: a suspect tenant degrades other tenants on a shared resource.
 * platform-degradation: a shared resource is degraded for its tenants with no tenant to blame.
 * tenant-degradation: one tenant is degraded and its neighbours are not the cause.
 */
export type FindingKind = (typeof FINDING_KINDS)[number];

export const RESOURCE_KINDS = ['node', 'postgres', 'redis', 'ingress'] as const;
export type ResourceKind = (typeof RESOURCE_KINDS)[number];

export const SEVERITIES = ['info', 'warning', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

export const BAND_LEVELS = ['low', 'medium', 'high'] as const;
export type BandLevel = (typeof BAND_LEVELS)[number];

export const TIERS = ['shared', 'dedicated'] as const;
export type Tier = (typeof TIERS)[number];

export interface FindingResource {
  kind: ResourceKind;
  /** node name, postgres cluster name, redis instance name, ingress (entrypoint) name */
  id: string;
  /** what is contended, e.g. cpu, memory, io, connections, locks, command-time */
  mechanism?: string;
}

export interface Suspect {
  tenant: string;
  /** the suspect's share of the contended resource during the episode, 0..1 */
  share?: number;
  baselineShare?: number;
  signal?: string;
}

export interface Victim {
  tenant: string;
  /** the degraded signal, e.g. ingress.p95_latency_seconds, postgres.mean_query_seconds */
  signal?: string;
  baseline?: number;
  observed?: number;
}

/** One piece of evidence (series and figures); the schema only requires an object. */
export type Evidence = Record<string, unknown>;

export interface Finding {
  /** stable for the same episode across re-analysis */
  id: string;
  kind: FindingKind;
  resource: FindingResource;
  start: IsoDateTime;
  /** null while the episode is ongoing */
  end?: IsoDateTime | null;
  /** the noisy neighbour; null unless kind is noisy-neighbor */
  suspect?: Suspect | null;
  victims: Victim[];
  /** 0..1 */
  confidence: number;
  severity: Severity;
  evidence?: Evidence[];
}

export interface Band {
  tenant: string;
  band: BandLevel;
  previous?: BandLevel | null;
  since?: IsoDateTime;
  /** the measured inputs of the classification, with units in their names */
  features?: Record<string, unknown>;
  /** where the tenant is placed now */
  tier?: Tier | null;
  /** true when band and tier disagree (high on shared, low on dedicated) */
  mismatch?: boolean;
}

export interface AnalysisWindow {
  from: IsoDateTime;
  to: IsoDateTime;
}

/** What `tenantscope analyze --format json` prints and what GET /api/v1/analysis returns. */
export interface AnalysisResult {
  generatedAt?: IsoDateTime;
  window: AnalysisWindow;
  findings: Finding[];
  bands: Band[];
}

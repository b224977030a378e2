export { FINDING_KINDS, RESOURCE_KINDS, SEVERITIES, BAND_LEVELS, TIERS } from './types.js';
export type {
  IsoDateTime,
  FindingKind,
  ResourceKind,
  Severity,
  BandLevel,
  Tier,
  FindingResource,
  Suspect,
  Victim,
  Evidence,
  Finding,
  Band,
  AnalysisWindow,
  AnalysisResult,
} from './types.js';
export { analysisSchema } from './schema.js';

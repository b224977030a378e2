/**
 * The analyzer's output types: the contract's (analyzer/contract, a mirror of
 * analysis.schema.json) plus the extra properties the schema allows.
 */
import type { AnalysisResult as ContractResult, Band as ContractBand, Finding as ContractFinding } from './contract/index.js';

export type { FindingKind, ResourceKind, Severity, BandLevel, Tier, Victim, Suspect, Evidence } from './contract/index.js';

export interface Finding extends ContractFinding {
  /** suspects ranked by suspicion, most suspicious first (what AC@k is computed on) */
  ranking?: { tenant: string; score: number }[];
  /** one line for people */
  summary?: string;
}

export type BandResult = ContractBand;

export interface AnalysisResult extends ContractResult {
  findings: Finding[];
  /** signal source problems during this analysis (partial data, failed queries), reported not thrown */
  warnings?: string[];
}

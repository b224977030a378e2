export { createAnalyzer } from './analyzer.js';
export type { Analyzer, AnalyzerOptions, AnalyzerDeps, AnalysisWindowMs } from './analyzer.js';
export { detect, buildTopology } from './detect.js';
export type { DetectOptions, DetectResult, Topology } from './detect.js';
export { computeBands, learnThresholds } from './bands.js';
export type { BandThresholds, BandState, BandOptions } from './bands.js';
export { robust, slotBaselines, UNKNOWN_BASELINE } from './baseline.js';
export type { Baseline } from './baseline.js';
export type { AnalysisResult, Finding, BandResult } from './types.js';
export {
  SIGNALS,
  SIGNAL_NAMES,
  RESOURCE_SERIES,
  createSignalStore,
  createRegistrySampler,
  createReplaySource,
  loadReplayFile,
  parseReplay,
  toReplayLines,
  createPrometheusSignalSource,
  createSimulatedSignalSource,
  createEmbeddedSignals,
  backfill,
} from './signals/index.js';
export type { SignalSource, SignalName, SignalRange, SignalQuery, Series, SeriesKey, SignalStore, PrometheusSourceOptions, EmbeddedSignals, EmbeddedSignalsOptions } from './signals/index.js';

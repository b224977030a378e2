/**
 * The analyzer's lifecycle object: reads signals through the SignalSource interface only, finds
 * episodes (detect.ts) and classifies workload bands (bands.ts), and returns the contract JSON.
 * analyze(window) is stateless apart from band hysteresis; tick() analyzes the recent past and keeps
 * episode ids stable while an episode stays open, so alerts can be resolved when it ends.
 */
import type { Clock } from '../lib/clock.js';
import { describeError, RequestError } from '../lib/errors.js';
import type { Logger } from '../lib/log.js';
import type { TenantResolver } from '../tenancy/index.js';
import { computeBands, type BandState, type BandThresholds } from './bands.js';
import type { Baseline } from './baseline.js';
import { detect, type Topology } from './detect.js';
import { SIGNAL_NAMES, type SignalSource } from './signals/index.js';
import type { AnalysisResult, BandResult, Finding, Tier } from './types.js';

export interface AnalyzerOptions {
  /** grid step of the analysis; default 15 s */
  stepMs?: number;
  /** history read before the window for baselines; default 2 h (use ≥ 2 days for time-of-day slots) */
  historyMs?: number;
  /** the window tick() analyzes, ending now; default 15 min */
  tickWindowMs?: number;
  bandThresholds?: BandThresholds;
  /** detection knobs (see DetectOptions) */
  minRatio?: number;
  minZ?: number;
  minShareRise?: number;
  /** how long the live loop reuses baselines before recomputing them from history; default 5 min */
  baselineRefreshMs?: number;
  /**
   * points of data a baseline needs before the window may be judged; default 20 (5 min at 15 s).
   * With less history before the window (a fresh start: the store only holds the last minutes), the
   * window starts this many points after the first sample instead, so baselines form from short
   * history rather than waiting for historyMs + tickWindowMs of data.
   */
  minHistoryPoints?: number;
}

export interface AnalyzerDeps {
  signals: SignalSource;
  clock: Clock;
  logger: Logger;
  resolver?: TenantResolver;
}

export interface AnalysisWindowMs {
  fromMs: number;
  toMs: number;
}

export interface Analyzer {
  analyze(window: AnalysisWindowMs): Promise<AnalysisResult>;
  tick(): Promise<AnalysisResult>;
  /** the topology seen in the last analysis */
  readonly topology: Topology | undefined;
  /** first detection time of each finding of the last analysis (ms) */
  readonly detectedAtMs: ReadonlyMap<string, number>;
}

export function createAnalyzer(opts: AnalyzerOptions, deps: AnalyzerDeps): Analyzer {
  const stepMs = opts.stepMs ?? 15_000;
  const historyMs = opts.historyMs ?? 2 * 3_600_000;
  const tickWindowMs = opts.tickWindowMs ?? 15 * 60_000;
  const minHistoryPoints = Math.max(8, opts.minHistoryPoints ?? 20);
  const bandState = new Map<string, BandState>();
  let topology: Topology | undefined;
  let detectedAtMs = new Map<string, number>();
  // episodes of the live loop: a finding keeps its first id and start while it is open, and after it
  // ended for as long as its tail is still inside the tick window (else each tick would clip its start
  // to the window edge and mint a new id: duplicate rows in storage, resolutions for alerts never sent)
  const knownIds = new Map<string, { id: string; start: string; endMs: number | undefined }>();

  const tierOf = (tenant: string): Tier | undefined => {
    const t = deps.resolver?.tenant(tenant) as { tier?: Tier } | undefined;
    return t?.tier ?? (deps.resolver ? 'shared' : undefined);
  };

  // live loop: baselines computed from the history once, reused for baselineRefreshMs
  const baselineCache = new Map<string, Baseline>();
  let baselinesAtMs = Number.NEGATIVE_INFINITY;
  const baselineRefreshMs = opts.baselineRefreshMs ?? 300_000;
  let lastBands: BandResult[] | undefined;

  /** live = the tick: updates band hysteresis; a past window (the API, the CLI) gets its own, so it cannot disturb the live bands */
  const analyze = async ({ fromMs, toMs }: AnalysisWindowMs, cache?: Map<string, Baseline>, withHistory = true, live = false): Promise<AnalysisResult> => {
    if (!Number.isFinite(fromMs) || !Number.isFinite(toMs) || !(toMs >= fromMs)) {
      throw new RequestError(`analysis window from=${fmt(fromMs)} to=${fmt(toMs)}: "to" must be a time at or after "from" (RFC 3339)`);
    }
    const range = await deps.signals.range({ signals: SIGNAL_NAMES }, withHistory ? fromMs - historyMs : fromMs, toMs, stepMs);
    let windowStart = Math.max(0, Math.ceil((fromMs - range.startMs) / stepMs));
    // short history: points before a baseline can exist are unknown anyway, so the window starts once
    // minHistoryPoints of data precede it; until then nothing is judged and no baseline is cached
    // (a baseline of a few warm-up samples would otherwise be reused for baselineRefreshMs)
    const first = firstSample(range);
    const warming = first !== undefined && first + minHistoryPoints > range.points;
    if (first !== undefined && windowStart < first + minHistoryPoints) windowStart = Math.min(range.points, first + minHistoryPoints);
    const d = detect(range, { windowStart, recentBaselineMs: historyMs, ...pick(opts), ...(cache && !warming ? { baselineCache: cache } : {}) });
    topology = d.topology;
    detectedAtMs = d.detectedAtMs;
    // bands move slowly: the live loop recomputes them with the baselines (on the ticks that read history)
    const bandOpts = { nowMs: toMs, tierOf, ...(opts.bandThresholds ? { thresholds: opts.bandThresholds } : {}) };
    let bands: BandResult[];
    if (!live) bands = computeBands(range, new Map(), bandOpts);
    else {
      bands = withHistory || !lastBands ? computeBands(range, bandState, bandOpts) : lastBands;
      lastBands = bands;
    }
    return {
      generatedAt: new Date(deps.clock.now()).toISOString(),
      window: { from: new Date(fromMs).toISOString(), to: new Date(toMs).toISOString() },
      findings: d.findings,
      bands,
      ...(range.warnings.length ? { warnings: [...range.warnings] } : {}),
    };
  };

  return {
    analyze: (w) => analyze(w),
    async tick() {
      const now = deps.clock.now();
      const fresh = now - baselinesAtMs < baselineRefreshMs && baselineCache.size > 0;
      if (!fresh) {
        baselineCache.clear();
        baselinesAtMs = now;
      }
      const result = await analyze({ fromMs: now - tickWindowMs, toMs: now }, baselineCache, !fresh, true);
      for (const f of result.findings) {
        const k = episodeKey(f);
        const endMs = f.end ? Date.parse(f.end) : undefined;
        const prev = knownIds.get(k);
        // an ended episode and a new one of the same key are different episodes
        if (prev && (prev.endMs === undefined || Date.parse(f.start) <= prev.endMs)) {
          f.id = prev.id;
          f.start = prev.start;
        }
        knownIds.set(k, { id: f.id, start: f.start, endMs });
      }
      for (const [k, v] of knownIds) if (v.endMs !== undefined && v.endMs < now - tickWindowMs) knownIds.delete(k);
      if (result.warnings?.length) deps.logger.warn('analysis: signal source reported problems', { source: deps.signals.name, warnings: result.warnings.slice(0, 5).map(describeError) });
      return result;
    },
    get topology() {
      return topology;
    },
    get detectedAtMs() {
      return detectedAtMs;
    },
  };
}

/** the same key detect.ts merges episodes by: kind, resource and who (suspect, the degraded tenant, or none) */
function episodeKey(f: Finding): string {
  const who = f.kind === 'noisy-neighbor' ? (f.suspect?.tenant ?? '') : f.kind === 'tenant-degradation' ? (f.victims[0]?.tenant ?? '') : '';
  return `${f.kind}|${f.resource.kind}|${f.resource.id}|${who}`;
}

/** index of the earliest finite sample of any series in the range; undefined when it holds none */
function firstSample(range: { series: readonly { values: ArrayLike<number> }[]; points: number }): number | undefined {
  let first = range.points;
  for (const s of range.series) {
    for (let j = 0; j < first; j++) {
      if (Number.isFinite(s.values[j]!)) {
        first = j;
        break;
      }
    }
    if (first === 0) break;
  }
  return first < range.points ? first : undefined;
}

function fmt(ms: number): string {
  return Number.isFinite(ms) ? new Date(ms).toISOString() : String(ms);
}

function pick(o: AnalyzerOptions) {
  return {
    ...(o.minRatio !== undefined ? { minRatio: o.minRatio } : {}),
    ...(o.minZ !== undefined ? { minZ: o.minZ } : {}),
    ...(o.minShareRise !== undefined ? { minShareRise: o.minShareRise } : {}),
  };
}

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
import { bandFeatures, classifyBands, computeBands, type BandState, type BandThresholds, type TenantBandFeatures } from './bands.js';
import type { Baseline } from './baseline.js';
import { detect, episodeKey, episodeWho, fillRecentBaselines, type Topology } from './detect.js';
import { grid, keyOf, RESOURCE_SERIES, seriesKey, SIGNAL_NAMES, tenantOfSeriesKey, type Series, type SeriesKey, type SignalRange, type SignalSource } from './signals/index.js';
import type { AnalysisResult, BandResult, Finding, Tier } from './types.js';

/** points of the held live window read again on every tick (2 min at 15 s) */
const REREAD_POINTS = 8;

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
  /** minimum rise of a suspect's share of the contended dimension, in (0, 1]; default 0.08 */
  minShareRise?: number;
  /**
   * how long the live loop reuses a tenant's baselines (and band features) before recomputing them
   * from history; default 5 min. The fleet is refreshed a slice of tenants per tick, spread over this
   * period, so no tick pays for all of it.
   */
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
  /** one live analysis: findings and bands now; the baselines due are refreshed after it returns (see idle) */
  tick(): Promise<AnalysisResult>;
  /** resolves once the work a tick left for after its result (the baseline refresh) is done; never rejects */
  idle(): Promise<void>;
  /** the topology seen in the last analysis */
  readonly topology: Topology | undefined;
  /** first detection time of each finding of the last analysis (ms) */
  readonly detectedAtMs: ReadonlyMap<string, number>;
}

/** the defaults of AnalyzerOptions that shape the live loop */
export const ANALYZER_DEFAULTS = { stepMs: 15_000, historyMs: 2 * 3_600_000, tickWindowMs: 15 * 60_000, baselineRefreshMs: 300_000 } as const;

export function createAnalyzer(opts: AnalyzerOptions, deps: AnalyzerDeps): Analyzer {
  // refused here, not on every tick: detect() relies on it (see DetectOptions.minShareRise)
  if (opts.minShareRise !== undefined && !(opts.minShareRise > 0 && opts.minShareRise <= 1)) {
    throw new RangeError(`analyzer option minShareRise is ${opts.minShareRise}; it must be a share of the resource in (0, 1], e.g. 0.08 (the default)`);
  }
  const stepMs = opts.stepMs ?? ANALYZER_DEFAULTS.stepMs;
  const historyMs = opts.historyMs ?? ANALYZER_DEFAULTS.historyMs;
  const tickWindowMs = opts.tickWindowMs ?? ANALYZER_DEFAULTS.tickWindowMs;
  const minHistoryPoints = Math.max(8, opts.minHistoryPoints ?? 20);
  const bandState = new Map<string, BandState>();
  let topology: Topology | undefined;
  let detectedAtMs = new Map<string, number>();
  // episodes of the live loop: a finding keeps its first id and start while it is open, and after it
  // ended for as long as its tail is still inside the tick window (else each tick would clip its start
  // to the window edge and mint a new id: duplicate rows in storage, resolutions for alerts never sent).
  // Per episode key a list: one antagonist can have an ended episode and a new one in the same window.
  const knownIds = new Map<string, { id: string; start: string; startMs: number; endMs: number | undefined }[]>();

  const tierOf = (tenant: string): Tier | undefined => {
    const t = deps.resolver?.tenant(tenant) as { tier?: Tier } | undefined;
    return t?.tier ?? (deps.resolver ? 'shared' : undefined);
  };

  // live loop: baselines computed from the history once, then each tenant's refreshed every
  // baselineRefreshMs — a slice of tenants per tick, so that reading and summarising 2 h of history
  // for a 1,000-tenant fleet is spread over the period instead of stalling one tick in five minutes
  const baselineCache = new Map<string, Baseline>();
  const baselineRefreshMs = opts.baselineRefreshMs ?? ANALYZER_DEFAULTS.baselineRefreshMs;
  /** when each tenant's baselines and band features were last computed (ms) */
  const refreshedAtMs = new Map<string, number>();
  /** band features per tenant, from the history read when its baselines were refreshed */
  const bandFeatureCache = new Map<string, TenantBandFeatures>();
  let lastBands: BandResult[] | undefined;
  let classifiedAtMs = Number.NEGATIVE_INFINITY;
  let bandsDirty = false;
  /** the refresh the last tick started after returning its result */
  let maintenance: Promise<void> = Promise.resolve();
  const bandOptsAt = (nowMs: number) => ({ nowMs, tierOf, ...(opts.bandThresholds ? { thresholds: opts.bandThresholds } : {}) });

  /**
   * The live loop's last window, kept so the next tick reads through the signal source only the
   * points that are new, plus the last REREAD_POINTS again (a sample may land after the tick that
   * first read its point). A late sample older than that is not seen until the next cold start.
   */
  let held: SignalRange | undefined;
  /**
   * the source's generation() when the held window was read: while it has not changed, an in-memory
   * source can move the window forward in place (advance()), with no read of every series
   */
  let heldGeneration: number | undefined;
  const windowBuffers: (Float64Array | undefined)[] = [undefined, undefined];
  /** a read of the window's signals with the source's generation, taken just before (range() reads synchronously up to its first await) */
  const readSource = async (fromMs: number, toMs: number): Promise<SignalRange> => {
    const generation = deps.signals.generation?.();
    const range = await deps.signals.range({ signals: SIGNAL_NAMES }, fromMs, toMs, stepMs);
    heldGeneration = generation;
    return range;
  };
  const readWindow = async (fromMs: number, toMs: number): Promise<SignalRange> => {
    const g = grid(fromMs, toMs, stepMs);
    const prev = held;
    const heldEndMs = prev ? prev.startMs + prev.points * stepMs : Number.NEGATIVE_INFINITY;
    if (!prev || prev.stepMs !== stepMs || g.startMs < prev.startMs || heldEndMs - REREAD_POINTS * stepMs <= g.startMs) {
      return readSource(fromMs, toMs);
    }
    const readFromMs = Math.max(g.startMs, heldEndMs - REREAD_POINTS * stepMs);
    const shift = (g.startMs - prev.startMs) / stepMs; // held point index of the window's first point
    const kept = (readFromMs - g.startMs) / stepMs; // points of the window taken from what is held
    // the embedded store, unchanged but for new points: the window moves on in place, its new points
    // read straight from the store's rings (no series object or view per series of the fleet per tick)
    // (advance() itself refuses a stale generation)
    if (heldGeneration !== undefined && prev.points === g.points && deps.signals.advance) {
      const next = deps.signals.advance(prev, shift, kept, heldGeneration);
      // a series whose last known point left the window is not in it (as range() would leave it out): read anew
      if (next) return next.series.every((s) => anyKnown(s.values, 0, next.points)) ? next : readSource(fromMs, toMs);
    }
    const fresh = await readSource(readFromMs, toMs);
    const freshAt = (fresh.startMs - g.startMs) / stepMs; // window index of the fresh range's first point
    // only a window in this loop's own buffers slides in place: a range the source handed over is its arrays
    // (every window this loop builds is one buffer, a source's range never one of ours: the first series tells)
    const own = windowBuffers[1] !== undefined && prev.series[0]?.values.buffer === windowBuffers[1].buffer;
    if (own && slideInPlace(prev, fresh, shift, kept, freshAt, g.points)) return { ...prev, startMs: g.startMs, warnings: fresh.warnings };
    // pair each fresh series with its held one: both come in the source's order, so a short forward
    // scan finds it; a map of keys only when that fails (series that came or went)
    const byKey = new Map<string, number>();
    let keyed = false;
    const pairOf = new Int32Array(fresh.series.length).fill(-1);
    let cursor = 0;
    fresh.series.forEach((s, k) => {
      for (let c = cursor; c < prev.series.length && c < cursor + 32; c++) {
        if (sameKey(s, prev.series[c]!)) {
          pairOf[k] = c;
          cursor = c + 1;
          return;
        }
      }
      if (!keyed) {
        prev.series.forEach((h, c) => byKey.set(keyOf(h), c));
        keyed = true;
      }
      pairOf[k] = byKey.get(seriesKey(s)) ?? -1;
    });
    // held series first (in their order), then series new in this read
    const freshOf = new Int32Array(prev.series.length).fill(-1);
    let added = 0;
    pairOf.forEach((c, k) => {
      if (c >= 0) freshOf[c] = k;
      else added++;
    });
    // two buffers taken in turn: the held window is read while the next one is written, and nothing
    // else keeps a window past its tick — no window-sized allocation (and its collection) per tick
    const size = (prev.series.length + added) * g.points;
    const spare = windowBuffers[0];
    const buffer = spare && spare.length >= size && spare.buffer !== prev.series[0]?.values.buffer ? spare : new Float64Array(Math.ceil(size * 1.25));
    windowBuffers[0] = windowBuffers[1];
    windowBuffers[1] = buffer;
    const series: Series[] = [];
    let slot = 0;
    const place = (key: Series, held: Float64Array | undefined, recent: Float64Array | undefined) => {
      const values = buffer.subarray(slot * g.points, (slot + 1) * g.points);
      slot++;
      values.fill(Number.NaN);
      if (held) values.set(held.subarray(shift, shift + kept), 0);
      if (recent) values.set(recent.subarray(0, g.points - freshAt), freshAt);
      // as a source does: a series without one known point in the window is not in it
      if (anyKnown(values, 0, g.points)) series.push({ signal: key.signal, tenant: key.tenant, resource: key.resource, sub: key.sub, key: keyOf(key), values });
    };
    prev.series.forEach((h, c) => place(h, h.values, freshOf[c]! >= 0 ? fresh.series[freshOf[c]!]!.values : undefined));
    pairOf.forEach((c, k) => {
      if (c < 0) place(fresh.series[k]!, undefined, fresh.series[k]!.values);
    });
    return { startMs: g.startMs, stepMs, points: g.points, series, warnings: fresh.warnings };
  };

  /** the window start inside a range read with history, as analyze() places it; `warming` while baselines cannot form yet */
  const windowStartOf = (range: SignalRange, fromMs: number): { windowStart: number; warming: boolean } => {
    let windowStart = Math.max(0, Math.ceil((fromMs - range.startMs) / stepMs));
    // short history: points before a baseline can exist are unknown anyway, so the window starts once
    // minHistoryPoints of data precede it; until then nothing is judged and no baseline is cached
    // (a baseline of a few warm-up samples would otherwise be reused for baselineRefreshMs)
    const first = firstSample(range);
    const warming = first !== undefined && first + minHistoryPoints > range.points;
    if (first !== undefined && windowStart < first + minHistoryPoints) windowStart = Math.min(range.points, first + minHistoryPoints);
    return { windowStart, warming };
  };

  /**
   * Refreshes the baselines and band features of the tenants that are due, from their own history
   * (resource series come along: a handful per fleet). New tenants are due at once; a tenant with
   * no data left is forgotten. Returns whether anything changed that the bands depend on.
   */
  const refreshSlice = async (window: SignalRange, nowMs: number): Promise<boolean> => {
    const present = tenantsOf(window);
    const due: string[] = [];
    for (const t of present) if (!(nowMs - (refreshedAtMs.get(t) ?? Number.NEGATIVE_INFINITY) < baselineRefreshMs)) due.push(t);
    let changed = false;
    const gone = new Set<string>();
    for (const t of refreshedAtMs.keys()) {
      if (present.has(t)) continue;
      gone.add(t);
      refreshedAtMs.delete(t);
      changed = bandFeatureCache.delete(t) || changed;
    }
    // a tenant that went away takes its baselines with it (the cache stays bounded by the fleet)
    if (gone.size) for (const k of baselineCache.keys()) if (gone.has(tenantOfSeriesKey(k))) baselineCache.delete(k);
    if (due.length === 0) return changed;
    const fromMs = nowMs - tickWindowMs;
    const range = await deps.signals.range({ signals: SIGNAL_NAMES, tenants: due }, fromMs - historyMs, nowMs, stepMs);
    const { windowStart, warming } = windowStartOf(range, fromMs);
    if (warming) return changed;
    fillRecentBaselines(range, windowStart, historyMs, baselineCache);
    for (const [t, f] of bandFeatures(range, window)) bandFeatureCache.set(t, f);
    for (const t of due) refreshedAtMs.set(t, nowMs);
    return true;
  };

  /** after the first (cold) tick: each tenant's next refresh at an even phase across the period */
  const staggerRefreshes = (range: SignalRange, nowMs: number, result: AnalysisResult): void => {
    const tenants = [...tenantsOf(range)].sort();
    tenants.forEach((t, k) => refreshedAtMs.set(t, nowMs - (k / tenants.length) * baselineRefreshMs));
    lastBands = result.bands;
    classifiedAtMs = nowMs;
  };

  /** live = the tick: updates band hysteresis; a past window (the API, the CLI) gets its own, so it cannot disturb the live bands */
  const analyze = async ({ fromMs, toMs }: AnalysisWindowMs, live?: { cache: Map<string, Baseline>; withHistory: boolean }): Promise<AnalysisResult & { range: SignalRange }> => {
    if (!Number.isFinite(fromMs) || !Number.isFinite(toMs) || !(toMs >= fromMs)) {
      throw new RequestError(`analysis window from=${fmt(fromMs)} to=${fmt(toMs)}: "to" must be a time at or after "from" (RFC 3339)`);
    }
    const withHistory = live?.withHistory ?? true;
    const range = live && !withHistory ? await readWindow(fromMs, toMs) : await deps.signals.range({ signals: SIGNAL_NAMES }, withHistory ? fromMs - historyMs : fromMs, toMs, stepMs);
    if (live) {
      held = range;
      // a read with history is no window the source can move forward (readWindow reads one first)
      if (withHistory) heldGeneration = undefined;
    }
    const { windowStart, warming } = windowStartOf(range, fromMs);
    const cache = live?.cache;
    const d = detect(range, { windowStart, recentBaselineMs: historyMs, ...pick(opts), ...(cache && !warming ? { baselineCache: cache } : {}) });
    topology = d.topology;
    detectedAtMs = d.detectedAtMs;
    // bands move slowly: the live loop keeps them from the features its refreshes compute
    let bands: BandResult[];
    if (!live) bands = computeBands(range, new Map(), bandOptsAt(toMs));
    else if (withHistory || !lastBands) {
      // the live loop's resource shares are over the tick window, as its slice refreshes see them
      const features = bandFeatures(range, withHistory ? subRange(range, Math.max(0, Math.ceil((fromMs - range.startMs) / stepMs))) : undefined);
      bands = classifyBands(features, bandState, bandOptsAt(toMs));
      if (withHistory) {
        bandFeatureCache.clear();
        for (const [t, f] of features) bandFeatureCache.set(t, f);
      }
    } else bands = lastBands;
    return {
      generatedAt: new Date(deps.clock.now()).toISOString(),
      window: { from: new Date(fromMs).toISOString(), to: new Date(toMs).toISOString() },
      findings: d.findings,
      bands,
      ...(range.warnings.length ? { warnings: [...range.warnings] } : {}),
      range,
    };
  };

  return {
    analyze: async (w) => {
      const { range: _range, ...result } = await analyze(w);
      return result;
    },
    async tick() {
      // the previous tick's baseline refresh (its window buffers are reused by this read)
      await maintenance;
      const now = deps.clock.now();
      // cold (the first tick, or while the store still warms up): everything from history
      const cold = baselineCache.size === 0;
      const { range, ...result } = await analyze({ fromMs: now - tickWindowMs, toMs: now }, { cache: baselineCache, withHistory: cold });
      if (cold) {
        if (baselineCache.size > 0) staggerRefreshes(range, now, result);
      } else {
        // the bands, which move slowly, are reclassified from the features earlier refreshes computed
        // a few times per refresh period, not on every tick
        if (bandsDirty && now - classifiedAtMs >= baselineRefreshMs / 5) {
          lastBands = classifyBands(bandFeatureCache, bandState, bandOptsAt(now));
          classifiedAtMs = now;
          bandsDirty = false;
          result.bands = lastBands;
        }
        // the slice of baselines due is refreshed after this tick's findings are out: it only serves
        // the next tick, so it is no part of the time from data to finding (the next tick waits for it)
        // (after a macrotask: a source that answers at once would otherwise run it all in the microtasks
        // before the caller resumes with the result)
        const refresh = async () => {
          await new Promise<void>((r) => setImmediate(r));
          try {
            if (await refreshSlice(range, now)) bandsDirty = true;
          } catch (err) {
            deps.logger.warn('analysis: refreshing baselines failed; the tenants due keep their baselines and are retried next tick', { source: deps.signals.name, error: describeError(err) });
          }
        };
        maintenance = refresh();
      }
      // findings come in start order: an episode's earlier run is matched (and its end updated) before a later one is
      for (const f of result.findings) {
        const k = episodeKey(f.kind, f.resource.kind, f.resource.id, episodeWho(f));
        const startMs = Date.parse(f.start);
        const endMs = f.end ? Date.parse(f.end) : undefined;
        let known = knownIds.get(k);
        if (!known) knownIds.set(k, (known = []));
        // the known episode this finding continues: the one its span overlaps (its start may be clipped to
        // the window edge); an ended episode and a new one of the same key are different episodes
        const prev = known.find((p) => (p.endMs === undefined || startMs <= p.endMs) && (endMs === undefined || endMs >= p.startMs));
        if (prev) {
          f.id = prev.id;
          f.start = prev.start;
          prev.endMs = endMs;
        } else known.push({ id: f.id, start: f.start, startMs, endMs });
      }
      // episodes whose tail left the window are forgotten (a new list only for a key that lost one)
      const expired = (v: { endMs: number | undefined }) => v.endMs !== undefined && v.endMs < now - tickWindowMs;
      for (const [k, known] of knownIds) {
        if (!known.some(expired)) continue;
        const kept = known.filter((v) => !expired(v));
        if (kept.length) knownIds.set(k, kept);
        else knownIds.delete(k);
      }
      if (result.warnings?.length) deps.logger.warn('analysis: signal source reported problems', { source: deps.signals.name, warnings: result.warnings.slice(0, 5).map(describeError) });
      return result;
    },
    idle: () => maintenance,
    get topology() {
      return topology;
    },
    get detectedAtMs() {
      return detectedAtMs;
    },
  };
}


const sameKey = (a: SeriesKey, b: SeriesKey) => a.signal === b.signal && a.tenant === b.tenant && a.resource === b.resource && a.sub === b.sub;

/**
 * The live loop's common case: the window moved on by `shift` points, the fresh read holds the held
 * series in the same order, and each still has a known point. Each series then slides inside its
 * own view (a memmove) and takes the fresh points at the end: no allocation, and the series objects
 * and their keys stay. Only for a window in the loop's own buffers (the caller checks). Returns false,
 * having changed nothing, when that does not hold.
 */
function slideInPlace(prev: SignalRange, fresh: SignalRange, shift: number, kept: number, freshAt: number, points: number): boolean {
  const n = prev.series.length;
  if (prev.points !== points || fresh.series.length !== n || shift + kept > points) return false;
  for (let c = 0; c < n; c++) {
    const h = prev.series[c]!;
    const f = fresh.series[c]!;
    if (!sameKey(f, h)) return false;
    // as a source does: a series without one known point in the window is not in it (the general path drops it)
    if (!anyKnown(h.values, shift, shift + kept) && !anyKnown(f.values, 0, Math.min(points - freshAt, f.values.length))) return false;
  }
  for (let c = 0; c < n; c++) {
    const v = prev.series[c]!.values;
    v.copyWithin(0, shift, shift + kept);
    v.fill(Number.NaN, kept);
    // a loop, not set(subarray()): a tick brings a point or two per series, and a view per series is garbage
    const f = fresh.series[c]!.values;
    for (let j = freshAt; j < points; j++) v[j] = f[j - freshAt]!;
  }
  return true;
}

/** the tenants with a series in a range (not the resources' own series) */
function tenantsOf(range: SignalRange): Set<string> {
  const out = new Set<string>();
  for (const s of range.series) if (s.tenant !== RESOURCE_SERIES) out.add(s.tenant);
  return out;
}

/** whether values[from, to) holds a known (finite) sample */
function anyKnown(values: ArrayLike<number>, from: number, to: number): boolean {
  for (let j = from; j < to; j++) if (Number.isFinite(values[j]!)) return true;
  return false;
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

/** the points [from, points) of a range, as views (no copy) */
function subRange(range: SignalRange, from: number): SignalRange {
  const f = Math.min(from, range.points);
  return { ...range, startMs: range.startMs + f * range.stepMs, points: range.points - f, series: range.series.map((s) => ({ ...s, values: s.values.subarray(f) })) };
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

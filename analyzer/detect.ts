/**
 * Detection and attribution over one signal range: who hurts whom, on what, how sure.
 *
 * For every point of the window:
 *  1. victims — tenants whose harm signals (query latency, ingress p95, error ratio) deviate from
 *     their robust baseline for two consecutive points (a single spike is not an incident), or at
 *     one point together with enough co-tenants of the same resource (corroboration);
 *  2. the shared resource that explains them — a PostgreSQL cluster when their query latency is up,
 *     the Redis instance when its canary stalls, else the ingress when victims span several nodes,
 *     else their node;
 *  3. the mechanism — the usage dimension of that resource whose fleet total surged most (cpu,
 *     memory, io, wal, connections, command-time, requests);
 *  4. suspects — co-tenants whose SHARE of that dimension rose far above their baseline share.
 *     Share, not raw usage: under contention everyone's active-session load inflates (Little's law),
 *     while only the antagonist's share grows. On a time-based load (sessions, command seconds) the
 *     rise must also be a real part of the resource's load — one activity sample catching a tenant in
 *     a rare wait is a huge share change of nothing — and a load no tenant ever had (no slow Redis
 *     commands at all) can still be surged into, weighed against the resource's capacity.
 * A tenant whose own usage surged, or whose own lock waits explain its slowness, is never a victim
 * of a neighbour (tenant-degradation instead); a surge that degrades no one raises nothing.
 * Per-point detections are then merged into episodes with stable ids.
 */
import { createHash } from 'node:crypto';
import { RESOURCE_SERIES, keyOf, seriesKey, type Series, type SignalName, type SignalRange } from './signals/index.js';
import { robust, slotBaselines, type Baseline } from './baseline.js';
import type { Finding, FindingKind, ResourceKind, Severity } from './types.js';
import { UNATTRIBUTED_TENANT } from '../tenancy/index.js';
// a session rate is weighed as a share of one core, so a rise needs a tenth of this (MIN_LOAD_LIFT) to count
import { SESSION_STARTS_PER_CORE_SECOND } from '../collector/postgres/session-cost.js';

export interface DetectOptions {
  /** index of the first point of the window inside the range (points before it are history) */
  windowStart: number;
  /** how much recent history the fallback baseline uses */
  recentBaselineMs?: number;
  /** victim thresholds: observed/baseline ratio and robust z */
  minRatio?: number;
  minZ?: number;
  /**
   * minimum rise of a suspect's share of the contended dimension; default 0.08. Must be in (0, 1]: a
   * point keeps only the members that rose by half of it (at most 2 / minShareRise of them, as shares
   * sum to 1), and a share cannot rise by more than 1.
   */
  minShareRise?: number;
  /** consecutive degraded points before a tenant counts as a victim */
  persistence?: number;
  /**
   * tenants of one resource degraded at the same point that count as victims at once, without
   * waiting for `persistence`: one tenant's single bad sample is noise, several at once on a shared
   * resource are not. Default 3, and at least `corroborationShare` of the resource's tenants (on a
   * big resource a few lone spikes coincide by chance every minute).
   */
  corroboration?: number;
  /** share of a resource's tenants that must degrade together for corroboration; default 0.1 */
  corroborationShare?: number;
  /** points an episode may miss and still be the same episode */
  gapTolerance?: number;
  /**
   * Baselines kept between calls (the live loop): looked up by series before computing, and filled
   * with what is computed. The history changes slowly; recomputing medians of every series on every
   * 15-s tick is what would make a 1,000-tenant tick slow. Recent-history mode only.
   */
  baselineCache?: Map<string, Baseline>;
}

export interface Topology {
  node: Map<string, string[]>;
  postgres: Map<string, string[]>;
  redis: Map<string, string[]>;
  ingress: Map<string, string[]>;
  /** tenant → resources it uses, by kind */
  of: Map<string, { node: string[]; postgres: string[]; redis: string[]; ingress: string[] }>;
}

const TOPOLOGY_SIGNALS: Record<ResourceKind, SignalName[]> = {
  node: ['node.cpu_cores', 'node.memory_bytes'],
  postgres: ['postgres.mean_query_seconds', 'postgres.tps', 'postgres.load_sessions', 'postgres.connections'],
  redis: ['redis.memory_bytes', 'redis.command_seconds_rate'],
  ingress: ['ingress.request_rate', 'ingress.p95_latency_seconds'],
};

/** the resource kind a signal names a tenant's use of, for the topology */
const TOPOLOGY_KIND = new Map<SignalName, ResourceKind>(
  (Object.keys(TOPOLOGY_SIGNALS) as ResourceKind[]).flatMap((kind) => TOPOLOGY_SIGNALS[kind].map((signal) => [signal, kind] as const)),
);

/** who shares which node, PostgreSQL cluster, Redis instance and ingress — from the signals' labels */
export function buildTopology(series: readonly Series[]): Topology {
  const topo: Topology = { node: new Map(), postgres: new Map(), redis: new Map(), ingress: new Map(), of: new Map() };
  for (const s of series) {
    if (s.tenant === RESOURCE_SERIES) continue;
    const kind = TOPOLOGY_KIND.get(s.signal);
    if (!kind) continue;
    let of = topo.of.get(s.tenant);
    // a tenant uses one or two resources of a kind: a scan of its list is the cheapest "seen" test
    if (of?.[kind].includes(s.resource)) continue;
    if (!of) topo.of.set(s.tenant, (of = { node: [], postgres: [], redis: [], ingress: [] }));
    of[kind].push(s.resource);
    const m = topo[kind];
    const list = m.get(s.resource);
    if (list) list.push(s.tenant);
    else m.set(s.resource, [s.tenant]);
  }
  for (const kind of ['node', 'postgres', 'redis', 'ingress'] as const) for (const list of topo[kind].values()) list.sort();
  return topo;
}

/**
 * What detect() derives from a range's list of series alone — each series' key, the resources' own
 * series, who shares what, where each tenant's series of a signal is — kept per list. The live loop
 * slides its held window in place, so its list (and every series' key string) is the same object
 * tick after tick, and none of this is rebuilt for every series of the fleet every 15 s; a batch
 * analysis reads a new list per window, with the labels of the window before (see lastShape).
 */
interface SeriesIndex {
  readonly keys: readonly string[];
  readonly resourceSeries: ReadonlyMap<string, number>;
  readonly topo: Topology;
  /** the index of a tenant's series, -1 when the range has none */
  seriesOf(signal: SignalName, sub: string, tenant: string, resource: string): number;
  /** the victim-signal series of tenants: not the resources' own, nor the unattributed bucket's (its latency is nobody's harm) */
  readonly harmSeries: readonly number[];
  /**
   * a resource's members that have a series of the mechanism's signal, and those series; kept when
   * `members` is the topology's list of the resource (a candidate's own victims are one call's only)
   */
  membersOf(kind: ResourceKind, resource: string, mech: Mech, members: readonly string[]): { tenants: string[]; idx: number[] };
}

const seriesIndexes = new WeakMap<readonly Series[], SeriesIndex>();

/**
 * The last index built, with the labels of the list it was built from: a batch analysis reads a new
 * list per window (a day of a week, an API request), mostly with the same series in the same order
 * as the window before — that index serves it too (it holds labels and positions, no values).
 */
let lastShape: { signal: string[]; tenant: string[]; resource: string[]; sub: string[]; index: SeriesIndex } | undefined;

/** whether every series of `all` carries the key at its place in `keys` (a function of its own: no closure of seriesIndexOf() may hold a previous index) */
function sameKeys(all: readonly Series[], keys: readonly string[]): boolean {
  if (all.length !== keys.length) return false;
  for (let i = 0; i < all.length; i++) if (all[i]!.key !== keys[i]) return false;
  return true;
}

/** whether `all` has the labels of the list lastShape's index was built from, in the same order */
function sameShape(all: readonly Series[], shape: NonNullable<typeof lastShape>): boolean {
  if (all.length !== shape.signal.length) return false;
  for (let i = 0; i < all.length; i++) {
    const s = all[i]!;
    if (s.signal !== shape.signal[i] || s.tenant !== shape.tenant[i] || s.resource !== shape.resource[i] || s.sub !== shape.sub[i]) return false;
  }
  return true;
}

/**
 * The memo key of a resource's members along one mechanism, when `members` is the topology's own list
 * of the resource; undefined for a list built from one candidate's victims (a tenant with no known
 * node, id "unknown": candidates of one id differ from each other), which must not be memoised.
 */
function topologyMemoKey(topo: Topology, kind: ResourceKind, id: string, mech: Mech, members: readonly string[]): string | undefined {
  return topo[kind].get(id) === members ? `${kind}\u0001${id}\u0001${mech.signal}\u0001${mech.sub}` : undefined;
}

function seriesIndexOf(all: readonly Series[]): SeriesIndex {
  const held = seriesIndexes.get(all);
  // the same list with the same keys in the same places (a list is not expected to change after it
  // is read, but a stale index would name the wrong series: checked per series, the same key strings
  // compare at once)
  if (held && sameKeys(all, held.keys)) return held;
  // a list whose series carry their keys (the live loop's) is recognised again by identity; any other by its labels (lastShape)
  const keyed = all.length > 0 && all.every((s) => s.key !== undefined);
  if (lastShape && sameShape(all, lastShape)) {
    if (keyed) seriesIndexes.set(all, lastShape.index);
    return lastShape.index;
  }
  const resourceSeries = new Map<string, number>();
  const keys: string[] = [];
  /** 1 for a tenant's series (not a resource's own) */
  const ofTenant = new Uint8Array(all.length);
  all.forEach((s, i) => {
    keys.push(keyOf(s));
    if (s.tenant === RESOURCE_SERIES) resourceSeries.set(`${s.signal}\u0001${s.resource}`, i);
    else ofTenant[i] = 1;
  });
  // by key, built on first use: only points with victims look series up by tenant (from the keys:
  // the index keeps no reference to the list, whose values it must not hold on to)
  let tenantSeries: Map<string, number> | undefined;
  const seriesOf = (signal: SignalName, sub: string, tenant: string, resource: string): number => {
    if (!tenantSeries) {
      tenantSeries = new Map();
      for (let i = 0; i < keys.length; i++) if (ofTenant[i]) tenantSeries.set(keys[i]!, i);
    }
    return tenantSeries.get(seriesKey({ signal, tenant, resource, sub })) ?? -1;
  };
  const members = new Map<string, { tenants: string[]; idx: number[] }>();
  const harmSeries: number[] = [];
  all.forEach((s, i) => {
    if (s.tenant !== RESOURCE_SERIES && s.tenant !== UNATTRIBUTED_TENANT && VICTIM_SIGNALS.includes(s.signal)) harmSeries.push(i);
  });
  const index: SeriesIndex = {
    keys,
    resourceSeries,
    topo: buildTopology(all),
    seriesOf,
    harmSeries,
    membersOf(kind, resource, mech, list) {
      const memoKey = topologyMemoKey(index.topo, kind, resource, mech, list);
      let m = memoKey === undefined ? undefined : members.get(memoKey);
      if (!m) {
        m = { tenants: [], idx: [] };
        for (const t of list) {
          const i = seriesOf(mech.signal, mech.sub, t, resource);
          if (i >= 0) {
            m.tenants.push(t);
            m.idx.push(i);
          }
        }
        if (memoKey !== undefined) members.set(memoKey, m);
      }
      return m;
    },
  };
  if (keyed) seriesIndexes.set(all, index);
  lastShape = { signal: all.map((s) => s.signal), tenant: all.map((s) => s.tenant), resource: all.map((s) => s.resource), sub: all.map((s) => s.sub), index };
  return index;
}

/**
 * Recent-history baselines of every series of a range, from the points before `windowStart`, into
 * `cache` (the live loop refreshes a slice of tenants per tick with this). The same figures detect()
 * computes for a window starting at `windowStart` without time-of-day slots.
 */
export function fillRecentBaselines(range: SignalRange, windowStart: number, recentMs: number, cache: Map<string, Baseline>): void {
  const W = Math.max(0, Math.min(windowStart, range.points));
  if (W === 0) return;
  const from = Math.max(0, W - Math.round(recentMs / range.stepMs));
  for (const s of range.series) cache.set(keyOf(s), robust(s.values, from, W));
}

interface Mech {
  name: string;
  signal: SignalName;
  sub: string;
  capacity?: SignalName;
  /** a capacity that is a fact of the resource, not a series (a single-threaded Redis has 1 s of command time per second) */
  fixedCapacity?: number;
  /**
   * a time-based load (active sessions, command seconds per second), or a rate of events each costing
   * time (session starts): one sample can catch a tenant in a wait it rarely shows, so such a dimension,
   * and a suspect on it, need a rise that is a real part of the resource's load before they count
   */
  load?: true;
}


const MECHANISMS: Record<ResourceKind, Mech[]> = {
  node: [
    { name: 'cpu', signal: 'node.cpu_cores', sub: '', capacity: 'node.cpu_allocatable_cores' },
    { name: 'memory', signal: 'node.memory_bytes', sub: '', capacity: 'node.memory_allocatable_bytes' },
  ],
  postgres: [
    { name: 'cpu', signal: 'postgres.load_sessions', sub: 'CPU', load: true },
    { name: 'io', signal: 'postgres.load_sessions', sub: 'IO', load: true },
    { name: 'wal', signal: 'postgres.load_sessions', sub: 'LWLock', load: true },
    { name: 'connections', signal: 'postgres.connections', sub: '', capacity: 'postgres.max_connections' },
    // a connection storm (a new connection per query): each costs a forked, initialised backend, CPU
    // that no wait sample shows; its rate is weighed against the starts one core absorbs per second
    { name: 'connections', signal: 'postgres.session_rate', sub: '', fixedCapacity: SESSION_STARTS_PER_CORE_SECOND, load: true },
  ],
  redis: [
    { name: 'command-time', signal: 'redis.command_seconds_rate', sub: '', fixedCapacity: 1, load: true },
    { name: 'memory', signal: 'redis.memory_bytes', sub: '', capacity: 'redis.max_memory_bytes' },
  ],
  ingress: [{ name: 'requests', signal: 'ingress.request_rate', sub: '' }],
};

/** resources with a sampled load, which can lag a count of the same cause by a step (a rate moves after a gauge) */
const HAS_LOAD = new Set((Object.keys(MECHANISMS) as ResourceKind[]).filter((k) => MECHANISMS[k].some((m) => m.load)));

const VICTIM_SIGNALS: SignalName[] = ['postgres.mean_query_seconds', 'ingress.p95_latency_seconds', 'ingress.error_ratio'];

export interface PointDetection {
  j: number;
  kind: FindingKind;
  resourceKind: ResourceKind;
  resourceId: string;
  mechanism: string | undefined;
  /** the mechanism is a count far below its limit, named only because no load moved at this point */
  mechanismFarFromCapacity: boolean;
  suspect: string | undefined;
  share: number | undefined;
  baselineShare: number | undefined;
  suspectSignal: string | undefined;
  ranking: { tenant: string; score: number }[];
  /** the victims: indices into detect()'s own victimSeries table (the strongest degraded series per tenant), not into the range */
  victims: readonly number[];
  /** per victim, at j: observed/baseline (what an episode ranks its victims by) and 1 when named by corroboration only */
  victimFigures: { strength: Float64Array; solo: Uint8Array };
  confidence: number;
  severity: Severity;
  evidence: Record<string, unknown>;
}

export interface DetectResult {
  /** who shares what: the series index's own (later calls on the same labels return it again), read only */
  topology: Topology;
  findings: Finding[];
  /** first detection time per finding id (ms), for time-to-detect */
  detectedAtMs: Map<string, number>;
}

const DAY = 86_400_000;
/** share of the resource's capacity (or of its whole time-based load) a time-based dimension's top riser must add */
const MIN_LOAD_LIFT = 0.1;
/** among one resource's wait types, the least part of the largest rise another one's must be to compete with it */
const COMPARABLE_LIFT = 0.25;
/** busy sessions a load of unknown capacity that every member had none of must reach to count (one core) */
const IDLE_SURGE_SESSIONS = 1;
/**
 * What a rise above a baseline is measured in (its z): the robust spread, at least 5 % of the center.
 * For a sampled time-based load (`load`), at least the standard deviation too: a tenant mostly seen
 * idle has a median and MAD of 0, and one sample catching it active would otherwise be a surge.
 */
function zFloor(b: Baseline, load = false): number {
  return Math.max(b.spread, 0.05 * Math.abs(b.center), load ? (b.sd ?? 0) : 0, 1e-9);
}

/**
 * A victim signal's observed value against its baseline center: observed/baseline when degraded, else
 * 0. An error ratio must rise by 2 points and double; a latency must rise by `minRatio` times and
 * `minZ` spreads (`floor`, see zFloor).
 */
function degradedRatio(errors: boolean, center: number, floor: number, obs: number, minRatio: number, minZ: number): number {
  if (errors) return obs - center >= 0.02 && obs >= 2 * center ? obs / Math.max(center, 1e-9) : 0;
  const r = obs / Math.max(center, 1e-12);
  return r >= minRatio && (obs - center) / floor >= minZ ? r : 0;
}

/** the utilisation of a counted capacity (connections, memory) from which it is itself the contended resource */
const NEAR_CAPACITY = 0.7;
const NO_SLOTS: (Baseline | undefined)[] = [];
/** why a victim of one candidate resource is its own (selfMark bits): a suspect, its own usage surged, lock waits in its own database */
const SUSPECT = 1;
const SELF_LOADED = 2;
const LOCK_BOUND = 4;

export function detect(range: SignalRange, opts: DetectOptions): DetectResult {
  const W = Math.max(0, Math.min(opts.windowStart, range.points));
  const minRatio = opts.minRatio ?? 1.5;
  const minZ = opts.minZ ?? 4;
  const minShareRise = opts.minShareRise ?? 0.08;
  // a rise must be a positive share: only then does a point's short list of top risers hold every member anyone reads
  if (!(minShareRise > 0 && minShareRise <= 1)) throw new RangeError(`detect: minShareRise is ${minShareRise}; it must be a share of the resource in (0, 1], e.g. 0.08`);
  const persistence = opts.persistence ?? 2;
  const corroboration = Math.max(2, opts.corroboration ?? 3);
  const corroborationShare = opts.corroborationShare ?? 0.1;
  const gapTolerance = opts.gapTolerance ?? 4;
  const recentMs = opts.recentBaselineMs ?? 2 * 3_600_000;
  const { startMs, stepMs, points } = range;
  // series are named by their index in the range from here on
  const all = range.series;
  const index = seriesIndexOf(all);
  const { topo, keys, resourceSeries, seriesOf } = index;

  // baselines from the history before the window (slot by hour-of-day when it covers ≥ 2 days), per series index
  const baselines = new Array<{ recent: Baseline; byHour: (Baseline | undefined)[] } | undefined>(all.length);
  const useSlots = W * stepMs >= 2 * DAY;
  const shared = useSlots ? undefined : opts.baselineCache;
  const recentFrom = Math.max(0, W - Math.round(recentMs / stepMs));
  const computeBaseline = (values: Float64Array) => (useSlots ? slotBaselines(values, startMs, stepMs, W, { recentMs }) : { recent: robust(values, recentFrom, W), byHour: NO_SLOTS });
  /** a series' baselines: from the shared cache (the live loop) when it holds them, else computed — and kept there when computed from real history */
  const entryOf = (i: number) => {
    let b = baselines[i];
    if (!b) {
      const cached = shared?.get(keys[i]!);
      if (cached) b = { recent: cached, byHour: NO_SLOTS };
      else {
        b = computeBaseline(all[i]!.values);
        // only a baseline computed from real history is worth keeping
        if (shared && W > 0) shared.set(keys[i]!, b.recent);
      }
      baselines[i] = b;
    }
    return b;
  };
  // with history, every series goes into the shared cache now, so later ticks without history can
  // judge usage too; without it, only the series this call reads are looked up
  // (a series already there is looked up when it is read: no wrapper for every series of the fleet per tick)
  if (shared && W > 0) for (let i = 0; i < all.length; i++) if (!shared.has(keys[i]!)) entryOf(i);
  const baselineOf = (i: number, j: number): Baseline => {
    const b = entryOf(i);
    if (useSlots) {
      const h = new Date(startMs + j * stepMs).getUTCHours();
      return b.byHour[h] ?? b.recent;
    }
    return b.recent;
  };

  /** degraded at point j: its figures, false, or undefined when unknown (gap or no baseline) */
  const degradedAt = (signal: SignalName, i: number, j: number): { ratio: number; base: number; obs: number } | false | undefined => {
    const obs = all[i]!.values[j]!;
    if (!Number.isFinite(obs)) return undefined;
    const b = baselineOf(i, j);
    if (!Number.isFinite(b.center)) return undefined;
    const ratio = degradedRatio(signal === 'ingress.error_ratio', b.center, zFloor(b), obs, minRatio, minZ);
    return ratio > 0 ? { ratio, base: b.center, obs } : false;
  };

  // tenants numbered once per call: the per-point bookkeeping below is typed arrays indexed by tenant,
  // not maps and objects per victim per point (a contention on a shared cluster degrades ~all of its
  // tenants at once, at every point of the episode)
  const tenantIds = new Map<string, number>();
  const tenantNames: string[] = [];
  const idOf = (t: string): number => {
    let i = tenantIds.get(t);
    if (i === undefined) {
      tenantIds.set(t, (i = tenantNames.length));
      tenantNames.push(t);
    }
    return i;
  };
  for (const t of topo.of.keys()) idOf(t);

  // Victim tests once per series and point (not per tenant lookup per point), each series read in order
  const victimSeries: VictimSeries[] = [];
  const j0 = Math.max(0, W - persistence + 1);
  // the unattributed bucket (the monitor's own queries, databases no rule maps) is usage of the
  // resource, but no tenant: its latency is nobody's harm
  const { harmSeries } = index;
  /** per point, how many points before it its earliest victim was already degraded (the episode onset) */
  const onsetBack = new Int32Array(points);
  const jFirst = Math.max(W, persistence - 1);
  /**
   * The tests, by series: each series' degraded runs (series, first point, end) from one pass over its
   * points. A contention on a shared cluster degrades ~all of its tenants at every point of an
   * episode, so what the runs hold is millions of (series, point) entries a day: they are laid out
   * once, by point, in typed arrays of their exact size (see VictimPoints), not pushed point by point
   * into lists that outlive the call's young generation.
   */
  const runs = new RunLog();
  /** the test of victim series k at j, its ratio (0: not degraded) and strength (into TEST); none without a baseline */
  const testers: (((j: number) => void) | undefined)[] = [];
  const testerOf = (k: number): ((j: number) => void) | undefined => {
    const si = harmSeries[k]!;
    const s = all[si]!;
    const values = s.values;
    victimSeries.push({ tenant: s.tenant, t: idOf(s.tenant), resource: s.resource, signal: s.signal, family: s.signal.startsWith('postgres.') ? 'pg' : 'ingress', si, values });
    // one baseline for the whole window (no slots): the same tests as degradedAt, without a call and an object per point
    const fixed = useSlots ? undefined : baselineOf(si, j0);
    if (fixed && !Number.isFinite(fixed.center)) return undefined;
    const errors = s.signal === 'ingress.error_ratio';
    if (fixed) {
      const center = fixed.center;
      const floor = zFloor(fixed);
      const c = Math.max(center, 1e-12);
      return (j) => {
        const obs = values[j]!;
        // degradedAt's test with the one baseline; an unknown error ratio is not degraded (a latency's NaN fails the test anyway)
        const r = errors && !(obs - obs === 0) ? 0 : degradedRatio(errors, center, floor, obs, minRatio, minZ);
        TEST.ratio = r;
        // observed/baseline (what an episode ranks victims by): with one baseline, mostly the ratio itself (the same division)
        TEST.strength = errors ? obs / c : r;
      };
    }
    return (j) => {
      const d = degradedAt(s.signal, si, j);
      TEST.ratio = d ? d.ratio : 0;
      TEST.strength = d ? d.obs / Math.max(d.base, 1e-12) : 0;
    };
  };
  for (let k = 0; k < harmSeries.length; k++) {
    const test = testerOf(k);
    testers.push(test);
    if (!test) continue;
    // consecutive degraded points ending at j (counted from where the tests began)
    let run = 0;
    for (let j = j0; j < points; j++) {
      test(j);
      if (TEST.ratio > 0) run++;
      else {
        if (run > 0) runs.add(k, j - run, j);
        run = 0;
      }
    }
    if (run > 0) runs.add(k, points - run, points);
  }
  /**
   * per point, the victim series degraded there: first those degraded for `persistence` consecutive
   * points (settled), then those corroboration names sooner. With each, its ratio and its strength
   * (observed/baseline, what an episode ranks its victims by).
   */
  const settled = new VictimPoints(points);
  /** per point, the series degraded at it for fewer than `persistence` points (corroboration may still take them), with their run so far */
  const fresh = new VictimPoints(points);
  // a run's points from the window on: fresh until it has lasted `persistence` points (and the
  // tests have seen that many), settled from there
  const settledFrom = (a: number) => Math.max(a + persistence - 1, jFirst);
  runs.forEach((_k, a, b) => {
    const s0 = Math.min(b, settledFrom(a));
    fresh.count(Math.max(a, W), s0);
    settled.count(s0, b);
  });
  settled.layOut();
  fresh.layOut(true);
  runs.forEach((k, a, b) => {
    // a run is logged only for a series with a test
    const test = testers[k]!;
    const s0 = Math.min(b, settledFrom(a));
    for (let j = Math.max(a, W); j < s0; j++) {
      test(j);
      fresh.put(j, k, TEST.ratio, TEST.strength, j - a + 1);
    }
    for (let j = s0; j < b; j++) {
      test(j);
      settled.put(j, k, TEST.ratio, TEST.strength, 0);
      onsetBack[j] = persistence - 1;
    }
  });
  const nT = tenantNames.length;
  /** per victim series: its tenant's number, and 1 for a PostgreSQL signal (typed arrays: read for every degraded series at every point) */
  const vT = Int32Array.from(victimSeries, (v) => v.t);
  const vPg = Uint8Array.from(victimSeries, (v) => (v.family === 'pg' ? 1 : 0));
  // corroboration groups (family and resource), numbered once: per point only counts, no keys
  const groupIndex = new Map<string, number>();
  const groupOf = new Int32Array(victimSeries.length);
  victimSeries.forEach((v, k) => {
    const key = `${v.family}\u0001${v.resource}`;
    let g = groupIndex.get(key);
    if (g === undefined) groupIndex.set(key, (g = groupIndex.size));
    groupOf[k] = g;
  });
  /** tenants with a victim signal per group: what a corroborating share is of */
  const groupTenants = new Int32Array(groupIndex.size);
  {
    const seen = new Set<string>();
    victimSeries.forEach((v, k) => {
      const key = `${groupOf[k]}\u0001${v.tenant}`;
      if (seen.has(key)) return;
      seen.add(key);
      groupTenants[groupOf[k]!]!++;
    });
  }
  const needed = Array.from(groupTenants, (n) => Math.max(corroboration, Math.ceil(corroborationShare * n)));
  /** the entries corroboration names, per point after the settled ones (at most every fresh entry) */
  const named = new VictimPoints(points, fresh.size);
  // per group while one point is corroborated: fresh and settled entries, and the groups' order of appearance
  const groupFresh = new Int32Array(groupIndex.size);
  const groupSettled = new Int32Array(groupIndex.size);
  const groupOrder: number[] = [];
  /** per tenant: the last point and group it was counted at (a distinct-tenant count without a set) */
  const countedAt = new Int32Array(nT).fill(-1);
  const countedIn = new Int32Array(nT).fill(-1);
  /** 1 the first time tenant t is counted at point j in group g, else 0 */
  const countTenant = (t: number, j: number, g: number): number => {
    if (countedAt[t] === j && countedIn[t] === g) return 0;
    countedAt[t] = j;
    countedIn[t] = g;
    return 1;
  };
  // corroboration: tenants of one resource degraded together at a point are victims from that point
  // on, not `persistence` points later — a contention that ramps up over minutes is named as soon as
  // it hurts several tenants, while one tenant's lone bad sample still waits for the next
  const corroborate = (j: number): void => {
    const f0 = fresh.start[j]!;
    const f1 = fresh.start[j + 1]!;
    named.start[j] = named.size;
    if (f0 === f1) return;
    // the groups of the fresh entries, in order of first appearance
    groupOrder.length = 0;
    for (let e = f0; e < f1; e++) {
      const g = groupOf[fresh.k[e]!]!;
      if (groupFresh[g]!++ === 0) groupOrder.push(g);
    }
    const s0 = settled.start[j]!;
    const s1 = settled.start[j + 1]!;
    for (let e = s0; e < s1; e++) groupSettled[groupOf[settled.k[e]!]!]!++;
    for (const gi of groupOrder) {
      // quick rejection: fewer degraded series than tenants needed, settled ones included
      if (groupFresh[gi]! + groupSettled[gi]! < needed[gi]!) continue;
      let tenants = 0;
      for (let e = f0; e < f1; e++) if (groupOf[fresh.k[e]!] === gi) tenants += countTenant(vT[fresh.k[e]!]!, j, gi);
      for (let e = s0; e < s1; e++) if (groupOf[settled.k[e]!] === gi) tenants += countTenant(vT[settled.k[e]!]!, j, gi);
      if (tenants < needed[gi]!) continue;
      for (let e = f0; e < f1; e++) {
        if (groupOf[fresh.k[e]!] !== gi) continue;
        named.append(fresh.k[e]!, fresh.ratio[e]!, fresh.strength[e]!);
        // its degraded run so far: the onset is that many points back, no more
        onsetBack[j] = Math.max(onsetBack[j]!, Math.min(persistence - 1, fresh.run![e]! - 1));
      }
    }
    for (const g of groupOrder) groupFresh[g] = 0;
    for (let e = s0; e < s1; e++) groupSettled[groupOf[settled.k[e]!]!] = 0;
  };
  // (named.start is 0 before W: no entry there)
  for (let j = W; j < points; j++) corroborate(j);
  named.start[points] = named.size;
  /** whether any victim is degraded at j */
  const hasVictims = (j: number) => settled.start[j + 1]! > settled.start[j]! || named.start[j + 1]! > named.start[j]!;

  /** the points with victims: where attribution reads its mechanisms' usage (transposed, rows in this order) */
  const rowOf = new Int32Array(points).fill(-1);
  let judgedCount = 0;
  for (let j = 0; j < points; j++) if (hasVictims(j)) rowOf[j] = judgedCount++;
  const judged: Judged = { points: new Int32Array(judgedCount), rowOf };
  for (let j = 0; j < points; j++) if (rowOf[j]! >= 0) judged.points[rowOf[j]!] = j;


  const mechMemo = new Map<string, MechData>();
  /** a resource's members' usage series of one mechanism, with their baselines when one serves the whole window */
  const mechData = (kind: ResourceKind, id: string, mech: Mech, members: string[]): MechData => {
    const k = topologyMemoKey(topo, kind, id, mech, members);
    let m = k === undefined ? undefined : mechMemo.get(k);
    if (!m) {
      const { tenants, idx } = index.membersOf(kind, id, mech, members);
      const values = idx.map((i) => all[i]!.values);
      // one baseline per member for the whole window, or (time-of-day slots) the member's at each point
      const bases = useSlots ? (i: number, j: number) => baselineOf(idx[i]!, j) : idx.map((i) => baselineOf(i, W));
      m = { tenants, idx, values, tid: Int32Array.from(tenants, idOf), fig: memberFigures(values, judged, topCapacity(values.length, minShareRise), minShareRise / 2, mech.load === true, bases) };
      if (k !== undefined) mechMemo.set(k, m);
    }
    return m;
  };

  /** a tenant's series of one signal on a cluster by tenant id (-1: none), looked up once (victims and suspects are asked about at every point) */
  const clusterSeries = (signal: SignalName, sub: string) => {
    const memo = new Map<string, Int32Array>();
    return (cluster: string, t: number): number => {
      let m = memo.get(cluster);
      if (!m) memo.set(cluster, (m = new Int32Array(nT).fill(-2)));
      if (m[t] === -2) m[t] = seriesOf(signal, sub, tenantNames[t]!, cluster);
      return m[t]!;
    };
  };
  /** Lock wait load: waits inside a tenant's own database */
  const lockSeries = clusterSeries('postgres.load_sessions', 'Lock');
  /** statement time per second: the sessions a tenant's statements held, exactly */
  const execSeries = clusterSeries('postgres.exec_seconds_rate', '');
  /**
   * A rise of a tenant's sampled session load at j, as far as its own statements account for it. By
   * Little's law a tenant's sessions are its statement rate × their duration, so a light tenant whose
   * queries an antagonist slows is caught active in more samples too; the time its statements ran
   * (exact, from pg_stat_statements) rose only by that slowdown, an antagonist's by at least the sessions
   * it added. Other loads (a connection storm adds session starts, whose cost no statement time shows),
   * and a tenant without that series, keep the sampled rise.
   */
  const ownLift = (mech: Mech, cluster: string, tenant: string, j: number, sampled: number): number => {
    if (mech.signal !== 'postgres.load_sessions') return sampled;
    const t = tenantIds.get(tenant);
    const ei = t === undefined ? -1 : execSeries(cluster, t);
    if (ei < 0) return sampled;
    const held = usageOf(all[ei]!.values, j) - baselineOf(ei, j).center;
    return Number.isFinite(held) ? Math.min(sampled, held) : sampled;
  };
  // the clusters and Redis instances with their members by tenant id (in topology order), looked up once, not per point
  const pgClusters = [...topo.postgres].map(([id, members]) => ({ id, ids: Int32Array.from(members, idOf) }));
  const redisInstances = [...topo.redis].map(([id, members]) => ({ id, ids: Int32Array.from(members, idOf), canary: resourceSeries.get(`redis.canary_p99_seconds\u0001${id}`) }));
  // per point: the strongest degraded series per tenant and family (-1: none), the tenants that have
  // one in first-seen order (to reset, and the order the ingress victims are taken in), and marks
  const pgWin = new Int32Array(nT).fill(-1);
  const ingWin = new Int32Array(nT).fill(-1);
  const pgSeen: number[] = [];
  const ingSeen: number[] = [];
  const explainedMark = new Uint8Array(nT);
  /** per tenant, while one candidate is judged: SUSPECT | SELF_LOADED | LOCK_BOUND */
  const selfMark = new Uint8Array(nT);
  /** per victim series degraded at the point being attributed: its ratio, its strength, and 1 when degraded for fewer than `persistence` points (a victim by corroboration only, so far) */
  const ratioNow = new Float64Array(victimSeries.length);
  const strengthNow = new Float64Array(victimSeries.length);
  const soloNow = new Uint8Array(victimSeries.length);
  /** per tenant, while one candidate is judged: 1 for its victims */
  const victimMark = new Uint8Array(nT);
  const victimFigures = (vs: readonly number[]): PointDetection['victimFigures'] => {
    const strength = new Float64Array(vs.length);
    const solo = new Uint8Array(vs.length);
    for (let x = 0; x < vs.length; x++) {
      strength[x] = strengthNow[vs[x]!]!;
      solo[x] = soloNow[vs[x]!]!;
    }
    return { strength, solo };
  };
  const detections: PointDetection[] = [];
  /** per tenant number: the resources it uses */
  const usesOf = tenantNames.map((t) => topo.of.get(t));
  /** the ingress (victims on several nodes) or the nodes that explain ingress victims nothing else does (tenant numbers, in order of appearance) */
  const ingressCandidates = (rest: readonly number[], candidates: Candidate[]): void => {
    const nodesOf = new Set<string>();
    const ingresses = new Set<string>();
    for (const t of rest) {
      const uses = usesOf[t];
      if (!uses) continue;
      for (const n of uses.node) nodesOf.add(n);
      for (const i of uses.ingress) ingresses.add(i);
    }
    const on = (kind: 'ingress' | 'node', id: string): number[] => {
      const v: number[] = [];
      for (const t of rest) if (usesOf[t]?.[kind].includes(id)) v.push(ingWin[t]!);
      return v;
    };
    if (nodesOf.size >= 2 && rest.length >= 3 && ingresses.size >= 1) {
      for (const ing of ingresses) {
        const v = on('ingress', ing);
        if (v.length) candidates.push({ kind: 'ingress', id: ing, victims: v });
      }
    } else {
      for (const n of nodesOf) {
        const v = on('node', n);
        if (v.length) candidates.push({ kind: 'node', id: n, victims: v });
      }
      // a victim we know no node for is still a tenant-degradation
      for (const t of rest) if (!usesOf[t]?.node.length) candidates.push({ kind: 'ingress', id: usesOf[t]?.ingress[0] ?? 'unknown', victims: [ingWin[t]!] });
    }
  };
  const x: JudgeContext = { selfMark, victimSeries, victimMark, victimFigures, minShareRise, detections, vT, tenantIds, soloNow, ownLift, minZ, all, topo, resourceSeries, ratioNow, minRatio, mechData, lockSeries, baselineOf };
  /** a victim series degraded at the point being attributed: its figures, and its tenant's strongest series per family */
  const take = (k: number, r: number, strength: number, solo: number) => {
    ratioNow[k] = r;
    strengthNow[k] = strength;
    soloNow[k] = solo;
    const t = vT[k]!;
    const pg = vPg[k] === 1;
    const win = pg ? pgWin : ingWin;
    const prev = win[t]!;
    if (prev < 0) (pg ? pgSeen : ingSeen).push(t);
    if (prev < 0 || r > ratioNow[prev]!) win[t] = k;
  };
  /** attribution at a judged point (one with victims) */
  const attributeAt = (j: number): void => {
    // 1. victims by signal family: the strongest degraded series per tenant
    for (const t of pgSeen) pgWin[t] = -1;
    for (const t of ingSeen) ingWin[t] = -1;
    pgSeen.length = 0;
    ingSeen.length = 0;
    for (let e = settled.start[j]!; e < settled.start[j + 1]!; e++) take(settled.k[e]!, settled.ratio[e]!, settled.strength[e]!, 0);
    for (let e = named.start[j]!; e < named.start[j + 1]!; e++) take(named.k[e]!, named.ratio[e]!, named.strength[e]!, 1);
    if (pgSeen.length === 0 && ingSeen.length === 0) return;

    // 2. candidate resources with their victims (indices into victimSeries)
    const candidates: Candidate[] = [];
    if (pgSeen.length) {
      for (const cluster of pgClusters) {
        const v: number[] = [];
        for (const t of cluster.ids) if (pgWin[t]! >= 0) v.push(pgWin[t]!);
        if (v.length) candidates.push({ kind: 'postgres', id: cluster.id, victims: v });
      }
    }
    // ingress victims a PostgreSQL or Redis victim already explains
    for (const t of ingSeen) explainedMark[t] = pgWin[t]! >= 0 ? 1 : 0;
    if (ingSeen.length) {
      for (const { id: inst, ids, canary } of redisInstances) {
        if (canary === undefined) continue;
        let stalled = true;
        for (let p = 0; p < persistence; p++) if (!degradedAt('redis.canary_p99_seconds', canary, j - p)) stalled = false;
        if (!stalled) continue;
        const v: number[] = [];
        for (const t of ids) if (ingWin[t]! >= 0 && !explainedMark[t]) v.push(ingWin[t]!);
        for (const k of v) explainedMark[victimSeries[k]!.t] = 1;
        if (v.length) candidates.push({ kind: 'redis', id: inst, victims: v });
      }
    }
    // ingress victims no PostgreSQL or Redis victim explains: the ingress, or their node
    const rest: number[] = [];
    for (const t of ingSeen) if (!explainedMark[t]) rest.push(t);
    if (rest.length > 0) ingressCandidates(rest, candidates);

    // 3–4. mechanism and suspects per candidate (judge)
    for (const c of candidates) judge(x, c, j);
  };
  for (const j of judged.points) attributeAt(j);
  return mergeEpisodes(detections, range, W, gapTolerance, onsetBack, topo, { series: victimSeries, tenants: nT, baseAt: (k, j) => baselineOf(victimSeries[k]!.si, j).center });
}

/** a resource that may explain victims at a point, with them (indices into victimSeries) */
interface Candidate {
  kind: ResourceKind;
  id: string;
  victims: number[];
}

/** what judge() reads of one detect() call: its options, the range's series, the per-call tables and their helpers */
interface JudgeContext {
  minRatio: number;
  minZ: number;
  minShareRise: number;
  all: readonly Series[];
  topo: Topology;
  resourceSeries: ReadonlyMap<string, number>;
  victimSeries: readonly VictimSeries[];
  tenantIds: ReadonlyMap<string, number>;
  /** per victim series: its tenant's number */
  vT: Int32Array;
  /** per victim series degraded at the point: its ratio, and 1 when named by corroboration only */
  ratioNow: Float64Array;
  soloNow: Uint8Array;
  /** per tenant: SUSPECT | SELF_LOADED | LOCK_BOUND while one candidate is judged; 1 for the candidate's victims */
  selfMark: Uint8Array;
  victimMark: Uint8Array;
  detections: PointDetection[];
  baselineOf: (i: number, j: number) => Baseline;
  mechData: (kind: ResourceKind, id: string, mech: Mech, members: string[]) => MechData;
  ownLift: (mech: Mech, cluster: string, tenant: string, j: number, sampled: number) => number;
  lockSeries: (cluster: string, t: number) => number;
  victimFigures: (vs: readonly number[]) => PointDetection['victimFigures'];
}

/** 3–4. the mechanism and suspects of one candidate resource at j, and the detections they make (its own function: compiled once, not per detect() call) */
function judge(x: JudgeContext, c: Candidate, j: number): void {
  const { selfMark, victimSeries, victimMark, victimFigures, minShareRise, detections, vT, tenantIds, soloNow, ownLift, minZ, all, topo, resourceSeries, ratioNow, minRatio, mechData, lockSeries, baselineOf } = x;
  const members = topo[c.kind].get(c.id) ?? c.victims.map((k) => victimSeries[k]!.tenant);
  type Cand = { mech: Mech; data: MechData; pf: PointFigures; rel: number; util: number; cap: number; total: number; base: number; topRise: number; lift: number; contended: boolean };
  const cands: Cand[] = [];
  for (const mech of MECHANISMS[c.kind]) {
    // the members' sums and top risers at j, from their usage transposed at the judged points
    const m = mechData(c.kind, c.id, mech, members);
    const pf = m.fig.at(j);
    if (!pf) continue;
    const { total, base, fromNothing } = pf;
    const capIndex = mech.capacity ? resourceSeries.get(`${mech.capacity}\u0001${c.id}`) : undefined;
    const cap = mech.fixedCapacity ?? (capIndex !== undefined ? all[capIndex]!.values[j]! : Number.NaN);
    const hasCap = Number.isFinite(cap) && cap > 0;
    // a time-based load every member had none of (no Redis tenant ever ran a slow command): every
    // baseline share is 0, and one that now takes a real part of a known capacity rose from nothing
    // Without a known capacity (PostgreSQL's cores are not a series) a rise from nothing counts when its
    // top riser holds at least one busy session over both points: when every member's sampled load was
    // always 0 (light tenants whose short queries no sample caught), an antagonist's CPU sessions must
    // still name the mechanism, not the connections it opened; one catch of a light tenant cannot.
    const top = pf.top.length ? pf.top[0]! : -1;
    const topRise = pf.top.length ? pf.topRise[0]! : 0;
    const f = top >= 0 ? m.fig.figure(top, j, pf) : undefined;
    if (fromNothing && !hasCap) {
      const v = top >= 0 ? m.values[top]! : undefined;
      if (!v || !(v[j]! > 0) || !(j > 0 && v[j - 1]! > 0) || !(ownLift(mech, c.id, m.tenants[top]!, j, f!.u) >= IDLE_SURGE_SESSIONS)) continue;
    }
    const util = hasCap ? total / cap : Number.NaN;
    const rel = fromNothing ? Number.POSITIVE_INFINITY : (total - base) / base;
    const lift = f ? f.u - f.ub : 0;
    cands.push({ mech, data: m, pf, rel, util, cap, total, base, topRise, lift, contended: rel >= 0.3 || (Number.isFinite(util) && util >= 0.85) });
  }
  // What a time-based rise is weighed against: the capacity when known, else the resource's whole
  // time-based load now (every wait type together, so that one sample catching a tenant in a rare IO
  // wait — half a session — is small beside a neighbour's real rise of several CPU sessions).
  let loadNow = 0;
  let maxLoadLift = 0;
  for (const k of cands) {
    if (!k.mech.load || Number.isFinite(k.cap)) continue;
    loadNow += k.total;
    maxLoadLift = Math.max(maxLoadLift, k.lift);
  }
  // A count far below its limit (connections at 2 % of max_connections) is not itself what is
  // contended: the work those connections do shows in the time-based loads, which name the mechanism
  // when one of them surged too. The count still names the suspect when nothing else moved (a
  // connection storm whose cost is backend start-up, which no wait sample sees).
  const farFromCapacity = (k: Cand) => !k.mech.load && Number.isFinite(k.util) && k.util < NEAR_CAPACITY;
  const capped = (k: Cand) => Number.isFinite(k.cap) && k.cap > 0;
  // what a load's top riser added, in the unit of the resource's uncapped loads: active sessions, i.e.
  // busy cores — a capped load's share of its capacity is in that unit too (session starts against
  // the starts one core absorbs), so the two kinds can be weighed against each other
  const coreLift = (k: Cand) => (capped(k) ? k.lift / k.cap : k.lift);
  const outranks = (a: Cand, b: Cand) => {
    const fa = farFromCapacity(a);
    if (fa !== farFromCapacity(b)) return !fa;
    // loads of different kinds (session churn beside wait types) by what their top riser added: one
    // tenant reconnecting holds all of the churn (a share rise near 1) yet may add far less than the
    // antagonist's CPU; loads of one kind by share rise, as under contention all of them inflate
    if (a.mech.load && b.mech.load && capped(a) !== capped(b)) return coreLift(a) > coreLift(b);
    return a.topRise > b.topRise;
  };
  const liftShare = (k: Cand, lift: number) => lift / (capped(k) ? k.cap : loadNow);
  // a time-based dimension can carry suspects only when its top riser added a real part of the load,
  // and not a small fraction of what another load's top riser added
  const meaningful = (k: Cand) => !k.mech.load || (liftShare(k, k.lift) >= MIN_LOAD_LIFT && coreLift(k) >= COMPARABLE_LIFT * maxLoadLift);
  let best: Cand | undefined;
  let eligibleBest: Cand | undefined;
  let busiest: Cand | undefined;
  for (const k of cands) {
    // a rise from nothing (rel = ∞) names the mechanism only when it is a real part of the load: else
    // a first trickle of slow commands would outrank the dimension that actually moved (memory)
    if (!Number.isFinite(k.rel) && !meaningful(k)) continue;
    // the mechanism is the contended dimension where one tenant's share moved most: under contention
    // every time-based load inflates together (Little's law), only the antagonist's share grows
    if (k.contended && (!best || outranks(k, best))) best = k;
    if (k.contended && meaningful(k) && (!eligibleBest || outranks(k, eligibleBest))) eligibleBest = k;
    if (!busiest || k.rel > busiest.rel) busiest = k;
  }
  const suspectsAllowed = eligibleBest !== undefined;
  best = eligibleBest ?? best ?? busiest;
  const bd = best?.data;
  // a tenant whose own usage of the contended dimension surged is not a neighbour's victim
  // (its share must have grown too: under contention everyone's time-based load inflates)
  // (only a top riser can have: a rise of half minShareRise keeps a member in its point's top list)
  if (best) {
    const { data: bm, pf } = best;
    for (let q = 0; q < c.victims.length; q++) {
      const k = c.victims[q]!;
      victimMark[vT[k]!] = 1;
    }
    for (let e = 0; e < pf.top.length && pf.topRise[e]! >= minShareRise / 2; e++) {
      const i = pf.top[e]!;
      const t = bm.tid[i]!;
      if (!victimMark[t]) continue;
      const f = bm.fig.figure(i, j, pf);
      if (f.ratio >= 1.8 && f.z >= minZ) selfMark[t]! |= SELF_LOADED;
    }
    for (let q = 0; q < c.victims.length; q++) {
      const k = c.victims[q]!;
      victimMark[vT[k]!] = 0;
    }
  }
  // lock waits inside a tenant's own database are its own
  if (c.kind === 'postgres') {
    for (let q = 0; q < c.victims.length; q++) {
      const k = c.victims[q]!;
      const t = victimSeries[k]!.t;
      const li = lockSeries(c.id, t);
      if (li < 0) continue;
      const u = usageOf(all[li]!.values, j);
      const b = baselineOf(li, j);
      if (Number.isFinite(u) && Number.isFinite(b.center) && u - b.center >= 0.05 && u >= 2 * Math.max(b.center, 0.01)) selfMark[t]! |= LOCK_BOUND;
    }
  }
  const contended = best?.contended ?? false;
  const mechanismFarFromCapacity = best !== undefined && farFromCapacity(best) && HAS_LOAD.has(c.kind);
  const ranked = best ? topRisers(best.data, best.pf, minShareRise, (i) => best!.data.fig.figure(i, j, best!.pf)) : [];
  // on a time-based load a suspect must itself have added a real part of it (half what the dimension needs)
  // and, beside another suspect, not a small fraction of what that one added: one sample catching a
  // light tenant mid-query while the antagonist adds sessions is not a second antagonist
  let topLift = 0;
  if (best?.mech.load) for (const r of ranked) topLift = Math.max(topLift, r.u - r.ub);
  // Beside the top riser, another suspect's rise must show in both samples its usage is the mean of:
  // one sample catching a light tenant mid-query (its queries slowed by the antagonist) is half a
  // session in that mean, as much as the antagonist's own rise when a step holds few activity samples.
  // A second antagonist's sustained rise is in both, so it is named at the same point.
  // And its sessions must be its own demand (ownLift): a victim the antagonist slows holds more too.
  const liftOf = (r: RankedRow) => {
    if (r === ranked[0]) return r.u - r.ub;
    const v = bd!.values[r.i]!;
    return ownLift(best!.mech, c.id, r.tenant, j, Math.min(v[j]!, j > 0 ? v[j - 1]! : Number.NaN) - r.ub);
  };
  const liftOk = (r: RankedRow) => {
    if (!best!.mech.load) return true;
    const lift = liftOf(r);
    return liftShare(best!, lift) >= MIN_LOAD_LIFT / 2 && lift >= COMPARABLE_LIFT * topLift;
  };
  const suspects = contended && suspectsAllowed ? ranked.filter((r) => r.rise >= minShareRise && r.ratio >= 1.5 && r.z >= minZ && liftOk(r)) : [];
  const suspectIds = new Set(suspects.map((s) => s.tenant));
  for (const s of suspects) {
    const t = tenantIds.get(s.tenant);
    if (t !== undefined) selfMark[t]! |= SUSPECT;
  }
  const neighbourVictims: number[] = [];
  /** the neighbour victims' figures, shared by the detections of every suspect */
  let neighbourFigures: PointDetection['victimFigures'] | undefined;
  const selfInflicted: number[] = [];
  for (let q = 0; q < c.victims.length; q++) {
    const k = c.victims[q]!;
    (selfMark[victimSeries[k]!.t] ? selfInflicted : neighbourVictims).push(k);
  }
  const settledVictims = neighbourVictims.filter((k) => !soloNow[k]);
  const severityOf = (vs: readonly number[]): Severity => {
    let worst = Number.NEGATIVE_INFINITY;
    for (let q = 0; q < vs.length; q++) {
      const k = vs[q]!;
      worst = Math.max(worst, ratioNow[k]!);
    }
    return worst >= 3 || vs.length >= 5 ? 'critical' : worst >= minRatio ? 'warning' : 'info';
  };
  // victims go to mergeEpisodes as series indices (it builds what is published): no object per victim per point
  const ranking = ranked.slice(0, 5).map((r) => ({ tenant: r.tenant, score: Number(r.rise.toFixed(4)) }));
  const mechEvidence = best
    ? {
        type: 'resource',
        mechanism: best.mech.name,
        signal: best.mech.sub ? `${best.mech.signal}{${best.mech.sub}}` : best.mech.signal,
        totalObserved: best.total,
        totalBaseline: best.base,
        totalRise: Number.isFinite(best.rel) ? best.rel : null,
        ...(Number.isFinite(best.util) ? { utilisation: best.util } : {}),
      }
    : { type: 'resource', mechanism: null };
  if (suspects.length > 0 && neighbourVictims.length > 0) {
    for (const s of suspects) {
      const shareBase = best!.base > 0 ? s.ub / best!.base : 0;
      const dominance = Math.min(1, s.rise / 0.4);
      const gap = ranked.find((r) => !suspectIds.has(r.tenant));
      const separation = gap ? Math.min(1, Math.max(0, (s.rise - gap.rise) / Math.max(s.rise, 1e-9))) : 1;
      const confidence = Math.min(0.99, 0.35 + 0.2 * dominance + 0.15 * separation + 0.15 * Math.min(1, neighbourVictims.length / 3) + 0.14 * Math.min(1, best!.rel));
      detections.push({
        j,
        kind: 'noisy-neighbor',
        resourceKind: c.kind,
        resourceId: c.id,
        mechanism: best!.mech.name,
        mechanismFarFromCapacity,
        suspect: s.tenant,
        share: s.u / best!.total,
        baselineShare: shareBase,
        suspectSignal: best!.mech.sub ? `${best!.mech.signal}{wait_event_type="${best!.mech.sub}"}` : best!.mech.signal,
        ranking,
        victims: neighbourVictims,
        victimFigures: (neighbourFigures ??= victimFigures(neighbourVictims)),
        confidence,
        severity: severityOf(neighbourVictims),
        evidence: { ...mechEvidence, suspect: s.tenant, suspectObserved: s.u, suspectBaseline: s.ub, suspectRatio: s.ratio },
      });
    }
  } else if (settledVictims.length >= Math.max(3, Math.ceil(0.5 * members.length))) {
    detections.push({
      j,
      kind: 'platform-degradation',
      resourceKind: c.kind,
      resourceId: c.id,
      mechanism: contended ? best?.mech.name : undefined,
      mechanismFarFromCapacity,
      suspect: undefined,
      share: undefined,
      baselineShare: undefined,
      suspectSignal: undefined,
      ranking,
      victims: settledVictims,
      victimFigures: victimFigures(settledVictims),
      confidence: Math.min(0.95, 0.5 + 0.3 * (settledVictims.length / Math.max(1, members.length))),
      severity: severityOf(settledVictims),
      evidence: { ...mechEvidence, degradedTenants: settledVictims.length, members: members.length },
    });
  } else {
    for (let q = 0; q < settledVictims.length; q++) {
      const k = settledVictims[q]!;
      selfInflicted.push(k);
    }
  }
  for (let q = 0; q < selfInflicted.length; q++) {
    const k = selfInflicted[q]!;
    // one degraded point (named by corroboration only) is enough to blame a surging neighbour, not to call a tenant or the platform degraded
    if (soloNow[k]) continue;
    const tenant = victimSeries[k]!.tenant;
    const mark = selfMark[victimSeries[k]!.t]!;
    const lockBound = (mark & LOCK_BOUND) !== 0;
    const ownUsage = (mark & (SELF_LOADED | SUSPECT)) !== 0;
    detections.push({
      j,
      kind: 'tenant-degradation',
      resourceKind: c.kind,
      resourceId: c.id,
      mechanism: lockBound ? 'locks' : ownUsage ? best?.mech.name : undefined,
      mechanismFarFromCapacity: !lockBound && mechanismFarFromCapacity,
      suspect: undefined,
      share: undefined,
      baselineShare: undefined,
      suspectSignal: undefined,
      ranking: [],
      victims: [k],
      victimFigures: victimFigures([k]),
      confidence: lockBound || (mark & SELF_LOADED) !== 0 ? 0.8 : 0.6,
      severity: severityOf([k]),
      evidence: { type: 'self', tenant, cause: lockBound ? 'lock waits in its own database' : ownUsage ? 'its own usage surged' : 'no neighbour surged' },
    });
  }
  for (let q = 0; q < c.victims.length; q++) {
    const k = c.victims[q]!;
    selfMark[victimSeries[k]!.t] = 0;
  }
  for (const s of suspects) {
    const t = tenantIds.get(s.tenant);
    if (t !== undefined) selfMark[t] = 0;
  }
}

/** one victim signal of one tenant (tested at every point by testSeries) */
interface VictimSeries {
  tenant: string;
  /** the tenant's number in this detect() call */
  t: number;
  resource: string;
  signal: SignalName;
  family: 'pg' | 'ingress';
  /** its index in the range */
  si: number;
  values: Float64Array;
}

/** one victim test's figures at a point (scratch: read before the next test) */
const TEST = { ratio: 0, strength: 0 };

/** degraded runs of victim series, in the order they are logged: series, first point, end (exclusive) */
class RunLog {
  private log = new Int32Array(3 * 1024);
  private n = 0;

  add(k: number, a: number, b: number): void {
    if (this.n + 3 > this.log.length) {
      const grown = new Int32Array(this.log.length * 2);
      grown.set(this.log);
      this.log = grown;
    }
    this.log[this.n++] = k;
    this.log[this.n++] = a;
    this.log[this.n++] = b;
  }

  forEach(f: (k: number, a: number, b: number) => void): void {
    for (let x = 0; x < this.n; x += 3) f(this.log[x]!, this.log[x + 1]!, this.log[x + 2]!);
  }
}

/**
 * Victim series degraded per point, laid out by point (CSR): point j's entries are
 * [start[j], start[j + 1]), each a series (index into victimSeries), its ratio and strength (and its
 * run so far, where kept). Filled either by counting every point's entries first (count, layOut, put:
 * a point's entries in the order they are put) or in point order (append, with start set by the caller).
 */
class VictimPoints {
  readonly start: Int32Array;
  k = new Int32Array(0);
  ratio = new Float64Array(0);
  strength = new Float64Array(0);
  run: Int32Array | undefined;
  size = 0;
  private cursor: Int32Array | undefined;

  constructor(points: number, capacity = 0) {
    this.start = new Int32Array(points + 1);
    if (capacity > 0) this.allocate(capacity, false);
  }

  private allocate(n: number, withRun: boolean): void {
    this.k = new Int32Array(n);
    this.ratio = new Float64Array(n);
    this.strength = new Float64Array(n);
    if (withRun) this.run = new Int32Array(n);
  }

  /** one more entry at every point of [a, b) (before layOut) */
  count(a: number, b: number): void {
    if (b <= a) return;
    this.start[a]!++;
    this.start[b]!--;
  }

  /** turns the counts into offsets and makes room for every entry */
  layOut(withRun = false): void {
    const points = this.start.length - 1;
    const cursor = new Int32Array(points);
    let open = 0;
    let offset = 0;
    // start[] holds +1 where intervals begin and -1 where they end: open is the count at j
    for (let j = 0; j < points; j++) {
      open += this.start[j]!;
      this.start[j] = offset;
      cursor[j] = offset;
      offset += open;
    }
    this.start[points] = offset;
    this.cursor = cursor;
    this.size = offset;
    this.allocate(offset, withRun);
  }

  put(j: number, k: number, ratio: number, strength: number, run: number): void {
    const e = this.cursor![j]!++;
    this.k[e] = k;
    this.ratio[e] = ratio;
    this.strength[e] = strength;
    if (this.run) this.run[e] = run;
  }

  append(k: number, ratio: number, strength: number): void {
    const e = this.size++;
    this.k[e] = k;
    this.ratio[e] = ratio;
    this.strength[e] = strength;
  }
}

/** the victim series of one detect() call, for mergeEpisodes to read victims (series index and point) from */
interface VictimTable {
  series: readonly VictimSeries[];
  /** tenants numbered (VictimSeries.t < tenants) */
  tenants: number;
  /** the baseline victim series k was judged against at j */
  baseAt: (k: number, j: number) => number;
}

/**
 * An episode's victims: per tenant its strongest series and point (by observed/baseline), and whether
 * it was ever degraded for `persistence` points. Lists by first appearance; a tenant → position index
 * only once an episode has many victims (a cluster-wide contention), so a self-inflicted episode of
 * one tenant costs a few small arrays, not a few per fleet tenant.
 */
class EpisodeVictims {
  private readonly tenant: number[] = [];
  private readonly k: number[] = [];
  private readonly j: number[] = [];
  private readonly strength: number[] = [];
  private readonly settled: boolean[] = [];
  private settledCount = 0;
  private index: Int32Array | undefined;
  constructor(private readonly tenants: number) {}

  private positionOf(t: number): number {
    if (this.index) return this.index[t]!;
    return this.tenant.indexOf(t);
  }

  add(t: number, k: number, j: number, strength: number, settled: boolean): void {
    let p = this.positionOf(t);
    if (p < 0) {
      p = this.tenant.length;
      this.tenant.push(t);
      this.k.push(k);
      this.j.push(j);
      this.strength.push(strength);
      this.settled.push(false);
      if (this.index) this.index[t] = p;
      else if (this.tenant.length > 16) this.index = positions(this.tenant, this.tenants);
    } else if (strength > this.strength[p]!) {
      this.k[p] = k;
      this.j[p] = j;
      this.strength[p] = strength;
    }
    if (settled && !this.settled[p]) {
      this.settled[p] = true;
      this.settledCount++;
    }
  }

  /** what the finding names: the settled victims (all, while none is), strongest first (ties in order of appearance) */
  published(): { k: number; j: number }[] {
    const ps: number[] = [];
    for (let p = 0; p < this.tenant.length; p++) if (this.settledCount === 0 || this.settled[p]) ps.push(p);
    return ps.sort((a, b) => this.strength[b]! - this.strength[a]!).map((p) => ({ k: this.k[p]!, j: this.j[p]! }));
  }
}

/** positions by tenant id: index[id] = position in ids, -1 for a tenant not among them */
function positions(ids: readonly number[], tenants: number): Int32Array {
  const index = new Int32Array(tenants).fill(-1);
  ids.forEach((t, i) => (index[t] = i));
  return index;
}

/** a resource's members along one mechanism: their series and baselines, and their figures at the points attributed */
interface MechData {
  tenants: string[];
  /** the members' series indices in the range */
  idx: number[];
  values: Float64Array[];
  /** each member's tenant number in this detect() call */
  tid: Int32Array;
  /** the members' figures at the points attributed */
  fig: MemberFigures;
}

/**
 * A mechanism's figures at one point: the sums over its members with a usage and a baseline, how the
 * shares are judged there, and the members whose share rose (rise > 0), most first, ties in member
 * order — at most `top.length` of them, enough for every one anyone reads one by one (see topCapacity).
 */
interface PointFigures {
  rows: number;
  total: number;
  /** the members' baselines summed: their centers, or their means when every center is 0 (idle) */
  base: number;
  sdSq: number;
  /** every member mostly idle: baselines are the members' means, spreads at least their pooled sd */
  idle: boolean;
  /** a time-based load every member had none of, now taken: a share rise is the whole share */
  fromNothing: boolean;
  top: Int32Array;
  topRise: Float64Array;
}

/** one member's figures at a point (scratch: read before the next call) */
const FIG = { u: 0, ub: 0, ratio: 0, z: 0 };

/** a tenant's usage at j: the mean of the last two points, for robustness to one noisy sample (x - x is 0 exactly when x is finite) */
function usageOf(v: Float64Array, j: number): number {
  const a = v[j]!;
  const p = j > 0 ? v[j - 1]! : Number.NaN;
  const fa = a - a === 0;
  return fa && p - p === 0 ? (a + p) / 2 : fa ? a : p;
}

/**
 * How many top risers a point keeps: every member that rose by at least half of minShareRise (the
 * self-loaded test) and the ranking's six. Shares sum to 1, so with usage and baselines that are not
 * negative, positive rises sum to at most 1: no more than 2 / minShareRise members rise by half of it.
 * (MemberFigures.at() lists every riser where the list is full of such members anyway.)
 */
function topCapacity(members: number, minShareRise: number): number {
  return Math.min(members, Math.max(7, Math.ceil(2 / minShareRise) + 2));
}

/** inserts member i with rise r into a top list (n entries, capacity cap), most first, ties after; returns the new count */
function insertTop(top: Int32Array, topRise: Float64Array, n: number, cap: number, i: number, r: number): number {
  if (n === cap && !(r > topRise[cap - 1]!)) return n;
  let p = n === cap ? cap - 1 : n;
  while (p > 0 && topRise[p - 1]! < r) {
    top[p] = top[p - 1]!;
    topRise[p] = topRise[p - 1]!;
    p--;
  }
  top[p] = i;
  topRise[p] = r;
  return n === cap ? n : n + 1;
}

interface MemberFigures {
  /** the figures at a judged point j; undefined where no member has a usage and a baseline, the total is not positive, or the baselines sum to nothing on a count */
  at(j: number): PointFigures | undefined;
  /** member i's figures at j, judged as `pf` says (into FIG) */
  figure(i: number, j: number, pf: PointFigures): typeof FIG;
}

/** the points attribution judges (those with victims), ascending, and each point's row among them (-1: not judged) */
interface Judged {
  points: Int32Array;
  rowOf: Int32Array;
}

/** members by judged points per tile of the transpose */
const BLOCK = 32;
/** judged points transposed together: a block of rows, made when one of them is first judged (1 MB for 1,000 members) */
const ROWS = 128;

/**
 * Every member's usage (usageOf) at the points attribution judges (`judged`, ascending: the points with
 * victims) as rows of n, point-major. Tiled, so each series is read in order and each row written a
 * block at a time; a function of its own at module level, so its optimised code serves every detect() call.
 */
function transposeUsage(values: readonly Float64Array[], judged: Int32Array): Float64Array {
  const n = values.length;
  const R = judged.length;
  const u = new Float64Array(n * R);
  for (let i0 = 0; i0 < n; i0 += BLOCK) {
    const i1 = Math.min(n, i0 + BLOCK);
    for (let r0 = 0; r0 < R; r0 += BLOCK) {
      const r1 = Math.min(R, r0 + BLOCK);
      for (let i = i0; i < i1; i++) {
        const v = values[i]!;
        for (let r = r0; r < r1; r++) {
          // usageOf() inline: the mean of the last two points, either one alone when the other is missing
          const j = judged[r]!;
          const a = v[j]!;
          const p = j > 0 ? v[j - 1]! : Number.NaN;
          const fa = a - a === 0;
          u[r * n + i] = fa && p - p === 0 ? (a + p) / 2 : fa ? a : p;
        }
      }
    }
  }
  return u;
}

/**
 * A mechanism's members' figures at the attributed points: sums over every member, and the few members
 * whose share rose most. Read point by point from the series (one per member, each its own stretch of
 * memory), that is a cache and TLB miss per member per point — the cost that dominated analysis. So
 * every member's usage at the judged points is transposed into rows of n (point-major, transposeUsage),
 * ROWS judged points at a time when one of them is first judged, each series read in order; a point's
 * figures are then passes over one contiguous row (sums, the idle means where needed, the rises).
 * `bases`: one baseline per member for the whole window, or, with time-of-day slots, member i's at j.
 */
function memberFigures(values: readonly Float64Array[], judged: Judged, cap: number, halfRise: number, load: boolean, bases: readonly Baseline[] | ((i: number, j: number) => Baseline)): MemberFigures {
  const n = values.length;
  // the baselines' figures as typed arrays: once for the window, or refilled for each point judged (slots)
  const center = new Float64Array(n);
  const floor = new Float64Array(n);
  const sdSquared = new Float64Array(n);
  const sd = new Float64Array(n);
  const mean = new Float64Array(n);
  const fill = (b: Baseline, i: number) => {
    center[i] = Number.isFinite(b.center) ? b.center : Number.NaN;
    floor[i] = zFloor(b, load);
    sd[i] = b.sd ?? 0;
    sdSquared[i] = sd[i]! ** 2;
    mean[i] = b.mean ?? 0;
  };
  const slotted = typeof bases === 'function' ? bases : undefined;
  if (!slotted) (bases as readonly Baseline[]).forEach(fill);
  /** the point the arrays hold the baselines of (slots only) */
  let basesOf = -1;
  const basesAt = (j: number) => {
    if (!slotted || basesOf === j) return;
    for (let i = 0; i < n; i++) fill(slotted(i, j), i);
    basesOf = j;
  };
  /** the transposed rows, ROWS judged points per block, each made when a point in it is first judged along this mechanism */
  const blocks: (Float64Array | undefined)[] = [];
  const rowsAt = (j: number): { u: Float64Array; row: number } => {
    const r = judged.rowOf[j]!;
    const b = (r / ROWS) | 0;
    const u = (blocks[b] ??= transposeUsage(values, judged.points.subarray(b * ROWS, (b + 1) * ROWS)));
    return { u, row: (r - b * ROWS) * n };
  };

  /** the figures at j from its row, keeping at most `capacity` top risers */
  const figures = (u: Float64Array, row: number, capacity: number): PointFigures | undefined => {
    // sums, members in order (the figures are the same, to the last bit, as a member loop over the series)
    let rows = 0;
    let total = 0;
    let base = 0;
    for (let i = 0; i < n; i++) {
      const c = center[i]!;
      const x = u[row + i]!;
      if (c !== c || !(x - x === 0)) continue;
      rows++;
      total += x;
      base += c;
    }
    const idle = !(base > 0) && rows > 0;
    // where every center is 0 (mostly idle members), their means and sd² too
    let sdSq = 0;
    let meanSum = 0;
    if (idle) {
      for (let i = 0; i < n; i++) {
        const c = center[i]!;
        const x = u[row + i]!;
        if (c !== c || !(x - x === 0)) continue;
        sdSq += sdSquared[i]!;
        meanSum += mean[i]!;
      }
    }
    const effective = idle ? meanSum : base;
    const fromNothing = rows > 0 && !(effective > 0) && load;
    if (rows === 0 || !(total > 0) || (!(effective > 0) && !fromNothing)) return undefined;
    // rises and the top risers
    const top = new Int32Array(capacity);
    const topRise = new Float64Array(capacity);
    let count = 0;
    for (let i = 0; i < n; i++) {
      const c = center[i]!;
      const x = u[row + i]!;
      if (c !== c || !(x - x === 0)) continue;
      const r = fromNothing ? x / total : idle ? (x - mean[i]!) / total : x / total - c / base;
      if (r > 0) count = insertTop(top, topRise, count, capacity, i, r);
    }
    return { rows, total, base: effective, sdSq, idle, fromNothing, top: top.subarray(0, count), topRise: topRise.subarray(0, count) };
  };

  return {
    at(j) {
      basesAt(j);
      const { u, row } = rowsAt(j);
      const pf = figures(u, row, cap);
      // more members rose by half of minShareRise than the list holds (only negative usage or baselines allow it): every riser
      if (pf && pf.top.length === cap && cap < n && pf.topRise[cap - 1]! >= halfRise) return figures(u, row, n);
      return pf;
    },
    figure(i, j, pf) {
      basesAt(j);
      const { u: rows, row } = rowsAt(j);
      const u = rows[row + i]!;
      FIG.u = u;
      if (pf.idle) {
        const m = mean[i]!;
        FIG.ub = m;
        FIG.ratio = u / Math.max(m, 1e-12);
        FIG.z = (u - m) / Math.max(sd[i]!, Math.sqrt(pf.sdSq / pf.rows), 0.05 * Math.abs(m), 1e-9);
      } else {
        const c = center[i]!;
        FIG.ub = c;
        FIG.ratio = u / (c > 1e-12 ? c : 1e-12);
        FIG.z = (u - c) / floor[i]!;
      }
      return FIG;
    },
  };
}

interface RankedRow {
  /** the member's position in its MechData */
  i: number;
  tenant: string;
  u: number;
  ub: number;
  rise: number;
  ratio: number;
  z: number;
}

/**
 * The members whose share rose, most first (ties in member order), as far as anyone reads them:
 * every one that rose by at least minShareRise (the only possible suspects), then at least one more
 * (the runner-up a suspect's separation is measured against), and never fewer than six (the ranking
 * shows five).
 */
function topRisers(m: MechData, pf: PointFigures, minShareRise: number, figure: (i: number) => typeof FIG): RankedRow[] {
  let candidates = 0;
  while (candidates < pf.top.length && pf.topRise[candidates]! >= minShareRise) candidates++;
  const k = Math.min(pf.top.length, Math.max(5, candidates) + 1);
  const rows: RankedRow[] = [];
  for (let e = 0; e < k; e++) {
    const i = pf.top[e]!;
    const f = figure(i);
    rows.push({ i, tenant: m.tenants[i]!, u: f.u, ub: f.ub, rise: pf.topRise[e]!, ratio: f.ratio, z: f.z });
  }
  return rows;
}

/** what makes two detections one episode: kind, resource and who (the suspect, or the degraded tenant) */
export function episodeKey(kind: string, resourceKind: string, resourceId: string, who: string): string {
  return `${kind}|${resourceKind}|${resourceId}|${who}`;
}

/** who an episode is about: the suspect of a noisy neighbour, the tenant of a self-inflicted degradation */
export function episodeWho(f: Pick<Finding, 'kind' | 'suspect' | 'victims'>): string {
  return f.kind === 'noisy-neighbor' ? (f.suspect?.tenant ?? '') : f.kind === 'tenant-degradation' ? (f.victims[0]?.tenant ?? '') : '';
}

/**
 * The start bucket (5 min) keeps the id stable across re-analysis of overlapping windows (a window edge
 * may clip the start). A second episode of the same key starting in the same bucket takes its id from
 * its exact start instead (`exact`): its start is not clipped while the first one precedes it.
 */
function episodeId(kind: string, resourceKind: string, resourceId: string, who: string, startMs: number, exact = false): string {
  const when = exact ? `t${startMs}` : String(Math.floor(startMs / 300_000));
  return createHash('sha256').update(`${episodeKey(kind, resourceKind, resourceId, who)}|${when}`).digest('hex').slice(0, 16);
}

/** an episode's points that named one mechanism: its votes, and the points whose figures are published when it wins */
interface MechanismVotes {
  /** points that named it with a load, or a count near its capacity, behind it */
  votes: number;
  /** points that named it only as a count far below its limit, before any load had moved */
  weakVotes: number;
  first: PointDetection;
  latest: PointDetection;
  shareSum: number;
}

/**
 * The mechanism an episode is published with: the one most of its points named. A point that named a
 * count far below its limit (connections at 2 % of max_connections) only because no load had moved
 * yet — a gauge moves at once, a sampled rate one step later — counts only when no point named a load.
 */
function winningMechanism(m: ReadonlyMap<string, MechanismVotes>): [string, MechanismVotes] | undefined {
  let won: [string, MechanismVotes] | undefined;
  for (const entry of m) {
    const [, v] = entry;
    if (!won || v.votes > won[1].votes || (v.votes === won[1].votes && v.weakVotes > won[1].weakVotes)) won = entry;
  }
  return won;
}

function mergeEpisodes(ds: PointDetection[], range: SignalRange, W: number, gap: number, onsetBack: Int32Array, topology: Topology, vt: VictimTable): DetectResult {
  const { startMs, stepMs, points } = range;
  const vs = vt.series;
  interface Open {
    first: PointDetection;
    last: number;
    count: number;
    victims: EpisodeVictims;
    confidence: number;
    severity: Severity;
    mechanisms: Map<string, MechanismVotes>;
    latest: PointDetection;
  }
  const open = new Map<string, Open>();
  const closed: Open[] = [];
  const sev = { info: 0, warning: 1, critical: 2 } as const;
  for (const d of ds) {
    const who = d.kind === 'noisy-neighbor' ? d.suspect! : d.kind === 'tenant-degradation' ? vs[d.victims[0]!]!.tenant : '';
    const key = episodeKey(d.kind, d.resourceKind, d.resourceId, who);
    let e = open.get(key);
    if (e && d.j - e.last > gap + 1) {
      closed.push(e);
      e = undefined;
    }
    if (!e) {
      e = {
        first: d,
        last: d.j,
        count: 0,
        victims: new EpisodeVictims(vt.tenants),
        confidence: 0,
        severity: 'info',
        mechanisms: new Map(),
        latest: d,
      };
      open.set(key, e);
    }
    e.last = d.j;
    e.count++;
    e.latest = d;
    e.confidence = Math.max(e.confidence, d.confidence);
    if (sev[d.severity] > sev[e.severity]) e.severity = d.severity;
    if (d.mechanism) {
      let m = e.mechanisms.get(d.mechanism);
      if (!m) e.mechanisms.set(d.mechanism, (m = { votes: 0, weakVotes: 0, first: d, latest: d, shareSum: 0 }));
      if (d.mechanismFarFromCapacity) m.weakVotes++;
      else m.votes++;
      m.latest = d;
      m.shareSum += d.share ?? 0;
    }
    const j = d.j;
    const { strength, solo } = d.victimFigures;
    for (let x = 0; x < d.victims.length; x++) {
      const k = d.victims[x]!;
      e.victims.add(vs[k]!.t, k, j, strength[x]!, solo[x] === 0);
    }
  }
  closed.push(...open.values());
  const findings: Finding[] = [];
  const detectedAtMs = new Map<string, number>();
  // episodes of one key are in `closed` in time order: the first in a bucket keeps the bucket's id
  const usedIds = new Set<string>();
  for (const e of closed) {
    const d = e.first;
    // the onset is the first degraded point: persistence-1 points before the first detection, or
    // fewer when corroboration named the victims sooner
    const startT = startMs + Math.max(W, d.j - onsetBack[d.j]!) * stepMs;
    const ended = e.last < points - 1 - gap;
    const who = d.kind === 'noisy-neighbor' ? d.suspect! : d.kind === 'tenant-degradation' ? vs[d.victims[0]!]!.tenant : '';
    let id = episodeId(d.kind, d.resourceKind, d.resourceId, who, startT);
    if (usedIds.has(id)) id = episodeId(d.kind, d.resourceKind, d.resourceId, who, startT, true);
    usedIds.add(id);
    const won = winningMechanism(e.mechanisms);
    const mechanism = won?.[0];
    // the suspect's figures, ranking and resource evidence are those of the points that named the mechanism
    const shown = won?.[1];
    const suspectPoint = shown?.first ?? d;
    // a tenant named by corroboration only, and never degraded for long, is left out once the episode has settled victims
    const victims = e.victims.published().map(({ k, j }) => {
      const v = vs[k]!;
      return { tenant: v.tenant, signal: v.signal, baseline: vt.baseAt(k, j), observed: v.values[j]! };
    });
    const confidence = Math.min(0.99, e.confidence * (e.count >= 4 ? 1 : 0.85 + 0.05 * e.count));
    const f: Finding = {
      id,
      kind: d.kind,
      resource: { kind: d.resourceKind, id: d.resourceId, ...(mechanism ? { mechanism } : {}) },
      start: new Date(startT).toISOString(),
      end: ended ? new Date(startMs + (e.last + 1) * stepMs).toISOString() : null,
      suspect:
        d.kind === 'noisy-neighbor'
          ? {
              tenant: d.suspect!,
              // every noisy-neighbor point names its mechanism: `shown` is always there for one
              share: round(shown ? shown.shareSum / (shown.votes + shown.weakVotes) : 0),
              baselineShare: round(suspectPoint.baselineShare ?? 0),
              signal: suspectPoint.suspectSignal ?? '',
            }
          : null,
      victims,
      confidence: round(confidence),
      severity: e.severity,
      evidence: [
        (shown?.latest ?? e.latest).evidence,
        ...victims.slice(0, 10).map((v) => ({ type: 'victim', tenant: v.tenant, signal: v.signal, baseline: v.baseline, observed: v.observed })),
        { type: 'detection', points: e.count, stepSeconds: stepMs / 1000, firstDetectedAt: new Date(startMs + d.j * stepMs).toISOString() },
      ],
      ranking: suspectPoint.ranking,
      summary: summary(d.kind, d.resourceKind, d.resourceId, mechanism, d.suspect, victims.map((v) => v.tenant), startT, confidence),
    };
    findings.push(f);
    detectedAtMs.set(id, startMs + d.j * stepMs);
  }
  findings.sort((a, b) => a.start.localeCompare(b.start) || a.id.localeCompare(b.id));
  return { topology, findings, detectedAtMs };
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}

function summary(kind: FindingKind, rk: string, rid: string, mech: string | undefined, suspect: string | undefined, victims: string[], startMs: number, conf: number): string {
  const since = new Date(startMs).toISOString().slice(11, 16);
  const vs = victims.slice(0, 3).join(', ') + (victims.length > 3 ? ` and ${victims.length - 3} more` : '');
  const via = mech ? ` through ${mech}` : '';
  if (kind === 'noisy-neighbor') return `${suspect} slowed ${vs} on ${rk} ${rid}${via}, since ${since} UTC, confidence ${conf.toFixed(2)}`;
  if (kind === 'platform-degradation') return `${rk} ${rid} degraded for ${vs} with no tenant to blame${via}, since ${since} UTC`;
  return `${vs} degraded on ${rk} ${rid} by its own doing${mech ? ` (${mech})` : ''}, since ${since} UTC`;
}

/**
 * Workload bands low/medium/high from volume (peak requests/s and transactions/s), burstiness
 * (peak-to-median) and resource share. Thresholds come from config, or are learned from the fleet
 * (1-D k-means on log peak volume: bands are relative to the platform's own tenants). Hysteresis:
 * a tenant changes band only when its volume clears the boundary by a margin, so it does not flap
 * around it. A band that disagrees with the tenant's tier (high on shared, low on dedicated) is
 * flagged as a mismatch.
 */
import { kthSmallest } from './baseline.js';
import { RESOURCE_SERIES, type SignalRange } from './signals/index.js';
import type { BandLevel, BandResult, Tier } from './types.js';

export interface BandThresholds {
  /** peak requests/s at or above which a tenant is high */
  highRps: number;
  /** peak requests/s below which a tenant is low */
  lowRps: number;
}

export interface BandState {
  band: BandLevel;
  sinceMs: number;
}

export interface BandOptions {
  thresholds?: BandThresholds;
  /** relative margin a volume must clear a boundary by to change band (hysteresis); default 0.15 */
  margin?: number;
  tierOf?: (tenant: string) => Tier | undefined;
  nowMs: number;
}

/**
 * Boundaries (in requests/s) between three classes of log peak volume: natural gaps when clear, else the optimal 1-D partition
 * (least within-class squared error over every pair of cut points — Jenks natural breaks), each
 * boundary halfway between the classes in log space. Undefined when the fleet is too small.
 */
export function learnThresholds(volumes: number[]): BandThresholds | undefined {
  const xs = volumes.filter((v) => v > 0 && Number.isFinite(v)).map(Math.log).sort((a, b) => a - b);
  const n = xs.length;
  if (n < 6) return undefined;
  // Natural gaps first: when the fleet's volumes fall into groups separated by clear gaps (≥ 1.5×),
  // the two widest gaps are the boundaries, however few tenants a group has (one big tenant is
  // still "high"). Otherwise the least-squares partition below.
  const gaps = xs.slice(1).map((x, i) => ({ i: i + 1, gap: x - xs[i]! })).sort((a, b) => b.gap - a.gap);
  if (gaps.length >= 2 && gaps[1]!.gap >= Math.log(1.5) && gaps[1]!.gap >= 2 * (gaps[2]?.gap ?? 0)) {
    const [a, b] = [gaps[0]!.i, gaps[1]!.i].sort((x, y) => x - y) as [number, number];
    return { lowRps: Math.exp((xs[a - 1]! + xs[a]!) / 2), highRps: Math.exp((xs[b - 1]! + xs[b]!) / 2) };
  }
  const pre = [0];
  const pre2 = [0];
  for (const x of xs) {
    pre.push(pre[pre.length - 1]! + x);
    pre2.push(pre2[pre2.length - 1]! + x * x);
  }
  // sse of xs[i..j)
  const sse = (i: number, j: number) => {
    const s = pre[j]! - pre[i]!;
    return pre2[j]! - pre2[i]! - (s * s) / (j - i);
  };
  let best = { cost: Number.POSITIVE_INFINITY, a: 1, b: 2 };
  for (let a = 1; a < n - 1; a++) {
    for (let b = a + 1; b < n; b++) {
      const cost = sse(0, a) + sse(a, b) + sse(b, n);
      if (cost < best.cost) best = { cost, a, b };
    }
  }
  return { lowRps: Math.exp((xs[best.a - 1]! + xs[best.a]!) / 2), highRps: Math.exp((xs[best.b - 1]! + xs[best.b]!) / 2) };
}

/** what a tenant's band is decided from: its features, and whether its volume is requests or transactions */
export interface TenantBandFeatures {
  basis: 'requests' | 'transactions';
  features: Record<string, number>;
}

/** bands of a whole range: features of every tenant, then one classification over the fleet */
export function computeBands(range: SignalRange, state: Map<string, BandState>, opts: BandOptions): BandResult[] {
  return classifyBands(bandFeatures(range), state, opts);
}

/**
 * Features of every tenant in `range`. Volume and burstiness are per tenant; resource shares are
 * relative to everyone on the node / cluster, so they are taken from `sharesFrom` when given (the live
 * loop refreshes a slice of tenants from their history, and the shares from the window every tenant
 * is in).
 */
export function bandFeatures(range: SignalRange, sharesFrom?: SignalRange): Map<string, TenantBandFeatures> {
  const own = bandInputs(range);
  // from `sharesFrom` (the live loop's whole window) only the totals and this slice's tenants are read
  const shareInputs = sharesFrom ? bandInputs(sharesFrom, own.perTenant) : own;
  // finite values as a typed array, for quantiles by selection: into one of two scratch buffers
  // (volume and transactions are alive at once), not an allocation per tenant
  const scratch = [new Float64Array(range.points), new Float64Array(range.points)] as const;
  const finite = (v: Float64Array | undefined, slot: 0 | 1): Float64Array => {
    if (!v) return scratch[slot].subarray(0, 0);
    const out = v.length <= range.points ? scratch[slot] : new Float64Array(v.length);
    let n = 0;
    for (let i = 0; i < v.length; i++) {
      const x = v[i]!;
      if (x - x === 0) out[n++] = x;
    }
    return out.subarray(0, n);
  };
  // the value a sort would put at rank ceil(p·n) - 1, by selection (no sort of every tenant's series)
  const rank = (n: number, p: number) => Math.min(n - 1, Math.max(0, Math.ceil(p * n) - 1));
  const q = (s: Float64Array, p: number) => (s.length === 0 ? Number.NaN : kthSmallest(s, rank(s.length, p)));
  /** q(s, 0.5) and q(s, 0.95) together: the median's selection leaves the upper half above it, so the p95 searches only that half */
  const medianAndP95 = (s: Float64Array): [number, number] => {
    if (s.length === 0) return [Number.NaN, Number.NaN];
    const m = rank(s.length, 0.5);
    const k = rank(s.length, 0.95);
    const median = kthSmallest(s, m);
    return [median, k > m ? kthSmallest(s, k, s.length, m + 1) : median];
  };
  const out = new Map<string, TenantBandFeatures>();
  for (const [tenant, e] of own.perTenant) {
    // volume: requests/s at the ingress; a fleet (or tenant) without ingress signals is banded by
    // PostgreSQL transactions/s instead, against thresholds learned among those tenants only
    const rps = finite(e.rps, 0);
    const basis: 'requests' | 'transactions' = rps.length > 0 ? 'requests' : 'transactions';
    const vol = basis === 'requests' ? rps : finite(e.tps, 0);
    if (vol.length === 0) continue;
    const [median, peak] = medianAndP95(vol);
    // shares from `sharesFrom` count for a tenant with volume there, as its features there would
    const se = shareInputs.perTenant.get(tenant);
    const shares = se && (shareInputs === own || hasVolume(se)) ? sharesOf(shareInputs, se) : { cpu: Number.NaN, pg: Number.NaN };
    const features = {
      ...(basis === 'requests' ? { peakRequestsPerSecond: peak, medianRequestsPerSecond: median } : { medianTransactionsPerSecond: median }),
      peakTransactionsPerSecond: q(finite(e.tps, 1), 0.95),
      burstinessPeakToMedian: median > 0 ? peak / median : Number.NaN,
      nodeCpuShare: shares.cpu,
      postgresLoadShare: shares.pg,
    };
    out.set(tenant, { basis, features });
  }
  return out;
}

/** a tenant's series a band reads */
interface TenantInputs {
  rps?: Float64Array;
  tps?: Float64Array;
  cpu?: Float64Array;
  node?: string;
  load: Float64Array[];
}

/** every tenant's band inputs in a range, and the totals its shares are of (per node, per cluster) */
function bandInputs(range: SignalRange, only?: ReadonlyMap<string, unknown>): { points: number; perTenant: Map<string, TenantInputs>; nodeTotals: Map<string, Float64Array>; pgTotals: Float64Array } {
  const perTenant = new Map<string, TenantInputs>();
  const nodeTotals = new Map<string, Float64Array>();
  const pgTotals = new Float64Array(range.points);
  for (const s of range.series) {
    if (s.tenant === RESOURCE_SERIES) continue;
    // the totals count every tenant; only a tenant in `only` needs inputs of its own
    let e: TenantInputs | undefined;
    if (!only || only.has(s.tenant)) {
      e = perTenant.get(s.tenant);
      if (!e) perTenant.set(s.tenant, (e = { load: [] }));
    }
    const values = s.values as Float64Array;
    if (s.signal === 'ingress.request_rate') {
      if (e) e.rps = values;
    } else if (s.signal === 'postgres.tps') {
      if (e) e.tps = values;
    } else if (s.signal === 'node.cpu_cores') {
      if (e) {
        e.cpu = values;
        e.node = s.resource;
      }
      let tot = nodeTotals.get(s.resource);
      if (!tot) nodeTotals.set(s.resource, (tot = new Float64Array(range.points)));
      addFinite(tot, values);
    } else if (s.signal === 'postgres.load_sessions') {
      e?.load.push(values);
      addFinite(pgTotals, values);
    }
  }
  return { points: range.points, perTenant, nodeTotals, pgTotals };
}

/** adds the finite values of `v` into `total`, point by point (the first `points`, default all) */
function addFinite(total: Float64Array, v: Float64Array, points = total.length): void {
  for (let i = 0; i < points; i++) {
    const x = v[i]!;
    // finite: x - x is 0 exactly then
    if (x - x === 0) total[i]! += x;
  }
}

/** whether a tenant has a known request or transaction rate (what its volume is taken from) */
function hasVolume(e: TenantInputs): boolean {
  for (const v of [e.rps, e.tps]) if (v) for (let i = 0; i < v.length; i++) if (Number.isFinite(v[i]!)) return true;
  return false;
}

/** a tenant's mean share of its node's CPU and of its cluster's wait load, over the points where the total is known */
function sharesOf(inputs: ReturnType<typeof bandInputs>, e: TenantInputs): { cpu: number; pg: number } {
  let cpu = Number.NaN;
  if (e.cpu && e.node) {
    const tot = inputs.nodeTotals.get(e.node)!;
    let sum = 0;
    let n = 0;
    for (let i = 0; i < inputs.points; i++) {
      const c = e.cpu[i]!;
      if (c - c === 0 && tot[i]! > 0) {
        sum += c / tot[i]!;
        n++;
      }
    }
    cpu = n ? sum / n : Number.NaN;
  }
  let pg = Number.NaN;
  const load = e.load;
  if (load.length) {
    const tot = inputs.pgTotals;
    let sum = 0;
    let n = 0;
    // at each point with a known total: the tenant's finite loads added in its wait types' order
    // (one pass over its series together, no per-tenant array)
    for (let i = 0; i < inputs.points; i++) {
      const t = tot[i]!;
      if (!(t > 0)) continue;
      let mine = 0;
      for (let w = 0; w < load.length; w++) {
        const x = load[w]![i]!;
        if (x - x === 0) mine += x;
      }
      sum += mine / t;
      n++;
    }
    pg = n ? sum / n : Number.NaN;
  }
  return { cpu, pg };
}

/** bands from tenants' features: thresholds (configured or learned from the fleet), hysteresis, tier mismatch */
export function classifyBands(all: ReadonlyMap<string, TenantBandFeatures>, state: Map<string, BandState>, opts: BandOptions): BandResult[] {
  const margin = opts.margin ?? 0.15;
  const features = new Map<string, Record<string, number>>();
  const basisOf = new Map<string, 'requests' | 'transactions'>();
  for (const [t, f] of all) {
    features.set(t, f.features);
    basisOf.set(t, f.basis);
  }
  const byBasis = (b: 'requests' | 'transactions') => [...features].filter(([t]) => basisOf.get(t) === b).map(([, f]) => (b === 'requests' ? f.peakRequestsPerSecond! : f.peakTransactionsPerSecond!));
  const thresholdsFor = {
    requests: opts.thresholds ?? learnThresholds(byBasis('requests')) ?? { lowRps: 4, highRps: 20 },
    // configured thresholds are in requests/s: transactions get their own, learned from the fleet
    transactions: learnThresholds(byBasis('transactions')) ?? { lowRps: 2, highRps: 20 },
  };
  const out: BandResult[] = [];
  for (const [tenant, f] of [...features.entries()].sort((a, b) => byLocale.compare(a[0], b[0]))) {
    const basis = basisOf.get(tenant)!;
    const th = thresholdsFor[basis];
    const v = basis === 'requests' ? f.peakRequestsPerSecond! : f.peakTransactionsPerSecond!;
    const prev = state.get(tenant);
    const raw: BandLevel = v >= th.highRps ? 'high' : v < th.lowRps ? 'low' : 'medium';
    let band = raw;
    if (prev && prev.band !== raw) {
      // hysteresis: leave the current band only when clear of its boundary by the margin
      const order = { low: 0, medium: 1, high: 2 } as const;
      const up = order[raw] > order[prev.band];
      const boundary = up ? (prev.band === 'low' ? th.lowRps : th.highRps) : prev.band === 'high' ? th.highRps : th.lowRps;
      const clear = up ? v >= boundary * (1 + margin) : v < boundary * (1 - margin);
      if (!clear) band = prev.band;
    }
    const changed = !prev || prev.band !== band;
    const since = changed ? opts.nowMs : prev.sinceMs;
    state.set(tenant, { band, sinceMs: since });
    const tier = opts.tierOf?.(tenant) ?? null;
    out.push({
      tenant,
      band,
      previous: changed && prev ? prev.band : null,
      since: new Date(since).toISOString(),
      features: {
        ...Object.fromEntries(Object.entries(f).filter(([, x]) => Number.isFinite(x))),
        ...(basis === 'requests'
          ? { lowThresholdRequestsPerSecond: th.lowRps, highThresholdRequestsPerSecond: th.highRps }
          : { lowThresholdTransactionsPerSecond: th.lowRps, highThresholdTransactionsPerSecond: th.highRps }),
      },
      tier,
      mismatch: (band === 'high' && tier === 'shared') || (band === 'low' && tier === 'dedicated'),
    });
  }
  return out;
}

/** the order localeCompare gives, without building a collator per comparison */
const byLocale = new Intl.Collator();


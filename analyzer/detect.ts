/**
 * Detection and attribution over one signal range: who hurts whom, on what, how sure.
 *
 * For every point of the window:
 *  1. victims — tenants whose harm signals (query latency, ingress p95, error ratio) deviate from
 *     their robust baseline for two consecutive points (a single spike is not an incident);
 *  2. the shared resource that explains them — a PostgreSQL cluster when their query latency is up,
 *     the Redis instance when its canary stalls, else the ingress when victims span several nodes,
 *     else their node;
 *  3. the mechanism — the usage dimension of that resource whose fleet total surged most (cpu,
 *     memory, io, wal, connections, command-time, requests);
 *  4. suspects — co-tenants whose SHARE of that dimension rose far above their baseline share.
 *     Share, not raw usage: under contention everyone's active-session load inflates (Little's law),
 *     while only the antagonist's share grows.
 * A tenant whose own usage surged, or whose own lock waits explain its slowness, is never a victim
 * of a neighbour (tenant-degradation instead); a surge that degrades no one raises nothing.
 * Per-point detections are then merged into episodes with stable ids.
 */
import { createHash } from 'node:crypto';
import { RESOURCE_SERIES, type Series, type SignalName, type SignalRange } from './signals/index.js';
import { robust, slotBaselines, type Baseline } from './baseline.js';
import type { Finding, FindingKind, ResourceKind, Severity, Victim } from './types.js';
import { UNATTRIBUTED_TENANT } from '../tenancy/index.js';

export interface DetectOptions {
  /** index of the first point of the window inside the range (points before it are history) */
  windowStart: number;
  /** how much recent history the fallback baseline uses */
  recentBaselineMs?: number;
  /** victim thresholds: observed/baseline ratio and robust z */
  minRatio?: number;
  minZ?: number;
  /** minimum rise of a suspect's share of the contended dimension */
  minShareRise?: number;
  /** consecutive degraded points before a tenant counts as a victim */
  persistence?: number;
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

/** who shares which node, PostgreSQL cluster, Redis instance and ingress — from the signals' labels */
export function buildTopology(series: readonly Series[]): Topology {
  const topo: Topology = { node: new Map(), postgres: new Map(), redis: new Map(), ingress: new Map(), of: new Map() };
  const seen = new Set<string>();
  for (const s of series) {
    if (s.tenant === RESOURCE_SERIES) continue;
    for (const kind of Object.keys(TOPOLOGY_SIGNALS) as ResourceKind[]) {
      if (!TOPOLOGY_SIGNALS[kind].includes(s.signal)) continue;
      const k = `${kind}\u0001${s.resource}\u0001${s.tenant}`;
      if (seen.has(k)) continue;
      seen.add(k);
      const m = topo[kind];
      const list = m.get(s.resource) ?? [];
      list.push(s.tenant);
      m.set(s.resource, list);
      let of = topo.of.get(s.tenant);
      if (!of) topo.of.set(s.tenant, (of = { node: [], postgres: [], redis: [], ingress: [] }));
      of[kind].push(s.resource);
    }
  }
  for (const kind of ['node', 'postgres', 'redis', 'ingress'] as const) for (const list of topo[kind].values()) list.sort();
  return topo;
}

interface Mech {
  name: string;
  signal: SignalName;
  sub: string;
  capacity?: SignalName;
}

const MECHANISMS: Record<ResourceKind, Mech[]> = {
  node: [
    { name: 'cpu', signal: 'node.cpu_cores', sub: '', capacity: 'node.cpu_allocatable_cores' },
    { name: 'memory', signal: 'node.memory_bytes', sub: '', capacity: 'node.memory_allocatable_bytes' },
  ],
  postgres: [
    { name: 'cpu', signal: 'postgres.load_sessions', sub: 'CPU' },
    { name: 'io', signal: 'postgres.load_sessions', sub: 'IO' },
    { name: 'wal', signal: 'postgres.load_sessions', sub: 'LWLock' },
    { name: 'connections', signal: 'postgres.connections', sub: '', capacity: 'postgres.max_connections' },
  ],
  redis: [
    { name: 'command-time', signal: 'redis.command_seconds_rate', sub: '' },
    { name: 'memory', signal: 'redis.memory_bytes', sub: '', capacity: 'redis.max_memory_bytes' },
  ],
  ingress: [{ name: 'requests', signal: 'ingress.request_rate', sub: '' }],
};

const VICTIM_SIGNALS: SignalName[] = ['postgres.mean_query_seconds', 'ingress.p95_latency_seconds', 'ingress.error_ratio'];

export interface PointDetection {
  j: number;
  kind: FindingKind;
  resourceKind: ResourceKind;
  resourceId: string;
  mechanism: string | undefined;
  suspect: string | undefined;
  share: number | undefined;
  baselineShare: number | undefined;
  suspectSignal: string | undefined;
  ranking: { tenant: string; score: number }[];
  victims: Victim[];
  confidence: number;
  severity: Severity;
  evidence: Record<string, unknown>;
}

export interface DetectResult {
  topology: Topology;
  findings: Finding[];
  /** first detection time per finding id (ms), for time-to-detect */
  detectedAtMs: Map<string, number>;
}

const DAY = 86_400_000;

export function detect(range: SignalRange, opts: DetectOptions): DetectResult {
  const W = Math.max(0, Math.min(opts.windowStart, range.points));
  const minRatio = opts.minRatio ?? 1.5;
  const minZ = opts.minZ ?? 4;
  const minShareRise = opts.minShareRise ?? 0.08;
  const persistence = opts.persistence ?? 2;
  const gapTolerance = opts.gapTolerance ?? 4;
  const recentMs = opts.recentBaselineMs ?? 2 * 3_600_000;
  const { startMs, stepMs, points } = range;
  const topo = buildTopology(range.series);

  const tenantSeries = new Map<string, Float64Array>();
  const resourceSeries = new Map<string, Float64Array>();
  for (const s of range.series) {
    const k = `${s.signal}\u0001${s.sub}\u0001${s.tenant}\u0001${s.resource}`;
    if (s.tenant === RESOURCE_SERIES) resourceSeries.set(`${s.signal}\u0001${s.resource}`, s.values as Float64Array);
    else tenantSeries.set(k, s.values as Float64Array);
  }
  const get = (signal: SignalName, sub: string, tenant: string, resource: string) => tenantSeries.get(`${signal}\u0001${sub}\u0001${tenant}\u0001${resource}`);

  // baselines from the history before the window (slot by hour-of-day when it covers ≥ 2 days)
  const baselineCache = new Map<Float64Array, { recent: Baseline; byHour: (Baseline | undefined)[] }>();
  const useSlots = W * stepMs >= 2 * DAY;
  const shared = useSlots ? undefined : opts.baselineCache;
  // series keys only when a shared cache needs them, and only for series actually consulted
  const seriesOf = shared ? new Map(range.series.map((s) => [s.values as Float64Array, s])) : undefined;
  const baselineOf = (values: Float64Array, j: number): Baseline => {
    let b = baselineCache.get(values);
    if (!b) {
      const s = seriesOf?.get(values);
      const k = s ? `${s.signal}\u0001${s.sub}\u0001${s.tenant}\u0001${s.resource}` : '';
      const cached = shared?.get(k);
      if (cached) b = { recent: cached, byHour: [] };
      else {
        b = useSlots ? slotBaselines(values, startMs, stepMs, W, { recentMs }) : { recent: robust(values, Math.max(0, W - Math.round(recentMs / stepMs)), W), byHour: [] };
        // only a baseline computed from real history is worth keeping
        if (shared && W > 0) shared.set(k, b.recent);
      }
      baselineCache.set(values, b);
    }
    if (useSlots) {
      const h = new Date(startMs + j * stepMs).getUTCHours();
      return b.byHour[h] ?? b.recent;
    }
    return b.recent;
  };

  // filling a shared cache: compute every series now, so later ticks without history can judge usage too
  if (shared && W > 0) for (const s of range.series) baselineOf(s.values as Float64Array, W);

  /** degraded at point j: true, false, or undefined when unknown (gap or no baseline) */
  const degradedAt = (signal: SignalName, values: Float64Array, j: number): { ratio: number; base: number; obs: number } | false | undefined => {
    const obs = values[j]!;
    if (!Number.isFinite(obs)) return undefined;
    const b = baselineOf(values, j);
    if (!Number.isFinite(b.center)) return undefined;
    if (signal === 'ingress.error_ratio') {
      const ok = obs - b.center >= 0.02 && obs >= 2 * b.center;
      return ok ? { ratio: obs / Math.max(b.center, 1e-9), base: b.center, obs } : false;
    }
    const floor = Math.max(b.spread, 0.05 * Math.abs(b.center), 1e-9);
    const ratio = obs / Math.max(b.center, 1e-12);
    return ratio >= minRatio && (obs - b.center) / floor >= minZ ? { ratio, base: b.center, obs } : false;
  };

  // Victim tests once per series and point (not per tenant lookup per point): ratio when degraded, 0 when not
  interface VictimSeries {
    tenant: string;
    signal: SignalName;
    family: 'pg' | 'ingress';
    values: Float64Array;
    ratio: Float64Array;
    base: Float64Array;
  }
  const victimSeries: VictimSeries[] = [];
  const j0 = Math.max(0, W - persistence + 1);
  for (const s of range.series) {
    // the unattributed bucket (the monitor's own queries, databases no rule maps) is usage of the
    // resource, but no tenant: its latency is nobody's harm
    if (s.tenant === RESOURCE_SERIES || s.tenant === UNATTRIBUTED_TENANT || !VICTIM_SIGNALS.includes(s.signal)) continue;
    const values = s.values as Float64Array;
    const ratio = new Float64Array(points);
    const base = new Float64Array(points);
    if (useSlots || s.signal === 'ingress.error_ratio') {
      for (let j = j0; j < points; j++) {
        const d = degradedAt(s.signal, values, j);
        if (d) {
          ratio[j] = d.ratio;
          base[j] = d.base;
        }
      }
    } else {
      // one baseline for the whole window: the same test as degradedAt, without a call and an object per point
      const b = baselineOf(values, j0);
      if (Number.isFinite(b.center)) {
        const floor = Math.max(b.spread, 0.05 * Math.abs(b.center), 1e-9);
        const c = Math.max(b.center, 1e-12);
        for (let j = j0; j < points; j++) {
          const obs = values[j]!;
          const r = obs / c;
          if (r >= minRatio && (obs - b.center) / floor >= minZ) {
            ratio[j] = r;
            base[j] = b.center;
          }
        }
      }
    }
    victimSeries.push({ tenant: s.tenant, signal: s.signal, family: s.signal.startsWith('postgres.') ? 'pg' : 'ingress', values, ratio, base });
  }
  /** per point, the victim series degraded for `persistence` consecutive points */
  const degradedByPoint = new Map<number, VictimSeries[]>();
  for (const v of victimSeries) {
    for (let j = Math.max(W, persistence - 1); j < points; j++) {
      let ok = true;
      for (let p = 0; p < persistence; p++) if (!(v.ratio[j - p]! > 0)) ok = false;
      if (!ok) continue;
      const list = degradedByPoint.get(j);
      if (list) list.push(v);
      else degradedByPoint.set(j, [v]);
    }
  }

  /** a tenant's usage at j (mean of the last two points, for robustness to one noisy sample) */
  const usageAt = (v: Float64Array, j: number): number => {
    const a = v[j]!;
    const b = j > 0 ? v[j - 1]! : Number.NaN;
    if (Number.isFinite(a) && Number.isFinite(b)) return (a + b) / 2;
    return Number.isFinite(a) ? a : b;
  };

  const usageMemo = new Map<string, [string, Float64Array][]>();
  const usageOf = (kind: ResourceKind, id: string, mech: Mech, members: string[]): [string, Float64Array][] => {
    const k = `${kind}\u0001${id}\u0001${mech.name}`;
    let list = usageMemo.get(k);
    if (!list) {
      list = [];
      for (const t of members) {
        const v = get(mech.signal, mech.sub, t, id);
        if (v) list.push([t, v]);
      }
      usageMemo.set(k, list);
    }
    return list;
  };

  const detections: PointDetection[] = [];
  const pointsWithVictims = [...degradedByPoint.keys()].sort((a, b) => a - b);
  for (const j of pointsWithVictims) {
    // 1. victims by signal family: the strongest degraded signal per tenant
    const pgVictims = new Map<string, Victim & { ratio: number }>();
    const ingVictims = new Map<string, Victim & { ratio: number }>();
    for (const v of degradedByPoint.get(j)!) {
      const m = v.family === 'pg' ? pgVictims : ingVictims;
      const prev = m.get(v.tenant);
      if (!prev || v.ratio[j]! > prev.ratio) m.set(v.tenant, { tenant: v.tenant, signal: v.signal, baseline: v.base[j]!, observed: v.values[j]!, ratio: v.ratio[j]! });
    }
    if (pgVictims.size === 0 && ingVictims.size === 0) continue;

    // 2. candidate resources with their victims
    const candidates: { kind: ResourceKind; id: string; victims: (Victim & { ratio: number })[] }[] = [];
    for (const [cluster, members] of topo.postgres) {
      const v = members.filter((t) => pgVictims.has(t)).map((t) => pgVictims.get(t)!);
      if (v.length) candidates.push({ kind: 'postgres', id: cluster, victims: v });
    }
    const explained = new Set(pgVictims.keys());
    for (const [inst, members] of topo.redis) {
      const canary = resourceSeries.get(`redis.canary_p99_seconds\u0001${inst}`);
      if (!canary) continue;
      let stalled = true;
      for (let p = 0; p < persistence; p++) if (!degradedAt('redis.canary_p99_seconds', canary, j - p)) stalled = false;
      if (!stalled) continue;
      const v = members.filter((t) => ingVictims.has(t) && !explained.has(t)).map((t) => ingVictims.get(t)!);
      for (const x of v) explained.add(x.tenant);
      if (v.length) candidates.push({ kind: 'redis', id: inst, victims: v });
    }
    const rest = [...ingVictims.keys()].filter((t) => !explained.has(t));
    if (rest.length) {
      const nodesOf = new Set(rest.flatMap((t) => topo.of.get(t)?.node ?? []));
      const ingresses = new Set(rest.flatMap((t) => topo.of.get(t)?.ingress ?? []));
      if (nodesOf.size >= 2 && rest.length >= 3 && ingresses.size >= 1) {
        for (const ing of ingresses) {
          const v = rest.filter((t) => topo.of.get(t)?.ingress.includes(ing)).map((t) => ingVictims.get(t)!);
          if (v.length) candidates.push({ kind: 'ingress', id: ing, victims: v });
        }
      } else {
        for (const n of nodesOf) {
          const v = rest.filter((t) => topo.of.get(t)?.node.includes(n)).map((t) => ingVictims.get(t)!);
          if (v.length) candidates.push({ kind: 'node', id: n, victims: v });
        }
        // a victim we know no node for is still a tenant-degradation
        for (const t of rest) if (!(topo.of.get(t)?.node.length)) candidates.push({ kind: 'ingress', id: topo.of.get(t)?.ingress[0] ?? 'unknown', victims: [ingVictims.get(t)!] });
      }
    }

    // 3–4. mechanism and suspects per candidate
    for (const c of candidates) {
      const members = topo[c.kind].get(c.id) ?? c.victims.map((v) => v.tenant);
      type Cand = { mech: Mech; rel: number; util: number; total: number; base: number; topRise: number; contended: boolean; rows: { tenant: string; u: number; ub: number; rise: number; ratio: number; z: number }[] };
      let best: Cand | undefined;
      let busiest: Cand | undefined;
      for (const mech of MECHANISMS[c.kind]) {
        const rows: { tenant: string; u: number; ub: number; rise: number; ratio: number; z: number }[] = [];
        let total = 0;
        let base = 0;
        const baselines: Baseline[] = [];
        for (const [t, v] of usageOf(c.kind, c.id, mech, members)) {
          const u = usageAt(v, j);
          const b = baselineOf(v, j);
          if (!Number.isFinite(u) || !Number.isFinite(b.center)) continue;
          total += u;
          base += b.center;
          baselines.push(b);
          const floor = Math.max(b.spread, 0.05 * Math.abs(b.center), 1e-9);
          rows.push({ tenant: t, u, ub: b.center, rise: 0, ratio: u / Math.max(b.center, 1e-12), z: (u - b.center) / floor });
        }
        if (!(base > 0) && rows.length > 0) {
          // every member mostly idle (sampled active sessions are 0 most of the time, so every median
          // is 0): the shares are judged against the members' mean usage instead of nothing at all, and a
          // rise against the spread of such sampling across the members — one session caught active by
          // one sample of a tenant never seen active before is sampling noise, not a surge
          base = 0;
          const pooledSd = Math.sqrt(baselines.reduce((a, b) => a + (b.sd ?? 0) ** 2, 0) / baselines.length);
          rows.forEach((r, i) => {
            const b = baselines[i]!;
            const m = b.mean ?? 0;
            const floor = Math.max(b.sd ?? 0, pooledSd, 0.05 * Math.abs(m), 1e-9);
            r.ub = m;
            r.ratio = r.u / Math.max(m, 1e-12);
            r.z = (r.u - m) / floor;
            base += m;
          });
        }
        if (rows.length === 0 || !(total > 0) || !(base > 0)) continue;
        for (const r of rows) r.rise = r.u / total - r.ub / base;
        const capSeries = mech.capacity ? resourceSeries.get(`${mech.capacity}\u0001${c.id}`) : undefined;
        const cap = capSeries ? capSeries[j]! : Number.NaN;
        const util = Number.isFinite(cap) && cap > 0 ? total / cap : Number.NaN;
        const rel = (total - base) / base;
        const topRise = rows.reduce((m, r) => Math.max(m, r.rise), 0);
        const cand: Cand = { mech, rel, util, total, base, topRise, contended: rel >= 0.3 || (Number.isFinite(util) && util >= 0.85), rows };
        // the mechanism is the contended dimension where one tenant's share moved most: under contention
        // every time-based load inflates together (Little's law), only the antagonist's share grows
        if (cand.contended && (!best || topRise > best.topRise)) best = cand;
        if (!busiest || rel > busiest.rel) busiest = cand;
      }
      best ??= busiest;
      const victimIds = new Set(c.victims.map((v) => v.tenant));
      // a tenant whose own usage of the contended dimension surged is not a neighbour's victim
      // (its share must have grown too: under contention everyone's time-based load inflates)
      const selfLoaded = new Set((best?.rows ?? []).filter((r) => r.ratio >= 1.8 && r.z >= minZ && r.rise >= minShareRise / 2).map((r) => r.tenant));
      // lock waits inside a tenant's own database are its own
      const lockBound = new Set<string>();
      if (c.kind === 'postgres') {
        for (const v of c.victims) {
          const lv = get('postgres.load_sessions', 'Lock', v.tenant, c.id);
          if (!lv) continue;
          const u = usageAt(lv, j);
          const b = baselineOf(lv, j);
          if (Number.isFinite(u) && Number.isFinite(b.center) && u - b.center >= 0.05 && u >= 2 * Math.max(b.center, 0.01)) lockBound.add(v.tenant);
        }
      }
      const contended = best?.contended ?? false;
      const ranked = (best?.rows ?? []).filter((r) => r.rise > 0).sort((a, b) => b.rise - a.rise);
      const suspects = contended ? ranked.filter((r) => r.rise >= minShareRise && r.ratio >= 1.5 && r.z >= minZ) : [];
      const suspectIds = new Set(suspects.map((s) => s.tenant));
      const neighbourVictims = c.victims.filter((v) => !suspectIds.has(v.tenant) && !selfLoaded.has(v.tenant) && !lockBound.has(v.tenant));
      const neighbourSet = new Set(neighbourVictims);
      const selfInflicted = c.victims.filter((v) => !neighbourSet.has(v));
      const severityOf = (vs: { ratio: number }[]): Severity => {
        const worst = Math.max(...vs.map((v) => v.ratio));
        return worst >= 3 || vs.length >= 5 ? 'critical' : worst >= minRatio ? 'warning' : 'info';
      };
      const strip = (v: Victim & { ratio: number }): Victim => ({ tenant: v.tenant, signal: v.signal, baseline: v.baseline, observed: v.observed });
      const ranking = ranked.slice(0, 5).map((r) => ({ tenant: r.tenant, score: Number(r.rise.toFixed(4)) }));
      const mechEvidence = best
        ? {
            type: 'resource',
            mechanism: best.mech.name,
            signal: best.mech.sub ? `${best.mech.signal}{${best.mech.sub}}` : best.mech.signal,
            totalObserved: best.total,
            totalBaseline: best.base,
            totalRise: best.rel,
            ...(Number.isFinite(best.util) ? { utilisation: best.util } : {}),
          }
        : { type: 'resource', mechanism: null };
      if (suspects.length > 0 && neighbourVictims.length > 0) {
        for (const s of suspects) {
          const shareBase = s.ub / best!.base;
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
            suspect: s.tenant,
            share: s.u / best!.total,
            baselineShare: shareBase,
            suspectSignal: best!.mech.sub ? `${best!.mech.signal}{wait_event_type="${best!.mech.sub}"}` : best!.mech.signal,
            ranking,
            victims: neighbourVictims.map(strip),
            confidence,
            severity: severityOf(neighbourVictims),
            evidence: { ...mechEvidence, suspect: s.tenant, suspectObserved: s.u, suspectBaseline: s.ub, suspectRatio: s.ratio },
          });
        }
      } else if (neighbourVictims.length >= Math.max(3, Math.ceil(0.5 * members.length))) {
        detections.push({
          j,
          kind: 'platform-degradation',
          resourceKind: c.kind,
          resourceId: c.id,
          mechanism: contended ? best?.mech.name : undefined,
          suspect: undefined,
          share: undefined,
          baselineShare: undefined,
          suspectSignal: undefined,
          ranking,
          victims: neighbourVictims.map(strip),
          confidence: Math.min(0.95, 0.5 + 0.3 * (neighbourVictims.length / Math.max(1, members.length))),
          severity: severityOf(neighbourVictims),
          evidence: { ...mechEvidence, degradedTenants: neighbourVictims.length, members: members.length },
        });
      } else {
        for (const v of neighbourVictims) selfInflicted.push(v);
      }
      for (const v of selfInflicted) {
        const mechanism = lockBound.has(v.tenant) ? 'locks' : selfLoaded.has(v.tenant) || suspectIds.has(v.tenant) ? best?.mech.name : undefined;
        detections.push({
          j,
          kind: 'tenant-degradation',
          resourceKind: c.kind,
          resourceId: c.id,
          mechanism,
          suspect: undefined,
          share: undefined,
          baselineShare: undefined,
          suspectSignal: undefined,
          ranking: [],
          victims: [strip(v)],
          confidence: lockBound.has(v.tenant) || selfLoaded.has(v.tenant) ? 0.8 : 0.6,
          severity: severityOf([v]),
          evidence: { type: 'self', tenant: v.tenant, cause: lockBound.has(v.tenant) ? 'lock waits in its own database' : selfLoaded.has(v.tenant) || suspectIds.has(v.tenant) ? 'its own usage surged' : 'no neighbour surged' },
        });
      }
    }
  }
  return mergeEpisodes(detections, range, W, gapTolerance, persistence, topo);
}

function episodeId(kind: string, resourceKind: string, resourceId: string, who: string, startMs: number): string {
  // the start bucket (5 min) keeps the id stable across re-analysis of overlapping windows
  const bucket = Math.floor(startMs / 300_000);
  return createHash('sha256').update(`${kind}|${resourceKind}|${resourceId}|${who}|${bucket}`).digest('hex').slice(0, 16);
}

function mergeEpisodes(ds: PointDetection[], range: SignalRange, W: number, gap: number, persistence: number, topology: Topology): DetectResult {
  const { startMs, stepMs, points } = range;
  interface Open {
    first: PointDetection;
    last: number;
    count: number;
    victims: Map<string, Victim & { ratio: number }>;
    confidence: number;
    severity: Severity;
    mechanisms: Map<string, number>;
    shareSum: number;
    latest: PointDetection;
  }
  const open = new Map<string, Open>();
  const closed: Open[] = [];
  const sev = { info: 0, warning: 1, critical: 2 } as const;
  for (const d of ds) {
    const who = d.kind === 'noisy-neighbor' ? d.suspect! : d.kind === 'tenant-degradation' ? d.victims[0]!.tenant : '';
    const key = `${d.kind}|${d.resourceKind}|${d.resourceId}|${who}`;
    let e = open.get(key);
    if (e && d.j - e.last > gap + 1) {
      closed.push(e);
      e = undefined;
    }
    if (!e) {
      e = { first: d, last: d.j, count: 0, victims: new Map(), confidence: 0, severity: 'info', mechanisms: new Map(), shareSum: 0, latest: d };
      open.set(key, e);
    }
    e.last = d.j;
    e.count++;
    e.latest = d;
    e.confidence = Math.max(e.confidence, d.confidence);
    if (sev[d.severity] > sev[e.severity]) e.severity = d.severity;
    if (d.mechanism) e.mechanisms.set(d.mechanism, (e.mechanisms.get(d.mechanism) ?? 0) + 1);
    e.shareSum += d.share ?? 0;
    for (const v of d.victims) {
      const prev = e.victims.get(v.tenant);
      const ratio = (v.observed ?? 0) / Math.max(v.baseline ?? 1, 1e-12);
      if (!prev || ratio > prev.ratio) e.victims.set(v.tenant, { ...v, ratio });
    }
  }
  closed.push(...open.values());
  const findings: Finding[] = [];
  const detectedAtMs = new Map<string, number>();
  for (const e of closed) {
    const d = e.first;
    // the onset is the first degraded point, persistence-1 points before the first detection
    const startT = startMs + Math.max(W, d.j - (persistence - 1)) * stepMs;
    const ended = e.last < points - 1 - gap;
    const who = d.kind === 'noisy-neighbor' ? d.suspect! : d.kind === 'tenant-degradation' ? d.victims[0]!.tenant : '';
    const id = episodeId(d.kind, d.resourceKind, d.resourceId, who, startT);
    const mechanism = [...e.mechanisms.entries()].sort((a, b) => b[1] - a[1])[0]?.[0];
    const victims = [...e.victims.values()].sort((a, b) => b.ratio - a.ratio).map((v) => ({ tenant: v.tenant, signal: v.signal, baseline: v.baseline, observed: v.observed }));
    const confidence = Math.min(0.99, e.confidence * (e.count >= 4 ? 1 : 0.85 + 0.05 * e.count));
    const f: Finding = {
      id,
      kind: d.kind,
      resource: { kind: d.resourceKind, id: d.resourceId, ...(mechanism ? { mechanism } : {}) },
      start: new Date(startT).toISOString(),
      end: ended ? new Date(startMs + (e.last + 1) * stepMs).toISOString() : null,
      suspect:
        d.kind === 'noisy-neighbor'
          ? { tenant: d.suspect!, share: round(e.shareSum / e.count), baselineShare: round(d.baselineShare ?? 0), signal: d.suspectSignal ?? '' }
          : null,
      victims,
      confidence: round(confidence),
      severity: e.severity,
      evidence: [
        e.latest.evidence,
        ...victims.slice(0, 10).map((v) => ({ type: 'victim', tenant: v.tenant, signal: v.signal, baseline: v.baseline, observed: v.observed })),
        { type: 'detection', points: e.count, stepSeconds: stepMs / 1000, firstDetectedAt: new Date(startMs + d.j * stepMs).toISOString() },
      ],
      ranking: d.ranking,
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

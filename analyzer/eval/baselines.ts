/**
 * The two comparison points of the evaluation, run on exactly the same signal ranges:
 *  - CPI2-style (Zhang et al., EuroSys 2013): a victim is a tenant whose harm signal is above
 *    mean + 2σ of its history in 3 of the last 5 samples; suspects are co-tenants whose usage
 *    correlates with the victim's harm over the last 10 minutes with r > 0.35; the highest
 *    correlation is blamed.
 *  - "highest usage": on the same trigger, blame the co-tenant with the highest share of a
 *    dimension of a resource the victims share (what a usage dashboard points at).
 * Both know the topology (who shares what), as tenantscope does; neither knows baselines of shares.
 */
import { buildTopology } from '../detect.js';
import { RESOURCE_SERIES, type SignalName, type SignalRange } from '../signals/index.js';

export interface BaselineVerdict {
  detectedAtMs: number;
  resource: { kind: string; id: string };
  mechanism: string;
  ranking: string[];
  victims: string[];
}

const MECHS: Record<string, { name: string; signal: SignalName; sub: string }[]> = {
  node: [
    { name: 'cpu', signal: 'node.cpu_cores', sub: '' },
    { name: 'memory', signal: 'node.memory_bytes', sub: '' },
  ],
  postgres: [
    { name: 'cpu', signal: 'postgres.load_sessions', sub: 'CPU' },
    { name: 'io', signal: 'postgres.load_sessions', sub: 'IO' },
    { name: 'wal', signal: 'postgres.load_sessions', sub: 'LWLock' },
    { name: 'connections', signal: 'postgres.connections', sub: '' },
    { name: 'connections', signal: 'postgres.session_rate', sub: '' },
  ],
  redis: [
    { name: 'command-time', signal: 'redis.command_seconds_rate', sub: '' },
    { name: 'memory', signal: 'redis.memory_bytes', sub: '' },
  ],
  ingress: [{ name: 'requests', signal: 'ingress.request_rate', sub: '' }],
};

function pearson(a: Float64Array, b: Float64Array, from: number, to: number): number {
  let n = 0;
  let sa = 0;
  let sb = 0;
  for (let i = from; i < to; i++) {
    if (Number.isFinite(a[i]!) && Number.isFinite(b[i]!)) {
      n++;
      sa += a[i]!;
      sb += b[i]!;
    }
  }
  if (n < 5) return 0;
  const ma = sa / n;
  const mb = sb / n;
  let cov = 0;
  let va = 0;
  let vb = 0;
  for (let i = from; i < to; i++) {
    if (Number.isFinite(a[i]!) && Number.isFinite(b[i]!)) {
      const da = a[i]! - ma;
      const db = b[i]! - mb;
      cov += da * db;
      va += da * da;
      vb += db * db;
    }
  }
  return va > 0 && vb > 0 ? cov / Math.sqrt(va * vb) : 0;
}

export function runBaselines(range: SignalRange, windowStart: number): { cpi2: BaselineVerdict | undefined; highestUsage: BaselineVerdict | undefined } {
  const topo = buildTopology(range.series);
  const idx = new Map<string, Float64Array>();
  for (const s of range.series) if (s.tenant !== RESOURCE_SERIES) idx.set(`${s.signal}|${s.sub}|${s.tenant}|${s.resource}`, s.values as Float64Array);
  const harm: { tenant: string; values: Float64Array; mean: number; sd: number }[] = [];
  for (const s of range.series) {
    if (s.signal !== 'ingress.p95_latency_seconds' && s.signal !== 'postgres.mean_query_seconds') continue;
    let n = 0;
    let sum = 0;
    let sq = 0;
    for (let i = 0; i < windowStart; i++) {
      const v = s.values[i]!;
      if (Number.isFinite(v)) {
        n++;
        sum += v;
        sq += v * v;
      }
    }
    if (n < 8) continue;
    const mean = sum / n;
    harm.push({ tenant: s.tenant, values: s.values as Float64Array, mean, sd: Math.sqrt(Math.max(0, sq / n - mean * mean)) });
  }
  const corrWindow = Math.max(5, Math.round(600_000 / range.stepMs));
  let cpi2: BaselineVerdict | undefined;
  let highestUsage: BaselineVerdict | undefined;
  for (let j = windowStart; j < range.points && (!cpi2 || !highestUsage); j++) {
    const victims = new Map<string, Float64Array[]>();
    for (const h of harm) {
      let above = 0;
      for (let p = Math.max(0, j - 4); p <= j; p++) if (h.values[p]! > h.mean + 2 * h.sd) above++;
      if (above >= 3) victims.set(h.tenant, [...(victims.get(h.tenant) ?? []), h.values]);
    }
    if (victims.size === 0) continue;
    const t = range.startMs + j * range.stepMs;
    let bestCorr: { score: number; kind: string; id: string; mech: string; suspect: string; ranking: [string, number][] } | undefined;
    let bestShare: { share: number; kind: string; id: string; mech: string; suspect: string; ranking: [string, number][] } | undefined;
    for (const kind of ['node', 'postgres', 'redis', 'ingress'] as const) {
      for (const [id, members] of topo[kind]) {
        const vs = members.filter((m) => victims.has(m));
        if (vs.length === 0) continue;
        for (const mech of MECHS[kind]!) {
          const scores: [string, number][] = [];
          const shares: [string, number][] = [];
          let total = 0;
          const usage = new Map<string, Float64Array>();
          for (const m of members) {
            const u = idx.get(`${mech.signal}|${mech.sub}|${m}|${id}`);
            if (!u) continue;
            usage.set(m, u);
            if (Number.isFinite(u[j]!)) total += u[j]!;
          }
          for (const [m, u] of usage) {
            if (total > 0 && Number.isFinite(u[j]!)) shares.push([m, u[j]! / total]);
            let s = 0;
            let n = 0;
            for (const v of vs) {
              if (v === m) continue;
              for (const hv of victims.get(v)!) {
                s += pearson(hv, u, Math.max(0, j - corrWindow + 1), j + 1);
                n++;
              }
            }
            if (n) scores.push([m, s / n]);
          }
          scores.sort((a, b) => b[1] - a[1]);
          shares.sort((a, b) => b[1] - a[1]);
          const top = scores[0];
          if (top && top[1] > 0.35 && (!bestCorr || top[1] > bestCorr.score)) bestCorr = { score: top[1], kind, id, mech: mech.name, suspect: top[0], ranking: scores };
          const topS = shares[0];
          if (topS && (!bestShare || topS[1] > bestShare.share)) bestShare = { share: topS[1], kind, id, mech: mech.name, suspect: topS[0], ranking: shares };
        }
      }
    }
    if (!cpi2 && bestCorr) {
      cpi2 = { detectedAtMs: t, resource: { kind: bestCorr.kind, id: bestCorr.id }, mechanism: bestCorr.mech, ranking: bestCorr.ranking.map((r) => r[0]), victims: [...victims.keys()].filter((v) => v !== bestCorr!.suspect) };
    }
    if (!highestUsage && bestShare) {
      highestUsage = { detectedAtMs: t, resource: { kind: bestShare.kind, id: bestShare.id }, mechanism: bestShare.mech, ranking: bestShare.ranking.map((r) => r[0]), victims: [...victims.keys()].filter((v) => v !== bestShare!.suspect) };
    }
  }
  return { cpi2, highestUsage };
}

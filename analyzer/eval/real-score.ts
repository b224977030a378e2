/**
 * Scoring of the real-server set (pure, no servers): ground-truth victims from client-side latency,
 * verdicts of tenantscope and the two baselines on one case, and the figures over all cases.
 *
 * The rule for a victim (documented in the RESULTS section): a tenant other than the case's subject
 * whose client-side p95 during the episode is at least 1.5× its own p95 of the quiet period just
 * before, and at least 2 ms above it. Harm onset: the first 2-s bucket after the antagonist started
 * in which one such victim's p95 crossed the same line.
 */
import { f1, quantile, type Verdict } from './verdict.js';

export { f1, verdictOfBaseline, verdictOfFindings, type Verdict } from './verdict.js';

export const VICTIM_RATIO = 1.5;
export const VICTIM_MIN_RISE_MS = 2;

export interface ClientLatency {
  /** p95 over the quiet period before the onset (ms) */
  before: number;
  /** p95 over the episode, from a few seconds after the onset (ms) */
  during: number;
  /** p95 per bucket from the onset (ms, NaN = no request in the bucket) */
  buckets: number[];
}

export interface Truth {
  victims: Set<string>;
  /** ms after the onset at which the first victim was hurt; undefined when nobody was */
  harmOnsetMs: number | undefined;
}

export function truthVictims(latency: Record<string, ClientLatency>, subject: string, bucketMs: number): Truth {
  const victims = new Set<string>();
  let harmOnsetMs: number | undefined;
  for (const [tenant, l] of Object.entries(latency)) {
    if (tenant === subject || !Number.isFinite(l.before) || !Number.isFinite(l.during)) continue;
    const line = Math.max(VICTIM_RATIO * l.before, l.before + VICTIM_MIN_RISE_MS);
    if (l.during < line) continue;
    victims.add(tenant);
    const b = l.buckets.findIndex((x) => x >= line);
    if (b >= 0 && (harmOnsetMs === undefined || b * bucketMs < harmOnsetMs)) harmOnsetMs = b * bucketMs;
  }
  return { victims, harmOnsetMs };
}

export interface CaseLabel {
  label: 'antagonist' | 'benign';
  /** the antagonist, or the tenant whose own doing a benign control is */
  subject: string;
  resource: { kind: string; id: string };
  mechanism: string | undefined;
  selfInflicted: boolean;
}

export interface RealScore {
  method: string;
  antagonistCases: number;
  harmlessCases: number;
  harmlessAlerted: number;
  detected: number;
  ac1: number;
  ac1ByKind: Record<string, number>;
  victimF1: number;
  mechanismAccuracy: number;
  ttdP50Seconds: number;
  ttdMaxSeconds: number;
  ttdFromHarmP50Seconds: number;
  benignCases: number;
  benignAlertedShare: number;
  selfInflictedCases: number;
  selfInflictedBlamedShare: number;
}

export interface ScoredCase {
  label: CaseLabel;
  onsetMs: number;
  truth: Truth;
  verdict: Verdict;
}

export function scoreMethod(method: string, cases: readonly ScoredCase[]): RealScore {
  let n = 0;
  let harmless = 0;
  let harmlessAlerted = 0;
  let detected = 0;
  let ac1 = 0;
  const byKind = new Map<string, { n: number; hit: number }>();
  const f1s: number[] = [];
  let mech = 0;
  let mechN = 0;
  const ttd: number[] = [];
  const ttdHarm: number[] = [];
  let benign = 0;
  let benignAlerted = 0;
  let selfN = 0;
  let selfBlamed = 0;
  for (const c of cases) {
    const v = c.verdict;
    if (c.label.label === 'antagonist') {
      // an antagonist that hurt nobody's client-side latency has nothing to attribute
      if (c.truth.victims.size === 0) {
        harmless++;
        if (v.ranking.length > 0) harmlessAlerted++;
        continue;
      }
      n++;
      const hit = v.ranking[0] === c.label.subject;
      if (v.ranking.length > 0) detected++;
      if (hit) ac1++;
      const k = byKind.get(c.label.resource.kind) ?? { n: 0, hit: 0 };
      k.n++;
      if (hit) k.hit++;
      byKind.set(c.label.resource.kind, k);
      f1s.push(f1(v.victims, c.truth.victims));
      if (v.ranking.length > 0) {
        mechN++;
        if (v.mechanism === c.label.mechanism) mech++;
      }
      // only a detection naming the antagonist counts (firing early on the wrong tenant is no detection)
      const at = v.detectedAtMsBySuspect.get(c.label.subject);
      if (at !== undefined) {
        ttd.push(Math.max(0, (at - c.onsetMs) / 1000));
        ttdHarm.push(Math.max(0, (at - (c.onsetMs + (c.truth.harmOnsetMs ?? 0))) / 1000));
      }
      continue;
    }
    benign++;
    if (v.alerted > 0) benignAlerted++;
    if (c.label.selfInflicted) {
      selfN++;
      if (v.blamedSubject) selfBlamed++;
    }
  }
  return {
    method,
    antagonistCases: n,
    harmlessCases: harmless,
    harmlessAlerted,
    detected: n ? detected / n : Number.NaN,
    ac1: n ? ac1 / n : Number.NaN,
    ac1ByKind: Object.fromEntries([...byKind].map(([k, x]) => [k, x.hit / x.n])),
    victimF1: f1s.length ? f1s.reduce((a, b) => a + b, 0) / f1s.length : Number.NaN,
    mechanismAccuracy: mechN ? mech / mechN : Number.NaN,
    ttdP50Seconds: quantile(ttd, 0.5),
    ttdMaxSeconds: ttd.length ? Math.max(...ttd) : Number.NaN,
    ttdFromHarmP50Seconds: quantile(ttdHarm, 0.5),
    benignCases: benign,
    benignAlertedShare: benign ? benignAlerted / benign : Number.NaN,
    selfInflictedCases: selfN,
    selfInflictedBlamedShare: selfN ? selfBlamed / selfN : Number.NaN,
  };
}

/**
 * How a method's output is read on one labelled case, shared by the simulated suite (evaluate.ts)
 * and the real-server set (real-score.ts), so both score tenantscope and the baselines the same way.
 */
import type { Finding } from '../types.js';
import type { BaselineVerdict } from './baselines.js';

export interface Verdict {
  /** ranked suspects (best first) on the case's resource, empty when nothing was named there */
  ranking: string[];
  /** every suspect named on the resource (tenantscope: one per finding; a baseline: its first) */
  suspects: Set<string>;
  victims: Set<string>;
  mechanism: string | undefined;
  detectedAtMs: number | undefined;
  /** first detection naming each suspect on the resource (time to detect counts only a right suspect) */
  detectedAtMsBySuspect: Map<string, number>;
  /** anything alerted (noisy-neighbor or platform-degradation, any resource) during the case */
  alerted: number;
  /** a neighbour was blamed for the subject's own degradation */
  blamedSubject: boolean;
}

export interface CaseSubject {
  resource: { kind: string; id: string };
  /** the antagonist, or the tenant whose own doing a benign control is */
  subject: string;
}

/** tenantscope's findings: suspects ranked by confidence, then by who was detected first */
export function verdictOfFindings(findings: readonly Finding[], detectedAt: ReadonlyMap<string, number>, c: CaseSubject): Verdict {
  const on = findings.filter((f) => f.kind === 'noisy-neighbor' && f.resource.kind === c.resource.kind && f.resource.id === c.resource.id);
  const sorted = [...on].sort((a, b) => b.confidence - a.confidence || (detectedAt.get(a.id) ?? 0) - (detectedAt.get(b.id) ?? 0));
  const ranking: string[] = [];
  for (const f of sorted) if (f.suspect && !ranking.includes(f.suspect.tenant)) ranking.push(f.suspect.tenant);
  const alerts = findings.filter((f) => f.kind !== 'tenant-degradation');
  const bySuspect = new Map<string, number>();
  for (const f of on) {
    const t = detectedAt.get(f.id);
    if (f.suspect && t !== undefined && !(t >= (bySuspect.get(f.suspect.tenant) ?? Number.POSITIVE_INFINITY))) bySuspect.set(f.suspect.tenant, t);
  }
  return {
    ranking,
    detectedAtMsBySuspect: bySuspect,
    suspects: new Set(ranking),
    victims: new Set(on.flatMap((f) => f.victims.map((v) => v.tenant))),
    mechanism: sorted[0]?.resource.mechanism,
    detectedAtMs: on.length ? Math.min(...on.map((f) => detectedAt.get(f.id) ?? Number.POSITIVE_INFINITY)) : undefined,
    alerted: alerts.length,
    blamedSubject: alerts.some((f) => f.kind === 'noisy-neighbor' && f.suspect?.tenant !== c.subject && f.victims.some((v) => v.tenant === c.subject)),
  };
}

/** a baseline's one verdict (or none): counts as one alert wherever it points */
export function verdictOfBaseline(v: BaselineVerdict | undefined, c: CaseSubject): Verdict {
  if (!v) return { ranking: [], suspects: new Set(), victims: new Set(), mechanism: undefined, detectedAtMs: undefined, detectedAtMsBySuspect: new Map(), alerted: 0, blamedSubject: false };
  const on = v.resource.kind === c.resource.kind && v.resource.id === c.resource.id;
  return {
    ranking: on ? v.ranking : [],
    suspects: new Set(on ? v.ranking.slice(0, 1) : []),
    victims: new Set(on ? v.victims : []),
    mechanism: on ? v.mechanism : undefined,
    detectedAtMs: on ? v.detectedAtMs : undefined,
    // a baseline names one suspect when it fires
    detectedAtMsBySuspect: new Map(on && v.ranking[0] !== undefined ? [[v.ranking[0], v.detectedAtMs]] : []),
    alerted: 1,
    blamedSubject: v.ranking[0] !== c.subject && v.victims.includes(c.subject),
  };
}

/** nearest-rank quantile (NaN for no data) */
export function quantile(xs: readonly number[], q: number): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))]!;
}

/** F1 of a predicted set against the truth; predicting nothing when nothing is true scores 1 */
export function f1(predicted: ReadonlySet<string>, truth: ReadonlySet<string>): number {
  const tp = [...predicted].filter((x) => truth.has(x)).length;
  const p = predicted.size ? tp / predicted.size : 0;
  const r = truth.size ? tp / truth.size : predicted.size === 0 ? 1 : 0;
  return p + r > 0 ? (2 * p * r) / (p + r) : 0;
}

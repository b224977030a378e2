/**
 * Scores tenantscope and the two baselines on the labelled suite. Every case runs on its own fleet
 * (same seed, one injected episode) so that cases are independent; tenantscope's detector and the
 * baselines read the same signal range. Ground-truth victims come from the simulation itself: the
 * co-tenants on the episode's resource whose latency actually rose by half or more.
 */
import { createFleetModel, hash01, type Episode } from '../../collector/simulated/index.js';
import { computeBands } from '../bands.js';
import { detect } from '../detect.js';
import { createSimulatedSignalSource, SIGNAL_NAMES, type SignalRange } from '../signals/index.js';
import { runBaselines } from './baselines.js';
import { buildSuite, type SuiteOptions } from './suite.js';
import { f1, quantile, verdictOfBaseline, verdictOfFindings, type Verdict } from './verdict.js';

/** the episode's resource and its first tenant (the antagonist, or the subject of a benign control) */
const caseOf = (ep: Episode) => ({ resource: ep.resource, subject: ep.tenants[0]! });

export interface MethodScore {
  method: string;
  antagonistCases: number;
  detected: number;
  ac1: number;
  ac1Postgres: number;
  bothNamed: number;
  victimF1: number;
  mechanismAccuracy: number;
  ttdP50Seconds: number;
  ttdP95Seconds: number;
  /** from the first moment a victim was actually hurt (ramping antagonists hurt minutes after they start) */
  ttdFromHarmP50Seconds: number;
  ttdFromHarmP95Seconds: number;
  /** share of the detections naming a true antagonist that came before any victim was harmed */
  beforeHarmShare: number;
  benignCases: number;
  benignAlertedShare: number;
  falseAlertsPerTenantDay: number;
  selfInflictedCases: number;
  selfInflictedBlamedShare: number;
  /** antagonist episodes that stayed below the knee and harmed no one (excluded from AC@1), and how many were alerted anyway */
  harmlessCases: number;
  harmlessAlerted: number;
}

export interface EvalResult {
  scores: MethodScore[];
  /** a whole weekday of the fleet with no injected episode (dispatch wave, EDI, noise, gaps): what tenantscope raised */
  quietDay: { alerts: number; tenantDegradations: number; alertsPerTenantDay: number };
  bandMacroF1: number;
  cases: number;
  elapsedMs: number;
  perScenario: Record<string, { cases: number; ac1: number; detected: number }>;
  /**
   * harm onset itself, from the episode start, over the scored antagonist cases (a property of the
   * case, not of a method): the earliest a detector that waits for harm can fire — a ramping
   * antagonist harms no one until its resource nears capacity. Cases whose victims' mean rose by half
   * without two points in a row at that level have no onset: they are left out of every "from harm
   * onset" figure and counted here.
   */
  harmOnset: { p50Seconds: number; p95Seconds: number; casesWithoutOnset: number };
}

const STEP = 15_000;
const HISTORY = 3_600_000;
const SELF_INFLICTED = new Set(['self-throttle', 'lock-contention', 'own-spike', 'rollout']);

/** collection is not perfect: ~1 % of samples missing at random, and a one-minute scrape gap in a third of the cases */
function withGaps(r: SignalRange, seed: number): SignalRange {
  const gapAt = hash01(seed, 99, 0) < 0.33 ? Math.floor(hash01(seed, 98, 0) * r.points) : -1;
  r.series.forEach((s, k) => {
    const v = s.values as Float64Array;
    for (let j = 0; j < r.points; j++) {
      if (hash01(seed, k, j) < 0.01 || (gapAt >= 0 && j >= gapAt && j < gapAt + 4)) v[j] = Number.NaN;
    }
  });
  return r;
}

/** victims as the physics made them, and the first moment one of them was actually hurt (harm onset) */
function truthVictims(range: SignalRange, ep: Episode, windowStart: number, decoys: readonly Episode[]): Set<string> & { harmOnsetMs?: number } {
  const on: Set<string> & { harmOnsetMs?: number } = new Set<string>();
  // a decoy's own spike raises its own latency: that is not harm done by the antagonist
  const excluded = new Set([...ep.tenants, ...decoys.flatMap((d) => d.tenants)]);
  const res = ep.resource;
  const member = new Set(range.series.filter((s) => s.resource === res.id).map((s) => s.tenant));
  const idx = (t: number) => Math.round((t - range.startMs) / range.stepMs);
  const a0 = Math.max(0, windowStart - 40);
  const b0 = idx(ep.startMs + 60_000);
  const b1 = Math.min(range.points, idx(Math.min(ep.endMs, ep.startMs + 240_000)));
  for (const s of range.series) {
    if (s.signal !== 'ingress.p95_latency_seconds' && s.signal !== 'postgres.mean_query_seconds') continue;
    if (!member.has(s.tenant) || excluded.has(s.tenant)) continue;
    let before = 0;
    let nb = 0;
    for (let i = a0; i < windowStart; i++) if (Number.isFinite(s.values[i]!)) (before += s.values[i]!), nb++;
    let during = 0;
    let nd = 0;
    for (let i = b0; i < b1; i++) if (Number.isFinite(s.values[i]!)) (during += s.values[i]!), nd++;
    if (nb && nd && during / nd >= 1.5 * (before / nb)) {
      on.add(s.tenant);
      // harm onset: the first of two points in a row at 1.5× (one noisy sample is not harm)
      for (let i = idx(ep.startMs); i + 1 < b1; i++) {
        if (s.values[i]! >= 1.5 * (before / nb) && s.values[i + 1]! >= 1.5 * (before / nb)) {
          const t = range.startMs + i * range.stepMs;
          if (on.harmOnsetMs === undefined || t < on.harmOnsetMs) on.harmOnsetMs = t;
          break;
        }
      }
    }
  }
  return on;
}

interface Acc {
  n: number;
  detected: number;
  ac1: number;
  pgN: number;
  pgAc1: number;
  doubles: number;
  bothNamed: number;
  f1: number[];
  mech: number;
  mechN: number;
  ttd: number[];
  ttdHarm: number[];
  beforeHarm: number;
  benign: number;
  benignAlerted: number;
  falseAlerts: number;
  benignTenantDays: number;
  selfN: number;
  selfBlamed: number;
  harmless: number;
  harmlessAlerted: number;
}

const newAcc = (): Acc => ({ n: 0, detected: 0, ac1: 0, pgN: 0, pgAc1: 0, doubles: 0, bothNamed: 0, f1: [], mech: 0, mechN: 0, ttd: [], ttdHarm: [], beforeHarm: 0, benign: 0, benignAlerted: 0, falseAlerts: 0, benignTenantDays: 0, selfN: 0, selfBlamed: 0, harmless: 0, harmlessAlerted: 0 });

function score(acc: Acc, v: Verdict, ep: Episode, truth: Set<string> & { harmOnsetMs?: number }, tenants: number, windowMs: number): boolean {
  if (ep.label === 'antagonist') {
    // an antagonist that pushed its resource only up to the knee harmed no one: nothing to attribute
    if (truth.size === 0) {
      acc.harmless++;
      if (v.ranking.length > 0) acc.harmlessAlerted++;
      return false;
    }
    acc.n++;
    const hit = v.ranking.length > 0 && ep.tenants.includes(v.ranking[0]!);
    if (v.ranking.length > 0) acc.detected++;
    if (hit) acc.ac1++;
    if (ep.resource.kind === 'postgres') {
      acc.pgN++;
      if (hit) acc.pgAc1++;
    }
    if (ep.tenants.length > 1) {
      acc.doubles++;
      if (ep.tenants.every((t) => v.suspects.has(t))) acc.bothNamed++;
    }
    acc.f1.push(f1(v.victims, truth));
    if (v.ranking.length > 0) {
      acc.mechN++;
      if (v.mechanism === ep.mechanism) acc.mech++;
    }
    // time to detect counts only a detection that names a true antagonist (a method that fires
    // early on the wrong tenant has not detected the episode)
    const at = Math.min(...ep.tenants.map((t) => v.detectedAtMsBySuspect.get(t) ?? Number.POSITIVE_INFINITY));
    if (Number.isFinite(at)) {
      acc.ttd.push(Math.max(0, (at - ep.startMs) / 1000));
      const harmAt = truth.harmOnsetMs;
      if (harmAt !== undefined) {
        // a detection before harm counts as 0 s from it here; beforeHarmShare says how often that was
        acc.ttdHarm.push(Math.max(0, (at - harmAt) / 1000));
        if (at < harmAt) acc.beforeHarm++;
      }
    }
    return hit;
  }
  acc.benign++;
  if (v.alerted > 0) acc.benignAlerted++;
  acc.falseAlerts += v.alerted;
  acc.benignTenantDays += (tenants * windowMs) / 86_400_000;
  if (SELF_INFLICTED.has(ep.scenario)) {
    acc.selfN++;
    if (v.blamedSubject) acc.selfBlamed++;
  }
  return false;
}

function finish(method: string, a: Acc): MethodScore {
  const mean = (xs: number[]) => (xs.length ? xs.reduce((x, y) => x + y, 0) / xs.length : Number.NaN);
  return {
    method,
    antagonistCases: a.n,
    detected: a.n ? a.detected / a.n : Number.NaN,
    ac1: a.n ? a.ac1 / a.n : Number.NaN,
    ac1Postgres: a.pgN ? a.pgAc1 / a.pgN : Number.NaN,
    bothNamed: a.doubles ? a.bothNamed / a.doubles : Number.NaN,
    victimF1: mean(a.f1),
    mechanismAccuracy: a.mechN ? a.mech / a.mechN : Number.NaN,
    ttdP50Seconds: quantile(a.ttd, 0.5),
    ttdP95Seconds: quantile(a.ttd, 0.95),
    ttdFromHarmP50Seconds: quantile(a.ttdHarm, 0.5),
    ttdFromHarmP95Seconds: quantile(a.ttdHarm, 0.95),
    beforeHarmShare: a.ttdHarm.length ? a.beforeHarm / a.ttdHarm.length : Number.NaN,
    benignCases: a.benign,
    benignAlertedShare: a.benign ? a.benignAlerted / a.benign : Number.NaN,
    falseAlertsPerTenantDay: a.benignTenantDays ? a.falseAlerts / a.benignTenantDays : Number.NaN,
    selfInflictedCases: a.selfN,
    selfInflictedBlamedShare: a.selfN ? a.selfBlamed / a.selfN : Number.NaN,
    harmlessCases: a.harmless,
    harmlessAlerted: a.harmlessAlerted,
  };
}

export async function evaluate(opts: SuiteOptions & { progress?: (done: number, total: number, note: string) => void }): Promise<EvalResult> {
  const t0 = performance.now();
  const suite = buildSuite(opts);
  const accs = { tenantscope: newAcc(), cpi2: newAcc(), highestUsage: newAcc() };
  const perScenario: EvalResult['perScenario'] = {};
  const harmOnsets: number[] = [];
  let withoutOnset = 0;
  let done = 0;
  for (const c of suite) {
    const ep = c.episode;
    const model = createFleetModel({ tenants: opts.tenants, seed: opts.seed, episodes: [ep, ...c.extra] });
    const src = createSimulatedSignalSource(model);
    const from = ep.startMs - 120_000;
    const to = ep.endMs + 120_000;
    const range = withGaps(await src.range({ signals: SIGNAL_NAMES }, from - HISTORY, to, STEP), opts.seed + c.index);
    const windowStart = Math.ceil((from - range.startMs) / STEP);
    const d = detect(range, { windowStart, recentBaselineMs: HISTORY });
    const truth: ReturnType<typeof truthVictims> = ep.label === 'antagonist' ? truthVictims(range, ep, windowStart, c.extra) : new Set<string>();
    if (truth.size > 0) {
      if (truth.harmOnsetMs === undefined) withoutOnset++;
      else harmOnsets.push((truth.harmOnsetMs - ep.startMs) / 1000);
    }
    const b = runBaselines(range, windowStart);
    const hit = score(accs.tenantscope, verdictOfFindings(d.findings, d.detectedAtMs, caseOf(ep)), ep, truth, opts.tenants, to - from);
    score(accs.cpi2, verdictOfBaseline(b.cpi2, caseOf(ep)), ep, truth, opts.tenants, to - from);
    score(accs.highestUsage, verdictOfBaseline(b.highestUsage, caseOf(ep)), ep, truth, opts.tenants, to - from);
    const ps = (perScenario[ep.scenario] ??= { cases: 0, ac1: 0, detected: 0 });
    ps.cases++;
    if (hit) ps.ac1++;
    if (d.findings.some((f) => f.kind === 'noisy-neighbor' || f.kind === 'platform-degradation')) ps.detected++;
    done++;
    opts.progress?.(done, suite.length, `${ep.label} ${ep.scenario}`);
  }
  for (const v of Object.values(perScenario)) {
    v.ac1 = v.ac1 / v.cases;
    v.detected = v.detected / v.cases;
  }
  const quietDay = await quiet(opts.seed, opts.tenants);
  return {
    scores: [finish('tenantscope', accs.tenantscope), finish('CPI2-style', accs.cpi2), finish('highest usage', accs.highestUsage)],
    quietDay,
    bandMacroF1: await bandF1(opts.seed, opts.tenants),
    cases: suite.length,
    elapsedMs: performance.now() - t0,
    perScenario,
    harmOnset: { p50Seconds: quantile(harmOnsets, 0.5), p95Seconds: quantile(harmOnsets, 0.95), casesWithoutOnset: withoutOnset },
  };
}

/** bands of a weekday's business hours at 5-minute resolution against the simulated truth */
async function bandF1(seed: number, tenants: number): Promise<number> {
  const model = createFleetModel({ tenants, seed });
  const src = createSimulatedSignalSource(model);
  const day = Date.UTC(2026, 2, 4);
  const range = await src.range({ signals: ['ingress.request_rate', 'postgres.tps', 'node.cpu_cores', 'postgres.load_sessions'] }, day + 6 * 3_600_000, day + 20 * 3_600_000, 300_000);
  const bands = computeBands(range, new Map(), { nowMs: day + 20 * 3_600_000 });
  const truth = new Map(model.topology.tenants.map((t) => [t.id, t.band]));
  const per = (['low', 'medium', 'high'] as const).map((l) => {
    const tp = bands.filter((b) => b.band === l && truth.get(b.tenant) === l).length;
    const fp = bands.filter((b) => b.band === l && truth.get(b.tenant) !== l).length;
    const fn = bands.filter((b) => b.band !== l && truth.get(b.tenant) === l).length;
    return tp + fp + fn === 0 ? 1 : (2 * tp) / (2 * tp + fp + fn);
  });
  return per.reduce((a, b) => a + b, 0) / per.length;
}

/** false alarms in the wild: a quiet weekday analyzed hour by hour, as the live loop would see it */
async function quiet(seed: number, tenants: number): Promise<EvalResult['quietDay']> {
  const model = createFleetModel({ tenants, seed });
  const src = createSimulatedSignalSource(model);
  const day = Date.UTC(2026, 2, 5);
  let alerts = 0;
  let tenantDegradations = 0;
  for (let h = 0; h < 24; h++) {
    const from = day + h * 3_600_000;
    const range = withGaps(await src.range({ signals: SIGNAL_NAMES }, from - HISTORY, from + 3_600_000 - STEP, STEP), seed * 1000 + h);
    const d = detect(range, { windowStart: Math.ceil((from - range.startMs) / STEP), recentBaselineMs: HISTORY });
    alerts += d.findings.filter((f) => f.kind !== 'tenant-degradation').length;
    tenantDegradations += d.findings.filter((f) => f.kind === 'tenant-degradation').length;
  }
  return { alerts, tenantDegradations, alertsPerTenantDay: alerts / tenants };
}

/**
 * Turning a scenario name into a concrete, valid episode on a given fleet (which tenant, which
 * node, how hard), and the live schedule of the showcase fleet. Labels travel with the episodes:
 * the evaluation scores the analyzer against exactly what was injected.
 */
import { mulberry32 } from './prng.js';
import {
  ANTAGONIST_SCENARIOS,
  BENIGN_SCENARIOS,
  SCENARIO_RESOURCE,
  type AntagonistScenario,
  type BenignScenario,
  type Episode,
  type Scenario,
} from './model.js';
import type { SimTopology } from './topology.js';

export interface PlanOptions {
  scenario: Scenario;
  startMs: number;
  durationMs: number;
  /** number of antagonists (1 or 2); ignored for benign controls */
  antagonists?: number;
  /** target utilisation range of antagonists; default [0.92, 1.22] */
  intensity?: readonly [number, number];
  rampMs?: number;
  id: string;
}

const isAntagonist = (s: Scenario): s is AntagonistScenario => (ANTAGONIST_SCENARIOS as readonly string[]).includes(s);

/** a concrete episode; `rnd` picks tenants and intensity so that a seed reproduces the suite */
export function planEpisode(topology: SimTopology, rnd: () => number, o: PlanOptions): Episode {
  const tenants = topology.tenants;
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const res = SCENARIO_RESOURCE[o.scenario];
  if (isAntagonist(o.scenario)) {
    const first = pick(tenants);
    const chosen = [first];
    if ((o.antagonists ?? 1) > 1) {
      const pool = tenants.filter((t) => t !== first && (res.kind !== 'node' || t.node === first.node));
      if (pool.length > 0) chosen.push(pick(pool));
    }
    const resourceId =
      res.kind === 'node' ? first.node : res.kind === 'postgres' ? topology.pgCluster : res.kind === 'redis' ? topology.redisInstance : topology.ingress;
    return {
      id: o.id,
      label: 'antagonist',
      scenario: o.scenario,
      resource: { kind: res.kind, id: resourceId },
      mechanism: res.mechanism,
      tenants: chosen.map((t) => t.id),
      startMs: o.startMs,
      endMs: o.startMs + o.durationMs,
      intensity: o.intensity ? o.intensity[0] + rnd() * (o.intensity[1] - o.intensity[0]) : 0.92 + rnd() * 0.3,
      ...(o.rampMs ? { rampMs: o.rampMs } : {}),
    };
  }
  // benign controls are about one tenant; bursts and throttling on small tenants keep them within headroom
  const small = tenants.filter((t) => t.band !== 'high');
  const subject = o.scenario === 'burst-within-headroom' || o.scenario === 'self-throttle' ? pick(small.length ? small : tenants) : pick(tenants);
  const intensity: Record<BenignScenario, number> = {
    'burst-within-headroom': 2 + rnd(),
    'self-throttle': 1.5 + rnd(),
    'lock-contention': 0.4 + rnd() * 1.2,
    rollout: 1,
    'diurnal-ramp': 1,
    'own-spike': 2.5 + rnd() * 1.5,
  };
  const resourceId = res.kind === 'node' ? subject.node : res.kind === 'postgres' ? topology.pgCluster : topology.ingress;
  return {
    id: o.id,
    label: 'benign',
    scenario: o.scenario,
    resource: { kind: res.kind, id: resourceId },
    mechanism: res.mechanism,
    tenants: [subject.id],
    startMs: o.startMs,
    endMs: o.startMs + o.durationMs,
    intensity: intensity[o.scenario as BenignScenario],
  };
}

const SLOT_MS = 15 * 60_000;

/**
 * The showcase schedule: one episode per 15-minute slot counted from `anchorMs`. Slot 0 starts 60 s
 * after the anchor with a noisy neighbour (so a fresh `tenantscope run` names one within two
 * minutes); later slots mix antagonists (60 %) and benign controls. Slots before the anchor (history
 * for a backfill) hold only benign controls, so baselines learn from a fleet without antagonists.
 * Pure in (seed, anchor, slot): any window can be asked for, in any order.
 */
export function scheduledEpisodes(topology: SimTopology, seed: number, anchorMs: number): (fromMs: number, toMs: number) => Episode[] {
  const base = anchorMs + 60_000;
  const memo = new Map<number, Episode>();
  const slot = (k: number): Episode => {
    const hit = memo.get(k);
    if (hit) return hit;
    const rnd = mulberry32((seed * 7919) ^ (k * 104_729) ^ 0x51ed);
    const start = base + k * SLOT_MS + (k === 0 ? 0 : Math.floor(rnd() * 4) * 60_000);
    const duration = (6 + Math.floor(rnd() * 4)) * 60_000;
    let scenario: Scenario;
    if (k === 0) scenario = 'pg-io';
    else if (k > 0 && rnd() < 0.6) scenario = ANTAGONIST_SCENARIOS[Math.floor(rnd() * ANTAGONIST_SCENARIOS.length)]!;
    else scenario = BENIGN_SCENARIOS[Math.floor(rnd() * BENIGN_SCENARIOS.length)]!;
    const ep = planEpisode(topology, rnd, { scenario, startMs: start, durationMs: duration, antagonists: k > 0 && rnd() < 0.15 ? 2 : 1, id: `sim-${seed}-${k}` });
    if (memo.size > 10_000) memo.clear();
    memo.set(k, ep);
    return ep;
  };
  return (fromMs, toMs) => {
    const out: Episode[] = [];
    const k0 = Math.floor((fromMs - base) / SLOT_MS) - 1;
    const k1 = Math.floor((toMs - base) / SLOT_MS);
    for (let k = k0; k <= k1; k++) {
      const ep = slot(k);
      if (ep.startMs < toMs && ep.endMs > fromMs) out.push(ep);
    }
    return out;
  };
}

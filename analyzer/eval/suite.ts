/**
 * The labelled scenario suite: seeded episodes injected one at a time into a simulated fleet, each
 * with the history before it, so every case is independent and reproducible. Antagonist episodes
 * cover node cpu/memory, PostgreSQL cpu/io/wal/connections, Redis command time/memory and ingress
 * floods (some with two antagonists); benign controls cover bursts within headroom, self-throttling,
 * lock contention inside one tenant, rollouts, diurnal ramps and a tenant's own spike.
 */
import {
  ANTAGONIST_SCENARIOS,
  BENIGN_SCENARIOS,
  buildTopology,
  mulberry32,
  planEpisode,
  type Episode,
  type Scenario,
} from '../../collector/simulated/index.js';

export interface SuiteOptions {
  seed: number;
  tenants: number;
  /** antagonist episodes (default 216: 24 per scenario kind) */
  antagonists?: number;
  /** of which with two antagonists (default 27) */
  doubles?: number;
  /** benign controls (default 120) */
  benign?: number;
}

export interface SuiteCase {
  index: number;
  /** the labelled episode */
  episode: Episode;
  /** concurrent unlabelled activity: a decoy (another tenant's own spike on the same resource) */
  extra: Episode[];
}

const HOUR = 3_600_000;

export function buildSuite(o: SuiteOptions): SuiteCase[] {
  const topology = buildTopology(o.tenants, o.seed);
  const rnd = mulberry32(o.seed ^ 0xe7a1);
  const nA = o.antagonists ?? 216;
  const nDouble = o.doubles ?? 27;
  const nB = o.benign ?? 120;
  const cases: SuiteCase[] = [];
  // weekdays of March 2026, business hours mostly, some evenings and nights
  const onset = (scenario: Scenario) => {
    const day = Date.UTC(2026, 2, 2 + Math.floor(rnd() * 4) + 7 * Math.floor(rnd() * 3));
    if (scenario === 'diurnal-ramp') return day + 7 * HOUR + Math.floor(rnd() * 8) * 15 * 60_000;
    const hour = rnd() < 0.8 ? 8 + rnd() * 11 : rnd() * 24;
    return day + Math.floor((hour * HOUR) / 15_000) * 15_000;
  };
  for (let i = 0; i < nA; i++) {
    const scenario = ANTAGONIST_SCENARIOS[i % ANTAGONIST_SCENARIOS.length]!;
    const start = onset(scenario);
    const duration = (5 + Math.floor(rnd() * 6)) * 60_000;
    // harder than a textbook case: some antagonists only just cross the knee, some ramp up over minutes
    const ramp = rnd() < 0.3 ? (1 + Math.floor(rnd() * 3)) * 60_000 : undefined;
    const episode = planEpisode(topology, rnd, { scenario, startMs: start, durationMs: duration, antagonists: i < nDouble ? 2 : 1, id: `a${i}`, intensity: [0.8, 1.2], ...(ramp ? { rampMs: ramp } : {}) });
    const extra: Episode[] = [];
    if (rnd() < 0.3) {
      // a decoy: a big co-tenant's own traffic spike at the same time, on the same node for node cases
      const pool = topology.tenants.filter((t) => !episode.tenants.includes(t.id) && t.band !== 'low' && (episode.resource.kind !== 'node' || t.node === episode.resource.id));
      const decoy = pool[Math.floor(rnd() * pool.length)];
      if (decoy) {
        extra.push({
          id: `a${i}-decoy`,
          label: 'benign',
          scenario: 'own-spike',
          resource: { kind: 'node', id: decoy.node },
          mechanism: undefined,
          tenants: [decoy.id],
          startMs: start - 60_000 + Math.floor(rnd() * 4) * 30_000,
          endMs: start + duration,
          intensity: 1.8 + rnd(),
        });
      }
    }
    cases.push({ index: cases.length, episode, extra });
  }
  for (let i = 0; i < nB; i++) {
    const scenario = BENIGN_SCENARIOS[i % BENIGN_SCENARIOS.length]!;
    const start = onset(scenario);
    const duration = (5 + Math.floor(rnd() * 6)) * 60_000;
    cases.push({ index: cases.length, episode: planEpisode(topology, rnd, { scenario, startMs: start, durationMs: duration, id: `b${i}` }), extra: [] });
  }
  return cases;
}

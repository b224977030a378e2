import { Ajv2020 } from 'ajv/dist/2020.js';
import ajvFormats from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { buildTopology as buildSimTopology, createFleetModel, mulberry32, planEpisode, type Episode, type Scenario } from '../collector/simulated/index.js';
import { ManualClock } from '../lib/clock.js';
import { createMemoryLogger } from '../lib/log.js';
import { createAnalyzer } from './analyzer.js';
import { computeBands, learnThresholds, type BandState } from './bands.js';
import { kthSmallest, robust, slotBaselines } from './baseline.js';
import { detect } from './detect.js';
import { analysisSchema } from './contract/index.js';
import type { BandResult, Finding } from './types.js';
import { backfill, createSignalStore, createSimulatedSignalSource, RESOURCE_SERIES, SIGNAL_NAMES, seriesKey, type Series, type SignalName, type SignalRange, type SignalSource } from './signals/index.js';
import { UNATTRIBUTED_TENANT } from '../tenancy/index.js';

// ajv-formats is CommonJS: under NodeNext its default import is module.exports, the plugin sits on .default
const addFormats = ajvFormats.default;
const ajv = new Ajv2020({ strict: false });
addFormats(ajv);
const validate = ajv.compile(analysisSchema);

const T0 = Date.UTC(2026, 2, 11, 10, 0); // Wednesday 10:00
const TENANTS = 24;
const SEED = 4;

function episode(scenario: Scenario, opts: { antagonists?: number; seed?: number } = {}): Episode {
  const topo = buildSimTopology(TENANTS, SEED);
  return planEpisode(topo, mulberry32(opts.seed ?? 7), { scenario, startMs: T0, durationMs: 8 * 60_000, antagonists: opts.antagonists ?? 1, id: scenario });
}

function setup(episodes: Episode[], clock = new ManualClock(T0)) {
  const model = createFleetModel({ tenants: TENANTS, seed: SEED, episodes });
  const signals = createSimulatedSignalSource(model);
  const analyzer = createAnalyzer({ historyMs: 3_600_000 }, { signals, clock, logger: createMemoryLogger() });
  return { model, signals, analyzer, clock };
}


/** a signal store of one PostgreSQL cluster on a grid of `step` ms from T0: per-tenant samples at point j, and its max_connections (600) */
function pgCluster(resource: string, step: number) {
  const store = createSignalStore({ resolutionMs: step });
  const put = (signal: SignalName, tenant: string, sub: string, j: number, v: number) => store.append({ signal, tenant, resource, sub }, T0 + j * step, v);
  const maxConnections = (j: number) => store.append({ signal: 'postgres.max_connections', tenant: RESOURCE_SERIES, resource, sub: '' }, T0 + j * step, 600);
  return { store, put, maxConnections };
}
describe('robust baselines', () => {
  it('median/MAD ignore an outlier and gaps; too few samples are unknown, not healthy', () => {
    const b = robust([1, 1.1, 0.9, 1, NaN, 1.05, 0.95, 1, 1000, 1]);
    expect(b.center).toBeCloseTo(1, 6);
    expect(b.spread).toBeLessThan(0.2);
    expect(robust([1, 2, NaN, NaN]).center).toBeNaN();
    // a plain array from JSON carries null for a missing sample: missing, not 0
    const withNulls = [1, 1, 1, 1, null, null, null, null, null, 1, 1, 1, 1] as unknown as number[];
    expect(robust(withNulls)).toMatchObject({ center: 1, n: 8, mean: 1 });
    expect(robust(withNulls, 4, 13)).toMatchObject({ n: 4 });
  });

  it('median and MAD by selection are exactly what sorting gives, for odd and even counts, ties and gaps', () => {
    const rnd = mulberry32(11);
    const sorted = (xs: number[]) => Float64Array.from(xs).sort();
    const mid = (a: Float64Array) => (a.length % 2 ? a[a.length >> 1]! : (a[(a.length >> 1) - 1]! + a[a.length >> 1]!) / 2);
    for (let k = 0; k < 300; k++) {
      const n = 8 + Math.floor(rnd() * 500);
      // continuous values, few distinct values (idle tenants), a sorted run, and gaps
      const kind = k % 3;
      const values = Array.from({ length: n }, (_, i) => (rnd() < 0.05 ? NaN : kind === 0 ? rnd() * 10 : kind === 1 ? Math.floor(rnd() * 3) : i));
      const finite = values.filter(Number.isFinite);
      if (finite.length < 8) continue;
      const med = mid(sorted(finite));
      const mad = mid(sorted(finite.map((v) => Math.abs(v - med))));
      const b = robust(values);
      expect(b.center).toBe(med);
      expect(b.spread).toBe(1.4826 * mad);
      expect(b.n).toBe(finite.length);
    }
  });

  it('a selection that starts after an earlier one (the p95 after the median, as bands take them) gives what sorting gives', () => {
    const rnd = mulberry32(12);
    for (let t = 0; t < 300; t++) {
      const n = 1 + Math.floor(rnd() * 400);
      // continuous values, and few distinct ones (ties around both ranks)
      const a = Float64Array.from({ length: n }, () => (t % 2 ? rnd() * 100 : Math.floor(rnd() * 4)));
      const sorted = Float64Array.from(a).sort();
      const m = Math.min(n - 1, Math.max(0, Math.ceil(0.5 * n) - 1));
      const k = Math.min(n - 1, Math.max(0, Math.ceil(0.95 * n) - 1));
      expect(kthSmallest(a, m)).toBe(sorted[m]);
      expect(k > m ? kthSmallest(a, k, n, m + 1) : a[k]).toBe(sorted[k]);
    }
  });

  it('uses the time-of-day slot when history covers it on two days (the 17:00 wave is normal)', () => {
    const step = 300_000;
    const start = Date.UTC(2026, 2, 9);
    const n = 3 * 288;
    const values = new Float64Array(n).map((_, i) => (new Date(start + i * step).getUTCHours() === 17 ? 10 : 1));
    const s = slotBaselines(values, start, step, n, { recentMs: 3_600_000 });
    expect(s.byHour[17]!.center).toBe(10);
    expect(s.byHour[9]!.center).toBe(1);
    expect(slotBaselines(values, start, step, 100, { recentMs: 3_600_000 }).byHour.every((x) => x === undefined)).toBe(true);
  });
});

describe('analyzer on the simulated fleet', () => {
  it('names the PostgreSQL antagonist, its victims and the mechanism, in contract JSON', async () => {
    const ep = episode('pg-io');
    const { analyzer, model } = setup([ep]);
    const r = await analyzer.analyze({ fromMs: T0 - 120_000, toMs: ep.endMs + 180_000 });
    expect(validate(r), JSON.stringify(validate.errors)).toBe(true);
    const nn = r.findings.filter((f) => f.kind === 'noisy-neighbor');
    expect(nn).toHaveLength(1);
    const f = nn[0]!;
    expect(f.suspect!.tenant).toBe(ep.tenants[0]);
    expect(f.resource).toEqual({ kind: 'postgres', id: 'pg-main', mechanism: 'io' });
    expect(f.suspect!.share!).toBeGreaterThan(f.suspect!.baselineShare! + 0.3);
    expect(f.victims.map((v) => v.tenant)).not.toContain(ep.tenants[0]);
    expect(f.victims.length).toBe(TENANTS - 1);
    for (const v of f.victims) expect(v.observed!).toBeGreaterThan(1.5 * v.baseline!);
    expect(Date.parse(f.start) - T0).toBeLessThanOrEqual(30_000);
    expect(analyzer.detectedAtMs.get(f.id)! - T0).toBeLessThanOrEqual(45_000);
    expect(f.end).not.toBeNull();
    expect(Date.parse(f.end!)).toBeGreaterThanOrEqual(ep.endMs);
    expect(f.confidence).toBeGreaterThan(0.8);
    expect(f.evidence!.length).toBeGreaterThan(1);
    // isolation: only tenants of the fleet, and the antagonist is the suspect on no other finding
    const ids = new Set(model.topology.tenants.map((t) => t.id));
    for (const v of f.victims) expect(ids.has(v.tenant)).toBe(true);
  });

  it('with two days of history judges by time-of-day baselines, and names the same antagonists, victims and mechanism', async () => {
    // the per-point path (baselines that change through the window), where the tick's path has one baseline per series
    for (const [scenario, antagonists] of [['pg-io', 1], ['node-cpu', 2]] as const) {
      const ep = episode(scenario, { antagonists });
      const model = createFleetModel({ tenants: TENANTS, seed: SEED, episodes: [ep] });
      const analyzer = createAnalyzer({ historyMs: 2 * 86_400_000, stepMs: 60_000 }, { signals: createSimulatedSignalSource(model), clock: new ManualClock(T0), logger: createMemoryLogger() });
      const r = await analyzer.analyze({ fromMs: T0 - 120_000, toMs: ep.endMs + 180_000 });
      expect(validate(r), JSON.stringify(validate.errors)).toBe(true);
      const nn = r.findings.filter((f) => f.kind === 'noisy-neighbor');
      expect(new Set(nn.map((f) => f.suspect!.tenant))).toEqual(new Set(ep.tenants));
      const members = new Set(model.topology.tenants.filter((t) => (scenario === 'pg-io' ? true : t.node === ep.resource.id)).map((t) => t.id));
      for (const f of nn) {
        expect(f.resource).toEqual({ kind: ep.resource.kind, id: ep.resource.id, mechanism: scenario === 'pg-io' ? 'io' : 'cpu' });
        expect(f.victims.length).toBeGreaterThan(0);
        for (const v of f.victims) {
          expect(members.has(v.tenant)).toBe(true);
          expect(ep.tenants).not.toContain(v.tenant);
          expect(v.observed!).toBeGreaterThan(1.5 * v.baseline!);
        }
      }
      if (scenario === 'pg-io') expect(nn[0]!.victims.length).toBe(TENANTS - 1);
    }
  });

  it('refuses a minShareRise outside (0, 1] when it is built, naming the option and the value', () => {
    const deps = { signals: createSimulatedSignalSource(createFleetModel({ tenants: 4, seed: SEED })), clock: new ManualClock(T0), logger: createMemoryLogger() };
    for (const bad of [0, -0.1, 1.5, Number.NaN]) expect(() => createAnalyzer({ minShareRise: bad }, deps)).toThrow(new RegExp(`minShareRise is ${bad}; it must be a share of the resource in \\(0, 1\\]`));
    expect(() => createAnalyzer({ minShareRise: 0.2 }, deps)).not.toThrow();
  });

  it('rejects a window that ends before it starts with a request error naming both times', async () => {
    const { analyzer } = setup([]);
    await expect(analyzer.analyze({ fromMs: T0, toMs: T0 - 1 })).rejects.toMatchObject({ code: 'TS_REQUEST_INVALID', message: expect.stringMatching(/from=2026-03-11T10:00:00.000Z to=2026-03-11T09:59:59.999Z/) });
  });

  it('keeps the episode id across re-analysis of overlapping windows', async () => {
    const ep = episode('redis-command-time');
    const { analyzer } = setup([ep]);
    const a = await analyzer.analyze({ fromMs: T0 - 120_000, toMs: T0 + 180_000 });
    const b = await analyzer.analyze({ fromMs: T0 - 60_000, toMs: T0 + 300_000 });
    const ida = a.findings.find((f) => f.kind === 'noisy-neighbor')!.id;
    const idb = b.findings.find((f) => f.kind === 'noisy-neighbor')!.id;
    expect(ida).toBe(idb);
    expect(a.findings.find((f) => f.id === ida)!.end).toBeNull();
  });

  it('names both antagonists when two surge on one node; victims are only co-tenants of that node', async () => {
    const ep = episode('node-cpu', { antagonists: 2 });
    const { analyzer, model } = setup([ep]);
    const r = await analyzer.analyze({ fromMs: T0 - 120_000, toMs: T0 + 300_000 });
    const suspects = new Set(r.findings.filter((f) => f.kind === 'noisy-neighbor').map((f) => f.suspect!.tenant));
    expect(suspects).toEqual(new Set(ep.tenants));
    const onNode = new Set(model.topology.tenants.filter((t) => t.node === ep.resource.id).map((t) => t.id));
    for (const f of r.findings.filter((x) => x.kind === 'noisy-neighbor')) {
      expect(f.resource.id).toBe(ep.resource.id);
      for (const v of f.victims) expect(onNode.has(v.tenant)).toBe(true);
    }
  });

  it('never blames a neighbour for lock waits inside a tenant database, nor for its own CPU limit', async () => {
    for (const scenario of ['lock-contention', 'self-throttle'] as const) {
      const ep = episode(scenario);
      const { analyzer } = setup([ep]);
      const r = await analyzer.analyze({ fromMs: T0 - 120_000, toMs: ep.endMs });
      expect(r.findings.filter((f) => f.kind !== 'tenant-degradation')).toEqual([]);
      const own = r.findings.filter((f) => f.kind === 'tenant-degradation');
      expect(own.map((f) => f.victims[0]!.tenant)).toEqual([ep.tenants[0]]);
      if (scenario === 'lock-contention') expect(own[0]!.resource.mechanism).toBe('locks');
    }
  });

  it('a burst within headroom raises nothing', async () => {
    const ep = episode('burst-within-headroom');
    const { analyzer } = setup([ep]);
    const r = await analyzer.analyze({ fromMs: T0 - 120_000, toMs: ep.endMs });
    expect(r.findings).toEqual([]);
  });

  it('treats missing samples as unknown: a gap in the window raises nothing', async () => {
    const ep = episode('pg-cpu');
    const { signals } = setup([ep]);
    // the victims' harm signals are missing during the episode (a collector outage)
    const gappy: SignalSource = {
      name: 'gappy',
      async range(q, from, to, step) {
        const r = await signals.range(q, from, to, step);
        const series = r.series.map((s) => {
          if (!s.signal.startsWith('postgres.mean_query') && !s.signal.startsWith('ingress.')) return s;
          const values = Float64Array.from(s.values, (v, i) => (r.startMs + i * step >= T0 ? Number.NaN : v));
          return { ...s, values };
        });
        return { ...r, series } satisfies SignalRange;
      },
    };
    const analyzer = createAnalyzer({ historyMs: 3_600_000 }, { signals: gappy, clock: new ManualClock(T0), logger: createMemoryLogger() });
    const r = await analyzer.analyze({ fromMs: T0 - 120_000, toMs: T0 + 300_000 });
    expect(r.findings).toEqual([]);
  });

  it('many tenants degraded with no one surging is a platform degradation, with no suspect', async () => {
    const { signals } = setup([]);
    // an ingress fault: every tenant's p95 triples at T0, nobody's usage changes
    const faulty: SignalSource = {
      name: 'faulty-ingress',
      async range(q, from, to, step) {
        const r = await signals.range(q, from, to, step);
        const series = r.series.map((s) =>
          s.signal === 'ingress.p95_latency_seconds' ? { ...s, values: Float64Array.from(s.values, (v, i) => (r.startMs + i * step >= T0 ? 3 * v : v)) } : s,
        );
        return { ...r, series };
      },
    };
    const analyzer = createAnalyzer({ historyMs: 3_600_000 }, { signals: faulty, clock: new ManualClock(T0), logger: createMemoryLogger() });
    const r = await analyzer.analyze({ fromMs: T0 - 120_000, toMs: T0 + 300_000 });
    expect(validate(r), JSON.stringify(validate.errors)).toBe(true);
    expect(r.findings.map((f) => [f.kind, f.resource.kind, f.resource.id])).toEqual([['platform-degradation', 'ingress', 'edge']]);
    expect(r.findings[0]!.suspect).toBeNull();
    expect(r.findings[0]!.victims).toHaveLength(TENANTS);
  });

  it('tick() keeps the id and start of an open episode and closes it when the antagonist stops', async () => {
    const ep = episode('ingress-flood');
    const clock = new ManualClock(T0 + 60_000);
    const { analyzer } = setup([ep], clock);
    const first = (await analyzer.tick()).findings.find((f) => f.kind === 'noisy-neighbor')!;
    expect(first.end).toBeNull();
    clock.set(T0 + 6 * 60_000);
    const later = (await analyzer.tick()).findings.find((f) => f.kind === 'noisy-neighbor')!;
    expect(later.id).toBe(first.id);
    expect(later.start).toBe(first.start);
    clock.set(ep.endMs + 5 * 60_000);
    const after = (await analyzer.tick()).findings.find((f) => f.kind === 'noisy-neighbor')!;
    expect(after.id).toBe(first.id);
    expect(after.end).not.toBeNull();
  });

  it('an episode longer than the tick window keeps its id and start after it ends, while its tail is in the window', async () => {
    const topo = buildSimTopology(TENANTS, SEED);
    const long = planEpisode(topo, mulberry32(7), { scenario: 'pg-io', startMs: T0, durationMs: 25 * 60_000, antagonists: 1, id: 'long' });
    const clock = new ManualClock(T0 + 2 * 60_000);
    const { analyzer } = setup([long], clock);
    const first = (await analyzer.tick()).findings.find((f) => f.kind === 'noisy-neighbor')!;
    const ids = new Set<string>([first.id]);
    const starts = new Set<string>([first.start]);
    // through the end and until the tail leaves the 15-min window, every 5 min
    for (let t = T0 + 5 * 60_000; t <= long.endMs + 12 * 60_000; t += 5 * 60_000) {
      clock.set(t);
      const f = (await analyzer.tick()).findings.find((x) => x.kind === 'noisy-neighbor' && x.suspect?.tenant === first.suspect?.tenant);
      if (!f) continue;
      ids.add(f.id);
      starts.add(f.start);
    }
    expect([...ids]).toEqual([first.id]);
    expect([...starts]).toEqual([first.start]);
  });

  it('two episodes of one antagonist minutes apart are two findings with their own ids, start before end, every tick', async () => {
    const topo = buildSimTopology(TENANTS, SEED);
    // both start within one 5-min id bucket, separated by more than the gap tolerance
    const a = planEpisode(topo, mulberry32(7), { scenario: 'pg-io', startMs: T0, durationMs: 75_000, antagonists: 1, id: 'a' });
    const b = planEpisode(topo, mulberry32(7), { scenario: 'pg-io', startMs: T0 + 165_000, durationMs: 75_000, antagonists: 1, id: 'b' });
    expect(b.tenants).toEqual(a.tenants);
    const clock = new ManualClock(T0 + 60_000);
    const { analyzer } = setup([a, b], clock);
    const episodes = new Map<string, string>();
    let both = 0;
    for (let t = T0 + 60_000; t <= T0 + 12 * 60_000; t += 15_000) {
      clock.set(t);
      const nn = (await analyzer.tick()).findings.filter((f) => f.kind === 'noisy-neighbor' && f.suspect?.tenant === a.tenants[0]);
      for (const f of nn) {
        expect(f.end ? Date.parse(f.end) >= Date.parse(f.start) : true, `${f.id} ${f.start}–${f.end}`).toBe(true);
        // an id always names the same episode (the same start)
        expect(episodes.get(f.id) ?? f.start).toBe(f.start);
        episodes.set(f.id, f.start);
      }
      expect(new Set(nn.map((f) => f.id)).size).toBe(nn.length);
      if (nn.length === 2) both++;
    }
    expect(both).toBeGreaterThan(0);
    expect(episodes.size).toBe(2);
  });

  it('a fresh start judges from short history: names a mostly idle antagonist, never the unattributed bucket as victim', async () => {
    // a real cluster right after `run` starts: 2-s steps, 60 s of light load, then one tenant's CPU surges.
    // Active-session load of light tenants is sampled as 0 most of the time (every median is 0).
    const step = 2000;
    const store = createSignalStore({ resolutionMs: step });
    const rnd = mulberry32(3);
    const light = ['acme', 'globex', 'initech', 'stark'];
    const onset = 30; // points of light load
    const put = (signal: SignalName, tenant: string, sub: string, j: number, v: number) => store.append({ signal, tenant, resource: 'pg-live', sub }, T0 + j * step, v);
    const feed = (from: number, to: number) => {
      for (let j = from; j < to; j++) {
        const hot = j >= onset;
        for (const t of [...light, 'hooli', UNATTRIBUTED_TENANT]) {
          const slowed = hot && t !== 'hooli' ? 3 : 1;
          put('postgres.mean_query_seconds', t, '', j, 0.009 * slowed * (1 + 0.05 * (rnd() - 0.5)));
          put('postgres.connections', t, '', j, t === 'hooli' && hot ? 5 : 1);
          // initech is never caught active until one sample at points 24-25, while acme's latency wobbles: noise
          const blip = j === 24 || j === 25;
          const cpu = t === 'hooli' && hot ? 4 : t === 'initech' ? (blip ? 0.5 : 0) : rnd() < 0.1 ? 0.5 : 0;
          put('postgres.load_sessions', t, 'CPU', j, cpu);
          if (blip && t === 'acme') put('postgres.mean_query_seconds', t, '', j, 0.009 * 1.7);
        }
      }
    };
    const clock = new ManualClock(T0);
    const analyzer = createAnalyzer({ stepMs: step }, { signals: store, clock, logger: createMemoryLogger() });
    // 6 points: too few for a baseline; nothing is judged, and nothing may be cached for later ticks
    feed(0, 6);
    clock.set(T0 + 5 * step);
    expect((await analyzer.tick()).findings).toEqual([]);
    feed(6, onset + 6);
    clock.set(T0 + (onset + 5) * step);
    const r = await analyzer.tick();
    const nn = r.findings.filter((f) => f.kind === 'noisy-neighbor');
    // the blip names no one: only the antagonist, from the onset on
    expect(nn.map((f) => f.suspect?.tenant)).toEqual(['hooli']);
    expect(nn[0]!.resource).toEqual({ kind: 'postgres', id: 'pg-live', mechanism: 'cpu' });
    expect(nn[0]!.victims.map((v) => v.tenant).sort()).toEqual(light);
    expect(r.findings.flatMap((f) => f.victims.map((v) => v.tenant))).not.toContain(UNATTRIBUTED_TENANT);
    expect(Date.parse(nn[0]!.start)).toBe(T0 + onset * step);
  });

  it('connections far below max_connections name the suspect, but the mechanism only when no load moved', async () => {
    // the antagonist opens 4 more connections (1 → 5: a count at 1.5 % of max_connections whose share
    // rises by 0.36). In one run its CPU load also triples (a share rise of only 0.23); in the other, a
    // connection storm whose cost is backend start-up, which no wait sample sees, nothing else moves.
    const step = 2000;
    const onset = 40;
    const light = ['acme', 'globex', 'initech', 'stark'];
    /**
     * cpuFrom: the point from which the antagonist's CPU load has tripled (never when undefined);
     * reconnect: session starts per second of a light tenant (initech) from point `at` for `steps` points
     */
    const run = async (cpuFrom: number | undefined, reconnect?: { perSecond: number; at: number; steps: number }) => {
      const { store, put, maxConnections } = pgCluster('pg-live', step);
      const rnd = mulberry32(5);
      for (let j = 0; j < onset + 20; j++) {
        const hot = j >= onset;
        maxConnections(j);
        for (const t of [...light, 'hooli']) {
          put('postgres.mean_query_seconds', t, '', j, 0.009 * (hot && t !== 'hooli' ? 3 : 1) * (1 + 0.05 * (rnd() - 0.5)));
          put('postgres.connections', t, '', j, t === 'hooli' && hot ? 5 : 1);
          put('postgres.load_sessions', t, 'CPU', j, t === 'hooli' && cpuFrom !== undefined && j >= cpuFrom ? 1.5 : 0.5 + 0.1 * (rnd() - 0.5));
          if (reconnect) put('postgres.session_rate', t, '', j, t === 'initech' && j >= reconnect.at && j < reconnect.at + reconnect.steps ? reconnect.perSecond : 0);
        }
      }
      const clock = new ManualClock(T0 + (onset + 19) * step);
      const analyzer = createAnalyzer({ stepMs: step }, { signals: store, clock, logger: createMemoryLogger() });
      return (await analyzer.tick()).findings.filter((f) => f.kind === 'noisy-neighbor');
    };
    const withCpu = await run(onset);
    expect(withCpu.map((f) => [f.suspect?.tenant, f.resource.mechanism])).toEqual([['hooli', 'cpu']]);
    // the count moves at once, the sampled load only later (here for 14 of the 20 points): the episode's
    // mechanism is still the load, the count named at its first points only because nothing else had moved,
    // and what the finding shows of the suspect is its CPU, not its connection count
    const cpuLate = await run(onset + 14);
    expect(cpuLate.map((f) => [f.suspect?.tenant, f.resource.mechanism, f.suspect?.signal])).toEqual([['hooli', 'cpu', 'postgres.load_sessions{wait_event_type="CPU"}']]);
    expect(cpuLate[0]!.evidence?.[0]).toMatchObject({ mechanism: 'cpu', signal: 'postgres.load_sessions{CPU}' });
    // a light victim reconnecting meanwhile (a rollout: 60 starts/s for one step, or 30/s for three) holds all
    // of the churn, yet adds a quarter core or less beside the antagonist's CPU: it is no one's antagonist
    for (const reconnect of [{ perSecond: 60, at: onset + 10, steps: 1 }, { perSecond: 30, at: onset + 10, steps: 3 }]) {
      const r = await run(onset, reconnect);
      expect(r.map((f) => [f.suspect?.tenant, f.resource.mechanism]), JSON.stringify(reconnect)).toEqual([['hooli', 'cpu']]);
    }
    const stormOnly = await run(undefined);
    expect(stormOnly.map((f) => [f.suspect?.tenant, f.resource.mechanism])).toEqual([['hooli', 'connections']]);
    expect(stormOnly[0]!.evidence?.[0]).toMatchObject({ mechanism: 'connections', utilisation: 9 / 600 });
  });

  it('a connection storm is named by its session churn, not by a light tenant caught once in a wait', async () => {
    // pgbench -C on 12 clients: the antagonist opens ~600 sessions/s (none before), its connection count
    // flickers 1 → 5-9, and no wait sample sees the backends' start-up. The light tenants' sampled load is
    // mostly 0 with a 0.5 now and then, and stark is caught once in an IO wait during the storm.
    const step = 2000;
    const onset = 40;
    const light = ['acme', 'globex', 'initech', 'stark', 'umbrella'];
    /** leak: the storm's first sessions already counted in the last point before the onset */
    const run = async (churn: number | undefined, leak = false) => {
      const { store, put, maxConnections } = pgCluster('pg-eval', step);
      const rnd = mulberry32(11);
      // the churn's own noise, so every run sees the same wait samples and latencies
      const churnRnd = mulberry32(12);
      for (let j = 0; j < onset + 15; j++) {
        const hot = j >= onset;
        maxConnections(j);
        for (const t of [...light, 'hooli']) {
          const storm = t === 'hooli' && hot;
          put('postgres.mean_query_seconds', t, '', j, (t === 'hooli' ? 0.001 : 0.009 * (hot ? 2.2 : 1)) * (1 + 0.05 * (rnd() - 0.5)));
          put('postgres.connections', t, '', j, storm ? 5 + Math.floor(rnd() * 5) : 1);
          // the forks take the CPU: a light tenant's query runs longer and is caught active more often
          put('postgres.load_sessions', t, 'CPU', j, rnd() < (hot ? 0.4 : 0.12) ? 0.5 : 0);
          put('postgres.load_sessions', t, 'IO', j, t === 'stark' && j === onset + 10 ? 0.5 : 0);
          const churning = storm || (leak && t === 'hooli' && j === onset - 1);
          if (churn !== undefined) put('postgres.session_rate', t, '', j, churning ? churn * (1 + 0.1 * (churnRnd() - 0.5)) : 0);
        }
      }
      const clock = new ManualClock(T0 + (onset + 14) * step);
      const analyzer = createAnalyzer({ stepMs: step }, { signals: store, clock, logger: createMemoryLogger() });
      // a leak matters where the baseline ends at the onset: a window asked from the onset on (as the evaluation asks)
      const r = leak ? await analyzer.analyze({ fromMs: T0 + onset * step, toMs: T0 + (onset + 14) * step }) : await analyzer.tick();
      return r.findings.filter((f) => f.kind === 'noisy-neighbor');
    };
    const storm = await run(600);
    expect(storm.map((f) => [f.suspect?.tenant, f.resource.mechanism])).toEqual([['hooli', 'connections']]);
    expect(storm[0]!.suspect).toMatchObject({ signal: 'postgres.session_rate' });
    expect(storm[0]!.victims.map((v) => v.tenant).sort()).toEqual(light);
    // the baseline caught the storm's first moment (a sample stamped on the step before the onset): with
    // every other tenant at 0 that one point is the antagonist's whole baseline share, yet it is named
    const leaked = await run(600, true);
    expect(leaked.map((f) => [f.suspect?.tenant, f.resource.mechanism, f.suspect?.signal])).toEqual([['hooli', 'connections', 'postgres.session_rate']]);
    // without the churn signal (a collector before PostgreSQL 14 has no pg_stat_database.sessions) the storm
    // shows only as a count far below max_connections beside sampling noise: no light tenant is named
    const named = (fs: Finding[]) => fs.map((f) => [f.suspect?.tenant, f.resource.mechanism, f.suspect?.signal]);
    const countOnly = await run(undefined);
    expect(named(countOnly)).toEqual([['hooli', 'connections', 'postgres.connections']]);
    // churn below a tenth of what one core starts (20/s of 225) is not what names the storm: the count does
    expect(named(await run(20))).toEqual(named(countOnly));
    // above it (30/s) the churn does
    expect(named(await run(30))).toEqual([['hooli', 'connections', 'postgres.session_rate']]);
  });

  it('a past window asked through analyze() does not change the bands the live tick exports', async () => {
    const clock = new ManualClock(T0 + 17 * 3_600_000); // the live loop at 17:00, the dispatch wave
    const { analyzer } = setup([], clock);
    // the levels: a tick may refresh a slice of tenants' features from their own history meanwhile
    const levels = (bands: BandResult[]) => bands.map((b) => [b.tenant, b.band, b.since, b.previous]);
    const live = levels((await analyzer.tick()).bands);
    const night = await analyzer.analyze({ fromMs: T0 - 9 * 3_600_000, toMs: T0 - 8 * 3_600_000 }); // 02:00, the night
    expect(levels(night.bands)).not.toEqual(live);
    clock.advance(15_000);
    expect(levels((await analyzer.tick()).bands)).toEqual(live);
  });
});

describe('live tick', () => {
  it('after the first tick reads only the newest points, and refreshes baselines a slice of tenants per tick, each within the period', async () => {
    const model = createFleetModel({ tenants: 40, seed: SEED });
    const sim = createSimulatedSignalSource(model);
    const reads: { fromMs: number; toMs: number; tenants: readonly string[] | undefined }[] = [];
    const signals: SignalSource = {
      name: 'counting',
      range: async (q, from, to, step) => {
        reads.push({ fromMs: from, toMs: to, tenants: q.tenants });
        return sim.range(q, from, to, step);
      },
    };
    const clock = new ManualClock(T0);
    const analyzer = createAnalyzer({ historyMs: 3_600_000, baselineRefreshMs: 300_000 }, { signals, clock, logger: createMemoryLogger() });
    await analyzer.tick();
    // the first tick is cold: one read of the whole fleet with its history
    expect(reads).toEqual([{ fromMs: T0 - 15 * 60_000 - 3_600_000, toMs: T0, tenants: undefined }]);
    const refreshedAt = new Map<string, number>();
    for (let k = 1; k <= 24; k++) {
      reads.length = 0;
      clock.advance(15_000);
      await analyzer.tick();
      // and the refresh it starts after returning
      await analyzer.idle();
      const now = clock.now();
      // the window: only the last points again (the rest is held from the previous tick)
      const window = reads.filter((r) => r.tenants === undefined);
      expect(window).toHaveLength(1);
      expect(now - window[0]!.fromMs).toBeLessThanOrEqual(8 * 15_000);
      // history: for a slice of the fleet only, never all of it
      const history = reads.filter((r) => r.tenants !== undefined);
      for (const r of history) {
        expect(r.fromMs).toBe(now - 15 * 60_000 - 3_600_000);
        expect(r.tenants!.length).toBeLessThanOrEqual(4);
        for (const t of r.tenants!) refreshedAt.set(t, now);
      }
    }
    // 24 ticks of 15 s span the 5-min period: every tenant was refreshed once or more
    expect(refreshedAt.size).toBe(40);
  });

  it('returns its findings before the baseline refresh; a refresh that fails is logged and retried, and the loop goes on', async () => {
    const sim = createSimulatedSignalSource(createFleetModel({ tenants: 20, seed: SEED }));
    // the slice reads (with a tenant list) wait for release(), or fail while failing is set
    let failing = false;
    let gated = true;
    let release: (() => void) | undefined;
    const sliceReads: string[][] = [];
    const signals: SignalSource = {
      name: 'gated',
      range: async (q, from, to, step) => {
        if (q.tenants) {
          sliceReads.push([...q.tenants]);
          if (failing) throw new Error('query API timed out');
          if (gated) await new Promise<void>((r) => (release = r));
        }
        return sim.range(q, from, to, step);
      },
    };
    const clock = new ManualClock(T0);
    const logger = createMemoryLogger();
    const analyzer = createAnalyzer({ historyMs: 3_600_000, baselineRefreshMs: 300_000 }, { signals, clock, logger });
    await analyzer.tick();
    clock.advance(15_000);
    const r = await analyzer.tick();
    // the tick is out while its refresh still waits on the source
    expect(r.bands).toHaveLength(20);
    expect(sliceReads).toHaveLength(0);
    let idle = false;
    const waiting = analyzer.idle().then(() => (idle = true));
    await new Promise((res) => setTimeout(res, 20));
    expect(sliceReads).toHaveLength(1);
    expect(idle).toBe(false);
    // the next tick waits for it rather than reading beside it
    clock.advance(15_000);
    let next = false;
    const nextTick = analyzer.tick().then(() => (next = true));
    await new Promise((res) => setTimeout(res, 20));
    expect(next).toBe(false);
    gated = false;
    release!();
    await waiting;
    await nextTick;
    await analyzer.idle();
    // a failing refresh: the tick still answers, the failure is a warning naming the source, and the same tenants are due again
    failing = true;
    clock.advance(15_000);
    await analyzer.tick();
    await analyzer.idle();
    const failedSlice = sliceReads.at(-1)!;
    expect(failedSlice.length).toBeGreaterThan(0);
    expect(logger.lines.some((l) => l.includes('refreshing baselines failed') && l.includes('gated') && l.includes('query API timed out'))).toBe(true);
    failing = false;
    clock.advance(15_000);
    expect((await analyzer.tick()).bands).toHaveLength(20);
    await analyzer.idle();
    expect(sliceReads.at(-1)).toEqual(expect.arrayContaining(failedSlice));
  });

  it('never writes into the arrays a source handed over, also when a stalled loop reads the whole window again', async () => {
    const sim = createSimulatedSignalSource(createFleetModel({ tenants: 12, seed: SEED }));
    const handed: { range: SignalRange; copy: number[][] }[] = [];
    const signals: SignalSource = {
      name: 'recording',
      range: async (q, from, to, step) => {
        const range = await sim.range(q, from, to, step);
        handed.push({ range, copy: range.series.map((s) => [...s.values]) });
        return range;
      },
    };
    const clock = new ManualClock(T0);
    const analyzer = createAnalyzer({ historyMs: 3_600_000 }, { signals, clock, logger: createMemoryLogger() });
    await analyzer.tick();
    // a stall longer than the tick window: the next tick reads the whole window from the source
    clock.advance(16 * 60_000);
    await analyzer.tick();
    for (let k = 0; k < 4; k++) {
      clock.advance(15_000);
      await analyzer.tick();
    }
    expect(handed.length).toBeGreaterThan(4);
    for (const { range, copy } of handed) expect(range.series.map((s) => [...s.values])).toEqual(copy);
  });

  it('on the embedded store, moves its window forward in place and judges as a fresh analyzer over the same store', async () => {
    const ep = episode('pg-cpu');
    const model = createFleetModel({ tenants: TENANTS, seed: SEED, episodes: [ep] });
    const sim = createSimulatedSignalSource(model);
    const store = createSignalStore({ resolutionMs: 15_000, fineHorizonMs: 3 * 3_600_000 });
    let start = T0 - 80 * 60_000;
    await backfill(store, sim, start, T0 - 4 * 60_000, 15_000);
    // count what the live loop reads: whole-fleet range() reads and in-place moves
    let fleetReads = 0;
    let moves = 0;
    const signals: SignalSource = {
      name: store.name,
      range: (q, from, to, step) => {
        if (!q.tenants) fleetReads++;
        return store.range(q, from, to, step);
      },
      generation: () => store.generation!(),
      advance: (range, shift, from, generation) => {
        const r = store.advance!(range, shift, from, generation);
        if (r) moves++;
        return r;
      },
    };
    const clock = new ManualClock(T0 - 4 * 60_000);
    const live = createAnalyzer({ historyMs: 3_600_000 }, { signals, clock, logger: createMemoryLogger() });
    await live.tick();
    let r = await live.tick();
    for (let k = 0; k < 24; k++) {
      clock.advance(15_000);
      // one new point of every series, as the sampler appends them
      start = clock.now();
      await backfill(store, sim, start, start, 15_000);
      r = await live.tick();
    }
    // after the cold tick and one read that assembles the window, every tick moved it in place
    expect(fleetReads).toBe(2);
    expect(moves).toBe(24);
    const fresh = createAnalyzer({ historyMs: 3_600_000 }, { signals: store, clock: new ManualClock(clock.now()), logger: createMemoryLogger() });
    const full = await fresh.tick();
    const nn = (x: typeof r) => x.findings.filter((f) => f.kind === 'noisy-neighbor').map((f) => [f.suspect?.tenant, f.resource, f.victims.map((v) => v.tenant).sort()]);
    expect(nn(r).length).toBeGreaterThan(0);
    expect(nn(r)).toEqual(nn(full));
    // a new series (a tenant onboarded) changes the store's generation: the next tick reads the window anew
    store.append({ signal: 'postgres.tps', tenant: 'newco', resource: model.topology.pgCluster, sub: '' }, clock.now(), 1);
    clock.advance(15_000);
    await backfill(store, sim, clock.now(), clock.now(), 15_000);
    await live.tick();
    expect(fleetReads).toBe(3);
    expect(moves).toBe(24);
  });

  it('judges the same as a full read when the window is assembled from held and new points', async () => {
    const ep = episode('pg-cpu');
    const { analyzer, clock } = setup([ep], new ManualClock(T0 + 60_000));
    await analyzer.tick();
    clock.set(T0 + 4 * 60_000);
    const r = await analyzer.tick();
    const { analyzer: fresh } = setup([ep], new ManualClock(T0 + 4 * 60_000));
    const full = await fresh.tick();
    const nn = (x: typeof r) => x.findings.filter((f) => f.kind === 'noisy-neighbor').map((f) => [f.suspect?.tenant, f.resource, f.victims.map((v) => v.tenant).sort()]);
    expect(nn(r).length).toBeGreaterThan(0);
    expect(nn(r)).toEqual(nn(full));
  });
});

describe('corroboration', () => {
  it('names victims at the first point several tenants of a resource degrade together; a lone spike still waits', () => {
    const step = 15_000;
    const points = 300;
    const hist = 240;
    const tenants = ['a', 'b', 'c', 'd', 'e', 'f'];
    const series: SignalRange['series'][number][] = [];
    const add = (signal: SignalName, tenant: string, sub: string, f: (j: number) => number) =>
      series.push({ signal, tenant, resource: 'pg-x', sub, values: new Float64Array(points).map((_, j) => f(j)) });
    const onset = hist + 20;
    const rnd = mulberry32(3);
    for (const t of tenants) {
      const hurt = t !== 'a' && t !== 'f';
      // b..e slow down together from the onset (a's share of CPU surges); f has one lone spike at 250
      add('postgres.mean_query_seconds', t, '', (j) => 0.01 * (1 + 0.02 * rnd()) * (hurt && j >= onset ? 3 : t === 'f' && j === 250 ? 3 : 1));
      add('postgres.load_sessions', t, 'CPU', (j) => (t === 'a' && j >= onset - 1 ? 6 : 0.5) * (1 + 0.02 * rnd()));
    }
    const range: SignalRange = { startMs: T0, stepMs: step, points, series, warnings: [] };
    const d = detect(range, { windowStart: hist, recentBaselineMs: hist * step });
    const nn = d.findings.filter((f) => f.kind === 'noisy-neighbor');
    expect(nn.map((f) => f.suspect?.tenant)).toEqual(['a']);
    expect(nn[0]!.victims.map((v) => v.tenant).sort()).toEqual(['b', 'c', 'd', 'e']);
    expect(Date.parse(nn[0]!.start)).toBe(T0 + onset * step);
    expect(d.detectedAtMs.get(nn[0]!.id)).toBe(T0 + onset * step);
    // the lone spike of f is no one's harm
    expect(d.findings.flatMap((f) => f.victims.map((v) => v.tenant))).not.toContain('f');
    // with corroboration off (more tenants than there are), the same victims a point later
    const late = detect(range, { windowStart: hist, recentBaselineMs: hist * step, corroboration: 99 });
    const lateNn = late.findings.filter((f) => f.kind === 'noisy-neighbor');
    expect(Date.parse(lateNn[0]!.start)).toBe(T0 + onset * step);
    expect(late.detectedAtMs.get(lateNn[0]!.id)).toBe(T0 + (onset + 1) * step);
  });
});

describe('detect on a held list of series', () => {
  it('reuses what it derived from a list the live loop holds, and derives again once a series in it changed', () => {
    const step = 15_000;
    const points = 300;
    const hist = 240;
    const rnd = mulberry32(4);
    const series: Series[] = [];
    const add = (signal: SignalName, tenant: string, sub: string, f: (j: number) => number) => {
      const s = { signal, tenant, resource: 'pg-x', sub, values: new Float64Array(points).map((_, j) => f(j)) };
      series.push({ ...s, key: seriesKey(s) });
    };
    for (const t of ['a', 'b', 'c', 'd', 'e']) {
      add('postgres.mean_query_seconds', t, '', (j) => 0.01 * (1 + 0.02 * rnd()) * (t !== 'a' && j >= hist + 20 ? 3 : 1));
      add('postgres.load_sessions', t, 'CPU', (j) => (t === 'a' && j >= hist + 19 ? 6 : 0.5) * (1 + 0.02 * rnd()));
    }
    const range: SignalRange = { startMs: T0, stepMs: step, points, series, warnings: [] };
    const suspects = () => detect(range, { windowStart: hist, recentBaselineMs: hist * step }).findings.filter((f) => f.kind === 'noisy-neighbor').map((f) => f.suspect?.tenant);
    expect(suspects()).toEqual(['a']);
    expect(suspects()).toEqual(['a']);
    // the antagonist's series, in place, now belong to a tenant named z: a stale index would still say a
    for (let i = 0; i < series.length; i++) {
      if (series[i]!.tenant !== 'a') continue;
      const s = { ...series[i]!, tenant: 'z' };
      series[i] = { ...s, key: seriesKey(s) };
    }
    expect(suspects()).toEqual(['z']);
  });

  it('reuses it for a new list with the same labels in the same order (a batch read per window), and derives again for other labels or another order', () => {
    const step = 15_000;
    const points = 300;
    const hist = 240;
    /** a new list of fresh series (no keys, as a batch read returns them), the antagonist named `antagonist`, in the given tenant order */
    const read = (antagonist: string, order: string[], seed: number): SignalRange => {
      const rnd = mulberry32(seed);
      const series: Series[] = [];
      for (const t of order) {
        const tenant = t === 'a' ? antagonist : t;
        series.push({ signal: 'postgres.mean_query_seconds', tenant, resource: 'pg-x', sub: '', values: new Float64Array(points).map((_, j) => 0.01 * (1 + 0.02 * rnd()) * (t !== 'a' && j >= hist + 20 ? 3 : 1)) });
        series.push({ signal: 'postgres.load_sessions', tenant, resource: 'pg-x', sub: 'CPU', values: new Float64Array(points).map((_, j) => (t === 'a' && j >= hist + 19 ? 6 : 0.5) * (1 + 0.02 * rnd())) });
      }
      return { startMs: T0, stepMs: step, points, series, warnings: [] };
    };
    const judged = (r: SignalRange) =>
      detect(r, { windowStart: hist, recentBaselineMs: hist * step })
        .findings.filter((f) => f.kind === 'noisy-neighbor')
        .map((f) => `${f.suspect?.tenant} → ${f.victims.map((v) => v.tenant).sort().join(',')}`);
    const order = ['a', 'b', 'c', 'd', 'e'];
    expect(judged(read('a', order, 1))).toEqual(['a → b,c,d,e']);
    expect(judged(read('a', order, 2))).toEqual(['a → b,c,d,e']);
    // same length, other labels: a stale index would name a
    expect(judged(read('z', order, 3))).toEqual(['z → b,c,d,e']);
    // the same labels in another order: a stale index would read b's series as a's
    expect(judged(read('a', [...order].reverse(), 4))).toEqual(['a → b,c,d,e']);
  });
});

describe('mechanism and suspect on time-based loads', () => {
  const step = 15_000;
  const points = 300;
  const hist = 240;
  const onset = hist + 20;
  const tenants = ['a', 'b', 'c', 'd', 'e', 'f'];
  type S = SignalRange['series'][number];

  it('one sample of a tenant in an IO wait does not beat a neighbour adding several CPU sessions', () => {
    const rnd = mulberry32(5);
    const series: S[] = [];
    const add = (signal: SignalName, tenant: string, sub: string, f: (j: number) => number) =>
      series.push({ signal, tenant, resource: 'pg-x', sub, values: new Float64Array(points).map((_, j) => f(j)) });
    for (const t of tenants) {
      const hurt = t !== 'a';
      add('postgres.mean_query_seconds', t, '', (j) => 0.01 * (1 + 0.02 * rnd()) * (hurt && j >= onset ? 3 : 1));
      // a adds ~2.7 CPU sessions; the victims' own CPU load inflates a little as their queries slow down
      add('postgres.load_sessions', t, 'CPU', (j) => (t === 'a' && j >= onset - 1 ? 3.2 : hurt && j >= onset ? 0.65 : 0.5) * (1 + 0.02 * rnd()));
      // IO waits are rare (a sample catches one now and then); f is caught in one at the onset: half a session
      add('postgres.load_sessions', t, 'IO', (j) => (t === 'f' && j === onset ? 0.5 : j < hist && rnd() < 0.08 ? 0.1 : 0));
    }
    const range: SignalRange = { startMs: T0, stepMs: step, points, series, warnings: [] };
    const d = detect(range, { windowStart: hist, recentBaselineMs: hist * step });
    const nn = d.findings.filter((f) => f.kind === 'noisy-neighbor');
    expect(nn.map((f) => [f.suspect?.tenant, f.resource.mechanism])).toEqual([['a', 'cpu']]);
    expect(nn[0]!.victims.map((v) => v.tenant).sort()).toEqual(['b', 'c', 'd', 'e', 'f']);
    expect(d.findings.map((f) => f.resource.mechanism)).not.toContain('io');
  });

  const redisRange = (antagonistSeconds: number): SignalRange => {
    const rnd = mulberry32(9);
    const series: S[] = [];
    const add = (signal: SignalName, tenant: string, resource: string, f: (j: number) => number) =>
      series.push({ signal, tenant, resource, sub: '', values: new Float64Array(points).map((_, j) => f(j)) });
    for (const t of tenants) {
      const hurt = t !== 'a' && t !== 'f';
      add('ingress.request_rate', t, 'edge', () => 20 * (1 + 0.05 * rnd()));
      add('ingress.p95_latency_seconds', t, 'edge', (j) => 0.004 * (1 + 0.05 * rnd()) * (hurt && j >= onset ? 4 : 1));
      add('node.cpu_cores', t, t < 'd' ? 'n1' : 'n2', () => 0.2 * (1 + 0.05 * rnd()));
      add('redis.memory_bytes', t, 'cache', () => 1e6 * (1 + 0.01 * rnd()));
      // no tenant ever ran a slow command before: every history is a known 0
      add('redis.command_seconds_rate', t, 'cache', (j) => (t === 'a' && j >= onset - 1 ? antagonistSeconds * (1 + 0.05 * rnd()) : 0));
    }
    add('redis.max_memory_bytes', RESOURCE_SERIES, 'cache', () => 1e8);
    add('redis.canary_p99_seconds', RESOURCE_SERIES, 'cache', (j) => 0.001 * (1 + 0.05 * rnd()) * (j >= onset ? 20 : 1));
    return { startMs: T0, stepMs: step, points, series, warnings: [] };
  };

  /**
   * The live test's cadence (2-s steps, 4 min of history, the onset at point 130 of 140) on one cluster
   * pg-x: `build` adds each tenant's series with `add`; returns the noisy-neighbor findings.
   */
  const live = { step: 2000, points: 140, hist: 120, at: 130 };
  const liveNoisy = (seed: number, build: (add: (signal: SignalName, tenant: string, sub: string, f: (j: number) => number) => void, rnd: () => number) => void) => {
    const rnd = mulberry32(seed);
    const series: S[] = [];
    build((signal, tenant, sub, f) => void series.push({ signal, tenant, resource: 'pg-x', sub, values: new Float64Array(live.points).map((_, j) => f(j)) }), rnd);
    const range: SignalRange = { startMs: T0, stepMs: live.step, points: live.points, series, warnings: [] };
    return detect(range, { windowStart: live.hist, recentBaselineMs: live.hist * live.step }).findings.filter((f) => f.kind === 'noisy-neighbor');
  };

  it('one sample catching a mostly idle tenant active is no surge, also when its neighbours are busy; a sustained rise still is', () => {
    // 2-s steps: light tenants slow down for two points (noise on a shared machine) just as one sample
    // catches umbrella — idle in 9 of 10 samples before — in a query; acme and globex run a steady trickle
    const { at } = live;
    const run = (umbrella: (j: number) => number) =>
      liveNoisy(8, (add, rnd) => {
        for (const t of ['acme', 'globex', 'stark', 'hooli', 'umbrella']) {
          const hurt = t === 'stark' || t === 'hooli';
          add('postgres.mean_query_seconds', t, '', (j) => 0.009 * (1 + 0.04 * (rnd() - 0.5)) * (hurt && (j === at - 1 || j === at) ? 1.9 : 1));
          add('postgres.load_sessions', t, 'CPU', (j) => (t === 'umbrella' ? umbrella(j) : t === 'acme' || t === 'globex' ? 0.05 : 0));
        }
      });
    const blips = (j: number) => (j % 10 === 3 ? 0.5 : 0);
    expect(run((j) => (j === at ? 0.5 : blips(j)))).toEqual([]);
    // the same tenant taking two sessions from the point before on is the suspect
    expect(run((j) => (j >= at - 1 ? 2 : blips(j))).map((f) => f.suspect?.tenant)).toEqual(['umbrella']);
  });

  it('beside an antagonist adding sessions, a light tenant caught once mid-query is not a second suspect; a second antagonist is', () => {
    const { at } = live;
    // starkExec: stark's statement time per second (pg_stat_statements), when the source has it
    const run = (hooliSessions: number, stark: (j: number) => number, starkExec?: (j: number) => number) =>
      liveNoisy(9, (add, rnd) => {
        for (const t of ['acme', 'globex', 'initech', 'umbrella', 'stark', 'hooli']) {
          const hurt = t !== 'hooli' && (t !== 'stark' || starkExec !== undefined);
          const latency = (j: number) => 0.009 * (1 + 0.04 * (rnd() - 0.5)) * (hurt && j >= at - 1 ? 2.8 : 1);
          add('postgres.mean_query_seconds', t, '', latency);
          // hooli: sessions from the point before; stark, never seen active before the onset
          add('postgres.load_sessions', t, 'CPU', (j) => (t === 'hooli' ? (j >= at - 1 ? hooliSessions : 0) : t === 'stark' ? stark(j) : j % 10 === 3 ? 0.05 : 0));
          // five queries a second each (Little's law: their time is the sessions they hold), hooli its sessions
          if (starkExec) add('postgres.exec_seconds_rate', t, '', (j) => (t === 'hooli' ? (j >= at - 1 ? hooliSessions : 0) : t === 'stark' ? starkExec(j) : 5 * latency(j)));
        }
      });
    // stark caught in one sample, half a session, beside hooli's two sessions: a small fraction of hooli's rise
    expect(run(2, (j) => (j === at ? 0.5 : 0)).map((f) => f.suspect?.tenant)).toEqual(['hooli']);
    // with one activity sample per step (the live test's 1-s steps): hooli's rise reads as one session and
    // stark's one catch as a whole session at its point, half a session in the mean of the two the
    // attribution reads — half of hooli's rise, yet in one sample of the two
    expect(run(1, (j) => (j === at ? 1 : 0)).map((f) => f.suspect?.tenant)).toEqual(['hooli']);
    // stark running a session from the same point as hooli: two antagonists, both named from the onset
    const both = run(1, (j) => (j >= at - 1 ? 1 : 0));
    expect(both.map((f) => f.suspect?.tenant).sort()).toEqual(['hooli', 'stark']);
    expect(new Set(both.map((f) => f.start)).size).toBe(1);
    // with two activity samples per step (the live test's 2-s steps), stark, slowed like the others, caught
    // in one of the two samples of two steps running: half a session in both, as much as a quarter of
    // hooli's rise. The time its statements ran says it only holds its five slowed queries a second.
    const slowed = (j: number) => 5 * 0.009 * (j >= at - 1 ? 2.8 : 1);
    const caughtTwice = (j: number) => (j >= at - 1 ? 0.5 : 0);
    expect(run(1.75, caughtTwice, slowed).map((f) => f.suspect?.tenant)).toEqual(['hooli']);
    // the sampled figures alone cannot tell (the source without statement times): the rule above
    // is what keeps stark out, not a threshold
    expect(run(1.75, caughtTwice).map((f) => f.suspect?.tenant).sort()).toEqual(['hooli', 'stark']);
    // a second antagonist's statements ran for the session it added: still named, from the onset
    const both2 = run(1.75, (j) => (j >= at - 1 ? 1 : 0), (j) => (j >= at - 1 ? 1 : 0) + slowed(j));
    expect(both2.map((f) => f.suspect?.tenant).sort()).toEqual(['hooli', 'stark']);
    expect(new Set(both2.map((f) => f.start)).size).toBe(1);
  });

  it('when no tenant was ever caught on CPU, an antagonist holding CPU sessions names cpu, not the connections it opened; one catch does not', () => {
    const { at } = live;
    // acmeCpu: acme's sampled CPU load; withExec: every tenant's statement time per second is known
    const run = (hooliCpu: (j: number) => number, acmeCpu: (j: number) => number = () => 0, withExec = false) =>
      liveNoisy(3, (add, rnd) => {
        add('postgres.max_connections', RESOURCE_SERIES, '', () => 600);
        for (const t of ['acme', 'globex', 'initech', 'umbrella', 'stark', 'hooli']) {
          const h = t === 'hooli';
          const latency = (j: number) => 0.009 * (1 + 0.04 * (rnd() - 0.5)) * (j >= at - 1 ? 2.8 : 1);
          add('postgres.mean_query_seconds', t, '', latency);
          add('postgres.connections', t, '', (j) => (h && j >= at - 1 ? 5 : 1));
          // short queries no activity sample ever caught on CPU (every baseline 0); the odd IO wait
          add('postgres.load_sessions', t, 'CPU', (j) => (h ? hooliCpu(j) : t === 'acme' ? acmeCpu(j) : 0));
          add('postgres.load_sessions', t, 'IO', (j) => (j % 23 === t.length ? 0.5 : 0));
          // hooli's four connections run statements back to back; the others five queries a second
          if (withExec) add('postgres.exec_seconds_rate', t, '', (j) => (h ? (j >= at - 1 ? 3.5 : 0.05) : 5 * latency(j)));
        }
      });
    const nn = run((j) => (j >= at - 1 ? 1.75 : 0));
    expect(nn.map((f) => [f.suspect?.tenant, f.resource.mechanism])).toEqual([['hooli', 'cpu']]);
    // one sample catching hooli on CPU is no busy session: the connections it opened name the mechanism
    const once = run((j) => (j === at ? 1 : 0));
    expect(once.map((f) => f.resource.mechanism)).not.toContain('cpu');
    // hooli's first two points unknown (its counter is new), acme, slowed, caught in every sample of both:
    // one whole session, and the only CPU load known there. Its statements ran for 0.13 s/s: not a surge.
    const firstUnknown = (j: number) => (j >= at + 1 ? 1.75 : j >= at - 1 ? Number.NaN : 0);
    const caught = (j: number) => (j >= at - 1 ? 1 : 0);
    expect(run(firstUnknown, caught, true).map((f) => f.suspect?.tenant)).not.toContain('acme');
    expect(run(firstUnknown, caught, true).map((f) => [f.suspect?.tenant, f.resource.mechanism])).toContainEqual(['hooli', 'cpu']);
    // without statement times the sampled load alone names acme: the check above is what keeps it out
    expect(run(firstUnknown, caught).map((f) => f.suspect?.tenant)).toContain('acme');
  });

  it('a Redis tenant going from no command time to most of the instance is the suspect, through command-time', () => {
    const d = detect(redisRange(0.7), { windowStart: hist, recentBaselineMs: hist * step });
    const nn = d.findings.filter((f) => f.kind === 'noisy-neighbor');
    expect(nn.map((f) => [f.resource.kind, f.resource.id, f.suspect?.tenant, f.resource.mechanism])).toEqual([['redis', 'cache', 'a', 'command-time']]);
    expect(nn[0]!.victims.map((v) => v.tenant).sort()).toEqual(['b', 'c', 'd', 'e']);
    expect(nn[0]!.suspect!.baselineShare).toBe(0);
    expect(nn[0]!.suspect!.share).toBeGreaterThan(0.9);
  });

  it('a few milliseconds per second of slow commands from nothing names no suspect', () => {
    const d = detect(redisRange(0.02), { windowStart: hist, recentBaselineMs: hist * step });
    expect(d.findings.filter((f) => f.kind === 'noisy-neighbor')).toEqual([]);
    expect(d.findings.some((f) => f.victims.some((v) => v.tenant === 'b'))).toBe(true);
    // nor does that trickle become the mechanism of what was found
    expect(d.findings.map((f) => f.resource.mechanism)).not.toContain('command-time');
  });
});

describe('workload bands', () => {
  it('bands a fleet with no ingress signals by PostgreSQL transactions/s, with thresholds learned among those tenants', () => {
    const points = 40;
    const tps: Record<string, number> = { a: 1, b: 1.2, c: 0.9, d: 8, e: 9, f: 10, g: 80, h: 95 };
    const series = Object.entries(tps).map(([tenant, v]) => ({
      signal: 'postgres.tps' as const,
      tenant,
      resource: 'pg-main',
      sub: '',
      values: new Float64Array(points).map((_, i) => v * (1 + 0.05 * Math.sin(i))),
    }));
    const range: SignalRange = { startMs: T0, stepMs: 15_000, points, series, warnings: [] };
    const bands = computeBands(range, new Map(), { nowMs: T0 + points * 15_000, tierOf: (t) => (t === 'g' ? 'dedicated' : 'shared') });
    const by = Object.fromEntries(bands.map((b) => [b.tenant, b]));
    expect(Object.keys(by).sort()).toEqual(Object.keys(tps).sort());
    expect([by.a!.band, by.d!.band, by.h!.band]).toEqual(['low', 'medium', 'high']);
    expect(by.h!.mismatch).toBe(true); // high on shared capacity
    expect(by.g!.mismatch).toBe(false); // high on dedicated fits
    expect(by.h!.features).toMatchObject({ peakTransactionsPerSecond: expect.any(Number), highThresholdTransactionsPerSecond: expect.any(Number) });
    expect(by.h!.features).not.toHaveProperty('peakRequestsPerSecond');
  });

  it('learns thresholds from the fleet and matches the simulated bands', async () => {
    const model = createFleetModel({ tenants: 40, seed: 3 });
    const src = createSimulatedSignalSource(model);
    const day = Date.UTC(2026, 2, 4);
    const range = await src.range({ signals: SIGNAL_NAMES }, day + 6 * 3_600_000, day + 20 * 3_600_000, 300_000);
    const bands = computeBands(range, new Map(), { nowMs: day, tierOf: () => 'shared' });
    const truth = new Map(model.topology.tenants.map((t) => [t.id, t.band]));
    const right = bands.filter((b) => b.band === truth.get(b.tenant)).length;
    expect(right / bands.length).toBeGreaterThan(0.9);
    for (const b of bands) expect(b.mismatch).toBe(b.band === 'high');
    expect(learnThresholds([1, 2])).toBeUndefined();
  });

  it('does not flap around a boundary (hysteresis) and flags a low band on dedicated capacity', () => {
    const mk = (rps: number): SignalRange => ({
      startMs: 0,
      stepMs: 60_000,
      points: 3,
      warnings: [],
      series: [{ signal: 'ingress.request_rate', tenant: 'acme', resource: 'edge', sub: '', values: new Float64Array([rps, rps, rps]) }],
    });
    const state = new Map<string, BandState>();
    const th = { lowRps: 4, highRps: 20 };
    expect(computeBands(mk(21), state, { nowMs: 1, thresholds: th })[0]!.band).toBe('high');
    expect(computeBands(mk(19), state, { nowMs: 2, thresholds: th })[0]!.band).toBe('high');
    const down = computeBands(mk(15), state, { nowMs: 3, thresholds: th })[0]!;
    expect(down).toMatchObject({ band: 'medium', previous: 'high' });
    const low = computeBands(mk(1), new Map(), { nowMs: 4, thresholds: th, tierOf: () => 'dedicated' })[0]!;
    expect(low).toMatchObject({ band: 'low', tier: 'dedicated', mismatch: true });
  });
});

import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../lib/clock.js';
import { createMemoryLogger } from '../../lib/log.js';
import { createTenantResolver } from '../../tenancy/index.js';
import { createSimulatedFleet } from './fleet.js';
import { createFleetModel, KNEE, slow, type Episode } from './model.js';
import { planEpisode, scheduledEpisodes } from './scenarios.js';
import { mulberry32 } from './prng.js';
import { buildTopology } from './topology.js';

const T0 = Date.UTC(2026, 2, 11, 10, 0); // a Wednesday morning

function deps(clock: ManualClock, registry = new Registry()) {
  const resolver = createTenantResolver({ tenants: [], discover: true, rules: {} } as never);
  return { registry, resolver, clock, logger: createMemoryLogger() };
}

async function metricValue(registry: Registry, name: string, labels: Record<string, string>): Promise<number | undefined> {
  const all = await registry.getMetricsAsJSON();
  const m = all.find((x) => x.name === name);
  const v = (m?.values as { labels: Record<string, string | number>; value: number }[] | undefined)?.find((x) => Object.entries(labels).every(([k, val]) => x.labels[k] === val));
  return v?.value;
}

describe('simulated fleet topology', () => {
  it('is deterministic per seed, spans the three bands and shares nodes', () => {
    const a = buildTopology(40, 3);
    const b = buildTopology(40, 3);
    const c = buildTopology(40, 4);
    expect(a.tenants.map((t) => t.id)).toEqual(b.tenants.map((t) => t.id));
    expect(a.tenants.map((t) => t.id)).not.toEqual(c.tenants.map((t) => t.id));
    expect(new Set(a.tenants.map((t) => t.id)).size).toBe(40);
    expect(new Set(a.tenants.map((t) => t.band))).toEqual(new Set(['low', 'medium', 'high']));
    for (const n of a.nodes) expect(a.tenants.filter((t) => t.node === n.name).length).toBeGreaterThanOrEqual(4);
    expect(() => buildTopology(1, 1)).toThrow(/tenants=1/);
  });
});

describe('fleet physics', () => {
  it('keeps a normal week (dispatch waves, EDI, month-end) below the knee on every shared resource', () => {
    const m = createFleetModel({ tenants: 30, seed: 11 });
    let max = 0;
    // a week around a month end, every 5 minutes
    for (let t = Date.UTC(2026, 0, 26); t < Date.UTC(2026, 1, 2); t += 300_000) {
      const s = m.sample(t);
      max = Math.max(max, s.pg.cpuUtil, s.pg.ioUtil, s.pg.walUtil, s.pg.connectionUtil, s.redis.commandUtil, s.redis.memoryUtil, s.ingress.util, ...s.nodes.flatMap((n) => [n.cpuUtil, n.memoryUtil]));
    }
    expect(max).toBeLessThan(KNEE);
    expect(max).toBeGreaterThan(0.3);
  });

  it('an antagonist on pg-main raises every co-tenant latency through the contended resource; a benign burst raises none', () => {
    const topo = buildTopology(30, 5);
    const rnd = mulberry32(9);
    const nn = planEpisode(topo, rnd, { scenario: 'pg-io', startMs: T0, durationMs: 600_000, id: 'e1' });
    const burst = planEpisode(topo, rnd, { scenario: 'burst-within-headroom', startMs: T0, durationMs: 600_000, id: 'e2' });
    for (const [ep, expectHarm] of [
      [nn, true],
      [burst, false],
    ] as [Episode, boolean][]) {
      const m = createFleetModel({ tenants: 30, seed: 5, episodes: [ep] });
      const before = m.sample(T0 - 60_000);
      const during = m.sample(T0 + 120_000);
      const others = m.topology.tenants.filter((t) => !ep.tenants.includes(t.id));
      const harmed = others.filter((t) => during.tenants[t.index]!.meanQuerySeconds > 2 * before.tenants[t.index]!.meanQuerySeconds);
      if (expectHarm) {
        expect(during.pg.ioUtil).toBeGreaterThan(0.9);
        expect(harmed.length).toBe(others.length);
      } else {
        expect(harmed).toEqual([]);
        expect(Math.max(during.pg.ioUtil, during.ingress.util)).toBeLessThan(KNEE);
      }
      const after = m.sample(ep.endMs + 60_000);
      expect(after.pg.ioUtil).toBeLessThan(KNEE);
    }
  });

  it('lock waits inside one tenant database slow only that tenant (isolation)', () => {
    const topo = buildTopology(20, 2);
    const ep = planEpisode(topo, mulberry32(1), { scenario: 'lock-contention', startMs: T0, durationMs: 600_000, id: 'l' });
    const m = createFleetModel({ tenants: 20, seed: 2, episodes: [ep] });
    const quiet = createFleetModel({ tenants: 20, seed: 2 });
    const t = T0 + 60_000;
    const a = m.sample(t);
    const b = quiet.sample(t);
    for (const tenant of m.topology.tenants) {
      const mine = ep.tenants.includes(tenant.id);
      if (mine) {
        expect(a.tenants[tenant.index]!.loadLock).toBeGreaterThan(b.tenants[tenant.index]!.loadLock + 0.3);
        expect(a.tenants[tenant.index]!.meanQuerySeconds).toBeGreaterThan(1.2 * b.tenants[tenant.index]!.meanQuerySeconds);
      } else {
        expect(a.tenants[tenant.index]).toEqual(b.tenants[tenant.index]);
      }
    }
  });

  it('churns connections: a trickle from pooled workers, bursts from EDI imports and rollouts, a storm from a pool-less antagonist', () => {
    const topo = buildTopology(30, 5);
    const rnd = mulberry32(3);
    const storm = planEpisode(topo, rnd, { scenario: 'pg-connections', startMs: T0, durationMs: 600_000, id: 's' });
    const rollout = planEpisode(topo, rnd, { scenario: 'rollout', startMs: T0, durationMs: 600_000, id: 'r' });
    const quiet = createFleetModel({ tenants: 30, seed: 5 });
    const base = quiet.sample(T0 + 10_000);
    for (const t of quiet.topology.tenants) expect(base.tenants[t.index]!.sessionRate).toBeLessThan(1);
    // an EDI tenant's import hour opens a connection per file: a few per second, well within headroom
    const edi = quiet.topology.tenants.find((t) => t.ediHourUtc >= 0)!;
    const night = quiet.sample(Date.UTC(2026, 2, 11, edi.ediHourUtc, 5));
    expect(night.tenants[edi.index]!.sessionRate).toBeGreaterThan(2);
    expect(night.pg.cpuUtil).toBeLessThan(KNEE);
    for (const [ep, min] of [
      [storm, 20],
      [rollout, 0.1],
    ] as [Episode, number][]) {
      const m = createFleetModel({ tenants: 30, seed: 5, episodes: [ep] });
      const s = m.sample(T0 + 10_000);
      const subject = m.topology.tenants.find((t) => t.id === ep.tenants[0])!;
      expect(s.tenants[subject.index]!.sessionRate).toBeGreaterThan(base.tenants[subject.index]!.sessionRate + min);
      // session starts cost the server CPU; the others' churn is untouched
      expect(s.pg.cpuUtil).toBeGreaterThan(base.pg.cpuUtil);
      for (const t of m.topology.tenants) if (t.id !== subject.id) expect(s.tenants[t.index]!.sessionRate).toBe(base.tenants[t.index]!.sessionRate);
    }
  });

  it('slow() is flat below the knee and steep above it', () => {
    expect(slow(0.2)).toBe(1);
    expect(slow(KNEE)).toBe(1);
    expect(slow(1)).toBeGreaterThan(5);
  });

  it('the showcase schedule opens with a noisy neighbour one minute after the anchor and is pure', () => {
    const topo = buildTopology(30, 8);
    const s1 = scheduledEpisodes(topo, 8, T0);
    const s2 = scheduledEpisodes(topo, 8, T0);
    const first = s1(T0, T0 + 120_000);
    expect(first).toHaveLength(1);
    expect(first[0]).toMatchObject({ label: 'antagonist', startMs: T0 + 60_000 });
    expect(s2(T0 + 3_600_000, T0 + 7_200_000)).toEqual(s1(T0 + 3_600_000, T0 + 7_200_000));
    expect(s1(T0 - 6 * 3_600_000, T0).every((e) => e.label === 'benign')).toBe(true);
  });
});

describe('createSimulatedFleet', () => {
  it('writes the shared metric families, advancing counters by rate × elapsed clock time', async () => {
    const clock = new ManualClock(T0);
    const d = deps(clock);
    const fleet = createSimulatedFleet({ tenants: 12, seed: 1, episodes: [] }, d);
    await fleet.collect();
    const tenant = fleet.topology.tenants[0]!.id;
    const labels = { tenant, pg_cluster: 'pg-main', datname: `${tenant}_prod` };
    const c1 = await metricValue(d.registry, 'tenantscope_pg_xact_commit_total', labels);
    const s1 = await metricValue(d.registry, 'tenantscope_pg_sessions_total', labels);
    clock.advance(15_000);
    await fleet.collect();
    const c2 = await metricValue(d.registry, 'tenantscope_pg_xact_commit_total', labels);
    const tps = fleet.lastSample!.tenants[0]!.tps * 0.99;
    expect(c2! - c1!).toBeCloseTo(tps * 15, 0);
    // the connection churn the analyzer's session_rate reads, as pg_stat_database.sessions counts it
    const s2 = await metricValue(d.registry, 'tenantscope_pg_sessions_total', labels);
    expect(s2! - s1!).toBeCloseTo(fleet.lastSample!.tenants[0]!.sessionRate * 15, 6);
    expect(s2! - s1!).toBeGreaterThan(0);
    const names = new Set((await d.registry.getMetricsAsJSON()).map((m) => m.name));
    for (const n of [
      'tenantscope_ingress_requests_total',
      'tenantscope_ingress_request_duration_seconds',
      'tenantscope_pg_wait_load_seconds_total',
      'tenantscope_redis_canary_seconds',
      'tenantscope_k8s_tenant_cpu_usage_cores',
      'tenantscope_k8s_node_allocatable_cpu_cores',
    ])
      expect(names).toContain(n);
    expect(await metricValue(d.registry, 'tenantscope_k8s_tenant_cpu_usage_cores', { tenant, node: fleet.topology.tenants[0]!.node })).toBeGreaterThan(0);
    // another tenant's series carries its own value, not the first tenant's
    const other = fleet.topology.tenants[1]!;
    const otherCpu = await metricValue(d.registry, 'tenantscope_k8s_tenant_cpu_usage_cores', { tenant: other.id });
    expect(otherCpu).toBeCloseTo(fleet.lastSample!.tenants[1]!.cpuCores, 6);
  });

  it('is deterministic: two fleets with one seed export the same text', async () => {
    const texts: string[] = [];
    for (let i = 0; i < 2; i++) {
      const clock = new ManualClock(T0);
      const d = deps(clock);
      const fleet = createSimulatedFleet({ tenants: 8, seed: 42 }, d);
      for (let k = 0; k < 5; k++) {
        await fleet.collect();
        clock.advance(15_000);
      }
      texts.push(await d.registry.metrics());
    }
    expect(texts[0]).toEqual(texts[1]);
  });

  it('exports the ground-truth episode while active and removes the series when it ends', async () => {
    const clock = new ManualClock(T0);
    const d = deps(clock);
    const fleet = createSimulatedFleet({ tenants: 10, seed: 3, tickMs: 15_000 }, d);
    clock.advance(75_000); // inside slot 0 (starts 60 s after the anchor)
    await fleet.collect();
    const ep = fleet.activeEpisodes()[0]!;
    expect(ep.label).toBe('antagonist');
    expect(await metricValue(d.registry, 'tenantscope_sim_episode_active', { episode: ep.id })).toBe(1);
    clock.set(ep.endMs + 1);
    await fleet.collect();
    expect(await metricValue(d.registry, 'tenantscope_sim_episode_active', { episode: ep.id })).toBeUndefined();
  });

  it('start() announces the simulation plainly and stop() is safe twice', async () => {
    const clock = new ManualClock(T0);
    const d = deps(clock);
    const fleet = createSimulatedFleet({ tenants: 5, seed: 1 }, d);
    await fleet.start();
    await fleet.stop();
    await fleet.stop();
    expect(d.logger.lines.join('\n')).toMatch(/simulated fleet: no sources configured.*not real data/);
  });
});

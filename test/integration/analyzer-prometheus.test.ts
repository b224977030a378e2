/**
 * The Prometheus signal source against a real Prometheus: 75 minutes of the simulated fleet's
 * tenantscope_* metrics (an injected pg-io antagonist at the end) are backfilled into a fresh
 * Prometheus with `promtool tsdb create-blocks-from openmetrics`, then read back through
 * /api/v1/query_range by the analyzer, which must name the antagonist on pg-main.
 */
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Registry, type Gauge } from 'prom-client';
import { afterAll, describe, expect, it } from 'vitest';
import { createSimulatedFleet, planEpisode, mulberry32, buildTopology } from '../../collector/simulated/index.js';
import { ManualClock } from '../../lib/clock.js';
import { createMemoryLogger } from '../../lib/log.js';
import { createTenantResolver } from '../../tenancy/index.js';
import { createAnalyzer } from '../../analyzer/index.js';
import { createPrometheusSignalSource } from '../../analyzer/signals/index.js';
import { startPrometheus, type HttpServerHandle } from '../support/stack.js';

const run = promisify(execFile);
const TENANTS = 8;
const SEED = 6;

interface JsonValue {
  labels: Record<string, string | number>;
  value: number;
  metricName?: string;
}

/** OpenMetrics text with timestamps: families not interleaved, each series' samples in time order */
function openMetrics(snapshots: { tMs: number; json: { name: string; type: string; values: JsonValue[] }[] }[]): string {
  const families = new Map<string, { type: string; series: Map<string, string[]> }>();
  for (const { tMs, json } of snapshots) {
    for (const m of json) {
      if (m.name.startsWith('tenantscope_sim_')) continue;
      const fam = m.type === 'counter' ? m.name.replace(/_total$/, '') : m.name;
      const f = families.get(fam) ?? { type: m.type, series: new Map<string, string[]>() };
      families.set(fam, f);
      for (const v of m.values) {
        const name = v.metricName ?? m.name;
        const labels = Object.entries(v.labels)
          .map(([k, x]) => `${k}="${String(x)}"`)
          .join(',');
        const key = `${name}{${labels}}`;
        const list = f.series.get(key) ?? [];
        list.push(`${key} ${v.value} ${(tMs / 1000).toFixed(3)}`);
        f.series.set(key, list);
      }
    }
  }
  const out: string[] = [];
  for (const [fam, f] of families) {
    out.push(`# TYPE ${fam} ${f.type}`);
    for (const lines of f.series.values()) out.push(...lines);
  }
  out.push('# EOF');
  return out.join('\n') + '\n';
}

describe('analyzer over a real Prometheus', () => {
  let prom: HttpServerHandle | undefined;
  afterAll(async () => {
    await prom?.destroy();
  });

  it('backfilled tenantscope metrics → query_range → a noisy-neighbor finding naming the antagonist', async () => {
    // a fixed time, so the simulated fleet (its daily cycle and noise follow the clock) gives the same
    // data on every run; Prometheus' retention is relative to its newest block, so an old date stays queryable
    const end = Date.UTC(2026, 2, 11, 11, 0);
    const start = end - 75 * 60_000;
    const onset = end - 9 * 60_000;
    const topo = buildTopology(TENANTS, SEED);
    const ep = planEpisode(topo, mulberry32(3), { scenario: 'pg-io', startMs: onset, durationMs: 20 * 60_000, id: 'it' });
    const clock = new ManualClock(start);
    const registry = new Registry();
    const resolver = createTenantResolver({ tenants: [], discover: true, rules: {} } as never);
    const fleet = createSimulatedFleet({ tenants: TENANTS, seed: SEED, episodes: [ep] }, { registry, resolver, clock, logger: createMemoryLogger() });
    const snapshots: { tMs: number; json: { name: string; type: string; values: JsonValue[] }[] }[] = [];
    for (let t = start; t <= end; t += 15_000) {
      clock.set(t);
      await fleet.collect();
      // a Redis tenant seen only by its connections (no keys of its own yet, no slow command)
      (registry.getSingleMetric('tenantscope_redis_tenant_clients') as Gauge).set({ tenant: 'clientonly', redis_instance: topo.redisInstance }, 2);
      // a deep copy: prom-client hands out its live value objects, which the next tick mutates
      snapshots.push({ tMs: t, json: structuredClone(await registry.getMetricsAsJSON()) as never });
    }
    prom = await startPrometheus();
    await prom.stop();
    const file = join(prom.dir, 'backfill.om');
    const om = openMetrics(snapshots);
    await writeFile(file, om);
    await run('promtool', ['tsdb', 'create-blocks-from', 'openmetrics', file, join(prom.dir, 'data')], { maxBuffer: 64 * 2 ** 20 });
    await prom.restart();

    const signals = createPrometheusSignalSource({ url: prom.url, timeoutMs: 20_000 }, { resolver });
    const analyzer = createAnalyzer({ historyMs: 50 * 60_000 }, { signals, clock: new ManualClock(end), logger: createMemoryLogger(), resolver });
    const r = await analyzer.analyze({ fromMs: onset - 3 * 60_000, toMs: end });
    const nn = r.findings.filter((f) => f.kind === 'noisy-neighbor');
    expect(nn.map((f) => f.suspect!.tenant), JSON.stringify(r.findings.map((f) => f.summary))).toEqual([ep.tenants[0]]);
    expect(nn[0]!.resource).toMatchObject({ kind: 'postgres', id: 'pg-main', mechanism: 'io' });
    expect(nn[0]!.victims.length).toBeGreaterThanOrEqual(TENANTS - 2);
    expect(nn[0]!.victims.map((v) => v.tenant)).not.toContain(ep.tenants[0]);
    // the Prometheus path carries the same topology the embedded path does
    expect(analyzer.topology!.postgres.get('pg-main')).toHaveLength(TENANTS);
    expect(analyzer.topology!.node.size).toBe(topo.nodes.length);
    // as the embedded sampler does, a Redis tenant known by its keys, memory or connections alone spent
    // a known 0 s/s in slow commands (a rise from it can name that tenant), not an unknown
    const cmd = await signals.range({ signals: ['redis.command_seconds_rate'] }, onset, end, 15_000);
    const clientOnly = cmd.series.find((x) => x.tenant === 'clientonly');
    expect(clientOnly?.resource).toBe(topo.redisInstance);
    expect([...clientOnly!.values].every((v) => v === 0)).toBe(true);
    // statement time per second through PromQL: each tenant's queries/s × their mean duration, as the fleet ran them
    const exec = await signals.range({ signals: ['postgres.exec_seconds_rate'] }, end, end, 15_000);
    expect(exec.series).toHaveLength(TENANTS);
    for (const s of exec.series) {
      const x = fleet.lastSample!.tenants[topo.tenants.find((t) => t.id === s.tenant)!.index]!;
      expect(s.values[0]! / (x.queriesPerSecond * x.meanQuerySeconds), s.tenant).toBeGreaterThan(0.75);
      expect(s.values[0]! / (x.queriesPerSecond * x.meanQuerySeconds), s.tenant).toBeLessThan(1.33);
    }
  });
});

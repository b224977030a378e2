import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../lib/clock.js';
import { createMemoryLogger } from '../../lib/log.js';
import { createTenantResolver, UNATTRIBUTED_TENANT } from '../../tenancy/index.js';
import { createSimulatedFleet } from '../../collector/simulated/index.js';
import { bucketQuantile, createRegistrySampler } from './registry-sampler.js';
import { createPrometheusSignalSource } from './prometheus.js';
import { parseConfig } from '../../config/index.js';
import { createReplaySource, loadReplayFile, parseReplay, toReplayLines } from './replay.js';
import { createSignalStore } from './store.js';
import { grid, type SeriesKey } from './types.js';

const T0 = Date.UTC(2026, 2, 11, 10, 0);
const key = (tenant: string, signal: SeriesKey['signal'] = 'postgres.mean_query_seconds'): SeriesKey => ({ signal, tenant, resource: 'pg-main', sub: '' });
const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});


/** one per-database PostgreSQL counter on its own registry, sampled into a fresh signal store */
async function pgDatabaseCounter(name: string) {
  const registry = new Registry();
  const { Counter } = await import('prom-client');
  const counter = new Counter({ name, help: 'h', labelNames: ['tenant', 'pg_cluster', 'datname'], registers: [registry] });
  const store = createSignalStore();
  return { counter, store, sampler: createRegistrySampler(registry, store) };
}
describe('grid', () => {
  it('aligns on multiples of the step and rejects nonsense', () => {
    expect(grid(T0 + 1, T0 + 60_000, 15_000)).toEqual({ startMs: T0 + 15_000, points: 4 });
    expect(grid(T0, T0 - 1, 15_000).points).toBe(0);
    expect(() => grid(T0, T0 + 1, 0)).toThrow(/step must be > 0/);
  });
});

describe('embedded signal store', () => {
  it('keeps tenants apart, marks gaps unknown, and takes out-of-order and duplicate samples', async () => {
    const s = createSignalStore({ resolutionMs: 15_000 });
    s.append(key('a'), T0, 1);
    s.append(key('b'), T0, 100);
    s.append(key('a'), T0 + 30_000, 3);
    s.append(key('a'), T0 + 15_000, 2); // out of order
    s.append(key('a'), T0 + 30_000, 4); // duplicate: last wins
    const r = await s.range({ signals: ['postgres.mean_query_seconds'] }, T0, T0 + 60_000, 15_000);
    const a = r.series.find((x) => x.tenant === 'a')!;
    const b = r.series.find((x) => x.tenant === 'b')!;
    expect([...a.values]).toEqual([1, 2, 4, Number.NaN, Number.NaN]);
    expect([...b.values]).toEqual([100, Number.NaN, Number.NaN, Number.NaN, Number.NaN]);
    const onlyB = await s.range({ signals: ['postgres.mean_query_seconds'], tenants: ['b'] }, T0, T0 + 60_000, 15_000);
    expect(onlyB.series.map((x) => x.tenant)).toEqual(['b']);
  });

  it('moves a window it returned forward in place as a fresh read would give it, until a series comes, goes or comes back after a gap', async () => {
    const s = createSignalStore({ resolutionMs: 15_000, fineHorizonMs: 3_600_000 });
    const q = { signals: ['postgres.mean_query_seconds' as const] };
    for (let p = 0; p < 80; p++) {
      s.append(key('a'), T0 + p * 15_000, p);
      if (p % 7 !== 3) s.append(key('b'), T0 + p * 15_000, 1000 + p); // b has gaps
    }
    const window = async (endSlot: number) => s.range(q, T0 + (endSlot - 19) * 15_000, T0 + endSlot * 15_000, 15_000);
    const values = (r: { series: readonly { tenant: string; values: Float64Array }[] }) => r.series.map((x) => [x.tenant, [...x.values]]);
    const held = await window(79);
    const g = s.generation!();
    // three new slots, and a late sample for a point inside the re-read part
    for (let p = 80; p < 83; p++) {
      s.append(key('a'), T0 + p * 15_000, p);
      s.append(key('b'), T0 + p * 15_000, 1000 + p);
    }
    s.append(key('b'), T0 + 73 * 15_000, 73.5);
    expect(s.generation!()).toBe(g);
    const moved = s.advance!(held, 3, 10, g)!; // points 10.. of the moved window (slots 73..82) read anew
    expect(moved.series).toBe(held.series); // the same series and arrays, moved on
    expect(moved.startMs).toBe(held.startMs + 3 * 15_000);
    expect(values(moved)).toEqual(values(await window(82)));
    // a stale generation, or a new series: nothing is written, read anew
    const before = values(moved);
    expect(s.advance!(moved, 1, 10, g - 1)).toBeUndefined();
    s.append(key('c'), T0 + 83 * 15_000, 1);
    expect(s.generation!()).not.toBe(g);
    expect(s.advance!(moved, 1, 10, g)).toBeUndefined();
    expect(values(moved)).toEqual(before);
    // a series back after a gap longer than a few slots changes the generation too; a short gap does not
    const g2 = s.generation!();
    s.append(key('a'), T0 + 85 * 15_000, 85);
    expect(s.generation!()).toBe(g2);
    s.append(key('b'), T0 + 95 * 15_000, 1095);
    expect(s.generation!()).not.toBe(g2);
  });

  it('reads a long window through the ring block by block, around its wrap and from before the epoch', async () => {
    // fineCap is 61 slots: 90 samples wrap the ring
    const wrapped = createSignalStore({ resolutionMs: 15_000, fineHorizonMs: 900_000, retentionMs: 900_000 });
    for (let t = 0; t < 90 * 15_000; t += 15_000) if (t !== 80 * 15_000) wrapped.append(key('a'), t, t / 15_000);
    const w = [...(await wrapped.range({ signals: ['postgres.mean_query_seconds'] }, 0, 89 * 15_000, 15_000)).series[0]!.values];
    // older than the retention: unknown; then one point from the coarse tier; then the fine ring around its wrap
    expect(w.slice(0, 29).every(Number.isNaN)).toBe(true);
    expect(Number.isFinite(w[29]!)).toBe(true);
    expect(w.slice(30)).toEqual([...Array.from({ length: 50 }, (_, i) => 30 + i), Number.NaN, ...Array.from({ length: 9 }, (_, i) => 81 + i)]);
    // a window reaching back before the epoch, inside the fine horizon: no slot there (unknown), and the
    // samples after it read in full
    const young = createSignalStore({ resolutionMs: 15_000, fineHorizonMs: 3_600_000, retentionMs: 3_600_000 });
    for (let t = 0; t <= 60 * 15_000; t += 15_000) young.append(key('a'), t, t / 15_000);
    const y = [...(await young.range({ signals: ['postgres.mean_query_seconds'] }, -240 * 15_000, 60 * 15_000, 15_000)).series[0]!.values];
    expect(y.slice(0, 240).every(Number.isNaN)).toBe(true);
    expect(y.slice(240)).toEqual(Array.from({ length: 61 }, (_, i) => i));
  });

  it('downsamples to the step and answers old windows from the coarse tier; retention bounds both', async () => {
    const s = createSignalStore({ resolutionMs: 15_000, fineHorizonMs: 3_600_000, coarseResolutionMs: 300_000, retentionMs: 6 * 3_600_000 });
    for (let t = T0; t < T0 + 8 * 3_600_000; t += 15_000) s.append(key('a'), t, (t - T0) / 3_600_000);
    const now = T0 + 8 * 3_600_000 - 60_000;
    const recent = await s.range({ signals: ['postgres.mean_query_seconds'] }, now - 60_000, now, 60_000);
    expect(recent.series[0]!.values[1]).toBeCloseTo((now - T0) / 3_600_000 - 22.5 / 3600, 6);
    const old = await s.range({ signals: ['postgres.mean_query_seconds'] }, T0 + 4 * 3_600_000, T0 + 4 * 3_600_000 + 600_000, 300_000);
    // coarse bucket means: the value is hours since T0, averaged over the 5 minutes before each point
    expect(old.series[0]!.values[0]).toBeCloseTo(4 - 157.5 / 3600, 6);
    const expired = await s.range({ signals: ['postgres.mean_query_seconds'] }, T0, T0 + 3_600_000, 300_000);
    expect(expired.series).toHaveLength(0);
    expect(s.stats().bytes).toBeLessThan(200_000);
  });

  it('caps series and reports what it dropped', async () => {
    const s = createSignalStore({ maxSeries: 2 });
    for (const t of ['a', 'b', 'c']) s.append(key(t), T0, 1);
    expect(s.stats()).toMatchObject({ series: 2, droppedSeries: 1 });
    expect((await s.range({ signals: ['postgres.mean_query_seconds'] }, T0, T0, 15_000)).warnings[0]).toMatch(/1 new series dropped at the cap of 2/);
  });

  it('survives a restart through its snapshot, expiring what aged out meanwhile', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ts-store-'));
    dirs.push(dir);
    const file = join(dir, 'data', 'signals.snapshot');
    const a = createSignalStore({ retentionMs: 3_600_000, fineHorizonMs: 3_600_000 });
    for (let t = T0; t < T0 + 600_000; t += 15_000) a.append(key('acme'), t, 7);
    await a.save(file);
    const b = createSignalStore({ retentionMs: 3_600_000, fineHorizonMs: 3_600_000 });
    expect(await b.load(file, T0 + 600_000)).toEqual({ series: 1, samples: 40 });
    const r = await b.range({ signals: ['postgres.mean_query_seconds'] }, T0, T0 + 585_000, 15_000);
    expect([...r.series[0]!.values].every((v) => v === 7)).toBe(true);
    const c = createSignalStore({ retentionMs: 3_600_000, fineHorizonMs: 3_600_000 });
    expect((await c.load(file, T0 + 2 * 3_600_000)).samples).toBe(0);
    expect(await createSignalStore().load(join(dir, 'missing'), T0)).toEqual({ series: 0, samples: 0 });
    await writeFile(join(dir, 'bad'), '{nope');
    await expect(createSignalStore().load(join(dir, 'bad'), T0)).rejects.toThrow(/not valid JSON — delete it/);
  });
});

describe('registry sampler', () => {
  it('bucketQuantile interpolates like histogram_quantile', () => {
    expect(bucketQuantile(0.5, [{ le: 1, count: 50 }, { le: 2, count: 100 }, { le: Infinity, count: 100 }])).toBeCloseTo(1, 9);
    expect(bucketQuantile(0.75, [{ le: 1, count: 50 }, { le: 2, count: 100 }, { le: Infinity, count: 100 }])).toBeCloseTo(1.5, 9);
    expect(bucketQuantile(0.95, [{ le: 1, count: 0 }, { le: Infinity, count: 0 }])).toBeNaN();
  });

  it('survives a counter reset: the increase is the new value, never negative; the first sample has no rate (unknown)', async () => {
    const { counter: c, store, sampler } = await pgDatabaseCounter('tenantscope_pg_blks_read_total');
    const l = { tenant: 'acme', pg_cluster: 'pg-main', datname: 'acme_prod' };
    c.inc(l, 1000);
    await sampler.sample(T0);
    c.inc(l, 150);
    await sampler.sample(T0 + 15_000);
    c.reset(); // the source restarted
    c.inc(l, 30);
    await sampler.sample(T0 + 30_000);
    const r = await store.range({ signals: ['postgres.blks_read_rate'] }, T0, T0 + 30_000, 15_000);
    expect([...r.series[0]!.values]).toEqual([Number.NaN, 10, 2]);
  });

  it('reads session churn per tenant from pg_stat_database.sessions, summed over the tenant\'s databases, none for a shared one', async () => {
    const { counter: sessions, store, sampler } = await pgDatabaseCounter('tenantscope_pg_sessions_total');
    const db = (tenant: string, datname: string) => ({ tenant, pg_cluster: 'pg-main', datname });
    // a schema-per-tenant database is no one tenant's: its sessions stay with _unattributed
    const dbs = [['acme', 'acme_prod'], ['acme', 'acme_reports'], ['globex', 'globex_prod'], [UNATTRIBUTED_TENANT, 'shared_erp']] as const;
    for (const [t, d] of dbs) sessions.inc(db(t, d), 100);
    await sampler.sample(T0);
    // acme's two databases open 300 and 150 sessions in 15 s (a connection per request), globex 15
    sessions.inc(db('acme', 'acme_prod'), 300);
    sessions.inc(db('acme', 'acme_reports'), 150);
    sessions.inc(db('globex', 'globex_prod'), 15);
    sessions.inc(db(UNATTRIBUTED_TENANT, 'shared_erp'), 900);
    await sampler.sample(T0 + 15_000);
    const r = await store.range({ signals: ['postgres.session_rate'] }, T0 + 15_000, T0 + 15_000, 15_000);
    const get = (tenant: string) => r.series.find((x) => x.tenant === tenant)?.values[0];
    expect(get('acme')).toBe(30);
    expect(get('globex')).toBe(1);
    expect(r.series).toHaveLength(2);
    // the query API and a replay file leave it out the same way, and only for the signals that are per tenant only
    const matrix = [
      { metric: { tenant: 'acme', pg_cluster: 'pg-main' }, values: [[T0 / 1000, '30']] },
      { metric: { tenant: UNATTRIBUTED_TENANT, pg_cluster: 'pg-main' }, values: [[T0 / 1000, '60']] },
    ];
    const fakeFetch = (async () => Response.json({ status: 'success', data: { resultType: 'matrix', result: matrix } })) as unknown as typeof fetch;
    const prom = createPrometheusSignalSource({ url: 'http://prom:9090' }, { resolver: createTenantResolver(parseConfig({}).tenancy), fetch: fakeFetch });
    const fromApi = await prom.range({ signals: ['postgres.session_rate', 'postgres.connections'] }, T0, T0, 15_000);
    const tenantsOf = (x: { series: readonly { signal: string; tenant: string }[] }, signal: string) => x.series.filter((y) => y.signal === signal).map((y) => y.tenant).sort();
    expect(tenantsOf(fromApi, 'postgres.session_rate')).toEqual(['acme']);
    expect(tenantsOf(fromApi, 'postgres.connections')).toEqual([UNATTRIBUTED_TENANT, 'acme'].sort());
    const replayed = parseReplay(
      ['postgres.session_rate', 'postgres.connections'].flatMap((signal) => ['acme', UNATTRIBUTED_TENANT].map((tenant) => JSON.stringify({ t: T0, signal, tenant, resource: 'pg-main', value: 1 }))).join('\n'),
    );
    expect(replayed.map((x) => `${x.signal} ${x.tenant}`)).toEqual(['postgres.session_rate acme', 'postgres.connections acme', `postgres.connections ${UNATTRIBUTED_TENANT}`]);
  });

  it('a PostgreSQL tenant without a wait-load counter of a type had 0 load of it, not unknown', async () => {
    const registry = new Registry();
    const { Counter } = await import('prom-client');
    const commits = new Counter({ name: 'tenantscope_pg_xact_commit_total', help: 'h', labelNames: ['tenant', 'pg_cluster', 'datname'], registers: [registry] });
    const load = new Counter({ name: 'tenantscope_pg_wait_load_seconds_total', help: 'h', labelNames: ['tenant', 'pg_cluster', 'datname', 'wait_event_type'], registers: [registry] });
    const store = createSignalStore();
    const sampler = createRegistrySampler(registry, store);
    for (const t of ['acme', 'globex']) commits.inc({ tenant: t, pg_cluster: 'pg-main', datname: `${t}_prod` }, 10);
    load.inc({ tenant: 'acme', pg_cluster: 'pg-main', datname: 'acme_prod', wait_event_type: 'CPU' }, 3);
    await sampler.sample(T0);
    for (const t of ['acme', 'globex']) commits.inc({ tenant: t, pg_cluster: 'pg-main', datname: `${t}_prod` }, 30);
    load.inc({ tenant: 'acme', pg_cluster: 'pg-main', datname: 'acme_prod', wait_event_type: 'CPU' }, 30);
    await sampler.sample(T0 + 15_000);
    const r = await store.range({ signals: ['postgres.load_sessions'] }, T0 + 15_000, T0 + 15_000, 15_000);
    const get = (tenant: string, sub: string) => r.series.find((x) => x.tenant === tenant && x.sub === sub)?.values[0];
    expect(get('acme', 'CPU')).toBe(2);
    for (const sub of ['IO', 'LWLock', 'Lock']) expect(get('acme', sub)).toBe(0);
    for (const sub of ['CPU', 'IO', 'LWLock', 'Lock']) expect(get('globex', sub)).toBe(0);
    // a tenant the poll does not see (no rate yet, or another cluster) gets nothing
    expect(r.series.filter((x) => x.tenant !== 'acme' && x.tenant !== 'globex')).toEqual([]);
    // globex's first CPU sessions: its counter is born now, after a sample that read its CPU load as 0,
    // so it counts from 0 and that point is known, not missing (the point an antagonist surges)
    for (const t of ['acme', 'globex']) commits.inc({ tenant: t, pg_cluster: 'pg-main', datname: `${t}_prod` }, 30);
    load.inc({ tenant: 'globex', pg_cluster: 'pg-main', datname: 'globex_prod', wait_event_type: 'CPU' }, 45);
    await sampler.sample(T0 + 30_000);
    const next = await store.range({ signals: ['postgres.load_sessions'] }, T0 + 30_000, T0 + 30_000, 15_000);
    expect(next.series.find((x) => x.tenant === 'globex' && x.sub === 'CPU')?.values[0]).toBe(3);
  });

  it('a Redis tenant without slow commands spent 0 s/s in them, not unknown; its first slow commands count in full', async () => {
    const registry = new Registry();
    const { Counter, Gauge } = await import('prom-client');
    const mem = new Gauge({ name: 'tenantscope_redis_tenant_memory_bytes', help: 'h', labelNames: ['tenant', 'redis_instance'], registers: [registry] });
    const slow = new Counter({ name: 'tenantscope_redis_slow_command_seconds_total', help: 'h', labelNames: ['tenant', 'redis_instance', 'command'], registers: [registry] });
    const store = createSignalStore();
    const sampler = createRegistrySampler(registry, store);
    for (const t of ['acme', 'globex']) mem.set({ tenant: t, redis_instance: 'cache' }, 1e6);
    await sampler.sample(T0);
    await sampler.sample(T0 + 15_000);
    // acme's first slow commands: the collector creates its counter now, 3 s of SORT since the last sample
    slow.inc({ tenant: 'acme', redis_instance: 'cache', command: 'sort' }, 3);
    await sampler.sample(T0 + 30_000);
    slow.inc({ tenant: 'acme', redis_instance: 'cache', command: 'sort' }, 6);
    await sampler.sample(T0 + 45_000);
    const r = await store.range({ signals: ['redis.command_seconds_rate'] }, T0, T0 + 45_000, 15_000);
    const get = (tenant: string) => [...(r.series.find((x) => x.tenant === tenant)?.values ?? [])];
    // the first sample has no rate for anyone; from then on globex is a known 0
    expect(get('globex')).toEqual([Number.NaN, 0, 0, 0]);
    expect(get('acme')).toEqual([Number.NaN, 0, 0.2, 0.4]);
  });

  it('turns the simulated fleet registry into per-tenant signals that match the physics', async () => {
    const clock = new ManualClock(T0);
    const registry = new Registry();
    const resolver = createTenantResolver({ tenants: [], discover: true, rules: {} } as never);
    const fleet = createSimulatedFleet({ tenants: 6, seed: 2, episodes: [] }, { registry, resolver, clock, logger: createMemoryLogger() });
    const store = createSignalStore();
    const sampler = createRegistrySampler(registry, store);
    for (let k = 0; k < 4; k++) {
      await fleet.collect();
      await sampler.sample(clock.now());
      clock.advance(15_000);
    }
    const last = fleet.lastSample!;
    const to = clock.now() - 15_000;
    const r = await store.range({ signals: ['postgres.tps', 'postgres.mean_query_seconds', 'postgres.exec_seconds_rate', 'ingress.p95_latency_seconds', 'node.cpu_cores', 'postgres.load_sessions', 'redis.canary_p99_seconds'] }, to, to, 15_000);
    const get = (signal: string, tenant: string, sub = '') => r.series.find((s) => s.signal === signal && s.tenant === tenant && s.sub === sub)?.values[0];
    for (const t of fleet.topology.tenants) {
      const x = last.tenants[t.index]!;
      expect(get('postgres.tps', t.id)).toBeCloseTo(x.tps, 3);
      expect(get('postgres.mean_query_seconds', t.id)).toBeCloseTo(x.meanQuerySeconds, 6);
      // statement time per second: the sessions its statements held (Little's law: rate × duration)
      expect(get('postgres.exec_seconds_rate', t.id)).toBeCloseTo(x.queriesPerSecond * x.meanQuerySeconds, 6);
      expect(get('postgres.load_sessions', t.id, 'IO')).toBeCloseTo(x.loadIo, 6);
      expect(get('node.cpu_cores', t.id)).toBeCloseTo(x.cpuCores, 6);
      // a p95 from histogram buckets is approximate: within the bucket
      expect(get('ingress.p95_latency_seconds', t.id)! / x.p95LatencySeconds).toBeGreaterThan(0.6);
      expect(get('ingress.p95_latency_seconds', t.id)! / x.p95LatencySeconds).toBeLessThan(1.6);
    }
    expect(get('redis.canary_p99_seconds', '')).toBeGreaterThan(0);
  });
});

describe('replay files', () => {
  it('round-trips a range and names the line of a malformed sample', async () => {
    const store = createSignalStore();
    store.append(key('acme'), T0, 0.004);
    store.append({ signal: 'postgres.load_sessions', tenant: 'acme', resource: 'pg-main', sub: 'IO' }, T0, 2);
    const r = await store.range({ signals: ['postgres.mean_query_seconds', 'postgres.load_sessions'] }, T0, T0, 15_000);
    const text = '# recorded\n' + toReplayLines(r);
    const back = await createReplaySource(parseReplay(text)).range({ signals: ['postgres.load_sessions'] }, T0, T0, 15_000);
    expect(back.series).toEqual([expect.objectContaining({ tenant: 'acme', sub: 'IO', values: new Float64Array([2]) })]);
    expect(() => parseReplay(text + '{"t": 1, "signal": "postgres.tps"\n', 'x.jsonl')).toThrow(/replay file x.jsonl: line 4: not valid JSON/);
    expect(() => parseReplay('\n{"t":"yesterday","signal":"postgres.tps","resource":"pg","value":1}', 'y')).toThrow(/line 2: t="yesterday" is not a time/);
    expect(() => parseReplay('{"t":1,"signal":"cpu","resource":"pg","value":1}')).toThrow(/line 1: signal="cpu" is unknown/);
    await expect(loadReplayFile('/nonexistent/file.jsonl')).rejects.toThrow(/cannot read it/);
  });
});

describe('prometheus signal source', () => {
  const resolver = createTenantResolver({ tenants: [], discover: true, rules: { namespace: [{ name: '^tenant-(?<tenant>[a-z0-9]+)$' }] } } as never);
  it('maps query_range matrices to tenant series, sends the org header, reports partial data and failed queries', async () => {
    const seen: { url: string; headers: Record<string, string>; query: string }[] = [];
    const fakeFetch = (async (url: string, init: RequestInit) => {
      const query = new URLSearchParams(String(init.body)).get('query')!;
      seen.push({ url, headers: init.headers as Record<string, string>, query });
      if (query.includes('container_cpu_usage_seconds_total')) {
        return Response.json({
          status: 'success',
          warnings: ['store gateway unavailable'],
          data: { resultType: 'matrix', result: [
            { metric: { namespace: 'tenant-acme', node: 'n1' }, values: [[T0 / 1000, '0.5'], [T0 / 1000 + 15, '0.7']] },
            { metric: { namespace: 'tenant-bolt', node: 'n1' }, values: [[T0 / 1000 + 15, '2']] },
          ] },
        });
      }
      return Response.json({ status: 'error', errorType: 'bad_data', error: 'parse error' }, { status: 400 });
    }) as unknown as typeof fetch;
    const src = createPrometheusSignalSource({ url: 'http://u:secret@prom:9090/', orgId: 'team-a', cadvisor: true }, { resolver, fetch: fakeFetch });
    const r = await src.range({ signals: ['node.cpu_cores', 'postgres.tps'] }, T0, T0 + 15_000, 15_000);
    expect(seen[0]!.url).toBe('http://u:secret@prom:9090/api/v1/query_range');
    expect(seen[0]!.headers['X-Scope-OrgID']).toBe('team-a');
    const acme = r.series.find((s) => s.tenant === 'acme')!;
    expect([...acme.values]).toEqual([0.5, 0.7]);
    expect([...r.series.find((s) => s.tenant === 'bolt')!.values]).toEqual([Number.NaN, 2]);
    expect(r.warnings.join('\n')).toMatch(/partial data: store gateway unavailable/);
    expect(r.warnings.join('\n')).toMatch(/postgres.tps: .*bad_data parse error/);
  });

  it('throws a SourceError without the password when every query fails', async () => {
    const down = (async () => {
      throw new TypeError('fetch failed');
    }) as unknown as typeof fetch;
    const src = createPrometheusSignalSource({ url: 'http://u:secret@prom:9090' }, { resolver, fetch: down });
    const err = await src.range({ signals: ['postgres.tps'] }, T0, T0, 15_000).catch((e: Error) => e);
    expect(String((err as Error).message)).toMatch(/prometheus http:\/\/u:\*\*\*@prom:9090.*fetch failed — is the query API reachable/);
    expect(String((err as Error).message)).not.toContain('secret');
  });
});

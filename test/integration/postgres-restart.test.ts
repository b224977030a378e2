/**
 * Faults of the PostgreSQL collector on a server of its own: down at start, killed mid-run,
 * restarted — the same collector object recovers without being restarted.
 */
import pg from 'pg';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configSchema } from '../../config/index.js';
import { createPostgresCollector } from '../../collector/postgres/index.js';
import { ManualClock } from '../../lib/clock.js';
import { createMemoryLogger } from '../../lib/log.js';
import { createTenantResolver } from '../../tenancy/index.js';
import { startPostgres, type PostgresHandle } from '../support/stack.js';
import { until } from '../support/until.js';
import { sampleSum } from '../support/registry.js';

let server: PostgresHandle;

async function sql(db: string, text: string): Promise<void> {
  const c = new pg.Client({ connectionString: server.url(db) });
  await c.connect();
  try {
    await c.query(text);
  } finally {
    await c.end();
  }
}

beforeAll(async () => {
  // archiving on, to a command that always succeeds: the archiver step has real counts to read
  server = await startPostgres({ settings: { archive_mode: 'on', archive_command: 'true', wal_level: 'replica' } });
  await sql('postgres', 'CREATE EXTENSION pg_stat_statements');
  await sql('postgres', 'CREATE DATABASE tspgr_acme');
  await sql('tspgr_acme', 'CREATE TABLE t (id int)');
});

afterAll(async () => {
  await server?.destroy();
});

describe('PostgreSQL collector faults', () => {
  it('reports a cluster down at start and killed mid-run with a redacted URL, and recovers by itself', async () => {
    // trust auth ignores the password: it is here to prove it never reaches a message
    const url = `postgres://postgres:s3cret-pw@127.0.0.1:${server.port}/postgres`;
    const config = configSchema.parse({
      tenancy: { rules: { postgres: { database: '^tspgr_(?<tenant>[a-z]+)$' } } },
      sources: { postgres: [{ name: 'crashy', url, options: { connectTimeoutMs: 2000 } }] },
    });
    const registry = new Registry();
    const logger = createMemoryLogger();
    const collector = createPostgresCollector(config.sources.postgres[0]!, {
      registry,
      resolver: createTenantResolver(config.tenancy),
      clock: new ManualClock(0),
      logger,
    });
    const value = async (name: string, match: Record<string, string>) => (await sampleSum(registry, name, match)) ?? 0;
    const up = () => value('tenantscope_pg_up', { pg_cluster: 'crashy' });

    try {
      // down at start
      await server.stop();
      await collector.collect();
      await collector.sampleActivity();
      expect(await up()).toBe(0);
      expect(collector.lastError?.code).toBe('TS_SOURCE_UNREACHABLE');
      const down = logger.lines.filter((l) => l.startsWith('error'));
      expect(down).toHaveLength(1);
      expect(down[0]).toContain('postgres source "crashy"');
      expect(down[0]).toContain(`postgres://postgres:***@127.0.0.1:${server.port}/postgres`);
      expect(logger.lines.join('\n')).not.toContain('s3cret-pw');

      await server.restart();
      await collector.collect();
      expect(await up()).toBe(1);
      expect(collector.lastError).toBeUndefined();

      // killed mid-run: the open connections die under the collector
      await server.kill();
      await collector.collect();
      await collector.collect(); // still down: counted again, logged once per outage
      await collector.sampleActivity();
      expect(await up()).toBe(0);
      expect(await value('tenantscope_pg_scrape_errors_total', { pg_cluster: 'crashy', step: 'connect' })).toBeGreaterThanOrEqual(3);
      expect(await value('tenantscope_pg_scrape_errors_total', { pg_cluster: 'crashy', step: 'sample' })).toBeGreaterThanOrEqual(1);
      expect(logger.lines.filter((l) => l.startsWith('error'))).toHaveLength(2);
      expect(logger.lines.join('\n')).not.toContain('s3cret-pw');

      // restarted: the same collector resumes, counters keep counting
      await server.restart();
      await collector.collect();
      expect(await up()).toBe(1);
      const before = await value('tenantscope_pg_xact_commit_total', { tenant: 'acme' });
      for (let i = 0; i < 50; i++) await sql('tspgr_acme', 'INSERT INTO t VALUES (1)');
      await collector.collect();
      expect((await value('tenantscope_pg_xact_commit_total', { tenant: 'acme' })) - before).toBeGreaterThanOrEqual(50);
      expect(await value('tenantscope_pg_statement_calls_total', { tenant: 'acme' })).toBeGreaterThanOrEqual(50);
      await collector.sampleActivity();
      expect(logger.lines.some((l) => l.includes('reachable again'))).toBe(true);
    } finally {
      await collector.stop();
    }
  });

  it('start() runs the poll and the sampler on their loops and stop() ends them', async () => {
    const config = configSchema.parse({ sources: { postgres: [{ name: 'loops', url: server.url(), options: { activitySampleIntervalMs: 50 } }] } });
    const registry = new Registry();
    const collector = createPostgresCollector(config.sources.postgres[0]!, {
      registry,
      resolver: createTenantResolver(config.tenancy),
      clock: new ManualClock(0),
      logger: createMemoryLogger(),
    });
    await collector.start();
    try {
      // the immediate first tick: await the condition the loop produces
      await until('the first poll', 20_000, async () => (await registry.getSingleMetric('tenantscope_pg_up')!.get()).values.length > 0);
      expect((await registry.getSingleMetric('tenantscope_pg_up')!.get()).values[0]?.value).toBe(1);
    } finally {
      await collector.stop();
      await collector.stop(); // safe twice
    }
    const c = new pg.Client({ connectionString: server.url() });
    await c.connect();
    try {
      // no connection left behind (a backend exits asynchronously after the client's end())
      const left = async () => (await c.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name LIKE 'tenantscope%'`)).rows[0]!.n;
      await until('our backends to exit', 10_000, async () => (await left()) === 0);
      expect(await left()).toBe(0);
    } finally {
      await c.end();
    }
  });

  it('exports WAL archiving progress per cluster', async () => {
    const config = configSchema.parse({ sources: { postgres: [{ name: 'arch', url: server.url() }] } });
    const registry = new Registry();
    const collector = createPostgresCollector(config.sources.postgres[0]!, {
      registry,
      resolver: createTenantResolver(config.tenancy),
      clock: new ManualClock(0),
      logger: createMemoryLogger(),
    });
    const c = new pg.Client({ connectionString: server.url() });
    await c.connect();
    try {
      await collector.collect(); // baseline
      const archived = async () => Number((await c.query<{ n: string }>('SELECT archived_count AS n FROM pg_stat_archiver')).rows[0]!.n);
      const start = await archived();
      for (let i = 0; i < 2; i++) {
        await sql('tspgr_acme', 'INSERT INTO t SELECT generate_series(1, 1000)');
        await c.query('SELECT pg_switch_wal()');
      }
      await until('two WAL segments archived', 20_000, async () => (await archived()) >= start + 2);
      const expected = (await archived()) - start;
      await collector.collect();
      const get = async (name: string) => (await registry.getSingleMetric(name)!.get()).values.find((v) => v.labels.pg_cluster === 'arch')?.value;
      expect(await get('tenantscope_pg_archiver_archived_total')).toBe(expected);
      expect(await get('tenantscope_pg_archiver_failed_total')).toBe(0);
      const age = await get('tenantscope_pg_archiver_last_archived_age_seconds');
      expect(age).toBeGreaterThanOrEqual(0);
      expect(age).toBeLessThan(60);
    } finally {
      await c.end();
      await collector.stop();
    }
  });
});

/**
 * The PostgreSQL collector against the shared real PostgreSQL 15 (pg_stat_statements preloaded),
 * with several tenant databases of its own (tspgi_*) and pgbench load. Time is a ManualClock:
 * the slow cadences (sizes, queues) run when the test moves the clock, never by waiting.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import pg from 'pg';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { configSchema } from '../../config/index.js';
import { createPostgresCollector, type PostgresCollector } from '../../collector/postgres/index.js';
import { ManualClock } from '../../lib/clock.js';
import { createMemoryLogger } from '../../lib/log.js';
import { createTenantResolver } from '../../tenancy/index.js';
import { until } from '../support/until.js';
import { sampleSum } from '../support/registry.js';

const run = promisify(execFile);
const P = 'tspgi_';
const DBS = ['mon', 'nopgss', 'acme', 'globex', 'odoo', 'locks', 'gone', 'shared'].map((d) => P + d);
const ROLES = [P + 'r_alpha', P + 'r_beta'];

let admin: pg.Client;
const extra: pg.Client[] = [];
const baseUrl = () => inject('pgUrl');
const dbUrl = (db: string) => {
  const u = new URL(baseUrl());
  u.pathname = '/' + db;
  return u.toString();
};
async function connect(db: string, applicationName = 'test', user?: string): Promise<pg.Client> {
  const u = new URL(dbUrl(db));
  if (user) u.username = user; // the URL wins over a `user` option in node-postgres
  const c = new pg.Client({ connectionString: u.toString(), application_name: applicationName });
  c.on('error', () => undefined);
  await c.connect();
  extra.push(c);
  return c;
}
async function pgbench(db: string, args: string[]): Promise<void> {
  const u = new URL(baseUrl());
  await run('pgbench', ['-h', u.hostname, '-p', u.port, '-U', 'postgres', ...args, db], { env: { ...process.env, PGPASSWORD: '' } });
}

function setup(opts: { monitorDb?: string; options?: Record<string, unknown> } = {}) {
  const config = configSchema.parse({
    tenancy: { rules: { postgres: [{ database: `^${P}(?<tenant>[a-z]+)$` }, { schema: '^t_(?<tenant>[a-z]+)$', role: `^${P}r_(?<tenant>[a-z]+)$` }] } },
    sources: { postgres: [{ name: 'itest', url: dbUrl(opts.monitorDb ?? P + 'mon'), options: { ...opts.options } }] },
  });
  const registry = new Registry();
  const clock = new ManualClock(1_700_000_000_000);
  const logger = createMemoryLogger();
  const collector: PostgresCollector = createPostgresCollector(config.sources.postgres[0]!, {
    registry,
    resolver: createTenantResolver(config.tenancy),
    clock,
    logger,
  });
  /** sum of the series of `name` whose labels include `match`; undefined when none exists */
  const value = async (name: string, match: Record<string, string>): Promise<number | undefined> => {
    if (!registry.getSingleMetric(name)) throw new Error(`metric ${name} not registered`);
    return sampleSum(registry, name, match);
  };
  return { collector, registry, clock, logger, value };
}

beforeAll(async () => {
  admin = new pg.Client({ connectionString: baseUrl() });
  await admin.connect();
  for (const db of DBS) {
    await admin.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
    await admin.query(`CREATE DATABASE ${db}`);
  }
  const mon = await connect(P + 'mon');
  await mon.query('CREATE EXTENSION pg_stat_statements');
  await Promise.all([pgbench(P + 'acme', ['-i', '-q', '-s', '2']), pgbench(P + 'globex', ['-i', '-q', '-s', '1'])]);
  await admin.query(`ALTER DATABASE ${P}globex CONNECTION LIMIT 50`);

  // an Odoo database: OCA queue_job and ir_cron with the columns the collector reads
  const odoo = await connect(P + 'odoo');
  await odoo.query(`
    CREATE TABLE queue_job (id serial primary key, uuid varchar not null, name varchar, model_name varchar, method_name varchar,
      state varchar not null, channel varchar, priority int, date_created timestamp, date_enqueued timestamp, date_started timestamp,
      date_done timestamp, eta timestamp, exc_info text, retry int default 0, max_retries int, company_id int, user_id int);
    CREATE INDEX ON queue_job (state);
    CREATE TABLE ir_cron (id serial primary key, name varchar, active boolean, nextcall timestamp not null, interval_number int, interval_type varchar);
    INSERT INTO queue_job (uuid, state, channel, date_created, eta) VALUES
      ('p1', 'pending', 'root.export', (now() at time zone 'UTC') - interval '600 seconds', null),
      ('p2', 'pending', 'root.export', (now() at time zone 'UTC') - interval '300 seconds', null),
      ('p3', 'pending', 'root.export', (now() at time zone 'UTC') - interval '30 seconds', null),
      ('p4', 'pending', 'root', (now() at time zone 'UTC') - interval '60 seconds', null),
      ('p5', 'pending', 'root', (now() at time zone 'UTC') - interval '7200 seconds', (now() at time zone 'UTC') + interval '1 hour'),
      ('f1', 'failed', 'root.export', (now() at time zone 'UTC') - interval '900 seconds', null),
      ('f2', 'failed', 'root', (now() at time zone 'UTC') - interval '900 seconds', null),
      ('d1', 'done', 'root', (now() at time zone 'UTC') - interval '9000 seconds', null),
      ('d2', 'done', 'root', (now() at time zone 'UTC') - interval '9000 seconds', null);
    INSERT INTO ir_cron (name, active, nextcall) VALUES
      ('late', true, (now() at time zone 'UTC') - interval '3600 seconds'),
      ('on time', true, (now() at time zone 'UTC') + interval '600 seconds'),
      ('inactive and late', false, (now() at time zone 'UTC') - interval '86400 seconds');
  `);
  for (const r of ROLES) {
    await admin.query(`DROP ROLE IF EXISTS ${r}`);
    await admin.query(`CREATE ROLE ${r} LOGIN`);
  }
  const shared = await connect(P + 'shared');
  await shared.query('CREATE SCHEMA t_alpha; CREATE SCHEMA t_beta; CREATE TABLE t_alpha.sale (id int); CREATE TABLE t_beta.sale (id int); CREATE TABLE public.config (id int)');
  const locks = await connect(P + 'locks');
  await locks.query('CREATE TABLE item (id int primary key, qty int); INSERT INTO item VALUES (1, 0)');
});

afterAll(async () => {
  await Promise.all(extra.map((c) => c.end().catch(() => undefined)));
  for (const db of DBS) await admin.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
  for (const r of ROLES) await admin.query(`DROP ROLE IF EXISTS ${r}`);
  await admin.end();
});

describe('PostgreSQL collector on a real cluster', () => {
  let env: ReturnType<typeof setup>;
  beforeAll(() => {
    env = setup();
  });
  afterAll(async () => {
    await env.collector.stop();
  });

  it('exports throughput, latency, connections and sizes per tenant, and tenant A’s load never lands on tenant B', async () => {
    const { collector, value } = env;
    await collector.collect(); // baseline of every counter
    // two idle Odoo workers of globex: one series for the application, not one per worker
    await connect(P + 'globex', 'odoo-4711');
    await connect(P + 'globex', 'odoo-4712');
    await pgbench(P + 'acme', ['-n', '-t', '300', '-c', '2', '-j', '1']);
    await collector.collect();

    expect(await value('tenantscope_pg_up', { pg_cluster: 'itest' })).toBe(1);
    const commits = (t: string) => value('tenantscope_pg_xact_commit_total', { tenant: t, datname: P + t });
    expect(await commits('acme')).toBeGreaterThanOrEqual(600);
    expect(await commits('globex')).toBeLessThan(20);
    expect(await value('tenantscope_pg_tuples_total', { tenant: 'acme', op: 'updated' })).toBeGreaterThanOrEqual(1800);
    expect(await value('tenantscope_pg_tuples_total', { tenant: 'globex', op: 'updated' })).toBe(0);

    const calls = (t: string) => value('tenantscope_pg_statement_calls_total', { tenant: t });
    expect(await calls('acme')).toBeGreaterThanOrEqual(600 * 5);
    expect(await calls('globex')).toBeLessThan(30);
    expect(await value('tenantscope_pg_statement_exec_seconds_total', { tenant: 'acme' })).toBeGreaterThan(0);
    expect(await value('tenantscope_pg_statements_available', { pg_cluster: 'itest' })).toBe(1);

    expect(await value('tenantscope_pg_connections', { tenant: 'globex', application: 'odoo', state: 'idle' })).toBe(2);
    expect(await value('tenantscope_pg_connections', { application: 'odoo-4711' })).toBeUndefined();
    expect(await value('tenantscope_pg_max_connections', { pg_cluster: 'itest' })).toBe(600);
    expect(await value('tenantscope_pg_database_connection_limit', { tenant: 'globex' })).toBe(50);
    expect(await value('tenantscope_pg_database_connection_limit', { tenant: 'acme' })).toBeUndefined(); // no limit

    const acmeBytes = await value('tenantscope_pg_database_size_bytes', { tenant: 'acme' });
    const globexBytes = await value('tenantscope_pg_database_size_bytes', { tenant: 'globex' });
    expect(acmeBytes).toBeGreaterThan(globexBytes! + 10 * 2 ** 20); // scale 2 vs scale 1: ~15 MB more
    expect(await value('tenantscope_pg_scrape_duration_seconds', { pg_cluster: 'itest', step: 'poll' })).toBeGreaterThan(0);
    expect(await value('tenantscope_pg_scrape_errors_total', { pg_cluster: 'itest' })).toBeUndefined();
  });

  it('reads sizes on the slow cadence only, and derives growth', async () => {
    const { collector, clock, value } = env;
    const acme = await connect(P + 'acme');
    await acme.query('CREATE TABLE growth AS SELECT g, repeat(md5(g::text), 8) AS pad FROM generate_series(1, 20000) g');
    await collector.collect();
    const before = await value('tenantscope_pg_database_size_bytes', { tenant: 'acme' });
    clock.advance(300_000);
    await collector.collect();
    const after = await value('tenantscope_pg_database_size_bytes', { tenant: 'acme' });
    expect(after).toBeGreaterThan(before! + 2 ** 20);
    expect(await value('tenantscope_pg_database_growth_bytes_per_second', { tenant: 'acme' })).toBeCloseTo((after! - before!) / 300, 3);
    expect(await value('tenantscope_pg_database_growth_bytes_per_second', { tenant: 'globex' })).toBe(0);
  });

  it('samples wait-event load per tenant: a sleeping session is Timeout, a busy one CPU', async () => {
    const { collector, value } = env;
    const sleeper = await connect(P + 'acme', 'sleeper');
    const burner = await connect(P + 'globex', 'burner');
    const sleeping = sleeper.query('SELECT pg_sleep(30)').catch(() => undefined);
    // a loop in PL/pgSQL: pure CPU (a generate_series this long spills its tuplestore to disk, and a
    // sample then catches the session in an IO wait)
    const burning = burner.query('DO $$ DECLARE x bigint := 0; BEGIN FOR i IN 1..2000000000 LOOP x := x + i; END LOOP; END $$').catch(() => undefined);
    await until('both sessions active', 20_000, async () => {
      const r = await admin.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name IN ('sleeper', 'burner') AND state = 'active' AND (query LIKE 'SELECT pg_sleep%' OR query LIKE 'DO %')`);
      return r.rows[0].n === 2;
    });
    for (let i = 0; i < 3; i++) await collector.sampleActivity();
    await admin.query(`SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE application_name IN ('sleeper', 'burner')`);
    await Promise.all([sleeping, burning]);

    expect(await value('tenantscope_pg_wait_load_seconds_total', { tenant: 'acme', wait_event_type: 'Timeout' })).toBe(3);
    expect(await value('tenantscope_pg_wait_load_seconds_total', { tenant: 'globex', wait_event_type: 'CPU' })).toBe(3);
    // isolation: each tenant's sessions only on its own series
    expect(await value('tenantscope_pg_wait_load_seconds_total', { tenant: 'acme', wait_event_type: 'CPU' })).toBeUndefined();
    expect(await value('tenantscope_pg_wait_load_seconds_total', { tenant: 'globex', wait_event_type: 'Timeout' })).toBeUndefined();
  });

  it('reports a lock wait inside one tenant database for that tenant, with the blocker’s tenant', async () => {
    const { collector, value } = env;
    const holder = await connect(P + 'locks', 'holder');
    const waiter = await connect(P + 'locks', 'waiter');
    await holder.query('BEGIN; UPDATE item SET qty = qty + 1 WHERE id = 1');
    const waiting = waiter.query('UPDATE item SET qty = qty + 1 WHERE id = 1');
    await until('the waiter to wait on a lock', 20_000, async () => {
      const r = await admin.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'waiter' AND wait_event_type = 'Lock'`);
      return r.rows[0].n === 1;
    });
    await collector.collect();
    expect(await value('tenantscope_pg_lock_waiting_sessions', { tenant: 'locks', datname: P + 'locks' })).toBe(1);
    expect(await value('tenantscope_pg_lock_blocked_sessions', { tenant: 'locks', blocker_tenant: 'locks' })).toBe(1);
    expect(await value('tenantscope_pg_lock_longest_wait_seconds', { tenant: 'locks' })).toBeGreaterThanOrEqual(0);
    expect(await value('tenantscope_pg_lock_waiting_sessions', { tenant: 'acme' })).toBeUndefined();
    expect(await value('tenantscope_pg_lock_waiting_sessions', { tenant: 'globex' })).toBeUndefined();

    await holder.query('ROLLBACK');
    await waiting;
    await collector.collect();
    expect(await value('tenantscope_pg_lock_waiting_sessions', { tenant: 'locks' })).toBeUndefined();
    expect(await value('tenantscope_pg_lock_blocked_sessions', { tenant: 'locks' })).toBeUndefined();
  });

  it('reads the Odoo queue_job backlog, oldest pending age and late crons without locking rows', async () => {
    const { collector, value } = env;
    const q = (state: string, channel: string) => value('tenantscope_pg_odoo_queue_jobs', { tenant: 'odoo', state, channel });
    expect(await q('pending', 'root.export')).toBe(3);
    expect(await q('pending', 'root')).toBe(2);
    expect(await q('failed', 'root.export')).toBe(1);
    expect(await q('failed', 'root')).toBe(1);
    expect(await q('done', 'root')).toBeUndefined();
    // the oldest runnable pending job is p1 (600 s); p5 is older but its eta is in the future
    const oldest = await value('tenantscope_pg_odoo_queue_oldest_pending_seconds', { tenant: 'odoo' });
    expect(oldest).toBeGreaterThanOrEqual(600);
    expect(oldest).toBeLessThan(700);
    expect(await value('tenantscope_pg_odoo_cron_late_jobs', { tenant: 'odoo' })).toBe(1);
    expect(await value('tenantscope_pg_odoo_cron_max_lateness_seconds', { tenant: 'odoo' })).toBeGreaterThanOrEqual(3600);
    // databases without the tables are normal: no series, no error
    expect(await value('tenantscope_pg_odoo_queue_jobs', { tenant: 'acme' })).toBeUndefined();
    expect(await value('tenantscope_pg_scrape_errors_total', { step: 'queue' })).toBeUndefined();

    // the poll takes no row lock: a worker holding FOR UPDATE on every pending job does not block it
    const worker = await connect(P + 'odoo', 'odoo-99');
    await worker.query(`BEGIN; SELECT id FROM queue_job WHERE state = 'pending' FOR UPDATE`);
    await worker.query(`UPDATE queue_job SET state = 'started' WHERE uuid = 'p1'`);
    env.clock.advance(60_000);
    await collector.collect();
    expect(await q('pending', 'root.export')).toBe(3); // uncommitted change invisible, and no wait
    await worker.query('COMMIT');
    env.clock.advance(60_000);
    await collector.collect();
    expect(await q('pending', 'root.export')).toBe(2);
    expect(await q('started', 'root.export')).toBe(1);
    expect(await value('tenantscope_pg_odoo_queue_oldest_pending_seconds', { tenant: 'odoo' })).toBeLessThan(600);
  });

  it('removes every series of a database that was dropped', async () => {
    const { collector, registry, clock } = env;
    clock.advance(300_000); // sizes due: the gone database gets a size series too
    await collector.collect();
    const sampler = await connect(P + 'gone', 'sleeper-gone');
    const sleeping = sampler.query('SELECT pg_sleep(30)').catch(() => undefined);
    await until('the gone session to be active', 20_000, async () => {
      const r = await admin.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'sleeper-gone' AND state = 'active'`);
      return r.rows[0].n === 1;
    });
    await collector.sampleActivity();
    await collector.collect();
    const before = await registry.metrics();
    expect(before).toMatch(/tenantscope_pg_database_size_bytes\{[^}]*datname="tspgi_gone"/);
    expect(before).toMatch(/tenantscope_pg_wait_load_seconds_total\{[^}]*datname="tspgi_gone"/);
    await admin.query(`DROP DATABASE ${P}gone WITH (FORCE)`);
    await sleeping;
    await collector.collect();
    const after = await registry.metrics();
    expect(after).not.toContain('tspgi_gone');
    expect(after).toContain('tspgi_acme');
  });

  it('a view that hits the lock timeout fails its step only: counted, reported, the other steps still export', async () => {
    const { collector, logger, value } = setup({ options: { statementTimeoutMs: 400 } });
    try {
      await collector.collect();
      const blocker = await connect(P + 'mon', 'catalog-locker');
      await blocker.query('BEGIN; LOCK TABLE pg_database IN ACCESS EXCLUSIVE MODE');
      try {
        await collector.collect();
      } finally {
        await blocker.query('ROLLBACK');
      }
      expect(await value('tenantscope_pg_scrape_errors_total', { step: 'database' })).toBe(1);
      expect(await value('tenantscope_pg_up', { pg_cluster: 'itest' })).toBe(1);
      expect(logger.lines.some((l) => l.includes('step database failed') && l.includes('statementTimeoutMs'))).toBe(true);
      // kept, not dropped, while its step fails; connections still read in the same poll
      expect(await value('tenantscope_pg_xact_commit_total', { tenant: 'acme' })).toBeDefined();
      expect(await value('tenantscope_pg_connections', { tenant: 'globex', application: 'odoo' })).toBe(2);
    } finally {
      await collector.stop();
    }
  });

  it('without pg_stat_statements warns with the fix and every other metric flows', async () => {
    const { collector, logger, value } = setup({ monitorDb: P + 'nopgss' });
    try {
      await collector.collect();
      await collector.collect();
      expect(await value('tenantscope_pg_up', { pg_cluster: 'itest' })).toBe(1);
      expect(await value('tenantscope_pg_statements_available', { pg_cluster: 'itest' })).toBe(0);
      const warnings = logger.lines.filter((l) => l.startsWith('warn') && l.includes('CREATE EXTENSION pg_stat_statements'));
      expect(warnings).toHaveLength(1); // once, not every poll
      expect(warnings[0]).toContain(`database "${P}nopgss"`);
      expect(await value('tenantscope_pg_statement_calls_total', { tenant: 'acme' })).toBeUndefined();
      expect(await value('tenantscope_pg_xact_commit_total', { tenant: 'acme' })).toBeDefined();
      expect(await value('tenantscope_pg_database_size_bytes', { tenant: 'acme' })).toBeGreaterThan(0);
    } finally {
      await collector.stop();
    }
  });

  it('schema-per-tenant database: table activity by schema, sessions by role', async () => {
    const { collector, clock, value } = setup({ options: { schemaTenantDatabases: [P + 'shared'], queueJobs: false } });
    try {
      await collector.collect(); // baseline of the table counters
      // each write on its own connection: a backend that exits flushes its table statistics at once
      const write = async (sqlText: string) => {
        const c = new pg.Client({ connectionString: dbUrl(P + 'shared') });
        await c.connect();
        await c.query(sqlText);
        await c.end();
      };
      await write('INSERT INTO t_alpha.sale SELECT generate_series(1, 100)');
      await write('INSERT INTO t_beta.sale SELECT generate_series(1, 10)');
      await write('INSERT INTO public.config SELECT generate_series(1, 7)');
      await connect(P + 'shared', 'odoo-1', P + 'r_alpha');
      await connect(P + 'shared', 'odoo-2', P + 'r_beta');
      await connect(P + 'shared', 'odoo-3', P + 'r_beta');
      clock.advance(60_000);
      await collector.collect();
      const ins = (tenant: string) => value('tenantscope_pg_schema_tuples_total', { tenant, datname: P + 'shared', op: 'inserted' });
      expect(await ins('alpha')).toBe(100);
      expect(await ins('beta')).toBe(10);
      // public is no tenant's schema: not attributed to anyone by schema
      expect(await value('tenantscope_pg_schema_tuples_total', { tenant: 'shared', op: 'inserted' })).toBeUndefined();
      expect(await value('tenantscope_pg_connections', { tenant: 'alpha', datname: P + 'shared', application: 'odoo' })).toBe(1);
      expect(await value('tenantscope_pg_connections', { tenant: 'beta', datname: P + 'shared', application: 'odoo' })).toBe(2);
      // the database-level counters cannot be split by schema: they stay with the database's tenant
      expect(await value('tenantscope_pg_xact_commit_total', { tenant: 'shared', datname: P + 'shared' })).toBeGreaterThanOrEqual(3);
      expect(await value('tenantscope_pg_xact_commit_total', { tenant: 'alpha' })).toBeUndefined();

      // a tenant whose schema is dropped loses its series; the others keep theirs
      await write('CREATE SCHEMA t_gamma; CREATE TABLE t_gamma.sale (id int)');
      clock.advance(60_000);
      await collector.collect(); // first sight of the new table: counter history starts
      await write('INSERT INTO t_gamma.sale SELECT generate_series(1, 5)');
      clock.advance(60_000);
      await collector.collect();
      expect(await ins('gamma')).toBe(5);
      await write('DROP SCHEMA t_gamma CASCADE');
      clock.advance(60_000);
      await collector.collect();
      expect(await ins('gamma')).toBeUndefined();
      expect(await ins('alpha')).toBe(100);
    } finally {
      await collector.stop();
    }
  });
});

/**
 * PostgreSQL collection: tenantscope vs prometheus-postgres-exporter (Debian package, default
 * collectors), same cluster, same run, at 10, 100 and 500 tenant databases.
 *
 * Per size: median wall time of a scrape (tenantscope: one collect() of the cluster-wide views plus
 * rendering the registry; exporter: GET /metrics), series exported, and the CPU each side makes the
 * database spend per scrape (user+system time of its backend processes from /proc, read before and
 * after the scrapes). Then the cost of the 1 s activity sampler (node + backend CPU per sample).
 * tenantscope's size step (pg_database_size of every database) runs on its own 5 min cadence and is
 * timed separately; the exporter runs pg_database_size on every scrape.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { loadavg } from 'node:os';
import pg from 'pg';
import { Registry } from 'prom-client';
import { configSchema } from '../config/index.js';
import { createPostgresCollector } from '../collector/postgres/index.js';
import { ManualClock } from '../lib/clock.js';
import { createLogger } from '../lib/log.js';
import { createTenantResolver } from '../tenancy/index.js';
import { findBinary, freePort, startPostgres, type PostgresHandle } from '../test/support/stack.js';
import { median, processCpuSeconds, table, type BenchContext, type BenchSection } from './harness.js';

const SCRAPES = 15;

async function backendCpu(admin: pg.Client, appPattern: string): Promise<{ pids: number[]; seconds: number }> {
  const { rows } = await admin.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE application_name LIKE $1', [appPattern]);
  let seconds = 0;
  for (const r of rows) seconds += await processCpuSeconds(r.pid).catch(() => 0);
  return { pids: rows.map((r) => r.pid), seconds };
}

async function startExporter(dsn: string): Promise<{ proc: ChildProcess; url: string }> {
  const bin = findBinary('prometheus-postgres-exporter', ['/usr/bin/prometheus-postgres-exporter']);
  const port = await freePort();
  const proc = spawn(bin, [`--web.listen-address=127.0.0.1:${port}`], { env: { ...process.env, DATA_SOURCE_NAME: dsn }, stdio: 'ignore' });
  const url = `http://127.0.0.1:${port}/metrics`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`postgres_exporter exited with ${proc.exitCode}`);
    const ok = await fetch(url).then((r) => r.ok).catch(() => false);
    if (ok) return { proc, url };
    if (Date.now() > deadline) throw new Error('postgres_exporter not ready after 30 s');
    await new Promise((r) => setTimeout(r, 100));
  }
}

const seriesIn = (text: string, prefix?: string) => text.split('\n').filter((l) => l && !l.startsWith('#') && (!prefix || l.startsWith(prefix))).length;

export default async function bench(ctx: BenchContext): Promise<BenchSection> {
  const sizes = ctx.quick ? [10] : [10, 100, 500];
  ctx.progress('starting PostgreSQL 15');
  const server: PostgresHandle = await startPostgres({ settings: { max_connections: '700' } });
  const admin = new pg.Client({ connectionString: server.url(), application_name: 'bench-admin' });
  let exporter: ChildProcess | undefined;
  const rows: (string | number)[][] = [];
  const notes: string[] = [];
  try {
    await admin.connect();
    await admin.query('CREATE EXTENSION pg_stat_statements');
    const exp = await startExporter(`postgresql://postgres@127.0.0.1:${server.port}/postgres?sslmode=disable&application_name=pgexporter`);
    exporter = exp.proc;

    const config = configSchema.parse({
      tenancy: { rules: { postgres: { database: '^tsb_(?<tenant>t[0-9]+)$' } } },
      sources: { postgres: [{ name: 'bench', url: server.url(), options: { queueJobs: false } }] },
    });
    let created = 0;
    for (const n of sizes) {
      ctx.progress(`creating tenant databases up to ${n}`);
      for (; created < n; created++) {
        const db = `tsb_t${String(created).padStart(4, '0')}`;
        await admin.query(`CREATE DATABASE ${db} STRATEGY FILE_COPY`);
        // some work in each database, so pg_stat_statements and pg_stat_database have per-tenant rows
        const c = new pg.Client({ connectionString: server.url(db), application_name: 'bench-load' });
        await c.connect();
        await c.query('CREATE TABLE item (id int primary key, qty int)');
        await c.query('INSERT INTO item SELECT g, 0 FROM generate_series(1, 100) g');
        for (let i = 0; i < 5; i++) await c.query('UPDATE item SET qty = qty + 1 WHERE id = $1', [i + 1]);
        await c.query('SELECT sum(qty) FROM item');
        await c.end();
        if (created % 50 === 49) ctx.progress(`  ${created + 1}/${n} databases`);
      }

      // a fresh collector per size: its first poll also reads sizes (timed on its own), later ones are regular scrapes
      const registry = new Registry();
      const collector = createPostgresCollector(config.sources.postgres[0]!, {
        registry,
        resolver: createTenantResolver(config.tenancy),
        clock: new ManualClock(0),
        logger: createLogger({ level: 'error' }),
      });
      try {
        await collector.collect();
        const sizeStep = (await registry.getSingleMetric('tenantscope_pg_scrape_duration_seconds')!.get()).values.find((v) => v.labels.step === 'sizes')?.value ?? Number.NaN;
        await fetch(exp.url).then((r) => r.text()); // warm the exporter as well

        ctx.progress(`${n} databases: ${SCRAPES} scrapes each, interleaved`);
        const tsTimes: number[] = [];
        const tsCollect: number[] = [];
        const tsRender: number[] = [];
        const exTimes: number[] = [];
        let tsSeries = 0;
        let tsPgSeries = 0;
        let exSeries = 0;
        const tsCpu0 = await backendCpu(admin, 'tenantscope-poll');
        const exCpu0 = await backendCpu(admin, 'pgexporter');
        const exProc0 = await processCpuSeconds(exporter.pid!);
        let nodeSeconds = 0;
        for (let i = 0; i < SCRAPES; i++) {
          let t0 = performance.now();
          const u0 = process.cpuUsage();
          await collector.collect();
          const t1 = performance.now();
          const text = await registry.metrics();
          const u1 = process.cpuUsage(u0);
          nodeSeconds += (u1.user + u1.system) / 1e6;
          tsTimes.push(performance.now() - t0);
          tsCollect.push(t1 - t0);
          tsRender.push(performance.now() - t1);
          tsSeries = seriesIn(text);
          tsPgSeries = seriesIn(text, 'tenantscope_pg_');
          t0 = performance.now();
          const body = await fetch(exp.url).then((r) => r.text());
          exTimes.push(performance.now() - t0);
          exSeries = seriesIn(body);
        }
        const tsCpu1 = await backendCpu(admin, 'tenantscope-poll');
        const exCpu1 = await backendCpu(admin, 'pgexporter');
        const exProc1 = await processCpuSeconds(exporter.pid!);
        const samePids = (a: number[], b: number[]) => a.length === b.length && a.every((p) => b.includes(p));
        if (!samePids(tsCpu0.pids, tsCpu1.pids) || !samePids(exCpu0.pids, exCpu1.pids)) notes.push(`at ${n} databases a backend changed during the scrapes: its database CPU figure undercounts`);
        const tsDbMs = ((tsCpu1.seconds - tsCpu0.seconds) / SCRAPES) * 1000;
        const exDbMs = ((exCpu1.seconds - exCpu0.seconds) / SCRAPES) * 1000;
        const tsMed = median(tsTimes);
        const exMed = median(exTimes);
        rows.push([
          n,
          `${tsMed.toFixed(1)} (${median(tsCollect).toFixed(1)} + ${median(tsRender).toFixed(1)})`,
          exMed.toFixed(1),
          `${(exMed / tsMed).toFixed(1)}×`,
          `${tsSeries} (${tsPgSeries} pg)`,
          exSeries,
          tsDbMs.toFixed(1),
          exDbMs.toFixed(1),
          ((nodeSeconds / SCRAPES) * 1000).toFixed(1),
          (((exProc1 - exProc0) / SCRAPES) * 1000).toFixed(1),
          (sizeStep * 1000).toFixed(1),
        ]);
        ctx.progress(`${n} databases: tenantscope ${tsMed.toFixed(1)} ms, postgres_exporter ${exMed.toFixed(1)} ms`);

        if (n === sizes[sizes.length - 1]) {
          // the activity sampler: CPU of one sample on both sides, × 1 sample per second = share of one core
          const SAMPLES = 200;
          await collector.sampleActivity();
          const s0 = await backendCpu(admin, 'tenantscope-sampler');
          const u0 = process.cpuUsage();
          const t0 = performance.now();
          for (let i = 0; i < SAMPLES; i++) await collector.sampleActivity();
          const wall = (performance.now() - t0) / SAMPLES;
          const u1 = process.cpuUsage(u0);
          const s1 = await backendCpu(admin, 'tenantscope-sampler');
          const nodeMs = ((u1.user + u1.system) / 1e3) / SAMPLES;
          const dbMs = ((s1.seconds - s0.seconds) * 1000) / SAMPLES;
          notes.push(
            `Activity sampler at ${n} databases (${SAMPLES} samples back to back): ${wall.toFixed(2)} ms wall per sample, CPU ${nodeMs.toFixed(2)} ms in Node + ${dbMs.toFixed(2)} ms in the backend ` +
              `= ${((nodeMs + dbMs) / 10).toFixed(2)}% of one core at 1 sample/s (target ≤ 1%). /proc CPU has 10 ms ticks: the backend figure is an average over the run.`,
          );
        }
      } finally {
        await collector.stop();
      }
    }
  } finally {
    exporter?.kill('SIGTERM');
    await admin.end().catch(() => undefined);
    ctx.progress('removing the cluster');
    await server.destroy();
  }

  const markdown = [
    table(
      [
        'tenant DBs',
        'tenantscope scrape ms, median (collect + render)',
        'postgres_exporter scrape ms (median)',
        'speed-up',
        'tenantscope series',
        'postgres_exporter series',
        'tenantscope DB CPU ms/scrape',
        'postgres_exporter DB CPU ms/scrape',
        'tenantscope Node CPU ms/scrape',
        'postgres_exporter process CPU ms/scrape',
        'tenantscope size step ms (every 5 min)',
      ],
      rows,
    ),
    '',
    `Machine load: ${loadavg().map((x) => x.toFixed(1)).join(' / ')} (1/5/15 min load average at the end; the machine is shared, so absolute times are pessimistic). ` +
      `Method: one PostgreSQL 15 started by the bench (pg_stat_statements preloaded, fsync off), N databases each with a table and a few statements. ` +
      `${SCRAPES} scrapes per side per size, interleaved; a tenantscope scrape is one \`collect()\` (pg_stat_database, settings+archiver, pg_stat_activity, pg_stat_statements per entry, lock waiters — one read-only transaction) plus rendering the registry; ` +
      `the Odoo queue step is off (the exporter has no equivalent). postgres_exporter 0.11.1 (Debian), default collectors, one DSN; a scrape is GET /metrics. ` +
      `DB CPU = user+system time of each side's backends (/proc/<pid>/stat, 10 ms ticks) over all scrapes ÷ scrapes. tenantscope's series include per-tenant latency, wait load and lock-blocker signals the exporter does not have.`,
    ...notes.map((x) => `- ${x}`),
  ].join('\n');
  return { title: 'PostgreSQL collection vs prometheus-postgres-exporter', markdown };
}

/**
 * `npm run bench -- sessions`: what one PostgreSQL session costs the server to start — the scale of the
 * analyzer's connection-churn dimension (SESSION_STARTS_PER_CORE_SECOND in collector/postgres/session-cost.ts, used by analyzer/detect.ts).
 *
 * `pgbench -C` (a new connection per transaction, one `SELECT 1` each) against a PostgreSQL 15 of its own;
 * the server's CPU is the postmaster's own plus that of its finished children (every backend is one),
 * read from /proc/<postmaster>/stat, over the sessions pg_stat_database counted meanwhile. There is no
 * peer: this calibrates a constant, it does not compare tools.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { findBinary, startPostgres } from '../test/support/stack.js';
import { processCpuSeconds, table, type Bench } from './harness.js';

const CLIENTS = [1, 2, 4];

const bench: Bench = async (ctx) => {
  const seconds = ctx.quick ? 3 : 8;
  const pgbench = findBinary('pgbench', ['/usr/lib/postgresql/15/bin/pgbench']);
  const server = await startPostgres();
  const dir = mkdtempSync(join(tmpdir(), 'bench-sessions-'));
  const one = async <T>(sql: string): Promise<T> => {
    const c = new pg.Client({ connectionString: server.url() });
    await c.connect();
    try {
      return (await c.query(sql)).rows[0] as T;
    } finally {
      await c.end();
    }
  };
  try {
    writeFileSync(join(dir, 'one.sql'), 'SELECT 1;\n');
    const { server_version: version } = await one<{ server_version: string }>('SHOW server_version');
    // the server handle's process is the postmaster itself: every backend is its child
    const postmaster = server.pid!;
    const sessions = async () => Number((await one<{ n: string }>('SELECT sum(sessions) AS n FROM pg_stat_database')).n);
    const rows: (string | number)[][] = [];
    const perCore: number[] = [];
    const u = new URL(server.url());
    for (const clients of CLIENTS) {
      ctx.progress(`pgbench -C -c ${clients} for ${seconds} s`);
      const s0 = await sessions();
      const c0 = await processCpuSeconds(postmaster);
      const t0 = performance.now();
      const r = spawnSync(pgbench, ['-h', u.hostname, '-p', u.port, '-U', 'postgres', '-n', '-C', '-c', String(clients), '-j', String(clients), '-T', String(seconds), '-f', join(dir, 'one.sql'), 'postgres'], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`pgbench -C -c ${clients} failed (exit ${r.status}): ${r.stderr.slice(0, 400)}`);
      const wall = (performance.now() - t0) / 1000;
      // the last backends are reaped (their CPU lands in the postmaster's cutime) within a moment of exiting
      await new Promise((res) => setTimeout(res, 500));
      const cpu = (await processCpuSeconds(postmaster)) - c0;
      // minus the one session that counted them
      const n = (await sessions()) - s0 - 1;
      perCore.push(n / cpu);
      rows.push([clients, n, (n / wall).toFixed(0), cpu.toFixed(2), ((1000 * cpu) / n).toFixed(2), (n / cpu).toFixed(0)]);
    }
    const markdown = [
      table(['pgbench clients', 'sessions', 'sessions/s', 'server CPU (s)', 'server CPU per session (ms)', 'sessions per core-second'], rows),
      '',
      `Method: PostgreSQL ${version} (Debian package, default settings, trust authentication on loopback), \`pgbench -C -n -T ${seconds}\` running \`SELECT 1\` per connection; server CPU = utime+stime of the postmaster plus its reaped children (every backend) from /proc, over the sessions pg_stat_database counted. The analyzer weighs a tenant's session rate against SESSION_STARTS_PER_CORE_SECOND (collector/postgres/session-cost.ts), set from the single-client figure (the least contended); password (SCRAM) or TLS authentication costs more per session, so there the same churn is a larger share of a core than the analyzer assumes. Range of sessions per core-second in this run: ${Math.min(...perCore).toFixed(0)}–${Math.max(...perCore).toFixed(0)}.`,
    ].join('\n');
    return { title: 'PostgreSQL session start cost (the analyzer\'s connection-churn scale)', markdown };
  } finally {
    await server.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
};

export default bench;

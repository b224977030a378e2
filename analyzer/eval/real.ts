/**
 * The real-server part of the analyzer evaluation (issue 6, item 8): one PostgreSQL 15
 * (pg_stat_statements) and one Redis 7 shared by six tenants, the real collectors (PostgreSQL,
 * Redis, and the Traefik access-log tail for the tenants' cache API) feeding the embedded signal
 * store every STEP, and labelled cases run one after another on that live stack:
 *  - antagonists: CPU-heavy custom pgbench scripts in one tenant's database, a pgbench connection
 *    storm (-C), redis-benchmark running an expensive SORT on one tenant's keys;
 *  - benign controls: a burst of a tenant's own light load within headroom (PostgreSQL and Redis),
 *    lock contention inside one tenant's own database, a tenant's own heavy reports at a low rate.
 * Each case is a quiet period (the baselines), the episode, a short tail; then tenantscope's real
 * analyzer and both baselines (baselines.ts) read the same recorded signal range. Ground truth comes
 * from the CLIENT side: the child-process driver (real-driver.ts) measures every tenant's latency,
 * and a victim is a tenant whose p95 rose clearly above its own quiet level (real-score.ts).
 */
import { fork, spawn, execFile, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import pg from 'pg';
import { Redis } from 'ioredis';
import { Registry } from 'prom-client';
import { configSchema } from '../../config/index.js';
import { buildCollectors } from '../../cli/sources.js';
import { createTenantResolver } from '../../tenancy/index.js';
import { systemClock } from '../../lib/clock.js';
import { createLogger } from '../../lib/log.js';
import { mulberry32 } from '../../collector/simulated/index.js';
import { findBinary, startPostgres, startRedis, INSTALL_HINT, type PostgresHandle, type RedisHandle } from '../../test/support/stack.js';
import { createAnalyzer } from '../analyzer.js';
import { createEmbeddedSignals, SIGNAL_NAMES } from '../signals/index.js';
import { runBaselines } from './baselines.js';
import type { DriverConfig, DriverMessage, WindowReply } from './real-driver.js';
import { scoreMethod, truthVictims, verdictOfBaseline, verdictOfFindings, VICTIM_MIN_RISE_MS, VICTIM_RATIO, type CaseLabel, type ClientLatency, type RealScore, type ScoredCase, type Verdict } from './real-score.js';

const run = promisify(execFile);
// no server name in the title: writeResults orders sections by the first of PostgreSQL/Redis/…/Analyzer a title contains
export const REAL_TITLE = 'Analyzer evaluation (real servers)';
const TENANTS = ['acme', 'globex', 'initech', 'umbrella', 'stark', 'hooli'];
const CLUSTER = 'pg-eval';
const REDIS = 'redis-eval';
const INGRESS = 'edge';
/** collectors, sampling into the store and analysis all at this cadence */
const STEP_MS = 2000;
/** the truth skips the first seconds of an episode: an antagonist needs a moment to get going */
const TRUTH_SKIP_MS = 6000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface RealOptions {
  seed: number;
  /** quiet period before each onset: the baselines of every method (ms) */
  quietMs?: number;
  /** how long each antagonist or control runs (ms) */
  episodeMs?: number;
  /** only these case ids (smoke runs) */
  only?: string[];
  progress: (message: string) => void;
}

interface Stack {
  pg: PostgresHandle;
  redis: RedisHandle;
  dir: string;
  pgbench: string;
  redisBenchmark: string;
  driver: (m: DriverMessage) => void;
}

interface Running {
  stop(): Promise<void>;
}

interface CaseDef {
  id: string;
  label: CaseLabel;
  what: string;
  start(s: Stack): Running;
}

/** every binary the set needs, checked before anything starts: a missing one fails, naming the install script */
export function requireBinaries(): { pgbench: string; redisBenchmark: string } {
  const missing: string[] = [];
  const find = (name: string, candidates: string[] = []) => {
    try {
      return findBinary(name, candidates);
    } catch {
      missing.push(name);
      return '';
    }
  };
  const pgBin = process.env.TENANTSCOPE_PG_BIN ?? '/usr/lib/postgresql/15/bin';
  find('postgres', [join(pgBin, 'postgres')]);
  find('initdb', [join(pgBin, 'initdb')]);
  const pgbench = find('pgbench', [join(pgBin, 'pgbench')]);
  find('redis-server');
  const redisBenchmark = find('redis-benchmark');
  if (missing.length) throw new Error(`the real-server evaluation needs ${missing.join(', ')}, not found — ${INSTALL_HINT}`);
  return { pgbench, redisBenchmark };
}

function proc(cmd: string, args: string[]): Running {
  const p: ChildProcess = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  p.stderr?.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-1000)));
  return {
    stop: () =>
      new Promise<void>((resolve, reject) => {
        if (p.exitCode !== null || p.signalCode !== null) {
          // it ended before its time: the case did not run as described
          reject(new Error(`${cmd} ${args.join(' ')} exited early with ${p.exitCode ?? p.signalCode}: ${err}`));
          return;
        }
        p.once('exit', () => resolve());
        p.kill('SIGTERM');
      }),
  };
}

const pgbench = (s: Stack, db: string, args: string[]) => proc(s.pgbench, ['-h', '127.0.0.1', '-p', String(s.pg.port), '-U', 'postgres', '-n', ...args, '-T', '3600', db]);
const sortStorm = (s: Stack, tenant: string, clients: number, list: string) =>
  proc(s.redisBenchmark, ['-h', '127.0.0.1', '-p', String(s.redis.port), '-c', String(clients), '-n', '1000000000', 'SORT', `${tenant}:${list}`, 'LIMIT', '0', '1']);
const rate = (tenant: string, kind: 'pg' | 'redis', mult: number) => (s: Stack): Running => {
  s.driver({ type: 'rate', tenant, kind, mult });
  return { stop: async () => s.driver({ type: 'rate', tenant, kind, mult: 1 }) };
};

/** the case list: fixed kinds, tenants and order drawn from the seed */
export function buildRealCases(seed: number): CaseDef[] {
  const rnd = mulberry32(seed ^ 0x7ea1);
  const pool = [...TENANTS];
  let k = pool.length;
  const next = () => {
    if (k >= pool.length) {
      for (let i = pool.length - 1; i > 0; i--) {
        const j = Math.floor(rnd() * (i + 1));
        [pool[i], pool[j]] = [pool[j]!, pool[i]!];
      }
      k = 0;
    }
    return pool[k++]!;
  };
  const pgRes = { kind: 'postgres', id: CLUSTER };
  const redisRes = { kind: 'redis', id: REDIS };
  const a = (id: string, subject: string, resource: { kind: string; id: string }, mechanism: string, what: string, start: CaseDef['start']): CaseDef => ({
    id,
    label: { label: 'antagonist', subject, resource, mechanism, selfInflicted: false },
    what,
    start,
  });
  const b = (id: string, subject: string, resource: { kind: string; id: string }, selfInflicted: boolean, what: string, start: CaseDef['start']): CaseDef => ({
    id,
    label: { label: 'benign', subject, resource, mechanism: undefined, selfInflicted },
    what,
    start,
  });
  const cases: CaseDef[] = [];
  let t = next();
  cases.push(a('pg-cpu-c4', t, pgRes, 'cpu', `${t}: 100k-row range sums back to back on 4 connections (pgbench -c 4)`, (s) => pgbench(s, `${t}_prod`, ['-f', join(s.dir, 'heavy.sql'), '-c', '4', '-j', '2'])));
  const t2 = next();
  cases.push(a('pg-cpu-c3', t2, pgRes, 'cpu', `${t2}: the same on 3 connections`, (s) => pgbench(s, `${t2}_prod`, ['-f', join(s.dir, 'heavy.sql'), '-c', '3', '-j', '2'])));
  const t3 = next();
  cases.push(a('pg-cpu-c2', t3, pgRes, 'cpu', `${t3}: the same on 2 connections (as many as the cores)`, (s) => pgbench(s, `${t3}_prod`, ['-f', join(s.dir, 'heavy.sql'), '-c', '2', '-j', '2'])));
  const t4 = next();
  cases.push(a('pg-cpu-agg', t4, pgRes, 'cpu', `${t4}: hash aggregates (count distinct over 100k rows) on 3 connections`, (s) => pgbench(s, `${t4}_prod`, ['-f', join(s.dir, 'agg.sql'), '-c', '3', '-j', '2'])));
  const t5 = next();
  cases.push(a('pg-connections', t5, pgRes, 'connections', `${t5}: connection storm, a new connection per query on 12 clients (pgbench -C -c 12)`, (s) => pgbench(s, `${t5}_prod`, ['-f', join(s.dir, 'one.sql'), '-C', '-c', '12', '-j', '2'])));
  const t6 = next();
  cases.push(a('redis-sort-big', t6, redisRes, 'command-time', `${t6}: redis-benchmark SORT of its 100k-element list, 1 client`, (s) => sortStorm(s, t6, 1, 'big')));
  t = next();
  const t7 = t;
  cases.push(a('redis-sort-c2', t7, redisRes, 'command-time', `${t7}: redis-benchmark SORT of its 40k-element list, 2 clients`, (s) => sortStorm(s, t7, 2, 'mid')));
  const t8 = next();
  cases.push(a('redis-sort-mid', t8, redisRes, 'command-time', `${t8}: redis-benchmark SORT of its 40k-element list, 1 client`, (s) => sortStorm(s, t8, 1, 'mid')));
  const t9 = next();
  cases.push(b('pg-burst', t9, pgRes, false, `${t9}: its own light reports at 3× their rate (within headroom)`, rate(t9, 'pg', 3)));
  const t10 = next();
  cases.push(b('redis-burst', t10, redisRes, false, `${t10}: its own cache requests at 3× their rate (within headroom)`, rate(t10, 'redis', 3)));
  const t11 = next();
  cases.push(
    b('pg-lock', t11, pgRes, true, `${t11}: 5 sessions updating the same row of its own database, each holding the lock 30 ms`, (s) => pgbench(s, `${t11}_prod`, ['-f', join(s.dir, 'lock.sql'), '-c', '5', '-j', '1'])),
  );
  const t12 = next();
  cases.push(b('pg-own-heavy', t12, pgRes, true, `${t12}: its own heavy reports (100k-row sums) at 3 per second on one connection`, (s) => pgbench(s, `${t12}_prod`, ['-f', join(s.dir, 'heavy.sql'), '-c', '1', '-R', '3'])));
  // the order is drawn too: no kind of case always follows the same other kind
  for (let i = cases.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [cases[i], cases[j]] = [cases[j]!, cases[i]!];
  }
  return cases;
}

async function setup(o: RealOptions, bins: { pgbench: string; redisBenchmark: string }): Promise<Omit<Stack, 'driver'> & { versions: string }> {
  o.progress('real: starting PostgreSQL 15 and Redis 7');
  const dir = mkdtempSync(join(tmpdir(), 'tenantscope-eval-real-'));
  // every SORT of the antagonists is slower than 1 ms; the tenants' own commands never are
  const [pgs, redis] = await Promise.all([startPostgres(), startRedis({ args: ['--slowlog-log-slower-than', '1000', '--slowlog-max-len', '4096'] })]);
  const admin = new pg.Client({ connectionString: pgs.url() });
  await admin.connect();
  let versions = '';
  try {
    await admin.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
    for (const t of TENANTS) await admin.query(`CREATE DATABASE ${t}_prod`);
    versions = `PostgreSQL ${(await admin.query<{ server_version: string }>('SHOW server_version')).rows[0]!.server_version}`;
  } finally {
    await admin.end();
  }
  o.progress('real: pgbench -i -s 3 in six tenant databases');
  for (let i = 0; i < TENANTS.length; i += 2) {
    // two at a time: the machine has two cores
    await Promise.all(TENANTS.slice(i, i + 2).map((t) => run(bins.pgbench, ['-h', '127.0.0.1', '-p', String(pgs.port), '-U', 'postgres', '-i', '-q', '-s', '3', `${t}_prod`])));
  }
  const r = new Redis({ host: '127.0.0.1', port: redis.port });
  try {
    o.progress('real: loading the tenants\u2019 Redis lists');
    const rnd = mulberry32(o.seed);
    for (const t of TENANTS) {
      for (const [name, n] of [['big', 100_000], ['mid', 40_000]] as const) {
        for (let i = 0; i < n; i += 5000) await r.rpush(`${t}:${name}`, ...Array.from({ length: Math.min(5000, n - i) }, () => String(Math.floor(rnd() * 1e9))));
      }
      for (let i = 0; i < 50; i++) await r.hset(`${t}:cart:${i}`, 'line', '0');
    }
    const info = await r.info('server');
    versions += `, Redis ${/redis_version:(\S+)/.exec(info)?.[1] ?? '?'}`;
  } finally {
    r.disconnect();
  }
  writeFileSync(join(dir, 'heavy.sql'), '\\set aid random(1, 190000)\nSELECT sum(abalance) FROM pgbench_accounts WHERE aid BETWEEN :aid AND :aid + 100000;\n');
  writeFileSync(join(dir, 'agg.sql'), '\\set aid random(1, 190000)\nSELECT count(DISTINCT (abalance + aid % 997)) FROM pgbench_accounts WHERE aid BETWEEN :aid AND :aid + 100000;\n');
  writeFileSync(join(dir, 'one.sql'), 'SELECT 1;\n');
  writeFileSync(join(dir, 'lock.sql'), 'BEGIN;\nUPDATE pgbench_branches SET bbalance = bbalance + 1 WHERE bid = 1;\nSELECT pg_sleep(0.03);\nEND;\n');
  return { pg: pgs, redis, dir, pgbench: bins.pgbench, redisBenchmark: bins.redisBenchmark, versions };
}

function startDriver(cfg: DriverConfig): Promise<{ send: (m: DriverMessage) => void; window: (fromMs: number, toMs: number, bucketMs: number) => Promise<WindowReply['stats']>; stop: () => Promise<void> }> {
  const file = fileURLToPath(new URL('./real-driver.ts', import.meta.url));
  // a child process of its own (tsx loads the TypeScript): its timings never queue behind our collectors
  const child = fork(file, [JSON.stringify(cfg)], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  let id = 0;
  const waiting = new Map<number, (s: WindowReply['stats']) => void>();
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the load driver exited with ${code} before it was ready`)));
    child.on('message', (m: { type: 'ready' } | WindowReply) => {
      if (m.type === 'ready') {
        child.removeAllListeners('exit');
        resolve({
          send: (x) => child.send(x),
          window: (fromMs, toMs, bucketMs) =>
            new Promise((res) => {
              const n = ++id;
              waiting.set(n, res);
              child.send({ type: 'window', id: n, fromMs, toMs, bucketMs } satisfies DriverMessage);
            }),
          stop: () =>
            new Promise<void>((res) => {
              if (child.exitCode !== null) return res();
              const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
              child.once('exit', () => (clearTimeout(t), res()));
              child.send({ type: 'stop' } satisfies DriverMessage);
            }),
        });
      } else if (m.type === 'window') {
        waiting.get(m.id)?.(m.stats);
        waiting.delete(m.id);
      }
    });
  });
}

export interface RealCaseResult {
  def: Pick<CaseDef, 'id' | 'label' | 'what'>;
  truth: ScoredCase['truth'];
  verdicts: { tenantscope: Verdict; cpi2: Verdict; highestUsage: Verdict };
  onsetMs: number;
  /** client-side p95 before/during of every tenant on the case's resource (ms) */
  latency: Record<string, ClientLatency>;
}

export interface RealResult {
  scores: RealScore[];
  cases: RealCaseResult[];
  elapsedMs: number;
  versions: string;
  quietMs: number;
  episodeMs: number;
}

export async function evaluateReal(o: RealOptions): Promise<RealResult> {
  const t0 = Date.now();
  const quietMs = o.quietMs ?? 36_000;
  const episodeMs = o.episodeMs ?? 36_000;
  const tailMs = 3 * STEP_MS;
  const bins = requireBinaries();
  const defs = buildRealCases(o.seed).filter((c) => !o.only || o.only.includes(c.id));
  if (defs.length === 0) throw new Error(`no real case matches ${o.only?.join(', ')}; the ids are ${buildRealCases(o.seed).map((c) => c.id).join(', ')}`);
  const base = await setup(o, bins);
  const cleanups: (() => Promise<unknown>)[] = [() => base.pg.destroy(), () => base.redis.destroy(), async () => rmSync(base.dir, { recursive: true, force: true })];
  try {
    const accessLog = join(base.dir, 'access.jsonl');
    writeFileSync(accessLog, '');
    const config = configSchema.parse({
      tenancy: {
        rules: {
          postgres: { database: '^(?<tenant>[a-z0-9]+)_prod$' },
          redis: { clientName: '^(?<tenant>[a-z0-9]+)-app$', keyPrefix: '^(?<tenant>[a-z0-9]+):' },
          traefik: { service: '^(?<tenant>[a-z0-9]+)-cache' },
        },
      },
      sources: {
        postgres: [{ name: CLUSTER, url: base.pg.url(), options: { pollIntervalMs: STEP_MS, queueJobs: false } }],
        redis: [{ name: REDIS, url: base.redis.url(), options: { canaryIntervalMs: 500, walkIntervalMs: 10_000, slowlogEntries: 4096 } }],
        traefik: [{ name: INGRESS, accessLog, options: { logPollIntervalMs: 500, logFromStart: true } }],
      },
      collector: { scrapeIntervalMs: STEP_MS },
    });
    const registry = new Registry();
    const logger = createLogger({ level: 'error' });
    const deps = { registry, resolver: createTenantResolver(config.tenancy), clock: systemClock, logger };
    const { collectors } = buildCollectors(config, deps);
    for (const c of collectors) {
      await c.start();
      cleanups.unshift(() => c.stop());
    }
    const embedded = createEmbeddedSignals({ tickMs: STEP_MS, retentionHours: 1 }, { registry, clock: systemClock, logger });
    await embedded.start();
    cleanups.unshift(() => embedded.stop());
    const analyzer = createAnalyzer({ stepMs: STEP_MS, historyMs: quietMs, minHistoryPoints: Math.floor(quietMs / STEP_MS) - 2 }, { signals: embedded.source, clock: systemClock, logger, resolver: deps.resolver });

    const driver = await startDriver({ pgPort: base.pg.port, redisPort: base.redis.port, tenants: TENANTS, pgRate: 5, redisRate: 10, accessLog, seed: o.seed });
    cleanups.unshift(() => driver.stop());
    const stack: Stack = { ...base, driver: driver.send };
    o.progress(`real: collectors and light load running; warming up 20 s before the first quiet period`);
    await sleep(20_000);

    const results: RealCaseResult[] = [];
    for (const [i, def] of defs.entries()) {
      const eta = Math.round(((defs.length - i) * (quietMs + episodeMs + tailMs)) / 60_000);
      o.progress(`real ${i + 1}/${defs.length} ${def.id} (${def.label.label}): quiet ${quietMs / 1000} s, then ${def.what}; ~${eta} min left`);
      await sleep(quietMs);
      const onset = Date.now();
      const running = def.start(stack);
      await sleep(episodeMs);
      await running.stop();
      const end = Date.now();
      // the last samples of the episode reach the store a step later
      await sleep(tailMs);
      const to = end + tailMs - STEP_MS;
      const analysis = await analyzer.analyze({ fromMs: onset, toMs: to });
      const range = await embedded.source.range({ signals: SIGNAL_NAMES }, onset - quietMs, to, STEP_MS);
      const windowStart = Math.ceil((onset - range.startMs) / STEP_MS);
      const b = runBaselines(range, windowStart);
      const [before, during, buckets] = await Promise.all([driver.window(onset - quietMs, onset, quietMs), driver.window(onset + TRUTH_SKIP_MS, end, end - onset), driver.window(onset, end, STEP_MS)]);
      const kind = def.label.resource.kind === 'redis' ? 'redis' : 'pg';
      const latency: Record<string, ClientLatency> = {};
      for (const t of TENANTS) latency[t] = { before: before[t]![kind].p95, during: during[t]![kind].p95, buckets: buckets[t]![kind].buckets };
      const truth = truthVictims(latency, def.label.subject, STEP_MS);
      const verdicts = {
        tenantscope: verdictOfFindings(analysis.findings, analyzer.detectedAtMs, def.label),
        cpi2: verdictOfBaseline(b.cpi2, def.label),
        highestUsage: verdictOfBaseline(b.highestUsage, def.label),
      };
      if (process.env.TENANTSCOPE_EVAL_DUMP) {
        // for looking into a case by hand: every finding and every non-empty series of the case's range
        const series = range.series.filter((x) => x.values.some(Number.isFinite)).map((x) => ({ signal: x.signal, tenant: x.tenant, resource: x.resource, sub: x.sub, values: [...x.values].map((y) => (Number.isFinite(y) ? Number(y.toPrecision(4)) : null)) }));
        writeFileSync(join(process.env.TENANTSCOPE_EVAL_DUMP, `${def.id}.json`), JSON.stringify({ windowStart, findings: analysis.findings, baselines: b, latency, series }, null, 1));
      }
      results.push({ def: { id: def.id, label: def.label, what: def.what }, truth, verdicts, onsetMs: onset, latency });
      const v = verdicts.tenantscope;
      o.progress(
        `  truth victims [${[...truth.victims].join(' ')}]; tenantscope suspect ${v.ranking[0] ?? '-'} (${v.mechanism ?? '-'}), victims [${[...v.victims].join(' ')}], alerts ${v.alerted}; ` +
          `CPI2 ${verdicts.cpi2.ranking[0] ?? '-'}; highest usage ${verdicts.highestUsage.ranking[0] ?? '-'}`,
      );
    }
    const scored = (m: keyof RealCaseResult['verdicts']): ScoredCase[] => results.map((r) => ({ label: r.def.label, onsetMs: r.onsetMs, truth: r.truth, verdict: r.verdicts[m] }));
    return {
      scores: [scoreMethod('tenantscope', scored('tenantscope')), scoreMethod('CPI2-style', scored('cpi2')), scoreMethod('highest usage', scored('highestUsage'))],
      cases: results,
      elapsedMs: Date.now() - t0,
      versions: base.versions,
      quietMs,
      episodeMs,
    };
  } finally {
    for (const c of cleanups) await c().catch((err: unknown) => o.progress(`real: cleanup step failed: ${(err as Error).message}`));
  }
}

export function realToMarkdown(r: RealResult, o: { seed: number }): string {
  const f = (x: number, d = 2) => (Number.isFinite(x) ? x.toFixed(d) : 'n/a');
  const rows: [string, (s: RealScore) => string][] = [
    ['antagonist cases that hurt someone client-side (scored)', (s) => String(s.antagonistCases)],
    ['antagonist cases that hurt no one (named a suspect anyway)', (s) => `${s.harmlessCases} (${s.harmlessAlerted})`],
    ['named a suspect on the right resource', (s) => f(s.detected)],
    ['AC@1 (true antagonist ranked first)', (s) => f(s.ac1)],
    ['AC@1 PostgreSQL', (s) => f(s.ac1ByKind.postgres ?? Number.NaN)],
    ['AC@1 Redis', (s) => f(s.ac1ByKind.redis ?? Number.NaN)],
    ['victim-set F1', (s) => f(s.victimF1)],
    ['mechanism accuracy (of named)', (s) => f(s.mechanismAccuracy)],
    [`time to detect from onset, p50 / max (s, ${STEP_MS / 1000} s step)`, (s) => `${f(s.ttdP50Seconds, 0)} / ${f(s.ttdMaxSeconds, 0)}`],
    ['time to detect from harm onset, p50 (s)', (s) => f(s.ttdFromHarmP50Seconds, 0)],
    ['benign controls', (s) => String(s.benignCases)],
    ['benign controls alerted (share)', (s) => f(s.benignAlertedShare)],
    ['self-inflicted cases blamed on a neighbour (share)', (s) => `${f(s.selfInflictedBlamedShare)} of ${s.selfInflictedCases}`],
  ];
  const head = `| figure | ${r.scores.map((s) => s.method).join(' | ')} |\n| --- | ${r.scores.map(() => '---').join(' | ')} |`;
  const body = rows.map(([name, g]) => `| ${name} | ${r.scores.map(g).join(' | ')} |`).join('\n');
  const who = (v: Verdict) => (v.ranking.length ? `${v.ranking[0]}${v.mechanism ? ` (${v.mechanism})` : ''}` : v.alerted ? `— (${v.alerted} alert${v.alerted > 1 ? 's' : ''} elsewhere)` : '—');
  const perCase = r.cases
    .map((c) => {
      const lat = Object.entries(c.latency)
        .filter(([t]) => t !== c.def.label.subject)
        .map(([, l]) => l.during / l.before)
        .filter(Number.isFinite);
      return `| ${c.def.id} | ${c.def.label.label} | ${c.def.what} | ${lat.length ? f(Math.max(...lat), 1) : 'n/a'}× | ${[...c.truth.victims].join(', ') || '—'} | ${who(c.verdicts.tenantscope)} | ${[...c.verdicts.tenantscope.victims].join(', ') || '—'} | ${who(c.verdicts.cpi2)} | ${who(c.verdicts.highestUsage)} |`;
    })
    .join('\n');
  const nA = r.cases.filter((c) => c.def.label.label === 'antagonist').length;
  return [
    `## ${REAL_TITLE}`,
    '',
    `${r.cases.length} labelled cases (${nA} antagonists, ${r.cases.length - nA} benign controls; seed ${o.seed}) run one after another on one live stack: ${r.versions}, six tenant databases ` +
      `(pgbench -i -s 3) and six tenants' keys in one Redis. The real collectors (PostgreSQL with pg_stat_statements and the 1 s activity sampler, Redis with SLOWLOG, CLIENT LIST, the key walk and a 0.5 s PING canary, ` +
      `and the Traefik access-log tail) feed the embedded signal store every ${STEP_MS / 1000} s. Every tenant runs light load all along from a separate driver process, open loop: 5 report queries/s ` +
      `(50k-row index range sums) on its database and 10 cache requests/s (five Redis commands each) whose access-log lines the Traefik collector reads — there is no Traefik binary here, so the driver writes ` +
      `the lines Traefik would. Each case: ${r.quietMs / 1000} s quiet (the baselines of all three methods), ${r.episodeMs / 1000} s episode, ${(3 * STEP_MS) / 1000} s tail; then tenantscope's analyzer ` +
      `(createAnalyzer, ${STEP_MS / 1000} s step, history = the quiet period) and both baselines of baselines.ts read the same signal range. Ran in ${(r.elapsedMs / 60_000).toFixed(1)} min.`,
    '',
    `Ground truth is measured on the client side, not by any method under test: a victim is a tenant other than the subject whose p95 latency (PostgreSQL queries for PostgreSQL cases, cache requests for ` +
      `Redis cases) over the episode from ${TRUTH_SKIP_MS / 1000} s after the onset is ≥ ${VICTIM_RATIO}× its own p95 of the quiet period and ≥ ${VICTIM_MIN_RISE_MS} ms above it; harm onset is the first ${STEP_MS / 1000} s bucket in which a victim crossed that line. ` +
      `An antagonist that hurt no one is not scored for AC@1. Antagonists: CPU-heavy custom pgbench scripts in one tenant's database (pgbench's default TPC-B script is client-bound on 2 cores and barely slows others), ` +
      `a pgbench connection storm (-C), redis-benchmark running SORT … LIMIT 0 1 on the tenant's own list. Benign controls: a tenant's own light load at 3× (PostgreSQL, Redis), lock contention inside one tenant's ` +
      `database, a tenant's own heavy reports at a low rate (the last two are the self-inflicted cases).`,
    '',
    head,
    body,
    '',
    '| case | label | what ran | worst neighbour p95 during/before | client-side victims | tenantscope suspect (mechanism) | tenantscope victims | CPI2-style | highest usage |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    perCase,
    '',
    `Caveats: small n (${r.cases.length} cases, one run), so one case moves a share by ${(1 / Math.max(1, nA)).toFixed(2)}; 2 shared cores, so every server, the load driver and the analyzer compete for the same CPUs and a PostgreSQL antagonist also slows Redis clients (and vice versa); ` +
      `baselines are ${r.quietMs / 1000} s of quiet — far shorter than in production. Machine load at the end: ${loadavg().map((x) => x.toFixed(1)).join(' / ')}.`,
    '',
  ].join('\n');
}

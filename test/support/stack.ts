/**
 * Real servers on loopback for integration tests, benchmarks and `scripts/stack.ts`:
 * PostgreSQL 15 (pg_stat_statements preloaded), Redis 7 (+ Sentinel), Prometheus and Alertmanager, each on a
 * free port in its own temp dir. A missing binary is an error naming the install command — an
 * integration test never skips silently.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync, chownSync, mkdirSync } from 'node:fs';
import { createServer, createConnection } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';

export const INSTALL_HINT = 'run `bash scripts/install-deps.sh` (as root: apt-get install postgresql-15 postgresql-contrib redis-server redis-tools redis-sentinel prometheus prometheus-alertmanager)';
const PG_BIN = process.env.TENANTSCOPE_PG_BIN ?? '/usr/lib/postgresql/15/bin';

export function findBinary(name: string, candidates: string[] = []): string {
  for (const c of candidates) if (existsSync(c)) return c;
  for (const dir of (process.env.PATH ?? '').split(':')) {
    const p = join(dir, name);
    if (dir && existsSync(p)) return p;
  }
  throw new Error(`${name} not found — ${INSTALL_HINT}`);
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      s.close(() => resolve(port));
    });
  });
}

async function waitFor(what: string, check: () => Promise<boolean>, proc: ChildProcess, logs: () => string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (proc.exitCode !== null) throw new Error(`${what} exited with code ${proc.exitCode} during start:\n${logs()}`);
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} not ready after ${timeoutMs} ms:\n${logs()}`);
}

function tcpOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const c = createConnection({ host: '127.0.0.1', port });
    c.once('connect', () => (c.destroy(), resolve(true)));
    c.once('error', () => resolve(false));
  });
}

async function httpOk(url: string): Promise<boolean> {
  const res = await fetch(url);
  return res.ok;
}

export interface ServerHandle {
  readonly name: string;
  readonly port: number;
  readonly dir: string;
  readonly pid: number | undefined;
  /** stops gracefully and keeps the data directory (for restart) */
  stop(): Promise<void>;
  /** SIGKILL, as a crash */
  kill(): Promise<void>;
  /** starts again on the same port and data */
  restart(): Promise<void>;
  /** stops and removes the data directory */
  destroy(): Promise<void>;
}

interface Spec {
  name: string;
  cmd: string;
  args: string[];
  uid?: number;
  gid?: number;
  ready: () => Promise<boolean>;
  stopSignal: NodeJS.Signals;
}

async function supervise(spec: Spec, dir: string, port: number): Promise<ServerHandle> {
  let proc: ChildProcess;
  let out = '';
  const launch = async () => {
    out = '';
    proc = spawn(spec.cmd, spec.args, { stdio: ['ignore', 'pipe', 'pipe'], uid: spec.uid, gid: spec.gid, cwd: dir });
    proc.stdout?.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-8000)));
    proc.stderr?.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-8000)));
    await waitFor(spec.name, spec.ready, proc, () => out);
  };
  const end = (signal: NodeJS.Signals) =>
    new Promise<void>((resolve) => {
      if (!proc || proc.exitCode !== null || proc.signalCode !== null) return resolve();
      proc.once('exit', () => resolve());
      proc.kill(signal);
    });
  await launch();
  return {
    name: spec.name,
    port,
    dir,
    get pid() {
      return proc.pid;
    },
    stop: () => end(spec.stopSignal),
    kill: () => end('SIGKILL'),
    restart: async () => {
      await end(spec.stopSignal);
      await launch();
    },
    destroy: async () => {
      await end(spec.stopSignal);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** PostgreSQL refuses to run as root: as root, it runs as the `postgres` system user of the Debian package. */
function pgUser(): { uid: number; gid: number } | undefined {
  if (userInfo().uid !== 0) return undefined;
  try {
    const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
    return { uid, gid };
  } catch {
    throw new Error(`running as root and no "postgres" user exists to run PostgreSQL — ${INSTALL_HINT}`);
  }
}

export interface PostgresHandle extends ServerHandle {
  /** connection URL of the superuser `postgres` to a database (default: postgres) */
  url(database?: string): string;
}

export async function startPostgres(opts: { settings?: Record<string, string> } = {}): Promise<PostgresHandle> {
  const postgres = findBinary('postgres', [join(PG_BIN, 'postgres')]);
  const initdb = findBinary('initdb', [join(PG_BIN, 'initdb')]);
  const user = pgUser();
  const dir = mkdtempSync(join(tmpdir(), 'tenantscope-pg-'));
  const data = join(dir, 'data');
  mkdirSync(data);
  if (user) {
    chownSync(dir, user.uid, user.gid);
    chownSync(data, user.uid, user.gid);
  }
  execFileSync(initdb, ['-D', data, '-U', 'postgres', '--auth=trust', '--encoding=UTF8', '--locale=C', '--no-sync'], {
    stdio: 'pipe',
    uid: user?.uid,
    gid: user?.gid,
  });
  const port = await freePort();
  const settings: Record<string, string> = {
    listen_addresses: '127.0.0.1',
    unix_socket_directories: dir,
    shared_preload_libraries: 'pg_stat_statements',
    'pg_stat_statements.track': 'all',
    track_io_timing: 'on',
    max_connections: '600',
    fsync: 'off',
    synchronous_commit: 'off',
    full_page_writes: 'off',
    shared_buffers: '128MB',
    ...opts.settings,
  };
  const args = ['-D', data, '-p', String(port), ...Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`])];
  const h = await supervise(
    { name: 'postgres', cmd: postgres, args, ...(user ?? {}), ready: async () => (await tcpOpen(port)) && pgReady(port), stopSignal: 'SIGINT' },
    dir,
    port,
  );
  return Object.assign(h, { url: (db = 'postgres') => `postgres://postgres@127.0.0.1:${port}/${db}` });
}

async function pgReady(port: number): Promise<boolean> {
  const isready = join(PG_BIN, 'pg_isready');
  if (!existsSync(isready)) return true;
  try {
    execFileSync(isready, ['-h', '127.0.0.1', '-p', String(port), '-q'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export interface RedisHandle extends ServerHandle {
  url(db?: number): string;
}

export async function startRedis(opts: { args?: string[] } = {}): Promise<RedisHandle> {
  const bin = findBinary('redis-server');
  const dir = mkdtempSync(join(tmpdir(), 'tenantscope-redis-'));
  const port = await freePort();
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no', '--daemonize', 'no', ...(opts.args ?? [])];
  const h = await supervise({ name: 'redis', cmd: bin, args, ready: () => tcpOpen(port), stopSignal: 'SIGTERM' }, dir, port);
  return Object.assign(h, { url: (db = 0) => `redis://127.0.0.1:${port}/${db}` });
}

/** one RESP command on a fresh connection; resolves with the raw reply text */
function respCommand(port: number, args: string[], timeoutMs = 2000): Promise<string> {
  return new Promise((resolve, reject) => {
    const c = createConnection({ host: '127.0.0.1', port });
    let reply = '';
    const timer = setTimeout(() => (c.destroy(), reject(new Error(`no reply on port ${port} within ${timeoutMs} ms`))), timeoutMs);
    c.once('connect', () => c.write(`*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`));
    c.on('data', (d: Buffer) => {
      reply += d.toString();
      // enough for the replies we ask for: a nil, an error, or a two-element array of bulk strings
      if (/^(\*-1|\$-1|-.*|\*2\r\n\$\d+\r\n[^\r]*\r\n\$\d+\r\n[^\r]*)\r\n/.test(reply)) {
        clearTimeout(timer);
        c.destroy();
        resolve(reply);
      }
    });
    c.once('error', (err) => (clearTimeout(timer), reject(err)));
  });
}

export interface SentinelHandle extends ServerHandle {
  readonly masterName: string;
  /** redis+sentinel://127.0.0.1:<port>/<masterName>/<db> — the collector's Sentinel form */
  url(db?: number): string;
}

/**
 * A real redis-sentinel monitoring the master on 127.0.0.1:<masterPort> (quorum 1), ready once it
 * answers SENTINEL get-master-addr-by-name. Sentinel rewrites its config file, so it lives in the temp dir.
 */
export async function startSentinel(masterPort: number, opts: { masterName?: string; masterPassword?: string } = {}): Promise<SentinelHandle> {
  const bin = findBinary('redis-sentinel');
  const masterName = opts.masterName ?? 'mymaster';
  const dir = mkdtempSync(join(tmpdir(), 'tenantscope-sentinel-'));
  const port = await freePort();
  const conf = join(dir, 'sentinel.conf');
  writeFileSync(
    conf,
    [
      `port ${port}`,
      'bind 127.0.0.1',
      'daemonize no',
      `dir ${dir}`,
      `sentinel monitor ${masterName} 127.0.0.1 ${masterPort} 1`,
      `sentinel down-after-milliseconds ${masterName} 5000`,
      ...(opts.masterPassword === undefined ? [] : [`sentinel auth-pass ${masterName} ${opts.masterPassword}`]),
      '',
    ].join('\n'),
  );
  const ready = async () => (await respCommand(port, ['SENTINEL', 'get-master-addr-by-name', masterName])).startsWith(`*2\r\n`);
  const h = await supervise({ name: 'redis-sentinel', cmd: bin, args: [conf], ready, stopSignal: 'SIGTERM' }, dir, port);
  return Object.assign(h, { masterName, url: (db = 0) => `redis+sentinel://127.0.0.1:${port}/${masterName}/${db}` });
}

export interface HttpServerHandle extends ServerHandle {
  readonly url: string;
}

export async function startPrometheus(opts: { config?: string; rules?: Record<string, string> } = {}): Promise<HttpServerHandle> {
  const bin = findBinary('prometheus');
  const dir = mkdtempSync(join(tmpdir(), 'tenantscope-prom-'));
  const port = await freePort();
  for (const [name, text] of Object.entries(opts.rules ?? {})) writeFileSync(join(dir, name), text);
  const ruleFiles = Object.keys(opts.rules ?? {});
  const config = opts.config ?? `global:\n  scrape_interval: 15s\n  evaluation_interval: 15s\n${ruleFiles.length ? `rule_files:\n${ruleFiles.map((f) => `  - ${join(dir, f)}\n`).join('')}` : ''}`;
  writeFileSync(join(dir, 'prometheus.yml'), config);
  const url = `http://127.0.0.1:${port}`;
  const args = [
    `--config.file=${join(dir, 'prometheus.yml')}`,
    `--storage.tsdb.path=${join(dir, 'data')}`,
    `--web.listen-address=127.0.0.1:${port}`,
    '--web.enable-lifecycle',
    '--web.enable-admin-api',
    '--web.enable-remote-write-receiver',
  ];
  const h = await supervise({ name: 'prometheus', cmd: bin, args, ready: () => httpOk(`${url}/-/ready`), stopSignal: 'SIGTERM' }, dir, port);
  return Object.assign(h, { url });
}

export async function startAlertmanager(opts: { config?: string } = {}): Promise<HttpServerHandle> {
  const bin = findBinary('prometheus-alertmanager', ['/usr/bin/prometheus-alertmanager', '/usr/bin/alertmanager']);
  const dir = mkdtempSync(join(tmpdir(), 'tenantscope-am-'));
  const port = await freePort();
  writeFileSync(join(dir, 'alertmanager.yml'), opts.config ?? 'route:\n  receiver: blackhole\n  group_wait: 1s\nreceivers:\n  - name: blackhole\n');
  const url = `http://127.0.0.1:${port}`;
  const args = [
    `--config.file=${join(dir, 'alertmanager.yml')}`,
    `--storage.path=${join(dir, 'data')}`,
    `--web.listen-address=127.0.0.1:${port}`,
    '--cluster.listen-address=',
  ];
  const h = await supervise({ name: 'alertmanager', cmd: bin, args, ready: () => httpOk(`${url}/-/ready`), stopSignal: 'SIGTERM' }, dir, port);
  return Object.assign(h, { url });
}

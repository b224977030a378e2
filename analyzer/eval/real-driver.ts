/**
 * The tenants' own light workload for the real-server evaluation, run as a CHILD PROCESS so that the
 * latency it measures is what a client feels — never inflated by the evaluation's collectors and
 * analysis sharing its event loop.
 *
 * Per tenant, open loop (requests are scheduled on a clock, and latency counts from the scheduled
 * time, so a stalled server cannot hide behind a client that waits before sending the next one):
 * - PostgreSQL: `pgRate` report queries per second on one connection to `<tenant>_prod`
 *   (a ~50k-row index range read, application_name `<tenant>-app`);
 * - Redis: `redisRate` requests per second of the tenant's cache API, each five sequential commands
 *   on `<tenant>:` keys over a connection named `<tenant>-app`; every request is also written as a
 *   Traefik JSON access-log line (service `<tenant>-cache@file`): the ingress in front of that API,
 *   which the real Traefik collector tails (there is no Traefik binary on this machine).
 *
 * Messages from the parent: `{ type: 'rate', tenant, kind, mult }` scales one tenant's rate,
 * `{ type: 'window', fromMs, toMs, bucketMs }` answers latency quantiles, `{ type: 'stop' }` ends it.
 */
import { createWriteStream } from 'node:fs';
import pg from 'pg';
import { Redis } from 'ioredis';
import { mulberry32 } from '../../collector/simulated/prng.js';
import { quantile } from './verdict.js';

export interface DriverConfig {
  pgPort: number;
  redisPort: number;
  tenants: string[];
  pgRate: number;
  redisRate: number;
  accessLog: string;
  seed: number;
}

export type DriverMessage =
  | { type: 'rate'; tenant: string; kind: 'pg' | 'redis'; mult: number }
  | { type: 'window'; id: number; fromMs: number; toMs: number; bucketMs: number }
  | { type: 'stop' };

/** latency of one tenant and kind over a window: p95 of all of it and per bucket (NaN = no request) */
export interface WindowStats {
  n: number;
  p50: number;
  p95: number;
  errors: number;
  buckets: number[];
}
export type WindowReply = { type: 'window'; id: number; stats: Record<string, { pg: WindowStats; redis: WindowStats }> };

async function main(cfg: DriverConfig): Promise<void> {
  const log = createWriteStream(cfg.accessLog, { flags: 'a' });
  /** per tenant and kind: [scheduled time ms, latency ms, failed] */
  const samples = new Map<string, { t: number; ms: number; failed: boolean }[]>();
  const record = (tenant: string, kind: string, t: number, ms: number, failed: boolean) => {
    const k = `${tenant}\u0001${kind}`;
    let list = samples.get(k);
    if (!list) samples.set(k, (list = []));
    list.push({ t, ms, failed });
  };
  const rates = new Map<string, number>();
  const timers: NodeJS.Timeout[] = [];
  const clients: { end(): Promise<unknown> }[] = [];
  let stopping = false;

  const loop = (tenant: string, kind: 'pg' | 'redis', base: number, rnd: () => number, request: () => Promise<void>) => {
    rates.set(`${tenant}\u0001${kind}`, 1);
    let next = Date.now() + rnd() * (1000 / base);
    const schedule = () => {
      if (stopping) return;
      const rate = base * (rates.get(`${tenant}\u0001${kind}`) ?? 1);
      // ±30 % jitter around the mean interval: tenants do not tick in lock step
      next += (1000 / rate) * (0.7 + 0.6 * rnd());
      const t = setTimeout(() => {
        const scheduled = next;
        schedule();
        request().then(
          () => record(tenant, kind, scheduled, Date.now() - scheduled, false),
          () => record(tenant, kind, scheduled, Date.now() - scheduled, true),
        );
      }, Math.max(0, next - Date.now()));
      timers.push(t);
      if (timers.length > 1000) timers.splice(0, timers.length - 100);
    };
    schedule();
  };

  for (const [i, tenant] of cfg.tenants.entries()) {
    const rnd = mulberry32(cfg.seed * 1009 + i);
    const c = new pg.Client({ host: '127.0.0.1', port: cfg.pgPort, user: 'postgres', database: `${tenant}_prod`, application_name: `${tenant}-app` });
    await c.connect();
    clients.push(c);
    loop(tenant, 'pg', cfg.pgRate, rnd, async () => {
      const aid = 1 + Math.floor(rnd() * 240_000);
      await c.query('SELECT sum(abalance) FROM pgbench_accounts WHERE aid BETWEEN $1 AND $1 + 50000', [aid]);
    });
    const r = new Redis({ host: '127.0.0.1', port: cfg.redisPort, connectionName: `${tenant}-app`, maxRetriesPerRequest: 1, disableClientInfo: true });
    clients.push({ end: () => r.quit() });
    let seq = 0;
    loop(tenant, 'redis', cfg.redisRate, rnd, async () => {
      const t0 = Date.now();
      const k = `${tenant}:session:${seq++ % 500}`;
      await r.get(k);
      await r.hgetall(`${tenant}:cart:${seq % 50}`);
      await r.set(k, 'x'.repeat(64), 'EX', 600);
      await r.incr(`${tenant}:hits`);
      await r.hset(`${tenant}:cart:${seq % 50}`, 'line', String(seq));
      const end = Date.now();
      log.write(
        JSON.stringify({
          DownstreamStatus: 200,
          OriginStatus: 200,
          Duration: (end - t0) * 1e6,
          RouterName: `${tenant}-cache@file`,
          ServiceName: `${tenant}-cache@file`,
          RequestHost: `${tenant}.cache.local`,
          RequestMethod: 'GET',
          RequestPath: '/api/cart',
          RequestContentSize: 0,
          DownstreamContentSize: 120,
          StartUTC: new Date(t0).toISOString(),
        }) + '\n',
      );
    });
  }

  const stats = (tenant: string, kind: string, fromMs: number, toMs: number, bucketMs: number): WindowStats => {
    const xs = (samples.get(`${tenant}\u0001${kind}`) ?? []).filter((s) => s.t >= fromMs && s.t < toMs);
    const nb = Math.max(0, Math.ceil((toMs - fromMs) / bucketMs));
    const buckets: number[] = [];
    for (let b = 0; b < nb; b++) buckets.push(quantile(xs.filter((s) => s.t >= fromMs + b * bucketMs && s.t < fromMs + (b + 1) * bucketMs).map((s) => s.ms), 0.95));
    const ms = xs.map((s) => s.ms);
    return { n: xs.length, p50: quantile(ms, 0.5), p95: quantile(ms, 0.95), errors: xs.filter((s) => s.failed).length, buckets };
  };

  process.on('message', (m: DriverMessage) => {
    if (m.type === 'rate') rates.set(`${m.tenant}\u0001${m.kind}`, m.mult);
    else if (m.type === 'window') {
      const out: WindowReply['stats'] = {};
      for (const t of cfg.tenants) out[t] = { pg: stats(t, 'pg', m.fromMs, m.toMs, m.bucketMs), redis: stats(t, 'redis', m.fromMs, m.toMs, m.bucketMs) };
      process.send!({ type: 'window', id: m.id, stats: out } satisfies WindowReply);
    } else if (m.type === 'stop') {
      stopping = true;
      for (const t of timers) clearTimeout(t);
      // requests still in flight finish or fail on their own; the process then exits
      void Promise.allSettled(clients.map((c) => c.end())).then(() => log.end(() => process.exit(0)));
    }
  });
  process.send!({ type: 'ready' });
}

if (process.send && process.argv[2]) {
  main(JSON.parse(process.argv[2]) as DriverConfig).catch((err: unknown) => {
    process.stderr.write(`eval driver failed: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  });
}

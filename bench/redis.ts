/**
 * Per-tenant Redis memory attribution: tenantscope's paced client-side walk vs
 * `prometheus-redis-exporter --check-key-groups` (Lua batches inside Redis), in the same run on the
 * same Redis loaded with 1,000,000 keys over 1,000 tenant prefixes (quick: 100,000 over 100).
 *
 * Measured for each: wall time of one full attribution, attribution error against exact totals
 * (MEMORY USAGE of every key, read by this bench before anything runs), the latency other clients
 * see meanwhile (sequential GETs from a separate process: p99.9 and max, against a quiet baseline),
 * and the cost on the instance (redis-server CPU from /proc, INFO commandstats usec).
 */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { Registry } from 'prom-client';
import { configSchema } from '../config/index.js';
import { createTenantResolver } from '../tenancy/index.js';
import { createLogger } from '../lib/log.js';
import { systemClock } from '../lib/clock.js';
import { createRedisCollector, parseInfo } from '../collector/redis/index.js';
import { findBinary, freePort, startRedis } from '../test/support/stack.js';
import { median, processCpuSeconds, table, type BenchContext, type BenchSection } from './harness.js';

/** The latency probe runs in its own process so that our walk's JavaScript never delays its timing. */
const PROBE = `
const [ioredisUrl, port] = process.argv.slice(2);
const { Redis } = await import(ioredisUrl);
const r = new Redis({ port: Number(port), host: '127.0.0.1' });
await r.set('bench:probe', 'x');
let running = false;
let samples = [];
async function loop() {
  while (running) {
    const t0 = process.hrtime.bigint();
    await r.get('bench:probe');
    samples.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
}
let done;
process.on('message', async (m) => {
  if (m === 'start') { samples = []; running = true; done = loop(); }
  else if (m === 'stop') {
    running = false; await done;
    const s = samples.sort((a, b) => a - b);
    const q = (p) => s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))];
    process.send({ n: s.length, p50: q(0.5), p99: q(0.99), p999: q(0.999), max: s[s.length - 1] });
  } else if (m === 'exit') { r.disconnect(); process.exit(0); }
});
process.send('ready');
`;

interface LatencyStats {
  n: number;
  p50: number;
  p99: number;
  p999: number;
  max: number;
}

function startProbe(dir: string, port: number): Promise<{ measure<T>(work: () => Promise<T>): Promise<[T, LatencyStats]>; stop(): void }> {
  const file = join(dir, 'probe.mjs');
  writeFileSync(file, PROBE);
  const child: ChildProcess = fork(file, [import.meta.resolve('ioredis'), String(port)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const next = () => new Promise<unknown>((resolve) => child.once('message', resolve));
  return next().then(() => ({
    async measure<T>(work: () => Promise<T>): Promise<[T, LatencyStats]> {
      child.send('start');
      const v = await work();
      const stats = next();
      child.send('stop');
      return [v, (await stats) as LatencyStats];
    },
    stop: () => child.send('exit'),
  }));
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** keys `t<n>:obj:<i>`: strings of 20–219 bytes, every 10th a 3-field hash, every 10th+5 a 4-element list */
async function loadKeys(r: Redis, keys: number, tenants: number, progress: (m: string) => void): Promise<void> {
  const batch = 5000;
  for (let start = 0; start < keys; start += batch) {
    const p = r.pipeline();
    for (let i = start; i < Math.min(keys, start + batch); i++) {
      const key = `t${i % tenants}:obj:${i}`;
      const size = 20 + ((i * 37) % 200);
      if (i % 10 === 0) p.hset(key, 'a', 'x'.repeat(size), 'b', String(i), 'c', 'y');
      else if (i % 10 === 5) p.rpush(key, 'x'.repeat(size), 'a', 'b', 'c');
      else p.set(key, 'v'.repeat(size));
    }
    await p.exec();
    if ((start / batch) % 40 === 0) progress(`loaded ${start + batch} keys`);
  }
}

/** exact per-tenant totals: MEMORY USAGE of every key, unpaced (the bench's own reference, not measured) */
async function exactTotals(r: Redis): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  let cursor = '0';
  do {
    const [next, keys] = await r.scan(cursor, 'COUNT', 2000);
    cursor = next;
    const p = r.pipeline();
    for (const k of keys) p.call('MEMORY', 'USAGE', k);
    const res = (await p.exec()) ?? [];
    keys.forEach((k, i) => {
      const t = /^(t\d+):/.exec(k)?.[1];
      if (t) out.set(t, (out.get(t) ?? 0) + Number(res[i]?.[1] ?? 0));
    });
  } while (cursor !== '0');
  return out;
}

function attributionError(exact: Map<string, number>, got: Map<string, number>): { maxRel: number; totalRel: number; missing: number } {
  let maxRel = 0;
  let diff = 0;
  let total = 0;
  let missing = 0;
  for (const [t, e] of exact) {
    const g = got.get(t);
    if (g === undefined) missing++;
    const d = Math.abs((g ?? 0) - e);
    maxRel = Math.max(maxRel, d / e);
    diff += d;
    total += e;
  }
  return { maxRel, totalRel: diff / total, missing };
}

type Stats = Map<string, { usec: number; calls: number }>;

/** per-command usec and calls from INFO commandstats */
async function commandUsec(r: Redis): Promise<Stats> {
  const out: Stats = new Map();
  for (const [cmd, s] of parseInfo(await r.info('commandstats'), '').commandstats) out.set(cmd, { usec: s.usec, calls: s.calls });
  return out;
}

/** server time of one batch on average: what another client may queue behind (ours: SCAN + its MEMORY USAGE pipeline; exporter: one EVALSHA) */
function perBatchMs(before: Stats, after: Stats, usec: number, batchCommands: readonly string[]): number {
  let calls = 0;
  for (const c of batchCommands) calls += (after.get(c)?.calls ?? 0) - (before.get(c)?.calls ?? 0);
  return calls > 0 ? usec / calls / 1000 : Number.NaN;
}

/**
 * Server time spent between two commandstats readings, the latency probe's GETs left out. Commands
 * a Lua script runs are counted both in EVAL/EVALSHA and under their own name: with scripts, the
 * inner commands (`inner`) are left out so each microsecond counts once.
 */
function serverUsec(before: Stats, after: Stats, inner: readonly string[] = []): { usec: number; by: Map<string, number> } {
  const by = new Map<string, number>();
  for (const [cmd, v] of after) {
    const d = v.usec - (before.get(cmd)?.usec ?? 0);
    if (d > 0 && cmd !== 'get') by.set(cmd, d);
  }
  const scripted = (by.get('eval') ?? 0) + (by.get('evalsha') ?? 0) > 0;
  let usec = 0;
  for (const [cmd, d] of by) if (!(scripted && inner.includes(cmd))) usec += d;
  return { usec, by };
}

function parseExposition(text: string, metric: string): Map<string, number> {
  const out = new Map<string, number>();
  const re = new RegExp(`^${metric}\\{([^}]*)\\} (\\S+)$`, 'gm');
  for (const m of text.matchAll(re)) {
    const group = /key_group="([^"]*)"/.exec(m[1]!)?.[1];
    if (group !== undefined) out.set(group, (out.get(group) ?? 0) + Number(m[2]));
  }
  return out;
}

export default async function bench(ctx: BenchContext): Promise<BenchSection> {
  const keys = ctx.quick ? 100_000 : 1_000_000;
  const tenants = ctx.quick ? 100 : 1_000;
  const scrapeIntervalMs = 15_000;
  const walkIntervalMs = 300_000;
  // Pacing of the walk. Quick mode keeps the defaults (scanCount 200, duty cycle 0.1). At 1M keys the
  // 0.1 duty cycle stretches one walk past the bench's patience on a shared 2-core machine, so the full
  // run keeps the default batch size (what other clients may queue behind) and walks at a 0.25 duty
  // cycle; both are stated in the output.
  const walk = ctx.quick ? { scanCount: 200, walkDutyCycle: 0.1 } : { scanCount: 200, walkDutyCycle: 0.25 };
  const dir = mkdtempSync(join(tmpdir(), 'tenantscope-bench-redis-'));
  const server = await startRedis();
  const r = new Redis(server.url());
  let exporter: ChildProcess | undefined;
  let probe: Awaited<ReturnType<typeof startProbe>> | undefined;
  try {
    ctx.progress(`loading ${keys} keys over ${tenants} prefixes`);
    await loadKeys(r, keys, tenants, ctx.progress);
    const exact = await exactTotals(r);
    const usedMemory = Number(/used_memory:(\d+)/.exec(await r.info('memory'))?.[1]);
    probe = await startProbe(dir, server.port);
    const pid = server.pid!;
    const cpu = () => processCpuSeconds(pid);

    ctx.progress('baseline latency (nothing running)');
    const baseCpu0 = await cpu();
    const [, baseline] = await probe.measure(() => sleep(ctx.quick ? 3000 : 10_000));
    // the probe's own load on the server, per GET: taken out of the CPU figures of every phase
    const probeCpuMsPerGet = (((await cpu()) - baseCpu0) * 1000) / Math.max(1, baseline.n);

    // ---- tenantscope ----
    const runOurs = async (sampleRatio: number) => {
      const config = configSchema.parse({
        tenancy: { rules: { redis: { keyPrefix: '^(?<tenant>t\\d+):' } } },
        sources: { redis: [{ name: 'bench', url: server.url(), options: { sampleRatio, walkIntervalMs, ...walk } }] },
      });
      const registry = new Registry();
      const collector = createRedisCollector(config.sources.redis[0]!, {
        registry,
        resolver: createTenantResolver(config.tenancy),
        clock: systemClock,
        logger: createLogger({ level: 'warn' }),
      });
      try {
        await collector.collect();
        const cpu0 = await cpu();
        const us0 = await commandUsec(r);
        const t0 = performance.now();
        const progress = setInterval(() => {
          void registry
            .getSingleMetric('tenantscope_redis_walk_progress_keys')
            ?.get()
            .then((m) => ctx.progress(`  walk: ${m.values[0]?.value ?? 0} keys`));
        }, 10_000);
        const [, lat] = await probe!.measure(() => collector.walk()).finally(() => clearInterval(progress));
        const wallMs = performance.now() - t0;
        // the probe's own load on the server, measured in the baseline, is taken out
        const walkCpuMs = Math.max(0, ((await cpu()) - cpu0) * 1000 - probeCpuMsPerGet * lat.n);
        const us1 = await commandUsec(r);
        const walkUsec = serverUsec(us0, us1).usec;
        const batchMs = perBatchMs(us0, us1, walkUsec, ['scan']);
        await collector.collect();
        const got = new Map<string, number>();
        for (const v of (await registry.getSingleMetric('tenantscope_redis_tenant_memory_bytes')!.get()).values) got.set(String(v.labels.tenant), v.value);
        // per-scrape cost of the poll alone: many polls, so /proc's 10 ms ticks resolve
        const polls = ctx.quick ? 100 : 300;
        const pc0 = await cpu();
        const pu0 = await commandUsec(r);
        for (let i = 0; i < polls; i++) await collector.collect();
        const pollCpuMs = (((await cpu()) - pc0) * 1000) / polls;
        const pollUsec = serverUsec(pu0, await commandUsec(r)).usec / polls;
        return { wallMs, lat, walkCpuMs, walkUsec, batchMs, pollCpuMs, pollUsec, err: attributionError(exact, got) };
      } finally {
        await collector.stop();
      }
    };
    ctx.progress('tenantscope walk, exact (sampleRatio 1)');
    const ours = await runOurs(1);
    ctx.progress(`  ${(ours.wallMs / 1000).toFixed(1)} s; sampled walk (sampleRatio 0.1)`);
    const sampled = await runOurs(0.1);

    // ---- redis_exporter with key groups ----
    const bin = findBinary('prometheus-redis-exporter', ['/usr/bin/prometheus-redis-exporter']);
    const port = await freePort();
    exporter = spawn(
      bin,
      [
        `-redis.addr=redis://127.0.0.1:${server.port}`,
        `-web.listen-address=127.0.0.1:${port}`,
        '-check-key-groups=^(t%d+):',
        `-max-distinct-key-groups=${tenants + 10}`,
        '-log-format=txt',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let exporterLog = '';
    exporter.stderr?.on('data', (d: Buffer) => (exporterLog = (exporterLog + d.toString()).slice(-4000)));
    const url = `http://127.0.0.1:${port}/metrics`;
    for (let i = 0; ; i++) {
      if (await fetch(`http://127.0.0.1:${port}/`).then((res) => res.ok, () => false)) break;
      if (i > 100) throw new Error(`prometheus-redis-exporter did not start:\n${exporterLog}`);
      await sleep(100);
    }
    const scrapes: { wallMs: number; cpuMs: number; usec: number; batchMs: number; lat: LatencyStats; text: string }[] = [];
    for (let i = 0; i < 3; i++) {
      ctx.progress(`redis_exporter scrape ${i + 1}/3`);
      const cpu0 = await cpu();
      const us0 = await commandUsec(r);
      const t0 = performance.now();
      const [text, lat] = await probe.measure(async () => (await fetch(url, { signal: AbortSignal.timeout(600_000) })).text());
      const wallMs = performance.now() - t0;
      const us1 = await commandUsec(r);
      const used = serverUsec(us0, us1, ['scan', 'memory|usage', 'type']);
      ctx.progress(`  ${(wallMs / 1000).toFixed(2)} s; commandstats delta: ${[...used.by].map(([c, u]) => `${c}=${u}`).join(' ')}`);
      const batchMs = perBatchMs(us0, us1, (used.by.get('evalsha') ?? 0) + (used.by.get('eval') ?? 0), ['evalsha', 'eval']);
      scrapes.push({ wallMs, cpuMs: Math.max(0, ((await cpu()) - cpu0) * 1000 - probeCpuMsPerGet * lat.n), usec: used.usec, batchMs, lat, text });
    }
    const first = scrapes[0]!;
    const theirs = parseExposition(first.text, 'redis_key_group_memory_usage_bytes');
    const theirErr = attributionError(exact, theirs);
    const expCpu = median(scrapes.map((s) => s.cpuMs));
    const expUsec = median(scrapes.map((s) => s.usec));
    const expWall = median(scrapes.map((s) => s.wallMs));
    const expBatch = median(scrapes.map((s) => s.batchMs));
    const expLat = scrapes.map((s) => s.lat).reduce((a, b) => (b.p999 > a.p999 ? b : a));

    const amortized = (walkCpu: number) => ours.pollCpuMs + walkCpu / (walkIntervalMs / scrapeIntervalMs);
    const ms = (v: number) => Number(v.toFixed(3));
    const pct = (v: number) => `${(v * 100).toFixed(3)}%`;
    const rows = [
      ['nothing running (baseline)', '—', '—', '—', ms(baseline.p50), ms(baseline.p999), ms(baseline.max), '—', '—', '—'],
      [
        'tenantscope walk, exact',
        ms(ours.wallMs / 1000),
        pct(ours.err.totalRel),
        pct(ours.err.maxRel),
        ms(ours.lat.p50),
        ms(ours.lat.p999),
        ms(ours.lat.max),
        ms(ours.walkCpuMs),
        ms(ours.walkUsec / 1000),
        ms(ours.batchMs),
      ],
      [
        'tenantscope walk, sampleRatio 0.1',
        ms(sampled.wallMs / 1000),
        pct(sampled.err.totalRel),
        pct(sampled.err.maxRel),
        ms(sampled.lat.p50),
        ms(sampled.lat.p999),
        ms(sampled.lat.max),
        ms(sampled.walkCpuMs),
        ms(sampled.walkUsec / 1000),
        ms(sampled.batchMs),
      ],
      [
        'redis_exporter --check-key-groups (one scrape, median of 3)',
        ms(expWall / 1000),
        pct(theirErr.totalRel),
        pct(theirErr.maxRel),
        ms(expLat.p50),
        ms(expLat.p999),
        ms(expLat.max),
        ms(expCpu),
        ms(expUsec / 1000),
        ms(expBatch),
      ],
    ];
    const perScrape = [
      ['tenantscope poll (INFO ALL, CONFIG GET, CLIENT LIST, SLOWLOG GET, LATENCY LATEST)', ms(ours.pollCpuMs), ms(ours.pollUsec / 1000)],
      [`tenantscope poll + exact walk amortized (walk every ${walkIntervalMs / 1000} s, scrape every ${scrapeIntervalMs / 1000} s)`, ms(amortized(ours.walkCpuMs)), ms((ours.pollUsec + ours.walkUsec / (walkIntervalMs / scrapeIntervalMs)) / 1000)],
      ['redis_exporter scrape with key groups', ms(expCpu), ms(expUsec / 1000)],
    ];
    const ratioPoll = expUsec / Math.max(ours.pollUsec, 0.001);
    const ratioAmortized = expUsec / Math.max(ours.pollUsec + ours.walkUsec / (walkIntervalMs / scrapeIntervalMs), 0.001);
    const ratioSampled = expUsec / Math.max(ours.pollUsec + sampled.walkUsec / (walkIntervalMs / scrapeIntervalMs), 0.001);
    const markdown = [
      `One redis-server 7 (startRedis, no persistence) with ${keys.toLocaleString('en')} keys over ${tenants.toLocaleString('en')} tenant prefixes \`t<n>:\` ` +
        `(strings of 20–219 bytes, every 10th key a 3-field hash, every 10th+5 a 4-element list); used_memory ${(usedMemory / 2 ** 20).toFixed(1)} MiB. ` +
        `Exact per-tenant totals = MEMORY USAGE of every key, read by the bench before anything runs. ` +
        `Latency = sequential GETs from a separate Node process on its own connection, during each run (baseline: ${baseline.n} GETs with nothing else running).`,
      '',
      table(['attribution', 'wall time (s)', 'error, all tenants', 'error, worst tenant', 'GET p50 (ms)', 'GET p99.9 (ms)', 'GET max (ms)', 'redis-server CPU above baseline (ms)', 'server time, commandstats (ms)', 'server time per batch (ms)'], rows),
      '',
      'Per-scrape cost on the instance:',
      '',
      table(['per scrape', 'redis-server CPU (ms)', 'server time, commandstats (ms)'], perScrape),
      '',
      `- p99.9 of concurrent GETs rises by ${ms(ours.lat.p999 - baseline.p999)} ms during tenantscope's exact walk (target ≤ 1 ms) and by ${ms(expLat.p999 - baseline.p999)} ms during the exporter's scrape; ` +
        `max ${ms(ours.lat.max)} ms vs ${ms(expLat.max)} ms.`,
      `- Attribution error: tenantscope exact ${pct(ours.err.totalRel)} (target ≤ 2%), sampled 10% ${pct(sampled.err.totalRel)} (worst tenant ${pct(sampled.err.maxRel)}), exporter ${pct(theirErr.totalRel)} (${theirErr.missing} of ${exact.size} tenants missing).`,
      `- Per-scrape cost (server time from commandstats): the exporter's scrape costs ${ratioPoll.toFixed(0)}× our poll; ${ratioAmortized.toFixed(1)}× our poll plus the amortized exact walk, ${ratioSampled.toFixed(1)}× with the 10% sampled walk (target ≥ 10×).`,
      `- Method: the walk runs with scanCount ${walk.scanCount} and duty cycle ${walk.walkDutyCycle}${ctx.quick ? ' (the defaults)' : ' (defaults are 200 and 0.1; see bench/redis.ts)'}; the exporter runs with its default -check-keys-batch-size 1000. ` +
        `redis-server CPU comes from /proc (10 ms ticks; the poll figure is the mean of ${ctx.quick ? 100 : 300} polls) minus the probe's own load (CPU per GET measured in the baseline × GETs in the phase; rough for long phases on a contended machine). ` +
        `Server time per batch = what another client may queue behind: ours SCAN + its MEMORY USAGE pipeline (commandstats usec / SCAN calls), the exporter's one EVALSHA. ` +
        `Server time sums INFO commandstats usec deltas without the probe's GETs; for the exporter the commands its Lua script runs (SCAN, MEMORY USAGE, TYPE) are left out because EVAL's usec already includes them. ` +
        `Commandstats usec is wall time inside the command: on a contended machine it includes time redis-server was descheduled. ` +
        `The machine is shared (2 cores): latency tails include scheduling noise, visible in the baseline.`,
    ].join('\n');
    return { title: 'Redis per-tenant memory attribution vs prometheus-redis-exporter --check-key-groups', markdown };
  } finally {
    probe?.stop();
    exporter?.kill('SIGTERM');
    r.disconnect();
    await server.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The Redis collector against real Redis 7 servers: the shared one (unique ts4* prefixes and dbs
 * 7/8, never flushed) for attribution, and instances of its own for CONFIG SET, ACL users and
 * kill/restart.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { Redis } from 'ioredis';
import { Registry } from 'prom-client';
import { configSchema, type ConfigInput } from '../../config/index.js';
import { createTenantResolver } from '../../tenancy/index.js';
import { ManualClock } from '../../lib/clock.js';
import { createMemoryLogger } from '../../lib/log.js';
import { createRedisCollector, type RedisCollectorOptions } from '../../collector/redis/index.js';
import { startRedis, type RedisHandle } from '../support/stack.js';
import { samples, sampleValue } from '../support/registry.js';

type RedisRules = NonNullable<NonNullable<NonNullable<ConfigInput['tenancy']>['rules']>['redis']>;

const RULES: RedisRules = [{ db: { '7': 'ts4db7', '8': 'ts4db8' } }, { keyPrefix: '^(?<tenant>ts4[a-z]+):', clientName: '^(?<tenant>ts4[a-z]+)-' }];

function setup(url: string, options: Record<string, unknown> = {}, extra: RedisCollectorOptions = {}) {
  const config = configSchema.parse({
    tenancy: { rules: { redis: RULES } },
    sources: { redis: [{ name: 'cache-1', url, options: { scanCount: 50, walkDutyCycle: 1, ...options } }] },
  });
  const registry = new Registry();
  const logger = createMemoryLogger();
  const collector = createRedisCollector(config.sources.redis[0]!, { registry, resolver: createTenantResolver(config.tenancy), clock: new ManualClock(1_700_000_000_000), logger }, extra);
  const series = (name: string) => samples(registry, name);
  const value = (name: string, labels: Record<string, string>) => sampleValue(registry, name, labels);
  const tenantsOf = async (name: string) => new Set((await series(name)).map((v) => String(v.labels.tenant)));
  return { collector, registry, logger, value, series, tenantsOf };
}

/** exact figures, computed by the test itself with MEMORY USAGE over the keys of a pattern */
async function exact(r: Redis, db: number, match: string): Promise<{ keys: number; bytes: number }> {
  await r.select(db);
  let cursor = '0';
  const seen = new Set<string>();
  do {
    const [next, keys] = await r.scan(cursor, 'MATCH', match, 'COUNT', 1000);
    cursor = next;
    for (const k of keys) seen.add(k);
  } while (cursor !== '0');
  let bytes = 0;
  for (const k of seen) bytes += Number(await r.memory('USAGE', k));
  return { keys: seen.size, bytes };
}

async function load(r: Redis, db: number, prefix: string, n: number, size: (i: number) => number): Promise<void> {
  await r.select(db);
  const p = r.pipeline();
  for (let i = 0; i < n; i++) {
    if (i % 10 === 3) p.hset(`${prefix}${i}`, { a: 'x'.repeat(size(i)), b: String(i) });
    else if (i % 10 === 7) p.rpush(`${prefix}${i}`, 'x'.repeat(size(i)), 'y');
    else p.set(`${prefix}${i}`, 'v'.repeat(size(i)));
  }
  await p.exec();
}

async function unlinkMatching(r: Redis, db: number, match: string): Promise<void> {
  await r.select(db);
  let cursor = '0';
  do {
    const [next, keys] = await r.scan(cursor, 'MATCH', match, 'COUNT', 1000);
    cursor = next;
    if (keys.length) await r.unlink(...keys);
  } while (cursor !== '0');
}

describe('redis collector on the shared Redis 7', () => {
  const url = inject('redisUrl');
  let r: Redis;

  beforeAll(async () => {
    r = new Redis(url);
    for (const [db, m] of [[0, 'ts4*'], [7, '*'], [8, '*']] as const) await unlinkMatching(r, db, m);
    await load(r, 0, 'ts4acme:', 400, (i) => 10 + (i % 300));
    await load(r, 0, 'ts4globex:', 150, (i) => 2000 + i);
    await load(r, 7, 'session:', 120, (i) => 50 + i);
    await load(r, 8, 'ts4acme:', 30, () => 64); // a prefix of another tenant inside a db tenant's db: the db wins
  });
  afterAll(async () => {
    for (const [db, m] of [[0, 'ts4*'], [7, '*'], [8, '*']] as const) await unlinkMatching(r, db, m);
    r.disconnect();
  });

  it('attributes keys and memory per tenant exactly (prefix and db tenants), isolated, reconciling with used_memory', async () => {
    const { collector, value, series, tenantsOf } = setup(url);
    try {
      await collector.collect();
      expect(await value('tenantscope_redis_up', { redis_instance: 'cache-1' })).toBe(1);
      // before any walk completes, db tenants already have key counts (INFO keyspace) but prefix tenants nothing
      expect(await value('tenantscope_redis_tenant_keys', { tenant: 'ts4db7' })).toBe(120);
      expect(await value('tenantscope_redis_tenant_keys', { tenant: 'ts4acme' })).toBeUndefined();
      expect(await value('tenantscope_redis_tenant_memory_bytes', { tenant: 'ts4db7' })).toBeUndefined();

      await collector.walk();
      await collector.collect();
      const acme = await exact(r, 0, 'ts4acme:*');
      const globex = await exact(r, 0, 'ts4globex:*');
      const db7 = await exact(r, 7, '*');
      const db8 = await exact(r, 8, '*');
      expect(acme.keys).toBe(400);
      expect(await value('tenantscope_redis_tenant_keys', { tenant: 'ts4acme' })).toBe(400);
      expect(await value('tenantscope_redis_tenant_memory_bytes', { tenant: 'ts4acme' })).toBe(acme.bytes);
      expect(await value('tenantscope_redis_tenant_keys', { tenant: 'ts4globex' })).toBe(150);
      expect(await value('tenantscope_redis_tenant_memory_bytes', { tenant: 'ts4globex' })).toBe(globex.bytes);
      expect(await value('tenantscope_redis_tenant_keys', { tenant: 'ts4db7' })).toBe(120);
      expect(await value('tenantscope_redis_tenant_memory_bytes', { tenant: 'ts4db7' })).toBe(db7.bytes);
      expect(await value('tenantscope_redis_tenant_keys', { tenant: 'ts4db8' })).toBe(30);
      expect(await value('tenantscope_redis_tenant_memory_bytes', { tenant: 'ts4db8' })).toBe(db8.bytes);
      expect(await value('tenantscope_redis_tenant_memory_relative_error', { tenant: 'ts4acme' })).toBe(0);
      // isolation: globex's much larger values never leak into acme and vice versa
      expect(globex.bytes).toBeGreaterThan(acme.bytes);
      expect([...(await tenantsOf('tenantscope_redis_tenant_keys'))].filter((t) => t.startsWith('ts4')).sort()).toEqual(['ts4acme', 'ts4db7', 'ts4db8', 'ts4globex']);

      // totals reconcile: all tenants (incl. _unattributed) + overhead = used_memory of the same poll
      const used = await value('tenantscope_redis_used_memory_bytes', { redis_instance: 'cache-1' });
      const overhead = await value('tenantscope_redis_memory_overhead_bytes', { redis_instance: 'cache-1' });
      let attributed = 0;
      for (const t of await tenantsOf('tenantscope_redis_tenant_memory_bytes')) attributed += (await value('tenantscope_redis_tenant_memory_bytes', { tenant: t }))!;
      expect(attributed + overhead!).toBe(used);
      expect(overhead).toBeGreaterThan(0);

      // a db tenant's key count follows INFO on every poll, without a walk
      await r.select(7);
      await r.set('session:extra', 'x');
      await collector.collect();
      expect(await value('tenantscope_redis_tenant_keys', { tenant: 'ts4db7' })).toBe(121);
      await r.del('session:extra');

      // a tenant whose keys are gone disappears at the next completed walk
      await unlinkMatching(r, 0, 'ts4globex:*');
      await collector.walk();
      expect(await value('tenantscope_redis_tenant_keys', { tenant: 'ts4globex' })).toBeUndefined();
      expect(await value('tenantscope_redis_tenant_memory_bytes', { tenant: 'ts4globex' })).toBeUndefined();
      await load(r, 0, 'ts4globex:', 150, (i) => 2000 + i);

      // health and self-metrics flow
      expect(await value('tenantscope_redis_command_calls_total', { command: 'memory|usage' })).toBeGreaterThan(0);
      expect(await value('tenantscope_redis_walk_last_keys', { redis_instance: 'cache-1' })).toBeGreaterThanOrEqual(550); // 400 + 120 + 30 of ours, plus whatever other tests left on the shared server
      await collector.probe();
      const canary = await series('tenantscope_redis_canary_seconds');
      expect(canary.find((v) => v.metricName === 'tenantscope_redis_canary_seconds_count')?.value).toBe(1);
      expect(collector.errors().size).toBe(0);
    } finally {
      await collector.stop();
    }
  });
});

describe('redis collector on its own Redis 7', () => {
  let server: RedisHandle;
  let r: Redis;
  beforeAll(async () => {
    server = await startRedis({ args: ['--enable-debug-command', 'yes', '--slowlog-max-len', '1024'] });
    r = new Redis(server.url());
  });
  afterAll(async () => {
    r.disconnect();
    await server.destroy();
  });

  it('a keyspace that changes during the walk (deletes, a burst of inserts that rehashes) never double-counts', async () => {
    await r.flushall();
    await load(r, 0, 'ts4stable:', 2000, (i) => 20 + (i % 50));
    await load(r, 0, 'ts4gone:', 20_000, () => 30);
    let batches = 0;
    const { collector, value } = setup(
      server.url(),
      { scanCount: 20 },
      {
        walkPause: async () => {
          batches++;
          // mid-walk, one tenant loses 97.5% of its keys (the dict shrinks in serverCron: SCAN then repeats
          // buckets it already returned) and later another tenant appears with 20,000 keys (the dict grows)
          if (batches === 3) {
            const gone = await r.keys('ts4gone:*');
            for (let i = 0; i < 19_500; i += 500) await r.unlink(...gone.slice(i, i + 500));
          }
          if (batches === 40) await load(r, 0, 'ts4churn:', 20_000, () => 8);
        },
      },
    );
    try {
      await collector.collect();
      await collector.walk();
      await collector.collect();
      expect(batches).toBeGreaterThan(3);
      const stable = await exact(r, 0, 'ts4stable:*');
      expect(await value('tenantscope_redis_tenant_keys', { tenant: 'ts4stable' })).toBe(2000);
      expect(await value('tenantscope_redis_tenant_memory_bytes', { tenant: 'ts4stable' })).toBe(stable.bytes);
      const gone = (await value('tenantscope_redis_tenant_keys', { tenant: 'ts4gone' }))!;
      expect(gone).toBeGreaterThanOrEqual(500);
      // the survivors, plus at most the keys of the first 3 batches: COUNT 20 is a hint, and a batch ends
      // on a hash-bucket boundary, so it may return a few more (a whole bucket's chain)
      expect(gone).toBeLessThanOrEqual(500 + 3 * (20 + 5));
      expect(await value('tenantscope_redis_tenant_keys', { tenant: 'ts4churn' })).toBeLessThanOrEqual(20_000);
      expect(await value('tenantscope_redis_walk_last_keys', { redis_instance: 'cache-1' })).toBeLessThanOrEqual(2000 + 500 + 3 * (20 + 5) + 20_000);
      // the next walk, on a quiet keyspace, is exact for everyone
      await collector.walk();
      expect(await value('tenantscope_redis_tenant_keys', { tenant: 'ts4gone' })).toBe(500);
      expect(await value('tenantscope_redis_tenant_keys', { tenant: 'ts4churn' })).toBe(20_000);
      expect(await value('tenantscope_redis_tenant_memory_bytes', { tenant: 'ts4churn' })).toBe((await exact(r, 0, 'ts4churn:*')).bytes);
    } finally {
      await collector.stop();
    }
  });

  it('names the tenant running slow commands by its client name, once per SLOWLOG entry, with the threshold', async () => {
    await r.config('SET', 'slowlog-log-slower-than', '10000');
    await r.config('SET', 'latency-monitor-threshold', '10');
    await r.slowlog('RESET');
    await r.latency('RESET');
    const acme = new Redis(server.url(), { connectionName: 'ts4acme-worker' });
    const globex = new Redis(server.url(), { connectionName: 'ts4globex-web' });
    const idle = new Redis(server.url(), { connectionName: 'ts4globex-pool' });
    const { collector, value, series } = setup(server.url());
    try {
      await Promise.all([acme.ping(), idle.ping()]);
      await collector.collect(); // clients known before the slow command
      await acme.call('DEBUG', 'SLEEP', '0.03');
      for (let i = 0; i < 50; i++) await globex.get(`ts4globex:${i}`);
      await collector.collect();
      await collector.collect(); // the same entries again: deduplicated by id
      expect(await value('tenantscope_redis_slowlog_threshold_seconds', { redis_instance: 'cache-1' })).toBe(0.01);
      expect(await value('tenantscope_redis_slow_commands_total', { tenant: 'ts4acme', command: 'debug' })).toBe(1);
      expect(await value('tenantscope_redis_slow_command_seconds_total', { tenant: 'ts4acme', command: 'debug' })).toBeGreaterThanOrEqual(0.03);
      const slowTenants = new Set((await series('tenantscope_redis_slow_commands_total')).map((v) => v.labels.tenant));
      expect(slowTenants).toEqual(new Set(['ts4acme']));
      // the latency monitor saw the 30 ms command; latencystats has the GETs' percentiles
      expect(await value('tenantscope_redis_latency_event_max_seconds', { event: 'command' })).toBeGreaterThanOrEqual(0.03);
      expect(await value('tenantscope_redis_command_latency_seconds', { command: 'get', quantile: '0.999' })).toBeGreaterThan(0);
      // clients per tenant, ours left out
      expect(await value('tenantscope_redis_tenant_clients', { tenant: 'ts4acme' })).toBe(1);
      expect(await value('tenantscope_redis_tenant_clients', { tenant: 'ts4globex' })).toBe(2);
      expect(await value('tenantscope_redis_tenant_client_memory_bytes', { tenant: 'ts4globex' })).toBeGreaterThan(0);
      expect(await value('tenantscope_redis_tenant_clients', { tenant: '_unattributed' })).toBe(1); // the test's own unnamed connection
      // a new entry is counted, the old one not again
      await acme.call('DEBUG', 'SLEEP', '0.02');
      await collector.collect();
      expect(await value('tenantscope_redis_slow_commands_total', { tenant: 'ts4acme', command: 'debug' })).toBe(2);
      // the stall probe times a PING per call
      await collector.probe();
      await collector.probe();
      const canary = await series('tenantscope_redis_canary_seconds');
      expect(canary.find((v) => v.metricName === 'tenantscope_redis_canary_seconds_count')?.value).toBe(2);
    } finally {
      await collector.stop();
      acme.disconnect();
      globex.disconnect();
      idle.disconnect();
      await r.config('SET', 'slowlog-log-slower-than', '10000');
      await r.config('SET', 'latency-monitor-threshold', '0');
    }
  });

  it('survives CONFIG RESETSTAT: command counters keep increasing', async () => {
    const { collector, value } = setup(server.url());
    try {
      await collector.collect();
      const before = (await value('tenantscope_redis_command_calls_total', { command: 'client|list' }))!;
      await r.config('RESETSTAT');
      await collector.collect();
      await collector.collect();
      const after = (await value('tenantscope_redis_command_calls_total', { command: 'client|list' }))!;
      expect(after).toBeGreaterThan(before);
    } finally {
      await collector.stop();
    }
  });

  it('an ACL user without MEMORY and SLOWLOG gets clear messages while the rest flows', async () => {
    await r.flushall();
    await load(r, 0, 'ts4acme:', 40, () => 10);
    await r.call('ACL', 'SETUSER', 'limited', 'on', '>lpass-s3cret', '~*', '&*', '+@all', '-memory', '-slowlog');
    const { collector, value, logger } = setup(`redis://limited:lpass-s3cret@127.0.0.1:${server.port}/0`);
    try {
      await collector.collect();
      await collector.walk();
      await collector.collect();
      expect(await value('tenantscope_redis_up', { redis_instance: 'cache-1' })).toBe(1);
      const slow = collector.errors().get('slowlog')!.message;
      expect(slow).toContain(`redis source "cache-1" (redis://limited:***@127.0.0.1:${server.port}/0)`);
      expect(slow).toMatch(/slowlog: SLOWLOG GET: NOPERM.*ACL SETUSER <user> \+slowlog\|get/);
      const walk = collector.errors().get('walk')!.message;
      expect(walk).toMatch(/walk: MEMORY USAGE: NOPERM.*\+memory\|usage/);
      expect(logger.lines.join('\n')).not.toContain('lpass-s3cret');
      // the rest flows: keys still counted per tenant, clients and health published, memory not invented
      expect(await value('tenantscope_redis_tenant_keys', { tenant: 'ts4acme' })).toBe(40);
      expect(await value('tenantscope_redis_tenant_memory_bytes', { tenant: 'ts4acme' })).toBeUndefined();
      expect(await value('tenantscope_redis_tenant_clients', { tenant: '_unattributed' })).toBeGreaterThanOrEqual(1);
      expect(await value('tenantscope_redis_collect_errors_total', { step: 'slowlog' })).toBe(2);
    } finally {
      await collector.stop();
      await r.call('ACL', 'DELUSER', 'limited');
    }
  });

  it('a wrong password is reported as such, without the password', async () => {
    const { collector, value, logger } = setup(`redis://default:not-the-pw@127.0.0.1:${server.port}/0`);
    await r.call('ACL', 'SETUSER', 'default', 'resetpass', '>the-pw');
    try {
      await collector.collect();
      expect(await value('tenantscope_redis_up', { redis_instance: 'cache-1' })).toBe(0);
      const errs = [...collector.errors().values()].map((e) => e.message).join('\n');
      expect(errs).toMatch(/WRONGPASS.*check the user and password in the URL/);
      expect(errs + logger.lines.join('\n')).not.toContain('not-the-pw');
    } finally {
      await collector.stop();
      await r.call('ACL', 'SETUSER', 'default', 'nopass');
    }
  });
});

describe('redis collector when the instance dies', () => {
  it('reports up 0 naming the instance (no password), the step and the remedy, then recovers without restart', async () => {
    const server = await startRedis({ args: ['--requirepass', 'pw-s3cret'] });
    const url = `redis://:pw-s3cret@127.0.0.1:${server.port}/0`;
    const { collector, value, logger } = setup(url);
    try {
      await collector.collect();
      expect(await value('tenantscope_redis_up', { redis_instance: 'cache-1' })).toBe(1);
      await server.kill();
      await collector.collect();
      await collector.walk();
      await collector.probe();
      expect(await value('tenantscope_redis_up', { redis_instance: 'cache-1' })).toBe(0);
      const errs = collector.errors();
      const msg = (errs.get('info') ?? errs.get('connect'))!.message;
      expect(msg).toContain(`redis source "cache-1" (redis://:***@127.0.0.1:${server.port}/0)`);
      expect(msg).toMatch(/is the server running and reachable\?/);
      expect(errs.get('walk')?.message).toMatch(/walk: /);
      expect(errs.get('canary')?.message).toMatch(/canary: /);
      expect(logger.lines.join('\n')).not.toContain('pw-s3cret');
      expect(await value('tenantscope_redis_collect_errors_total', { step: errs.has('info') ? 'info' : 'connect' })).toBeGreaterThanOrEqual(1);

      await server.restart();
      await collector.collect();
      await collector.walk();
      await collector.probe();
      expect(await value('tenantscope_redis_up', { redis_instance: 'cache-1' })).toBe(1);
      expect([...collector.errors().values()].map((e) => e.message)).toEqual([]);
      expect(logger.lines.some((l) => /recovered/.test(l))).toBe(true);
    } finally {
      await collector.stop();
      await server.destroy();
    }
  });

  it('a source down at start is reported and picked up once it comes up', async () => {
    const server = await startRedis();
    await server.stop();
    const { collector, value } = setup(server.url());
    try {
      await collector.collect();
      expect(await value('tenantscope_redis_up', { redis_instance: 'cache-1' })).toBe(0);
      expect(collector.errors().get('connect')?.message).toMatch(/connect: .*ECONNREFUSED.*is the server running/);
      await server.restart();
      await collector.collect();
      expect(await value('tenantscope_redis_up', { redis_instance: 'cache-1' })).toBe(1);
    } finally {
      await collector.stop();
      await server.destroy();
    }
  });
});

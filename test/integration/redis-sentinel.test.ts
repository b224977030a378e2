/**
 * The Redis collector behind a real redis-sentinel: the source URL names only the sentinel and the
 * master name (redis+sentinel://), the collector asks the sentinel for the master and attributes its
 * keys; an unknown master name or an unreachable sentinel is reported with the master, the sentinels
 * and the remedy, never the password.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { Registry } from 'prom-client';
import { configSchema } from '../../config/index.js';
import { createTenantResolver } from '../../tenancy/index.js';
import { ManualClock } from '../../lib/clock.js';
import { createMemoryLogger } from '../../lib/log.js';
import { createRedisCollector } from '../../collector/redis/index.js';
import { freePort, startRedis, startSentinel, type RedisHandle, type SentinelHandle } from '../support/stack.js';
import { samples, sampleValue } from '../support/registry.js';

function setup(url: string) {
  const config = configSchema.parse({
    tenancy: { rules: { redis: [{ keyPrefix: '^(?<tenant>sn[a-z]+):' }] } },
    sources: { redis: [{ name: 'cache-s', url, options: { scanCount: 50, walkDutyCycle: 1, commandTimeoutMs: 3000 } }] },
  });
  const registry = new Registry();
  const collector = createRedisCollector(config.sources.redis[0]!, {
    registry,
    resolver: createTenantResolver(config.tenancy),
    clock: new ManualClock(1_700_000_000_000),
    logger: createMemoryLogger(),
  });
  const value = (name: string, labels: Record<string, string>) => sampleValue(registry, name, labels);
  const tenants = async () => (await samples(registry, 'tenantscope_redis_tenant_keys')).map((v) => String(v.labels.tenant)).sort();
  return { collector, value, tenants };
}

async function load(r: Redis, prefix: string, n: number, size: number): Promise<void> {
  const p = r.pipeline();
  for (let i = 0; i < n; i++) p.set(`${prefix}${i}`, 'v'.repeat(size));
  await p.exec();
}

describe('redis collector through Sentinel', () => {
  let master: RedisHandle;
  let sentinel: SentinelHandle;
  let r: Redis;

  beforeAll(async () => {
    master = await startRedis({ args: ['--requirepass', 'm4ster-pw'] });
    sentinel = await startSentinel(master.port, { masterPassword: 'm4ster-pw' });
    r = new Redis({ port: master.port, host: '127.0.0.1', password: 'm4ster-pw' });
    await load(r, 'snacme:', 40, 100);
    await load(r, 'snglobex:', 25, 3000);
    await r.set('orphan-key', 'x');
  });
  afterAll(async () => {
    r?.disconnect();
    await sentinel?.destroy();
    await master?.destroy();
  });

  it('finds the master through the sentinel and attributes key counts per prefix tenant', async () => {
    const url = `redis+sentinel://:m4ster-pw@127.0.0.1:${sentinel.port}/${sentinel.masterName}/0`;
    expect(url).not.toContain(String(master.port)); // only the sentinel knows where the master is
    const { collector, value, tenants } = setup(url);
    try {
      await collector.collect();
      expect(await value('tenantscope_redis_up', { redis_instance: 'cache-s' })).toBe(1);
      expect(await value('tenantscope_redis_info', { redis_instance: 'cache-s', role: 'master' })).toBe(1);
      await collector.walk();
      await collector.collect();
      // isolation: each tenant gets exactly its own keys; the key of no tenant is unattributed
      expect(await value('tenantscope_redis_tenant_keys', { redis_instance: 'cache-s', tenant: 'snacme' })).toBe(40);
      expect(await value('tenantscope_redis_tenant_keys', { redis_instance: 'cache-s', tenant: 'snglobex' })).toBe(25);
      expect(await value('tenantscope_redis_tenant_keys', { redis_instance: 'cache-s', tenant: '_unattributed' })).toBe(1);
      expect(await tenants()).toEqual(['_unattributed', 'snacme', 'snglobex']);
      const acme = (await value('tenantscope_redis_tenant_memory_bytes', { tenant: 'snacme' }))!;
      const globex = (await value('tenantscope_redis_tenant_memory_bytes', { tenant: 'snglobex' }))!;
      expect(globex).toBeGreaterThan(acme); // 25 × 3000 B against 40 × 100 B: memory not mixed up
      await collector.probe();
      expect([...collector.errors().values()].map((e) => e.message)).toEqual([]);
      // the collector's connections are on the master, named as our own
      const names = String(await r.client('LIST'))
        .split('\n')
        .map((l) => /name=(\S*)/.exec(l)?.[1])
        .filter((n) => n?.startsWith('tenantscope-'));
      expect(new Set(names)).toEqual(new Set(['tenantscope-poll', 'tenantscope-walk', 'tenantscope-canary']));
    } finally {
      await collector.stop();
    }
  });

  it('reports a master name the sentinel does not monitor: up 0, the master, the sentinel and the remedy', async () => {
    const { collector, value } = setup(`redis+sentinel://:m4ster-pw@127.0.0.1:${sentinel.port}/nosuchmaster/0`);
    try {
      await collector.collect();
      expect(await value('tenantscope_redis_up', { redis_instance: 'cache-s' })).toBe(0);
      const e = collector.errors().get('connect')!;
      expect(e.code).toBe('TS_SOURCE_FAILED');
      expect(e.message).toContain(`redis source "cache-s" (sentinel master "nosuchmaster" via 127.0.0.1:${sentinel.port}, db 0)`);
      expect(e.message).toContain(`no sentinel of 127.0.0.1:${sentinel.port} monitors a master named "nosuchmaster"`);
      expect(e.message).toContain('check the master name in sources.redis[].url (or TENANTSCOPE_REDIS_URL_CACHE_S): SENTINEL MASTERS');
      expect(e.message).not.toContain('m4ster-pw');
      expect(e.message).not.toContain('All sentinels are unreachable'); // ioredis's words, false here
      // the failure persists without piling up: the next poll fails the same way, fast
      await collector.collect();
      expect(collector.errors().get('connect')!.message).toBe(e.message);
    } finally {
      await collector.stop();
    }
  });

  it('reports unreachable sentinels as unreachable, naming them, and a wrong master password without leaking it', async () => {
    const dead = await freePort();
    const down = setup(`redis+sentinel://127.0.0.1:${dead}/${sentinel.masterName}`);
    try {
      await down.collector.collect();
      expect(await down.value('tenantscope_redis_up', { redis_instance: 'cache-s' })).toBe(0);
      const e = down.collector.errors().get('connect')!;
      expect(e.code).toBe('TS_SOURCE_UNREACHABLE');
      expect(e.message).toContain(`no sentinel of 127.0.0.1:${dead} gave the address of master "mymaster"`);
      expect(e.message).toContain('are the sentinels and the master they name running and reachable?');
      expect(e.message).not.toContain('All sentinels are unreachable'); // explained once, not wrapped again
    } finally {
      await down.collector.stop();
    }
    const wrong = setup(`redis+sentinel://:not-the-pw@127.0.0.1:${sentinel.port}/${sentinel.masterName}`);
    try {
      await wrong.collector.collect();
      expect(await wrong.value('tenantscope_redis_up', { redis_instance: 'cache-s' })).toBe(0);
      const msg = [...wrong.collector.errors().values()].map((x) => x.message).join('\n');
      expect(msg).toMatch(/WRONGPASS|invalid password/);
      expect(msg).toContain('check the user and password in the URL');
      expect(msg).not.toContain('not-the-pw');
    } finally {
      await wrong.collector.stop();
    }
  });
});

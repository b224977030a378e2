import { describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import { parseConfig } from '../config/index.js';
import { createTenantResolver } from '../tenancy/index.js';
import { ManualClock } from '../lib/clock.js';
import { createMemoryLogger } from '../lib/log.js';
import { parseShard } from '../collector/shard.js';
import { buildCollectors } from './sources.js';

const deps = (config: ReturnType<typeof parseConfig>) => ({
  registry: new Registry(),
  resolver: createTenantResolver(config.tenancy),
  clock: new ManualClock(0),
  logger: createMemoryLogger(),
});

describe('buildCollectors', () => {
  it('simulates only when nothing is configured (auto), and says so', () => {
    const empty = parseConfig({});
    expect(buildCollectors(empty, deps(empty)).mode).toBe('simulated fleet (36 tenants, seed 42)');
    const real = parseConfig({ sources: { postgres: [{ name: 'pg-a', url: 'postgres://m@127.0.0.1:1/postgres' }] } });
    const built = buildCollectors(real, deps(real));
    expect(built.mode).toBe('1 PostgreSQL');
    expect(built.collectors.map((c) => c.name)).toEqual([expect.stringContaining('pg-a')]);
  });

  it('several sources of one kind share one set of families on the registry', () => {
    const config = parseConfig({
      simulation: { enabled: 'on' },
      sources: {
        postgres: [
          { name: 'pg-a', url: 'postgres://m@127.0.0.1:1/postgres' },
          { name: 'pg-b', url: 'postgres://m@127.0.0.1:2/postgres' },
        ],
        traefik: [{ name: 'edge-1', metricsUrl: 'http://127.0.0.1:1/metrics' }, { name: 'edge-2', metricsUrl: 'http://127.0.0.1:2/metrics' }],
      },
    });
    const d = deps(config);
    const built = buildCollectors(config, d);
    expect(built.collectors.map((c) => c.name)).toEqual(['simulated', 'postgres:pg-a', 'postgres:pg-b', 'traefik/edge-1', 'traefik/edge-2']);
    // one family object per name, which every source writes into
    const names = d.registry.getMetricsAsArray().map((m) => (m as unknown as { name: string }).name);
    expect(names.filter((n) => n === 'tenantscope_pg_up')).toHaveLength(1);
    expect(new Set(names).size).toBe(names.length);
  });

  it('--shard i/n gives every source to exactly one replica', () => {
    const postgres = Array.from({ length: 12 }, (_, i) => ({ name: `pg-${i}`, url: `postgres://m@127.0.0.1:${i + 1}/postgres` }));
    const config = parseConfig({ sources: { postgres } });
    const owners = new Map<string, number>();
    for (let i = 0; i < 3; i++) {
      for (const c of buildCollectors(config, deps(config), parseShard(`${i}/3`)).collectors) {
        expect(owners.has(c.name)).toBe(false);
        owners.set(c.name, i);
      }
    }
    expect(owners.size).toBe(12);
    expect(new Set(owners.values()).size).toBe(3);
  });
});

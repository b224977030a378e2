import { describe, expect, it } from 'vitest';
import { ConfigError } from '../lib/errors.js';
import { fnv1a64, jumpHash, ownsSource, ownsTenant, parseShard, partition, shardOf, SINGLE_SHARD, tenantKey } from './shard.js';

const PINNED = ['acme', 'globex', 'initech', '_unattributed'];
const PINNED_SHARDS = [1, 3, 1, 4];
const tenants = Array.from({ length: 1000 }, (_, i) => `tenant${String(i).padStart(4, '0')}`);

describe('shard', () => {
  it('FNV-1a 64 matches the reference vectors', () => {
    // from the FNV reference test suite (isthe.com/chongo/src/fnv/test_fnv.c)
    expect(fnv1a64('')).toBe(0xcbf29ce484222325n);
    expect(fnv1a64('a')).toBe(0xaf63dc4c8601ec8cn);
    expect(fnv1a64('foobar')).toBe(0x85944171f73967e8n);
  });

  it('is stable: the same key lands on the same shard (pinned values guard against a silent reshuffle)', () => {
    const once = tenants.map((t) => shardOf(tenantKey(t), 5));
    expect(tenants.map((t) => shardOf(tenantKey(t), 5))).toEqual(once);
    expect(PINNED.map((t) => shardOf(tenantKey(t), 5))).toEqual(PINNED_SHARDS);
    // the published algorithm's known answers (paper's C++ code as ported by common implementations)
    expect(jumpHash(10863919174838991n, 11)).toBe(6);
    expect(jumpHash(2016238256797177309n, 11)).toBe(3);
    expect(jumpHash(256n, 1024)).toBe(520);
    expect(shardOf('anything', 1)).toBe(0);
  });

  it('gives every tenant to exactly one of n shards', () => {
    for (const n of [1, 2, 3, 7]) {
      const shards = Array.from({ length: n }, (_, index) => ({ index, count: n }));
      for (const t of tenants) expect(shards.filter((s) => ownsTenant(s, t))).toHaveLength(1);
      const parts = shards.map((s) => partition(tenants, tenantKey, s));
      expect(parts.flat().sort()).toEqual([...tenants].sort());
    }
  });

  it('balances 1,000 tenants within ±20% of the fair share', () => {
    for (const n of [2, 3, 4, 8]) {
      const counts = new Array<number>(n).fill(0);
      for (const t of tenants) counts[shardOf(tenantKey(t), n)]!++;
      const fair = tenants.length / n;
      for (const c of counts) {
        expect(c).toBeGreaterThan(fair * 0.8);
        expect(c).toBeLessThan(fair * 1.2);
      }
    }
  });

  it('scaling from n to n+1 moves only the tenants the new shard takes', () => {
    const before = new Map(tenants.map((t) => [t, shardOf(tenantKey(t), 4)]));
    let moved = 0;
    for (const t of tenants) {
      const after = shardOf(tenantKey(t), 5);
      if (after !== before.get(t)) {
        moved++;
        expect(after).toBe(4); // only ever onto the new shard
      }
    }
    expect(moved).toBeGreaterThan(120);
    expect(moved).toBeLessThan(280); // ~1/5 of 1,000
  });

  it('places sources by kind and name independently of tenants', () => {
    const shards = [0, 1, 2].map((index) => ({ index, count: 3 }));
    for (const name of ['pg-main', 'pg-eu', 'redis-cache', 'traefik']) {
      expect(shards.filter((s) => ownsSource(s, 'postgres', name))).toHaveLength(1);
    }
    expect(ownsSource(SINGLE_SHARD, 'redis', 'x')).toBe(true);
  });

  it('parses i/n and rejects anything else with the remedy', () => {
    expect(parseShard('1/3')).toEqual({ index: 1, count: 3 });
    expect(parseShard(' 0 / 1 ')).toEqual({ index: 0, count: 1 });
    for (const bad of ['3/3', '1/0', 'a/b', '1', '-1/2', '']) {
      expect(() => parseShard(bad)).toThrow(ConfigError);
      expect(() => parseShard(bad)).toThrow(/write i\/n with 0 <= i < n/);
    }
  });
});

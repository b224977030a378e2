/**
 * `--shard i/n`: split sources and tenants across n collector replicas by a stable hash, so each
 * replica polls 1/n of the sources and exports 1/n of the tenants, and the split is the same on
 * every replica and every restart without coordination.
 *
 * Key → 64-bit FNV-1a → jump consistent hash (Lamping & Veach 2014, arXiv:1406.2294). FNV-1a alone
 * with `% n` would reshuffle almost every tenant when n changes; jump hash moves only the ~1/(n+1)
 * that the new replica takes over, so scaling out does not reset every tenant's counters at once.
 * Both functions are fixed by their papers; changing them reshuffles every deployment — don't.
 */
import { ConfigError } from '../lib/errors.js';

export interface Shard {
  /** 0-based index of this replica */
  index: number;
  /** number of replicas */
  count: number;
}

export const SINGLE_SHARD: Shard = Object.freeze({ index: 0, count: 1 });

const FNV64_OFFSET = 0xcbf29ce484222325n;
const FNV64_PRIME = 0x100000001b3n;
const MASK64 = 0xffffffffffffffffn;

/** 64-bit FNV-1a over the UTF-8 bytes of `key`. */
export function fnv1a64(key: string): bigint {
  let h = FNV64_OFFSET;
  for (const b of new TextEncoder().encode(key)) {
    h ^= BigInt(b);
    h = (h * FNV64_PRIME) & MASK64;
  }
  return h;
}

/** Jump consistent hash: a bucket in [0, buckets) for a 64-bit key. */
export function jumpHash(key: bigint, buckets: number): number {
  let b = -1;
  let j = 0;
  let k = key;
  while (j < buckets) {
    b = j;
    k = (k * 2862933555777941757n + 1n) & MASK64;
    j = Math.floor((b + 1) * (Number(1n << 31n) / Number((k >> 33n) + 1n)));
  }
  return b;
}

/** The shard (0-based) that owns `key` among `count` shards. */
export function shardOf(key: string, count: number): number {
  if (count <= 1) return 0;
  return jumpHash(fnv1a64(key), count);
}

/** Parses `i/n` (0 <= i < n); the message names the value and the expected form. */
export function parseShard(spec: string): Shard {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(spec);
  const index = m ? Number(m[1]) : NaN;
  const count = m ? Number(m[2]) : NaN;
  if (!m || count < 1 || index >= count || !Number.isSafeInteger(count)) {
    throw new ConfigError([
      { path: '--shard', message: `${JSON.stringify(spec)} is not a shard — write i/n with 0 <= i < n, e.g. 0/3, 1/3 and 2/3 for three replicas` },
    ]);
  }
  return { index, count };
}

/** Sources are keyed by kind and name, so `postgres/main` and `redis/main` are placed independently. */
export function sourceKey(kind: string, name: string): string {
  return `source\u0000${kind}\u0000${name}`;
}

export function tenantKey(tenant: string): string {
  return `tenant\u0000${tenant}`;
}

export function ownsSource(shard: Shard, kind: string, name: string): boolean {
  return shardOf(sourceKey(kind, name), shard.count) === shard.index;
}

export function ownsTenant(shard: Shard, tenant: string): boolean {
  return shardOf(tenantKey(tenant), shard.count) === shard.index;
}

/** The items of `items` this shard owns, by `key`. */
export function partition<T>(items: Iterable<T>, key: (item: T) => string, shard: Shard): T[] {
  const out: T[] = [];
  for (const it of items) if (shardOf(key(it), shard.count) === shard.index) out.push(it);
  return out;
}

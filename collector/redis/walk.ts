/**
 * The key-prefix walk: attributes keys and memory to tenants without becoming the noisy neighbour.
 *
 * - Client-side SCAN with a small COUNT plus one pipelined MEMORY USAGE per key: every command is
 *   O(COUNT) on the server, so no single call blocks other clients for long. Never a server-side
 *   script (redis_exporter's key groups run a Lua loop that blocks the instance for the whole batch).
 * - Paced by a duty cycle: after a batch that took d ms the walk pauses d × (1/dutyCycle − 1) ms,
 *   so it keeps the instance busy at most `dutyCycle` of the time. A batch slower than `busyMs`
 *   means other clients are queueing (or the instance is stalled): the pause doubles until batches
 *   are fast again.
 * - SCAN may return a key more than once (the table rehashes during the walk): keys are deduped
 *   within a walk by a 53-bit hash, so a tenant is never counted twice. A key SCAN returned but
 *   that is gone by the time MEMORY USAGE runs (nil reply) is not counted.
 * - Optional sampling: MEMORY USAGE only for keys whose hash falls under `sampleRatio`; tenant
 *   memory is then sum × keys/sampled with a 95% relative error bound reported per tenant.
 * - The result is returned only when the walk completes; the caller publishes it then, so a
 *   half-walked keyspace is never exported as a tenant's memory.
 */

export interface WalkCommands {
  select(db: number): Promise<void>;
  scan(cursor: string, count: number): Promise<{ cursor: string; keys: string[] }>;
  /** one entry per key: bytes, null when the key no longer exists, or the error of that call */
  memoryUsage(keys: readonly string[]): Promise<(number | null | Error)[]>;
}

export interface WalkOptions {
  scanCount: number;
  /** share of keys whose MEMORY USAGE is read; 1 = exact */
  sampleRatio: number;
  dutyCycle: number;
  busyMs: number;
  maxPauseMs: number;
  /** the tenant of a key in a logical db (the tenancy resolver, db rule first) */
  attribute(db: number, key: string): string;
  /** waits between batches; production uses a timer, tests a hook */
  pause(ms: number): Promise<void>;
  /** monotonic milliseconds, for batch durations */
  elapsedMs(): number;
  /** true when the collector is stopping: the walk ends without a result */
  stopped(): boolean;
  onBatch?(progress: { keysSeen: number; newKeys: number }): void;
}

export interface TenantTotals {
  /** distinct keys seen (and, when exact, still present at MEMORY USAGE time) */
  keys: number;
  /** keys whose MEMORY USAGE was read */
  sampledKeys: number;
  sampledBytes: number;
  sampledBytesSq: number;
}

export interface WalkResult {
  /** db → tenant → totals */
  perDb: Map<number, Map<string, TenantTotals>>;
  keysSeen: number;
  duplicatesSkipped: number;
  batches: number;
  /** set when MEMORY USAGE was refused (ACL): keys were still counted, memory is unknown */
  memoryDenied: Error | undefined;
  busyBatches: number;
}

/** cyrb53: a fast 53-bit string hash (public domain, bryc); collisions at 1M keys ≈ n²/2⁵⁴ ≈ 6e-5 */
export function hash53(str: string, seed = 0): number {
  let h1 = 0xdeadbeef ^ seed;
  let h2 = 0x41c6ce57 ^ seed;
  for (let i = 0; i < str.length; i++) {
    const ch = str.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507);
  h1 ^= Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507);
  h2 ^= Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}

const TWO_53 = 2 ** 53;
const MAX_BACKOFF = 8;
const SAMPLE_SEED = 0x5eed;

function isPermissionError(err: Error): boolean {
  return /NOPERM|unknown command|ERR.*disabled/i.test(err.message);
}

export async function walkKeyspace(cmds: WalkCommands, dbs: readonly number[], opts: WalkOptions): Promise<WalkResult | undefined> {
  const perDb = new Map<number, Map<string, TenantTotals>>();
  const sampleBelow = opts.sampleRatio >= 1 ? Infinity : opts.sampleRatio * TWO_53;
  let keysSeen = 0;
  let duplicatesSkipped = 0;
  let batches = 0;
  let busyBatches = 0;
  let memoryDenied: Error | undefined;
  let backoff = 1;

  for (const db of dbs) {
    await cmds.select(db);
    const tenants = new Map<string, TenantTotals>();
    perDb.set(db, tenants);
    const seen = new Set<number>();
    let cursor = '0';
    do {
      if (opts.stopped()) return undefined;
      const t0 = opts.elapsedMs();
      const page = await cmds.scan(cursor, opts.scanCount);
      cursor = page.cursor;
      const fresh: string[] = [];
      for (const key of page.keys) {
        const h = hash53(key);
        if (seen.has(h)) {
          duplicatesSkipped++;
          continue;
        }
        seen.add(h);
        fresh.push(key);
      }
      const sampled = memoryDenied ? [] : fresh.filter((k) => sampleBelow === Infinity || hash53(k, SAMPLE_SEED) < sampleBelow);
      const usage = sampled.length ? await cmds.memoryUsage(sampled) : [];
      const bytesOf = new Map<string, number | null>();
      for (let i = 0; i < sampled.length; i++) {
        const u = usage[i];
        const key = sampled[i]!;
        if (u instanceof Error) {
          if (!isPermissionError(u)) throw u;
          memoryDenied = u;
          bytesOf.clear();
          break;
        }
        bytesOf.set(key, u ?? null);
      }
      for (const key of fresh) {
        const tenant = opts.attribute(db, key);
        let t = tenants.get(tenant);
        if (!t) tenants.set(tenant, (t = { keys: 0, sampledKeys: 0, sampledBytes: 0, sampledBytesSq: 0 }));
        if (bytesOf.has(key)) {
          const b = bytesOf.get(key);
          if (b === null || b === undefined) continue; // deleted between SCAN and MEMORY USAGE
          t.keys++;
          t.sampledKeys++;
          t.sampledBytes += b;
          t.sampledBytesSq += b * b;
        } else t.keys++;
      }
      keysSeen += fresh.length;
      batches++;
      opts.onBatch?.({ keysSeen, newKeys: fresh.length });
      const took = opts.elapsedMs() - t0;
      if (took > opts.busyMs) {
        busyBatches++;
        // capped: the duty cycle already scales pauses with slower batches; the doubling only adds
        // distance after a spike, it must not turn a steadily loaded instance into a walk that never ends
        backoff = Math.min(backoff * 2, MAX_BACKOFF);
      } else backoff = Math.max(1, backoff / 2);
      const base = Math.max(took * (1 / opts.dutyCycle - 1), backoff > 1 ? opts.busyMs : 0);
      // always yield, even with a zero pause: other work of this process (scrapes, canary) runs between batches
      await opts.pause(Math.min(opts.maxPauseMs, base * backoff));
    } while (cursor !== '0');
  }
  return { perDb, keysSeen, duplicatesSkipped, batches, memoryDenied, busyBatches };
}

export interface TenantEstimate {
  keys: number;
  /** undefined when memory is unknown (MEMORY USAGE denied) */
  bytes: number | undefined;
  /** 95% relative error of `bytes`; 0 when every key was measured */
  relativeError: number;
}

/**
 * Tenant memory from walk totals: exact when every key was measured; otherwise the sampled mean
 * scaled to the tenant's key count, with a 95% bound from the sample variance and the finite
 * population correction (1.96 · s/√m · √(1 − m/n) · n / estimate).
 */
export function estimateTenant(t: TenantTotals, fallbackMeanBytes: number | undefined): TenantEstimate {
  if (t.sampledKeys >= t.keys) return { keys: t.keys, bytes: t.sampledBytes, relativeError: 0 };
  if (t.sampledKeys === 0) {
    if (fallbackMeanBytes === undefined) return { keys: t.keys, bytes: undefined, relativeError: 1 };
    // no key of this tenant fell in the sample: the instance-wide mean, flagged as a 100% bound
    return { keys: t.keys, bytes: fallbackMeanBytes * t.keys, relativeError: 1 };
  }
  const m = t.sampledKeys;
  const n = t.keys;
  const mean = t.sampledBytes / m;
  const variance = m > 1 ? Math.max(0, (t.sampledBytesSq - m * mean * mean) / (m - 1)) : mean * mean;
  const estimate = mean * n;
  const se = n * (Math.sqrt(variance) / Math.sqrt(m)) * Math.sqrt(Math.max(0, 1 - m / n));
  return { keys: n, bytes: estimate, relativeError: estimate > 0 ? Math.min(1, (1.96 * se) / estimate) : 0 };
}

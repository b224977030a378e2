import { describe, expect, it } from 'vitest';
import { estimateTenant, hash53, walkKeyspace, type WalkCommands, type WalkOptions } from './walk.js';

/** An in-memory keyspace whose SCAN pages are scripted, so duplicates and deletions are deterministic. */
function fakeRedis(dbs: Record<number, Record<string, number>>, pages?: Record<number, string[][]>) {
  let db = 0;
  const calls: string[] = [];
  const cmds: WalkCommands = {
    select: async (n) => {
      db = n;
      calls.push(`select ${n}`);
    },
    scan: async (cursor) => {
      const p = pages?.[db] ?? [Object.keys(dbs[db] ?? {})];
      const i = Number(cursor);
      calls.push(`scan ${db} ${cursor}`);
      return { cursor: i + 1 >= p.length ? '0' : String(i + 1), keys: p[i] ?? [] };
    },
    memoryUsage: async (keys) => keys.map((k) => dbs[db]?.[k] ?? null),
  };
  return { cmds, calls, dbs };
}

const opts = (over: Partial<WalkOptions> = {}): WalkOptions => ({
  scanCount: 2,
  sampleRatio: 1,
  dutyCycle: 0.1,
  busyMs: 5,
  maxPauseMs: 2000,
  attribute: (db, key) => (db === 3 ? 'db3tenant' : (/^([a-z]+):/.exec(key)?.[1] ?? '_unattributed')),
  pause: async () => {},
  elapsedMs: () => 0,
  stopped: () => false,
  ...over,
});

describe('walkKeyspace', () => {
  it('attributes keys and exact memory per tenant and db, isolating tenants', async () => {
    const f = fakeRedis({ 0: { 'acme:1': 100, 'acme:2': 50, 'globex:1': 70, 'loose-key': 9 }, 3: { 'session:x': 40 } });
    const r = await walkKeyspace(f.cmds, [0, 3], opts());
    expect(r).toBeDefined();
    expect(r!.perDb.get(0)!.get('acme')).toEqual({ keys: 2, sampledKeys: 2, sampledBytes: 150, sampledBytesSq: 100 * 100 + 50 * 50 });
    expect(r!.perDb.get(0)!.get('globex')).toMatchObject({ keys: 1, sampledBytes: 70 });
    expect(r!.perDb.get(0)!.get('_unattributed')).toMatchObject({ keys: 1, sampledBytes: 9 });
    expect(r!.perDb.get(3)!.get('db3tenant')).toMatchObject({ keys: 1, sampledBytes: 40 });
    expect(r!.perDb.get(3)!.has('session')).toBe(false);
    expect(r!.keysSeen).toBe(5);
  });

  it('never counts a key twice when SCAN returns it again (rehash during the walk)', async () => {
    const f = fakeRedis({ 0: { 'acme:1': 100, 'acme:2': 50, 'globex:1': 70 } }, { 0: [['acme:1', 'globex:1'], ['acme:1', 'acme:2'], ['globex:1', 'acme:2']] });
    const r = await walkKeyspace(f.cmds, [0], opts());
    expect(r!.perDb.get(0)!.get('acme')).toMatchObject({ keys: 2, sampledBytes: 150 });
    expect(r!.perDb.get(0)!.get('globex')).toMatchObject({ keys: 1, sampledBytes: 70 });
    expect(r!.duplicatesSkipped).toBe(3);
  });

  it('does not count a key deleted between SCAN and MEMORY USAGE', async () => {
    const data = { 'acme:1': 100, 'acme:2': 50, 'acme:3': 10 };
    const f = fakeRedis({ 0: data }, { 0: [['acme:1'], ['acme:2', 'acme:3']] });
    const r = await walkKeyspace(
      f.cmds,
      [0],
      opts({
        // the tenant deletes acme:3 while the walk pauses after its first batch
        pause: async () => {
          delete (data as Record<string, number>)['acme:3'];
        },
      }),
    );
    expect(r!.perDb.get(0)!.get('acme')).toMatchObject({ keys: 2, sampledBytes: 150 });
  });

  it('paces batches by the duty cycle and backs off while batches are slow', async () => {
    const keys = Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`acme:${i}`, 10]));
    const pages = { 0: Array.from({ length: 6 }, (_, i) => [`acme:${2 * i}`, `acme:${2 * i + 1}`]) };
    const f = fakeRedis({ 0: keys }, pages);
    // batch durations: 2 ms fast, then 4 slow (20 ms: the instance is busy), then fast again
    const durations = [2, 20, 20, 20, 20, 2];
    let t = 0;
    let batch = 0;
    let inBatch = false;
    const pauses: number[] = [];
    const r = await walkKeyspace(
      f.cmds,
      [0],
      opts({
        elapsedMs: () => {
          if (!inBatch) {
            inBatch = true;
            return t;
          }
          inBatch = false;
          t += durations[batch++]!;
          return t;
        },
        pause: async (ms) => {
          pauses.push(ms);
        },
      }),
    );
    expect(r!.busyBatches).toBe(4);
    // fast batch: 2 × (1/0.1 − 1) = 18 ms; slow batches: 180 ms × 2, × 4, × 8, then the backoff is capped
    expect(pauses[0]).toBeCloseTo(18);
    expect(pauses[1]).toBe(360);
    expect(pauses[2]).toBe(720);
    expect(pauses[3]).toBe(1440);
    expect(pauses[4]).toBe(1440);
    expect(pauses[5]).toBeLessThan(pauses[4]!);
    expect(Math.max(...pauses)).toBeLessThanOrEqual(2000);
  });

  it('keeps counting keys when MEMORY USAGE is refused, and reports it', async () => {
    const f = fakeRedis({ 0: { 'acme:1': 100, 'globex:1': 70 } });
    f.cmds.memoryUsage = async (keys) => keys.map(() => new Error("NOPERM User limited has no permissions to run the 'memory|usage' command"));
    const r = await walkKeyspace(f.cmds, [0], opts());
    expect(r!.memoryDenied?.message).toMatch(/NOPERM/);
    expect(r!.perDb.get(0)!.get('acme')).toMatchObject({ keys: 1, sampledKeys: 0 });
    expect(estimateTenant(r!.perDb.get(0)!.get('acme')!, undefined).bytes).toBeUndefined();
  });

  it('fails on other errors and returns nothing when stopped', async () => {
    const f = fakeRedis({ 0: { 'acme:1': 100 } });
    f.cmds.memoryUsage = async () => [new Error('LOADING Redis is loading the dataset in memory')];
    await expect(walkKeyspace(f.cmds, [0], opts())).rejects.toThrow(/LOADING/);
    const g = fakeRedis({ 0: { 'acme:1': 100 } });
    expect(await walkKeyspace(g.cmds, [0], opts({ stopped: () => true }))).toBeUndefined();
  });

  it('samples deterministically and states an error bound that covers the truth', async () => {
    // sizes vary 50..150 bytes; 20,000 keys over two tenants
    const data: Record<string, number> = {};
    let exactAcme = 0;
    for (let i = 0; i < 20_000; i++) {
      const size = 50 + ((i * 7919) % 101);
      const key = `${i % 2 ? 'acme' : 'globex'}:${i}`;
      data[key] = size;
      if (i % 2) exactAcme += size;
    }
    const f = fakeRedis({ 0: data });
    const r = await walkKeyspace(f.cmds, [0], opts({ sampleRatio: 0.1 }));
    const acme = r!.perDb.get(0)!.get('acme')!;
    expect(acme.keys).toBe(10_000);
    expect(acme.sampledKeys).toBeGreaterThan(800);
    expect(acme.sampledKeys).toBeLessThan(1200);
    const est = estimateTenant(acme, undefined);
    expect(est.relativeError).toBeGreaterThan(0);
    expect(est.relativeError).toBeLessThan(0.05);
    expect(Math.abs(est.bytes! - exactAcme) / exactAcme).toBeLessThanOrEqual(est.relativeError);
  });
});

describe('hash53', () => {
  it('is stable and spreads distinct keys', () => {
    expect(hash53('acme:1')).toBe(hash53('acme:1'));
    const s = new Set<number>();
    for (let i = 0; i < 100_000; i++) s.add(hash53(`t${i % 1000}:key:${i}`));
    expect(s.size).toBe(100_000);
  });
});

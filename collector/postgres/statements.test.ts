import { describe, expect, it } from 'vitest';
import { StatementDeltas, type StatementRow } from './statements.js';

const row = (dbid: number, key: string, calls: number, execSeconds = calls / 100): StatementRow => ({ dbid, key, calls, execSeconds, ioSeconds: 0, tempBlocks: 0, rows: calls });

describe('StatementDeltas', () => {
  it('first read is only a baseline, later reads give increments per database', () => {
    const d = new StatementDeltas();
    expect(d.update([row(1, 'a', 100), row(2, 'b', 50)], 'r0').size).toBe(0);
    const out = d.update([row(1, 'a', 130), row(2, 'b', 50)], 'r0');
    expect(out.get(1)?.calls).toBe(30);
    expect(out.get(1)?.execSeconds).toBeCloseTo(0.3);
    // tenant isolation: database 2 did nothing and gets nothing of database 1's work
    expect(out.get(2)?.calls).toBe(0);
  });

  it('an evicted entry does not make the rest of its database count again (dealloc)', () => {
    const d = new StatementDeltas();
    d.update([row(1, 'a', 1000), row(1, 'b', 5)], 'r0');
    // 'b' evicted, 'c' new since the last read, 'a' went on
    const out = d.update([row(1, 'a', 1010), row(1, 'c', 3)], 'r0');
    expect(out.get(1)?.calls).toBe(13);
  });

  it('an entry reset and re-created counts its new value; a full reset counts every value', () => {
    const d = new StatementDeltas();
    d.update([row(1, 'a', 1000), row(2, 'b', 400)], 'r0');
    expect(d.update([row(1, 'a', 4), row(2, 'b', 410)], 'r0').get(1)?.calls).toBe(4);
    const afterReset = d.update([row(1, 'a', 7), row(2, 'b', 450)], 'r1');
    // stats_reset changed: 450 on b is all new even though it is above the previous 410
    expect(afterReset.get(2)?.calls).toBe(450);
    expect(afterReset.get(1)?.calls).toBe(7);
  });

  it('remembers only entries present in the last read (bounded by pg_stat_statements.max)', () => {
    const d = new StatementDeltas();
    d.update([row(1, 'a', 1), row(1, 'b', 1)], undefined);
    d.update([row(1, 'b', 2)], undefined);
    expect(d.size).toBe(1);
  });
});

/**
 * Per-database latency from pg_stat_statements, as increments that survive resets and eviction.
 *
 * Why per entry and not per-dbid sums: when pg_stat_statements is full it evicts the least used
 * entries (pg_stat_statements_info.dealloc). A per-dbid sum then drops although nothing was reset,
 * and a counter-reset heuristic on the sum would count the whole remaining sum again. Tracking each
 * (dbid, userid, queryid, toplevel) entry instead gives exact increments:
 *  - an entry seen before: value − previous (a lower value means the entry was reset and re-created:
 *    the new value is the increment, as Prometheus' rate() does);
 *  - an entry not seen before (after the first poll): created since, so its whole value is new;
 *  - an entry gone: evicted or reset; forgotten. Only its increments since the previous poll are lost,
 *    which is the unavoidable part and is exported as tenantscope_pg_statements_dealloc_total;
 *  - `stats_reset` changed (pg_stat_statements_reset() of everything): every value is new.
 * Memory is bounded by pg_stat_statements.max (default 5000 entries).
 */
import { counterIncrement } from '../series.js';

export interface StatementRow {
  dbid: number;
  /** `${userid}:${queryid}:${toplevel}`: unique within a dbid */
  key: string;
  calls: number;
  execSeconds: number;
  ioSeconds: number;
  tempBlocks: number;
  rows: number;
}

export interface StatementTotals {
  calls: number;
  execSeconds: number;
  ioSeconds: number;
  tempBlocks: number;
  rows: number;
}

const FIELDS = ['calls', 'execSeconds', 'ioSeconds', 'tempBlocks', 'rows'] as const;

export const emptyTotals = (): StatementTotals => ({ calls: 0, execSeconds: 0, ioSeconds: 0, tempBlocks: 0, rows: 0 });

export class StatementDeltas {
  private last = new Map<string, StatementRow>();
  private primed = false;
  private lastReset: string | undefined;

  /**
   * Feeds one full read of pg_stat_statements; returns increments per dbid since the previous read.
   * The first read only sets the baseline (everything before the collector started is history).
   */
  update(rows: readonly StatementRow[], statsReset: string | undefined): Map<number, StatementTotals> {
    const out = new Map<number, StatementTotals>();
    const resetAll = this.primed && statsReset !== undefined && this.lastReset !== undefined && statsReset !== this.lastReset;
    const next = new Map<string, StatementRow>();
    for (const row of rows) {
      const id = `${row.dbid}:${row.key}`;
      next.set(id, row);
      if (!this.primed) continue;
      const prev = resetAll ? undefined : this.last.get(id);
      let t = out.get(row.dbid);
      if (!t) out.set(row.dbid, (t = emptyTotals()));
      // calls going down is the reliable sign that this entry was reset and re-created
      const recreated = prev !== undefined && row.calls < prev.calls;
      for (const f of FIELDS) {
        const v = row[f];
        if (!Number.isFinite(v)) continue;
        const base = prev === undefined || recreated ? 0 : prev[f];
        t[f] += counterIncrement(base, v);
      }
    }
    this.last = next;
    this.primed = true;
    this.lastReset = statsReset;
    return out;
  }

  get size(): number {
    return this.last.size;
  }
}

/**
 * Writes a view's Samples into prom-client gauges, touching only what changed since the last tick.
 *
 * Why not `gauge.set()` for every row and a StaleSeries sweep: at 1,000 tenants and 10,000 pods the
 * view has ~30,000 rows per tick, and each set() sorts the label names and builds a hash string
 * (prom-client's hashObject), and each touch() builds another sorted key: ~85 MB of garbage every
 * 15 s, which is what made the collector's heap (and RSS) balloon between major GCs. Most rows do
 * not change between ticks (requests, limits, phases, quotas, nodes; only usage moves), so a row
 * whose labels and value are those written last time is skipped — its series in the registry also
 * keeps its labels object, so /metrics (server/render.ts) reuses its cached line.
 *
 * Behaviour is that of set-everything-then-sweep: a row is written when it is new or its value
 * changed, or when its series is no longer in the gauge (the cardinality guard removed it: it is
 * written again, as before, and the guard decides again); a series whose row is gone is removed.
 * The presence check reads prom-client 15's per-series `hashMap` under the key prom-client itself
 * computes; where that map is absent (another prom-client), every row is written as before.
 */
import type { Gauge } from 'prom-client';
import { promHash, stillHeld } from '../series.js';
import type { Samples } from './view.js';

type Labels = Record<string, string>;

interface Written {
  labels: Labels;
  value: number;
  /** prom-client's key of the series in `hashMap`, computed once per series */
  hash: string;
}

export class GaugeWriter {
  private readonly written = new Map<Gauge, Map<string, Written>>();

  /** makes `gauge` hold exactly the rows of `samples` (keyed by the Samples row key) */
  write(gauge: Gauge, samples: Samples): void {
    const prev = this.written.get(gauge);
    const next = new Map<string, Written>();
    for (const [key, row] of samples.rows) {
      const w = prev?.get(key);
      if (w !== undefined && Object.is(w.value, row.value) && stillHeld(gauge, w.hash, w.labels)) {
        next.set(key, w);
        continue;
      }
      gauge.set(row.labels, row.value);
      next.set(key, { labels: row.labels, value: row.value, hash: w?.hash ?? promHash(row.labels) });
    }
    if (prev) for (const [key, w] of prev) if (!next.has(key)) gauge.remove(w.labels);
    this.written.set(gauge, next);
  }
}

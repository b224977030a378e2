/**
 * The scrape-fed series of one ingress, written so that a tick touches only what changed.
 *
 * Why not `counter.inc()` on every series and a StaleSeries sweep: at 1,000 tenants a scrape
 * writes ~8,000 series, and each inc()/set() validates the labels and builds prom-client's hash
 * string, each touch() builds a sorted key, and each tick made new labels objects — garbage every
 * 15 s for series whose increment is mostly 0 and whose labels never change. Here each series keeps
 * one labels object for its life; a write is skipped when it would not change the registry: an
 * increment of 0 (or a gauge value equal to the last one written) on a series that is still in the
 * metric under that very labels object. A series the cardinality guard removed is written again, as
 * before, and the guard decides again. Series of a tenant, status class or open-connections gauge
 * not in this scrape are removed, as the sweep did.
 *
 * The presence check reads prom-client 15's per-series `hashMap` under the key prom-client itself
 * computes (collector/kubernetes/write.ts does the same); without that map every write happens.
 */
import type { Counter, Gauge } from 'prom-client';
import { promHash, stillHeld } from '../series.js';

type Labels = Record<string, string>;
type Scalar = Counter<string> | Gauge<string>;

/** one series this writer owns: its lasting labels object and prom-client's key for it */
class Owned {
  readonly hash: string;
  generation = 0;
  /** last value set (gauges) */
  value = Number.NaN;
  constructor(readonly labels: Labels) {
    this.hash = promHash(labels);
  }
}

const present = (metric: Scalar, s: Owned): boolean => stillHeld(metric, s.hash, s.labels);

export class ScrapeSeries {
  /** metric → series key (the caller's, stable per label set) → series */
  private readonly owned = new Map<Scalar, Map<string, Owned>>();
  private generation = 0;

  /** starts a tick: series not written before the next sweep() are removed then */
  begin(): void {
    this.generation++;
  }

  private series(metric: Scalar, key: string, labels: () => Labels): Owned {
    let m = this.owned.get(metric);
    if (!m) this.owned.set(metric, (m = new Map()));
    let s = m.get(key);
    if (!s) m.set(key, (s = new Owned(labels())));
    s.generation = this.generation;
    return s;
  }

  /** `counter.inc(labels(), n)`, skipped when it changes nothing; `key` names the label set */
  inc(counter: Counter<string>, key: string, labels: () => Labels, n: number): void {
    const s = this.series(counter, key, labels);
    if (n !== 0 || !present(counter, s)) counter.inc(s.labels, n);
  }

  /** `gauge.set(labels(), v)`, skipped when it changes nothing */
  set(gauge: Gauge<string>, key: string, labels: () => Labels, v: number): void {
    const s = this.series(gauge, key, labels);
    if (Object.is(s.value, v) && present(gauge, s)) return;
    gauge.set(s.labels, v);
    s.value = v;
  }

  /** removes the series not written since begin(); returns how many */
  sweep(): number {
    let removed = 0;
    for (const [metric, m] of this.owned) {
      m.forEach((s, key) => {
        if (s.generation === this.generation) return;
        metric.remove(s.labels);
        m.delete(key);
        removed++;
      });
    }
    return removed;
  }
}

/**
 * Helpers every collector uses so that exported series stay bounded and honest:
 * - `CounterDeltas` turns a source's cumulative counters (pg_stat_database, INFO commandstats,
 *   Traefik's own counters) into increments of our own counters, surviving resets of the source
 *   (a value that goes down is a reset: the new value is the increment, as Prometheus' rate() does).
 * - `StaleSeries` remembers which label sets a metric got in this cycle and removes the others at
 *   the end, so a tenant, database or instance that went away stops being exported.
 */
import type { Counter, Gauge, Histogram, Summary } from 'prom-client';

type Labels = Record<string, string>;

/**
 * prom-client 15's own key of a series in a metric's `hashMap` (hashObject: sorted label names,
 * `name:value,` each, undefined values left out). join() gives one flat string; `+=` would keep a
 * rope of small pieces alive for as long as the series lives.
 */
export function promHash(labels: Readonly<Record<string, string | undefined>>): string {
  const parts: string[] = [];
  for (const k of Object.keys(labels).sort()) if (labels[k] !== undefined) parts.push(`${k}:${labels[k]},`);
  return parts.join('');
}

/**
 * whether `metric` still holds the series written with exactly this labels object under `hash`
 * (the cardinality guard may have removed it); false where prom-client has no `hashMap` (another
 * version), so a writer then writes every time
 */
export function stillHeld(metric: object, hash: string, labels: object): boolean {
  const hashMap = (metric as { hashMap?: Record<string, { labels?: unknown } | undefined> }).hashMap;
  return typeof hashMap === 'object' && hashMap !== null && hashMap[hash]?.labels === labels;
}

export function labelKey(labels: Labels): string {
  // label sets are small; sorting keys keeps the key independent of object construction order
  return Object.keys(labels)
    .sort()
    .map((k) => `${k}\u0001${labels[k]}`)
    .join('\u0002');
}

export class CounterDeltas {
  private readonly last = new Map<string, number>();

  /** returns the increment since the previous observation of `key` (0 the first time: no history yet) */
  delta(key: string, value: number): number {
    if (!Number.isFinite(value)) return 0;
    const prev = this.last.get(key);
    this.last.set(key, value);
    if (prev === undefined) return 0;
    return value >= prev ? value - prev : value;
  }

  /** like delta() but counts the whole first value (for counters that start with the collector) */
  deltaFromZero(key: string, value: number): number {
    if (!this.last.has(key)) this.last.set(key, 0);
    return this.delta(key, value);
  }

  forget(predicate: (key: string) => boolean): void {
    for (const k of this.last.keys()) if (predicate(k)) this.last.delete(k);
  }

  get size(): number {
    return this.last.size;
  }
}

type AnyMetric = Gauge<string> | Counter<string> | Histogram<string> | Summary<string>;

export class StaleSeries {
  private readonly current = new Map<AnyMetric, Map<string, Labels>>();
  private readonly previous = new Map<AnyMetric, Map<string, Labels>>();

  /** record that `labels` was written to `metric` in this cycle; returns the labels for chaining */
  touch<L extends Labels>(metric: AnyMetric, labels: L): L {
    let m = this.current.get(metric);
    if (!m) this.current.set(metric, (m = new Map()));
    m.set(labelKey(labels), labels);
    return labels;
  }

  /**
   * End of a cycle: remove series seen last cycle but not this one, restricted to those `scope`
   * accepts (a collector that failed a step passes a scope that keeps that step's series).
   */
  sweep(scope: (metric: AnyMetric, labels: Labels) => boolean = () => true): number {
    let removed = 0;
    for (const [metric, prev] of this.previous) {
      const now = this.current.get(metric);
      for (const [k, labels] of prev) {
        if (now?.has(k)) continue;
        if (!scope(metric, labels)) {
          // kept: carry it into this cycle so it is considered again next time
          this.touch(metric, labels);
          continue;
        }
        metric.remove(labels);
        removed++;
      }
    }
    this.previous.clear();
    for (const [m, v] of this.current) this.previous.set(m, v);
    this.current.clear();
    return removed;
  }
}

/**
 * Helpers every collector uses so that exported series stay bounded and honest:
 * - `CounterDeltas` turns a source's cumulative counters (pg_stat_database, INFO commandstats,
 *   Traefik's own counters) into increments of our own counters, surviving resets of the source
 *   (a value that goes down is a reset: the new value is the increment, as Prometheus' rate() does).
 * - `StaleSeries` remembers which label sets a metric got in this cycle and removes the others at
 *   the end, so a tenant, database or instance that went away stops being exported.
 * - `SeriesWriter` does both jobs of set-then-sweep for the large, mostly unchanging families
 *   (Traefik's per-tenant series, Kubernetes' per-pod gauges) without touching what did not change.
 */
import { Counter, Gauge, Histogram, type Summary } from 'prom-client';

type Labels = Record<string, string>;

/**
 * prom-client 15's own key of a series in a metric's `hashMap` (hashObject: sorted label names,
 * `name:value,` each, undefined values left out). join() gives one flat string; `+=` would keep a
 * rope of small pieces alive for as long as the series lives.
 */
function promHash(labels: Readonly<Record<string, string | undefined>>): string {
  const parts: string[] = [];
  for (const k of Object.keys(labels).sort()) if (labels[k] !== undefined) parts.push(`${k}:${labels[k]},`);
  return parts.join('');
}

/**
 * Whether a metric's series are prom-client 15's own per-series map (`hashMap`), read by its own
 * get(): 'scalar' for a Counter or Gauge whose get() is not overridden, 'histogram' for a Histogram
 * with its own getForPromString; undefined for anything else (another prom-client, a subclass, a
 * custom collector), which must then be read through get(). The /metrics render and the cardinality
 * guard both read `hashMap` directly only when this says so.
 */
export function ownSeriesKind(metric: object): 'scalar' | 'histogram' | undefined {
  const m = metric as unknown as { name?: unknown; help?: unknown; hashMap?: unknown; get?: unknown; getForPromString?: unknown; upperBounds?: unknown };
  if (typeof m.name !== 'string' || typeof m.help !== 'string' || typeof m.hashMap !== 'object' || m.hashMap === null) return undefined;
  if (metric instanceof Counter || metric instanceof Gauge) {
    const own = metric instanceof Counter ? Counter.prototype.get : Gauge.prototype.get;
    return m.get === own && m.getForPromString === undefined ? 'scalar' : undefined;
  }
  if (metric instanceof Histogram) {
    const hp = Histogram.prototype as unknown as { getForPromString: unknown };
    return m.getForPromString === hp.getForPromString && Array.isArray(m.upperBounds) ? 'histogram' : undefined;
  }
  return undefined;
}

/**
 * prom-client's own entry of the series written with exactly this labels object under `hash`, when
 * `metric` still holds it (the cardinality guard may have removed it); undefined where prom-client
 * has no `hashMap` (another version), so a writer then writes every time
 */
function heldEntry(metric: object, hash: string, labels: object): { value: number; labels?: unknown } | undefined {
  const hashMap = (metric as { hashMap?: Record<string, { value: number; labels?: unknown } | undefined> }).hashMap;
  if (typeof hashMap !== 'object' || hashMap === null) return undefined;
  const e = hashMap[hash];
  return e !== undefined && e.labels === labels ? e : undefined;
}

export function labelKey(labels: Labels): string {
  // label sets are small; sorting keys keeps the key independent of object construction order
  return Object.keys(labels)
    .sort()
    .map((k) => `${k}\u0001${labels[k]}`)
    .join('\u0002');
}

/**
 * The increment of a source counter from `prev` to `value`: a value that went down is a reset (the
 * source restarted or its statistics were reset), so the new value is the increment, as Prometheus'
 * rate() reads it.
 */
export function counterIncrement(prev: number, value: number): number {
  return value >= prev ? value - prev : value;
}

/**
 * The increment of an observed counter from `prev`, its last observation (undefined: none yet, so
 * this one is the baseline), to `value`. A value that is not finite is no observation: 0, and the
 * caller keeps `prev`. CounterDeltas' rule, shared with stores that key counters their own way
 * (collector/kubernetes/collector.ts: restarts per pod and container name).
 */
export function observedIncrement(prev: number | undefined, value: number): number {
  return prev === undefined || !Number.isFinite(value) ? 0 : counterIncrement(prev, value);
}

export class CounterDeltas {
  private readonly last = new Map<string, number>();

  /** returns the increment since the previous observation of `key` (0 the first time: no history yet) */
  delta(key: string, value: number): number {
    if (!Number.isFinite(value)) return 0;
    const prev = this.last.get(key);
    this.last.set(key, value);
    return observedIncrement(prev, value);
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

type Scalar = Counter<string> | Gauge<string>;

/** one series a SeriesWriter owns: its lasting labels object and prom-client's key for it */
class Owned {
  readonly hash: string;
  generation = 0;
  /** last value set (gauges) */
  value = Number.NaN;
  constructor(readonly labels: Labels) {
    this.hash = promHash(labels);
  }
}

/**
 * Writes counters and gauges so that a tick touches only what changed, and removes the series a tick
 * did not write — the behaviour of writing every series and a StaleSeries sweep.
 *
 * Why not that: at 1,000 tenants and 10,000 pods a tick writes tens of thousands of series (bench/RESULTS.md,
 * Exposition: samples by source), and each inc()/set()
 * validates the labels and builds prom-client's hash string, each touch() builds a sorted key, and
 * callers made new labels objects — garbage every 15 s for series whose increment is mostly 0 and
 * whose value mostly did not move (requests, limits, phases, quotas; only usage moves), which made
 * the collector's heap balloon between major GCs. Here each series keeps one labels object for its
 * life (so server/render.ts reuses its cached line), and a write is skipped when it would not change
 * the registry: an increment of 0, or a gauge value equal to the last one written, on a series still
 * in the metric under that very labels object. A series the cardinality guard removed is written
 * again, and the guard decides again. A write that does change a series prom-client holds goes into
 * that series' entry, as prom-client's own inc()/set() would leave it, without their label
 * validation and hashing (a hash string per write, and for a gauge a sort of its label names and a
 * new entry object: one of the largest sources of garbage per tick in an allocation profile of
 * the collector at 10,000 pods, most of it usage gauges that move every tick).
 *
 * The presence check reads prom-client 15's per-series `hashMap` under the key prom-client itself
 * computes (heldEntry), for Counters and Gauges whose series are that map (ownSeriesKind); otherwise
 * every write goes through prom-client.
 */
export class SeriesWriter {
  /** metric → series key (the caller's, stable per label set) → series */
  private readonly owned = new Map<Scalar, Map<string, Owned>>();
  private generation = 0;

  /** starts a tick: series not written before the next sweep() are removed then */
  begin(): void {
    this.generation++;
  }

  private series(metric: Scalar, key: string, labels: Labels | (() => Labels)): Owned {
    let m = this.owned.get(metric);
    if (!m) this.owned.set(metric, (m = new Map()));
    let s = m.get(key);
    if (!s) m.set(key, (s = new Owned(typeof labels === 'function' ? labels() : labels)));
    s.generation = this.generation;
    return s;
  }

  /**
   * `counter.inc(labels, n)`, skipped when it changes nothing; `key` names the label set. A series
   * prom-client already holds under this labels object is incremented in its entry, as its own inc()
   * ends up doing, without re-validating the labels and re-hashing them (a string per call).
   */
  inc(counter: Counter<string>, key: string, labels: Labels | (() => Labels), n: number): void {
    const s = this.series(counter, key, labels);
    const held = heldEntry(counter, s.hash, s.labels);
    if (held !== undefined && n === 0) return;
    if (held !== undefined && n > 0 && Number.isFinite(n) && this.own(counter)) held.value += n;
    // with exemplars on, prom-client's inc takes one options object ({ labels, value }), not (labels, n)
    else if ((counter as unknown as { enableExemplars?: boolean }).enableExemplars) counter.inc({ labels: s.labels, value: n } as never);
    else counter.inc(s.labels, n);
  }

  /** `gauge.set(labels, v)`, skipped when it changes nothing; a held series is set in its entry, as inc() */
  set(gauge: Gauge<string>, key: string, labels: Labels | (() => Labels), v: number): void {
    const s = this.series(gauge, key, labels);
    const held = heldEntry(gauge, s.hash, s.labels);
    if (held !== undefined && Object.is(s.value, v)) return;
    if (held !== undefined && typeof v === 'number' && this.own(gauge)) held.value = v;
    else gauge.set(s.labels, v);
    s.value = v;
  }

  /**
   * whether a write may go into prom-client's entry: the metric's series are its own map
   * (ownSeriesKind 'scalar') and its inc()/set() is prom-client's, not a subclass' or a wrapper's
   * (whose side effects a direct write would skip)
   */
  private own(metric: Scalar): boolean {
    if (ownSeriesKind(metric) !== 'scalar') return false;
    // a Counter's inc is its own property: prom-client's incWithoutExemplar, or incWithExemplar when
    // exemplars are on (which a direct write would not record)
    const proto = Counter.prototype as unknown as { incWithoutExemplar: unknown };
    return metric instanceof Counter ? metric.inc === proto.incWithoutExemplar : (metric as Gauge<string>).set === Gauge.prototype.set;
  }

  /**
   * makes `gauge` hold exactly these rows (row key → labels and value), on its own: neither begin()
   * nor sweep() is involved, so it can share a writer with a tick's inc()/set() calls
   */
  write(gauge: Gauge<string>, rows: ReadonlyMap<string, { labels: Labels; value: number }>): void {
    // forEach, not for…of: no [key, value] array per row (tens of thousands per tick)
    rows.forEach((row, key) => this.set(gauge, key, row.labels, row.value));
    this.owned.get(gauge)?.forEach((s, key, m) => {
      if (rows.has(key)) return;
      gauge.remove(s.labels);
      m.delete(key);
    });
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

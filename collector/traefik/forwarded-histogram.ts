/**
 * A histogram family whose buckets come from somewhere else: Traefik's own
 * `*_request_duration_seconds` buckets (0.1/0.3/1.2/5 s by default, or whatever
 * `metrics.prometheus.buckets` says), summed per tenant and re-exported as a real histogram.
 *
 * prom-client's Histogram only takes single observations with bounds fixed at creation; forwarding
 * bucket increments through it would mean inventing observations (and a wrong _sum). This is the
 * smallest thing the Registry accepts: `get()` returning the same shape prom-client's own metrics
 * return, so it renders on the same /metrics as every other family.
 */
import type { Metric, Registry } from 'prom-client';
import { labelKey } from '../series.js';

type Labels = Record<string, string>;

interface Series {
  labels: Labels;
  /** upper bound → cumulative count, as the exposition carries it */
  buckets: Map<number, number>;
  sum: number;
  count: number;
}

export interface HistogramIncrement {
  /** upper bound (Infinity for +Inf) → increment of that bucket's cumulative count */
  buckets: ReadonlyMap<number, number>;
  sum: number;
  count: number;
}

/** one series as /metrics shows it: bucket bounds ascending (+Inf last) with their cumulative counts */
export interface ForwardedSeries {
  readonly labels: Readonly<Labels>;
  readonly bounds: readonly number[];
  readonly counts: readonly number[];
  readonly sum: number;
  readonly count: number;
}

export const formatBound = (le: number): string => (le === Number.POSITIVE_INFINITY ? '+Inf' : String(le));

export class ForwardedHistogram {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  private readonly series = new Map<string, Series>();

  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: readonly string[],
    registry: Registry,
  ) {
    registry.registerMetric(this as unknown as Metric);
  }

  add(labels: Labels, inc: HistogramIncrement): void {
    const key = labelKey(labels);
    let s = this.series.get(key);
    if (!s) this.series.set(key, (s = { labels: { ...labels }, buckets: new Map(), sum: 0, count: 0 }));
    for (const [le, n] of inc.buckets) s.buckets.set(le, (s.buckets.get(le) ?? 0) + n);
    if (!s.buckets.has(Number.POSITIVE_INFINITY)) s.buckets.set(Number.POSITIVE_INFINITY, 0);
    s.sum += inc.sum;
    s.count += inc.count;
  }

  remove(labels: Labels): void {
    this.series.delete(labelKey(labels));
  }

  reset(): void {
    this.series.clear();
  }

  /**
   * the label set of each series, for the cardinality guard (collector/cardinality.ts): counting
   * them through get() built every bucket's value object on every pass
   */
  *labelSets(): IterableIterator<Readonly<Labels>> {
    for (const s of this.series.values()) yield s.labels;
  }

  /**
   * every series with its bounds in order, for server/render.ts, which formats them without get()'s
   * value object per line (one per bucket, sum and count of every tenant's series, every scrape); the
   * labels object of a series is its own copy, never changed, so its label text can be kept for the
   * series' life
   */
  *forwardedSeries(): IterableIterator<ForwardedSeries> {
    for (const s of this.series.values()) {
      const bounds = [...s.buckets.keys()].sort((a, b) => a - b);
      yield { labels: s.labels, bounds, counts: bounds.map((le) => s.buckets.get(le) ?? 0), sum: s.sum, count: s.count };
    }
  }

  /** the snapshot prom-client's Registry renders */
  get(): { name: string; help: string; type: 'histogram'; aggregator: 'sum'; values: { metricName: string; labels: Record<string, string | number>; value: number }[] } {
    const values: { metricName: string; labels: Record<string, string | number>; value: number }[] = [];
    for (const s of this.forwardedSeries()) {
      s.bounds.forEach((le, i) => values.push({ metricName: `${this.name}_bucket`, labels: { ...s.labels, le: formatBound(le) }, value: s.counts[i]! }));
      values.push({ metricName: `${this.name}_sum`, labels: s.labels, value: s.sum });
      values.push({ metricName: `${this.name}_count`, labels: s.labels, value: s.count });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }
}

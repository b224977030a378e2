/**
 * `/metrics` text for a prom-client Registry, byte-identical to `registry.metrics()` but without
 * re-formatting every label set on every scrape (issue 5: 1,000 tenants / 10,000 pods ≤ 200 ms).
 *
 * prom-client 15.1.3 builds, per sample, a value object, a merged labels object, an entries array,
 * three regex replaces per label value and two joins — and most of that is the same text scrape
 * after scrape. Here each series' label text is formatted once and cached under prom-client's own
 * per-series hash (the `hashMap` key); a scrape re-formats only the values, and a series whose
 * values did not change since the previous render reuses its whole line(s). The figures (bench/exposition.ts,
 * 97,778 label sets: unchanged, every value changed, the first render that fills the cache, against
 * prom-client's own) are in bench/RESULTS.md, section Exposition; the cache holds a formatted label
 * text per series, so its heap grows with the series count.
 *
 * Correctness rests on three guards, each falling back to prom-client's own code:
 * - the registry: only the Prometheus text format and un-patched `metrics`/`getMetricsAsString`
 *   are handled here; anything else is `registry.metrics()`.
 * - the metric: only Counter, Gauge and Histogram instances of this prom-client copy whose
 *   `get`/`getForPromString` are the library's own take the fast path; Summary, custom collectors
 *   (collector/traefik/forwarded-histogram.ts) and subclasses go through
 *   `registry.getMetricsAsString(metric)`, exactly what `registry.metrics()` would call.
 * - the series: a cached label text is reused only when the series' labels object still has the
 *   same own keys, in the same order, with the same (string or number) values — a gauge `set()`
 *   with a fresh labels object each tick still hits, a mutated or reordered one re-formats. Label
 *   sets with other value types are formatted every time by a line-for-line port of prom-client's.
 *
 * One deliberate difference: prom-client caches a histogram series' label text by labels-object
 * identity (`sharedLabelCache` in lib/registry.js), so a labels object mutated after `observe()`
 * keeps printing its old values there; here it prints the current ones.
 *
 * The cache lives in a WeakMap keyed by the metric object, so it goes away with the metric; entries
 * of removed series are swept when a render sees fewer series than the cache holds.
 */
import { Registry, type RegistryContentType } from 'prom-client';
import { ownSeriesKind } from '../collector/series.js';
import { formatBound, type ForwardedSeries } from '../collector/traefik/forwarded-histogram.js';

/** what getMetricsAsArray() holds: prom-client metrics and custom collectors alike */
type Metric = object;

type Labels = Record<string, unknown>;

/** the parts of prom-client 15.1.3's internals read here (lib/counter.js, gauge.js, histogram.js) */
interface ScalarInternals {
  name: string;
  help: string;
  type: string;
  collect?: () => unknown;
  hashMap: Record<string, { value: unknown; labels: Labels | undefined }>;
}

interface HistogramSeries {
  labels: Labels;
  bucketValues: Record<string, number>;
  sum: number;
  count: number;
}

interface HistogramInternals {
  name: string;
  help: string;
  type: string;
  collect?: () => unknown;
  upperBounds: readonly number[];
  hashMap: Record<string, HistogramSeries>;
}

interface RegistryInternals {
  _defaultLabels: Labels;
  getMetricsAsString(metric: Metric): Promise<string>;
}

/**
 * One series' formatted label text, valid while its labels object has these keys and values.
 * A class, not object literals: every entry shares one hidden class, so the per-series reads of
 * a render stay monomorphic (spread-built literals measured 3× slower here).
 */
class Entry {
  /**
   * the series' lines as last rendered and the values they show (counter/gauge: the value;
   * histogram: cumulative bucket counts, count, sum): an unchanged series costs no allocation
   */
  text = '';
  /** histogram entries only (scalar entries leave it false): whether `text` was flattened (see flatten(): done the second time it is used, not the first) */
  flat = false;
  lastValue: unknown = UNSET;
  lastValues: readonly number[] = NO_VALUES;
  constructor(
    readonly keys: string[],
    readonly values: (string | number)[],
    /** counter/gauge: `name{…} `; histogram: `,…} ` or `} ` after `name_bucket{le="…"` */
    readonly head: string,
    /** histogram only: `name_sum{…} ` and `name_count{…} ` */
    readonly sumHead: string,
    readonly countHead: string,
    public seen: number,
  ) {}
}

interface MetricCache {
  /** formatted default labels the entries were built with ('' when none) */
  defaults: string;
  entries: Map<string, Entry>;
  generation: number;
  lastKeys: string[];
}

const caches = new WeakMap<object, MetricCache>();

/** the lastValues of an entry not yet rendered as a histogram: one shared empty array, not one per series */
const NO_VALUES: readonly number[] = Object.freeze([]);

/** lastValue of an entry never rendered: equal to no value a metric can hold */
const UNSET: unknown = Symbol('unset');

/**
 * `registry.metrics()`, faster; see the file comment for what is cached and when it falls back.
 * `tail` (another exposition, e.g. OpenTelemetry's) follows the registry's text after a newline, in
 * the same single string: /metrics appending it with `+` made a rope, which the response's byte count
 * then flattened into a copy of the whole text (megabytes at 1,000 tenants, for a tail of kilobytes).
 */
export async function renderRegistry(registry: Registry<RegistryContentType>, tail: string | Promise<string> = ''): Promise<string> {
  const internals = registry as unknown as RegistryInternals;
  if (
    registry.contentType !== Registry.PROMETHEUS_CONTENT_TYPE ||
    registry.metrics !== Registry.prototype.metrics ||
    internals.getMetricsAsString !== (Registry.prototype as unknown as RegistryInternals).getMetricsAsString
  ) {
    const [text, t] = await Promise.all([registry.metrics(), tail]);
    return t ? `${text}\n${t}` : text;
  }
  const defaultLabels = Object.keys(internals._defaultLabels).length > 0 ? internals._defaultLabels : null;
  const defaultsKey = defaultLabels ? formatLabels(defaultLabels, undefined).join(',') : '';
  // all metrics start (and their collect() hooks run) in registry order before any finishes, as in
  // prom-client's metrics(); each one's formatting is synchronous after its own collect
  const [blocks, t] = await Promise.all([Promise.all(registry.getMetricsAsArray().map((m) => renderMetric(registry, m, defaultLabels, defaultsKey))), tail]);
  // one join over every line: no rope of 100k+ concatenations to flatten, one copy of the text
  const lines: string[] = [];
  for (let i = 0; i < blocks.length; i++) {
    if (i > 0) lines.push(''); // blocks are separated by a blank line
    const b = blocks[i]!;
    if (typeof b === 'string') lines.push(b);
    else for (const l of b) lines.push(l);
  }
  // prom-client ends the text with a newline ('\n' alone for an empty registry: [].join('\n\n') + '\n')
  if (blocks.length === 0) lines.push('');
  lines.push('');
  if (t) lines.push(t);
  return lines.join('\n');
}

/** how many series' label texts renderRegistry() holds for the metrics of `registry` (tests, debugging) */
export function cachedSeries(registry: Registry<RegistryContentType>): number {
  let n = 0;
  for (const m of registry.getMetricsAsArray()) n += caches.get(m)?.entries.size ?? 0;
  return n;
}

/** a metric's text block: prom-client's string (fallback) or our lines, to be joined with '\n' */
async function renderMetric(registry: Registry<RegistryContentType>, metric: Metric, defaults: Labels | null, defaultsKey: string): Promise<string | string[]> {
  if (defaults === null && isForwarded(metric)) return renderForwarded(metric);
  const kind = ownSeriesKind(metric);
  if (kind === undefined) return (registry as unknown as RegistryInternals).getMetricsAsString(metric);
  const m = metric as unknown as ScalarInternals | HistogramInternals;
  if (m.collect) {
    const v = m.collect();
    if (v instanceof Promise) await v;
  }
  const cache = cacheFor(metric, defaultsKey);
  return kind === 'histogram' ? renderHistogram(m as HistogramInternals, cache, defaults) : renderScalar(m as ScalarInternals, cache, defaults);
}

function cacheFor(metric: Metric, defaultsKey: string): MetricCache {
  let c = caches.get(metric);
  if (!c || c.defaults !== defaultsKey) caches.set(metric, (c = { defaults: defaultsKey, entries: new Map(), generation: 0, lastKeys: [] }));
  c.generation++;
  return c;
}

/**
 * V8 keeps `a + b` as a rope; reading a character flattens it in place. The join of a render
 * copies flat strings about twice as fast as ropes (measured: 12 vs 20–33 ms for 97k lines), but
 * flattening costs a runtime call and, for a line kept across renders, memory: a histogram's
 * multi-line text is flattened when it is reused, not when it is made; a counter's or gauge's line
 * (head + value) is never flattened. A label text, kept for the series' life, is flattened when
 * made: one flat string is also much smaller than a rope of its pieces.
 */
function flatten(s: string): string {
  s.charCodeAt(0);
  return s;
}

function sweep(cache: MetricCache, live: number): void {
  if (cache.entries.size <= live) return;
  for (const [k, e] of cache.entries) if (e.seen !== cache.generation) cache.entries.delete(k);
}

/** the cached entry of a series if it still describes `labels`, else undefined */
function hit(e: Entry | undefined, labels: Labels): Entry | undefined {
  if (e === undefined) return undefined;
  const { keys, values } = e;
  let i = 0;
  for (const k in labels) {
    if (i >= keys.length || k !== keys[i] || labels[k] !== values[i]) return undefined;
    i++;
  }
  return i === keys.length ? e : undefined;
}

/**
 * a new entry's keys and values, or undefined when a value is neither string nor number; the keys
 * array is shared with the previous entry when equal (series of a family mostly have the same keys)
 */
function snapshot(labels: Labels, cache: MetricCache): { keys: string[]; values: (string | number)[] } | undefined {
  // gathered into scratch arrays, then copied once at their exact length: one array per series (the
  // first render makes ~100k of these at once), not a growing one and its trimmed copy
  let n = 0;
  for (const k in labels) {
    // for-in also walks inherited enumerable keys, which Object.entries (prom-client) skips
    if (!Object.prototype.hasOwnProperty.call(labels, k)) return undefined;
    const v = labels[k];
    if (typeof v !== 'string' && typeof v !== 'number') return undefined;
    scratchKeys[n] = k;
    scratchValues[n] = v;
    n++;
  }
  const last = cache.lastKeys;
  let same = last.length === n;
  for (let i = 0; same && i < n; i++) same = last[i] === scratchKeys[i];
  const keys = same ? last : (cache.lastKeys = scratchKeys.slice(0, n));
  return { keys, values: scratchValues.slice(0, n) };
}

const scratchKeys: string[] = [];
const scratchValues: (string | number)[] = [];

/** a family's HELP and TYPE lines, as prom-client writes them */
function familyHeader(m: { name: string; help: string; type: string }): { name: string; out: string[] } {
  const name = escapeString(m.name);
  return { name, out: [`# HELP ${name} ${escapeString(m.help)}`, `# TYPE ${name} ${m.type}`] };
}

/**
 * a histogram series' text that did not change since the last render is flattened once, so later
 * renders join one flat string instead of a rope of a dozen lines (a counter's or gauge's line stays
 * a rope of two: its cached head and its value)
 */
function settle(e: Entry): void {
  if (e.flat) return;
  flatten(e.text);
  e.flat = true;
}

function renderScalar(m: ScalarInternals, cache: MetricCache, defaults: Labels | null): string[] {
  const { name, out } = familyHeader(m);
  const { hashMap } = m;
  const { entries, generation } = cache;
  const hashes = Object.keys(hashMap);
  for (const h of hashes) {
    const val = hashMap[h]!;
    const labels = val.labels;
    if (labels === null || typeof labels !== 'object') {
      out.push(promLine({ value: val.value, labels }, name, defaults));
      continue;
    }
    let e = hit(entries.get(h), labels);
    if (e === undefined) {
      const snap = snapshot(labels, cache);
      if (snap === undefined) {
        out.push(promLine({ value: val.value, labels }, name, defaults));
        continue;
      }
      let ls: string;
      if (defaults) ls = labelsString(labels, {}, defaults);
      else {
        const pairs = formatPairs(snap.keys, snap.values);
        ls = pairs ? `{${pairs}}` : '';
      }
      e = new Entry(snap.keys, snap.values, flatten(`${name}${ls} `), '', '', generation);
      entries.set(h, e);
    }
    e.seen = generation;
    const v = val.value;
    if (v !== e.lastValue) {
      e.lastValue = v;
      // kept as the rope head + value, never flattened: a flat copy would hold the label text a
      // second time for the series' life, to save a little of the join
      e.text = e.head + valueString(v);
    }
    out.push(e.text);
  }
  sweep(cache, hashes.length);
  return out;
}

function renderHistogram(m: HistogramInternals, cache: MetricCache, defaults: Labels | null): string[] {
  const { out } = familyHeader(m);
  const bounds = m.upperBounds;
  const n = bounds.length;
  // bucketValues is keyed by String(bound); looking it up by the string skips a number→string per line
  const boundKeys = bounds.map((b) => String(b));
  const bucketName = `${m.name}_bucket`;
  const prefixes = bounds.map((b) => `${bucketName}{le="${b}"`);
  const infPrefix = `${bucketName}{le="+Inf"`;
  const { hashMap } = m;
  const { entries, generation } = cache;
  const hashes = Object.keys(hashMap);
  for (const h of hashes) {
    const d = hashMap[h]!;
    const labels = d.labels;
    let e = labels !== null && typeof labels === 'object' ? hit(entries.get(h), labels) : undefined;
    if (e === undefined) {
      const snap = labels !== null && typeof labels === 'object' && !Object.prototype.hasOwnProperty.call(labels, 'le') ? snapshot(labels, cache) : undefined;
      if (snap === undefined) {
        histogramSeriesSlow(m, d, defaults, out);
        continue;
      }
      let head: string;
      let rest: string;
      if (defaults) {
        // le comes first in a bucket line's labels (prom-client: {le} merged with defaults, then the
        // series labels as shared labels); what follows it does not depend on the bound
        const tail = labelParts({ le: '+Inf' }, labels, defaults).slice(1).join(',');
        head = tail ? `,${tail}} ` : '} ';
        rest = labelsString({}, labels, defaults);
      } else {
        const pairs = formatPairs(snap.keys, snap.values);
        head = pairs ? `,${pairs}} ` : '} ';
        rest = pairs ? `{${pairs}}` : '';
      }
      e = new Entry(snap.keys, snap.values, flatten(head), flatten(`${m.name}_sum${rest} `), flatten(`${m.name}_count${rest} `), generation);
      entries.set(h, e);
    }
    e.seen = generation;
    const bv = d.bucketValues;
    const last = e.lastValues;
    // unchanged since the last render (same cumulative counts, count and sum): reuse its lines
    let same = last.length === n + 2 && last[n] === d.count && last[n + 1] === d.sum;
    let acc = 0;
    for (let i = 0; same && i < n; i++) {
      acc += bv[boundKeys[i]!]!;
      same = last[i] === acc;
    }
    if (!same) {
      const tail = e.head;
      const count = valueString(d.count);
      const values: number[] = [];
      let text = '';
      acc = 0;
      for (let i = 0; i < n; i++) {
        acc += bv[boundKeys[i]!]!;
        values.push(acc);
        text += `${prefixes[i]!}${tail}${valueString(acc)}\n`;
      }
      text += `${infPrefix}${tail}${count}\n${e.sumHead}${valueString(d.sum)}\n${e.countHead}${count}`;
      values.push(d.count, d.sum);
      e.lastValues = values;
      e.text = text;
      e.flat = false;
    } else settle(e);
    out.push(e.text);
  }
  sweep(cache, hashes.length);
  return out;
}

/** a histogram family whose series bring their own bounds (collector/traefik/forwarded-histogram.ts) */
interface ForwardedInternals {
  name: string;
  help: string;
  type: 'histogram';
  forwardedSeries(): Iterable<ForwardedSeries>;
}

function isForwarded(metric: Metric): metric is Metric & ForwardedInternals {
  const m = metric as unknown as Partial<ForwardedInternals>;
  return typeof m.forwardedSeries === 'function' && m.type === 'histogram' && typeof m.name === 'string' && typeof m.help === 'string';
}

/** a forwarded series' line heads, made once per labels object (the metric keeps one, unchanged, per series) and metric name */
const forwardedHeads = new WeakMap<object, { name: string; bucket: string; sum: string; count: string }>();

/**
 * The lines prom-client writes from such a family's get() — `{…labels, le}` on buckets, the series
 * labels on _sum and _count — without a value object and a merged labels object per line.
 */
function renderForwarded(m: ForwardedInternals): string[] {
  const { name, out } = familyHeader(m);
  for (const s of m.forwardedSeries()) {
    let h = forwardedHeads.get(s.labels);
    if (h === undefined || h.name !== name) {
      const pairs = formatPairs(Object.keys(s.labels), Object.values(s.labels));
      const rest = pairs ? `{${pairs}}` : '';
      h = { name, bucket: flatten(`${name}_bucket{${pairs ? `${pairs},` : ''}le="`), sum: flatten(`${name}_sum${rest} `), count: flatten(`${name}_count${rest} `) };
      forwardedHeads.set(s.labels, h);
    }
    for (let i = 0; i < s.bounds.length; i++) out.push(`${h.bucket}${formatBound(s.bounds[i]!)}"} ${valueString(s.counts[i])}`);
    out.push(h.sum + valueString(s.sum), h.count + valueString(s.count));
  }
  return out;
}

/** one histogram series through the ported prom-client path (labels it cannot cache) */
function histogramSeriesSlow(m: HistogramInternals, d: HistogramSeries, defaults: Labels | null, out: string[]): void {
  let acc = 0;
  const bucketName = `${m.name}_bucket`;
  for (const b of m.upperBounds) {
    acc += d.bucketValues[b as unknown as string]!;
    out.push(promLine({ labels: { le: b }, sharedLabels: d.labels, value: acc, metricName: bucketName }, bucketName, defaults));
  }
  out.push(promLine({ labels: { le: '+Inf' }, sharedLabels: d.labels, value: d.count, metricName: bucketName }, bucketName, defaults));
  out.push(promLine({ labels: {}, sharedLabels: d.labels, value: d.sum, metricName: `${m.name}_sum` }, m.name, defaults));
  out.push(promLine({ labels: {}, sharedLabels: d.labels, value: d.count, metricName: `${m.name}_count` }, m.name, defaults));
}

// ---- line-for-line ports of prom-client 15.1.3 lib/registry.js and lib/util.js (Prometheus format) ----

interface PromValue {
  metricName?: string;
  labels?: Labels | undefined;
  sharedLabels?: Labels | undefined;
  value: unknown;
}

/** getMetricsAsString's body for one value, without exemplars (OpenMetrics only) */
function promLine(val: PromValue, name: string, defaults: Labels | null): string {
  const { metricName = name, labels = {}, sharedLabels = {} } = val;
  return `${metricName}${labelsString(labels, sharedLabels, defaults)} ${valueString(val.value)}`;
}

function labelParts(labels: Labels, sharedLabels: Labels, defaults: Labels | null): string[] {
  const merged = defaults ? { ...labels, ...defaults, ...labels } : labels;
  const formatted = formatLabels(merged, sharedLabels);
  const flattenedShared = formatLabels(sharedLabels, undefined).join(',');
  return [...formatted, flattenedShared].filter(Boolean);
}

function labelsString(labels: Labels, sharedLabels: Labels, defaults: Labels | null): string {
  const parts = labelParts(labels, sharedLabels, defaults);
  return parts.length ? `{${parts.join(',')}}` : '';
}

function formatLabels(labels: Labels, exclude: Labels | undefined): string[] {
  const formatted: string[] = [];
  for (const [name, value] of Object.entries(labels)) {
    if (!exclude || !Object.prototype.hasOwnProperty.call(exclude, name)) {
      formatted.push(`${name}="${escapeLabelValue(value)}"`);
    }
  }
  return formatted;
}

function escapeLabelValue(str: unknown): unknown {
  if (typeof str !== 'string') return str;
  return escapeString(str).replace(/"/g, '\\"');
}

/** formatLabels(labels).join(',') for a snapshot's own keys and string or number values */
function formatPairs(keys: readonly string[], values: readonly (string | number)[]): string {
  let out = '';
  for (let i = 0; i < keys.length; i++) {
    const v = values[i]!;
    const text = typeof v === 'string' ? (NEEDS_ESCAPE.test(v) ? (escapeLabelValue(v) as string) : v) : `${v}`;
    out += `${i ? ',' : ''}${keys[i]!}="${text}"`;
  }
  return out;
}

const NEEDS_ESCAPE = /[\\\n"]/;

function escapeString(str: string): string {
  return str.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

/** getValueAsString, NaN spelt `Nan` as prom-client does */
function valueString(value: unknown): string {
  if (typeof value === 'number' && Number.isFinite(value)) return `${value}`;
  if (Number.isNaN(value)) return 'Nan';
  if (!Number.isFinite(value)) return (value as number) < 0 ? '-Inf' : '+Inf';
  return `${value as number}`;
}

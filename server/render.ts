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
 * - the registry: only the Prometheus text format, un-patched `metrics`/`getMetricsAsString` and
 *   no default labels (`setDefaultLabels`, which tenantscope does not use) are handled here;
 *   anything else is `registry.metrics()`.
 * - the metric: only Counter, Gauge and Histogram instances of this prom-client copy whose
 *   `get`/`getForPromString` are the library's own take the fast path; Summary, custom collectors
 *   (collector/traefik/forwarded-histogram.ts) and subclasses go through
 *   `registry.getMetricsAsString(metric)`, exactly what `registry.metrics()` would call.
 * - the series: a cached label text is reused only when the series' labels object still has the
 *   same own keys, in the same order, and each (string or number) value still reads as the text
 *   cached for it — a gauge `set()` with a fresh labels object each tick still hits, a mutated or
 *   reordered one re-formats. The values are checked against the cached text itself, not against a
 *   copy of them (see hit()): the first render made one such copy per series, ~100k at once, all
 *   of which survived into the old generation.
 *   Label sets with other value types are formatted every time by a line-for-line port of prom-client's.
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
 * A counter's or gauge's series: its formatted label text, valid while its labels object has
 * these keys and values (hit()). Classes, not object literals: every entry of a kind shares one
 * hidden class, so the per-series reads of a render stay monomorphic (spread-built literals
 * measured 3× slower here); and two of them, so a scalar series (most of them) carries no
 * histogram fields.
 */
class ScalarEntry {
  /** the series' line as last rendered, and the value it shows: an unchanged series costs no allocation */
  text = '';
  lastValue: unknown = UNSET;
  constructor(
    readonly keys: string[],
    /** `name{…} ` (`name ` without labels) */
    readonly head: string,
    /** whether a label value was escaped in head (it holds a backslash then): see hit() */
    readonly escaped: boolean,
    public seen: number,
  ) {}
}

/** a histogram's series: as ScalarEntry, with its _sum and _count heads and all its lines' values */
class HistogramEntry {
  /** the series' lines as last rendered and their values (cumulative bucket counts, count, sum) */
  text = '';
  /** whether `text` was flattened (see flatten(): done the second time it is used, not the first) */
  flat = false;
  lastValues: readonly number[] = NO_VALUES;
  constructor(
    readonly keys: string[],
    /** `,…} ` (`} ` without labels), after `name_bucket{le="…"` */
    readonly head: string,
    readonly escaped: boolean,
    /** `name_sum{…} ` and `name_count{…} ` */
    readonly sumHead: string,
    readonly countHead: string,
    public seen: number,
  ) {}
}

interface MetricCache<E> {
  /** the metric's name the entries' heads were made with (prom-client renames a counter for good when it renders OpenMetrics) */
  name: string;
  entries: Map<string, E>;
  generation: number;
  lastKeys: string[];
}

const caches = new WeakMap<object, MetricCache<ScalarEntry> | MetricCache<HistogramEntry>>();

/** the lastValues of a histogram entry not yet rendered: one shared empty array, not one per series */
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
  return (await renderLines(registry, tail)).join('\n');
}

/** characters of exposition text per chunk renderRegistryStream() writes (about as many bytes: label text is mostly ASCII) */
const CHUNK_CHARS = 64 * 1024;

/**
 * renderRegistry()'s text as a stream of UTF-8 chunks of about 64 KiB, for `/metrics`: the same
 * bytes, without the whole text as one string and one buffer at once (6.5 MiB each for 1,000 tenants
 * and 10,000 pods, both in the collector's RSS for the length of every scrape). The metrics are
 * collected and formatted at once, as renderRegistry() does; only the joining and encoding is
 * paced by the reader.
 */
export async function renderRegistryStream(registry: Registry<RegistryContentType>, tail: string | Promise<string> = ''): Promise<ReadableStream<Uint8Array>> {
  // rendered before the stream exists: a failure is the caller's error (a 500), not a response cut short
  const lines = await renderLines(registry, tail);
  const encoder = new TextEncoder();
  let at = 0;
  return new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        // whole lines [from, at) joined, with the newline that follows them in the whole text (none
        // after the last): a chunk never ends inside a character (an emoji's two UTF-16 halves)
        const from = at;
        let chars = 0;
        while (at < lines.length && chars < CHUNK_CHARS) chars += lines[at++]!.length + 1;
        let part = lines.slice(from, at).join('\n');
        if (at < lines.length) part += '\n';
        if (part.length > 0) controller.enqueue(encoder.encode(part));
        if (at >= lines.length) controller.close();
      },
    },
    { highWaterMark: 0 },
  );
}

/** the whole text as lines to join with '\n' */
async function renderLines(registry: Registry<RegistryContentType>, tail: string | Promise<string>): Promise<string[]> {
  const internals = registry as unknown as RegistryInternals;
  if (
    registry.contentType !== Registry.PROMETHEUS_CONTENT_TYPE ||
    registry.metrics !== Registry.prototype.metrics ||
    internals.getMetricsAsString !== (Registry.prototype as unknown as RegistryInternals).getMetricsAsString ||
    Object.keys(internals._defaultLabels).length > 0
  ) {
    // prom-client's own text, cut into lines like ours (its chunks then end between lines too)
    const [text, t] = await Promise.all([registry.metrics(), tail]);
    return (t ? `${text}\n${t}` : text).split('\n');
  }
  // all metrics start (and their collect() hooks run) in registry order before any finishes, as in
  // prom-client's metrics(); each one's formatting is synchronous after its own collect
  const [blocks, t] = await Promise.all([Promise.all(registry.getMetricsAsArray().map((m) => renderMetric(registry, m))), tail]);
  // the lines of every block, joined once (renderRegistry) or chunk by chunk (renderRegistryStream):
  // no rope of 100k+ concatenations to flatten
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
  // the tail line by line, so a large one is chunked too (the same text once joined)
  if (t) for (const l of t.split('\n')) lines.push(l);
  return lines;
}

/** how many series' label texts renderRegistry() holds for the metrics of `registry` (tests, debugging) */
export function cachedSeries(registry: Registry<RegistryContentType>): number {
  let n = 0;
  for (const m of registry.getMetricsAsArray()) n += caches.get(m)?.entries.size ?? 0;
  return n;
}

/** a metric's text block: prom-client's string (fallback) or our lines, to be joined with '\n' */
async function renderMetric(registry: Registry<RegistryContentType>, metric: Metric): Promise<string | string[]> {
  if (isForwarded(metric)) return renderForwarded(metric);
  const kind = ownSeriesKind(metric);
  if (kind === undefined) return (registry as unknown as RegistryInternals).getMetricsAsString(metric);
  const m = metric as unknown as ScalarInternals | HistogramInternals;
  if (m.collect) {
    const v = m.collect();
    if (v instanceof Promise) await v;
  }
  return kind === 'histogram' ? renderHistogram(m as HistogramInternals, cacheFor<HistogramEntry>(metric, m.name)) : renderScalar(m as ScalarInternals, cacheFor<ScalarEntry>(metric, m.name));
}

/**
 * a metric's cache (its kind never changes: ownSeriesKind() reads it from the metric's class), new
 * when the metric's name changed: every head holds the name, and hit() reads only the labels
 */
function cacheFor<E>(metric: Metric, name: string): MetricCache<E> {
  let c = caches.get(metric) as MetricCache<E> | undefined;
  if (!c || c.name !== name) caches.set(metric, (c = { name, entries: new Map(), generation: 0, lastKeys: [] }) as MetricCache<ScalarEntry>);
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

function sweep(cache: MetricCache<{ seen: number }>, live: number): void {
  if (cache.entries.size <= live) return;
  for (const [k, e] of cache.entries) if (e.seen !== cache.generation) cache.entries.delete(k);
}

/**
 * Whether a cached entry still describes `labels`: the same own keys in the same order, and each
 * value's text where the entry's head has it (the first label's key starts at `at`). No copy of
 * the values is kept to compare with; the head is read instead:
 * - a number's text, or an escaped string's (entries whose head has an escape), must be followed
 *   by the closing quote. Escaped text is a run of self-delimiting tokens (a backslash always
 *   starts a two-character one), so a quote right after a whole escaped value is never part of it.
 * - in an entry without escapes (nearly all), a value that needs none is its own text, and it
 *   matches when the head's first quote from there is right after it — which also rejects a value
 *   holding a quote. A value holding a backslash or a newline cannot equal text without escapes.
 * Keys are not checked to be own here (keysOf() did when the entry was made): a cached key that
 * becomes inherited, by changing the labels object's prototype after set(), still prints. No
 * caller does that, and a hasOwnProperty call per label per render would cost every render.
 */
function hit(e: { keys: readonly string[]; head: string; escaped: boolean }, labels: Labels, at: number): boolean {
  const { keys, head, escaped } = e;
  let i = 0;
  let pos = at;
  for (const k in labels) {
    if (i >= keys.length || k !== keys[i]) return false;
    pos += k.length + 2; // k="
    const v = labels[k];
    let t: string;
    if (typeof v === 'string') {
      if (!escaped) {
        if (!quotedAt(head, pos, v, true)) return false;
        pos += v.length + 2; // ",
        i++;
        continue;
      }
      t = escapeLabelValue(v) as string;
    } else if (typeof v === 'number') t = `${v}`;
    else return false;
    if (!quotedAt(head, pos, t, false)) return false;
    pos += t.length + 2;
    i++;
  }
  return i === keys.length;
}

/**
 * whether `head` holds `t` at `pos` followed by a quote (and, with `noQuote`, no quote in `t`);
 * a loop of charCodeAt, which optimized code inlines, rather than a startsWith and an indexOf call
 * per label (with those, three interleaved `npm run bench -- exposition` runs rendered the unchanged
 * registry in 54–68 ms, against 45–47 ms when the values were compared with a copy)
 */
function quotedAt(head: string, pos: number, t: string, noQuote: boolean): boolean {
  const n = t.length;
  if (head.charCodeAt(pos + n) !== 34) return false;
  for (let c = 0; c < n; c++) {
    const ch = t.charCodeAt(c);
    if (ch !== head.charCodeAt(pos + c) || (noQuote && ch === 34)) return false;
  }
  return true;
}

/**
 * a new entry's keys, or undefined when a key is inherited or a value is neither string nor
 * number; the array is shared with the previous entry when equal (series of a family mostly have
 * the same keys)
 */
function keysOf(labels: Labels, cache: MetricCache<unknown>): string[] | undefined {
  // gathered into a scratch array, copied only when they differ from the previous entry's
  let n = 0;
  for (const k in labels) {
    // for-in also walks inherited enumerable keys, which Object.entries (prom-client) skips
    if (!Object.prototype.hasOwnProperty.call(labels, k)) return undefined;
    const v = labels[k];
    if (typeof v !== 'string' && typeof v !== 'number') return undefined;
    scratchKeys[n] = k;
    n++;
  }
  const last = cache.lastKeys;
  let same = last.length === n;
  for (let i = 0; same && i < n; i++) same = last[i] === scratchKeys[i];
  return same ? last : (cache.lastKeys = scratchKeys.slice(0, n));
}

const scratchKeys: string[] = [];

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
function settle(e: HistogramEntry): void {
  if (e.flat) return;
  flatten(e.text);
  e.flat = true;
}

function renderScalar(m: ScalarInternals, cache: MetricCache<ScalarEntry>): string[] {
  const { name, out } = familyHeader(m);
  const { hashMap } = m;
  const { entries, generation } = cache;
  // where the first label's key starts in a head: after `name{`
  const at = name.length + 1;
  const hashes = Object.keys(hashMap);
  for (const h of hashes) {
    const val = hashMap[h]!;
    const labels = val.labels;
    if (labels === null || typeof labels !== 'object') {
      out.push(promLine({ value: val.value, labels }, name));
      continue;
    }
    let e = entries.get(h);
    if (e === undefined || !hit(e, labels, at)) {
      const keys = keysOf(labels, cache);
      if (keys === undefined) {
        out.push(promLine({ value: val.value, labels }, name));
        continue;
      }
      const pairs = formatPairs(keys, labels);
      e = new ScalarEntry(keys, flatten(pairs ? `${name}{${pairs}} ` : `${name} `), pairs.includes('\\'), generation);
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

function renderHistogram(m: HistogramInternals, cache: MetricCache<HistogramEntry>): string[] {
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
    let e = labels !== null && typeof labels === 'object' ? entries.get(h) : undefined;
    // a head is `,…} `: the first label's key starts at 1
    if (e === undefined || !hit(e, labels, 1)) {
      const keys = labels !== null && typeof labels === 'object' && !Object.prototype.hasOwnProperty.call(labels, 'le') ? keysOf(labels, cache) : undefined;
      if (keys === undefined) {
        histogramSeriesSlow(m, d, out);
        continue;
      }
      const pairs = formatPairs(keys, labels);
      const rest = pairs ? `{${pairs}}` : '';
      e = new HistogramEntry(keys, flatten(pairs ? `,${pairs}} ` : '} '), pairs.includes('\\'), flatten(`${m.name}_sum${rest} `), flatten(`${m.name}_count${rest} `), generation);
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
      const pairs = formatPairs(Object.keys(s.labels), s.labels);
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
function histogramSeriesSlow(m: HistogramInternals, d: HistogramSeries, out: string[]): void {
  let acc = 0;
  const bucketName = `${m.name}_bucket`;
  for (const b of m.upperBounds) {
    acc += d.bucketValues[b as unknown as string]!;
    out.push(promLine({ labels: { le: b }, sharedLabels: d.labels, value: acc, metricName: bucketName }, bucketName));
  }
  out.push(promLine({ labels: { le: '+Inf' }, sharedLabels: d.labels, value: d.count, metricName: bucketName }, bucketName));
  out.push(promLine({ labels: {}, sharedLabels: d.labels, value: d.sum, metricName: `${m.name}_sum` }, m.name));
  out.push(promLine({ labels: {}, sharedLabels: d.labels, value: d.count, metricName: `${m.name}_count` }, m.name));
}

// ---- line-for-line ports of prom-client 15.1.3 lib/registry.js and lib/util.js (Prometheus format) ----

interface PromValue {
  metricName?: string;
  labels?: Labels | undefined;
  sharedLabels?: Labels | undefined;
  value: unknown;
}

/** getMetricsAsString's body for one value, without exemplars (OpenMetrics only) and default labels (renderRegistry() leaves those to prom-client) */
function promLine(val: PromValue, name: string): string {
  const { metricName = name, labels = {}, sharedLabels = {} } = val;
  const parts = [...formatLabels(labels, sharedLabels), formatLabels(sharedLabels, undefined).join(',')].filter(Boolean);
  return `${metricName}${parts.length ? `{${parts.join(',')}}` : ''} ${valueString(val.value)}`;
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

/** formatLabels(labels).join(',') for labels whose own keys are `keys` (in order) and whose values are strings or numbers */
function formatPairs(keys: readonly string[], labels: Labels): string {
  let out = '';
  for (let i = 0; i < keys.length; i++) {
    const v = labels[keys[i]!] as string | number;
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

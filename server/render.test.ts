import { describe, expect, it } from 'vitest';
import { Counter, Gauge, Histogram, Registry, Summary, type OpenMetricsContentType } from 'prom-client';
import { SeriesWriter } from '../collector/series.js';
import { ForwardedHistogram } from '../collector/traefik/forwarded-histogram.js';
import { createMemoryLogger } from '../lib/log.js';
import { createApp } from './app.js';
import { cachedSeries, renderRegistry, renderRegistryStream } from './render.js';

/** ours must equal prom-client's, byte for byte; returns the text for further assertions */
async function same(registry: Registry): Promise<string> {
  const ours = await renderRegistry(registry);
  const theirs = await registry.metrics();
  expect(ours).toBe(theirs);
  return ours;
}

/** a registry with every kind of family and the awkward values and labels */
function varied() {
  const registry = new Registry();
  const r = [registry];
  const plain = new Counter({ name: 'ts_plain_total', help: 'no labels', registers: r });
  const requests = new Counter({ name: 'ts_requests_total', help: 'help with \\ backslash and\nnewline', labelNames: ['tenant', 'code'], registers: r });
  const level = new Gauge({ name: 'ts_level', help: 'gauge "quoted" help', labelNames: ['tenant', 'kind'], registers: r });
  const empty = new Gauge({ name: 'ts_empty', help: 'labelled, never set', labelNames: ['tenant'], registers: r });
  const duration = new Histogram({ name: 'ts_duration_seconds', help: 'histogram', labelNames: ['tenant'], buckets: [0.0000001, 0.005, 0.1, 1, 2.5, 1e21], registers: r });
  const bare = new Histogram({ name: 'ts_bare_seconds', help: 'histogram without labels, default buckets', registers: r });
  const latency = new Summary({ name: 'ts_latency_seconds', help: 'summary', labelNames: ['tenant'], percentiles: [0.5, 0.9, 0.99], registers: r });
  const forwarded = new ForwardedHistogram('ts_traefik_duration_seconds', 'forwarded from Traefik', ['tenant', 'ingress'], registry);

  plain.inc(3);
  requests.inc({ tenant: 'acme', code: '2xx' }, 5);
  requests.inc({ tenant: 'quote"d', code: '5xx' }, 1.5);
  requests.inc({ tenant: 'back\\slash', code: '4xx' });
  requests.inc({ tenant: 'new\nline', code: '2xx' }, 2);
  requests.inc({ tenant: '', code: '3xx' }, 0);
  level.set({ tenant: 'acme', kind: 'nan' }, Number.NaN);
  level.set({ tenant: 'acme', kind: 'inf' }, Number.POSITIVE_INFINITY);
  level.set({ tenant: 'acme', kind: 'ninf' }, Number.NEGATIVE_INFINITY);
  level.set({ tenant: 'acme', kind: 'int' }, 42);
  level.set({ tenant: 'acme', kind: 'neg' }, -0.25);
  level.set({ tenant: 'acme', kind: 'big' }, 1e21);
  level.set({ tenant: 'acme', kind: 'tiny' }, 1e-7);
  level.set({ tenant: 'acme', kind: 'negzero' }, -0);
  level.set({ kind: 'only-kind' }, 7); // a label left out
  level.set({ kind: 'reordered', tenant: 'globex' }, 1); // keys in another order than labelNames
  level.set({ tenant: 'acme', kind: 200 }, 3); // a number as label value
  for (const v of [0, 0.003, 0.1, 0.7, 3, 1e22]) duration.observe({ tenant: 'acme' }, v);
  duration.observe({ tenant: 'glo"bex' }, 0.02);
  duration.zero({ tenant: 'zeroed' });
  bare.observe(0.3);
  for (const v of [0.1, 0.2, 0.3, 0.4, 5]) latency.observe({ tenant: 'acme' }, v);
  latency.observe({ tenant: 'globex' }, 1);
  forwarded.add({ tenant: 'acme', ingress: 'edge' }, { buckets: new Map([[0.1, 5], [0.3, 7], [1.2, 9], [5, 10], [Number.POSITIVE_INFINITY, 10]]), sum: 2.5, count: 10 });
  forwarded.add({ tenant: 'globex', ingress: 'edge' }, { buckets: new Map([[0.1, 1]]), sum: 0.05, count: 1 });
  return { registry, plain, requests, level, empty, duration, bare, latency, forwarded };
}

describe('renderRegistry', () => {
  it('renders a varied registry exactly as registry.metrics() does', async () => {
    const { registry } = varied();
    const text = await same(registry);
    // the awkward cases are really in there, so the comparison covers them
    expect(text).toContain('ts_level{tenant="acme",kind="nan"} Nan');
    expect(text).toContain('ts_level{tenant="acme",kind="ninf"} -Inf');
    expect(text).toContain('ts_level{kind="reordered",tenant="globex"} 1');
    expect(text).toContain('ts_requests_total{tenant="quote\\"d",code="5xx"} 1.5');
    expect(text).toContain('ts_requests_total{tenant="new\\nline",code="2xx"} 2');
    expect(text).toContain('# HELP ts_requests_total help with \\\\ backslash and\\nnewline');
    expect(text).toContain('ts_duration_seconds_bucket{le="1e-7",tenant="acme"} 1');
    expect(text).toContain('ts_duration_seconds_bucket{le="+Inf",tenant="acme"} 6');
    expect(text).toContain('ts_latency_seconds{quantile="0.5",tenant="acme"}');
    expect(text).toContain('ts_traefik_duration_seconds_bucket{tenant="acme",ingress="edge",le="+Inf"} 10');
    expect(text).toContain('# TYPE ts_empty gauge\n\n');
  });

  it('formats a forwarded histogram from its series, without a get() snapshot, as prom-client prints that snapshot', async () => {
    const registry = new Registry();
    const fh = new ForwardedHistogram('fwd_seconds', 'forwarded', ['tenant', 'ingress'], registry);
    fh.add({ tenant: 'qu"ote\\d', ingress: 'edge' }, { buckets: new Map([[5, 3], [0.1, 1]]), sum: 0.3, count: 3 });
    fh.add({ ingress: 'edge', tenant: 'reordered' }, { buckets: new Map(), sum: 0, count: 0 });
    let gets = 0;
    const get = fh.get.bind(fh);
    fh.get = () => (gets++, get());
    const text = await renderRegistry(registry);
    expect(gets).toBe(0);
    expect(text).toBe(await registry.metrics());
    expect(text).toContain('fwd_seconds_bucket{tenant="qu\\"ote\\\\d",ingress="edge",le="0.1"} 1');
    expect(text).toContain('fwd_seconds_bucket{ingress="edge",tenant="reordered",le="+Inf"} 0');
    // a second render (heads cached) after new increments and a removal
    fh.add({ tenant: 'qu"ote\\d', ingress: 'edge' }, { buckets: new Map([[0.1, 2]]), sum: 0.1, count: 2 });
    fh.remove({ ingress: 'edge', tenant: 'reordered' });
    expect(await renderRegistry(registry)).toBe(await registry.metrics());
  });

  it('joins a tail (OpenTelemetry\'s text) after a newline, as /metrics appended it, on the fast path and the fallback', async () => {
    const tail = '# TYPE otel_x counter\notel_x 1\n';
    expect(await renderRegistry(new Registry(), tail)).toBe('\n\n' + tail);
    expect(await renderRegistry(new Registry(), Promise.resolve(''))).toBe('\n');
    const registry = new Registry();
    new Gauge({ name: 'g', help: 'g', labelNames: ['tenant'], registers: [registry] }).set({ tenant: 'a' }, 1);
    expect(await renderRegistry(registry, Promise.resolve(tail))).toBe(`${await registry.metrics()}\n${tail}`);
    (registry as unknown as Registry<OpenMetricsContentType>).setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
    expect(await renderRegistry(registry, tail)).toBe(`${await registry.metrics()}\n${tail}`);
  });

  it('stays equal to registry.metrics() after SeriesWriter writes into prom-client\'s entries (collector/series.ts)', async () => {
    const registry = new Registry();
    const c = new Counter({ name: 'c_total', help: 'c', labelNames: ['tenant', 'ingress'], registers: [registry] });
    const g = new Gauge({ name: 'g', help: 'g', labelNames: ['tenant', 'ingress'], registers: [registry] });
    const w = new SeriesWriter();
    const labels = (tenant: string) => () => ({ tenant, ingress: 'edge' });
    for (let tick = 0; tick < 4; tick++) {
      w.inc(c, 'a', labels('a'), tick);
      w.set(g, 'a', labels('a'), tick % 2 ? Number.NaN : tick);
      w.set(g, 'b', labels('b'), 7);
      expect(await renderRegistry(registry)).toBe(await registry.metrics());
    }
    expect(await registry.metrics()).toContain('c_total{tenant="a",ingress="edge"} 6');
  });

  it('follows a metric renamed after its series were cached (prom-client renames a counter when it renders OpenMetrics)', async () => {
    const registry = new Registry();
    new Counter({ name: 'c_total', help: 'c', registers: [registry] }).inc();
    new Counter({ name: 'd_total', help: 'd', labelNames: ['tenant'], registers: [registry] }).inc({ tenant: 'a' });
    expect(await same(registry)).toContain('c_total 1');
    const om = registry as unknown as Registry<OpenMetricsContentType>;
    om.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
    await registry.metrics();
    om.setContentType(Registry.PROMETHEUS_CONTENT_TYPE as never);
    const text = await same(registry);
    expect(text).toContain('\nc 1');
    expect(text).toContain('\nd{tenant="a"} 1');
  });

  it('renders an empty registry and a registry of unlabelled metrics', async () => {
    expect(await same(new Registry())).toBe('\n');
    const registry = new Registry();
    new Counter({ name: 'a_total', help: 'a', registers: [registry] });
    new Gauge({ name: 'b', help: 'b', registers: [registry] }).set(2);
    expect(await same(registry)).toBe('# HELP a_total a\n# TYPE a_total counter\na_total 0\n\n# HELP b b\n# TYPE b gauge\nb 2\n');
  });

  it('applies default labels as prom-client does, and follows a change of them', async () => {
    const { registry, duration, level } = varied();
    registry.setDefaultLabels({ region: 'eu\n"1"', tenant: 'fallback' });
    let text = await same(registry);
    expect(text).toContain('ts_plain_total{region="eu\\n\\"1\\"",tenant="fallback"} 3');
    expect(text).toContain('ts_level{tenant="acme",kind="int",region="eu\\n\\"1\\""} 42');
    expect(text).toContain('ts_duration_seconds_bucket{le="0.1",region="eu\\n\\"1\\"",tenant="acme"}');
    registry.setDefaultLabels({ zone: 'b', le: 'weird' });
    duration.observe({ tenant: 'acme' }, 0.5);
    level.set({ tenant: 'acme', kind: 'int' }, 43);
    text = await same(registry);
    expect(text).toContain('ts_level{tenant="acme",kind="int",zone="b",le="weird"} 43');
    expect(text).toContain('ts_duration_seconds_sum{zone="b",le="weird",tenant="acme"}');
    registry.setDefaultLabels({});
    text = await same(registry);
    expect(text).toContain('ts_level{tenant="acme",kind="int"} 43');
  });

  it('stays identical across renders with changed values, new series and removed series', async () => {
    const { registry, plain, requests, level, empty, duration, latency, forwarded } = varied();
    await same(registry);
    await same(registry); // second render: everything from the cache

    plain.inc(2);
    requests.inc({ tenant: 'acme', code: '2xx' }, 1);
    level.set({ kind: 'nan', tenant: 'acme' }, 5); // fresh object, other key order: the line's label order changes
    level.set({ tenant: 'acme', kind: 'int' }, Number.NaN);
    duration.observe({ tenant: 'acme' }, 0.05);
    latency.observe({ tenant: 'acme' }, 0.6);
    let text = await same(registry);
    expect(text).toContain('ts_level{kind="nan",tenant="acme"} 5');
    expect(text).toContain('ts_plain_total 5');

    requests.inc({ tenant: 'initech', code: '2xx' }, 4);
    empty.set({ tenant: 'acme' }, 1);
    duration.observe({ tenant: 'initech' }, 0.2);
    forwarded.add({ tenant: 'initech', ingress: 'edge' }, { buckets: new Map([[0.3, 2]]), sum: 0.4, count: 2 });
    text = await same(registry);
    expect(text).toContain('ts_requests_total{tenant="initech",code="2xx"} 4');
    expect(text).toContain('ts_duration_seconds_count{tenant="initech"} 1');

    requests.remove({ tenant: 'acme', code: '2xx' });
    level.remove({ tenant: 'acme', kind: 'inf' });
    duration.remove({ tenant: 'glo"bex' });
    latency.remove({ tenant: 'globex' });
    forwarded.remove({ tenant: 'acme', ingress: 'edge' });
    text = await same(registry);
    expect(text).not.toContain('ts_requests_total{tenant="acme",code="2xx"}');
    expect(text).not.toContain('kind="inf"');
    expect(text).not.toContain('glo\\"bex');

    // a removed series that comes back starts from scratch in both
    requests.inc({ tenant: 'acme', code: '2xx' }, 9);
    duration.observe({ tenant: 'glo"bex' }, 3);
    text = await same(registry);
    expect(text).toContain('ts_requests_total{tenant="acme",code="2xx"} 9');

    registry.resetMetrics();
    await same(registry);
    level.set({ tenant: 'acme', kind: 'int' }, 1);
    await same(registry);
  });

  it('lets go of the cached label text of removed series', async () => {
    const registry = new Registry();
    const c = new Counter({ name: 'c_total', help: 'c', labelNames: ['tenant'], registers: [registry] });
    const h = new Histogram({ name: 'h_seconds', help: 'h', labelNames: ['tenant'], buckets: [1], registers: [registry] });
    for (const tenant of ['a', 'b', 'c']) {
      c.inc({ tenant });
      h.observe({ tenant }, 0.5);
    }
    await same(registry);
    expect(cachedSeries(registry)).toBe(6);
    c.remove({ tenant: 'a' });
    h.remove({ tenant: 'b' });
    await same(registry);
    expect(cachedSeries(registry)).toBe(4);
    c.reset();
    await same(registry);
    expect(cachedSeries(registry)).toBe(2);
  });

  it('re-reads a labels object mutated after it was passed to a counter or gauge', async () => {
    const registry = new Registry();
    const g = new Gauge({ name: 'g', help: 'g', labelNames: ['tenant', 'extra'], registers: [registry] });
    const labels: Record<string, string> = { tenant: 'a' };
    g.set(labels, 1);
    expect(await same(registry)).toContain('g{tenant="a"} 1');
    labels.tenant = 'b'; // prom-client keeps the object, so its output follows the mutation
    expect(await same(registry)).toContain('g{tenant="b"} 1');
    labels.extra = 'x';
    expect(await same(registry)).toContain('g{tenant="b",extra="x"} 1');
  });

  it('tells a mutated value from the cached label text it could be mistaken for', async () => {
    // the cache compares values with the text it formatted, not with a copy of the values: each
    // mutation below reads like a prefix, an extension or an escaping of that text
    const registry = new Registry();
    const g = new Gauge({ name: 'g', help: 'g', labelNames: ['tenant', 'code'], registers: [registry] });
    const plain: Record<string, string | number> = { tenant: 'ab', code: 'x' };
    const newline: Record<string, string | number> = { tenant: 'd\n', code: 'x' };
    const backslash: Record<string, string | number> = { tenant: 'd\\n', code: 'x' };
    const last: Record<string, string | number> = { code: 'y', tenant: 'ab' }; // its tenant is the last label
    g.set(plain, 1);
    g.set(last, 4);
    g.set(newline, 2);
    g.set(backslash, 3);
    const steps: [Record<string, string | number>, string | number][] = [
      [plain, 'a'], // a prefix of the cached text
      [plain, 'a",code="x'], // runs on over the next label's text
      [plain, 'ab"'],
      [plain, 'ab\\'],
      [plain, 'ab'], // back: the cached text is right again
      [plain, 12],
      [plain, '12'], // the same text as the number
      [newline, 'd\\n'], // the escaped text of the old value, taken literally
      [newline, 'd'],
      [backslash, 'd\n'],
      [backslash, 'd\\'],
      [last, 'a'], // a prefix, with nothing after it to misalign
      [last, 'ab"'],
      [last, 12],
      [last, 1],
      [last, 'd\n'],
      [last, 'd'], // a prefix of escaped text
    ];
    for (const [labels, v] of steps) {
      labels.tenant = v;
      await same(registry);
    }
    // (a histogram's labels object is not mutated here: prom-client prints its first text, see the file comment of render.ts)
    expect(await same(registry)).toContain('g{tenant="d\\\\",code="x"} 3');
  });

  it('calls collect() hooks once per render, before reading the values', async () => {
    const registry = new Registry();
    let calls = 0;
    let source = 10;
    new Gauge({
      name: 'collected',
      help: 'set by collect',
      labelNames: ['tenant'],
      registers: [registry],
      collect() {
        calls++;
        this.set({ tenant: 'acme' }, source);
      },
    });
    new Gauge({
      name: 'async_collected',
      help: 'set by an async collect',
      registers: [registry],
      async collect() {
        await Promise.resolve();
        this.set(source * 2);
      },
    });
    expect(await renderRegistry(registry)).toContain('collected{tenant="acme"} 10\n\n# HELP async_collected');
    expect(calls).toBe(1);
    source = 11;
    expect(await same(registry)).toContain('async_collected 22\n');
    expect(calls).toBe(3);
  });

  it('falls back to prom-client for OpenMetrics registries and subclasses that override get()', async () => {
    const om = new Registry<OpenMetricsContentType>();
    om.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
    new Counter({ name: 'om_requests_total', help: 'h', labelNames: ['tenant'], registers: [om] }).inc({ tenant: 'a' });
    const omOurs = await renderRegistry(om);
    expect(omOurs).toBe(await om.metrics());
    expect(omOurs).toContain('# EOF');

    class Doubled extends Gauge {
      override async get() {
        const v = await super.get();
        return { ...v, values: v.values.map((x) => ({ ...x, value: x.value * 2 })) };
      }
    }
    const registry = new Registry();
    new Doubled({ name: 'doubled', help: 'd', labelNames: ['tenant'], registers: [registry] }).set({ tenant: 'a' }, 2);
    expect(await same(registry)).toContain('doubled{tenant="a"} 4');
  });

  it('matches prom-client over a random sequence of updates, removals and renders', async () => {
    const registry = new Registry();
    const r = [registry];
    const c = new Counter({ name: 'fz_total', help: 'c', labelNames: ['tenant', 'code'], registers: r });
    const g = new Gauge({ name: 'fz_gauge', help: 'g', labelNames: ['tenant', 'code'], registers: r });
    const h = new Histogram({ name: 'fz_seconds', help: 'h', labelNames: ['tenant'], buckets: [0.1, 1, 10], registers: r });
    let seed = 7;
    const rnd = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return Math.floor((seed / 2 ** 31) * n); // the high bits: an LCG's low bits cycle quickly
    };
    const tenants = ['a', 'b"', 'c\\', 'd\n', 'e'];
    const specials = [0, 1, -1, 0.5, 1e21, 1e-7, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY];
    let renders = 0;
    for (let step = 0; step < 400; step++) {
      const tenant = tenants[rnd(tenants.length)]!;
      const code = String(rnd(3));
      switch (rnd(8)) {
        case 0:
          c.inc({ tenant, code }, rnd(5));
          break;
        case 1:
          g.set(rnd(2) ? { tenant, code } : { code, tenant }, specials[rnd(specials.length)]!);
          break;
        case 2:
          h.observe({ tenant }, rnd(200) / 10);
          break;
        case 3:
          c.remove({ tenant, code });
          break;
        case 4:
          g.remove({ tenant, code });
          break;
        case 5:
          h.remove({ tenant });
          break;
        case 6:
          if (rnd(10) === 0) registry.setDefaultLabels(rnd(2) ? { tenant: 'dflt', pod: `p${rnd(3)}` } : {});
          break;
        default:
          await same(registry);
          renders++;
      }
    }
    await same(registry);
    expect(renders).toBeGreaterThan(20);
  });

  it('serves /metrics from the cached render, identical to prom-client', async () => {
    const { registry } = varied();
    const app = createApp({ registry, logger: createMemoryLogger() });
    for (let i = 0; i < 2; i++) {
      const res = await app.request('/metrics');
      expect(res.status).toBe(200);
      expect(await res.text()).toBe(await registry.metrics());
    }
  });
});

describe('renderRegistryStream', () => {
  /** the stream's chunks, and their bytes joined */
  async function drain(stream: ReadableStream<Uint8Array>): Promise<{ chunks: Uint8Array[]; bytes: Buffer }> {
    const chunks: Uint8Array[] = [];
    for await (const c of stream as unknown as AsyncIterable<Uint8Array>) chunks.push(c);
    return { chunks, bytes: Buffer.concat(chunks) };
  }

  it('writes renderRegistry()\'s bytes in chunks of about 64 KiB, multi-byte labels included', async () => {
    const registry = new Registry();
    const g = new Gauge({ name: 'ts_usage', help: 'usage', labelNames: ['tenant', 'pod'], registers: [registry] });
    // ~3,000 lines of ~60 characters, some of them 2- and 3-byte UTF-8
    for (let i = 0; i < 3000; i++) g.set({ tenant: i % 3 === 0 ? `café-${i}` : i % 3 === 1 ? `租户-${i}` : `acme-${i}`, pod: `pod-${i}-abcdefghij` }, i / 7);
    const text = await renderRegistry(registry, '# TYPE otel_x counter\notel_x 1\n');
    const { chunks, bytes } = await drain(await renderRegistryStream(registry, '# TYPE otel_x counter\notel_x 1\n'));
    expect(bytes.equals(Buffer.from(text, 'utf8'))).toBe(true);
    expect(chunks.length).toBeGreaterThan(2);
    for (const c of chunks) expect(c.byteLength).toBeLessThan(3 * 70 * 1024);
  });

  it('writes the empty registry, a registry prom-client renders itself, and a tail exactly', async () => {
    expect((await drain(await renderRegistryStream(new Registry()))).bytes.toString()).toBe('\n');
    const registry = new Registry();
    new Gauge({ name: 'g', help: 'g', labelNames: ['tenant'], registers: [registry] }).set({ tenant: 'a' }, 1);
    (registry as unknown as Registry<OpenMetricsContentType>).setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
    const tail = '# TYPE otel_x counter\notel_x 1\n';
    expect((await drain(await renderRegistryStream(registry, tail))).bytes.toString()).toBe(`${await registry.metrics()}\n${tail}`);
  });

  it('chunks a large tail (OpenTelemetry\'s text) too, to the same bytes', async () => {
    const tail = Array.from({ length: 5000 }, (_, i) => `otel_x{i="${i}"} ${i}`).join('\n') + '\n';
    const { chunks, bytes } = await drain(await renderRegistryStream(new Registry(), tail));
    expect(bytes.toString('utf8')).toBe(await renderRegistry(new Registry(), tail));
    expect(chunks.length).toBeGreaterThan(1);
  });

  it('never splits a surrogate pair (an emoji) between two chunks of a registry prom-client renders itself', async () => {
    const registry = new Registry();
    const g = new Gauge({ name: 'g', help: 'g', labelNames: ['t'], registers: [registry] });
    (registry as unknown as Registry<OpenMetricsContentType>).setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
    // the emoji's first half at the last code unit of the first 64 KiB chunk
    g.set({ t: 'x' }, 1);
    const prefix = (await registry.metrics()).indexOf('g{t="') + 'g{t="'.length;
    g.reset();
    g.set({ t: 'a'.repeat(64 * 1024 - 1 - prefix) + '😀' }, 1);
    const text = await registry.metrics();
    expect(text.charCodeAt(64 * 1024 - 1)).toBe('😀'.charCodeAt(0));
    const { bytes } = await drain(await renderRegistryStream(registry));
    expect(bytes.toString('utf8')).toBe(text);
  });

  it('fails before the response starts when a metric\'s collect() throws: /metrics answers 500, not a cut-off 200', async () => {
    const registry = new Registry();
    new Gauge({ name: 'ok', help: 'ok', registers: [registry] }).set(1);
    new Gauge({
      name: 'broken',
      help: 'broken',
      registers: [registry],
      collect() {
        throw new Error('collect failed');
      },
    });
    await expect(renderRegistryStream(registry)).rejects.toThrow('collect failed');
    const logger = createMemoryLogger();
    const res = await createApp({ registry, logger }).request('/metrics');
    expect(res.status).toBe(500);
    expect((await res.json()) as unknown).toMatchObject({ error: { code: 'TS_INTERNAL' } });
  });
});

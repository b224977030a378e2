/**
 * `npx tsx bench/run.ts exposition`: the parsing and rendering paths of the Traefik collector.
 * 1. Access-log lines per second: our parse path (JSON.parse + field reads + tenant attribution +
 *    per-tenant aggregation), and the whole collector tick from file to prom-client, against a bare
 *    `JSON.parse` loop over the same lines (the limit). Target ≥ 50 % of bare.
 * 2. The exposition parser on the recorded cAdvisor / kube-state-metrics payloads, beside
 *    `promtool check metrics` (Go expfmt parser + lint, process start included).
 * 3. One `/metrics` render of the tenantscope families in collector/*\/metrics.ts filled for 1,000
 *    tenants and 10,000 pods: prom-client's `registry.metrics()` beside server/render.ts
 *    `renderRegistry()` (the text /metrics serves; it writes it in 64 KiB chunks, renderRegistryStream()),
 *    checked byte-identical. Target ≤ 200 ms.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Counter, Gauge, Histogram, Registry, Summary } from 'prom-client';
import { parseExposition } from '../collector/exposition/index.js';
import { createKubernetesMetrics } from '../collector/kubernetes/metrics.js';
import { createPostgresMetrics } from '../collector/postgres/metrics.js';
import { createRedisMetrics } from '../collector/redis/metrics.js';
import { AccessLogBatch, createTraefikCollector, ingressMetricsFor } from '../collector/traefik/index.js';
import { ForwardedHistogram } from '../collector/traefik/forwarded-histogram.js';
import { configSchema } from '../config/index.js';
import { ManualClock } from '../lib/clock.js';
import { createLogger } from '../lib/log.js';
import { createTenantResolver } from '../tenancy/index.js';
import { AccessLogWriter, syntheticEntry, type AccessLogEntry } from '../test/standins/traefik.js';
import { renderRegistry } from '../server/render.js';
import { collectGarbage, median, table, type BenchContext, type BenchSection } from './harness.js';

const fixture = (p: string) => readFileSync(new URL(`../test/fixtures/${p}`, import.meta.url), 'utf8');
const ms = (t0: number) => performance.now() - t0;

const tenancy = configSchema.parse({
  tenancy: {
    rules: {
      namespace: { name: '^tenant-(?<tenant>[a-z0-9]+)$' },
      traefik: [{ service: '^tenant-(?<tenant>[a-z0-9]+)-odoo' }, { host: '^(?<tenant>[a-z0-9]+)\\.erp\\.example\\.com$' }],
    },
  },
}).tenancy;

async function accessLog(ctx: BenchContext, dir: string): Promise<string> {
  const n = ctx.quick ? 20_000 : 50_000;
  const file = join(dir, 'access.json');
  const w = new AccessLogWriter(file);
  const entries: AccessLogEntry[] = [];
  for (let i = 0; i < n; i++) {
    entries.push(syntheticEntry(i, `t${i % 200}`));
    if (entries.length === 10_000) w.write(entries.splice(0));
  }
  w.write(entries);
  w.close();
  let text: string | undefined = readFileSync(file, 'utf8');
  const bytes = text.length;
  const lines = text.split('\n').filter((l) => l.length > 0);
  text = undefined; // only the lines stay in memory: less for the collector tick's GC to walk
  ctx.progress(`access log: ${lines.length} lines, ${(bytes / 2 ** 20).toFixed(1)} MiB`);
  const runs = ctx.quick ? 3 : 7;
  const resolver = createTenantResolver(tenancy);
  const resolve = resolver.traefik.bind(resolver);
  let sink = 0;
  let exported = 0;
  const bareMs: number[] = [];
  const batchMs: number[] = [];
  const tickMs: number[] = [];
  // interleaved, so that load from other processes on a shared machine hits the three paths alike
  for (let i = 0; i < runs; i++) {
    let t0 = performance.now();
    for (const l of lines) sink += (JSON.parse(l) as { DownstreamStatus: number }).DownstreamStatus;
    bareMs.push(ms(t0));

    t0 = performance.now();
    const b = new AccessLogBatch(resolve);
    for (const l of lines) b.add(l);
    sink += b.lines;
    batchMs.push(ms(t0));

    // the whole tick: read the file, split, decode, parse, attribute, aggregate, update prom-client
    const cfg = configSchema.parse({ sources: { traefik: [{ name: 'edge', accessLog: file, options: { logFromStart: true, logMaxBytesPerPoll: 2 ** 30 } }] } });
    const registry = new Registry();
    const c = createTraefikCollector(cfg.sources.traefik[0]!, { registry, resolver, clock: new ManualClock(0), logger: createLogger({ level: 'error' }) });
    t0 = performance.now();
    await c.collect();
    tickMs.push(ms(t0));
    await c.stop();
    exported = (await ingressMetricsFor(registry).logLines.get()).values[0]?.value ?? 0;
  }
  if (exported !== lines.length) throw new Error(`collector read ${exported} of ${lines.length} lines`);
  if (sink === 0) throw new Error('unreachable');
  const best = { bare: Math.min(...bareMs), batch: Math.min(...batchMs), tick: Math.min(...tickMs) };
  const med = { bare: median(bareMs), batch: median(batchMs), tick: median(tickMs) };
  const rate = (t: number) => Math.round(lines.length / (t / 1000));
  const pct = (a: number, b: number) => `${((a / b) * 100).toFixed(0)} %`;
  return [
    table(
      ['path', 'lines/s (best run)', 'vs bare (best)', 'lines/s (median)', 'vs bare (median)'],
      [
        ['bare `JSON.parse` loop (the limit)', rate(best.bare), '100 %', rate(med.bare), '100 %'],
        ['parse path: AccessLogBatch.add (parse + attribute + aggregate)', rate(best.batch), pct(best.bare, best.batch), rate(med.batch), pct(med.bare, med.batch)],
        ['collector tick: file → tail → parse → prom-client', rate(best.tick), pct(best.bare, best.tick), rate(med.tick), pct(med.bare, med.tick)],
      ],
    ),
    '',
    `${lines.length} Traefik JSON lines (${(bytes / lines.length).toFixed(0)} bytes each on average; 200 tenants, chained routers, object ServiceURL, unmatched 404s), ${runs} interleaved runs; load average at the end ${loadavg()[0]!.toFixed(1)} on ${cpus().length} cores. Target ≥ 50 % of bare.`,
  ].join('\n');
}

function expositionParser(ctx: BenchContext): string {
  const rows: (string | number)[][] = [];
  for (const f of ['prometheus/cadvisor.txt', 'prometheus/cadvisor-legacy-labels.txt', 'prometheus/kube-state-metrics-v2.19.1.txt']) {
    const text = fixture(f);
    const r = parseExposition(text);
    if (Object.keys(r.errors).length) throw new Error(`${f}: ${JSON.stringify(r.errors)}`);
    const xs: number[] = [];
    for (let i = 0; i < (ctx.quick ? 5 : 30); i++) {
      const t0 = performance.now();
      parseExposition(text);
      xs.push(ms(t0));
    }
    const t = Math.min(...xs);
    const tm = median(xs);
    const pt = median(
      Array.from({ length: ctx.quick ? 1 : 5 }, () => {
        const t0 = performance.now();
        spawnSync('promtool', ['check', 'metrics'], { input: text });
        return ms(t0);
      }),
    );
    rows.push([f.replace('prometheus/', ''), (text.length / 1024).toFixed(0), r.samples, t.toFixed(2), tm.toFixed(2), (text.length / 2 ** 20 / (t / 1000)).toFixed(0), Math.round(r.samples / (t / 1000)), pt.toFixed(1)]);
  }
  return [
    table(['payload', 'KiB', 'samples', 'parseExposition ms (best)', 'ms (median)', 'MiB/s (best)', 'samples/s (best)', '`promtool check metrics` ms (process)'], rows),
    '',
    'Median of repeated parses in one process (warm JIT). promtool is the Go expfmt parser plus lint rules, timed as a whole process (start-up included), so it bounds the comparison from above rather than matching it.',
  ].join('\n');
}

const TENANTS = 1000;
const PODS_PER_TENANT = 10;
const NODES = 100;
const tname = (i: number) => `t${String(i).padStart(4, '0')}`;
const node = (i: number) => `node-${String(i).padStart(3, '0')}`;
/** the values a label takes per tenant (or for the fleet when `ti` is undefined) */
function labelValues(label: string, ti: number | undefined): string[] {
  switch (label) {
    case 'namespace':
      return [`tenant-${tname(ti ?? 0)}`];
    case 'node':
      // a tenant's 10 pods run on 3 nodes; fleet-level series cover every node
      return ti === undefined ? Array.from({ length: NODES }, (_, i) => node(i)) : [0, 1, 2].map((k) => node((ti * 7 + k * 31) % NODES));
    case 'pg_cluster':
      return [`pg-${(ti ?? 0) % 4}`];
    case 'datname':
      return [`${tname(ti ?? 0)}_prod`];
    case 'redis_instance':
      return [`redis-${(ti ?? 0) % 2}`];
    case 'ingress':
      return ['edge'];
    case 'code_class':
      return ['2xx', '3xx', '4xx', '5xx'];
    case 'wait_event_type':
      return ['CPU', 'IO', 'Lock', 'LWLock', 'Client'];
    case 'state':
      return ['active', 'idle', 'idle in transaction'];
    case 'command':
      return ['get', 'set', 'hgetall', 'del', 'expire'];
    case 'reason':
      return ['OOMKilled', 'Error'];
    case 'phase':
      return ['Running', 'Pending'];
    case 'workload':
      return ['odoo', 'odoo-cron'];
    case 'quantile':
      return ['0.5', '0.99'];
    case 'resource':
      return ['cpu', 'memory'];
    default:
      return ['x'];
  }
}

function combos(labels: readonly string[], ti: number | undefined): Record<string, string>[] {
  let out: Record<string, string>[] = [ti === undefined ? {} : { tenant: tname(ti) }];
  for (const l of labels) {
    if (l === 'tenant') continue;
    if (l === 'node_pool') continue; // derived from node below
    out = out.flatMap((o) => labelValues(l, ti).map((v) => ({ ...o, [l]: v })));
  }
  if (labels.includes('node_pool')) out = out.map((o) => ({ ...o, node_pool: `pool-${Number((o.node ?? 'node-0').slice(5)) % 4}` }));
  return out;
}

async function render(ctx: BenchContext): Promise<string> {
  const rssBefore = process.memoryUsage().rss;
  const registry = new Registry();
  const families: unknown[] = [
    ...Object.values(createKubernetesMetrics(registry)),
    ...Object.values(createPostgresMetrics(registry)),
    ...Object.values(createRedisMetrics(registry)),
    ...Object.values(ingressMetricsFor(registry)),
  ];
  /** round 0 fills every series; later rounds are a collector tick: every value changes, label objects are fresh */
  const fill = (round: number): number => {
    let series = 0;
    for (const f of families) {
      const labelNames = (f as { labelNames?: readonly string[] }).labelNames ?? [];
      const perTenant = labelNames.includes('tenant');
      for (let ti = 0; ti < (perTenant ? TENANTS : 1); ti++) {
        for (const labels of combos(labelNames, perTenant ? ti : undefined)) {
          series++;
          if (f instanceof Histogram || f instanceof Summary) for (const v of round ? [0.05 * round] : [0.012, 0.08, 0.4]) f.observe(labels, v);
          else if (f instanceof ForwardedHistogram) f.add(labels, { buckets: new Map([[0.1, 5], [0.3, 7], [1.2, 9], [5, 10], [Infinity, 10]]), sum: 2.5, count: 10 });
          else if (f instanceof Counter) f.inc(labels, 1 + (ti % 13));
          else if (f instanceof Gauge) f.set(labels, (labelNames.includes('node') && perTenant ? PODS_PER_TENANT / 3 : 1 + (ti % 7)) + round * 0.37);
          else series--;
        }
      }
    }
    return series;
  };
  const t0 = performance.now();
  const series = fill(0);
  const fillMs = ms(t0);
  ctx.progress(`render: ${series} label sets filled in ${fillMs.toFixed(0)} ms`);
  // the first renderRegistry() formats every label set and fills its cache: timed on its own, after a
  // full GC — in a collector the series' own objects were made by a tick well before the first scrape
  // and promoted by then; promoting them is the fill's cost, not the render's (its cache is made and
  // promoted inside the timed call)
  collectGarbage();
  let t1 = performance.now();
  let text = await renderRegistry(registry);
  const coldMs = ms(t1);
  const runs = ctx.quick ? 3 : 7;
  // one untimed render each before the timed runs (JIT warm-up; ours flattens its cached lines on first reuse)
  if ((await registry.metrics()) !== (await renderRegistry(registry))) throw new Error('renderRegistry() differs from registry.metrics() after the first render');
  const times = { prom: { still: [] as number[], tick: [] as number[] }, ours: { still: [] as number[], tick: [] as number[] } };
  // "still": nothing changed since the previous render; "tick": every series got a new value (and a
  // fresh labels object for gauges) since, as after a collection tick. Interleaved, alternating
  // which goes first, so load from other processes hits both alike.
  for (const phase of ['still', 'tick'] as const) {
    for (let i = 0; i < runs; i++) {
      if (phase === 'tick') fill(i + 1);
      let first: string | undefined;
      for (const which of i % 2 ? (['ours', 'prom'] as const) : (['prom', 'ours'] as const)) {
        t1 = performance.now();
        const out = which === 'prom' ? await registry.metrics() : await renderRegistry(registry);
        times[which][phase].push(ms(t1));
        if (first !== undefined && out !== first) throw new Error(`${phase} run ${i}: renderRegistry() differs from registry.metrics() (${out.length} vs ${first.length} chars)`);
        first = out;
      }
      if (phase === 'still' && first !== text) throw new Error(`still run ${i}: the text changed without any update`);
      text = first ?? text;
    }
  }
  const parsed = parseExposition(text);
  if (Object.keys(parsed.errors).length) throw new Error(`render not parseable: ${JSON.stringify(parsed.errors)}`);
  const rss = process.memoryUsage().rss;
  const bySource = new Map<string, number>();
  for (const f of parsed.families.values()) {
    const src = /^tenantscope_(k8s|pg|redis|ingress)_/.exec(f.name)?.[1] ?? 'other';
    bySource.set(src, (bySource.get(src) ?? 0) + f.samples.length);
  }
  const ratio = (a: number, b: number) => `${(a / b).toFixed(1)} ×`;
  return [
    table(
      ['tenants', 'pods', 'families', 'label sets', 'exposition samples', 'size MiB', 'process RSS MiB', 'RSS growth MiB'],
      [[TENANTS, TENANTS * PODS_PER_TENANT, families.length, series, parsed.samples, (text.length / 2 ** 20).toFixed(1), (rss / 2 ** 20).toFixed(0), ((rss - rssBefore) / 2 ** 20).toFixed(0)]],
    ),
    '',
    table(
      ['render', 'ms (best)', 'ms (median)', 'speed-up vs prom-client (median)'],
      [
        ['prom-client `registry.metrics()`, nothing changed since the last render', Math.min(...times.prom.still).toFixed(0), median(times.prom.still).toFixed(0), '1.0 ×'],
        ['`renderRegistry()` (server/render.ts, /metrics), nothing changed', Math.min(...times.ours.still).toFixed(0), median(times.ours.still).toFixed(0), ratio(median(times.prom.still), median(times.ours.still))],
        ['prom-client `registry.metrics()`, every series updated since', Math.min(...times.prom.tick).toFixed(0), median(times.prom.tick).toFixed(0), '1.0 ×'],
        ['`renderRegistry()`, every series updated since', Math.min(...times.ours.tick).toFixed(0), median(times.ours.tick).toFixed(0), ratio(median(times.prom.tick), median(times.ours.tick))],
        ['`renderRegistry()` first call (formats every label set into its cache)', coldMs.toFixed(0), coldMs.toFixed(0), ratio(median(times.prom.still), coldMs)],
      ],
    ),
    '',
    `Every family of collector/{kubernetes,postgres,redis,traefik}/metrics.ts filled directly: per tenant one database, one namespace, 10 pods on 3 of ${NODES} nodes, label values from small fixed sets (status classes, wait event types, commands…); histograms get 3 observations per series. Samples by source: ${[...bySource].map(([k, n]) => `${k} ${n}`).join(', ')}. Render = one call producing the whole text (target ≤ 200 ms); the first call follows a full GC of the fill (the series' objects are then in the old generation, as when a collector tick made them before the first scrape), ${runs} interleaved runs per row after one untimed render of each; each renderRegistry() output is checked byte-identical to registry.metrics() on the same state, and the text is re-read with parseExposition. “Every series updated” re-runs the fill between renders (untimed): counters incremented, gauges set to new values with fresh label objects, one observation per histogram series — the worst case for the cache, which then re-formats every value. RSS is the whole bench process at the end (series plus the render cache). Load average ${loadavg()[0]!.toFixed(1)} on ${cpus().length} cores.`,
  ].join('\n');
}

export default async function exposition(ctx: BenchContext): Promise<BenchSection> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-exposition-'));
  try {
    // the render first: the process RSS it reports is then that of tenantscope's series alone
    ctx.progress('/metrics render');
    const rendered = await render(ctx);
    ctx.progress('access log');
    const log = await accessLog(ctx, dir);
    ctx.progress('exposition parser');
    const parser = expositionParser(ctx);
    return {
      title: 'Exposition: access-log parsing vs bare JSON.parse, exposition parser, /metrics render at 1,000 tenants',
      markdown: ['### Access-log lines per second', '', log, '', '### Exposition parser', '', parser, '', '### /metrics render, 1,000 tenants and 10,000 pods', '', rendered].join('\n'),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

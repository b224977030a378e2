import { describe, expect, it } from 'vitest';
import { Gauge, Histogram, Registry } from 'prom-client';
import { createMemoryLogger } from '../lib/log.js';
import { createCardinalityGuard } from './cardinality.js';

describe('cardinality guard', () => {
  it('caps each tenant separately, counts and reports the overflow, leaves other tenants whole', async () => {
    const registry = new Registry();
    const g = new Gauge({ name: 'q', help: 'q', labelNames: ['tenant', 'query'], registers: [registry] });
    const h = new Histogram({ name: 'h', help: 'h', labelNames: ['tenant'], buckets: [1, 2], registers: [registry] });
    for (let i = 0; i < 8; i++) g.set({ tenant: 'noisy', query: `q${i}` }, i);
    g.set({ tenant: 'quiet', query: 'q0' }, 1);
    h.observe({ tenant: 'quiet' }, 1); // a histogram is one series set, not 4 samples
    const logger = createMemoryLogger();
    const guard = createCardinalityGuard(registry, { maxSeriesPerTenant: 5 }, logger);
    const over = await guard.enforce();
    expect([...over]).toEqual([['noisy', 3]]);
    const text = await registry.metrics();
    expect(text.match(/^q\{tenant="noisy"/gm)).toHaveLength(5);
    expect(text).toContain('q{tenant="quiet",query="q0"} 1');
    expect(text).toContain('tenantscope_series_overflow_total{tenant="noisy"} 3');
    expect(text).toContain('tenantscope_tenant_series{tenant="quiet"} 2');
    expect(text).not.toContain('tenantscope_series_overflow_total{tenant="quiet"}');
    expect(logger.lines.join('\n')).toMatch(/tenant=noisy series=8 limit=5 dropped=3/);
  });

  it("reads each metric once per pass: a metric's collect() hook runs once, even when a tenant is over the limit", async () => {
    const registry = new Registry();
    let collects = 0;
    const g = new Gauge({
      name: 'hooked',
      help: 'h',
      labelNames: ['tenant', 'query'],
      registers: [registry],
      collect() {
        collects++;
      },
    });
    for (let i = 0; i < 4; i++) g.set({ tenant: 'noisy', query: `q${i}` }, i);
    g.set({ tenant: 'quiet', query: 'q0' }, 1);
    const guard = createCardinalityGuard(registry, { maxSeriesPerTenant: 2 }, createMemoryLogger());
    expect([...(await guard.enforce())]).toEqual([['noisy', 2]]);
    expect(collects).toBe(1);
    // the sticky pass (every series of the tenant listed) reads it once too
    for (let i = 0; i < 4; i++) g.set({ tenant: 'noisy', query: `q${i}` }, i);
    expect((await guard.enforce()).size).toBe(0);
    expect(collects).toBe(2);
    const text = await registry.metrics();
    expect(text.match(/^hooked\{tenant="noisy"/gm)).toHaveLength(2);
    expect(text).toContain('tenantscope_tenant_series{tenant="noisy"} 2');
    expect(text).toContain('tenantscope_tenant_series{tenant="quiet"} 1');
  });

  it('a dropped series written again stays dropped and is counted once (no flapping, no fake counter resets)', async () => {
    const registry = new Registry();
    const g = new Gauge({ name: 'q', help: 'q', labelNames: ['tenant', 'query'], registers: [registry] });
    const guard = createCardinalityGuard(registry, { maxSeriesPerTenant: 2 }, createMemoryLogger());
    const poll = () => ['a', 'b', 'c', 'd'].forEach((q, i) => g.set({ tenant: 't', query: q }, i));
    poll();
    expect([...(await guard.enforce())]).toEqual([['t', 2]]);
    poll(); // the collector writes all four again
    expect((await guard.enforce()).size).toBe(0);
    const text = await registry.metrics();
    expect(text.match(/^q\{tenant="t"/gm)).toHaveLength(2);
    expect(text).toContain('tenantscope_series_overflow_total{tenant="t"} 2');
  });

  it('removes its own series of a tenant that went away', async () => {
    const registry = new Registry();
    const g = new Gauge({ name: 'q', help: 'q', labelNames: ['tenant'], registers: [registry] });
    g.set({ tenant: 'gone' }, 1);
    const guard = createCardinalityGuard(registry, { maxSeriesPerTenant: 10 }, createMemoryLogger());
    await guard.enforce();
    expect(await registry.metrics()).toContain('tenantscope_tenant_series{tenant="gone"} 1');
    g.remove({ tenant: 'gone' });
    await guard.enforce();
    expect(await registry.metrics()).not.toContain('tenant="gone"');
  });

  it('counts series of metrics read through get(): a collect() hook and a custom collector, a histogram as one series', async () => {
    const registry = new Registry();
    // values written by a collect() hook exist only once get() ran it
    new Gauge({
      name: 'hooked',
      help: 'h',
      labelNames: ['tenant', 'k'],
      registers: [registry],
      collect() {
        for (const k of ['a', 'b', 'c']) this.set({ tenant: 't', k }, 1);
      },
    });
    // a custom collector (the shape collector/traefik/forwarded-histogram.ts registers): buckets, sum, count
    const custom = {
      name: 'fwd',
      help: 'f',
      type: 'histogram',
      aggregator: 'sum',
      labelNames: ['tenant'],
      get: async () => ({
        name: 'fwd',
        help: 'f',
        type: 'histogram',
        aggregator: 'sum',
        values: ['u', 't'].flatMap((tenant) => [
          { metricName: 'fwd_bucket', labels: { tenant, le: '+Inf' }, value: 1 },
          { metricName: 'fwd_sum', labels: { tenant }, value: 1 },
          { metricName: 'fwd_count', labels: { tenant }, value: 1 },
        ]),
      }),
      reset() {},
    };
    registry.registerMetric(custom as never);
    new Gauge({ name: 'untenanted', help: 'u', labelNames: ['k'], registers: [registry] }).set({ k: 'x' }, 1);
    // a gauge whose get() reports series its hashMap does not hold (a subclass deriving them): get() is what is exported
    class Derived extends Gauge {
      override async get() {
        const own = await super.get();
        return { ...own, values: [...own.values, { labels: { tenant: 't', k: 'derived' }, value: 1 }] };
      }
    }
    new Derived({ name: 'derived', help: 'd', labelNames: ['tenant', 'k'], registers: [registry] }).set({ tenant: 't', k: 'own' }, 1);
    const guard = createCardinalityGuard(registry, { maxSeriesPerTenant: 10 }, createMemoryLogger());
    expect((await guard.enforce()).size).toBe(0);
    const text = await registry.metrics();
    expect(text).toContain('derived{tenant="t",k="derived"} 1');
    expect(text).toContain('tenantscope_tenant_series{tenant="t"} 6');
    expect(text).toContain('tenantscope_tenant_series{tenant="u"} 1');
  });

  it('drops only the newest series of a tenant, across metrics in registry order', async () => {
    const registry = new Registry();
    const a = new Gauge({ name: 'a', help: 'a', labelNames: ['tenant', 'i'], registers: [registry] });
    const h = new Histogram({ name: 'b', help: 'b', labelNames: ['tenant', 'i'], buckets: [1], registers: [registry] });
    a.set({ tenant: 't', i: '0' }, 1);
    a.set({ tenant: 't', i: '1' }, 1);
    h.observe({ tenant: 't', i: '0' }, 0.5);
    h.observe({ tenant: 't', i: '1' }, 0.5);
    const guard = createCardinalityGuard(registry, { maxSeriesPerTenant: 3 }, createMemoryLogger());
    expect([...(await guard.enforce())]).toEqual([['t', 1]]);
    const text = await registry.metrics();
    expect(text).toContain('b_count{tenant="t",i="0"} 1');
    expect(text).not.toMatch(/^b_count\{tenant="t",i="1"\}/m);
    expect(text.match(/^a\{tenant="t"/gm)).toHaveLength(2);
  });

  it('counts a custom collector through labelSets() when it has one, and removes its excess series through remove()', async () => {
    const registry = new Registry();
    const sets = new Map([1, 2, 3].map((i) => [String(i), { tenant: 't', i: String(i) }]));
    const custom = {
      name: 'fwd',
      help: 'f',
      type: 'histogram',
      aggregator: 'sum',
      labelNames: ['tenant', 'i'],
      labelSets: () => sets.values(),
      get: () => Promise.reject(new Error('get() must not be needed to count')),
      remove: (labels: { i: string }) => sets.delete(labels.i),
      reset() {},
    };
    registry.registerMetric(custom as never);
    const guard = createCardinalityGuard(registry, { maxSeriesPerTenant: 2 }, createMemoryLogger());
    expect([...(await guard.enforce())]).toEqual([['t', 1]]);
    expect([...sets.keys()]).toEqual(['1', '2']);
  });
});

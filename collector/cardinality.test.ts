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
});

import { describe, expect, it } from 'vitest';
import { Counter, Gauge, Registry } from 'prom-client';
import { ScrapeSeries } from './scrape-series.js';

describe('ScrapeSeries', () => {
  const setup = () => {
    const registry = new Registry();
    const c = new Counter({ name: 'c_total', help: 'c', labelNames: ['tenant', 'ingress'], registers: [registry] });
    const g = new Gauge({ name: 'g', help: 'g', labelNames: ['tenant', 'ingress'], registers: [registry] });
    return { registry, c, g, w: new ScrapeSeries() };
  };
  const labels = (tenant: string) => () => ({ tenant, ingress: 'edge' });

  it('creates a series with a zero increment, adds increments, and removes what a tick did not write', async () => {
    const { registry, c, g, w } = setup();
    w.begin();
    w.inc(c, 'a', labels('a'), 0);
    w.inc(c, 'b', labels('b'), 2);
    w.set(g, 'a', labels('a'), 3);
    w.sweep();
    expect(await registry.metrics()).toContain('c_total{tenant="a",ingress="edge"} 0');
    w.begin();
    w.inc(c, 'a', labels('a'), 5);
    w.set(g, 'a', labels('a'), 3);
    expect(w.sweep()).toBe(1);
    const text = await registry.metrics();
    expect(text).toContain('c_total{tenant="a",ingress="edge"} 5');
    expect(text).not.toContain('tenant="b"');
    expect(text).toContain('g{tenant="a",ingress="edge"} 3');
  });

  it('writes again a series removed from the metric behind its back (the cardinality guard), even with nothing to add', async () => {
    const { registry, c, g, w } = setup();
    w.begin();
    w.inc(c, 'a', labels('a'), 4);
    w.set(g, 'a', labels('a'), 1);
    w.sweep();
    c.remove({ tenant: 'a', ingress: 'edge' });
    g.remove({ tenant: 'a', ingress: 'edge' });
    w.begin();
    w.inc(c, 'a', labels('a'), 0);
    w.set(g, 'a', labels('a'), 1);
    w.sweep();
    const text = await registry.metrics();
    expect(text).toContain('c_total{tenant="a",ingress="edge"} 0');
    expect(text).toContain('g{tenant="a",ingress="edge"} 1');
  });

  it('skips a write that changes nothing: the series keeps its labels object and prom-client is not called', () => {
    const { c, g, w } = setup();
    w.begin();
    w.inc(c, 'a', labels('a'), 1);
    w.set(g, 'a', labels('a'), 2);
    w.sweep();
    let calls = 0;
    const inc = c.inc.bind(c);
    const set = g.set.bind(g);
    c.inc = ((...a: Parameters<typeof inc>) => (calls++, inc(...a))) as typeof c.inc;
    g.set = ((...a: Parameters<typeof set>) => (calls++, set(...a))) as typeof g.set;
    w.begin();
    w.inc(c, 'a', labels('a'), 0);
    w.set(g, 'a', labels('a'), 2);
    expect(calls).toBe(0);
    w.set(g, 'a', labels('a'), 3);
    w.inc(c, 'a', labels('a'), 1);
    expect(calls).toBe(2);
  });
});

import { describe, expect, it, vi } from 'vitest';
import { Counter, Gauge, Registry } from 'prom-client';
import { counterIncrement, CounterDeltas, SeriesWriter, StaleSeries } from './series.js';

describe('CounterDeltas', () => {
  it('gives increments, treats a decrease as a reset, and nothing on first sight', () => {
    const d = new CounterDeltas();
    expect(d.delta('a', 100)).toBe(0);
    expect(d.delta('a', 130)).toBe(30);
    expect(d.delta('a', 5)).toBe(5); // reset (pg_stat_reset, CONFIG RESETSTAT, restart)
    expect(d.delta('a', 5)).toBe(0);
    expect(d.delta('a', Number.NaN)).toBe(0);
    expect(d.deltaFromZero('b', 7)).toBe(7);
    d.forget((k) => k === 'a');
    expect(d.size).toBe(1);
  });

  it('shares its reset rule with the Traefik reader (counterIncrement)', () => {
    expect(counterIncrement(100, 130)).toBe(30);
    expect(counterIncrement(130, 5)).toBe(5);
    expect(counterIncrement(5, 5)).toBe(0);
  });
});

describe('StaleSeries', () => {
  it('removes series not written in the last cycle, within scope only', async () => {
    const registry = new Registry();
    const g = new Gauge({ name: 'x', help: 'x', labelNames: ['tenant', 'step'], registers: [registry] });
    const s = new StaleSeries();
    g.set(s.touch(g, { tenant: 'a', step: 'db' }), 1);
    g.set(s.touch(g, { tenant: 'b', step: 'db' }), 1);
    g.set(s.touch(g, { tenant: 'b', step: 'size' }), 1);
    expect(s.sweep()).toBe(0);
    // next cycle: tenant b's database disappeared; the size step failed so its series are kept
    g.set(s.touch(g, { tenant: 'a', step: 'db' }), 2);
    expect(s.sweep((_, l) => l.step !== 'size')).toBe(1);
    const text = await registry.metrics();
    expect(text).toContain('x{tenant="a",step="db"} 2');
    expect(text).not.toContain('x{tenant="b",step="db"}');
    expect(text).toContain('x{tenant="b",step="size"} 1');
    // the kept series is swept once its step works again without it
    g.set(s.touch(g, { tenant: 'a', step: 'db' }), 3);
    expect(s.sweep()).toBe(1);
    expect(await registry.metrics()).not.toContain('step="size"');
  });
});

describe('SeriesWriter: inc, set and sweep (a scrape\'s series)', () => {
  const setup = () => {
    const registry = new Registry();
    const c = new Counter({ name: 'c_total', help: 'c', labelNames: ['tenant', 'ingress'], registers: [registry] });
    const g = new Gauge({ name: 'g', help: 'g', labelNames: ['tenant', 'ingress'], registers: [registry] });
    return { registry, c, g, w: new SeriesWriter() };
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

  it("writes a change to a series prom-client holds into its entry, with the text prom-client's own inc()/set() would give", async () => {
    // spies in place before the metrics exist: a Counter takes its inc from the prototype when made
    const proto = Counter.prototype as unknown as { incWithoutExemplar: Counter['inc'] };
    const inc = vi.spyOn(proto, 'incWithoutExemplar');
    const set = vi.spyOn(Gauge.prototype, 'set');
    try {
      const { registry, c, g, w } = setup();
      w.begin();
      w.inc(c, 'a', labels('a'), 1);
      w.set(g, 'a', labels('a'), 2);
      w.sweep();
      // new series go through prom-client
      expect(inc).toHaveBeenCalledTimes(1);
      expect(set).toHaveBeenCalledTimes(1);
      inc.mockClear();
      set.mockClear();
      w.begin();
      w.inc(c, 'a', labels('a'), 2.5);
      w.set(g, 'a', labels('a'), -7);
      w.sweep();
      // changes to held series do not: no label validation or hashing per write
      expect(inc).not.toHaveBeenCalled();
      expect(set).not.toHaveBeenCalled();
      const text = await registry.metrics();
      expect(text).toContain('c_total{tenant="a",ingress="edge"} 3.5');
      expect(text).toContain('g{tenant="a",ingress="edge"} -7');
      // what prom-client refuses still goes to prom-client, which throws as it always did
      expect(() => w.inc(c, 'a', labels('a'), -1)).toThrow(/decrease/);
      expect(inc).toHaveBeenCalledTimes(1);
    } finally {
      inc.mockRestore();
      set.mockRestore();
    }
  });
});

describe('SeriesWriter: direct writes keep prom-client\'s semantics', () => {
  const labels = (tenant: string) => () => ({ tenant, ingress: 'edge' });

  it('adds across a removal behind its back: prom-client recreates the series, later increments go into it', async () => {
    const registry = new Registry();
    const c = new Counter({ name: 'c_total', help: 'c', labelNames: ['tenant', 'ingress'], registers: [registry] });
    const w = new SeriesWriter();
    w.inc(c, 'a', labels('a'), 4);
    c.remove({ tenant: 'a', ingress: 'edge' });
    w.inc(c, 'a', labels('a'), 2); // through prom-client: the series is back at 2
    w.inc(c, 'a', labels('a'), 3); // into its entry
    expect(await registry.metrics()).toContain('c_total{tenant="a",ingress="edge"} 5');
  });

});

describe('SeriesWriter on an exemplar counter', () => {
  it("increments the labelled series through prom-client's options form ({ labels, value })", async () => {
    const registry = new Registry();
    registry.setContentType(Registry.OPENMETRICS_CONTENT_TYPE as never);
    const c = new Counter({ name: 'e', help: 'e', labelNames: ['tenant'], enableExemplars: true, registers: [registry] });
    const w = new SeriesWriter();
    w.inc(c, 'a', () => ({ tenant: 'a' }), 2);
    w.inc(c, 'a', () => ({ tenant: 'a' }), 3);
    const values = (await c.get()).values.map((v) => [v.labels, v.value]);
    expect(values).toEqual([[{ tenant: 'a' }, 5]]);
  });
});

const rows = (xs: [string, string, number][]) => {
  // labels built fresh every tick, as the Kubernetes view does
  const m = new Map<string, { labels: Record<string, string>; value: number }>();
  for (const [tenant, node, value] of xs) m.set(`${tenant}@${node}`, { labels: { tenant, node }, value });
  return m;
};

async function values(g: Gauge): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const v of (await g.get()).values) out[`${v.labels.tenant}@${v.labels.node}`] = v.value;
  return out;
}

/** the labels object prom-client holds for a series (what the render cache keys on) */
const held = (g: Gauge, tenant: string, node: string) => {
  const map = (g as unknown as { hashMap: Record<string, { labels: Record<string, string> }> }).hashMap;
  return Object.values(map).find((x) => x.labels.tenant === tenant && x.labels.node === node)?.labels;
};

describe('SeriesWriter: write (a view\'s rows)', () => {
  const setup = () => {
    const registry = new Registry();
    const g = new Gauge({ name: 'x', help: 'x', labelNames: ['tenant', 'node'], registers: [registry] });
    return { g, w: new SeriesWriter() };
  };

  it('makes the gauge hold exactly the rows: new and changed rows written, vanished rows removed', async () => {
    const { g, w } = setup();
    w.write(g, rows([['a', 'n1', 1], ['b', 'n1', 2]]));
    expect(await values(g)).toEqual({ 'a@n1': 1, 'b@n1': 2 });
    w.write(g, rows([['a', 'n1', 5], ['c', 'n2', 3]]));
    expect(await values(g)).toEqual({ 'a@n1': 5, 'c@n2': 3 });
    w.write(g, new Map());
    expect(await values(g)).toEqual({});
  });

  it('does not write an unchanged row again, and a series keeps its first labels object for its life', async () => {
    const { g, w } = setup();
    w.write(g, rows([['a', 'n1', 1], ['b', 'n1', 2]]));
    const a = held(g, 'a', 'n1');
    const b = held(g, 'b', 'n1');
    let sets = 0;
    const set = g.set.bind(g);
    g.set = ((...x: Parameters<typeof set>) => (sets++, set(...x))) as typeof g.set;
    w.write(g, rows([['a', 'n1', 1], ['b', 'n1', 7]]));
    expect(sets).toBe(1);
    expect(await values(g)).toEqual({ 'a@n1': 1, 'b@n1': 7 });
    expect(held(g, 'a', 'n1')).toBe(a);
    expect(held(g, 'b', 'n1')).toBe(b);
  });

  it('writes a series again when someone else removed it (the cardinality guard), as set-every-tick did', async () => {
    const { g, w } = setup();
    w.write(g, rows([['a', 'n1', 1], ['b', 'n1', 2]]));
    g.remove({ tenant: 'a', node: 'n1' });
    expect(await values(g)).toEqual({ 'b@n1': 2 });
    w.write(g, rows([['a', 'n1', 1], ['b', 'n1', 2]]));
    expect(await values(g)).toEqual({ 'a@n1': 1, 'b@n1': 2 });
  });

  it('keeps each gauge apart', async () => {
    const { g, w } = setup();
    const h = new Gauge({ name: 'y', help: 'y', labelNames: ['tenant', 'node'], registers: [] });
    w.write(g, rows([['a', 'n1', 1]]));
    w.write(h, rows([['b', 'n2', 2]]));
    w.write(g, rows([['a', 'n1', 1]]));
    expect(await values(g)).toEqual({ 'a@n1': 1 });
    expect(await values(h)).toEqual({ 'b@n2': 2 });
  });
});

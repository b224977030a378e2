import { describe, expect, it } from 'vitest';
import { Gauge, Registry } from 'prom-client';
import { Samples } from './view.js';
import { GaugeWriter } from './write.js';

const rows = (xs: [string, string, number][]): Samples => {
  const s = new Samples();
  // labels built fresh every tick, as buildView does
  for (const [tenant, node, v] of xs) s.add({ tenant, node }, v);
  return s;
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

describe('GaugeWriter', () => {
  const setup = () => {
    const registry = new Registry();
    const g = new Gauge({ name: 'x', help: 'x', labelNames: ['tenant', 'node'], registers: [registry] });
    return { g, w: new GaugeWriter() };
  };

  it('makes the gauge hold exactly the rows: new and changed rows written, vanished rows removed', async () => {
    const { g, w } = setup();
    w.write(g, rows([['a', 'n1', 1], ['b', 'n1', 2]]));
    expect(await values(g)).toEqual({ 'a@n1': 1, 'b@n1': 2 });
    w.write(g, rows([['a', 'n1', 5], ['c', 'n2', 3]]));
    expect(await values(g)).toEqual({ 'a@n1': 5, 'c@n2': 3 });
    w.write(g, new Samples());
    expect(await values(g)).toEqual({});
  });

  it('does not write an unchanged row again: the series keeps its labels object', () => {
    const { g, w } = setup();
    w.write(g, rows([['a', 'n1', 1], ['b', 'n1', 2]]));
    const before = held(g, 'a', 'n1');
    w.write(g, rows([['a', 'n1', 1], ['b', 'n1', 7]]));
    expect(held(g, 'a', 'n1')).toBe(before);
    // a changed value is written, with the new tick's labels object
    const bLabels = held(g, 'b', 'n1');
    w.write(g, rows([['a', 'n1', 1], ['b', 'n1', 8]]));
    expect(held(g, 'b', 'n1')).not.toBe(bLabels);
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

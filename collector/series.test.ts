import { describe, expect, it } from 'vitest';
import { Gauge, Registry } from 'prom-client';
import { CounterDeltas, StaleSeries } from './series.js';

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

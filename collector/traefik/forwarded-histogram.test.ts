import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { parseExposition } from '../exposition/index.js';
import { ForwardedHistogram } from './forwarded-histogram.js';

describe('ForwardedHistogram', () => {
  it('renders forwarded bucket increments as a histogram on the shared registry, per tenant, and removes a tenant', async () => {
    const registry = new Registry();
    const h = new ForwardedHistogram('x_seconds', 'forwarded', ['tenant'], registry);
    const inc = (n: number) => ({ buckets: new Map([[0.1, n], [0.3, 2 * n], [Infinity, 3 * n]]), sum: n, count: 3 * n });
    h.add({ tenant: 'a' }, inc(1));
    h.add({ tenant: 'a' }, inc(2));
    h.add({ tenant: 'b' }, inc(10));
    let r = parseExposition(await registry.metrics());
    expect(r.errors).toEqual({});
    const fam = r.families.get('x_seconds');
    expect(fam?.type).toBe('histogram');
    const a = fam?.samples.filter((s) => s.labels.tenant === 'a').map((s) => [s.name, s.labels.le, s.value]);
    expect(a).toEqual([
      ['x_seconds_bucket', '0.1', 3],
      ['x_seconds_bucket', '0.3', 6],
      ['x_seconds_bucket', '+Inf', 9],
      ['x_seconds_sum', undefined, 3],
      ['x_seconds_count', undefined, 9],
    ]);
    expect(fam?.samples.find((s) => s.labels.tenant === 'b' && s.name === 'x_seconds_count')?.value).toBe(30);
    h.remove({ tenant: 'a' });
    r = parseExposition(await registry.metrics());
    expect(new Set(r.families.get('x_seconds')?.samples.map((s) => s.labels.tenant))).toEqual(new Set(['b']));
  });
});

import { describe, expect, it } from 'vitest';
import { parseQuantity } from './quantity.js';

describe('parseQuantity', () => {
  it.each([
    ['500m', 0.5],
    ['7910m', 7.91],
    ['704595n', 0.000704595],
    ['2', 2],
    ['250u', 0.00025],
    ['31127824Ki', 31127824 * 1024],
    ['200Mi', 200 * 2 ** 20],
    ['1.5Gi', 1.5 * 2 ** 30],
    ['1G', 1e9],
    ['1e3', 1000],
    ['122601479578', 122601479578],
    ['.5', 0.5],
  ])('%s → %d', (q, v) => {
    expect(parseQuantity(q)).toBeCloseTo(v, 12);
  });

  it.each(['', 'abc', '1Xi', '5 m', '--1', 'NaN'])('rejects %j', (q) => {
    expect(parseQuantity(q)).toBeUndefined();
  });

  it('passes numbers through and rejects missing values', () => {
    expect(parseQuantity(3)).toBe(3);
    expect(parseQuantity(undefined)).toBeUndefined();
  });
});

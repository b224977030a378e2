import { describe, expect, it } from 'vitest';
import { parseTimeArg } from './time.js';

const now = Date.parse('2026-11-22T12:00:00Z');

describe('parseTimeArg', () => {
  it.each([
    ['2026-11-22T10:00:00Z', Date.parse('2026-11-22T10:00:00Z')],
    ['2026-11-22', Date.parse('2026-11-22')],
    ['1700000000', 1_700_000_000_000],
    ['1700000000.5', 1_700_000_000_500],
    ['2h', now - 7_200_000],
    ['-15m', now - 900_000],
    ['7d', now - 7 * 86_400_000],
  ])('%s', (raw, want) => expect(parseTimeArg(raw, now)).toBe(want));

  it.each(['yesterday', 'last tuesday', '2h ago', '', 'Tuesday 5'])('%j is not a time', (raw) => expect(parseTimeArg(raw, now)).toBeNaN());
});

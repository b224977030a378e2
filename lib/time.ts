/**
 * One reading of a time argument for the CLI (--from/--to) and the API (?from=&to=):
 * RFC 3339 (2026-11-22T17:00:00Z), Unix seconds as Prometheus' API takes them (1763830800, 1763830800.5),
 * or an age before now (90s, 15m, 2h, 7d). NaN when it is none of these; callers name the argument.
 */
const UNIT_MS = { s: 1e3, m: 6e4, h: 3.6e6, d: 8.64e7 } as const;

export function parseTimeArg(raw: string, nowMs: number): number {
  const age = /^-?(\d+(?:\.\d+)?)(s|m|h|d)$/.exec(raw);
  if (age) return nowMs - Number(age[1]) * UNIT_MS[age[2] as keyof typeof UNIT_MS];
  if (/^\d+(\.\d+)?$/.test(raw)) return Number(raw) * 1000;
  // Date.parse accepts far more than RFC 3339 ("1", "Tuesday 5"): require a date first
  return /^\d{4}-\d{2}-\d{2}/.test(raw) ? Date.parse(raw) : Number.NaN;
}

export const TIME_ARG_FORMS = 'RFC 3339 (2026-11-22T17:00:00Z), Unix seconds, or an age such as 2h';

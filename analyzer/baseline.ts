/**
 * Robust baselines per tenant and signal: median and MAD, so one outlier (or one past incident)
 * does not move the normal. With enough history the baseline is taken from the same time-of-day
 * slot on previous days — a tenant's daily 17:00 dispatch wave is its normal — and with short
 * history from the recent past. Missing samples are skipped; too few samples give an unknown
 * baseline (NaN), which the detector treats as "cannot judge", never as healthy or degraded.
 */

export interface Baseline {
  /** robust centre (median); NaN when unknown */
  center: number;
  /** robust spread: 1.4826 × MAD (≈ σ for normal data) */
  spread: number;
  /** samples behind it */
  n: number;
  /**
   * arithmetic mean, for usage that is mostly idle: a counter sampled as 0 or 1 active session has a
   * median of 0 however busy it is on average
   */
  mean?: number;
  /** standard deviation around the mean: the spread of such usage (its MAD is 0 too) */
  sd?: number;
}

export const UNKNOWN_BASELINE: Baseline = { center: Number.NaN, spread: Number.NaN, n: 0 };

/** median of the finite values in values[from, to), using `scratch` to avoid allocation */
export function robust(values: ArrayLike<number>, from = 0, to = values.length, minSamples = 8, scratch?: Float64Array): Baseline {
  const buf = scratch && scratch.length >= to - from ? scratch : new Float64Array(Math.max(0, to - from));
  let n = 0;
  let sum = 0;
  let sumSq = 0;
  for (let i = from; i < to; i++) {
    const v = values[i]!;
    if (Number.isFinite(v)) {
      buf[n++] = v;
      sum += v;
      sumSq += v * v;
    }
  }
  if (n < minSamples) return { ...UNKNOWN_BASELINE, n };
  const a = buf.subarray(0, n).sort();
  const med = n % 2 ? a[n >> 1]! : (a[(n >> 1) - 1]! + a[n >> 1]!) / 2;
  for (let i = 0; i < n; i++) a[i] = Math.abs(a[i]! - med);
  a.sort();
  const mad = n % 2 ? a[n >> 1]! : (a[(n >> 1) - 1]! + a[n >> 1]!) / 2;
  const mean = sum / n;
  return { center: med, spread: 1.4826 * mad, n, mean, sd: Math.sqrt(Math.max(0, sumSq / n - mean * mean)) };
}

const DAY = 86_400_000;

/**
 * Baseline for the points of a window from the history before it: by hour-of-day slot when the
 * history covers that slot on at least `minDays` earlier days, else from the most recent
 * `recentMs` of history. Returns one baseline per slot hour (0..23) plus the recent fallback.
 */
export function slotBaselines(
  values: ArrayLike<number>,
  startMs: number,
  stepMs: number,
  historyPoints: number,
  opts: { recentMs: number; minDays?: number; minSamples?: number },
): { recent: Baseline; byHour: (Baseline | undefined)[] } {
  const minSamples = opts.minSamples ?? 8;
  const recentPoints = Math.min(historyPoints, Math.max(1, Math.round(opts.recentMs / stepMs)));
  const recent = robust(values, historyPoints - recentPoints, historyPoints, minSamples);
  const spanMs = historyPoints * stepMs;
  const byHour: (Baseline | undefined)[] = new Array<Baseline | undefined>(24).fill(undefined);
  if (spanMs < (opts.minDays ?? 2) * DAY) return { recent, byHour };
  const buckets: number[][] = Array.from({ length: 24 }, () => []);
  const days: Set<number>[] = Array.from({ length: 24 }, () => new Set());
  for (let i = 0; i < historyPoints; i++) {
    const v = values[i]!;
    if (!Number.isFinite(v)) continue;
    const t = startMs + i * stepMs;
    const h = new Date(t).getUTCHours();
    buckets[h]!.push(v);
    days[h]!.add(Math.floor(t / DAY));
  }
  for (let h = 0; h < 24; h++) {
    if (days[h]!.size >= (opts.minDays ?? 2)) byHour[h] = robust(buckets[h]!, 0, buckets[h]!.length, minSamples);
  }
  return { recent, byHour };
}

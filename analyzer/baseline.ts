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

/** the scratch buffer robust() selects in: grown on demand, never shrunk */
let sharedScratch = new Float64Array(1024);

/**
 * median of a[0, n) by selection (the array is permuted): O(n) rather than a sort, and exactly the
 * same value a sort would give (the mean of the two middle order statistics when n is even)
 */
function medianOf(a: Float64Array, n: number): number {
  const k = n >> 1;
  const upper = kthSmallest(a, k, n);
  if (n % 2) return upper;
  // after selection a[0, k) holds the k smallest: the lower middle is their maximum
  let lo = a[0]!;
  for (let i = 1; i < k; i++) if (a[i]! > lo) lo = a[i]!;
  return (lo + upper) / 2;
}

/**
 * the k-th smallest (0-based) of a[0, n), by selection (a is permuted): what a sort would put at a[k].
 * `from`: a[0, from) already holds the `from` smallest (a selection of rank from - 1 before this one
 * left them there, k ≥ from), so only a[from, n) is searched.
 */
export function kthSmallest(a: Float64Array, k: number, n = a.length, from = 0): number {
  select(a, from, n - 1, k);
  return a[k]!;
}

/** Hoare selection: afterwards a[k] is the k-th smallest of a[left, right], smaller ones before it */
function select(a: Float64Array, left: number, right: number, k: number): void {
  while (right > left) {
    // median of three as the pivot: sorted or constant runs (idle tenants) stay linear
    const mid = (left + right) >> 1;
    if (a[mid]! < a[left]!) swap(a, mid, left);
    if (a[right]! < a[left]!) swap(a, right, left);
    if (a[right]! < a[mid]!) swap(a, right, mid);
    const pivot = a[mid]!;
    let i = left;
    let j = right;
    while (i <= j) {
      while (a[i]! < pivot) i++;
      while (a[j]! > pivot) j--;
      if (i <= j) {
        swap(a, i, j);
        i++;
        j--;
      }
    }
    if (k <= j) right = j;
    else if (k >= i) left = i;
    else return;
  }
}

function swap(a: Float64Array, i: number, j: number): void {
  const t = a[i]!;
  a[i] = a[j]!;
  a[j] = t;
}

/** median and MAD of the finite values in values[from, to), in a shared scratch buffer (no allocation) */
export function robust(series: ArrayLike<number>, from = 0, to = series.length, minSamples = 8): Baseline {
  if (!(series instanceof Float64Array)) {
    // one element kind in the loop below: a plain array's [from, to) is copied once, anything but a
    // number in it (JSON's null for a missing sample) missing, as Number.isFinite would skip it
    const copy = new Float64Array(Math.max(0, to - from));
    for (let q = 0; q < copy.length; q++) {
      const x: unknown = series[from + q];
      copy[q] = typeof x === 'number' ? x : Number.NaN;
    }
    return robust(copy, 0, copy.length, minSamples);
  }
  const values = series;
  const len = Math.max(0, to - from);
  if (sharedScratch.length < len) sharedScratch = new Float64Array(Math.max(len, 2 * sharedScratch.length));
  const buf = sharedScratch;
  let n = 0;
  let sum = 0;
  let sumSq = 0;
  for (let i = from; i < to; i++) {
    const v = values[i]!;
    // finite: x - x is 0 exactly then (NaN and ±Infinity give NaN)
    if (v - v === 0) {
      buf[n++] = v;
      sum += v;
      sumSq += v * v;
    }
  }
  if (n < minSamples) return { ...UNKNOWN_BASELINE, n };
  const med = medianOf(buf, n);
  for (let i = 0; i < n; i++) buf[i] = Math.abs(buf[i]! - med);
  const mad = medianOf(buf, n);
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

/**
 * Kubernetes resource quantities (`500m`, `704595n`, `31127824Ki`, `1.5Gi`, `1e3`, `2`) as numbers:
 * CPU in cores, memory in bytes. The grammar is apimachinery's `resource.Quantity`: a signed decimal
 * number, optionally with an exponent, followed by a binary (Ki..Ei) or decimal (n..E) suffix.
 * Returns undefined for anything else, so a malformed value is counted, never exported as NaN.
 */
const SUFFIX: Record<string, number> = {
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

const QUANTITY = /^([+-]?(?:\d+\.?\d*|\.\d+))(?:[eE]([+-]?\d+))?(n|u|m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$/;

/**
 * Parsed strings, because every tick re-reads the same few request/limit strings of 10,000 pods
 * (`500m`, `1Gi`): a Map hit allocates nothing, a regex match allocates its result array. Bounded:
 * cleared when full (usage values from metrics.k8s.io are many and change every read).
 */
const memo = new Map<string, number | undefined>();
const MEMO_MAX = 4096;

export function parseQuantity(q: string | number | undefined | null): number | undefined {
  if (q === undefined || q === null) return undefined;
  if (typeof q === 'number') return Number.isFinite(q) ? q : undefined;
  const hit = memo.get(q);
  if (hit !== undefined || memo.has(q)) return hit;
  const v = parse(q);
  if (memo.size >= MEMO_MAX) memo.clear();
  memo.set(q, v);
  return v;
}

function parse(q: string): number | undefined {
  const m = QUANTITY.exec(q.trim());
  if (!m) return undefined;
  // "1e3" is an exponent; "1E" alone would be the exa suffix, which the regex reads as suffix E
  const base = Number(m[1]) * (m[2] !== undefined ? 10 ** Number(m[2]) : 1);
  const v = base * (SUFFIX[m[3] ?? ''] ?? NaN);
  return Number.isFinite(v) ? v : undefined;
}

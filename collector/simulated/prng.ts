/**
 * Deterministic randomness for the simulated fleet. Noise is a pure function of
 * (seed, stream, step) rather than a stateful generator, so that any instant of the simulation can
 * be computed on its own: the live collector, a history backfill and the evaluation all see the
 * same fleet at the same time, whatever order they ask in.
 */

/** mulberry32: small, fast, good enough for simulation (not for anything secret). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** a uniform number in [0, 1) from integer coordinates (murmur3-style finalizer) */
export function hash01(a: number, b: number, c: number, d = 0): number {
  let h = Math.imul(a ^ 0x9e3779b9, 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13) ^ b, 0xc2b2ae35);
  h = Math.imul(h ^ (h >>> 16) ^ c, 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13) ^ d, 0xc2b2ae35);
  h ^= h >>> 16;
  return (h >>> 0) / 4294967296;
}

/** a standard normal from integer coordinates (Box–Muller over two hashes) */
export function hashNormal(a: number, b: number, c: number, d = 0): number {
  const u = Math.max(1e-12, hash01(a, b, c, d));
  const v = hash01(a ^ 0x5bd1e995, b, c, d + 1);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

// Deterministic sampling for random sweeps. Everything here is plain 32-bit integer arithmetic
// plus V8's Math.log/exp/cos/sqrt (fdlibm ports, identical on every machine), so a seed gives the
// same trials on a laptop, a CI runner and a GPU node.

/** A source of uniform floats in [0, 1). */
export type Rng = () => number;

/**
 * mulberry32 (Tommy Ettinger): a 32-bit state PRNG, fast and good enough for sampling
 * hyperparameters. The seed is taken modulo 2^32 (`seed >>> 0`); non-integer seeds are truncated.
 */
export function mulberry32(seed: number): Rng {
  let a = (Number.isFinite(seed) ? Math.trunc(seed) : 0) >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Kills float noise such as 0.30000000000000004 → 0.3 (12 significant digits); -0 becomes 0. */
export function clean(x: number): number {
  if (!Number.isFinite(x) || x === 0) return x === 0 ? 0 : x;
  const v = Number(x.toPrecision(12));
  return v === 0 ? 0 : v;
}

/** Uniform in [min, max). One draw. */
export function uniform(rng: Rng, min: number, max: number): number {
  return min + rng() * (max - min);
}

/** Log-uniform in [min, max) (min > 0): uniform in log space. One draw. */
export function logUniform(rng: Rng, min: number, max: number): number {
  const lo = Math.log(min);
  const v = Math.exp(lo + rng() * (Math.log(max) - lo));
  // exp(log(x)) can land a hair outside the bounds.
  return Math.min(max, Math.max(min, v));
}

/** Uniform integer in [ceil(min), floor(max)], both ends inclusive. One draw. */
export function intUniform(rng: Rng, min: number, max: number): number {
  const lo = Math.ceil(min);
  const hi = Math.floor(max);
  return lo + Math.floor(rng() * (hi - lo + 1));
}

/** Normal(mu, sigma) by Box-Muller. Two draws; the second variate is discarded so each sample costs the same. */
export function normal(rng: Rng, mu: number, sigma: number): number {
  const u1 = 1 - rng(); // (0, 1]: log(0) impossible
  const u2 = rng();
  return mu + sigma * Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
}

/**
 * Rounds `x` to a multiple of `q` (hyperopt `quniform`, W&B `q_uniform`), cleaned of float noise.
 * With bounds, a rounded value that falls outside [min, max] moves one step of q back inside when
 * that multiple is in range (hyperopt would return it out of range; we keep the user's bounds).
 */
export function quantize(x: number, q: number, min?: number, max?: number): number {
  let v = clean(Math.round(x / q) * q);
  if (min !== undefined && v < min) {
    const up = clean(v + q);
    if (max === undefined || up <= max) v = up;
  }
  if (max !== undefined && v > max) {
    const down = clean(v - q);
    if (min === undefined || down >= min) v = down;
  }
  return v;
}

/**
 * Index drawn from a categorical distribution. `weights` need not sum to 1 (they are normalised);
 * without weights, uniform. One draw.
 */
export function categorical(rng: Rng, n: number, weights?: readonly number[]): number {
  const r = rng();
  if (!weights) return Math.min(n - 1, Math.floor(r * n));
  let total = 0;
  for (let i = 0; i < n; i++) total += weights[i];
  let acc = 0;
  const target = r * total;
  for (let i = 0; i < n; i++) {
    acc += weights[i];
    if (target < acc) return i;
  }
  // Float rounding at the top end: the last category with a non-zero weight.
  for (let i = n - 1; i >= 0; i--) if (weights[i] > 0) return i;
  return n - 1;
}

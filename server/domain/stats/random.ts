/**
 * Seeded randomness for every resampling statistic in this folder, so that the same data and seed
 * always give the same confidence interval (Math.random is never used here).
 *
 * Generator: xoshiro128** 1.1 (Blackman & Vigna, https://prng.di.unimi.it/xoshiro128starstar.c),
 * seeded by expanding a 32-bit seed through splitmix32 so that nearby seeds give unrelated streams.
 */

/** A seeded stream of random numbers. */
export interface Rng {
  /** Uniform double in the open interval (0, 1): never exactly 0, so `Math.log(next())` is finite. */
  next(): number;
  /** Uniform integer in [0, n). */
  nextInt(n: number): number;
}

function splitmix32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x9e3779b9) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

const TWO_POW_32 = 4294967296;

/**
 * Create a seeded xoshiro128** generator. Any finite number is accepted as seed; it is reduced to
 * 32 bits (seeds that are equal modulo 2^32 give the same stream).
 */
export function createRng(seed: number): Rng {
  const expand = splitmix32(Math.trunc(seed) | 0);
  let s0 = expand();
  let s1 = expand();
  let s2 = expand();
  let s3 = expand();
  if ((s0 | s1 | s2 | s3) === 0) s0 = 1;

  const nextUint32 = (): number => {
    const result = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
    const t = s1 << 9;
    s2 ^= s0;
    s3 ^= s1;
    s1 ^= s2;
    s0 ^= s3;
    s2 ^= t;
    s3 = rotl(s3, 11);
    return result;
  };

  return {
    next: () => (nextUint32() + 0.5) / TWO_POW_32,
    nextInt: (n: number) => Math.floor(((nextUint32() + 0.5) / TWO_POW_32) * n),
  };
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** Stirling-series tail log(k!) − [(k+½)log(k+1) − (k+1) + ½log(2π)], exact for k ≤ 9. */
const STIRLING_TAIL = [
  0.0810614667953272, 0.0413406959554092, 0.0276779256849983, 0.02079067210376509, 0.0166446911898211, 0.0138761288230707,
  0.0118967099458917, 0.010411265261972, 0.00925546218271273, 0.00833056343336287,
];

function stirlingTail(k: number): number {
  if (k <= 9) return STIRLING_TAIL[k] ?? 0;
  const kp1sq = (k + 1) * (k + 1);
  return (1 / 12 - (1 / 360 - 1 / 1260 / kp1sq) / kp1sq) / (k + 1);
}

/**
 * Draw from Binomial(n, p) exactly. Small means (n·min(p,1−p) < 10) use the geometric-gap
 * inversion method; larger ones Hörmann's BTRS transformed rejection with squeeze (W. Hörmann,
 * "The generation of binomial random variates", J. Stat. Comput. Simul. 46, 1993), which costs O(1)
 * expected uniforms whatever n is — the same pair of algorithms PyTorch's `torch.binomial` uses.
 */
export function sampleBinomial(rng: Rng, n: number, p: number): number {
  if (n <= 0 || p <= 0) return 0;
  if (p >= 1) return n;
  if (p > 0.5) return n - sampleBinomial(rng, n, 1 - p);
  if (n * p < 10) return sampleBinomialInversion(rng, n, p);
  return sampleBinomialBtrs(rng, n, p);
}

function sampleBinomialInversion(rng: Rng, n: number, p: number): number {
  const logQ = Math.log1p(-p);
  let gapSum = 0;
  let successes = 0;
  for (;;) {
    gapSum += Math.ceil(Math.log(rng.next()) / logQ);
    if (gapSum > n) return successes;
    successes += 1;
  }
}

function sampleBinomialBtrs(rng: Rng, n: number, p: number): number {
  const spq = Math.sqrt(n * p * (1 - p));
  const b = 1.15 + 2.53 * spq;
  const a = -0.0873 + 0.0248 * b + 0.01 * p;
  const c = n * p + 0.5;
  const vr = 0.92 - 4.2 / b;
  const r = p / (1 - p);
  const alpha = (2.83 + 5.1 / b) * spq;
  const m = Math.floor((n + 1) * p);
  for (;;) {
    const u = rng.next() - 0.5;
    let v = rng.next();
    const us = 0.5 - Math.abs(u);
    const k = Math.floor(((2 * a) / us + b) * u + c);
    if (k < 0 || k > n) continue;
    if (us >= 0.07 && v <= vr) return k;
    v = Math.log((v * alpha) / (a / (us * us) + b));
    const bound =
      (m + 0.5) * Math.log((m + 1) / (r * (n - m + 1))) +
      (n + 1) * Math.log((n - m + 1) / (n - k + 1)) +
      (k + 0.5) * Math.log((r * (n - k + 1)) / (k + 1)) +
      stirlingTail(m) +
      stirlingTail(n - m) -
      stirlingTail(k) -
      stirlingTail(n - k);
    if (v <= bound) return k;
  }
}

/**
 * Draw counts ~ Multinomial(n, weights) by sequential conditional binomials: cell i gets
 * Binomial(remaining n, w_i / remaining weight). O(cells) binomial draws, independent of n — this is
 * what makes bootstrapping a million aggregated battles cheap. `weights` need not be normalized.
 */
export function sampleMultinomial(rng: Rng, n: number, weights: ArrayLike<number>, out?: Float64Array): Float64Array {
  const counts = out ?? new Float64Array(weights.length);
  let remainingWeight = 0;
  let lastPositive = -1;
  for (let i = 0; i < weights.length; i++) {
    const w = weights[i] ?? 0;
    if (w > 0) {
      remainingWeight += w;
      lastPositive = i;
    }
  }
  let remaining = n;
  for (let i = 0; i < weights.length; i++) {
    const w = weights[i] ?? 0;
    if (remaining <= 0 || w <= 0) {
      counts[i] = 0;
      continue;
    }
    // The last positive cell takes the rest, so rounding in remainingWeight can never lose draws.
    const drawn = i === lastPositive ? remaining : sampleBinomial(rng, remaining, Math.min(1, w / remainingWeight));
    counts[i] = drawn;
    remaining -= drawn;
    remainingWeight -= w;
  }
  return counts;
}

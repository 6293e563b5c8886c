import { AppError } from "../errors";
import { createRng } from "./random";

/** How to bootstrap: number of resamples, PRNG seed and two-sided coverage. */
export interface BootstrapOptions {
  /** Number of resamples (default 1000). */
  resamples?: number;
  /** Seed for the xoshiro128** generator (default 0). */
  seed?: number;
  /** Two-sided coverage of the percentile interval (default 0.95 → percentiles 2.5 and 97.5). */
  level?: number;
}

/** A point estimate with a percentile-bootstrap interval. */
export interface ConfidenceInterval {
  estimate: number | null;
  /** null when fewer than two resamples had a defined statistic. */
  lower: number | null;
  upper: number | null;
  level: number;
  /** Resamples drawn. */
  resamples: number;
  /** Resamples whose statistic was defined (e.g. α is undefined when a resample has no variation). */
  validResamples: number;
}

/** Fill bootstrap defaults (1000 resamples, seed 0, level 0.95); throws BAD_INPUT on invalid values. */
export function resolveBootstrapOptions(options: BootstrapOptions | undefined): Required<BootstrapOptions> {
  const resamples = options?.resamples ?? 1000;
  const level = options?.level ?? 0.95;
  if (!Number.isInteger(resamples) || resamples < 0) {
    throw new AppError("BAD_INPUT", `resamples must be a non-negative integer, got ${resamples}`);
  }
  if (!(level > 0 && level < 1)) throw new AppError("BAD_INPUT", `level must be in (0, 1), got ${level}`);
  return { resamples, seed: options?.seed ?? 0, level };
}

/**
 * Quantile q of a sample with linear interpolation between order statistics (Hyndman & Fan type 7,
 * the default of numpy.quantile and pandas.Series.quantile, which Chatbot Arena's bootstrap uses).
 * `sorted` must be ascending and non-empty.
 */
export function computeQuantileSorted(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) throw new AppError("BAD_INPUT", "quantile of an empty sample");
  const h = (n - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, n - 1);
  const a = sorted[lo] ?? Number.NaN;
  const b = sorted[hi] ?? Number.NaN;
  return a + (h - lo) * (b - a);
}

/** Percentile interval [quantile((1−level)/2), quantile((1+level)/2)] of bootstrap replicates. */
export function computePercentileInterval(replicates: readonly number[], level: number): { lower: number | null; upper: number | null } {
  if (replicates.length < 2) return { lower: null, upper: null };
  const sorted = Float64Array.from(replicates).sort();
  return {
    lower: computeQuantileSorted(sorted, (1 - level) / 2),
    upper: computeQuantileSorted(sorted, (1 + level) / 2),
  };
}

/**
 * Nonparametric percentile bootstrap over units (Efron & Tibshirani, "An Introduction to the
 * Bootstrap", 1993, ch. 13): draw `units.length` units with replacement `resamples` times, evaluate
 * `statistic` on each resample, and report the percentile interval. Resamples on which the statistic
 * is undefined (returns null or NaN) are skipped and counted out of `validResamples`.
 */
export function bootstrapUnits<T>(
  units: readonly T[],
  statistic: (sample: readonly T[]) => number | null,
  options?: BootstrapOptions,
): ConfidenceInterval {
  const { resamples, seed, level } = resolveBootstrapOptions(options);
  const estimate = finiteOrNull(statistic(units));
  const rng = createRng(seed);
  const replicates: number[] = [];
  const sample: T[] = new Array<T>(units.length);
  for (let r = 0; r < resamples && units.length > 0; r++) {
    for (let i = 0; i < units.length; i++) sample[i] = units[rng.nextInt(units.length)] as T;
    const value = finiteOrNull(statistic(sample));
    if (value !== null) replicates.push(value);
  }
  return {
    estimate,
    ...computePercentileInterval(replicates, level),
    level,
    resamples,
    validResamples: replicates.length,
  };
}

/** A statistic value, or null when it is null, NaN or infinite (an undefined statistic). */
export function finiteOrNull(value: number | null): number | null {
  return value === null || !Number.isFinite(value) ? null : value;
}

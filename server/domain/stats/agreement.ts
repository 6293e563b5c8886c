import { AppError } from "../errors";
import {
  type BootstrapOptions,
  bootstrapUnits,
  type ConfidenceInterval,
  computePercentileInterval,
  finiteOrNull,
  resolveBootstrapOptions,
} from "./bootstrap";
import { createRng } from "./random";

/** One coder's value for one unit. Nominal data may use strings; ordinal and interval need numbers. */
export interface CodedValue {
  coder: string;
  value: number | string;
}

/**
 * A reliability matrix with missing data, stored by unit: each entry lists the values the coders who
 * coded that unit gave it (coders who skipped the unit are simply absent). A unit with fewer than two
 * values is not pairable and contributes nothing to any coefficient.
 */
export type ReliabilityData = readonly (readonly CodedValue[])[];

/** Difference function δ² for Krippendorff's α. */
export type AlphaMetric = "nominal" | "ordinal" | "interval";

/** Krippendorff's α with the quantities it is made of. */
export interface AlphaResult {
  /** null when undefined: no pairable values, or no variation at all (expected disagreement 0). */
  alpha: number | null;
  metric: AlphaMetric;
  /** Units with at least two values. */
  pairableUnits: number;
  /** n: total number of values in pairable units. */
  pairableValues: number;
  /** D_o = Σ o_ck δ²_ck / n. */
  observedDisagreement: number;
  /** D_e = Σ n_c n_k δ²_ck / (n (n − 1)). */
  expectedDisagreement: number;
}

/** Pooled pairwise percent agreement. */
export interface PercentAgreementResult {
  /** Share of agreeing value pairs, in [0, 1]; null when no unit has two values. */
  agreement: number | null;
  /** Σ_u C(m_u, 2): pairs of values sharing a unit. */
  pairs: number;
  /** Pairs whose two values are equal. */
  agreeingPairs: number;
  pairableUnits: number;
}

/** Cohen's κ for two coders over the units both coded. */
export interface KappaResult {
  /** null when undefined: no shared units, or expected agreement 1 (both used one same category). */
  kappa: number | null;
  /** p_o: share of shared units with equal values. */
  observedAgreement: number | null;
  /** p_e = Σ_c p_A(c) p_B(c) from each coder's own marginals. */
  expectedAgreement: number | null;
  shared: number;
}

/** κ for one coder pair, with an optional bootstrap interval over their shared units. */
export interface PairwiseKappa extends KappaResult {
  coderA: string;
  coderB: string;
  interval?: ConfidenceInterval;
}

/**
 * Build a reliability matrix from flat (unit, coder, value) records, units in first-seen order.
 * Throws BAD_INPUT when a coder gives the same unit two values (a reliability matrix has one cell per
 * coder and unit; decide upstream which judgment counts).
 */
export function buildReliabilityData(records: readonly { unit: string; coder: string; value: number | string }[]): ReliabilityData {
  const byUnit = new Map<string, CodedValue[]>();
  const seen = new Set<string>();
  for (const { unit, coder, value } of records) {
    const key = JSON.stringify([unit, coder]);
    if (seen.has(key)) throw new AppError("BAD_INPUT", `coder ${coder} has two values for unit ${unit}`);
    seen.add(key);
    const values = byUnit.get(unit);
    if (values) values.push({ coder, value });
    else byUnit.set(unit, [{ coder, value }]);
  }
  return [...byUnit.values()];
}

/**
 * Pooled pairwise percent agreement: over every unit with m_u ≥ 2 values, count the C(m_u, 2) pairs of
 * values and the pairs that are equal; agreement = Σ agreeing pairs / Σ pairs. Units where more coders
 * overlap therefore weigh more (each pair of judgments of the same unit counts once). This is the
 * "average pairwise percent agreement" of e.g. ReCal (Freelon 2010) computed over pairs rather than
 * averaged per coder pair, which is identical when every coder codes every unit.
 */
export function computePercentAgreement(data: ReliabilityData): PercentAgreementResult {
  let pairs = 0;
  let agreeingPairs = 0;
  let pairableUnits = 0;
  for (const unit of data) {
    const counts = unitAgreementCounts(unit);
    if (counts.pairs === 0) continue;
    pairableUnits += 1;
    pairs += counts.pairs;
    agreeingPairs += counts.agreeing;
  }
  return { agreement: pairs > 0 ? agreeingPairs / pairs : null, pairs, agreeingPairs, pairableUnits };
}

function unitAgreementCounts(unit: readonly CodedValue[]): { pairs: number; agreeing: number } {
  const m = unit.length;
  if (m < 2) return { pairs: 0, agreeing: 0 };
  const counts = new Map<number | string, number>();
  for (const { value } of unit) counts.set(value, (counts.get(value) ?? 0) + 1);
  let agreeing = 0;
  for (const c of counts.values()) agreeing += (c * (c - 1)) / 2;
  return { pairs: (m * (m - 1)) / 2, agreeing };
}

/**
 * Percentile bootstrap interval for {@link computePercentAgreement}, resampling units with
 * replacement (seeded; default 1000 resamples, 95%).
 */
export function bootstrapPercentAgreement(data: ReliabilityData, options?: BootstrapOptions): ConfidenceInterval {
  const units = data.map(unitAgreementCounts).filter((u) => u.pairs > 0);
  return bootstrapUnits(
    units,
    (sample) => {
      let pairs = 0;
      let agreeing = 0;
      for (const u of sample) {
        pairs += u.pairs;
        agreeing += u.agreeing;
      }
      return pairs > 0 ? agreeing / pairs : null;
    },
    options,
  );
}

/**
 * The coincidence-matrix form of α, prepared once so that bootstrap resamples only re-add per-unit
 * contributions. Values are indexed 0..V−1 (ascending for ordinal/interval).
 */
interface PreparedAlpha {
  metric: AlphaMetric;
  values: readonly (number | string)[];
  /** Per pairable unit: flat triples (c, k, o_uck) with o_uck = n_uc (n_uk − [c = k]) / (m_u − 1). */
  unitCoincidences: readonly Float64Array[];
}

function prepareAlpha(data: ReliabilityData, metric: AlphaMetric): PreparedAlpha {
  const pairable = data.filter((unit) => unit.length >= 2);
  const distinct = new Set<number | string>();
  for (const unit of pairable) {
    for (const { value, coder } of unit) {
      if (metric !== "nominal" && (typeof value !== "number" || !Number.isFinite(value))) {
        throw new AppError("BAD_INPUT", `${metric} α needs finite numeric values; coder ${coder} gave ${String(value)}`);
      }
      distinct.add(value);
    }
  }
  const values = [...distinct];
  if (metric !== "nominal") values.sort((a, b) => (a as number) - (b as number));
  const indexOf = new Map(values.map((v, i) => [v, i]));

  const unitCoincidences = pairable.map((unit) => {
    const counts = new Map<number, number>();
    for (const { value } of unit) {
      const idx = indexOf.get(value) ?? 0;
      counts.set(idx, (counts.get(idx) ?? 0) + 1);
    }
    const m = unit.length;
    const entries: number[] = [];
    for (const [c, nc] of counts) {
      for (const [k, nk] of counts) {
        const pairsCk = c === k ? nc * (nk - 1) : nc * nk;
        if (pairsCk > 0) entries.push(c, k, pairsCk / (m - 1));
      }
    }
    return Float64Array.from(entries);
  });
  return { metric, values, unitCoincidences };
}

/** α from a summed V×V coincidence matrix (row-major). */
function alphaFromCoincidences(prepared: PreparedAlpha, o: Float64Array, pairableUnits: number): AlphaResult {
  const v = prepared.values.length;
  const marginals = new Float64Array(v);
  let n = 0;
  for (let c = 0; c < v; c++) {
    let row = 0;
    for (let k = 0; k < v; k++) row += o[c * v + k] ?? 0;
    marginals[c] = row;
    n += row;
  }
  const delta = differenceMatrix(prepared, marginals);
  let observed = 0;
  let expected = 0;
  for (let c = 0; c < v; c++) {
    const nc = marginals[c] ?? 0;
    for (let k = 0; k < v; k++) {
      const d = delta[c * v + k] ?? 0;
      if (d === 0) continue;
      observed += (o[c * v + k] ?? 0) * d;
      expected += nc * (marginals[k] ?? 0) * d;
    }
  }
  const observedDisagreement = n > 0 ? observed / n : 0;
  const expectedDisagreement = n > 1 ? expected / (n * (n - 1)) : 0;
  const alpha = n > 1 && expected > 0 ? 1 - ((n - 1) * observed) / expected : null;
  return {
    alpha,
    metric: prepared.metric,
    pairableUnits,
    pairableValues: n,
    observedDisagreement,
    expectedDisagreement,
  };
}

/**
 * δ²_ck (Krippendorff 2011, section E): nominal 0/1; interval (c − k)²; ordinal
 * (Σ_{g=c..k} n_g − (n_c + n_k)/2)², which depends on the marginals and so on the (re)sample.
 */
function differenceMatrix(prepared: PreparedAlpha, marginals: Float64Array): Float64Array {
  const v = prepared.values.length;
  const delta = new Float64Array(v * v);
  if (prepared.metric === "nominal") {
    for (let c = 0; c < v; c++) for (let k = 0; k < v; k++) delta[c * v + k] = c === k ? 0 : 1;
  } else if (prepared.metric === "interval") {
    for (let c = 0; c < v; c++) {
      for (let k = 0; k < v; k++) {
        const diff = (prepared.values[c] as number) - (prepared.values[k] as number);
        delta[c * v + k] = diff * diff;
      }
    }
  } else {
    const cumulative = new Float64Array(v + 1);
    for (let g = 0; g < v; g++) cumulative[g + 1] = (cumulative[g] ?? 0) + (marginals[g] ?? 0);
    for (let c = 0; c < v; c++) {
      for (let k = c + 1; k < v; k++) {
        const between = (cumulative[k + 1] ?? 0) - (cumulative[c] ?? 0);
        const d = between - ((marginals[c] ?? 0) + (marginals[k] ?? 0)) / 2;
        delta[c * v + k] = d * d;
        delta[k * v + c] = d * d;
      }
    }
  }
  return delta;
}

function sumCoincidences(prepared: PreparedAlpha, unitIndices: ArrayLike<number>): Float64Array {
  const v = prepared.values.length;
  const o = new Float64Array(v * v);
  for (let i = 0; i < unitIndices.length; i++) {
    const entries = prepared.unitCoincidences[unitIndices[i] ?? 0];
    if (!entries) continue;
    for (let e = 0; e < entries.length; e += 3) {
      const idx = (entries[e] ?? 0) * v + (entries[e + 1] ?? 0);
      o[idx] = (o[idx] ?? 0) + (entries[e + 2] ?? 0);
    }
  }
  return o;
}

/**
 * Krippendorff's α for any number of coders, missing data allowed:
 * α = 1 − D_o / D_e = 1 − (n − 1) Σ_ck o_ck δ²_ck / Σ_ck n_c n_k δ²_ck, where o_ck is the coincidence
 * matrix (each unit with m_u ≥ 2 values adds its ordered value pairs weighted 1 / (m_u − 1)), n_c its
 * marginals and n = Σ n_c. Reference: K. Krippendorff, "Computing Krippendorff's Alpha-Reliability"
 * (2011), sections C–E; its 4-coder × 12-unit example gives nominal 0.743, ordinal 0.815, interval
 * 0.849 (tested). Coder names are not used: α depends only on the values within each unit.
 */
export function computeKrippendorffAlpha(data: ReliabilityData, metric: AlphaMetric): AlphaResult {
  const prepared = prepareAlpha(data, metric);
  const all = Array.from({ length: prepared.unitCoincidences.length }, (_, i) => i);
  return alphaFromCoincidences(prepared, sumCoincidences(prepared, all), all.length);
}

/**
 * Percentile bootstrap interval for Krippendorff's α, resampling pairable units with replacement
 * (seeded; default 1000 resamples, 95%). Resamples where α is undefined (no variation) are skipped.
 * Note this is a plain unit bootstrap, not Hayes & Krippendorff's (2007) pair-resampling procedure.
 */
export function bootstrapKrippendorffAlpha(data: ReliabilityData, metric: AlphaMetric, options?: BootstrapOptions): ConfidenceInterval {
  const { resamples, seed, level } = resolveBootstrapOptions(options);
  const prepared = prepareAlpha(data, metric);
  const units = prepared.unitCoincidences.length;
  const all = Array.from({ length: units }, (_, i) => i);
  const estimate = alphaFromCoincidences(prepared, sumCoincidences(prepared, all), units).alpha;
  const rng = createRng(seed);
  const replicates: number[] = [];
  const sample = new Uint32Array(units);
  for (let r = 0; r < resamples && units > 0; r++) {
    for (let i = 0; i < units; i++) sample[i] = rng.nextInt(units);
    const alpha = finiteOrNull(alphaFromCoincidences(prepared, sumCoincidences(prepared, sample), units).alpha);
    if (alpha !== null) replicates.push(alpha);
  }
  return {
    estimate,
    ...computePercentileInterval(replicates, level),
    level,
    resamples,
    validResamples: replicates.length,
  };
}

/**
 * Cohen's κ for two aligned rating lists (same length; position i is one unit rated by both):
 * κ = (p_o − p_e) / (1 − p_e), p_o the share of equal ratings, p_e = Σ_c p_A(c) p_B(c) from each
 * rater's own category shares. Reference: J. Cohen, "A coefficient of agreement for nominal scales",
 * Educational and Psychological Measurement 20 (1960).
 */
export function computeCohenKappaFromRatings(ratingsA: readonly (number | string)[], ratingsB: readonly (number | string)[]): KappaResult {
  if (ratingsA.length !== ratingsB.length) {
    throw new AppError("BAD_INPUT", `rating lists differ in length (${ratingsA.length} vs ${ratingsB.length})`);
  }
  const n = ratingsA.length;
  if (n === 0) return { kappa: null, observedAgreement: null, expectedAgreement: null, shared: 0 };
  const countsA = new Map<number | string, number>();
  const countsB = new Map<number | string, number>();
  let equal = 0;
  for (let i = 0; i < n; i++) {
    const a = ratingsA[i] as number | string;
    const b = ratingsB[i] as number | string;
    if (a === b) equal += 1;
    countsA.set(a, (countsA.get(a) ?? 0) + 1);
    countsB.set(b, (countsB.get(b) ?? 0) + 1);
  }
  let expected = 0;
  for (const [category, ca] of countsA) expected += (ca / n) * ((countsB.get(category) ?? 0) / n);
  const observed = equal / n;
  // p_e = 1 only when both raters used one and the same category: κ is 0/0 there.
  const kappa = expected < 1 - 1e-12 ? (observed - expected) / (1 - expected) : null;
  return { kappa, observedAgreement: observed, expectedAgreement: expected, shared: n };
}

/** For each coder: unit index → value. Throws BAD_INPUT if a coder has two values in one unit. */
function indexByCoder(data: ReliabilityData): Map<string, Map<number, number | string>> {
  const byCoder = new Map<string, Map<number, number | string>>();
  data.forEach((unit, u) => {
    for (const { coder, value } of unit) {
      let values = byCoder.get(coder);
      if (!values) {
        values = new Map();
        byCoder.set(coder, values);
      }
      if (values.has(u)) throw new AppError("BAD_INPUT", `coder ${coder} has two values in unit ${u}`);
      values.set(u, value);
    }
  });
  return byCoder;
}

function sharedRatings(
  a: Map<number, number | string>,
  b: Map<number, number | string>,
): { ratingsA: (number | string)[]; ratingsB: (number | string)[] } {
  const ratingsA: (number | string)[] = [];
  const ratingsB: (number | string)[] = [];
  const [small, large, smallIsA] = a.size <= b.size ? [a, b, true] : [b, a, false];
  const units = [...small.keys()].sort((x, y) => x - y);
  for (const u of units) {
    const other = large.get(u);
    if (other === undefined) continue;
    const mine = small.get(u) as number | string;
    ratingsA.push(smallIsA ? mine : other);
    ratingsB.push(smallIsA ? other : mine);
  }
  return { ratingsA, ratingsB };
}

/**
 * Cohen's κ between two named coders over the units of `data` that both coded
 * (see {@link computeCohenKappaFromRatings}).
 */
export function computeCohenKappa(data: ReliabilityData, coderA: string, coderB: string): KappaResult {
  const byCoder = indexByCoder(data);
  const { ratingsA, ratingsB } = sharedRatings(byCoder.get(coderA) ?? new Map(), byCoder.get(coderB) ?? new Map());
  return computeCohenKappaFromRatings(ratingsA, ratingsB);
}

/**
 * Cohen's κ for every coder pair sharing at least `minShared` units (default 20, as in DESIGN.md),
 * sorted by coder names. With `bootstrap` set, each pair also gets a percentile interval from resampling
 * its shared units (seeded; all pairs use the same seed).
 */
export function computePairwiseKappa(
  data: ReliabilityData,
  options?: { minShared?: number; bootstrap?: BootstrapOptions },
): PairwiseKappa[] {
  const minShared = options?.minShared ?? 20;
  const byCoder = indexByCoder(data);
  const coders = [...byCoder.keys()].sort();
  const result: PairwiseKappa[] = [];
  for (let i = 0; i < coders.length; i++) {
    for (let j = i + 1; j < coders.length; j++) {
      const coderA = coders[i] as string;
      const coderB = coders[j] as string;
      const valuesA = byCoder.get(coderA) ?? new Map();
      const valuesB = byCoder.get(coderB) ?? new Map();
      if (Math.min(valuesA.size, valuesB.size) < minShared) continue;
      const { ratingsA, ratingsB } = sharedRatings(valuesA, valuesB);
      if (ratingsA.length < minShared) continue;
      const kappa = computeCohenKappaFromRatings(ratingsA, ratingsB);
      const row: PairwiseKappa = { coderA, coderB, ...kappa };
      if (options?.bootstrap) {
        const pairs = ratingsA.map((a, k) => [a, ratingsB[k] as number | string] as const);
        row.interval = bootstrapUnits(
          pairs,
          (sample) =>
            computeCohenKappaFromRatings(
              sample.map((p) => p[0]),
              sample.map((p) => p[1]),
            ).kappa,
          options.bootstrap,
        );
      }
      result.push(row);
    }
  }
  return result;
}

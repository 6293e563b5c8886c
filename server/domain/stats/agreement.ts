import { AppError } from "../errors";
import {
  type BootstrapOptions,
  type ConfidenceInterval,
  computePercentileInterval,
  finiteOrNull,
  resolveBootstrapOptions,
} from "./bootstrap";
import { createRng, sampleMultinomial } from "./random";

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
  for (const { unit, coder, value } of records) {
    const values = byUnit.get(unit);
    if (values) {
      // A unit holds a handful of coders: a scan beats a global set of (unit, coder) keys.
      for (const v of values) if (v.coder === coder) throw new AppError("BAD_INPUT", `coder ${coder} has two values for unit ${unit}`);
      values.push({ coder, value });
    } else byUnit.set(unit, [{ coder, value }]);
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
  const { resamples, seed, level } = resolveBootstrapOptions(options);
  const units = data.map(unitAgreementCounts).filter((u) => u.pairs > 0);
  // Units with the same (pairs, agreeing) are interchangeable: resampling n units with replacement is a
  // multinomial draw over the distinct kinds (weights = how many units of each kind), O(kinds) per resample.
  const kinds = new Map<string, { pairs: number; agreeing: number; units: number }>();
  let totalPairs = 0;
  let totalAgreeing = 0;
  for (const u of units) {
    totalPairs += u.pairs;
    totalAgreeing += u.agreeing;
    const key = `${u.pairs}:${u.agreeing}`;
    const kind = kinds.get(key);
    if (kind) kind.units += 1;
    else kinds.set(key, { ...u, units: 1 });
  }
  const list = [...kinds.values()];
  const weights = Float64Array.from(list, (k) => k.units);
  const drawn = new Float64Array(list.length);
  const rng = createRng(seed);
  const replicates: number[] = [];
  for (let r = 0; r < resamples && units.length > 0; r++) {
    sampleMultinomial(rng, units.length, weights, drawn);
    let p = 0;
    let a = 0;
    list.forEach((kind, i) => {
      p += (drawn[i] ?? 0) * kind.pairs;
      a += (drawn[i] ?? 0) * kind.agreeing;
    });
    if (p > 0) replicates.push(a / p);
  }
  return {
    estimate: totalPairs > 0 ? totalAgreeing / totalPairs : null,
    ...computePercentileInterval(replicates, level),
    level,
    resamples,
    validResamples: replicates.length,
  };
}

/**
 * The coincidence-matrix form of α, prepared once so that bootstrap resamples only re-add per-unit
 * contributions. Values are indexed 0..V−1 (ascending for ordinal/interval).
 */
interface PreparedAlpha {
  metric: AlphaMetric;
  values: readonly (number | string)[];
  /**
   * Distinct unit patterns: flat triples (c, k, o_uck) with o_uck = n_uc (n_uk − [c = k]) / (m_u − 1).
   * Units with the same multiset of values share one pattern; a project has a handful of patterns
   * however many units it has, so a bootstrap resample only counts how often each pattern was drawn.
   */
  patterns: readonly Float64Array[];
  /** Pattern index of each pairable unit. */
  unitPattern: Int32Array;
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

  const patterns: Float64Array[] = [];
  const patternOf = new Map<string, number>();
  const unitPattern = new Int32Array(pairable.length);
  const counts = new Int32Array(values.length);
  pairable.forEach((unit, u) => {
    const used: number[] = [];
    for (const { value } of unit) {
      const idx = indexOf.get(value) ?? 0;
      if (counts[idx] === 0) used.push(idx);
      counts[idx] = (counts[idx] ?? 0) + 1;
    }
    used.sort((x, y) => x - y);
    const key = used.map((c) => `${c}x${counts[c]}`).join(",");
    let pattern = patternOf.get(key);
    if (pattern === undefined) {
      const m = unit.length;
      const entries: number[] = [];
      for (const c of used) {
        for (const k of used) {
          const nc = counts[c] ?? 0;
          const nk = counts[k] ?? 0;
          const pairsCk = c === k ? nc * (nk - 1) : nc * nk;
          if (pairsCk > 0) entries.push(c, k, pairsCk / (m - 1));
        }
      }
      pattern = patterns.length;
      patterns.push(Float64Array.from(entries));
      patternOf.set(key, pattern);
    }
    unitPattern[u] = pattern;
    for (const c of used) counts[c] = 0;
  });
  return { metric, values, patterns, unitPattern };
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

/** Σ over patterns of (times drawn) × the pattern's coincidences: the V×V matrix of a (re)sample. */
function sumCoincidences(prepared: PreparedAlpha, patternCounts: ArrayLike<number>): Float64Array {
  const v = prepared.values.length;
  const o = new Float64Array(v * v);
  for (let p = 0; p < prepared.patterns.length; p++) {
    const times = patternCounts[p] ?? 0;
    if (times === 0) continue;
    const entries = prepared.patterns[p] as Float64Array;
    for (let e = 0; e < entries.length; e += 3) {
      const idx = (entries[e] ?? 0) * v + (entries[e + 1] ?? 0);
      o[idx] = (o[idx] ?? 0) + times * (entries[e + 2] ?? 0);
    }
  }
  return o;
}

function allPatternCounts(prepared: PreparedAlpha): Float64Array {
  const counts = new Float64Array(prepared.patterns.length);
  for (const p of prepared.unitPattern) counts[p] = (counts[p] ?? 0) + 1;
  return counts;
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
  return alphaFromCoincidences(prepared, sumCoincidences(prepared, allPatternCounts(prepared)), prepared.unitPattern.length);
}

/**
 * Percentile bootstrap interval for Krippendorff's α, resampling pairable units with replacement
 * (seeded; default 1000 resamples, 95%). Resamples where α is undefined (no variation) are skipped.
 * Note this is a plain unit bootstrap, not Hayes & Krippendorff's (2007) pair-resampling procedure.
 */
export function bootstrapKrippendorffAlpha(data: ReliabilityData, metric: AlphaMetric, options?: BootstrapOptions): ConfidenceInterval {
  const { resamples, seed, level } = resolveBootstrapOptions(options);
  const prepared = prepareAlpha(data, metric);
  const units = prepared.unitPattern.length;
  const estimate = alphaFromCoincidences(prepared, sumCoincidences(prepared, allPatternCounts(prepared)), units).alpha;
  const rng = createRng(seed);
  const replicates: number[] = [];
  // Resampling units with replacement = a multinomial draw over unit patterns, O(patterns) per resample.
  const weights = allPatternCounts(prepared);
  const drawn = new Float64Array(prepared.patterns.length);
  for (let r = 0; r < resamples && units > 0; r++) {
    sampleMultinomial(rng, units, weights, drawn);
    const alpha = finiteOrNull(alphaFromCoincidences(prepared, sumCoincidences(prepared, drawn), units).alpha);
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
 * Percentile bootstrap of κ over a pair's shared units. κ depends only on the category × category table
 * of the pair's ratings, so resampling the n shared units with replacement is a multinomial draw over
 * the table's cells: O(V²) per resample instead of O(n), for every pair of a large project.
 */
function bootstrapKappa(
  ratingsA: readonly (number | string)[],
  ratingsB: readonly (number | string)[],
  estimate: number | null,
  options: BootstrapOptions,
): ConfidenceInterval {
  const { resamples, seed, level } = resolveBootstrapOptions(options);
  const categories = new Map<number | string, number>();
  const code = (v: number | string) => {
    let c = categories.get(v);
    if (c === undefined) {
      c = categories.size;
      categories.set(v, c);
    }
    return c;
  };
  const n = ratingsA.length;
  const codesA = Int32Array.from(ratingsA, code);
  const codesB = Int32Array.from(ratingsB, code);
  const v = categories.size;
  const table = new Float64Array(v * v);
  for (let i = 0; i < n; i++) {
    const cell = (codesA[i] ?? 0) * v + (codesB[i] ?? 0);
    table[cell] = (table[cell] ?? 0) + 1;
  }
  const drawn = new Float64Array(v * v);
  const marginA = new Float64Array(v);
  const marginB = new Float64Array(v);
  const rng = createRng(seed);
  const replicates: number[] = [];
  for (let r = 0; r < resamples && n > 0; r++) {
    sampleMultinomial(rng, n, table, drawn);
    marginA.fill(0);
    marginB.fill(0);
    let equal = 0;
    for (let a = 0; a < v; a++) {
      for (let b = 0; b < v; b++) {
        const x = drawn[a * v + b] ?? 0;
        if (a === b) equal += x;
        marginA[a] = (marginA[a] ?? 0) + x;
        marginB[b] = (marginB[b] ?? 0) + x;
      }
    }
    let expected = 0;
    for (let c = 0; c < v; c++) expected += ((marginA[c] ?? 0) / n) * ((marginB[c] ?? 0) / n);
    if (expected < 1 - 1e-12) {
      const kappa = finiteOrNull((equal / n - expected) / (1 - expected));
      if (kappa !== null) replicates.push(kappa);
    }
  }
  return {
    estimate: finiteOrNull(estimate),
    ...computePercentileInterval(replicates, level),
    level,
    resamples,
    validResamples: replicates.length,
  };
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
  // One pass over the units collects every pair's shared ratings (Σ_u C(m_u, 2) entries in all), in
  // unit order, instead of intersecting two coders' unit maps for each of the C(coders, 2) pairs.
  const coders = [...indexByCoder(data).keys()].sort();
  const coderIndex = new Map(coders.map((c, i) => [c, i]));
  const c = coders.length;
  const shared = new Map<number, { ratingsA: (number | string)[]; ratingsB: (number | string)[] }>();
  for (const unit of data) {
    if (unit.length < 2) continue;
    const sorted = [...unit].sort((x, y) => (coderIndex.get(x.coder) ?? 0) - (coderIndex.get(y.coder) ?? 0));
    for (let i = 0; i < sorted.length; i++) {
      for (let j = i + 1; j < sorted.length; j++) {
        const a = sorted[i] as CodedValue;
        const b = sorted[j] as CodedValue;
        const key = (coderIndex.get(a.coder) ?? 0) * c + (coderIndex.get(b.coder) ?? 0);
        let pair = shared.get(key);
        if (!pair) {
          pair = { ratingsA: [], ratingsB: [] };
          shared.set(key, pair);
        }
        pair.ratingsA.push(a.value);
        pair.ratingsB.push(b.value);
      }
    }
  }
  const result: PairwiseKappa[] = [];
  for (let i = 0; i < c; i++) {
    for (let j = i + 1; j < c; j++) {
      const pair = shared.get(i * c + j);
      if (!pair || pair.ratingsA.length < minShared) continue;
      const kappa = computeCohenKappaFromRatings(pair.ratingsA, pair.ratingsB);
      const row: PairwiseKappa = { coderA: coders[i] as string, coderB: coders[j] as string, ...kappa };
      if (options?.bootstrap) row.interval = bootstrapKappa(pair.ratingsA, pair.ratingsB, kappa.kappa, options.bootstrap);
      result.push(row);
    }
  }
  return result;
}

/** Nominal α and percent agreement after a prefix of the records. */
export interface AgreementCheckpoint {
  /** Records consumed (the prefix length). */
  records: number;
  alpha: number | null;
  percentAgreement: number | null;
}

/**
 * Nominal Krippendorff's α and pooled percent agreement after each prefix length in `checkpoints`
 * (ascending) of `records` — e.g. agreement over time — in one pass. Each unit's contribution to the
 * coincidence matrix depends only on its value counts, so adding a value swaps that unit's old
 * contribution for its new one; every checkpoint then reads α off the running V×V matrix instead of
 * rebuilding the reliability data of the whole prefix. Equal to {@link computeKrippendorffAlpha}
 * ("nominal") and {@link computePercentAgreement} on each prefix (tested). A coder's second value
 * for a unit throws BAD_INPUT, as in {@link buildReliabilityData}.
 */
export function computeCumulativeAgreement(
  records: readonly { unit: string; coder: string; value: number | string }[],
  checkpoints: readonly number[],
): AgreementCheckpoint[] {
  const valueIndex = new Map<number | string, number>();
  const units = new Map<string, Map<number, number>>();
  const seen = new Set<string>();
  // Sparse coincidences keyed c * 2^20 + k: V is small, but unknown up front.
  const o = new Map<number, number>();
  const add = (c: number, k: number, x: number) => {
    const key = c * 1_048_576 + k;
    o.set(key, (o.get(key) ?? 0) + x);
  };
  const contribute = (counts: Map<number, number>, m: number, sign: 1 | -1) => {
    if (m < 2) return;
    for (const [c, nc] of counts) {
      for (const [k, nk] of counts) {
        const pairsCk = c === k ? nc * (nk - 1) : nc * nk;
        if (pairsCk > 0) add(c, k, (sign * pairsCk) / (m - 1));
      }
    }
  };
  let pairs = 0;
  let agreeing = 0;
  const out: AgreementCheckpoint[] = [];
  let next = 0;
  const emit = (consumed: number) => {
    while (next < checkpoints.length && (checkpoints[next] ?? 0) === consumed) {
      const marginals = new Map<number, number>();
      let n = 0;
      let observed = 0;
      for (const [key, x] of o) {
        const c = Math.floor(key / 1_048_576);
        const k = key % 1_048_576;
        marginals.set(c, (marginals.get(c) ?? 0) + x);
        n += x;
        if (c !== k) observed += x;
      }
      let sumSquares = 0;
      for (const nc of marginals.values()) sumSquares += nc * nc;
      const expected = n * n - sumSquares; // Σ_{c≠k} n_c n_k
      // Sums of 1/(m−1) fractions: treat float dust as the exact zero it stands for.
      const alpha = n > 1 && expected > 1e-9 ? 1 - ((n - 1) * observed) / expected : null;
      out.push({ records: consumed, alpha, percentAgreement: pairs > 0 ? agreeing / pairs : null });
      next += 1;
    }
  };
  emit(0);
  records.forEach(({ unit, coder, value }, r) => {
    const key = `${unit.length}:${unit}${coder}`;
    if (seen.has(key)) throw new AppError("BAD_INPUT", `coder ${coder} has two values for unit ${unit}`);
    seen.add(key);
    let v = valueIndex.get(value);
    if (v === undefined) {
      v = valueIndex.size;
      valueIndex.set(value, v);
    }
    let counts = units.get(unit);
    if (!counts) {
      counts = new Map();
      units.set(unit, counts);
    }
    let m = 0;
    for (const c of counts.values()) m += c;
    contribute(counts, m, -1);
    const same = counts.get(v) ?? 0;
    pairs += m; // the new value pairs with each of the m earlier ones
    agreeing += same;
    counts.set(v, same + 1);
    contribute(counts, m + 1, 1);
    emit(r + 1);
  });
  return out;
}

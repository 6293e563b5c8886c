import { AppError } from "../errors";
import type { Battle } from "./battle";
import { computePercentileInterval, resolveBootstrapOptions } from "./bootstrap";
import { createRng, sampleMultinomial } from "./random";

/**
 * Battles aggregated per unordered model pair (i < j, indices into `models`, which is sorted). Both-bad
 * outcomes are counted with ties: for rating purposes both are "neither response preferred".
 */
export interface PairCounts {
  models: readonly string[];
  pairs: readonly { i: number; j: number; winsI: number; winsJ: number; ties: number }[];
  /** Battles counted (self-battles, modelA === modelB, are dropped). */
  total: number;
}

/** Elo-scale options shared by {@link fitBradleyTerry} and {@link fitLogisticRegressionBaseline}. */
export interface BradleyTerryScaleOptions {
  /** Elo points per factor `base` in odds (default 400). */
  scale?: number;
  /** Odds base (default 10): rating difference d means P(win) = 1 / (1 + base^(−d/scale)). */
  base?: number;
  /** Mean rating when no anchor is given (default 1000). */
  initialRating?: number;
  /** Pin one model's rating instead of centering the mean (Chatbot Arena pins a reference model). */
  anchor?: { model: string; rating: number };
  /**
   * Gaussian-prior (L2) precision on the natural-log strengths, i.e. the objective is
   * log-likelihood − l2/2·Σθ². Default 1e-4: negligible next to any real data (well below 0.01 Elo
   * for a few dozen battles per pair) but keeps undefeated models and disconnected comparison graphs
   * finite. 0 is Arena's unpenalized fit (then the graph must be connected and every model must have
   * won and lost something).
   */
  l2?: number;
  /** Newton stops when no strength moves more than this (natural-log units; default 1e-10). */
  tolerance?: number;
  /** Default 100. */
  maxIterations?: number;
}

export interface BradleyTerryOptions extends BradleyTerryScaleOptions {
  /** Bootstrap resamples of the battles (default 100; 0 skips the interval). */
  resamples?: number;
  /** Bootstrap seed (default 0). */
  seed?: number;
  /** Two-sided interval coverage (default 0.95 → percentiles 2.5 and 97.5). */
  level?: number;
}

export interface ModelRating {
  model: string;
  rating: number;
}

export interface BradleyTerryRow extends ModelRating {
  /** Percentile-bootstrap bounds; null when resamples is 0. */
  lower: number | null;
  upper: number | null;
  battles: number;
  wins: number;
  losses: number;
  /** Ties and both-bad outcomes. */
  draws: number;
}

export interface BradleyTerryResult {
  /** Sorted by rating, best first. */
  ratings: BradleyTerryRow[];
  /** Newton iterations of the point fit. */
  iterations: number;
  converged: boolean;
  resamples: number;
  level: number;
}

/**
 * Count battles per model pair and outcome. Models are indexed in sorted order so that the result does
 * not depend on battle order.
 */
export function aggregateBattles(battles: readonly Battle[]): PairCounts {
  const seen = new Map<string, number>();
  const firstSeen: string[] = [];
  const sideA = new Int32Array(battles.length);
  const sideB = new Int32Array(battles.length);
  for (let t = 0; t < battles.length; t++) {
    const battle = battles[t] as Battle;
    let a = seen.get(battle.modelA);
    if (a === undefined) {
      a = firstSeen.length;
      seen.set(battle.modelA, a);
      firstSeen.push(battle.modelA);
    }
    let b = seen.get(battle.modelB);
    if (b === undefined) {
      b = firstSeen.length;
      seen.set(battle.modelB, b);
      firstSeen.push(battle.modelB);
    }
    sideA[t] = a;
    sideB[t] = b;
  }
  const models = [...firstSeen].sort();
  const rank = new Int32Array(firstSeen.length);
  firstSeen.forEach((name, k) => {
    rank[k] = models.indexOf(name);
  });

  const m = models.length;
  // wins[i*m + j]: battles i won against j; ties[min*m + max]: draws between the two.
  const wins = new Float64Array(m * m);
  const ties = new Float64Array(m * m);
  let total = 0;
  for (let t = 0; t < battles.length; t++) {
    const a = rank[sideA[t] ?? 0] ?? 0;
    const b = rank[sideB[t] ?? 0] ?? 0;
    if (a === b) continue;
    total += 1;
    const winner = (battles[t] as Battle).winner;
    if (winner === "a") wins[a * m + b] = (wins[a * m + b] ?? 0) + 1;
    else if (winner === "b") wins[b * m + a] = (wins[b * m + a] ?? 0) + 1;
    else {
      const cell = a < b ? a * m + b : b * m + a;
      ties[cell] = (ties[cell] ?? 0) + 1;
    }
  }
  const pairs: { i: number; j: number; winsI: number; winsJ: number; ties: number }[] = [];
  for (let i = 0; i < m; i++) {
    for (let j = i + 1; j < m; j++) {
      const winsI = wins[i * m + j] ?? 0;
      const winsJ = wins[j * m + i] ?? 0;
      const draws = ties[i * m + j] ?? 0;
      if (winsI + winsJ + draws > 0) pairs.push({ i, j, winsI, winsJ, ties: draws });
    }
  }
  return { models, pairs, total };
}

/** Pair data as flat arrays: effective wins count a tie as half a win for each side. */
interface PairArrays {
  m: number;
  pi: Int32Array;
  pj: Int32Array;
  /** Wins of i plus half the ties. */
  wi: Float64Array;
  /** Wins of j plus half the ties. */
  wj: Float64Array;
}

function toPairArrays(counts: PairCounts): PairArrays {
  const k = counts.pairs.length;
  const arrays: PairArrays = {
    m: counts.models.length,
    pi: new Int32Array(k),
    pj: new Int32Array(k),
    wi: new Float64Array(k),
    wj: new Float64Array(k),
  };
  counts.pairs.forEach((pair, p) => {
    arrays.pi[p] = pair.i;
    arrays.pj[p] = pair.j;
    arrays.wi[p] = pair.winsI + 0.5 * pair.ties;
    arrays.wj[p] = pair.winsJ + 0.5 * pair.ties;
  });
  return arrays;
}

/** log σ(x), stable for large |x|. */
function logSigmoid(x: number): number {
  return x >= 0 ? -Math.log1p(Math.exp(-x)) : x - Math.log1p(Math.exp(x));
}

function sigmoid(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

function penalizedLogLikelihood(data: PairArrays, theta: Float64Array, l2: number): number {
  let value = 0;
  for (let p = 0; p < data.pi.length; p++) {
    const d = (theta[data.pi[p] ?? 0] ?? 0) - (theta[data.pj[p] ?? 0] ?? 0);
    value += (data.wi[p] ?? 0) * logSigmoid(d) + (data.wj[p] ?? 0) * logSigmoid(-d);
  }
  let norm = 0;
  for (let i = 0; i < data.m; i++) norm += (theta[i] ?? 0) ** 2;
  return value - 0.5 * l2 * norm;
}

/**
 * Solve A x = b for symmetric positive definite A (m×m, row-major) by Cholesky, in place of a copy.
 * Returns null when A is not numerically positive definite.
 */
export function solveSymmetricPositiveDefinite(a: Float64Array, b: Float64Array, m: number): Float64Array | null {
  const l = Float64Array.from(a);
  for (let j = 0; j < m; j++) {
    let diag = l[j * m + j] ?? 0;
    for (let k = 0; k < j; k++) diag -= (l[j * m + k] ?? 0) ** 2;
    if (!(diag > 0)) return null;
    const root = Math.sqrt(diag);
    l[j * m + j] = root;
    for (let i = j + 1; i < m; i++) {
      let sum = l[i * m + j] ?? 0;
      for (let k = 0; k < j; k++) sum -= (l[i * m + k] ?? 0) * (l[j * m + k] ?? 0);
      l[i * m + j] = sum / root;
    }
  }
  const x = Float64Array.from(b);
  for (let i = 0; i < m; i++) {
    let sum = x[i] ?? 0;
    for (let k = 0; k < i; k++) sum -= (l[i * m + k] ?? 0) * (x[k] ?? 0);
    x[i] = sum / (l[i * m + i] ?? 1);
  }
  for (let i = m - 1; i >= 0; i--) {
    let sum = x[i] ?? 0;
    for (let k = i + 1; k < m; k++) sum -= (l[k * m + i] ?? 0) * (x[k] ?? 0);
    x[i] = sum / (l[i * m + i] ?? 1);
  }
  return x;
}

interface StrengthFit {
  theta: Float64Array;
  iterations: number;
  converged: boolean;
}

/**
 * Newton's method with backtracking on the concave penalized log-likelihood over pair counts. The
 * Hessian is the m×m weighted graph Laplacian Σ N p(1−p)(e_i − e_j)(e_i − e_j)ᵀ plus l2·I; with
 * l2 = 0 the rank-one term 11ᵀ fixes the gauge (mean strength 0) without changing the optimum.
 */
function fitStrengths(data: PairArrays, l2: number, start: Float64Array, tolerance: number, maxIterations: number): StrengthFit {
  const m = data.m;
  const theta = Float64Array.from(start);
  const gradient = new Float64Array(m);
  const hessian = new Float64Array(m * m);
  const trial = new Float64Array(m);
  let objective = penalizedLogLikelihood(data, theta, l2);
  for (let iteration = 1; iteration <= maxIterations; iteration++) {
    hessian.fill(l2 > 0 ? 0 : 1);
    for (let i = 0; i < m; i++) {
      gradient[i] = -l2 * (theta[i] ?? 0);
      hessian[i * m + i] = (hessian[i * m + i] ?? 0) + l2;
    }
    for (let p = 0; p < data.pi.length; p++) {
      const i = data.pi[p] ?? 0;
      const j = data.pj[p] ?? 0;
      const wi = data.wi[p] ?? 0;
      const n = wi + (data.wj[p] ?? 0);
      const s = sigmoid((theta[i] ?? 0) - (theta[j] ?? 0));
      const g = wi - n * s;
      const h = n * s * (1 - s);
      gradient[i] = (gradient[i] ?? 0) + g;
      gradient[j] = (gradient[j] ?? 0) - g;
      hessian[i * m + i] = (hessian[i * m + i] ?? 0) + h;
      hessian[j * m + j] = (hessian[j * m + j] ?? 0) + h;
      hessian[i * m + j] = (hessian[i * m + j] ?? 0) - h;
      hessian[j * m + i] = (hessian[j * m + i] ?? 0) - h;
    }
    const step = solveSymmetricPositiveDefinite(hessian, gradient, m);
    if (!step) {
      throw new AppError("BAD_INPUT", "Bradley-Terry fit is not identified (disconnected comparison graph?); use l2 > 0");
    }
    let scale = 1;
    let next = objective;
    for (let halving = 0; halving < 60; halving++) {
      for (let i = 0; i < m; i++) trial[i] = (theta[i] ?? 0) + scale * (step[i] ?? 0);
      next = penalizedLogLikelihood(data, trial, l2);
      if (next >= objective - 1e-12 * Math.abs(objective)) break;
      scale /= 2;
    }
    let maxMove = 0;
    for (let i = 0; i < m; i++) {
      maxMove = Math.max(maxMove, Math.abs((trial[i] ?? 0) - (theta[i] ?? 0)));
      theta[i] = trial[i] ?? 0;
    }
    objective = next;
    if (maxMove < tolerance) return { theta, iterations: iteration, converged: true };
  }
  return { theta, iterations: maxIterations, converged: false };
}

interface ResolvedScale {
  scale: number;
  base: number;
  initialRating: number;
  anchor: { model: string; rating: number } | undefined;
  l2: number;
  tolerance: number;
  maxIterations: number;
}

function resolveScale(options: BradleyTerryScaleOptions | undefined): ResolvedScale {
  const resolved = {
    scale: options?.scale ?? 400,
    base: options?.base ?? 10,
    initialRating: options?.initialRating ?? 1000,
    anchor: options?.anchor,
    l2: options?.l2 ?? 1e-4,
    tolerance: options?.tolerance ?? 1e-10,
    maxIterations: options?.maxIterations ?? 100,
  };
  if (!(resolved.base > 1)) throw new AppError("BAD_INPUT", `base must be > 1, got ${resolved.base}`);
  if (!(resolved.l2 >= 0)) throw new AppError("BAD_INPUT", `l2 must be >= 0, got ${resolved.l2}`);
  return resolved;
}

/** Natural-log strengths → Elo ratings, mean-centered at initialRating or pinned at the anchor. */
function toElo(theta: Float64Array, models: readonly string[], scale: ResolvedScale): Float64Array {
  const factor = scale.scale / Math.log(scale.base);
  const m = models.length;
  let offset: number;
  if (scale.anchor) {
    const index = models.indexOf(scale.anchor.model);
    if (index < 0) throw new AppError("BAD_INPUT", `anchor model ${scale.anchor.model} has no battles`);
    offset = scale.anchor.rating - factor * (theta[index] ?? 0);
  } else {
    let mean = 0;
    for (let i = 0; i < m; i++) mean += theta[i] ?? 0;
    offset = scale.initialRating - (factor * mean) / Math.max(m, 1);
  }
  return Float64Array.from(theta, (t) => offset + factor * t);
}

/**
 * Bradley-Terry ratings on the Elo scale with a percentile-bootstrap interval, as Chatbot Arena's
 * `compute_mle_elo` + `get_bootstrap_result` (lmsys FastChat `fastchat/serve/monitor/elo_analysis.py`;
 * Chiang et al., "Chatbot Arena", 2024):
 *
 * - Model: P(i beats j) = 1 / (1 + base^(−(R_i − R_j)/scale)), defaults base 10, scale 400.
 * - Ties and both-bad count as half a win for each side. Arena duplicates every battle and turns one
 *   copy of a tie into an A-win and the other into a B-win; that objective is exactly twice ours, so
 *   the maximizer is the same.
 * - Maximum likelihood by Newton's method on per-pair counts (the likelihood only depends on them),
 *   with a tiny L2 prior (see `l2`) for undefeated models and disconnected graphs.
 * - Ratings are mean-centered at `initialRating` (1000), which is where Arena's unpenalized
 *   zero-initialized fit lands, unless `anchor` pins one model.
 * - Interval: `resamples` (default 100) bootstrap resamples of the battles, each a seeded
 *   multinomial draw of the same total over the (pair, outcome) cells — identical in distribution to
 *   resampling battle rows with replacement — refit and re-centered the same way; bounds are the
 *   (1 ± level)/2 quantiles (type 7, as pandas). `rating` is the full-data fit, not the bootstrap
 *   median. With an anchor, every resample is pinned the same way, so the anchor's interval has zero
 *   width and the others' intervals are relative to it.
 *
 * Self-battles (modelA === modelB) are dropped.
 */
export function fitBradleyTerry(battles: readonly Battle[], options?: BradleyTerryOptions): BradleyTerryResult {
  return fitBradleyTerryCounts(aggregateBattles(battles), options);
}

/** {@link fitBradleyTerry} on already aggregated counts (what a benchmark times separately). */
export function fitBradleyTerryCounts(counts: PairCounts, options?: BradleyTerryOptions): BradleyTerryResult {
  const scale = resolveScale(options);
  const { resamples, seed, level } = resolveBootstrapOptions({
    resamples: options?.resamples ?? 100,
    seed: options?.seed,
    level: options?.level,
  });
  const m = counts.models.length;
  const data = toPairArrays(counts);
  const point = fitStrengths(data, scale.l2, new Float64Array(m), scale.tolerance, scale.maxIterations);
  const ratings = toElo(point.theta, counts.models, scale);

  const replicates: number[][] = counts.models.map(() => []);
  if (resamples > 0 && counts.total > 0) {
    const k = counts.pairs.length;
    const cells = new Float64Array(3 * k);
    counts.pairs.forEach((pair, p) => {
      cells[3 * p] = pair.winsI;
      cells[3 * p + 1] = pair.winsJ;
      cells[3 * p + 2] = pair.ties;
    });
    const rng = createRng(seed);
    const drawn = new Float64Array(3 * k);
    const resampled: PairArrays = { ...data, wi: new Float64Array(k), wj: new Float64Array(k) };
    for (let r = 0; r < resamples; r++) {
      sampleMultinomial(rng, counts.total, cells, drawn);
      for (let p = 0; p < k; p++) {
        const halfTies = 0.5 * (drawn[3 * p + 2] ?? 0);
        resampled.wi[p] = (drawn[3 * p] ?? 0) + halfTies;
        resampled.wj[p] = (drawn[3 * p + 1] ?? 0) + halfTies;
      }
      // Warm start from the point estimate: resamples are close to it, so Newton needs few steps.
      const fit = fitStrengths(resampled, scale.l2, point.theta, scale.tolerance, scale.maxIterations);
      const elo = toElo(fit.theta, counts.models, scale);
      for (let i = 0; i < m; i++) replicates[i]?.push(elo[i] ?? 0);
    }
  }

  const tallies = tallyModels(counts);
  const rows: BradleyTerryRow[] = counts.models.map((model, i) => ({
    model,
    rating: ratings[i] ?? 0,
    ...computePercentileInterval(replicates[i] ?? [], level),
    ...(tallies[i] ?? { battles: 0, wins: 0, losses: 0, draws: 0 }),
  }));
  rows.sort((x, y) => y.rating - x.rating || (x.model < y.model ? -1 : 1));
  return { ratings: rows, iterations: point.iterations, converged: point.converged, resamples, level };
}

function tallyModels(counts: PairCounts): { battles: number; wins: number; losses: number; draws: number }[] {
  const tallies = counts.models.map(() => ({ battles: 0, wins: 0, losses: 0, draws: 0 }));
  for (const { i, j, winsI, winsJ, ties } of counts.pairs) {
    for (const [index, won, lost] of [
      [i, winsI, winsJ],
      [j, winsJ, winsI],
    ] as const) {
      const tally = tallies[index];
      if (!tally) continue;
      tally.battles += won + lost + ties;
      tally.wins += won;
      tally.losses += lost;
      tally.draws += ties;
    }
  }
  return tallies;
}

/**
 * Predicted probability that a model rated `ratingA` beats one rated `ratingB` (ties split evenly):
 * 1 / (1 + base^((ratingB − ratingA)/scale)).
 */
export function predictWinProbability(ratingA: number, ratingB: number, scale = 400, base = 10): number {
  return 1 / (1 + base ** ((ratingB - ratingA) / scale));
}

/**
 * The naive reference implementation: logistic regression exactly as Chatbot Arena sets it up, one
 * dense design row per battle and outcome (every battle duplicated, a tie becoming one A-win and one
 * B-win, each duplicated row weighted ½), +1 for model A and −1 for model B, no intercept, fitted by
 * IRLS (Newton) over all rows with the same L2 prior, tolerance and Elo mapping as
 * {@link fitBradleyTerry}. Same answer, O(battles × models²) per iteration: it exists so a benchmark
 * can report the speed-up of aggregating first, and so a test can check the two agree.
 */
export function fitLogisticRegressionBaseline(battles: readonly Battle[], options?: BradleyTerryScaleOptions): ModelRating[] {
  const scale = resolveScale(options);
  const models = [...new Set(battles.flatMap((b) => [b.modelA, b.modelB]))].sort();
  const index = new Map(models.map((model, i) => [model, i]));
  const m = models.length;
  const kept = battles.filter((b) => b.modelA !== b.modelB);
  const rows = 2 * kept.length;
  const design = new Float64Array(rows * m);
  const labels = new Float64Array(rows);
  kept.forEach((battle, t) => {
    const a = index.get(battle.modelA) ?? 0;
    const b = index.get(battle.modelB) ?? 0;
    for (const copy of [0, 1]) {
      const row = 2 * t + copy;
      design[row * m + a] = 1;
      design[row * m + b] = -1;
      labels[row] = battle.winner === "a" ? 1 : battle.winner === "b" ? 0 : copy === 0 ? 1 : 0;
    }
  });

  const objective = (beta: Float64Array): number => {
    let value = 0;
    for (let row = 0; row < rows; row++) {
      let eta = 0;
      for (let c = 0; c < m; c++) eta += (design[row * m + c] ?? 0) * (beta[c] ?? 0);
      value += 0.5 * ((labels[row] ?? 0) === 1 ? logSigmoid(eta) : logSigmoid(-eta));
    }
    let norm = 0;
    for (let c = 0; c < m; c++) norm += (beta[c] ?? 0) ** 2;
    return value - 0.5 * scale.l2 * norm;
  };

  const beta = new Float64Array(m);
  const gradient = new Float64Array(m);
  const hessian = new Float64Array(m * m);
  const trial = new Float64Array(m);
  let current = objective(beta);
  for (let iteration = 0; iteration < scale.maxIterations; iteration++) {
    hessian.fill(scale.l2 > 0 ? 0 : 1);
    for (let c = 0; c < m; c++) {
      gradient[c] = -scale.l2 * (beta[c] ?? 0);
      hessian[c * m + c] = (hessian[c * m + c] ?? 0) + scale.l2;
    }
    for (let row = 0; row < rows; row++) {
      let eta = 0;
      for (let c = 0; c < m; c++) eta += (design[row * m + c] ?? 0) * (beta[c] ?? 0);
      const p = sigmoid(eta);
      const residual = 0.5 * ((labels[row] ?? 0) - p);
      const weight = 0.5 * p * (1 - p);
      for (let c = 0; c < m; c++) {
        const x = design[row * m + c] ?? 0;
        if (x === 0) continue;
        gradient[c] = (gradient[c] ?? 0) + residual * x;
        for (let d = 0; d < m; d++) {
          hessian[c * m + d] = (hessian[c * m + d] ?? 0) + weight * x * (design[row * m + d] ?? 0);
        }
      }
    }
    const step = solveSymmetricPositiveDefinite(hessian, gradient, m);
    if (!step) throw new AppError("BAD_INPUT", "logistic regression is not identified; use l2 > 0");
    let stepScale = 1;
    let next = current;
    for (let halving = 0; halving < 60; halving++) {
      for (let c = 0; c < m; c++) trial[c] = (beta[c] ?? 0) + stepScale * (step[c] ?? 0);
      next = objective(trial);
      if (next >= current - 1e-12 * Math.abs(current)) break;
      stepScale /= 2;
    }
    let maxMove = 0;
    for (let c = 0; c < m; c++) {
      maxMove = Math.max(maxMove, Math.abs((trial[c] ?? 0) - (beta[c] ?? 0)));
      beta[c] = trial[c] ?? 0;
    }
    current = next;
    if (maxMove < scale.tolerance) break;
  }
  const elo = toElo(beta, models, scale);
  return models.map((model, i) => ({ model, rating: elo[i] ?? 0 })).sort((x, y) => y.rating - x.rating || (x.model < y.model ? -1 : 1));
}

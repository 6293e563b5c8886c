import { AppError } from "../errors";

/** One annotator's label for one item; `label` is a class index in [0, classes). */
export interface CategoricalLabel {
  item: string;
  annotator: string;
  label: number;
}

export interface DawidSkeneOptions {
  /** Number of classes K; every label must be an integer in [0, K). */
  classes: number;
  /** Default 1000 EM rounds (EM slows down near one-hot posteriors; a round is O(labels · K)). */
  maxIterations?: number;
  /** Converged when no posterior probability moves more than this in one round (default 1e-6). */
  tolerance?: number;
  /**
   * Also converged when the marginal log-likelihood changes by less than this fraction of itself in
   * one round (off by default). EM's likelihood flattens long before the last posteriors of slow,
   * ambiguous items stop moving; dashboards that only read annotator accuracies use this.
   */
  likelihoodTolerance?: number;
  /**
   * Dirichlet pseudo-count added to every confusion-matrix cell and class-prior count (default 0.01),
   * i.e. MAP instead of ML estimates: keeps log 0 out of the E-step for annotators who never used some
   * label. 0 gives Dawid & Skene's plain maximum likelihood.
   */
  smoothing?: number;
}

export interface AnnotatorConfusion {
  annotator: string;
  /** confusion[k][l] = P(annotator says l | true class k); rows sum to 1. */
  confusion: number[][];
  /** Σ_k prior_k · confusion[k][k]: the probability of giving the true class on a random item. */
  accuracy: number;
  labels: number;
}

export interface ItemPosterior {
  item: string;
  /** P(true class = k | all labels), sums to 1. */
  posterior: number[];
  /** argmax of the posterior (lowest index on ties). */
  label: number;
}

export interface DawidSkeneResult {
  classes: number;
  /** Estimated class prevalences, sum to 1. */
  priors: number[];
  /** In order of first appearance. */
  annotators: AnnotatorConfusion[];
  /** In order of first appearance. */
  items: ItemPosterior[];
  /** EM rounds run. */
  iterations: number;
  converged: boolean;
  /** Marginal log-likelihood Σ_i log Σ_k π_k Π θ at the final parameters (smoothing prior excluded). */
  logLikelihood: number;
}

/**
 * Dawid-Skene EM for categorical labels with missing data (A. P. Dawid & A. M. Skene, "Maximum
 * likelihood estimation of observer error-rates using the EM algorithm", Applied Statistics 28, 1979).
 * Model: item i has a latent class z_i ~ π; annotator a reports l with probability θ_a[z_i][l],
 * independently given z_i. EM starts from the soft majority vote (each item's posterior is its label
 * shares), then alternates the M-step (π and every θ_a from the current posteriors, plus `smoothing`)
 * and the E-step (posteriors ∝ π_k Π θ_a[k][l]). Repeated labels by one annotator on one item count as
 * independent observations. Annotators whose confusion diagonal is far below chance are systematically
 * wrong (e.g. label-flipping); their labels still carry information and EM uses it.
 */
export function fitDawidSkene(labels: readonly CategoricalLabel[], options: DawidSkeneOptions): DawidSkeneResult {
  const k = options.classes;
  const maxIterations = options.maxIterations ?? 1000;
  const tolerance = options.tolerance ?? 1e-6;
  const likelihoodTolerance = options.likelihoodTolerance ?? 0;
  const smoothing = options.smoothing ?? 0.01;
  if (!Number.isInteger(k) || k < 2) throw new AppError("BAD_INPUT", `classes must be an integer >= 2, got ${k}`);
  if (!(smoothing >= 0)) throw new AppError("BAD_INPUT", `smoothing must be >= 0, got ${smoothing}`);

  const itemIndex = new Map<string, number>();
  const annotatorIndex = new Map<string, number>();
  const n = labels.length;
  const obsItem = new Int32Array(n);
  const obsAnnotator = new Int32Array(n);
  const obsLabel = new Int32Array(n);
  labels.forEach(({ item, annotator, label }, o) => {
    if (!Number.isInteger(label) || label < 0 || label >= k) {
      throw new AppError("BAD_INPUT", `label ${label} of ${annotator} on ${item} is not a class index in [0, ${k})`);
    }
    let i = itemIndex.get(item);
    if (i === undefined) {
      i = itemIndex.size;
      itemIndex.set(item, i);
    }
    let a = annotatorIndex.get(annotator);
    if (a === undefined) {
      a = annotatorIndex.size;
      annotatorIndex.set(annotator, a);
    }
    obsItem[o] = i;
    obsAnnotator[o] = a;
    obsLabel[o] = label;
  });
  const items = itemIndex.size;
  const annotators = annotatorIndex.size;

  // Soft majority vote.
  let posterior = new Float64Array(items * k);
  for (let o = 0; o < n; o++) {
    const cell = (obsItem[o] ?? 0) * k + (obsLabel[o] ?? 0);
    posterior[cell] = (posterior[cell] ?? 0) + 1;
  }
  normalizeRows(posterior, items, k);

  const priors = new Float64Array(k);
  const confusion = new Float64Array(annotators * k * k);
  const logPosterior = new Float64Array(items * k);
  const logConfusion = new Float64Array(annotators * k * k);
  // Two posterior buffers, swapped each round: a large project has millions of cells.
  let next = new Float64Array(items * k);
  let iterations = 0;
  let converged = false;
  let logLikelihood = Number.NaN;
  while (iterations < maxIterations) {
    iterations += 1;
    mStep(posterior, priors, confusion, { items, annotators, k, smoothing, obsItem, obsAnnotator, obsLabel });
    const previousLogLikelihood = logLikelihood;
    logLikelihood = eStep(next, logPosterior, logConfusion, priors, confusion, { items, k, obsItem, obsAnnotator, obsLabel });
    let maxChange = 0;
    for (let c = 0; c < next.length; c++) maxChange = Math.max(maxChange, Math.abs((next[c] ?? 0) - (posterior[c] ?? 0)));
    [posterior, next] = [next, posterior];
    const likelihoodSettled =
      likelihoodTolerance > 0 &&
      Number.isFinite(previousLogLikelihood) &&
      Math.abs(logLikelihood - previousLogLikelihood) <= likelihoodTolerance * Math.abs(logLikelihood);
    if (maxChange < tolerance || likelihoodSettled) {
      converged = true;
      break;
    }
  }
  // Report parameters consistent with the final posteriors.
  mStep(posterior, priors, confusion, { items, annotators, k, smoothing, obsItem, obsAnnotator, obsLabel });

  const labelCounts = new Array<number>(annotators).fill(0);
  for (let o = 0; o < n; o++) labelCounts[obsAnnotator[o] ?? 0] = (labelCounts[obsAnnotator[o] ?? 0] ?? 0) + 1;
  const priorList = Array.from(priors);
  return {
    classes: k,
    priors: priorList,
    annotators: [...annotatorIndex.keys()].map((annotator, a) => {
      const matrix = Array.from({ length: k }, (_, t) => Array.from(confusion.subarray((a * k + t) * k, (a * k + t + 1) * k)));
      const accuracy = matrix.reduce((sum, row, t) => sum + (priorList[t] ?? 0) * (row[t] ?? 0), 0);
      return { annotator, confusion: matrix, accuracy, labels: labelCounts[a] ?? 0 };
    }),
    items: [...itemIndex.keys()].map((item, i) => {
      const row = Array.from(posterior.subarray(i * k, (i + 1) * k));
      let best = 0;
      row.forEach((p, c) => {
        if (p > (row[best] ?? 0)) best = c;
      });
      return { item, posterior: row, label: best };
    }),
    iterations,
    converged,
    logLikelihood,
  };
}

interface Observations {
  obsItem: Int32Array;
  obsAnnotator: Int32Array;
  obsLabel: Int32Array;
}

function normalizeRows(matrix: Float64Array, rows: number, cols: number): void {
  for (let r = 0; r < rows; r++) {
    let sum = 0;
    for (let c = 0; c < cols; c++) sum += matrix[r * cols + c] ?? 0;
    for (let c = 0; c < cols; c++) matrix[r * cols + c] = sum > 0 ? (matrix[r * cols + c] ?? 0) / sum : 1 / cols;
  }
}

function mStep(
  posterior: Float64Array,
  priors: Float64Array,
  confusion: Float64Array,
  shape: Observations & { items: number; annotators: number; k: number; smoothing: number },
): void {
  const { items, k, smoothing, obsItem, obsAnnotator, obsLabel } = shape;
  priors.fill(smoothing);
  for (let i = 0; i < items; i++) {
    for (let t = 0; t < k; t++) priors[t] = (priors[t] ?? 0) + (posterior[i * k + t] ?? 0);
  }
  normalizeRows(priors, 1, k);
  confusion.fill(smoothing);
  for (let o = 0; o < obsItem.length; o++) {
    const i = obsItem[o] ?? 0;
    const base = (obsAnnotator[o] ?? 0) * k * k + (obsLabel[o] ?? 0);
    for (let t = 0; t < k; t++) confusion[base + t * k] = (confusion[base + t * k] ?? 0) + (posterior[i * k + t] ?? 0);
  }
  // Rows with no mass (smoothing 0, class never assigned to this annotator's items) become uniform.
  normalizeRows(confusion, shape.annotators * k, k);
}

/**
 * Fills `posterior`, returns the marginal log-likelihood. The logs of the priors and of every
 * confusion cell are taken once per round (A·K² of them), not once per label and class: on large
 * projects Math.log per observation was most of the fit's time.
 */
function eStep(
  posterior: Float64Array,
  logPosterior: Float64Array,
  logConfusion: Float64Array,
  priors: Float64Array,
  confusion: Float64Array,
  shape: Observations & { items: number; k: number },
): number {
  const { items, k, obsItem, obsAnnotator, obsLabel } = shape;
  for (let c = 0; c < confusion.length; c++) logConfusion[c] = Math.log(confusion[c] ?? 0);
  const logPriors = new Float64Array(k);
  for (let t = 0; t < k; t++) logPriors[t] = Math.log(priors[t] ?? 0);
  for (let i = 0; i < items; i++) {
    for (let t = 0; t < k; t++) logPosterior[i * k + t] = logPriors[t] ?? 0;
  }
  for (let o = 0; o < obsItem.length; o++) {
    const row = (obsItem[o] ?? 0) * k;
    const base = (obsAnnotator[o] ?? 0) * k * k + (obsLabel[o] ?? 0);
    for (let t = 0; t < k; t++) {
      logPosterior[row + t] = (logPosterior[row + t] ?? 0) + (logConfusion[base + t * k] ?? 0);
    }
  }
  let logLikelihood = 0;
  for (let i = 0; i < items; i++) {
    let max = Number.NEGATIVE_INFINITY;
    for (let t = 0; t < k; t++) max = Math.max(max, logPosterior[i * k + t] ?? Number.NEGATIVE_INFINITY);
    if (max === Number.NEGATIVE_INFINITY) {
      // Only possible with smoothing 0: the labels contradict every class. Fall back to the prior.
      for (let t = 0; t < k; t++) posterior[i * k + t] = priors[t] ?? 0;
      logLikelihood = Number.NEGATIVE_INFINITY;
      continue;
    }
    let sum = 0;
    for (let t = 0; t < k; t++) {
      const p = Math.exp((logPosterior[i * k + t] ?? 0) - max);
      posterior[i * k + t] = p;
      sum += p;
    }
    for (let t = 0; t < k; t++) posterior[i * k + t] = (posterior[i * k + t] ?? 0) / sum;
    logLikelihood += max + Math.log(sum);
  }
  return logLikelihood;
}

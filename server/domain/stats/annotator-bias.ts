import { AppError } from "../errors";
import type { BattleWinner } from "./battle";

/**
 * One pairwise judgment as the bias report needs it. Outcomes are canonical (`a` = responses[0]),
 * as stored; `shownOrder` says what the annotator saw. Superseded judgments should be dropped first.
 */
export interface JudgmentRecord {
  annotator: string;
  item: string;
  winner: BattleWinner;
  /**
   * Screen order as stored with the judgment: shownOrder[p] is the canonical index of the response
   * shown at position p, so shownOrder[0] is the one on the LEFT. null when unknown (e.g. imported);
   * such judgments are left out of the position-bias figures only.
   */
  shownOrder: readonly number[] | null;
  /** Lengths of responses a and b (characters; any consistent unit). */
  lengthA: number;
  lengthB: number;
  /** Time on task in seconds (time_on_task_ms / 1000); null when unknown. */
  seconds: number | null;
}

export interface AnnotatorBiasOptions {
  /** Too fast when the annotator's median seconds < this fraction of the project median (default 0.2). */
  tooFastFraction?: number;
  /** Absolute threshold in seconds; overrides tooFastFraction when set. */
  tooFastSeconds?: number;
  /** Items count for majority agreement only when at least this many OTHER annotators judged them (default 1). */
  minOtherAnnotators?: number;
}

export interface AnnotatorBias {
  annotator: string;
  judgments: number;
  /** Judgments with winner a or b. */
  decisive: number;
  /** Decisive judgments with a known shown order. */
  positionDecisive: number;
  /** Of those, how many picked the response shown on the left. */
  leftChosen: number;
  /** leftChosen / positionDecisive; null when 0. 0.5 means no position bias. */
  leftShare: number | null;
  /** Exact two-sided binomial test of leftShare = 0.5; null when positionDecisive is 0. */
  positionPValue: number | null;
  /** Decisive judgments whose responses differ in length. */
  lengthDecisive: number;
  /** Of those, how many picked the longer response. */
  longerChosen: number;
  /** longerChosen / lengthDecisive; compare with the project's `longerShare`. */
  longerShare: number | null;
  /** Shares of all this annotator's judgments. */
  tieRate: number;
  bothBadRate: number;
  /** Median of the known seconds; null when none is known. */
  medianSeconds: number | null;
  /** medianSeconds below the report's tooFastThresholdSeconds. */
  tooFast: boolean;
  /** Items where the other annotators have a strict plurality outcome (see computeAnnotatorBias). */
  majorityItems: number;
  /** Of those, items where this annotator gave the plurality outcome. */
  majorityAgreed: number;
  majorityAgreement: number | null;
}

export interface AnnotatorBiasReport {
  /** Sorted by annotator name. */
  annotators: AnnotatorBias[];
  /** Pooled over every annotator's decisive judgments with known order. */
  leftShare: number | null;
  /** Pooled over every annotator's decisive judgments with unequal lengths: the project average. */
  longerShare: number | null;
  /** Median of all judgments' known seconds. */
  medianSeconds: number | null;
  tooFastThresholdSeconds: number | null;
}

/** Median with the two middle values averaged; null for an empty list. */
export function computeMedian(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = Float64Array.from(values).sort();
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

/**
 * Exact two-sided binomial test p-value for k successes in n trials with success probability p: the
 * total probability of outcomes no more likely than the observed one (with scipy.stats.binomtest's
 * 1 + 1e-7 relative tolerance), capped at 1. For p = ½ this is 2·P(X ≤ min(k, n − k)).
 */
export function computeBinomialTestPValue(k: number, n: number, p = 0.5): number {
  if (!Number.isInteger(n) || n < 0 || !Number.isInteger(k) || k < 0 || k > n) {
    throw new AppError("BAD_INPUT", `binomial test needs integers 0 <= k <= n, got k=${k}, n=${n}`);
  }
  if (!(p > 0 && p < 1)) throw new AppError("BAD_INPUT", `binomial test needs 0 < p < 1, got ${p}`);
  const logPmf = new Float64Array(n + 1);
  logPmf[0] = n * Math.log1p(-p);
  const logOdds = Math.log(p) - Math.log1p(-p);
  for (let x = 0; x < n; x++) logPmf[x + 1] = (logPmf[x] ?? 0) + Math.log((n - x) / (x + 1)) + logOdds;
  const threshold = (logPmf[k] ?? 0) + Math.log1p(1e-7);
  let max = Number.NEGATIVE_INFINITY;
  for (let x = 0; x <= n; x++) max = Math.max(max, logPmf[x] ?? 0);
  // Dividing by the summed pmf cancels rounding drift in the recurrence (and gives exactly 1 at the mode).
  let selected = 0;
  let total = 0;
  for (let x = 0; x <= n; x++) {
    const mass = Math.exp((logPmf[x] ?? 0) - max);
    total += mass;
    if ((logPmf[x] ?? 0) <= threshold) selected += mass;
  }
  return Math.min(1, selected / total);
}

/**
 * Per-annotator bias and diligence report.
 *
 * - Position bias: among decisive (a/b) judgments with a known shown order, the share that picked the
 *   response shown on the left, with an exact two-sided binomial test against ½ (cf. the position
 *   bias analyses of Zheng et al., "Judging LLM-as-a-judge", 2023, applied to human annotators).
 * - Length bias: among decisive judgments whose responses differ in length, the share that picked the
 *   longer one, next to the project-wide share (Dubois et al., "Length-Controlled AlpacaEval", 2024,
 *   for why this matters).
 * - Tie and both-bad rates over all judgments.
 * - Speed: median seconds per judgment; too fast when below `tooFastSeconds`, else below
 *   `tooFastFraction` (0.2) × the project's median over all judgments.
 * - Agreement with the majority of OTHER annotators: for each item this annotator judged, take each
 *   other annotator's outcome (their last record for the item), and if at least `minOtherAnnotators`
 *   others judged it and one outcome (a, b, tie, both_bad) has a strict plurality, score whether this
 *   annotator's last outcome for the item equals it.
 *
 * Repeated judgments of one item by one annotator (e.g. swapped repeats) all count in the per-judgment
 * figures; only the last one counts for majority agreement.
 */
export function computeAnnotatorBias(records: readonly JudgmentRecord[], options?: AnnotatorBiasOptions): AnnotatorBiasReport {
  const tooFastFraction = options?.tooFastFraction ?? 0.2;
  const minOthers = Math.max(1, options?.minOtherAnnotators ?? 1);

  const byAnnotator = new Map<string, JudgmentRecord[]>();
  // item → annotator → last outcome.
  const lastOutcome = new Map<string, Map<string, BattleWinner>>();
  const allSeconds: number[] = [];
  for (const record of records) {
    const list = byAnnotator.get(record.annotator);
    if (list) list.push(record);
    else byAnnotator.set(record.annotator, [record]);
    let outcomes = lastOutcome.get(record.item);
    if (!outcomes) {
      outcomes = new Map();
      lastOutcome.set(record.item, outcomes);
    }
    outcomes.set(record.annotator, record.winner);
    if (isKnownSeconds(record.seconds)) allSeconds.push(record.seconds);
  }
  const projectMedian = computeMedian(allSeconds);
  const threshold = options?.tooFastSeconds ?? (projectMedian === null ? null : tooFastFraction * projectMedian);

  let poolPosition = 0;
  let poolLeft = 0;
  let poolLength = 0;
  let poolLonger = 0;
  const annotators: AnnotatorBias[] = [];
  for (const [annotator, list] of [...byAnnotator].sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0))) {
    let decisive = 0;
    let positionDecisive = 0;
    let leftChosen = 0;
    let lengthDecisive = 0;
    let longerChosen = 0;
    let ties = 0;
    let bothBad = 0;
    const seconds: number[] = [];
    for (const record of list) {
      if (isKnownSeconds(record.seconds)) seconds.push(record.seconds);
      if (record.winner === "tie") ties += 1;
      if (record.winner === "both_bad") bothBad += 1;
      if (record.winner !== "a" && record.winner !== "b") continue;
      decisive += 1;
      const chosen = record.winner === "a" ? 0 : 1;
      const left = record.shownOrder?.[0];
      if (left === 0 || left === 1) {
        positionDecisive += 1;
        if (left === chosen) leftChosen += 1;
      }
      if (record.lengthA !== record.lengthB) {
        lengthDecisive += 1;
        if ((record.lengthA > record.lengthB ? 0 : 1) === chosen) longerChosen += 1;
      }
    }

    let majorityItems = 0;
    let majorityAgreed = 0;
    const ownItems = new Set(list.map((r) => r.item));
    for (const item of ownItems) {
      const outcomes = lastOutcome.get(item);
      const mine = outcomes?.get(annotator);
      if (!outcomes || mine === undefined) continue;
      const plurality = pluralityOfOthers(outcomes, annotator, minOthers);
      if (plurality === null) continue;
      majorityItems += 1;
      if (plurality === mine) majorityAgreed += 1;
    }

    const medianSeconds = computeMedian(seconds);
    poolPosition += positionDecisive;
    poolLeft += leftChosen;
    poolLength += lengthDecisive;
    poolLonger += longerChosen;
    annotators.push({
      annotator,
      judgments: list.length,
      decisive,
      positionDecisive,
      leftChosen,
      leftShare: positionDecisive > 0 ? leftChosen / positionDecisive : null,
      positionPValue: positionDecisive > 0 ? computeBinomialTestPValue(leftChosen, positionDecisive) : null,
      lengthDecisive,
      longerChosen,
      longerShare: lengthDecisive > 0 ? longerChosen / lengthDecisive : null,
      tieRate: ties / list.length,
      bothBadRate: bothBad / list.length,
      medianSeconds,
      tooFast: medianSeconds !== null && threshold !== null && medianSeconds < threshold,
      majorityItems,
      majorityAgreed,
      majorityAgreement: majorityItems > 0 ? majorityAgreed / majorityItems : null,
    });
  }
  return {
    annotators,
    leftShare: poolPosition > 0 ? poolLeft / poolPosition : null,
    longerShare: poolLength > 0 ? poolLonger / poolLength : null,
    medianSeconds: projectMedian,
    tooFastThresholdSeconds: threshold,
  };
}

function isKnownSeconds(seconds: number | null): seconds is number {
  return seconds !== null && Number.isFinite(seconds) && seconds >= 0;
}

const WINNERS: readonly BattleWinner[] = ["a", "b", "tie", "both_bad"];

/**
 * The strict plurality outcome among annotators other than `self`, or null. Runs once per judgment of
 * a project: four counters instead of a Map per call.
 */
function pluralityOfOthers(outcomes: Map<string, BattleWinner>, self: string, minOthers: number): BattleWinner | null {
  let a = 0;
  let b = 0;
  let tie = 0;
  let bothBad = 0;
  let others = 0;
  for (const [annotator, outcome] of outcomes) {
    if (annotator === self) continue;
    others += 1;
    if (outcome === "a") a += 1;
    else if (outcome === "b") b += 1;
    else if (outcome === "tie") tie += 1;
    else bothBad += 1;
  }
  if (others < minOthers) return null;
  const counts = [a, b, tie, bothBad];
  let best = -1;
  let bestCount = 0;
  let tied = false;
  for (let i = 0; i < 4; i++) {
    const count = counts[i] as number;
    if (count === 0) continue;
    if (count > bestCount) {
      best = i;
      bestCount = count;
      tied = false;
    } else if (count === bestCount) {
      tied = true;
    }
  }
  return tied || best < 0 ? null : (WINNERS[best] as BattleWinner);
}

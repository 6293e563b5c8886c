/**
 * `--aggregate dawid-skene`: the adapter between export votes and server/domain/stats' Dawid-Skene EM.
 * Every response pair of an item is one unit with four classes (i wins, j wins, tie, both bad); each
 * current vote is one label by its annotator. EM learns each annotator's confusion matrix from the whole
 * project, so a pair's posterior weighs reliable annotators above careless or label-flipping ones,
 * where a majority vote counts everyone the same. Pure: votes in, posteriors out.
 */
import { type CategoricalLabel, fitDawidSkene } from "@/server/domain/stats/dawid-skene";
import { currentJudgments, type ExportItem, type ExportPolicies, type PairVote, votesOf } from "./policies";

/** Class order of a pair's posterior: [i wins, j wins, tie, both bad] (i < j are response indices). */
export const DS_CLASSES = ["i", "j", "tie", "both_bad"] as const satisfies readonly PairVote["result"][];

/** item id → "i:j" → posterior over DS_CLASSES. */
export type PairPosteriors = Map<number, Map<string, number[]>>;

export function pairKey(i: number, j: number): string {
  return `${i}:${j}`;
}

/** The Dawid-Skene labels one item contributes (its current, non-repeat votes under the policies). */
export function dawidSkeneLabels(item: ExportItem, policies: ExportPolicies): CategoricalLabel[] {
  const k = item.responses.length;
  return currentJudgments(item.judgments)
    .flatMap((j) => votesOf(j, k, policies))
    .map((v) => ({
      item: `${item.id}:${pairKey(v.i, v.j)}`,
      annotator: String(v.judgment.annotatorId),
      label: DS_CLASSES.indexOf(v.result),
    }));
}

/** Fits Dawid-Skene over all labels and returns every pair's posterior. */
export function fitPairPosteriors(labels: readonly CategoricalLabel[]): PairPosteriors {
  const out: PairPosteriors = new Map();
  if (labels.length === 0) return out;
  // 100 EM rounds like the quality dashboard: on data that never converges the rest buys nothing.
  const fit = fitDawidSkene(labels, { classes: DS_CLASSES.length, maxIterations: 100 });
  for (const unit of fit.items) {
    const colon = unit.item.indexOf(":");
    const itemId = Number(unit.item.slice(0, colon));
    let pairs = out.get(itemId);
    if (!pairs) {
      pairs = new Map();
      out.set(itemId, pairs);
    }
    pairs.set(unit.item.slice(colon + 1), unit.posterior);
  }
  return out;
}

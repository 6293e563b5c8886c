/**
 * A synthetic project's quality data for benchmarks (no database): `items` pairwise items among
 * `models` models with known Elo ratings, each judged by `overlap` of `annotators` annotators whose
 * accuracy varies, with strengths, shown orders, times, 1 % gold items and 2 % swapped repeats.
 */
import type { QualityData, QualityJudgment, QualityResponse } from "@/server/domain/quality/load-judgments";
import { createRng } from "@/server/domain/stats";

export function makeQualityData(options: {
  items: number;
  overlap?: number;
  annotators?: number;
  models?: number;
  seed?: number;
}): QualityData {
  const overlap = options.overlap ?? 3;
  const annotatorCount = options.annotators ?? 30;
  const modelCount = options.models ?? 10;
  const rng = createRng(options.seed ?? 1);
  const models = Array.from({ length: modelCount }, (_, i) => `model-${String(i).padStart(2, "0")}`);
  const elo = models.map((_, i) => 1000 + (i - (modelCount - 1) / 2) * 40);
  // Annotator a answers the "true" preference with probability accuracy[a], else at random.
  const accuracy = Array.from({ length: annotatorCount }, (_, a) => 0.5 + (0.45 * a) / Math.max(1, annotatorCount - 1));
  const responses = new Map<number, QualityResponse[]>();
  const gold = new Map<number, string[]>();
  const judgments: QualityJudgment[] = [];
  let id = 0;
  const t0 = 1_700_000_000;
  for (let item = 1; item <= options.items; item++) {
    const i = rng.nextInt(modelCount);
    let j = rng.nextInt(modelCount - 1);
    if (j >= i) j += 1;
    responses.set(item, [
      { model: models[i] as string, length: 200 + rng.nextInt(800) },
      { model: models[j] as string, length: 200 + rng.nextInt(800) },
    ]);
    const pA = 1 / (1 + 10 ** (((elo[j] as number) - (elo[i] as number)) / 400));
    const truth = rng.next() < 0.08 ? "tie" : rng.next() < pA ? "a" : "b";
    if (item % 100 === 0) gold.set(item, [truth]);
    // `overlap` distinct annotators drawn at random, as a shared queue hands items out.
    const chosen: number[] = [];
    while (chosen.length < Math.min(overlap, annotatorCount)) {
      const a = rng.nextInt(annotatorCount);
      if (!chosen.includes(a)) chosen.push(a);
    }
    for (const annotator of chosen) {
      const honest = rng.next() < (accuracy[annotator] as number);
      const u = rng.next();
      const outcome = honest ? truth : u < 0.4 ? "a" : u < 0.8 ? "b" : u < 0.95 ? "tie" : "both_bad";
      const shownOrder = rng.next() < 0.5 ? [0, 1] : [1, 0];
      id += 1;
      const base: QualityJudgment = {
        id,
        itemId: item,
        annotatorId: annotator + 1,
        annotator: `annotator-${annotator + 1}`,
        external: false,
        shownOrder,
        outcome,
        ranking: null,
        strength: outcome === "a" || outcome === "b" ? 1 + rng.nextInt(4) : null,
        criteria: {},
        timeOnTaskMs: 2000 + rng.nextInt(60_000),
        createdAt: t0 + id,
        repeatOf: null,
        assignmentId: id,
      };
      judgments.push(base);
      if (rng.next() < 0.02) {
        id += 1;
        const flip = rng.next() < 0.2;
        const again: QualityJudgment["outcome"] = flip ? (outcome === "a" ? "b" : "a") : outcome;
        judgments.push({
          ...base,
          id,
          outcome: again,
          shownOrder: [...shownOrder].reverse(),
          repeatOf: base.id,
          assignmentId: id,
          createdAt: t0 + id,
        });
      }
    }
  }
  judgments.sort((x, y) => x.createdAt - y.createdAt || x.id - y.id);
  return { judgments, responses, gold, excluded: [] };
}

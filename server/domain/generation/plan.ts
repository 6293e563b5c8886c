/**
 * What a sampling job asks of each prompt. One generator × K samples is InstructGPT's stage 2 (K ≥ 3
 * makes one ranking item, K = 2 one pair). Several generators × one sample each is an Arena pair;
 * with more than two generators, either every pair becomes an item (`all-pairs`) or one random pair
 * per prompt is sampled (`random-pair`, seeded so a resumed job plans the same pairs).
 */
import { AppError } from "@/server/domain/errors";
import { createRng } from "@/server/domain/stats/random";

export const PAIRINGS = ["all-pairs", "random-pair"] as const;
export type Pairing = (typeof PAIRINGS)[number];

/** `plan[i]` is the i-th response to sample; `groups` lists which plan slots make each item. */
export type PromptPlan = { plan: { generator: number; sample: number }[]; groups: number[][] };

export function checkPlanShape(generatorCount: number, samples: number): void {
  if (generatorCount < 1)
    throw new AppError("BAD_INPUT", "generators: name at least one generator", [{ field: "generators", message: "empty" }]);
  if (generatorCount === 1 && samples < 2)
    throw new AppError("BAD_INPUT", "samples: one generator needs --samples 2 or more (an item compares at least 2 responses)", [
      { field: "samples", message: "at least 2 with one generator" },
    ]);
  if (generatorCount > 1 && samples !== 1)
    throw new AppError("BAD_INPUT", "samples: several generators give one sample each (--samples 1); use one generator for K samples", [
      { field: "samples", message: "1 with several generators" },
    ]);
}

/**
 * Plans every prompt of a job: `generators` are ids in the job's order; `promptIndex` seeds the
 * random pair so the plan depends only on (seed, prompt), never on the order prompts are handled.
 */
export function planPrompt(params: {
  generators: number[];
  samples: number;
  pairing: Pairing;
  seed: number;
  promptIndex: number;
}): PromptPlan {
  const { generators, samples } = params;
  checkPlanShape(generators.length, samples);
  if (generators.length === 1) {
    const plan = Array.from({ length: samples }, (_, s) => ({ generator: generators[0] as number, sample: s }));
    return { plan, groups: [plan.map((_, i) => i)] };
  }
  if (generators.length === 2 || params.pairing === "all-pairs") {
    const plan = generators.map((g) => ({ generator: g, sample: 0 }));
    const groups: number[][] = [];
    for (let i = 0; i < plan.length; i++) for (let j = i + 1; j < plan.length; j++) groups.push([i, j]);
    return { plan, groups };
  }
  const rng = createRng((params.seed * 1_000_003 + params.promptIndex) | 0);
  const a = rng.nextInt(generators.length);
  let b = rng.nextInt(generators.length - 1);
  if (b >= a) b++;
  return {
    plan: [
      { generator: generators[a] as number, sample: 0 },
      { generator: generators[b] as number, sample: 0 },
    ],
    groups: [[0, 1]],
  };
}

export const KEEP_RULES = ["best-worst", "top2", "most-uncertain"] as const;
export type KeepRule = (typeof KEEP_RULES)[number];

/**
 * Which two of N scored samples go to humans (rejection sampling / active selection):
 * `best-worst` the highest and lowest reward (clear pairs, as in best-of-N); `top2` the two highest
 * (is the best really best?); `most-uncertain` the two with the closest rewards, where the reward
 * model's Bradley-Terry P(a > b) is nearest 0.5 and a human label teaches it most. Returns sample
 * indices, higher reward first; ties go to the earlier sample.
 */
export function selectForHumans(rewards: readonly number[], keep: KeepRule): [number, number] {
  if (rewards.length < 2) throw new Error("selection needs at least 2 scored samples");
  const order = rewards.map((r, i) => ({ r, i })).sort((a, b) => b.r - a.r || a.i - b.i);
  const at = (k: number) => (order[k] as { i: number }).i;
  if (keep === "best-worst") return [at(0), at(order.length - 1)];
  if (keep === "top2") return [at(0), at(1)];
  let best = 0;
  for (let k = 1; k < order.length - 1; k++) {
    const gap = (order[k] as { r: number }).r - (order[k + 1] as { r: number }).r;
    const bestGap = (order[best] as { r: number }).r - (order[best + 1] as { r: number }).r;
    if (gap < bestGap) best = k;
  }
  return [at(best), at(best + 1)];
}

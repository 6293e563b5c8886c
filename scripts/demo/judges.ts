/**
 * Simulated external annotators ("AI judges" and one lab rater). They see the hidden quality of
 * each response through their own noise and quirks, so they mostly agree and mostly favour the
 * genuinely better response, but not always.
 */
import type { Rng } from "./rng";
import type { DemoJudgment, PairJudgment, PairWinner, RankingJudgment, Strength } from "./types";

export interface DemoJudge {
  annotator: string;
  /** Standard deviation of the noise added to each quality difference. */
  noise: number;
  /** Differences smaller than this are called a tie. */
  tieBand: number;
  /** Added to response A's score (position bias). */
  positionBias: number;
  /** If both responses look worse than this, the verdict is both_bad. */
  bothBadBelow: number;
  /** Added per unit of length (1 = 250+ words): >0 favours long answers, <0 concise ones. */
  lengthBias: number;
}

/** What a judge sees of one response: its hidden quality and its length in words. */
export interface JudgedResponse {
  quality: number;
  words: number;
}

export const DEMO_JUDGES: readonly DemoJudge[] = [
  { annotator: "gpt-judge", noise: 0.08, tieBand: 0.04, positionBias: 0.03, bothBadBelow: 0.3, lengthBias: 0.08 },
  { annotator: "claude-judge", noise: 0.07, tieBand: 0.07, positionBias: 0, bothBadBelow: 0.33, lengthBias: 0 },
  { annotator: "lab-rater-7", noise: 0.15, tieBand: 0.05, positionBias: 0, bothBadBelow: 0.4, lengthBias: -0.05 },
];

function strengthOf(gap: number): Strength {
  if (gap < 0.15) return 1;
  if (gap < 0.3) return 2;
  if (gap < 0.5) return 3;
  return 4;
}

function perceived(judge: DemoJudge, r: JudgedResponse, rng: Rng): number {
  return r.quality + judge.lengthBias * Math.min(1, r.words / 250) + rng.gauss(judge.noise);
}

export function judgePair(judge: DemoJudge, a: JudgedResponse, b: JudgedResponse, rng: Rng): PairJudgment {
  const sa = perceived(judge, a, rng) + judge.positionBias;
  const sb = perceived(judge, b, rng);
  const diff = sa - sb;
  let winner: PairWinner;
  if (Math.max(sa, sb) < judge.bothBadBelow) winner = "both_bad";
  else if (Math.abs(diff) < judge.tieBand) winner = "tie";
  else winner = diff > 0 ? "a" : "b";
  // Strength only grades a preference (Arbiter's import rejects it on a tie or both-bad).
  if (winner === "tie" || winner === "both_bad") return { annotator: judge.annotator, winner };
  return { annotator: judge.annotator, winner, strength: strengthOf(Math.abs(diff)) };
}

export function judgeRanking(judge: DemoJudge, responses: readonly JudgedResponse[], rng: Rng): RankingJudgment {
  const scored = responses.map((r, i) => ({ i, s: perceived(judge, r, rng) + (i === 0 ? judge.positionBias : 0) }));
  scored.sort((x, y) => y.s - x.s || x.i - y.i);
  return { annotator: judge.annotator, ranking: scored.map((x) => x.i) };
}

/** 1-3 judges, pairwise verdicts for two responses and rankings for more. */
export function judgeItem(responses: readonly JudgedResponse[], rng: Rng): DemoJudgment[] {
  const k = rng.weighted<number>([
    [1, 0.3],
    [2, 0.35],
    [3, 0.35],
  ]);
  const judges = rng.sample(DEMO_JUDGES, k);
  judges.sort((x, y) => DEMO_JUDGES.indexOf(x) - DEMO_JUDGES.indexOf(y));
  const [a, b] = responses;
  return judges.map((j) => (responses.length === 2 && a && b ? judgePair(j, a, b, rng) : judgeRanking(j, responses, rng)));
}

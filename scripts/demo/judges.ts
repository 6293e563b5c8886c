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
}

export const DEMO_JUDGES: readonly DemoJudge[] = [
  { annotator: "gpt-judge", noise: 0.06, tieBand: 0.04, positionBias: 0.03, bothBadBelow: 0.3 },
  { annotator: "claude-judge", noise: 0.05, tieBand: 0.07, positionBias: 0, bothBadBelow: 0.33 },
  { annotator: "lab-rater-7", noise: 0.12, tieBand: 0.05, positionBias: 0, bothBadBelow: 0.4 },
];

function strengthOf(gap: number): Strength {
  if (gap < 0.15) return 1;
  if (gap < 0.3) return 2;
  if (gap < 0.5) return 3;
  return 4;
}

export function judgePair(judge: DemoJudge, qa: number, qb: number, rng: Rng): PairJudgment {
  const sa = qa + judge.positionBias + rng.gauss(judge.noise);
  const sb = qb + rng.gauss(judge.noise);
  const diff = sa - sb;
  let winner: PairWinner;
  if (Math.max(sa, sb) < judge.bothBadBelow) winner = "both_bad";
  else if (Math.abs(diff) < judge.tieBand) winner = "tie";
  else winner = diff > 0 ? "a" : "b";
  // Strength only grades a preference; ties and both_bad carry the lowest and a moderate value.
  const strength: Strength = winner === "a" || winner === "b" ? strengthOf(Math.abs(diff)) : winner === "tie" ? 1 : 2;
  return { annotator: judge.annotator, winner, strength };
}

export function judgeRanking(judge: DemoJudge, qualities: readonly number[], rng: Rng): RankingJudgment {
  const scored = qualities.map((q, i) => ({ i, s: q + (i === 0 ? judge.positionBias : 0) + rng.gauss(judge.noise) }));
  scored.sort((x, y) => y.s - x.s || x.i - y.i);
  return { annotator: judge.annotator, ranking: scored.map((x) => x.i) };
}

/** 1-3 judges, pairwise verdicts for two responses and rankings for more. */
export function judgeItem(qualities: readonly number[], rng: Rng): DemoJudgment[] {
  const k = rng.weighted<number>([
    [1, 0.3],
    [2, 0.35],
    [3, 0.35],
  ]);
  const judges = rng.sample(DEMO_JUDGES, k);
  judges.sort((x, y) => DEMO_JUDGES.indexOf(x) - DEMO_JUDGES.indexOf(y));
  return judges.map((j) =>
    qualities.length === 2
      ? judgePair(j, qualities[0] ?? 0, qualities[1] ?? 0, rng)
      : judgeRanking(j, qualities, rng),
  );
}

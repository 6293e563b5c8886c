/** Outcome of one comparison in canonical order: "a" means modelA's response won. */
export type BattleWinner = "a" | "b" | "tie" | "both_bad";

/** One pairwise judgment between two models' responses, as the leaderboard statistics consume it. */
export interface Battle {
  modelA: string;
  modelB: string;
  winner: BattleWinner;
}

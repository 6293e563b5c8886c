/**
 * What a reward model's scores say about a set of candidates: Bradley-Terry preference
 * probabilities P(i > j) = σ(r_i − r_j), best-of-N order, and the margin that active learning
 * orders the queue by. Pure: plain numbers in, plain numbers out.
 */

export function sigmoid(x: number): number {
  return x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
}

/** P(row beats column) for every pair; the diagonal is 0.5. */
export function preferenceMatrix(rewards: readonly number[]): number[][] {
  return rewards.map((ri) => rewards.map((rj) => sigmoid(ri - rj)));
}

export type RankedCandidate = {
  /** Index in the input. */
  index: number;
  reward: number;
  /** 1 = best. Equal rewards share the better rank. */
  rank: number;
  /** P(this beats the best other candidate) — for the best one, P(best beats the runner-up). */
  pBeatsBestOther: number;
  /** P(this beats every other candidate in a Bradley-Terry sense): softmax of the rewards. */
  pBest: number;
};

/** Best-of-N reranking: candidates best first (stable on ties), with their BT probabilities. */
export function rankCandidates(rewards: readonly number[]): RankedCandidate[] {
  const order = rewards.map((reward, index) => ({ reward, index })).sort((a, b) => b.reward - a.reward || a.index - b.index);
  const max = order[0]?.reward ?? 0;
  const z = rewards.reduce((s, r) => s + Math.exp(r - max), 0);
  let rank = 0;
  let last = Number.NaN;
  return order.map((c, pos) => {
    if (c.reward !== last) rank = pos + 1;
    last = c.reward;
    const bestOther = pos === 0 ? order[1] : order[0];
    return {
      index: c.index,
      reward: c.reward,
      rank,
      pBeatsBestOther: bestOther ? sigmoid(c.reward - bestOther.reward) : 1,
      pBest: Math.exp(c.reward - max) / z,
    };
  });
}

/**
 * The model's uncertainty about an item: the smallest reward gap between any two of its responses
 * (|r_a − r_b| for a pair). Small = the model can hardly tell them apart. Null with fewer than 2.
 */
export function itemMargin(rewards: readonly number[]): number | null {
  if (rewards.length < 2) return null;
  const sorted = [...rewards].sort((a, b) => a - b);
  let min = Number.POSITIVE_INFINITY;
  for (let i = 1; i < sorted.length; i++) min = Math.min(min, (sorted[i] as number) - (sorted[i - 1] as number));
  return min;
}

/**
 * How much two models disagree about an item: the largest difference in P(i > j) over its response
 * pairs (0 = same preferences, 1 = certain and opposite).
 */
export function modelDisagreement(rewardsA: readonly number[], rewardsB: readonly number[]): number | null {
  if (rewardsA.length < 2 || rewardsA.length !== rewardsB.length) return null;
  let max = 0;
  for (let i = 0; i < rewardsA.length; i++) {
    for (let j = i + 1; j < rewardsA.length; j++) {
      const pa = sigmoid((rewardsA[i] as number) - (rewardsA[j] as number));
      const pb = sigmoid((rewardsB[i] as number) - (rewardsB[j] as number));
      max = Math.max(max, Math.abs(pa - pb));
    }
  }
  return max;
}

/**
 * Reward model vs humans. Every decisive human preference between two responses of an item (a pair
 * answer, or each pair a K > 2 ranking implies) is checked against the model's order of the same two
 * responses. Ties and both-bad are not preferences and are only counted. The human reference is
 * measured the same way: each decisive vote against the majority of the *other* humans' decisive
 * votes on that pair (leave-one-out), so the two figures answer the same question — "how often does
 * this judge side with the crowd" — for the model and for a typical human.
 */
import { sigmoid } from "./rewards";

export type PairAnswer = "a" | "b" | "tie" | "both_bad";

export type HumanVote = {
  itemId: number;
  annotator: string;
  createdAt: number;
  outcome: PairAnswer | "ranking";
  /** Response indices best first, for outcome "ranking". */
  ranking: number[] | null;
  criteria: Record<string, PairAnswer>;
};

export type Rate = { agreement: number | null; n: number };

export type ConfidentDisagreement = {
  itemId: number;
  /** The two response indices compared. */
  pair: [number, number];
  /** Index the human majority preferred. */
  majority: number;
  votesFor: number;
  votesAgainst: number;
  rewards: [number, number];
  /** The model's P(its pick beats the majority's pick) = σ(|r_i − r_j|). */
  confidence: number;
};

export type ModelHumanAgreement = {
  /** Share (0–100) of decisive human votes whose order the model reproduces. */
  overall: Rate & { ties: number; unscored: number };
  /** Human reference: each decisive vote against the leave-one-out majority of the others. */
  human: Rate;
  /** The model against the strict majority of each pair's decisive votes. */
  majority: Rate;
  byCriterion: { criterion: string; model: Rate; human: Rate }[];
  byAnnotator: ({ annotator: string } & Rate)[];
  /** Ten equal-count windows of votes in time order (not cumulative: drift shows). */
  overTime: ({ at: number } & Rate)[];
  /** Agreement by the model's confidence σ(|Δr|), in bins of 0.05 from 0.5: a reliability diagram. */
  byConfidence: { confidence: number; agreement: number | null; n: number }[];
  disagreements: ConfidentDisagreement[];
};

type Decisive = { itemId: number; better: number; worse: number; vote: HumanVote };

/** Decisive (better, worse) pairs of one vote's answer (overall or a criterion's); null answer = none. */
function decisivePairs(vote: HumanVote, answer: PairAnswer | "ranking" | undefined, k: number): [number, number][] {
  if (answer === "a") return [[0, 1]];
  if (answer === "b") return [[1, 0]];
  if (answer === "ranking" && vote.ranking && vote.ranking.length === k) {
    const pairs: [number, number][] = [];
    for (let p = 0; p < vote.ranking.length; p++) {
      for (let q = p + 1; q < vote.ranking.length; q++) pairs.push([vote.ranking[p] as number, vote.ranking[q] as number]);
    }
    return pairs;
  }
  return [];
}

const pairKey = (itemId: number, x: number, y: number) => `${itemId}:${Math.min(x, y)}:${Math.max(x, y)}`;
const rate = (agree: number, n: number): Rate => ({ agreement: n ? (100 * agree) / n : null, n });

function modelAgrees(d: Decisive, rewards: readonly number[]): boolean {
  return (rewards[d.better] as number) > (rewards[d.worse] as number);
}

/** Model and leave-one-out human agreement over a list of decisive votes. */
function agreementOf(list: Decisive[], rewards: Map<number, number[]>): { model: Rate; human: Rate } {
  let agree = 0;
  const tally = new Map<string, Map<number, number>>();
  for (const d of list) {
    const r = rewards.get(d.itemId) as number[];
    if (modelAgrees(d, r)) agree++;
    const key = pairKey(d.itemId, d.better, d.worse);
    const t = tally.get(key) ?? new Map<number, number>();
    t.set(d.better, (t.get(d.better) ?? 0) + 1);
    tally.set(key, t);
  }
  let humanAgree = 0;
  let humanN = 0;
  for (const d of list) {
    const t = tally.get(pairKey(d.itemId, d.better, d.worse)) as Map<number, number>;
    const same = (t.get(d.better) ?? 0) - 1;
    const other = t.get(d.worse) ?? 0;
    if (same === other) continue; // no others, or the others are split: no majority to agree with
    humanN++;
    if (same > other) humanAgree++;
  }
  return { model: rate(agree, list.length), human: rate(humanAgree, humanN) };
}

/**
 * Compares the model with the humans. `rewards` maps item id → reward per response index; votes on
 * items without rewards are counted as `unscored` and left out.
 */
export function computeModelHumanAgreement(
  votes: readonly HumanVote[],
  rewards: Map<number, number[]>,
  options: { criteria: readonly string[]; disagreements?: number },
): ModelHumanAgreement {
  const decisive: Decisive[] = [];
  let ties = 0;
  let unscored = 0;
  for (const vote of votes) {
    const r = rewards.get(vote.itemId);
    if (!r || r.some((x) => !Number.isFinite(x))) {
      unscored++;
      continue;
    }
    const pairs = decisivePairs(vote, vote.outcome, r.length);
    if (pairs.length === 0) ties++;
    for (const [better, worse] of pairs) decisive.push({ itemId: vote.itemId, better, worse, vote });
  }
  decisive.sort((x, y) => x.vote.createdAt - y.vote.createdAt);
  const overall = agreementOf(decisive, rewards);

  // Strict majority per pair, and the most confident disagreements with it.
  const byPair = new Map<string, { itemId: number; x: number; y: number; forX: number; forY: number }>();
  for (const d of decisive) {
    const x = Math.min(d.better, d.worse);
    const key = pairKey(d.itemId, d.better, d.worse);
    const p = byPair.get(key) ?? { itemId: d.itemId, x, y: Math.max(d.better, d.worse), forX: 0, forY: 0 };
    if (d.better === x) p.forX++;
    else p.forY++;
    byPair.set(key, p);
  }
  let majAgree = 0;
  let majN = 0;
  const disagreements: ConfidentDisagreement[] = [];
  for (const p of byPair.values()) {
    if (p.forX === p.forY) continue;
    const r = rewards.get(p.itemId) as number[];
    const [win, lose] = p.forX > p.forY ? [p.x, p.y] : [p.y, p.x];
    majN++;
    const rw = r[win] as number;
    const rl = r[lose] as number;
    if (rw > rl) {
      majAgree++;
    } else {
      disagreements.push({
        itemId: p.itemId,
        pair: [p.x, p.y],
        majority: win,
        votesFor: Math.max(p.forX, p.forY),
        votesAgainst: Math.min(p.forX, p.forY),
        rewards: [r[p.x] as number, r[p.y] as number],
        confidence: sigmoid(rl - rw),
      });
    }
  }
  disagreements.sort((a, b) => b.confidence - a.confidence || b.votesFor - a.votesFor || a.itemId - b.itemId);

  const byCriterion = options.criteria.map((criterion) => {
    const list: Decisive[] = [];
    for (const vote of votes) {
      const r = rewards.get(vote.itemId);
      if (r?.length !== 2) continue;
      for (const [better, worse] of decisivePairs(vote, vote.criteria[criterion], 2))
        list.push({ itemId: vote.itemId, better, worse, vote });
    }
    return { criterion, ...agreementOf(list, rewards) };
  });

  const perAnnotator = new Map<string, { agree: number; n: number }>();
  for (const d of decisive) {
    const a = perAnnotator.get(d.vote.annotator) ?? { agree: 0, n: 0 };
    a.n++;
    if (modelAgrees(d, rewards.get(d.itemId) as number[])) a.agree++;
    perAnnotator.set(d.vote.annotator, a);
  }
  const byAnnotator = [...perAnnotator]
    .map(([annotator, a]) => ({ annotator, ...rate(a.agree, a.n) }))
    .sort((x, y) => y.n - x.n || (x.annotator < y.annotator ? -1 : 1));

  const overTime: ModelHumanAgreement["overTime"] = [];
  const windows = Math.min(10, decisive.length);
  for (let w = 0; w < windows; w++) {
    const slice = decisive.slice(Math.round((decisive.length * w) / windows), Math.round((decisive.length * (w + 1)) / windows));
    const agree = slice.filter((d) => modelAgrees(d, rewards.get(d.itemId) as number[])).length;
    overTime.push({ at: slice[slice.length - 1]?.vote.createdAt ?? 0, ...rate(agree, slice.length) });
  }

  const bins = Array.from({ length: 10 }, (_, b) => ({ confidence: 0.525 + 0.05 * b, agree: 0, n: 0 }));
  for (const d of decisive) {
    const r = rewards.get(d.itemId) as number[];
    const conf = sigmoid(Math.abs((r[d.better] as number) - (r[d.worse] as number)));
    const bin = bins[Math.min(9, Math.floor((conf - 0.5) / 0.05))] as (typeof bins)[number];
    bin.n++;
    if (modelAgrees(d, r)) bin.agree++;
  }

  return {
    overall: { ...overall.model, ties, unscored },
    human: overall.human,
    majority: rate(majAgree, majN),
    byCriterion: byCriterion.map(({ criterion, model, human }) => ({ criterion, model, human })),
    byAnnotator,
    overTime,
    byConfidence: bins.map((b) => ({ confidence: b.confidence, agreement: b.n ? b.agree / b.n : null, n: b.n })),
    disagreements: disagreements.slice(0, options.disagreements ?? 20),
  };
}

import { describe, expect, it } from "vitest";
import { computeModelHumanAgreement, type HumanVote } from "./agreement";
import { sigmoid } from "./rewards";

function vote(itemId: number, annotator: string, outcome: HumanVote["outcome"], extra: Partial<HumanVote> = {}): HumanVote {
  return { itemId, annotator, createdAt: itemId * 10 + annotator.charCodeAt(0), outcome, ranking: null, criteria: {}, ...extra };
}

describe("computeModelHumanAgreement", () => {
  // item 1: model prefers a strongly; humans 2×a, 1×b. item 2: model prefers b slightly; humans 3×a (a confident miss? no: slight).
  // item 3: model prefers a very strongly; humans 2×b → the most confident disagreement. item 4: a tie only. item 5: unscored.
  const rewards = new Map<number, number[]>([
    [1, [2, 0]],
    [2, [0, 0.1]],
    [3, [3, -1]],
    [4, [0, 1]],
  ]);
  const votes: HumanVote[] = [
    vote(1, "ann", "a", { criteria: { helpful: "a", harmless: "tie" } }),
    vote(1, "bob", "a", { criteria: { helpful: "a", harmless: "b" } }),
    vote(1, "cat", "b", { criteria: { helpful: "b" } }),
    vote(2, "ann", "a"),
    vote(2, "bob", "a"),
    vote(2, "cat", "a"),
    vote(3, "ann", "b"),
    vote(3, "bob", "b"),
    vote(4, "ann", "tie"),
    vote(5, "ann", "a"),
  ];
  const r = computeModelHumanAgreement(votes, rewards, { criteria: ["helpful", "harmless"] });

  it("overall: share of decisive votes the model reproduces; ties and unscored counted apart", () => {
    // agree: item1 ann, bob (2); item2 none; item3 none → 2 of 8
    expect(r.overall).toEqual({ agreement: 25, n: 8, ties: 1, unscored: 1 });
  });

  it("human reference: each vote against the leave-one-out majority", () => {
    // item1: ann vs {a,b} split → skip; bob skip; cat vs {a,a} → disagree. item2: each vs 2×a → agree ×3. item3: each vs 1×b → agree ×2.
    expect(r.human).toEqual({ agreement: (100 * 5) / 6, n: 6 });
  });

  it("majority and the most confident disagreements", () => {
    expect(r.majority).toEqual({ agreement: (100 * 1) / 3, n: 3 });
    expect(r.disagreements.map((d) => d.itemId)).toEqual([3, 2]);
    expect(r.disagreements[0]).toMatchObject({ pair: [0, 1], majority: 1, votesFor: 2, votesAgainst: 0, rewards: [3, -1] });
    expect(r.disagreements[0]?.confidence).toBeCloseTo(sigmoid(4), 12);
  });

  it("per criterion and per annotator", () => {
    const helpful = r.byCriterion.find((c) => c.criterion === "helpful");
    expect(helpful?.model).toEqual({ agreement: (100 * 2) / 3, n: 3 });
    const harmless = r.byCriterion.find((c) => c.criterion === "harmless");
    expect(harmless?.model).toEqual({ agreement: 0, n: 1 });
    expect(r.byAnnotator).toEqual([
      { annotator: "ann", agreement: (100 * 1) / 3, n: 3 },
      { annotator: "bob", agreement: (100 * 1) / 3, n: 3 },
      { annotator: "cat", agreement: 0, n: 2 },
    ]);
  });

  it("over time in equal windows, and a reliability diagram by confidence", () => {
    expect(r.overTime.reduce((s, w) => s + w.n, 0)).toBe(8);
    expect(r.overTime.map((w) => w.at)).toEqual([...r.overTime.map((w) => w.at)].sort((a, b) => a - b));
    expect(r.byConfidence.reduce((s, b) => s + b.n, 0)).toBe(8);
    const top = r.byConfidence[9];
    expect(top?.n).toBe(2); // item 3's two votes at σ(4) ≈ 0.98
    expect(top?.agreement).toBe(0);
  });

  it("rankings count every implied pair", () => {
    const k3 = computeModelHumanAgreement([vote(9, "ann", "ranking", { ranking: [2, 0, 1] })], new Map([[9, [1, 0, 2]]]), { criteria: [] });
    expect(k3.overall).toMatchObject({ agreement: 100, n: 3 });
    const wrong = computeModelHumanAgreement([vote(9, "ann", "ranking", { ranking: [1, 0, 2] })], new Map([[9, [1, 0, 2]]]), {
      criteria: [],
    });
    expect(wrong.overall.agreement).toBe(0);
  });
});

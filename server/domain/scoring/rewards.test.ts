import { describe, expect, it } from "vitest";
import { itemMargin, modelDisagreement, preferenceMatrix, rankCandidates, sigmoid } from "./rewards";

describe("rewards", () => {
  it("sigmoid is the Bradley-Terry link and stable for large inputs", () => {
    expect(sigmoid(0)).toBe(0.5);
    expect(sigmoid(Math.log(3))).toBeCloseTo(0.75, 12);
    expect(sigmoid(-800)).toBe(0);
    expect(sigmoid(800)).toBe(1);
  });

  it("P(i > j) = σ(r_i − r_j), complementary across the diagonal", () => {
    const m = preferenceMatrix([1, 0, -2]);
    expect(m[0]?.[1]).toBeCloseTo(1 / (1 + Math.exp(-1)), 12);
    for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) expect((m[i]?.[j] ?? 0) + (m[j]?.[i] ?? 0)).toBeCloseTo(1, 12);
  });

  it("best-of-N ranks best first, shares ranks on equal rewards, softmax sums to 1", () => {
    const ranked = rankCandidates([0.2, 1.5, 0.2, -1]);
    expect(ranked.map((c) => c.index)).toEqual([1, 0, 2, 3]);
    expect(ranked.map((c) => c.rank)).toEqual([1, 2, 2, 4]);
    expect(ranked[0]?.pBeatsBestOther).toBeCloseTo(sigmoid(1.3), 12);
    expect(ranked[3]?.pBeatsBestOther).toBeCloseTo(sigmoid(-2.5), 12);
    expect(ranked.reduce((s, c) => s + c.pBest, 0)).toBeCloseTo(1, 12);
    expect(rankCandidates([3])[0]).toMatchObject({ rank: 1, pBeatsBestOther: 1, pBest: 1 });
  });

  it("margin is the smallest gap between any two responses", () => {
    expect(itemMargin([0.5, -0.25])).toBe(0.75);
    expect(itemMargin([3, 0, 2.9])).toBeCloseTo(0.1, 12);
    expect(itemMargin([1])).toBeNull();
  });

  it("disagreement between two models is the largest gap in P(i > j)", () => {
    expect(modelDisagreement([1, 0], [1, 0])).toBe(0);
    expect(modelDisagreement([5, -5], [-5, 5])).toBeCloseTo(1, 3);
    expect(modelDisagreement([0, 1], [0, 1, 2])).toBeNull();
  });
});

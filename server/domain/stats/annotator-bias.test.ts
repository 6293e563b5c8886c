import { describe, expect, it } from "vitest";
import { computeAnnotatorBias, computeBinomialTestPValue, computeMedian, type JudgmentRecord } from "./annotator-bias";

/**
 * 20 items where response a is the better one. Even items show a on the left and a is longer; odd
 * items show b on the left and b is longer. fair1..3 always pick a (60 s), lefty always picks the left
 * response (50 s), speedy answers tie then both-bad (5 s).
 */
function panel(): JudgmentRecord[] {
  const records: JudgmentRecord[] = [];
  for (let i = 0; i < 20; i++) {
    const even = i % 2 === 0;
    const base = {
      item: `i${i}`,
      shownOrder: even ? [0, 1] : [1, 0],
      lengthA: even ? 500 : 100,
      lengthB: even ? 100 : 500,
    };
    for (const annotator of ["fair1", "fair2", "fair3"]) records.push({ ...base, annotator, winner: "a", seconds: 60 });
    records.push({ ...base, annotator: "lefty", winner: even ? "a" : "b", seconds: 50 });
    records.push({ ...base, annotator: "speedy", winner: i < 10 ? "tie" : "both_bad", seconds: 5 });
  }
  return records;
}

describe("computeAnnotatorBias", () => {
  const report = computeAnnotatorBias(panel());
  const row = (name: string) => report.annotators.find((a) => a.annotator === name);

  it("flags position bias with an exact binomial p-value", () => {
    expect(row("lefty")).toMatchObject({ decisive: 20, positionDecisive: 20, leftChosen: 20, leftShare: 1 });
    expect(row("lefty")?.positionPValue).toBeCloseTo(2 / 2 ** 20, 15);
    expect(row("fair1")).toMatchObject({ leftShare: 0.5, positionPValue: 1 });
    expect(row("speedy")).toMatchObject({ decisive: 0, leftShare: null, positionPValue: null });
    expect(report.leftShare).toBeCloseTo(50 / 80, 12);
  });

  it("measures length bias against the project average", () => {
    expect(row("lefty")).toMatchObject({ lengthDecisive: 20, longerChosen: 20, longerShare: 1 });
    expect(row("fair2")?.longerShare).toBe(0.5);
    expect(report.longerShare).toBeCloseTo(50 / 80, 12);
  });

  it("reports tie and both-bad rates and flags the too-fast annotator", () => {
    expect(row("speedy")).toMatchObject({ tieRate: 0.5, bothBadRate: 0.5, medianSeconds: 5, tooFast: true });
    // Seconds: 20 × 5, 20 × 50, 60 × 60 → project median 60, threshold 12.
    expect(report.medianSeconds).toBe(60);
    expect(report.tooFastThresholdSeconds).toBeCloseTo(12, 12);
    expect(row("lefty")?.tooFast).toBe(false);
    const strict = computeAnnotatorBias(panel(), { tooFastSeconds: 55 });
    expect(strict.annotators.filter((a) => a.tooFast).map((a) => a.annotator)).toEqual(["lefty", "speedy"]);
  });

  it("scores agreement with the majority of the other annotators", () => {
    expect(row("fair1")).toMatchObject({ majorityItems: 20, majorityAgreed: 20, majorityAgreement: 1 });
    expect(row("lefty")).toMatchObject({ majorityItems: 20, majorityAgreed: 10, majorityAgreement: 0.5 });
    expect(row("speedy")?.majorityAgreement).toBe(0);
    // With only two judges per item, each is compared with the other; a 1-1 split among others is no majority.
    const pair = computeAnnotatorBias(panel().filter((r) => r.annotator === "fair1" || r.annotator === "lefty"));
    expect(pair.annotators.map((a) => a.majorityAgreement)).toEqual([0.5, 0.5]);
    const three = panel().filter((r) => ["fair1", "lefty", "speedy"].includes(r.annotator));
    const split = computeAnnotatorBias(three).annotators.find((a) => a.annotator === "fair1");
    expect(split?.majorityItems).toBe(0);
    expect(computeAnnotatorBias(panel(), { minOtherAnnotators: 5 }).annotators[0]?.majorityAgreement).toBeNull();
  });

  it("leaves unknown screen order and time out of those figures only", () => {
    const records: JudgmentRecord[] = [
      { annotator: "x", item: "1", winner: "a", shownOrder: null, lengthA: 2, lengthB: 1, seconds: null },
      { annotator: "x", item: "2", winner: "b", shownOrder: [1, 0], lengthA: 1, lengthB: 1, seconds: 30 },
    ];
    const [x] = computeAnnotatorBias(records).annotators;
    expect(x).toMatchObject({
      judgments: 2,
      decisive: 2,
      positionDecisive: 1,
      leftChosen: 1,
      lengthDecisive: 1,
      longerChosen: 1,
      medianSeconds: 30,
      tooFast: false,
      majorityItems: 0,
    });
  });

  it("uses each annotator's last judgment of an item for majority agreement", () => {
    const base = { shownOrder: [0, 1], lengthA: 1, lengthB: 1, seconds: 10 } as const;
    const records: JudgmentRecord[] = [
      { ...base, annotator: "p", item: "i", winner: "b" },
      { ...base, annotator: "p", item: "i", winner: "a" },
      { ...base, annotator: "q", item: "i", winner: "a" },
    ];
    const report2 = computeAnnotatorBias(records);
    expect(report2.annotators.map((a) => [a.annotator, a.judgments, a.majorityAgreement])).toEqual([
      ["p", 2, 1],
      ["q", 1, 1],
    ]);
  });
});

describe("computeBinomialTestPValue", () => {
  it("matches scipy.stats.binomtest", () => {
    expect(computeBinomialTestPValue(60, 100)).toBeCloseTo(0.05688793364098079, 13);
    expect(computeBinomialTestPValue(40, 100)).toBeCloseTo(0.05688793364098079, 13);
    expect(computeBinomialTestPValue(9, 10)).toBeCloseTo(0.021484375, 14);
    expect(computeBinomialTestPValue(7, 12)).toBeCloseTo(0.7744140625, 13);
    expect(computeBinomialTestPValue(550, 1000)).toBeCloseTo(0.0017305360849763176, 14);
    expect(computeBinomialTestPValue(3, 10, 0.2)).toBeCloseTo(0.42957465600000017, 13);
    expect(computeBinomialTestPValue(5, 40, 0.3)).toBeCloseTo(0.01487255768380921, 13);
    expect(computeBinomialTestPValue(5, 10)).toBe(1);
    expect(computeBinomialTestPValue(0, 0)).toBe(1);
  });

  it("stays finite for large n", () => {
    const p = computeBinomialTestPValue(50_500, 100_000);
    expect(p).toBeGreaterThan(0.001);
    expect(p).toBeLessThan(0.003);
    expect(() => computeBinomialTestPValue(3, 2)).toThrow();
  });
});

describe("computeMedian", () => {
  it("averages the middle pair", () => {
    expect(computeMedian([3, 1, 2])).toBe(2);
    expect(computeMedian([4, 1, 3, 2])).toBe(2.5);
    expect(computeMedian([])).toBeNull();
  });
});

import { describe, expect, it } from "vitest";
import {
  bootstrapKrippendorffAlpha,
  bootstrapPercentAgreement,
  buildReliabilityData,
  computeCohenKappa,
  computeCohenKappaFromRatings,
  computeCumulativeAgreement,
  computeKrippendorffAlpha,
  computePairwiseKappa,
  computePercentAgreement,
  type ReliabilityData,
} from "./agreement";
import { bootstrapUnits } from "./bootstrap";
import { createRng } from "./random";

/** Rows are coders, columns units; null is a missing value. */
function fromMatrix(matrix: Record<string, readonly (number | string | null)[]>): ReliabilityData {
  const records: { unit: string; coder: string; value: number | string }[] = [];
  for (const [coder, row] of Object.entries(matrix)) {
    row.forEach((value, u) => {
      if (value !== null) records.push({ unit: `u${u}`, coder, value });
    });
  }
  return buildReliabilityData(records);
}

// K. Krippendorff, "Computing Krippendorff's Alpha-Reliability" (2011), section C: 4 observers,
// 12 units, missing data; unit 12 has a single value and is not pairable.
const KRIPPENDORFF_2011 = fromMatrix({
  A: [1, 2, 3, 3, 2, 1, 4, 1, 2, null, null, null],
  B: [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, null, 3],
  C: [null, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, null],
  D: [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, null],
});

describe("computeKrippendorffAlpha", () => {
  it("reproduces Krippendorff's (2011) worked example for all three metrics", () => {
    const nominal = computeKrippendorffAlpha(KRIPPENDORFF_2011, "nominal");
    expect(nominal.pairableUnits).toBe(11);
    expect(nominal.pairableValues).toBe(40);
    expect(nominal.alpha).toBeCloseTo(0.743, 3);
    expect(computeKrippendorffAlpha(KRIPPENDORFF_2011, "ordinal").alpha).toBeCloseTo(0.815, 3);
    expect(computeKrippendorffAlpha(KRIPPENDORFF_2011, "interval").alpha).toBeCloseTo(0.849, 3);
  });

  it("matches the example's intermediate quantities (nominal, as an exact fraction)", () => {
    // Nominal α = 1 − (n−1)·Σ_{c≠k} o_ck / Σ_{c≠k} n_c n_k. Off-diagonal coincidences: unit 2
    // (2,2,2,3) adds 2, unit 6 (1,2,3,4) adds 4, unit 8 (1,1,1,2) adds 2 → 8. Marginals n_c = 9, 13,
    // 10, 5, 3 for values 1..5 → Σ_{c≠k} n_c n_k = 40² − 384 = 1216 → α = 1 − 39·8/1216 = 0.7434.
    const nominal = computeKrippendorffAlpha(KRIPPENDORFF_2011, "nominal");
    expect(nominal.alpha).toBeCloseTo(1 - 312 / 1216, 12);
  });

  it("is 1 under perfect agreement with variation, for every metric", () => {
    const data = fromMatrix({ a: [1, 2, 3, 1, null], b: [1, 2, 3, 1, 2], c: [null, 2, 3, 1, 2] });
    for (const metric of ["nominal", "ordinal", "interval"] as const) {
      expect(computeKrippendorffAlpha(data, metric).alpha).toBe(1);
    }
  });

  it("is undefined (null) without variation and without pairable units", () => {
    expect(computeKrippendorffAlpha(fromMatrix({ a: [1, 1], b: [1, 1] }), "nominal").alpha).toBeNull();
    expect(computeKrippendorffAlpha(fromMatrix({ a: [1, 2], b: [null, null] }), "nominal").alpha).toBeNull();
  });

  it("gives the hand-computed value for systematic disagreement", () => {
    // Two units each coded (0, 1): o_01 = o_10 = 2, n_0 = n_1 = 2, n = 4 → α = 1 − 3·4/8 = −0.5.
    const data = fromMatrix({ a: [0, 0], b: [1, 1] });
    expect(computeKrippendorffAlpha(data, "nominal").alpha).toBeCloseTo(-0.5, 12);
    expect(computeKrippendorffAlpha(data, "interval").alpha).toBeCloseTo(-0.5, 12);
  });

  it("gives the hand-computed interval value and orders interval above nominal for near misses", () => {
    // Units (1,1), (2,2), (1,2): o_11=2, o_22=2, o_12=o_21=1; n_1=n_2=3, n=6.
    // Nominal α = 1 − 5·2/(2·3·3) = 1 − 10/18. Interval δ² = 1 for 1↔2, so the same value.
    const data = fromMatrix({ a: [1, 2, 1], b: [1, 2, 2] });
    expect(computeKrippendorffAlpha(data, "nominal").alpha).toBeCloseTo(1 - 10 / 18, 12);
    expect(computeKrippendorffAlpha(data, "interval").alpha).toBeCloseTo(1 - 10 / 18, 12);
    // A 1↔10 miss is worse than a 1↔2 miss on the interval scale but not on the nominal one.
    const far = fromMatrix({ a: [1, 10, 1, 2], b: [1, 10, 10, 2] });
    const near = fromMatrix({ a: [1, 10, 1, 2], b: [1, 10, 2, 2] });
    expect(computeKrippendorffAlpha(far, "interval").alpha ?? 0).toBeLessThan(computeKrippendorffAlpha(near, "interval").alpha ?? 0);
  });

  it("ignores units with a single value", () => {
    const base = computeKrippendorffAlpha(KRIPPENDORFF_2011, "interval").alpha;
    const extra = [...KRIPPENDORFF_2011, [{ coder: "A", value: 99 }]];
    expect(computeKrippendorffAlpha(extra, "interval").alpha).toBe(base);
  });

  it("accepts strings for nominal data and rejects them for ordinal", () => {
    const data = fromMatrix({ a: ["x", "y", "x"], b: ["x", "y", "y"] });
    expect(computeKrippendorffAlpha(data, "nominal").alpha).toBeCloseTo(1 - 10 / 18, 12);
    expect(() => computeKrippendorffAlpha(data, "ordinal")).toThrow(/numeric/);
  });
});

describe("bootstrapKrippendorffAlpha", () => {
  it("is deterministic for a seed and brackets the estimate", () => {
    const a = bootstrapKrippendorffAlpha(KRIPPENDORFF_2011, "ordinal", { resamples: 500, seed: 7 });
    const b = bootstrapKrippendorffAlpha(KRIPPENDORFF_2011, "ordinal", { resamples: 500, seed: 7 });
    const c = bootstrapKrippendorffAlpha(KRIPPENDORFF_2011, "ordinal", { resamples: 500, seed: 8 });
    expect(a).toEqual(b);
    expect(a.lower).not.toBe(c.lower);
    expect(a.estimate).toBeCloseTo(0.815, 3);
    expect(a.lower ?? 1).toBeLessThan(a.estimate ?? 0);
    expect(a.upper ?? 0).toBeGreaterThan(a.estimate ?? 1);
    expect(a.upper ?? 2).toBeLessThanOrEqual(1);
    expect(a.validResamples).toBeGreaterThan(450);
  });
});

describe("computePercentAgreement", () => {
  it("pools agreeing pairs over units", () => {
    // Unit (1,1,2): 3 pairs, 1 agreeing. Unit (1,1): 1 pair, agreeing. Single-value unit ignored.
    const data: ReliabilityData = [
      [
        { coder: "a", value: 1 },
        { coder: "b", value: 1 },
        { coder: "c", value: 2 },
      ],
      [
        { coder: "a", value: 1 },
        { coder: "b", value: 1 },
      ],
      [{ coder: "a", value: 3 }],
    ];
    expect(computePercentAgreement(data)).toEqual({ agreement: 0.5, pairs: 4, agreeingPairs: 2, pairableUnits: 2 });
    const ci = bootstrapPercentAgreement(data, { resamples: 200, seed: 1 });
    expect(ci.estimate).toBe(0.5);
    expect(ci.lower ?? 1).toBeGreaterThanOrEqual(1 / 3 - 1e-12);
    expect(ci.upper ?? 0).toBeLessThanOrEqual(1);
  });

  it("is null with nothing to compare", () => {
    expect(computePercentAgreement([[{ coder: "a", value: 1 }]]).agreement).toBeNull();
  });
});

describe("Cohen's kappa", () => {
  // Textbook 2×2 example (Wikipedia "Cohen's kappa", 50 grant proposals): yes/yes 20, yes/no 5,
  // no/yes 10, no/no 15 → p_o = 0.7, p_e = 0.5·0.6 + 0.5·0.4 = 0.5, κ = 0.4.
  const ratingsA = [...Array(25).fill("yes"), ...Array(25).fill("no")];
  const ratingsB = [...Array(20).fill("yes"), ...Array(5).fill("no"), ...Array(10).fill("yes"), ...Array(15).fill("no")];

  it("reproduces the textbook example", () => {
    const result = computeCohenKappaFromRatings(ratingsA, ratingsB);
    expect(result.observedAgreement).toBeCloseTo(0.7, 12);
    expect(result.expectedAgreement).toBeCloseTo(0.5, 12);
    expect(result.kappa).toBeCloseTo(0.4, 12);
  });

  it("reproduces Fleiss/Cohen 3-category example", () => {
    // 3×3 table (rows rater A, cols rater B): [[25,2,5],[3,26,5],[1,3,30]], n = 100.
    // p_o = 0.81; A marginals .32,.34,.34; B marginals .29,.31,.40 → p_e = .0928+.1054+.136 = .3342.
    const table = [
      [25, 2, 5],
      [3, 26, 5],
      [1, 3, 30],
    ];
    const a: number[] = [];
    const b: number[] = [];
    table.forEach((row, i) => {
      row.forEach((count, j) => {
        for (let k = 0; k < count; k++) {
          a.push(i);
          b.push(j);
        }
      });
    });
    expect(computeCohenKappaFromRatings(a, b).kappa).toBeCloseTo((0.81 - 0.3342) / (1 - 0.3342), 12);
  });

  it("is 1 for identical ratings, null when both use one category", () => {
    expect(computeCohenKappaFromRatings([1, 2, 3], [1, 2, 3]).kappa).toBe(1);
    expect(computeCohenKappaFromRatings([1, 1], [1, 1]).kappa).toBeNull();
    expect(computeCohenKappaFromRatings([], []).kappa).toBeNull();
  });

  it("aligns two named coders on shared units only", () => {
    const records = ratingsA.flatMap((value, u) => [
      { unit: `u${u}`, coder: "alice", value },
      { unit: `u${u}`, coder: "bob", value: ratingsB[u] as string },
    ]);
    records.push({ unit: "extra", coder: "alice", value: "yes" });
    records.push({ unit: "extra2", coder: "carol", value: "no" });
    const data = buildReliabilityData(records);
    expect(computeCohenKappa(data, "alice", "bob").kappa).toBeCloseTo(0.4, 12);
    expect(computeCohenKappa(data, "bob", "alice").kappa).toBeCloseTo(0.4, 12);
    expect(computeCohenKappa(data, "alice", "bob").shared).toBe(50);
    expect(computeCohenKappa(data, "alice", "carol").kappa).toBeNull();
  });

  it("computes every pair with enough shared units", () => {
    const records: { unit: string; coder: string; value: number }[] = [];
    for (let u = 0; u < 30; u++) {
      records.push({ unit: `u${u}`, coder: "a", value: u % 3 });
      records.push({ unit: `u${u}`, coder: "b", value: u % 3 });
      if (u < 10) records.push({ unit: `u${u}`, coder: "c", value: (u + 1) % 3 });
      records.push({ unit: `u${u}`, coder: "d", value: u % 2 });
    }
    const data = buildReliabilityData(records);
    const pairs = computePairwiseKappa(data);
    expect(pairs.map((p) => `${p.coderA}-${p.coderB}`)).toEqual(["a-b", "a-d", "b-d"]);
    expect(pairs[0]?.kappa).toBe(1);
    expect(pairs[0]?.shared).toBe(30);
    expect(computePairwiseKappa(data, { minShared: 10 })).toHaveLength(6);

    const withCi = computePairwiseKappa(data, { bootstrap: { resamples: 200, seed: 3 } });
    const ad = withCi[1];
    expect(ad?.interval?.estimate).toBe(ad?.kappa);
    expect(ad?.interval?.lower ?? 1).toBeLessThanOrEqual(ad?.kappa ?? 0);
    expect(ad?.interval?.upper ?? 0).toBeGreaterThanOrEqual(ad?.kappa ?? 1);
  });

  it("rejects a coder with two values for one unit", () => {
    expect(() =>
      buildReliabilityData([
        { unit: "u", coder: "a", value: 1 },
        { unit: "u", coder: "a", value: 2 },
      ]),
    ).toThrow(/two values/);
  });
});

describe("computeCumulativeAgreement", () => {
  it("equals nominal α and percent agreement recomputed on every prefix", () => {
    const rng = createRng(9);
    const records: { unit: string; coder: string; value: string }[] = [];
    for (let u = 0; u < 60; u++) {
      for (let c = 0; c < 5; c++)
        if (rng.next() < 0.6) records.push({ unit: `u${u}`, coder: `c${c}`, value: ["a", "b", "tie"][rng.nextInt(3)] as string });
    }
    // Shuffle so units fill up in an interleaved order, as judgments arrive.
    for (let i = records.length - 1; i > 0; i--) {
      const j = rng.nextInt(i + 1);
      [records[i], records[j]] = [records[j] as (typeof records)[number], records[i] as (typeof records)[number]];
    }
    const checkpoints = [0, 1, 2, 7, 30, 61, 100, records.length];
    const got = computeCumulativeAgreement(records, checkpoints);
    expect(got.map((c) => c.records)).toEqual(checkpoints);
    for (const c of got) {
      const prefix = buildReliabilityData(records.slice(0, c.records));
      const alpha = computeKrippendorffAlpha(prefix, "nominal").alpha;
      const percent = computePercentAgreement(prefix).agreement;
      if (alpha === null) expect(c.alpha).toBeNull();
      else expect(c.alpha).toBeCloseTo(alpha, 10);
      if (percent === null) expect(c.percentAgreement).toBeNull();
      else expect(c.percentAgreement).toBeCloseTo(percent, 12);
    }
    expect(got.at(-1)?.alpha).not.toBeNull();
  });

  it("gives Krippendorff's published nominal value on his example, and refuses a coder's second value", () => {
    const records = KRIPPENDORFF_2011.flatMap((unit, u) => unit.map(({ coder, value }) => ({ unit: String(u), coder, value })));
    expect(computeCumulativeAgreement(records, [records.length])[0]?.alpha).toBeCloseTo(0.743, 3);
    expect(() =>
      computeCumulativeAgreement(
        [
          { unit: "1", coder: "x", value: 1 },
          { unit: "1", coder: "x", value: 2 },
        ],
        [2],
      ),
    ).toThrow(/two values/);
  });
});

describe("multinomial bootstraps", () => {
  // Resampling units with replacement and drawing a multinomial over unit kinds are the same
  // distribution; with many resamples both give the same percentile interval up to Monte Carlo noise.
  const rng = createRng(21);
  const records: { unit: string; coder: string; value: string }[] = [];
  for (let u = 0; u < 400; u++) {
    const truth = ["a", "b", "tie"][rng.nextInt(3)] as string;
    for (const coder of ["x", "y", "z"])
      records.push({ unit: `u${u}`, coder, value: rng.next() < 0.7 ? truth : (["a", "b", "tie"][rng.nextInt(3)] as string) });
  }
  const data = buildReliabilityData(records);
  const opts = { resamples: 2000, seed: 5 };

  it("α and percent agreement intervals match a plain unit bootstrap", () => {
    const units = data.filter((u) => u.length >= 2);
    const plainAlpha = bootstrapUnits(units, (sample) => computeKrippendorffAlpha(sample, "nominal").alpha, opts);
    const alpha = bootstrapKrippendorffAlpha(data, "nominal", opts);
    expect(alpha.estimate).toBeCloseTo(plainAlpha.estimate ?? 0, 12);
    expect(Math.abs((alpha.lower ?? 0) - (plainAlpha.lower ?? 1))).toBeLessThan(0.015);
    expect(Math.abs((alpha.upper ?? 0) - (plainAlpha.upper ?? 1))).toBeLessThan(0.015);
    const plainPercent = bootstrapUnits(units, (sample) => computePercentAgreement(sample).agreement, opts);
    const percent = bootstrapPercentAgreement(data, opts);
    expect(Math.abs((percent.lower ?? 0) - (plainPercent.lower ?? 1))).toBeLessThan(0.015);
    expect(Math.abs((percent.upper ?? 0) - (plainPercent.upper ?? 1))).toBeLessThan(0.015);
  });

  it("κ intervals match a plain bootstrap of the pair's shared units", () => {
    const [pair] = computePairwiseKappa(data, { minShared: 20, bootstrap: opts });
    const xs = records.filter((r) => r.coder === "x").map((r) => r.value);
    const ys = records.filter((r) => r.coder === "y").map((r) => r.value);
    const plain = bootstrapUnits(
      xs.map((x, i) => [x, ys[i] as string] as const),
      (sample) =>
        computeCohenKappaFromRatings(
          sample.map((p) => p[0]),
          sample.map((p) => p[1]),
        ).kappa,
      opts,
    );
    expect(pair?.coderA).toBe("x");
    expect(pair?.coderB).toBe("y");
    expect(pair?.kappa).toBeCloseTo(plain.estimate ?? 0, 12);
    expect(Math.abs((pair?.interval?.lower ?? 0) - (plain.lower ?? 1))).toBeLessThan(0.02);
    expect(Math.abs((pair?.interval?.upper ?? 0) - (plain.upper ?? 1))).toBeLessThan(0.02);
  });
});

import { describe, expect, it } from "vitest";
import type { Battle, BattleWinner } from "./battle";
import { aggregateBattles, fitBradleyTerry, fitLogisticRegressionBaseline, type ModelRating, predictWinProbability } from "./bradley-terry";
import { createRng } from "./random";

function repeat(n: number, modelA: string, modelB: string, winner: BattleWinner): Battle[] {
  return Array.from({ length: n }, () => ({ modelA, modelB, winner }));
}

function byModel(rows: readonly ModelRating[]): Map<string, number> {
  return new Map(rows.map((r) => [r.model, r.rating]));
}

/** Battles drawn from known Elo ratings, with a fixed tie probability. */
function simulateBattles(ratings: Record<string, number>, n: number, seed: number, tieRate = 0.1): Battle[] {
  const models = Object.keys(ratings);
  const rng = createRng(seed);
  const battles: Battle[] = [];
  for (let t = 0; t < n; t++) {
    const a = models[rng.nextInt(models.length)] as string;
    let b = models[rng.nextInt(models.length - 1)] as string;
    if (b === a) b = models[models.length - 1] as string;
    const u = rng.next();
    const pA = predictWinProbability(ratings[a] ?? 0, ratings[b] ?? 0);
    let winner: BattleWinner;
    if (u < tieRate) winner = rng.next() < 0.5 ? "tie" : "both_bad";
    else winner = rng.next() < pA ? "a" : "b";
    battles.push({ modelA: a, modelB: b, winner });
  }
  return battles;
}

const LOG2_ELO = 400 * Math.log10(2);

describe("fitBradleyTerry", () => {
  it("recovers the analytic solution of a 3-model case", () => {
    // Counts equal to N·p under strengths 1 : 2 : 4, so the MLE is exactly those strengths:
    // B − A = 400·log10 2, C − A = 400·log10 4, and mean-centering puts B at 1000.
    const battles = [
      ...repeat(30, "A", "B", "a"),
      ...repeat(60, "A", "B", "b"),
      ...repeat(20, "A", "C", "a"),
      ...repeat(80, "A", "C", "b"),
      ...repeat(30, "B", "C", "a"),
      ...repeat(60, "B", "C", "b"),
    ];
    const exact = byModel(fitBradleyTerry(battles, { l2: 0, resamples: 0 }).ratings);
    expect(exact.get("A")).toBeCloseTo(1000 - LOG2_ELO, 8);
    expect(exact.get("B")).toBeCloseTo(1000, 8);
    expect(exact.get("C")).toBeCloseTo(1000 + LOG2_ELO, 8);
    // The default tiny prior moves nothing visible.
    const fit = fitBradleyTerry(battles, { resamples: 0 });
    expect(fit.converged).toBe(true);
    const prior = byModel(fit.ratings);
    for (const model of ["A", "B", "C"]) expect(Math.abs((prior.get(model) ?? 0) - (exact.get(model) ?? 0))).toBeLessThan(0.01);
  });

  it("counts ties and both-bad as half a win each way", () => {
    // 6 wins, 2 losses, 4 draws → effective 8 : 4 → difference 400·log10 2.
    const battles = [
      ...repeat(6, "x", "y", "a"),
      ...repeat(2, "x", "y", "b"),
      ...repeat(3, "x", "y", "tie"),
      ...repeat(1, "y", "x", "both_bad"),
    ];
    const fit = fitBradleyTerry(battles, { l2: 0, resamples: 0 });
    const r = byModel(fit.ratings);
    expect((r.get("x") ?? 0) - (r.get("y") ?? 0)).toBeCloseTo(LOG2_ELO, 8);
    expect(fit.ratings[0]).toMatchObject({ model: "x", battles: 12, wins: 6, losses: 2, draws: 4 });
  });

  it("is symmetric in presentation order and gives equal records equal ratings", () => {
    const battles = simulateBattles({ p: 1100, q: 1000, r: 950, s: 900 }, 3000, 11);
    const flip: Record<BattleWinner, BattleWinner> = { a: "b", b: "a", tie: "tie", both_bad: "both_bad" };
    const swapped = battles.map((b) => ({ modelA: b.modelB, modelB: b.modelA, winner: flip[b.winner] }));
    const original = fitBradleyTerry(battles, { resamples: 0 }).ratings;
    const mirrored = byModel(fitBradleyTerry(swapped, { resamples: 0 }).ratings);
    for (const row of original) expect(row.rating).toBeCloseTo(mirrored.get(row.model) ?? 0, 9);

    const even = [...repeat(5, "u", "v", "a"), ...repeat(5, "u", "v", "b")];
    const r = byModel(fitBradleyTerry(even, { resamples: 0 }).ratings);
    expect(r.get("u")).toBeCloseTo(1000, 9);
    expect(r.get("v")).toBeCloseTo(1000, 9);
  });

  it("recovers simulated ratings, and the interval contains the estimate", () => {
    const truth = { alpha: 1200, beta: 1100, gamma: 1000, delta: 950, eps: 750 };
    // No ties here: draws independent of strength would (correctly) compress the fitted ratings.
    const battles = simulateBattles(truth, 40_000, 3, 0);
    const fit = fitBradleyTerry(battles, { resamples: 200, seed: 1 });
    const trueMean = 1000;
    for (const row of fit.ratings) {
      const expected = truth[row.model as keyof typeof truth] - trueMean + 1000;
      expect(Math.abs(row.rating - expected)).toBeLessThan(15);
      expect(row.lower ?? Number.POSITIVE_INFINITY).toBeLessThan(row.rating);
      expect(row.upper ?? Number.NEGATIVE_INFINITY).toBeGreaterThan(row.rating);
      expect((row.upper ?? 0) - (row.lower ?? 0)).toBeLessThan(40);
    }
    expect(fit.ratings.map((r) => r.model)).toEqual(["alpha", "beta", "gamma", "delta", "eps"]);
  });

  it("is deterministic for a seed and varies with it", () => {
    const battles = simulateBattles({ a: 1050, b: 1000, c: 980 }, 2000, 5);
    const one = fitBradleyTerry(battles, { seed: 42 });
    const two = fitBradleyTerry(battles, { seed: 42 });
    const other = fitBradleyTerry(battles, { seed: 43 });
    expect(one).toEqual(two);
    expect(one.resamples).toBe(100);
    expect(one.ratings[0]?.lower).not.toBe(other.ratings[0]?.lower);
    expect(one.ratings[0]?.rating).toBe(other.ratings[0]?.rating);
  });

  it("pins an anchor model and keeps differences", () => {
    const battles = simulateBattles({ a: 1050, b: 1000, c: 980 }, 2000, 6);
    const centered = byModel(fitBradleyTerry(battles, { resamples: 0 }).ratings);
    const anchored = fitBradleyTerry(battles, { resamples: 20, anchor: { model: "b", rating: 1114 } });
    const r = byModel(anchored.ratings);
    expect(r.get("b")).toBeCloseTo(1114, 9);
    expect((r.get("a") ?? 0) - (r.get("c") ?? 0)).toBeCloseTo((centered.get("a") ?? 0) - (centered.get("c") ?? 0), 9);
    const b = anchored.ratings.find((row) => row.model === "b");
    expect(b?.lower).toBeCloseTo(1114, 9);
    expect(() => fitBradleyTerry(battles, { anchor: { model: "zz", rating: 1 } })).toThrow(/anchor/);
  });

  it("keeps undefeated models and disconnected graphs finite", () => {
    const battles = [
      ...repeat(10, "champ", "x", "a"),
      ...repeat(4, "x", "y", "a"),
      ...repeat(3, "x", "y", "b"),
      // A separate island.
      ...repeat(2, "island1", "island2", "a"),
      ...repeat(1, "island1", "island2", "b"),
    ];
    const fit = fitBradleyTerry(battles, { resamples: 50 });
    expect(fit.converged).toBe(true);
    for (const row of fit.ratings) {
      expect(Number.isFinite(row.rating)).toBe(true);
      expect(Number.isFinite(row.lower ?? Number.NaN)).toBe(true);
    }
    expect(fit.ratings[0]?.model).toBe("champ");
    expect(() => fitBradleyTerry(battles, { l2: 0, resamples: 0 })).toThrow(/not identified|l2/);
  });

  it("drops self-battles and handles no battles", () => {
    expect(aggregateBattles([{ modelA: "a", modelB: "a", winner: "a" }]).total).toBe(0);
    expect(fitBradleyTerry([]).ratings).toEqual([]);
  });
});

describe("fitLogisticRegressionBaseline", () => {
  it("gives the same ratings as the aggregated Newton fit", () => {
    const battles = simulateBattles({ a: 1150, b: 1080, c: 1000, d: 990, e: 900, f: 820 }, 20_000, 9, 0.2);
    const fast = fitBradleyTerry(battles, { resamples: 0 }).ratings;
    const slow = byModel(fitLogisticRegressionBaseline(battles));
    for (const row of fast) expect(Math.abs(row.rating - (slow.get(row.model) ?? 0))).toBeLessThan(1e-6);

    const anchor = { model: "c", rating: 1114 };
    const fastAnchored = fitBradleyTerry(battles, { resamples: 0, anchor, l2: 0 }).ratings;
    const slowAnchored = byModel(fitLogisticRegressionBaseline(battles, { anchor, l2: 0 }));
    for (const row of fastAnchored) expect(Math.abs(row.rating - (slowAnchored.get(row.model) ?? 0))).toBeLessThan(1e-6);
  });
});

describe("predictWinProbability", () => {
  it("follows the Elo curve", () => {
    expect(predictWinProbability(1000, 1000)).toBe(0.5);
    expect(predictWinProbability(1400, 1000)).toBeCloseTo(10 / 11, 12);
  });
});

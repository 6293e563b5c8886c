import { describe, expect, it } from "vitest";
import type { Battle } from "./battle";
import { computeWinRates } from "./win-rate";

function repeat(n: number, battle: Battle): Battle[] {
  return Array.from({ length: n }, () => battle);
}

describe("computeWinRates", () => {
  it("matches hand-computed AlpacaEval numbers, whichever side the baseline is on", () => {
    const battles: Battle[] = [
      ...repeat(2, { modelA: "m", modelB: "base", winner: "a" }),
      { modelA: "base", modelB: "m", winner: "b" },
      { modelA: "base", modelB: "m", winner: "a" },
      { modelA: "m", modelB: "base", winner: "tie" },
      { modelA: "base", modelB: "m", winner: "both_bad" },
      // Ignored: not against the baseline, and baseline against itself.
      { modelA: "m", modelB: "other", winner: "b" },
      { modelA: "base", modelB: "base", winner: "a" },
    ];
    // Scores 1, 1, 1, 0, ½, ½: mean 2/3; Σ(x − mean)² = 3/9 + 4/9 + 2/36 = 5/6; sd² = 1/6;
    // SE = 100 · √(1/6) / √6 = 100/6.
    const [row] = computeWinRates(battles, "base");
    expect(row?.model).toBe("m");
    expect(row?.win_rate).toBeCloseTo(200 / 3, 10);
    expect(row?.standard_error).toBeCloseTo(100 / 6, 10);
    expect(row).toMatchObject({ n_wins: 3, n_wins_base: 1, n_draws: 2, n_total: 6 });
  });

  it("excludes the baseline, sorts best first and handles degenerate samples", () => {
    const battles: Battle[] = [
      { modelA: "weak", modelB: "base", winner: "b" },
      { modelA: "weak", modelB: "base", winner: "b" },
      { modelA: "strong", modelB: "base", winner: "a" },
      { modelA: "solo", modelB: "base", winner: "tie" },
    ];
    const rows = computeWinRates(battles, "base");
    expect(rows.map((r) => r.model)).toEqual(["strong", "solo", "weak"]);
    expect(rows[2]).toEqual({
      model: "weak",
      win_rate: 0,
      standard_error: 0,
      n_wins: 0,
      n_wins_base: 2,
      n_draws: 0,
      n_total: 2,
    });
    // One comparison: sd with ddof = 1 is undefined.
    expect(rows[0]?.standard_error).toBeNull();
    expect(rows[1]?.win_rate).toBe(50);
  });

  it("agrees with the textbook sample standard error on a larger sample", () => {
    const scores = [1, 0, 0.5, 1, 1, 0, 0.5, 1, 0, 1, 1, 0.5];
    const winner = (s: number): Battle["winner"] => (s === 1 ? "a" : s === 0 ? "b" : "tie");
    const battles = scores.map((s) => ({ modelA: "m", modelB: "base", winner: winner(s) }));
    const mean = scores.reduce((a, b) => a + b, 0) / scores.length;
    const sd = Math.sqrt(scores.reduce((a, x) => a + (x - mean) ** 2, 0) / (scores.length - 1));
    const [row] = computeWinRates(battles, "base");
    expect(row?.win_rate).toBeCloseTo(100 * mean, 12);
    expect(row?.standard_error).toBeCloseTo((100 * sd) / Math.sqrt(scores.length), 12);
  });

  it("returns nothing when the baseline never played", () => {
    expect(computeWinRates([{ modelA: "x", modelB: "y", winner: "a" }], "base")).toEqual([]);
  });
});

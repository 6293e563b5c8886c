import { describe, expect, it } from "vitest";
import { createRng, sampleBinomial, sampleMultinomial } from "./random";

describe("createRng", () => {
  it("is reproducible per seed and stays in (0, 1)", () => {
    const a = createRng(42);
    const b = createRng(42);
    const c = createRng(43);
    const xs = Array.from({ length: 1000 }, () => a.next());
    expect(xs).toEqual(Array.from({ length: 1000 }, () => b.next()));
    expect(xs[0]).not.toBe(c.next());
    expect(Math.min(...xs)).toBeGreaterThan(0);
    expect(Math.max(...xs)).toBeLessThan(1);
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
    expect(mean).toBeGreaterThan(0.45);
    expect(mean).toBeLessThan(0.55);
  });

  it("draws integers uniformly in [0, n)", () => {
    const rng = createRng(1);
    const counts = new Array<number>(5).fill(0);
    for (let i = 0; i < 50_000; i++) {
      const k = rng.nextInt(5);
      counts[k] = (counts[k] ?? 0) + 1;
    }
    for (const count of counts) expect(Math.abs(count - 10_000)).toBeLessThan(500);
  });
});

describe("sampleBinomial", () => {
  // Both code paths: inversion (n·p < 10) and BTRS (n·p ≥ 10), plus p > 0.5 by symmetry.
  it.each([
    [20, 0.1],
    [1000, 0.005],
    [100, 0.3],
    [1_000_000, 0.137],
    [500, 0.9],
  ])("matches the Binomial(%i, %f) mean and variance", (n, p) => {
    const rng = createRng(n);
    const draws = 20_000;
    let sum = 0;
    let sumSq = 0;
    let valid = true;
    for (let i = 0; i < draws; i++) {
      const x = sampleBinomial(rng, n, p);
      valid &&= Number.isInteger(x) && x >= 0 && x <= n;
      sum += x;
      sumSq += x * x;
    }
    expect(valid).toBe(true);
    const mean = sum / draws;
    const variance = sumSq / draws - mean * mean;
    const trueVar = n * p * (1 - p);
    expect(Math.abs(mean - n * p)).toBeLessThan(5 * Math.sqrt(trueVar / draws));
    expect(variance / trueVar).toBeGreaterThan(0.93);
    expect(variance / trueVar).toBeLessThan(1.07);
  });

  it("matches the exact Binomial(60, 0.4) pmf on the BTRS path", () => {
    const n = 60;
    const p = 0.4;
    const draws = 200_000;
    const rng = createRng(9);
    const observed = new Array<number>(n + 1).fill(0);
    for (let i = 0; i < draws; i++) {
      const x = sampleBinomial(rng, n, p);
      observed[x] = (observed[x] ?? 0) + 1;
    }
    let pmf = (1 - p) ** n;
    let chiSquare = 0;
    let cells = 0;
    for (let k = 0; k <= n; k++) {
      const expected = pmf * draws;
      if (expected >= 5) {
        chiSquare += ((observed[k] ?? 0) - expected) ** 2 / expected;
        cells += 1;
      }
      pmf *= ((n - k) / (k + 1)) * (p / (1 - p));
    }
    // ~29 cells: the 99.99th percentile of χ²(28) is about 66.
    expect(cells).toBeGreaterThan(20);
    expect(chiSquare).toBeLessThan(66);
  });

  it("handles the edges", () => {
    const rng = createRng(0);
    expect(sampleBinomial(rng, 0, 0.5)).toBe(0);
    expect(sampleBinomial(rng, 10, 0)).toBe(0);
    expect(sampleBinomial(rng, 10, 1)).toBe(10);
  });
});

describe("sampleMultinomial", () => {
  it("always sums to n and matches the cell means", () => {
    const rng = createRng(5);
    const weights = [0, 3, 1, 0, 6, 0];
    const totals = new Array<number>(weights.length).fill(0);
    for (let r = 0; r < 2000; r++) {
      const counts = sampleMultinomial(rng, 10_000, weights);
      expect(counts.reduce((s, x) => s + x, 0)).toBe(10_000);
      counts.forEach((x, i) => {
        totals[i] = (totals[i] ?? 0) + x;
      });
    }
    expect(totals[0]).toBe(0);
    expect(totals[3]).toBe(0);
    expect(totals[5]).toBe(0);
    expect((totals[1] ?? 0) / 2000).toBeCloseTo(3000, -1);
    expect((totals[4] ?? 0) / 2000).toBeCloseTo(6000, -1);
  });
});

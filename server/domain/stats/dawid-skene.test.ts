import { describe, expect, it } from "vitest";
import { type CategoricalLabel, fitDawidSkene } from "./dawid-skene";
import { createRng } from "./random";

/** Honest annotators are right with probability `accuracy` (errors uniform); "flipper" always rotates. */
function simulate(items: number, classes: number, seed: number, accuracy = 0.75) {
  const rng = createRng(seed);
  const truth: number[] = [];
  const labels: CategoricalLabel[] = [];
  for (let i = 0; i < items; i++) {
    const z = rng.next() < 0.6 ? 0 : 1 + rng.nextInt(classes - 1);
    truth.push(z);
    for (const annotator of ["h1", "h2", "h3", "h4"]) {
      // Missing data: each honest annotator labels ~70% of items.
      if (rng.next() > 0.7) continue;
      let label = z;
      if (rng.next() > accuracy) label = (z + 1 + rng.nextInt(classes - 1)) % classes;
      labels.push({ item: `i${i}`, annotator, label });
    }
    labels.push({ item: `i${i}`, annotator: "flipper", label: (z + 1) % classes });
  }
  return { truth, labels };
}

describe("fitDawidSkene", () => {
  it.each([2, 3])("identifies an always-flipping annotator and recovers the truth (K = %i)", (classes) => {
    const { truth, labels } = simulate(400, classes, classes);
    const result = fitDawidSkene(labels, { classes });
    expect(result.converged).toBe(true);

    const flipper = result.annotators.find((a) => a.annotator === "flipper");
    expect(flipper?.accuracy ?? 1).toBeLessThan(0.05);
    for (let t = 0; t < classes; t++) expect(flipper?.confusion[t]?.[(t + 1) % classes] ?? 0).toBeGreaterThan(0.95);
    for (const honest of result.annotators.filter((a) => a.annotator !== "flipper")) {
      expect(honest.accuracy).toBeGreaterThan(0.65);
      expect(honest.accuracy).toBeLessThan(0.85);
      for (const row of honest.confusion) expect(row.reduce((s, p) => s + p, 0)).toBeCloseTo(1, 12);
    }
    expect(result.priors[0]).toBeGreaterThan(0.5);
    expect(result.priors[0]).toBeLessThan(0.7);

    // The flipper's labels are a perfect (inverted) signal, so the posteriors recover every item.
    const correct = result.items.filter((it, i) => it.label === truth[i]).length;
    expect(correct / truth.length).toBeGreaterThan(0.99);
    for (const it of result.items) expect(it.posterior.reduce((s, p) => s + p, 0)).toBeCloseTo(1, 12);
  });

  it("beats majority vote when an annotator is adversarial", () => {
    const { truth, labels } = simulate(400, 2, 17, 0.65);
    const votes = new Map<string, number[]>();
    for (const { item, label } of labels) {
      const v = votes.get(item) ?? [0, 0];
      v[label] = (v[label] ?? 0) + 1;
      votes.set(item, v);
    }
    const majorityCorrect = truth.filter((z, i) => {
      const v = votes.get(`i${i}`) ?? [0, 0];
      return (v[0] ?? 0) === (v[1] ?? 0) ? false : ((v[1] ?? 0) > (v[0] ?? 0) ? 1 : 0) === z;
    }).length;
    const result = fitDawidSkene(labels, { classes: 2 });
    const dsCorrect = result.items.filter((it, i) => it.label === truth[i]).length;
    expect(dsCorrect).toBeGreaterThan(majorityCorrect);
  });

  it("gives one-hot posteriors when every annotator agrees", () => {
    const labels: CategoricalLabel[] = [];
    for (let i = 0; i < 30; i++) {
      for (const annotator of ["a", "b", "c"]) labels.push({ item: `i${i}`, annotator, label: i % 3 });
    }
    const exact = fitDawidSkene(labels, { classes: 3, smoothing: 0 });
    expect(exact.converged).toBe(true);
    exact.items.forEach((it, i) => {
      expect(it.posterior).toEqual([0, 1, 2].map((c) => (c === i % 3 ? 1 : 0)));
    });
    for (const a of exact.annotators) expect(a.accuracy).toBeCloseTo(1, 12);

    const smoothed = fitDawidSkene(labels, { classes: 3 });
    smoothed.items.forEach((it, i) => {
      expect(it.label).toBe(i % 3);
      expect(it.posterior[i % 3]).toBeGreaterThan(1 - 1e-6);
    });
  });

  it("reports annotators and items in first-seen order and validates labels", () => {
    const result = fitDawidSkene(
      [
        { item: "x", annotator: "b", label: 1 },
        { item: "y", annotator: "a", label: 0 },
      ],
      { classes: 2 },
    );
    expect(result.annotators.map((a) => a.annotator)).toEqual(["b", "a"]);
    expect(result.items.map((i) => i.item)).toEqual(["x", "y"]);
    expect(() => fitDawidSkene([{ item: "x", annotator: "a", label: 2 }], { classes: 2 })).toThrow(/class index/);
    expect(() => fitDawidSkene([], { classes: 1 })).toThrow(/classes/);
  });

  it("is deterministic and its log-likelihood never decreases with more rounds", () => {
    const { labels } = simulate(200, 3, 4);
    const lls = [1, 2, 3, 5, 10, 30].map(
      (rounds) => fitDawidSkene(labels, { classes: 3, maxIterations: rounds, smoothing: 0 }).logLikelihood,
    );
    for (let r = 1; r < lls.length; r++) expect(lls[r] ?? 0).toBeGreaterThanOrEqual((lls[r - 1] ?? 0) - 1e-9);
    expect(fitDawidSkene(labels, { classes: 3 })).toEqual(fitDawidSkene(labels, { classes: 3 }));
  });
});

describe("fitDawidSkene likelihoodTolerance", () => {
  it("stops once the log-likelihood settles, with estimates close to the long fit", () => {
    const rng = createRng(4);
    const labels: CategoricalLabel[] = [];
    for (let i = 0; i < 400; i++) {
      const truth = rng.nextInt(3);
      for (let a = 0; a < 5; a++) {
        const right = rng.next() < 0.5 + a * 0.1;
        labels.push({ item: `i${i}`, annotator: `a${a}`, label: right ? truth : rng.nextInt(3) });
      }
    }
    const full = fitDawidSkene(labels, { classes: 3, maxIterations: 2000, tolerance: 1e-9 });
    const quick = fitDawidSkene(labels, { classes: 3, maxIterations: 2000, tolerance: 1e-9, likelihoodTolerance: 1e-6 });
    expect(quick.converged).toBe(true);
    expect(quick.iterations).toBeLessThan(full.iterations);
    quick.annotators.forEach((a, i) => {
      expect(Math.abs(a.accuracy - (full.annotators[i]?.accuracy ?? 0))).toBeLessThan(0.01);
    });
    expect(Math.abs(quick.logLikelihood - full.logLikelihood)).toBeLessThan(1e-3 * Math.abs(full.logLikelihood));
  });
});

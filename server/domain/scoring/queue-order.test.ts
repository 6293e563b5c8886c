import { describe, expect, it } from "vitest";
import { orderQueue, type QueueCandidate } from "./queue-order";

const candidates: QueueCandidate[] = Array.from({ length: 200 }, (_, i) => ({
  itemId: i + 1,
  margin: i % 10 === 9 ? null : ((i * 37) % 101) / 10,
  disagreement: i % 10 === 9 ? null : ((i * 53) % 97) / 97,
}));

describe("orderQueue", () => {
  it("uncertainty without a random share: smallest margin first, unscored last in input order", () => {
    const out = orderQueue(candidates, { strategy: "uncertainty", randomShare: 0, seed: 1 });
    const scored = out.filter((p) => p.margin !== null);
    expect(out.slice(0, scored.length)).toEqual(scored);
    for (let i = 1; i < scored.length; i++) expect(scored[i]?.margin).toBeGreaterThanOrEqual(scored[i - 1]?.margin as number);
    expect(out.slice(scored.length).map((p) => p.itemId)).toEqual(candidates.filter((c) => c.margin === null).map((c) => c.itemId));
    expect(out.every((p) => !p.random)).toBe(true);
  });

  it("disagreement: the most disputed items first", () => {
    const out = orderQueue(candidates, { strategy: "disagreement", randomShare: 0, seed: 1 });
    const keys = out.filter((p) => p.disagreement != null).map((p) => p.disagreement as number);
    expect(keys).toEqual([...keys].sort((a, b) => b - a));
  });

  it("a random share places about that share of items by a uniform draw, deterministically per seed", () => {
    const a = orderQueue(candidates, { strategy: "uncertainty", randomShare: 0.25, seed: 42 });
    const b = orderQueue(candidates, { strategy: "uncertainty", randomShare: 0.25, seed: 42 });
    const c = orderQueue(candidates, { strategy: "uncertainty", randomShare: 0.25, seed: 43 });
    expect(a).toEqual(b);
    expect(a.map((p) => p.itemId)).not.toEqual(c.map((p) => p.itemId));
    // a permutation of the input
    expect(a.map((p) => p.itemId).sort((x, y) => x - y)).toEqual(candidates.map((c) => c.itemId));
    const randoms = a.filter((p) => p.random).length;
    expect(randoms).toBeGreaterThan(25);
    expect(randoms).toBeLessThan(75);
    // the non-random placements keep the uncertainty order among themselves
    const ranked = a.filter((p) => !p.random && p.margin !== null).map((p) => p.margin as number);
    expect(ranked).toEqual([...ranked].sort((x, y) => x - y));
  });

  it("random draws are uniform: over many seeds every item is as likely to be drawn first", () => {
    const few = candidates.slice(0, 5);
    const firstCounts = new Map<number, number>();
    for (let seed = 0; seed < 2000; seed++) {
      const first = orderQueue(few, { strategy: "uncertainty", randomShare: 1, seed })[0]?.itemId as number;
      firstCounts.set(first, (firstCounts.get(first) ?? 0) + 1);
    }
    expect(firstCounts.size).toBe(5);
    for (const n of firstCounts.values()) expect(Math.abs(n - 400)).toBeLessThan(80);
  });

  it("random strategy shuffles everything", () => {
    const out = orderQueue(candidates, { strategy: "random", randomShare: 0, seed: 3 });
    expect(out.every((p) => p.random)).toBe(true);
    expect(out.map((p) => p.itemId)).not.toEqual(candidates.map((c) => c.itemId));
    expect(orderQueue([], { strategy: "uncertainty", randomShare: 0.5, seed: 1 })).toEqual([]);
  });
});

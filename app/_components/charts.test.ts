import { describe, expect, it } from "vitest";
import { niceTicks, smoothEma } from "./charts";

describe("chart helpers", () => {
  it("round ticks: the issue's 543/793/1043 become multiples of a round step", () => {
    const { domain, ticks } = niceTicks(543, 1043);
    expect(domain).toEqual([400, 1200]);
    expect(ticks).toEqual([400, 600, 800, 1000, 1200]);
    expect(niceTicks(0, 1).ticks).toEqual([0, 0.25, 0.5, 0.75, 1]);
    expect(niceTicks(5, 5).domain[0]).toBeLessThan(5);
  });
  it("ticks are exact multiples of the step, without float residue or a negative zero", () => {
    const { domain, ticks } = niceTicks(-0.27, 0);
    expect(ticks).toEqual([-0.3, -0.2, -0.1, 0]);
    expect(Object.is(ticks.at(-1), 0)).toBe(true);
    expect(domain).toEqual([-0.3, 0]);
    expect(niceTicks(0, 0.7).ticks).toEqual([0, 0.2, 0.4, 0.6, 0.8]);
    expect(niceTicks(0.1, 0.35).ticks.every((t) => String(t).length <= 5)).toBe(true);
  });
  it("smooths with an exponential moving average that starts at the first value", () => {
    expect(smoothEma([0, 1, 0, 1], 0.5)).toEqual([0, 0.5, 0.25, 0.625]);
  });
});

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
  it("smooths with an exponential moving average that starts at the first value", () => {
    expect(smoothEma([0, 1, 0, 1], 0.5)).toEqual([0, 0.5, 0.25, 0.625]);
  });
});

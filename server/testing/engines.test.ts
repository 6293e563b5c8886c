import { describe, expect, it } from "vitest";
import { alignClocks, expectSameOnBoth } from "@/server/testing/engines";

describe("comparing the two engines' answers up to their clocks", () => {
  it("takes a time field a second or two off as the same moment, in seconds, milliseconds and ISO text", () => {
    const lite = {
      at: 1_796_490_853,
      rows: [{ createdAt: 1_796_490_805_000, name: "a" }],
      lastTest: { started_at: "2026-12-05T10:00:00.000Z" },
    };
    const pg = {
      at: 1_796_490_854,
      rows: [{ createdAt: 1_796_490_806_200, name: "a" }],
      lastTest: { started_at: "2026-12-05T10:00:01.000Z" },
    };
    expect(alignClocks(pg, lite)).toEqual(lite);
    expect(() => expectSameOnBoth(pg, lite)).not.toThrow();
  });

  it("still tells apart every other difference: values, times far off, and numbers under other names", () => {
    const lite = { at: 1_796_490_853, count: 10, name: "a" };
    expect(() => expectSameOnBoth({ ...lite, name: "b" }, lite)).toThrow();
    expect(() => expectSameOnBoth({ ...lite, at: 1_796_490_853 + 3600 }, lite)).toThrow();
    expect(() => expectSameOnBoth({ ...lite, count: 11 }, lite)).toThrow();
    expect(() => expectSameOnBoth({ ...lite, at: null }, lite)).toThrow();
    expect(() => expectSameOnBoth([lite, lite], [lite])).toThrow();
  });
});

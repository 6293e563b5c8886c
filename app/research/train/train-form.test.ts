import { describe, expect, it } from "vitest";
import { DEFAULT_FILTERS, lossFor, lossSkipsTies } from "./train-form";

describe("training form defaults", () => {
  it("the default data keeps ties, so the default loss is the tie-aware one", () => {
    expect(DEFAULT_FILTERS.policies.ties).toBe("keep");
    expect(lossFor(DEFAULT_FILTERS)).toBe("bt-ties");
    expect(lossSkipsTies(lossFor(DEFAULT_FILTERS), DEFAULT_FILTERS)).toBe(false);
  });
  it("dropped ties give plain Bradley-Terry; a snapshot keeps the tie-aware loss", () => {
    const drop = { ...DEFAULT_FILTERS, policies: { ...DEFAULT_FILTERS.policies, ties: "drop" as const } };
    expect(lossFor(drop)).toBe("bt");
    expect(lossFor({ source: "snapshot", snapshotId: 3 })).toBe("bt-ties");
  });
  it("flags plain Bradley-Terry on data that keeps ties (it would skip them)", () => {
    expect(lossSkipsTies("bt", DEFAULT_FILTERS)).toBe(true);
    expect(lossSkipsTies("bt", { source: "snapshot", snapshotId: 1 })).toBe(false);
  });
});

import { describe, expect, it } from "vitest";
import { exportRequest, INITIAL_EXPORT_FORM, shownKeep } from "./export-form";

const RUN = "6f1c7a2e-8d3b-4c5a-9e0f-1a2b3c4d5e6f";

describe("export form", () => {
  it("raw keeps ties and both-bad judgments unless the admin picks a policy", () => {
    const raw = { ...INITIAL_EXPORT_FORM, format: "raw" as const };
    expect([shownKeep(raw, "ties"), shownKeep(raw, "bothBad")]).toEqual(["keep", "keep"]);
    expect(exportRequest(1, RUN, raw).policies).toMatchObject({ ties: "keep", bothBad: "keep" });
    expect(exportRequest(1, RUN, { ...raw, ties: "drop" }).policies).toMatchObject({ ties: "drop", bothBad: "keep" });
  });

  it("pair formats drop them by default, and a picked policy survives a change of format", () => {
    expect(exportRequest(1, RUN, INITIAL_EXPORT_FORM).policies).toMatchObject({ ties: "drop", bothBad: "drop" });
    const picked = { ...INITIAL_EXPORT_FORM, ties: "keep" as const };
    expect(exportRequest(1, RUN, { ...picked, format: "arena" }).policies).toMatchObject({ ties: "keep", bothBad: "drop" });
  });

  it("sends a group only when one is chosen", () => {
    expect(exportRequest(1, RUN, INITIAL_EXPORT_FORM)).not.toHaveProperty("group");
    expect(exportRequest(1, RUN, { ...INITIAL_EXPORT_FORM, group: "zh-native" })).toMatchObject({ group: "zh-native" });
  });
});

/** The playground refuses blank candidates before any model is loaded (no Python needed here). */
import { describe, expect, it } from "vitest";
import { createCaller } from "@/server/api/root";
import { addAnnotator, memoryDb } from "@/server/testing/fixtures";
import { zScoreInput } from "./scoring";

function researcher() {
  const db = memoryDb();
  const id = addAnnotator(db, "res");
  return createCaller({ db, user: { id, email: "res@test.local", name: "res", role: "researcher" } });
}

describe("scoring.score input", () => {
  it("refuses an empty or whitespace-only candidate, with the candidate's index", () => {
    for (const blank of ["", "   ", "\n\t "]) {
      const r = zScoreInput.safeParse({ modelId: 1, prompt: "Hi?", responses: ["Hello!", blank] });
      expect(r.success).toBe(false);
      expect(r.error?.issues[0]?.path).toEqual(["responses", 1]);
      expect(r.error?.issues[0]?.message).toBe("a candidate cannot be empty");
    }
  });

  it("refuses a chat candidate whose messages are all blank, accepts one with text", () => {
    const blankChat = [{ role: "assistant" as const, content: "  " }];
    expect(zScoreInput.safeParse({ modelId: 1, prompt: "Hi?", responses: [blankChat] }).success).toBe(false);
    expect(zScoreInput.safeParse({ modelId: 1, prompt: "Hi?", responses: [[...blankChat, { role: "user", content: "ok" }]] }).success).toBe(
      true,
    );
  });

  it("keeps a candidate's text as written (no trimming of what is scored)", () => {
    const r = zScoreInput.parse({ modelId: 1, prompt: "", responses: ["  padded answer\n"] });
    expect(r.responses).toEqual(["  padded answer\n"]);
  });

  it("the procedure refuses a blank candidate before looking up the model", async () => {
    const caller = researcher();
    await expect(caller.scoring.score({ modelId: 999, prompt: "Hi?", responses: ["fine", " "] })).rejects.toThrow(
      /a candidate cannot be empty/,
    );
    // a non-blank list passes validation and reaches the model lookup
    await expect(caller.scoring.score({ modelId: 999, prompt: "Hi?", responses: ["fine"] })).rejects.toThrow(/model 999 does not exist/);
  });
});

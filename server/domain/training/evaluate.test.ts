import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import type { Content } from "@/db/schema";
import type { ScoreInput } from "@/server/domain/scoring/project-scores";
import { evaluatePreferenceFile } from "@/server/domain/training/evaluate";
import { tempDir } from "@/server/testing/fixtures";

// A scorer whose rewards are known: the count of "good" in the response (a deterministic reward model).
const seen: ScoreInput[] = [];
async function goodCounter(inputs: ScoreInput[]) {
  seen.push(...inputs);
  return inputs.map((i) => {
    const r = i.response.split("good").length - 1;
    return { reward: r, reward_raw: r };
  });
}

function file(lines: unknown[]): string {
  const f = path.join(tempDir(), "prefs.jsonl");
  fs.writeFileSync(f, `${lines.map((l) => (typeof l === "string" ? l : JSON.stringify(l))).join("\n")}\n`);
  return f;
}

describe("evaluatePreferenceFile", () => {
  it("scores TRL standard, conversational, implicit and HH rows; ties count as wrong; subsets apart", async () => {
    seen.length = 0;
    const chat: Content = [{ role: "user", content: "Hi" }];
    const f = file([
      { prompt: "\n\nHuman: Q1\n\nAssistant:", chosen: " good", rejected: " bad", subset: "std" },
      {
        prompt: chat,
        chosen: [{ role: "assistant", content: "good good" }],
        rejected: [{ role: "assistant", content: "good" }],
        subset: "conv",
      },
      { chosen: "\n\nHuman: Q3\n\nAssistant: meh", rejected: "\n\nHuman: Q3\n\nAssistant: good", subset: "hh" },
      {
        chosen: [...chat, { role: "assistant", content: "same" }],
        rejected: [...chat, { role: "assistant", content: "other" }],
        subset: "conv",
      },
    ]);
    const r = await evaluatePreferenceFile({ file: f, subsetField: "subset", score: goodCounter });
    expect(r).toEqual({
      accuracy: 0.5,
      n: 4,
      ties: 1,
      subsets: { conv: { accuracy: 0.5, n: 2 }, hh: { accuracy: 0, n: 1 }, std: { accuracy: 1, n: 1 } },
    });
    // The prompt is scored as the item would have been trained on: HH turns become the user message.
    expect(seen[0]).toEqual({ prompt: "Q1", response: "good" });
    expect(seen[2]).toEqual({ prompt: chat, response: "good good" });
    expect(seen[4]).toEqual({ prompt: "Q3", response: "meh" });
  });

  it("names the file, line and field of a bad row before scoring anything", async () => {
    seen.length = 0;
    const f = file([
      { prompt: "p", chosen: "a", rejected: "b", subset: "x" },
      { prompt: "p", chosen: 3, rejected: "b" },
    ]);
    await expect(evaluatePreferenceFile({ file: f, score: goodCounter })).rejects.toThrow(`${f}, line 2, field chosen`);
    const g = file([
      { prompt: "p", chosen: "a", rejected: "b", subset: "x" },
      { prompt: "p", chosen: "a", rejected: "b" },
    ]);
    await expect(evaluatePreferenceFile({ file: g, subsetField: "subset", score: goodCounter })).rejects.toThrow(
      /line 2, field subset: missing/,
    );
    await expect(evaluatePreferenceFile({ file: file(["{not json"]), score: goodCounter })).rejects.toThrow(/line 1, field \(line\)/);
    expect(seen).toHaveLength(0);
  });
});

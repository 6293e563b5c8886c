import { describe, expect, it } from "vitest";
import type { Content } from "@/db/schema";
import { recordsForItem, serializeRecord, textForItem } from "./formats";
import { type ExportItem, type ExportJudgment, zExportPolicies } from "./policies";

function judgment(id: number, outcome: ExportJudgment["outcome"], strength: number | null = null): ExportJudgment {
  return {
    id,
    annotatorId: id % 3,
    outcome,
    ranking: null,
    strength,
    criteria: {},
    rationale: null,
    shownOrder: null,
    timeOnTaskMs: null,
    source: "import",
    supersedesId: null,
    createdAt: 0,
  };
}

// Items as item-pages.ts reads them: the parsed values plus the stored JSON text beside them.
function stored(id: number, prompt: Content, responses: Content[], judgments: ExportJudgment[]): ExportItem {
  return {
    id,
    externalId: null,
    prompt,
    promptJson: JSON.stringify(prompt),
    metadata: {},
    responses: responses.map((content, idx) => ({ idx, model: `m${idx}`, content, json: JSON.stringify(content) })),
    judgments,
  };
}

const ITEMS = [
  stored(
    1,
    'Quote "this" — ünïcode ☕ \u2028 and a\nnewline\\',
    ["plain", ""],
    [judgment(1, "a", 3), judgment(2, "b"), judgment(3, "tie")],
  ),
  stored(
    2,
    [
      { role: "system", content: "Be brief." },
      { role: "user", content: "Hi" },
    ],
    [[{ role: "assistant", content: "Hello" }], "Hey 😀"],
    [judgment(4, "b", 4), judgment(5, "b", 1)],
  ),
  { ...stored(3, "no stored json", ["x", "y"], [judgment(6, "a")]), promptJson: undefined },
];

describe("TRL lines built from stored JSON", () => {
  for (const policies of [{}, { margin: true }, { aggregate: "soft" as const }, { aggregate: "majority" as const, margin: true }]) {
    it(`are byte-identical to JSON.stringify of the records (${JSON.stringify(policies)})`, () => {
      const ctx = { policies: zExportPolicies.parse(policies), pseudonym: String };
      for (const item of ITEMS) {
        const generic = recordsForItem("trl", item, ctx);
        const fast = textForItem("trl", item, ctx);
        expect(fast.text).toBe(generic.records.map((r) => serializeRecord("trl", r)).join(""));
        expect(fast.rows).toBe(generic.records.length);
        expect(fast.judgmentIds).toEqual(generic.judgmentIds);
      }
    });
  }

  it("copies a stored string instead of re-encoding it, and falls back for chat content", () => {
    const ctx = { policies: zExportPolicies.parse({}), pseudonym: String };
    const item = stored(9, "p", ["a", "b"], [judgment(7, "a")]);
    // A stored text that JSON.stringify would not produce proves which path ran.
    const text = textForItem("trl", { ...item, promptJson: '"\\u0070"' }, ctx).text;
    expect(text).toBe('{"prompt":"\\n\\nHuman: \\u0070\\n\\nAssistant:","chosen":" a","rejected":" b"}\n');
    expect(JSON.parse(text)).toEqual({ prompt: "\n\nHuman: p\n\nAssistant:", chosen: " a", rejected: " b" });
  });
});

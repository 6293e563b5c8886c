import { describe, expect, it } from "vitest";
import { exportText, pythonJson, recordsForItem } from "./formats";
import { type ExportItem, type ExportJudgment, pairRowsForItem, zExportPolicies } from "./policies";

let nextId = 1;
function judgment(annotatorId: number, j: Partial<ExportJudgment>): ExportJudgment {
  return {
    id: nextId++,
    annotatorId,
    outcome: "a",
    ranking: null,
    strength: null,
    criteria: {},
    rationale: null,
    shownOrder: [0, 1],
    timeOnTaskMs: 1000,
    source: "ui",
    supersedesId: null,
    createdAt: 1_700_000_000,
    ...j,
  };
}

function item(k: number, judgments: ExportJudgment[]): ExportItem {
  return {
    id: 7,
    externalId: "ext-7",
    prompt: "Why is the sky blue?",
    metadata: {},
    responses: Array.from({ length: k }, (_, idx) => ({ idx, model: `m${idx}`, content: `answer ${idx}` })),
    judgments,
  };
}

const ctx = (p = {}) => ({ policies: zExportPolicies.parse(p), pseudonym: (id: number) => `ann_${id}` });

describe("export policies", () => {
  it("drops ties by default and keeps them as tie rows in arena when asked", () => {
    const it2 = item(2, [
      judgment(1, { outcome: "a", strength: 3 }),
      judgment(2, { outcome: "tie" }),
      judgment(3, { outcome: "both_bad" }),
    ]);
    expect(pairRowsForItem(it2, zExportPolicies.parse({})).map((r) => r.result)).toEqual(["win"]);
    const arena = recordsForItem("arena", it2, ctx({ ties: "keep", bothBad: "keep" })).records;
    expect(arena.map((r) => r.winner)).toEqual(["model_a", "tie", "tie (bothbad)"]);
    // TRL has no ties: kept ties still never become chosen/rejected rows.
    expect(recordsForItem("trl", it2, ctx({ ties: "keep" })).records).toHaveLength(1);
    expect(recordsForItem("trl", it2, ctx({ margin: true })).records[0]).toEqual({
      prompt: "\n\nHuman: Why is the sky blue?\n\nAssistant:",
      chosen: " answer 0",
      rejected: " answer 1",
      margin: 3,
    });
  });

  it("turns a K=4 ranking into all 6 pairs, or 3 best-vs-rest pairs", () => {
    const it4 = item(4, [judgment(1, { outcome: "ranking", ranking: [2, 0, 3, 1] })]);
    const all = pairRowsForItem(it4, zExportPolicies.parse({}));
    expect(all).toHaveLength(6);
    expect(all.map((r) => `${r.chosen.idx}>${r.rejected.idx}`).sort()).toEqual(["0>1", "0>3", "2>0", "2>1", "2>3", "3>1"]);
    const best = pairRowsForItem(it4, zExportPolicies.parse({ kway: "best-vs-rest" }));
    expect(best.map((r) => `${r.chosen.idx}>${r.rejected.idx}`)).toEqual(["2>0", "2>3", "2>1"]);
  });

  it("majority with an even split is a tie: dropped, or a tie row when ties are kept", () => {
    const even = item(2, [judgment(1, { outcome: "a" }), judgment(2, { outcome: "b" })]);
    expect(pairRowsForItem(even, zExportPolicies.parse({ aggregate: "majority" }))).toEqual([]);
    const kept = pairRowsForItem(even, zExportPolicies.parse({ aggregate: "majority", ties: "keep" }));
    expect(kept.map((r) => r.result)).toEqual(["tie"]);
    const twoToOne = item(2, [judgment(1, { outcome: "b" }), judgment(2, { outcome: "b" }), judgment(3, { outcome: "a" })]);
    const [row] = pairRowsForItem(twoToOne, zExportPolicies.parse({ aggregate: "majority" }));
    expect([row?.chosen.idx, row?.judgmentIds.length]).toEqual([1, 3]);
  });

  it("soft labels keep the disagreement: votes, p_chosen and entropy", () => {
    const even = item(2, [judgment(1, { outcome: "a" }), judgment(2, { outcome: "b" })]);
    const [row] = recordsForItem("trl", even, ctx({ aggregate: "soft" })).records;
    expect(row).toMatchObject({ votes_a: 1, votes_b: 1, votes_tie: 0, p_chosen: 0.5, entropy: 1 });
    const mixed = item(2, [judgment(1, { outcome: "b" }), judgment(2, { outcome: "b" }), judgment(3, { outcome: "tie" })]);
    const [m] = recordsForItem("trl", mixed, ctx({ aggregate: "soft", ties: "keep" })).records;
    expect(m).toMatchObject({ chosen: " answer 1", votes_a: 0, votes_b: 2, votes_tie: 1 });
    expect(m?.p_chosen).toBeCloseTo(2.5 / 3);
    expect(m?.entropy).toBeCloseTo(0.9183, 3);
  });

  it("applies minimum votes, the criterion filter and corrections", () => {
    const j1 = judgment(1, { outcome: "a", criteria: { harmless: "b" } });
    const j2 = judgment(2, { outcome: "a" });
    const fix = judgment(2, { outcome: "b", supersedesId: j2.id });
    const it2 = item(2, [j1, j2, fix]);
    expect(pairRowsForItem(it2, zExportPolicies.parse({})).map((r) => r.chosen.idx)).toEqual([0, 1]);
    expect(pairRowsForItem(it2, zExportPolicies.parse({ minVotes: 3 }))).toEqual([]);
    const harmless = pairRowsForItem(it2, zExportPolicies.parse({ criterion: "harmless" }));
    expect(harmless.map((r) => [r.chosen.idx, r.judgmentIds])).toEqual([[1, [j1.id]]]);
  });

  it("an export with no judgments is a valid empty file", () => {
    expect(exportText("trl", [item(2, [])], ctx())).toBe("");
    expect(exportText("csv", [item(2, [])], ctx()).split("\r\n")).toEqual([expect.stringMatching(/^item_id,/), ""]);
  });

  it("raw pseudonymizes annotators and keeps everything stored", () => {
    const [r] = recordsForItem("raw", item(2, [judgment(42, { rationale: "clearer", strength: 2 })]), ctx()).records;
    expect(r).toMatchObject({ annotator: "ann_42", rationale: "clearer", strength: 2, shown_order: [0, 1], time_on_task_ms: 1000 });
    expect(JSON.stringify(r)).not.toContain('"annotator_id"');
  });

  it("writes JSON the way Python's json.dumps does (HH bytes)", () => {
    expect(pythonJson({ chosen: 'é "q"\n', rejected: "😀" })).toBe('{"chosen": "\\u00e9 \\"q\\"\\n", "rejected": "\\ud83d\\ude00"}');
  });
});

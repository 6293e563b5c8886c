import fs from "node:fs";
import path from "node:path";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { annotatorExclusions, type Content, judgments, snapshotJudgments, users } from "@/db/schema";
import { exportSnapshot } from "@/server/domain/export/export-snapshot";
import { importItems } from "@/server/domain/import/import-items";
import { createProject } from "@/server/domain/projects";
import {
  buildTrainingRows,
  heldOutItems,
  renderContent,
  renderPrompt,
  type TrainingPoliciesInput,
  type TrainingRow,
  writeTrainingFile,
} from "@/server/domain/training/training-data";
import { memoryDb, tempDir, writeJsonl } from "@/server/testing/fixtures";

function setup() {
  const db = memoryDb();
  const project = createProject(db, { name: "train-data", criteria: ["helpful", "harmless"] });
  const file = writeJsonl([
    {
      id: "p1",
      prompt: "Plain?",
      responses: [
        { model: "x", text: "first" },
        { model: "y", text: "second" },
      ],
      judgments: [
        { annotator: "j1", winner: "b", strength: 3, criteria: { helpful: "b", harmless: "a" } },
        { annotator: "j2", winner: "tie", criteria: { helpful: "tie" } },
        { annotator: "j3", winner: "both_bad" },
        { annotator: "bad-judge", winner: "a" },
      ],
    },
    {
      id: "chat",
      prompt: [
        { role: "system", content: "Be brief." },
        { role: "user", content: "Hi" },
      ],
      responses: [
        { model: "x", text: [{ role: "assistant", content: "Hello" }] },
        { model: "y", text: "Hey" },
      ],
      judgments: [{ annotator: "j1", winner: "a" }],
    },
    {
      id: "ranked",
      prompt: "Rank",
      responses: [
        { model: "x", text: "r0" },
        { model: "y", text: "r1" },
        { model: "z", text: "r2" },
      ],
      judgments: [{ annotator: "j2", ranking: [2, 0, 1] }],
    },
  ]);
  const result = importItems(db, { projectId: project.id, file });
  expect(result.errorCount).toBe(0);
  return { db, project };
}

describe("training data", () => {
  it("passes prompts through as stored (the trainer renders them); responses are text", () => {
    expect(renderContent("plain")).toBe("plain");
    const chat = [
      { role: "user" as const, content: "Hi" },
      { role: "assistant" as const, content: "Yo" },
      { role: "user" as const, content: "More" },
    ];
    expect(renderPrompt(chat)).toEqual(chat);
    expect(renderPrompt("plain")).toBe("plain");
  });

  it("turns judgments into pairs and rankings, drops both-bad, excluded annotators and superseded rows", () => {
    const { db, project } = setup();
    const badJudge = db.select().from(users).where(eq(users.name, "bad-judge")).get();
    if (!badJudge) throw new Error("bad-judge missing");
    db.insert(annotatorExclusions).values({ projectId: project.id, userId: badJudge.id, reason: "spam" }).run();
    // j1 corrects its chat judgment from a to b: only the correction counts
    const chatJudgment = db
      .select()
      .from(judgments)
      .all()
      .find((j) => j.outcome === "a" && j.annotatorId !== badJudge.id);
    if (!chatJudgment) throw new Error("chat judgment missing");
    db.insert(judgments)
      .values({ ...chatJudgment, id: undefined, outcome: "b", supersedesId: chatJudgment.id, clientSubmissionId: null })
      .run();

    const { rows, summary } = buildTrainingRows(db, project.id);
    const one = expect.any(Number);
    expect(rows).toEqual([
      {
        prompt: "Plain?",
        chosen: "second",
        rejected: "first",
        tie: false,
        margin: 0,
        strength: 3,
        criteria: ["helpful"],
        judgment_ids: [one],
      },
      {
        prompt: "Plain?",
        chosen: "first",
        rejected: "second",
        tie: true,
        margin: 0,
        strength: null,
        criteria: ["helpful"],
        judgment_ids: [one],
      },
      {
        prompt: [
          { role: "system", content: "Be brief." },
          { role: "user", content: "Hi" },
        ],
        chosen: "Hey",
        rejected: "Hello",
        tie: false,
        margin: 0,
        strength: null,
        criteria: [],
        judgment_ids: [one],
      },
      { prompt: "Rank", ranking: ["r2", "r0", "r1"], judgment_ids: [one] },
    ]);
    expect(new Set(rows.flatMap((r) => r.judgment_ids))).toEqual(new Set(summary.judgmentIds));
    expect(summary).toMatchObject({
      source: "filters",
      rows: 4,
      pairs: 3,
      ties: 1,
      rankings: 1,
      dropped: { by_policy: 1, excluded_annotator: 1, superseded: 1, swapped_repeat: 0 },
    });
    expect(summary.judgmentIds).toHaveLength(4);
    // Policies: ties dropped, and an extra excluded annotator.
    const j1 = db.select().from(users).where(eq(users.name, "j1")).get()?.id ?? 0;
    const strict = buildTrainingRows(db, project.id, { source: "filters", policies: { ties: "drop", excludeAnnotators: [j1] } });
    expect(strict.rows).toEqual([{ prompt: "Rank", ranking: ["r2", "r0", "r1"], judgment_ids: [one] }]);
    expect(strict.summary.dropped.excluded_annotator).toBe(4);
  });

  it("writes JSONL the trainer reads, with a sha256", () => {
    const { db, project } = setup();
    const file = path.join(tempDir(), "train.jsonl");
    const out = writeTrainingFile(db, project.id, file);
    const lines = fs.readFileSync(file, "utf8").trimEnd().split("\n");
    expect(lines).toHaveLength(out.rows);
    expect(JSON.parse(lines[0] ?? "")).toHaveProperty("chosen", "second");
    expect(out.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it("selects exactly the judgments and pairs an export with the same policies selects", async () => {
    const { db, project } = votesProject();
    const cases: { policies: TrainingPoliciesInput; format: "trl" | "arena" }[] = [
      { policies: {}, format: "trl" },
      { policies: { aggregate: "majority", minVotes: 2 }, format: "trl" },
      { policies: { criterion: "helpful" }, format: "trl" },
      { policies: { kway: "best-vs-rest" }, format: "trl" },
      { policies: { ties: "keep", bothBad: "keep", aggregate: "majority" }, format: "arena" },
      { policies: { ties: "keep", bothBad: "keep" }, format: "arena" },
    ];
    for (const { policies, format } of cases) {
      const out = path.join(tempDir(), "export.jsonl");
      const exported = await exportSnapshot(db, { projectId: project.id, format, policies, out });
      const lineage = db
        .select({ id: snapshotJudgments.judgmentId })
        .from(snapshotJudgments)
        .where(eq(snapshotJudgments.snapshotId, exported.snapshot))
        .all()
        .map((r) => r.id)
        .sort((a, b) => a - b);
      const fromFilters = buildTrainingRows(db, project.id, { source: "filters", policies: { ties: "drop", ...policies } });
      const label = JSON.stringify(policies);
      expect(fromFilters.summary.judgmentIds, label).toEqual(lineage);
      const pairs = expandPairs(fromFilters.rows);
      expect(pairs.length, label).toBe(exported.rows);
      if (format === "trl") {
        const lines = fs.readFileSync(out, "utf8").trimEnd().split("\n").filter(Boolean);
        const exportedPairs = lines.map((l) => JSON.parse(l) as { prompt: string; chosen: string; rejected: string });
        // The export writes the HH split of the same text (string prompts here).
        expect(pairs.map((p) => `\n\nHuman: ${p.prompt}\n\nAssistant:| ${p.chosen}| ${p.rejected}`).sort(), label).toEqual(
          exportedPairs.map((p) => `${p.prompt}|${p.chosen}|${p.rejected}`).sort(),
        );
      }
      // Training from that export's snapshot reads the same judgments under the same policies.
      const fromSnapshot = buildTrainingRows(db, project.id, { source: "snapshot", snapshotId: exported.snapshot });
      expect(fromSnapshot.summary.judgmentIds, label).toEqual(lineage);
      expect(fromSnapshot.rows, label).toEqual(fromFilters.rows);
      expect(fromSnapshot.summary).toMatchObject({ source: "snapshot", snapshotId: exported.snapshot });
    }
  });

  it("refuses a snapshot of another project", async () => {
    const { db, project } = votesProject();
    const other = createProject(db, { name: "other" });
    const exported = await exportSnapshot(db, { projectId: project.id, format: "trl", out: path.join(tempDir(), "x.jsonl") });
    expect(() => buildTrainingRows(db, other.id, { source: "snapshot", snapshotId: exported.snapshot })).toThrow(/not in project/);
  });
});

/** Pairs with several votes each (majority and min-votes matter), ties, both-bad, criteria and a K=3 ranking. */
function votesProject() {
  const db = memoryDb();
  const project = createProject(db, { name: "votes", criteria: ["helpful"] });
  const winners = [["a", "a", "b"], ["b", "tie", "b"], ["tie", "both_bad", "a"], ["a"], ["both_bad", "both_bad", "b"]];
  const lines: unknown[] = winners.map((ws, i) => ({
    id: `v${i}`,
    prompt: `question ${i}?`,
    responses: [
      { model: "x", text: `answer x${i}` },
      { model: "y", text: `answer y${i}` },
    ],
    judgments: ws.map((w, k) => ({
      annotator: `judge${k}`,
      winner: w,
      ...(w === "a" || w === "b" ? { strength: k + 1 } : {}),
      criteria: { helpful: k === 1 ? "a" : w === "both_bad" ? "tie" : w },
    })),
  }));
  lines.push({
    id: "k3",
    prompt: "rank these",
    responses: [
      { model: "x", text: "r0" },
      { model: "y", text: "r1" },
      { model: "z", text: "r2" },
    ],
    judgments: [
      { annotator: "judge0", ranking: [2, 0, 1] },
      { annotator: "judge1", ranking: [0, 2, 1] },
    ],
  });
  expect(importItems(db, { projectId: project.id, file: writeJsonl(lines) }).errorCount).toBe(0);
  return { db, project };
}

/** Every pair a row trains on, better first (a ranking's C(K,2) pairs). */
function expandPairs(rows: TrainingRow[]): { prompt: Content; chosen: string; rejected: string }[] {
  return rows.flatMap((r) => {
    if ("chosen" in r) return [{ prompt: r.prompt, chosen: r.chosen, rejected: r.rejected }];
    const out: { prompt: Content; chosen: string; rejected: string }[] = [];
    r.ranking.forEach((better, i) => {
      for (const worse of r.ranking.slice(i + 1)) out.push({ prompt: r.prompt, chosen: better, rejected: worse });
    });
    return out;
  });
}

describe("train / held-out split", () => {
  it("holds out whole items, seeded: every row carries its split and the ids partition the judgments", () => {
    const db = memoryDb();
    const project = createProject(db, { name: "split" });
    const lines = Array.from({ length: 40 }, (_, i) => ({
      id: `s${i}`,
      prompt: `q${i}?`,
      responses: [
        { model: "x", text: `a${i}` },
        { model: "y", text: `b${i}` },
      ],
      judgments: [
        { annotator: "j1", winner: "a" },
        { annotator: "j2", winner: i % 3 ? "a" : "b" },
      ],
    }));
    expect(importItems(db, { projectId: project.id, file: writeJsonl(lines) }).errorCount).toBe(0);
    const opts = { evalFraction: 0.25, seed: 7 };
    const a = buildTrainingRows(db, project.id, { source: "filters" }, opts);
    const split = a.summary.split;
    if (!split) throw new Error("no split");
    expect(split).toMatchObject({ evalItems: 10, trainItems: 30 });
    expect(split.evalJudgmentIds).toHaveLength(20);
    expect([...split.trainJudgmentIds, ...split.evalJudgmentIds].sort((x, y) => x - y)).toEqual(a.summary.judgmentIds);
    // Whole items: a prompt is in one split only.
    const splitsOfPrompt = new Map<string, Set<string>>();
    for (const r of a.rows) {
      expect(r.split).toMatch(/^(train|eval)$/);
      const set = splitsOfPrompt.get(String(r.prompt)) ?? new Set();
      set.add(String(r.split));
      splitsOfPrompt.set(String(r.prompt), set);
    }
    for (const set of splitsOfPrompt.values()) expect(set.size).toBe(1);
    // Seeded: the same seed gives the same split, another seed another one.
    expect(buildTrainingRows(db, project.id, { source: "filters" }, opts).summary.split).toEqual(split);
    expect(buildTrainingRows(db, project.id, { source: "filters" }, { ...opts, seed: 8 }).summary.split?.evalJudgmentIds).not.toEqual(
      split.evalJudgmentIds,
    );
    // Without a split the rows carry none.
    expect(buildTrainingRows(db, project.id).rows.every((r) => r.split === undefined)).toBe(true);
  });

  it("heldOutItems: none with fewer than two items or fraction 0, at least one otherwise, never all", () => {
    expect(heldOutItems([5], { evalFraction: 0.5, seed: 0 }).size).toBe(0);
    expect(heldOutItems([1, 2, 3], { evalFraction: 0, seed: 0 }).size).toBe(0);
    expect(heldOutItems([1, 2, 3], { evalFraction: 0.01, seed: 0 }).size).toBe(1);
    expect(heldOutItems([1, 2], { evalFraction: 0.5, seed: 0 }).size).toBe(1);
    expect(heldOutItems([1, 2, 3, 4], { evalFraction: 0.5, seed: 3 }).size).toBe(2);
  });
});

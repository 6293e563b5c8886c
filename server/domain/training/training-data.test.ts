import fs from "node:fs";
import path from "node:path";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { annotatorExclusions, judgments, users } from "@/db/schema";
import { importItems } from "@/server/domain/import/import-items";
import { createProject } from "@/server/domain/projects";
import { buildTrainingRows, renderContent, renderPrompt, writeTrainingFile } from "@/server/domain/training/training-data";
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
  it("renders chat as User/Assistant text", () => {
    expect(renderContent("plain")).toBe("plain");
    expect(
      renderPrompt([
        { role: "user", content: "Hi" },
        { role: "assistant", content: "Yo" },
        { role: "user", content: "More" },
      ]),
    ).toBe("User: Hi\nAssistant: Yo\nUser: More\nAssistant:");
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
    expect(rows).toEqual([
      { prompt: "Plain?", chosen: "second", rejected: "first", tie: false, margin: 0, strength: 3, criteria: ["helpful"] },
      { prompt: "Plain?", chosen: "first", rejected: "second", tie: true, margin: 0, strength: null, criteria: ["helpful"] },
      { prompt: "Rank", ranking: ["r2", "r0", "r1"] },
      {
        prompt: "System: Be brief.\nUser: Hi\nAssistant:",
        chosen: "Hey",
        rejected: "Hello",
        tie: false,
        margin: 0,
        strength: null,
        criteria: [],
      },
    ]);
    expect(summary).toMatchObject({
      rows: 4,
      pairs: 3,
      ties: 1,
      rankings: 1,
      dropped: { both_bad: 1, excluded_annotator: 1, superseded: 1, invalid: 0 },
    });
    expect(summary.judgmentIds).toHaveLength(4);
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
});

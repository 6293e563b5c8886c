import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exportSnapshot } from "@/server/domain/export/export-snapshot";
import { importItems } from "@/server/domain/import/import-items";
import { createProject } from "@/server/domain/projects";
import { buildTrainingRows } from "@/server/domain/training/training-data";
import { GeneratorClients } from "@/server/generation/generators";
import { startOpenAITestServer, type TestServer } from "@/server/generation/openai-test-server";
import { GenerateRunner } from "@/server/jobs/generate";
import { addAnnotator, memoryDb, pairItem, tempDir, writeJsonl } from "@/server/testing/fixtures";
import { addGenerator } from "./registry";
import { createGenerateJob, getRound, listRounds } from "./sampling";

let server: TestServer;
beforeAll(async () => {
  server = await startOpenAITestServer({ model: "m" });
});
afterAll(() => server.close());

describe("rounds", () => {
  it("number a project's sampling jobs, and an export with a round holds only that round's items", async () => {
    const db = memoryDb();
    const project = createProject(db, { name: "rounds", overlap: 1 });
    expect(
      importItems(db, { projectId: project.id, file: writeJsonl([pairItem(1, { judgments: [{ annotator: "j", winner: "a" }] })]) })
        .errorCount,
    ).toBe(0);
    addGenerator(db, { kind: "external", name: "G", url: server.url, model: "m" });
    for (const prompts of [["one", "two"], ["three"]]) {
      const { job } = createGenerateJob(db, {
        projectId: project.id,
        promptsFile: writeJsonl(prompts.map((p) => ({ id: p, prompt: p }))),
        generators: ["G"],
        samples: 2,
      });
      const runner = new GenerateRunner(db, { only: job.id, clients: new GeneratorClients(undefined, { maxRetries: 0 }) });
      expect((await runner.tick())?.state).toBe("succeeded");
      await runner.stop();
    }
    expect(listRounds(db, project.id).map((r) => [r.number, r.items, r.promptCount])).toEqual([
      [2, 1, 1],
      [1, 2, 2],
    ]);
    // Judge every item once, as an annotator would.
    const judge = addAnnotator(db, "judge");
    const open = db.$client.prepare("SELECT id FROM items WHERE round_id IS NOT NULL").pluck().all() as number[];
    for (const itemId of open)
      db.$client
        .prepare(
          "INSERT INTO judgments (project_id, item_id, annotator_id, outcome, criteria, source) VALUES (?, ?, ?, 'a', '{}', 'import')",
        )
        .run(project.id, itemId, judge);
    const dir = tempDir();
    const rowsOf = async (roundId?: number) => {
      const out = path.join(dir, `r${roundId ?? "all"}.jsonl`);
      const r = await exportSnapshot(db, { projectId: project.id, format: "trl", out, roundId });
      return {
        rows: r.rows,
        prompts: fs
          .readFileSync(out, "utf8")
          .trim()
          .split("\n")
          .filter(Boolean)
          .map((l) => String(JSON.parse(l).prompt).replace(/^\s*Human: |\s*Assistant:$/g, "")),
      };
    };
    expect((await rowsOf()).rows).toBe(4);
    const r1 = await rowsOf(getRound(db, project.id, 1).id);
    expect(r1.prompts.sort()).toEqual(["one", "two"]);
    const r2 = await rowsOf(getRound(db, project.id, 2).id);
    expect(r2.prompts).toEqual(["three"]);
    expect(() => getRound(db, project.id, 3)).toThrow(/has no round 3/);

    // Training takes rounds too (train --round N): only those rounds' judged items become rows.
    const all = buildTrainingRows(db, project.id, { source: "filters" });
    const r2rows = buildTrainingRows(db, project.id, { source: "filters", policies: { rounds: [2] } });
    expect(all.rows.length).toBe(4);
    expect(r2rows.rows.length).toBe(1);
    expect(JSON.stringify(r2rows.rows[0])).toContain("three");
    expect(r2rows.summary.policies).toMatchObject({ rounds: [2] });
    expect(() => buildTrainingRows(db, project.id, { source: "filters", policies: { rounds: [7] } })).toThrow(/has no round 7/);
  });
});

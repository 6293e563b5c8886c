import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { leaseNextItem } from "@/server/domain/assignment";
import { readPromptsFile } from "@/server/domain/generation/prompts";
import { submitJudgment } from "@/server/domain/judgments";
import { createProject } from "@/server/domain/projects";
import { addAnnotator, memoryDb, seedProject, tempDir } from "@/server/testing/fixtures";
import { exportLiveSnapshot } from "./live-exports";
import { setLiveSettings } from "./live-settings";
import { getRewrite, submitRewrite, writePrompt } from "./rewrites";

function judgedItem(outcome: "a" | "b" | "tie") {
  const db = memoryDb();
  const project = seedProject(db, 1, { overlap: 1 });
  const u = addAnnotator(db, "ann");
  const lease = leaseNextItem(db, { projectId: project.id, userId: u });
  if (lease.status !== "item") throw new Error("no lease");
  // Outcome in screen positions; the lease's shown order maps it to stored order.
  const { judgmentId } = submitJudgment(db, {
    userId: u,
    submission: {
      assignmentId: lease.item.assignmentId,
      clientSubmissionId: `s-${outcome}`,
      outcome,
      strength: outcome === "tie" ? undefined : 2,
    },
  });
  const stored = db.$client.prepare("SELECT outcome FROM judgments WHERE id = ?").get(judgmentId) as { outcome: string };
  return { db, project, u, judgmentId, chosenIdx: stored.outcome === "a" ? 0 : 1 };
}

describe("rewrites", () => {
  it("are refused unless the project takes them, the judgment is yours and names a winner, and the text changed", () => {
    const { db, project, u, judgmentId, chosenIdx } = judgedItem("a");
    expect(() => submitRewrite(db, { userId: u, judgmentId, text: "Better." })).toThrow(/does not take rewrites/);
    setLiveSettings(db, { projectId: project.id, settings: { rewrites: true } });
    const other = addAnnotator(db, "other");
    expect(() => submitRewrite(db, { userId: other, judgmentId, text: "Better." })).toThrow(/not yours/);
    expect(() => submitRewrite(db, { userId: u, judgmentId, text: "  " })).toThrow(/text: write the improved answer/);
    const original = chosenIdx === 0 ? "Answer 0 from x" : "Answer 0 from y";
    expect(() => submitRewrite(db, { userId: u, judgmentId, text: original })).toThrow(/unchanged/);
    submitRewrite(db, { userId: u, judgmentId, text: "First try." });
    submitRewrite(db, { userId: u, judgmentId, text: "Answer 0, improved." });
    expect(getRewrite(db, { userId: u, judgmentId })).toEqual({ text: "Answer 0, improved.", responseIdx: chosenIdx });
    const tie = judgedItem("tie");
    setLiveSettings(tie.db, { projectId: tie.project.id, settings: { rewrites: true } });
    expect(() => submitRewrite(tie.db, { userId: tie.u, judgmentId: tie.judgmentId, text: "x" })).toThrow(
      /outcome: choose the better response/,
    );
  });

  it("export as TRL SFT rows (messages or prompt/completion) and as pairs improved ≻ chosen", () => {
    const { db, project, u, judgmentId, chosenIdx } = judgedItem("b");
    setLiveSettings(db, { projectId: project.id, settings: { rewrites: true } });
    submitRewrite(db, { userId: u, judgmentId, text: "Answer 0, improved." });
    const original = chosenIdx === 0 ? "Answer 0 from x" : "Answer 0 from y";
    const dir = tempDir();
    const read = (f: string) => fs.readFileSync(path.join(dir, f), "utf8");
    const out = (f: string) => path.join(dir, f);
    expect(exportLiveSnapshot(db, { projectId: project.id, format: "sft", out: out("sft.jsonl") }).rows).toBe(1);
    expect(read("sft.jsonl")).toBe(
      '{"messages":[{"role":"user","content":"Question 0?"},{"role":"assistant","content":"Answer 0, improved."}]}\n',
    );
    exportLiveSnapshot(db, { projectId: project.id, format: "sft", style: "prompt-completion", out: out("pc.jsonl") });
    expect(read("pc.jsonl")).toBe(
      '{"prompt":[{"role":"user","content":"Question 0?"}],"completion":[{"role":"assistant","content":"Answer 0, improved."}]}\n',
    );
    exportLiveSnapshot(db, { projectId: project.id, format: "rewrite-pairs", pairFormat: "hh", out: out("hh.jsonl") });
    expect(read("hh.jsonl")).toBe(
      `{"chosen": "\\n\\nHuman: Question 0?\\n\\nAssistant: Answer 0, improved.", "rejected": "\\n\\nHuman: Question 0?\\n\\nAssistant: ${original}"}\n`,
    );
    const r = exportLiveSnapshot(db, { projectId: project.id, format: "rewrite-pairs", pairFormat: "trl", out: out("trl.jsonl") });
    expect(JSON.parse(read("trl.jsonl"))).toEqual({
      prompt: "\n\nHuman: Question 0?\n\nAssistant:",
      chosen: " Answer 0, improved.",
      rejected: ` ${original}`,
    });
    expect(db.$client.prepare("SELECT judgment_id FROM snapshot_judgments WHERE snapshot_id = ?").all(r.snapshot)).toEqual([
      { judgment_id: judgmentId },
    ]);
  });
});

describe("prompt-writing tasks", () => {
  it("store written prompts and export the prompts file a sampling job reads", () => {
    const db = memoryDb();
    const project = createProject(db, { name: "prompts" });
    const u = addAnnotator(db, "writer");
    expect(() => writePrompt(db, { projectId: project.id, userId: u, prompt: "Explain tides." })).toThrow(/does not ask for prompts/);
    setLiveSettings(db, { projectId: project.id, settings: { promptWriting: true } });
    expect(() => writePrompt(db, { projectId: project.id, userId: u, prompt: " " })).toThrow(/prompt/);
    writePrompt(db, { projectId: project.id, userId: u, prompt: "Explain tides to a child." });
    writePrompt(db, {
      projectId: project.id,
      userId: u,
      prompt: [
        { role: "system", content: "Be brief." },
        { role: "user", content: "Name a prime." },
      ],
    });
    const file = path.join(tempDir(), "prompts.jsonl");
    expect(exportLiveSnapshot(db, { projectId: project.id, format: "prompts", out: file }).rows).toBe(2);
    const { prompts } = readPromptsFile(file);
    expect(prompts.map((p) => p.prompt)).toEqual([
      "Explain tides to a child.",
      [
        { role: "system", content: "Be brief." },
        { role: "user", content: "Name a prime." },
      ],
    ]);
    expect(prompts[0]?.id).toMatch(/^written-\d+$/);
    expect(String(prompts[0]?.metadata.author)).not.toContain("writer");
  });
});

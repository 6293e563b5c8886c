import fs from "node:fs";
import { describe, expect, it } from "vitest";
import { listAuditEvents } from "@/server/domain/audit";
import { createProject, getProjectStatus } from "@/server/domain/projects";
import { memoryDb, pairItem, writeJsonl } from "@/server/testing/fixtures";
import { getImportRun, type ImportRun, startImportRun } from "./import-runs";

/** Polls like the browser does, one event-loop turn at a time, recording every phase seen. */
async function finish(projectId: number, id: string): Promise<{ run: ImportRun; seen: ImportRun[] }> {
  const seen: ImportRun[] = [];
  for (;;) {
    const run = getImportRun(projectId, id);
    seen.push(run);
    if (run.phase === "done" || run.phase === "failed") return { run, seen };
    await new Promise((resolve) => setImmediate(resolve));
  }
}

function start(db: ReturnType<typeof memoryDb>, projectId: number, file: string, format: "arbiter" | "hh" = "arbiter") {
  let cleaned = false;
  const run = startImportRun(db, {
    projectId,
    file,
    fileName: "upload.jsonl",
    totalBytes: fs.statSync(file).size,
    format,
    cleanup: () => {
      cleaned = true;
    },
  });
  return { run, cleaned: () => cleaned };
}

describe("browser import runs", () => {
  it("a refused file (the README's example pretty-printed) is explained and lands in the audit log", async () => {
    const db = memoryDb();
    const p = createProject(db, { name: "refused" });
    const file = writeJsonl(JSON.stringify(pairItem(1), null, 2).split("\n"));
    const { run } = start(db, p.id, file);
    const { run: done } = await finish(p.id, run.id);
    expect(done.result?.items).toBe(0);
    expect(done.result?.errors[0]).toMatchObject({
      line: 1,
      field: "(line)",
      message: expect.stringMatching(/one whole JSON object per line \(JSONL\)/),
    });
    const [event] = listAuditEvents(db, { limit: 5, actionPrefix: "project.import" });
    expect(event).toMatchObject({
      action: "project.import_failed",
      projectId: p.id,
      detail: { format: "arbiter", file: "upload.jsonl", problems: done.result?.errorCount },
    });
    expect(String(event?.detail.first)).toMatch(/^line 1, field \(line\): not a whole JSON object/);
  });

  it("checks the file with progress (lines parsed), then writes everything and cleans up", async () => {
    const db = memoryDb();
    const p = createProject(db, { name: "runs" });
    const file = writeJsonl(Array.from({ length: 4500 }, (_, i) => pairItem(i, { judgments: [{ annotator: "j", winner: "a" }] })));
    const { run, cleaned } = start(db, p.id, file);
    expect(run.phase).toBe("checking");
    const { run: done, seen } = await finish(p.id, run.id);
    expect(done.result).toMatchObject({ items: 4500, responses: 9000, judgments: 4500, errorCount: 0 });
    // Polls were answered while the file was being checked, with a growing line count, then the write.
    const checking = seen.filter((s) => s.phase === "checking").map((s) => s.lines);
    expect(checking.some((n) => n > 0 && n < 4500)).toBe(true);
    expect(seen.some((s) => s.phase === "writing" && s.itemsChecked === 4500)).toBe(true);
    expect(done.lines).toBe(4500);
    expect(getProjectStatus(db, p.id).items).toBe(4500);
    expect(cleaned()).toBe(true);
  });

  it("a bad line is reported as line/field and nothing is written", async () => {
    const db = memoryDb();
    const p = createProject(db, { name: "bad" });
    const hh = { chosen: "\n\nHuman: q\n\nAssistant: yes", rejected: "\n\nHuman: q\n\nAssistant: no" };
    const file = writeJsonl([hh, hh, { chosen: hh.chosen, rejected: 3 }]);
    const { run } = start(db, p.id, file, "hh");
    const { run: done, seen } = await finish(p.id, run.id);
    expect(done.result?.errors).toEqual([{ line: 3, field: "rejected", message: expect.any(String) }]);
    expect(done.result?.items).toBe(0);
    expect(seen.some((s) => s.phase === "writing")).toBe(false);
    expect(getProjectStatus(db, p.id).items).toBe(0);
  });

  it("a run is only visible for its own project", async () => {
    const db = memoryDb();
    const p = createProject(db, { name: "mine" });
    const other = createProject(db, { name: "other" });
    const { run } = start(db, p.id, writeJsonl([pairItem(1)]));
    expect(() => getImportRun(other.id, run.id)).toThrow(/not running here/);
    await finish(p.id, run.id);
    expect(() => getImportRun(p.id, "00000000-0000-4000-8000-000000000000")).toThrow(/not running here/);
  });
});

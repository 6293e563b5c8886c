import fs from "node:fs";
import { TRPCError } from "@trpc/server";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createCaller } from "@/server/api/root";
import { importItems } from "@/server/domain/import/import-items";
import { createProject } from "@/server/domain/projects";
import { addAnnotator, memoryDb, pairItem, tempDir, writeJsonl } from "@/server/testing/fixtures";

describe("exports router", () => {
  let dir: string;
  beforeEach(() => {
    dir = tempDir();
    process.env.ARBITER_EXPORTS_DIR = dir;
  });
  afterEach(() => {
    delete process.env.ARBITER_EXPORTS_DIR;
  });

  it("admin creates stored exports, lists them, diffs two and gets a file; annotators cannot", async () => {
    const db = memoryDb();
    const p = createProject(db, { name: "exp" });
    const adminId = addAnnotator(db, "boss");
    const admin = createCaller({ db, user: { id: adminId, email: "b@test.local", name: "boss", role: "admin" } });
    importItems(db, {
      projectId: p.id,
      file: writeJsonl([
        pairItem(1, {
          judgments: [
            { annotator: "j1", winner: "a" },
            { annotator: "j2", winner: "tie" },
          ],
        }),
        pairItem(2, { judgments: [{ annotator: "j1", winner: "b", strength: 4 }] }),
      ]),
    });
    const first = await admin.exports.create({ projectId: p.id, format: "trl" });
    const second = await admin.exports.create({ projectId: p.id, format: "arena", policies: { ties: "keep" } });
    expect([first.rows, second.rows]).toEqual([2, 3]);
    const list = await admin.exports.list({ projectId: p.id });
    expect(list.map((s) => [s.id, s.format, s.downloadable])).toEqual([
      [second.snapshot, "arena", true],
      [first.snapshot, "trl", true],
    ]);
    expect(await admin.exports.diff({ projectId: p.id, from: first.snapshot, to: second.snapshot })).toMatchObject({
      added: 1,
      removed: 0,
      kept: 2,
    });
    const file = await admin.exports.file({ snapshotId: first.snapshot });
    expect(
      fs
        .readFileSync(file.path, "utf8")
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l).chosen),
    ).toEqual(["Answer 1 from x", "Answer 2 from y"]);
    const annotator = createCaller({ db, user: { id: adminId, email: "b@test.local", name: "boss", role: "annotator" } });
    await expect(annotator.exports.file({ snapshotId: first.snapshot })).rejects.toBeInstanceOf(TRPCError);
    await expect(admin.exports.file({ snapshotId: 999 })).rejects.toMatchObject({ code: "NOT_FOUND" });
  });
});

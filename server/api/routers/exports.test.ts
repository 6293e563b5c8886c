import fs from "node:fs";
import type { Readable } from "node:stream";
import { TRPCError } from "@trpc/server";
import { eq } from "drizzle-orm";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { auditEvents } from "@/db/schema";
import { openExportDownload } from "@/server/api/export-download";
import { createCaller } from "@/server/api/root";
import { importItems } from "@/server/domain/import/import-items";
import { createGroup, setUserGroup } from "@/server/domain/membership";
import { createProject } from "@/server/domain/projects";
import { ensureExternalAnnotator } from "@/server/domain/users";
import { addAnnotator, memoryDb, pairItem, tempDir, writeJsonl } from "@/server/testing/fixtures";

const adminUser = (id: number) => ({ id, email: "b@test.local", name: "boss", role: "admin" as const });

async function text(stream: Readable): Promise<string> {
  let out = "";
  for await (const chunk of stream) out += String(chunk);
  return out;
}

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
    const admin = createCaller({ db, user: adminUser(adminId) });
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
    const meta = await admin.exports.download({ snapshotId: first.snapshot });
    expect(meta).toEqual({
      snapshotId: first.snapshot,
      filename: `project-${p.id}-trl-snapshot-${first.snapshot}.jsonl`,
      format: "trl",
      size: fs.statSync(`${dir}/snapshot-${first.snapshot}.jsonl`).size,
    });
    // No procedure hands a server path to the browser: the export folder appears in no answer.
    for (const answer of [first, second, list, meta]) expect(JSON.stringify(answer)).not.toContain(dir);
    const download = await openExportDownload({ db, user: adminUser(adminId) }, first.snapshot);
    expect(download.filename).toBe(meta.filename);
    expect(
      (await text(download.stream))
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l).chosen),
    ).toEqual([" Answer 1 from x", " Answer 2 from y"]);
    const annotatorUser = { id: adminId, email: "b@test.local", name: "boss", role: "annotator" as const };
    const annotator = createCaller({ db, user: annotatorUser });
    await expect(annotator.exports.download({ snapshotId: first.snapshot })).rejects.toBeInstanceOf(TRPCError);
    await expect(openExportDownload({ db, user: annotatorUser }, first.snapshot)).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(openExportDownload({ db, user: null }, first.snapshot)).rejects.toMatchObject({ code: "UNAUTHORIZED" });
    await expect(admin.exports.download({ snapshotId: 999 })).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(openExportDownload({ db, user: adminUser(adminId) }, 999)).rejects.toMatchObject({ code: "NOT_FOUND" });
    // Each download that went through is in the audit log (refused ones are not downloads).
    const downloads = db.select().from(auditEvents).where(eq(auditEvents.action, "export.download")).all();
    expect(downloads.map((d) => [d.actorId, d.detail.snapshot])).toEqual([[adminId, first.snapshot]]);
  });

  it("exports.progress follows a page's export run while exports.create is pending", async () => {
    const db = memoryDb();
    const p = createProject(db, { name: "prog" });
    const admin = createCaller({ db, user: adminUser(addAnnotator(db, "boss")) });
    importItems(db, {
      projectId: p.id,
      file: writeJsonl(Array.from({ length: 600 }, (_, i) => pairItem(i, { judgments: [{ annotator: "j", winner: "a" }] }))),
    });
    const runId = "6f1c7a2e-8d3b-4c5a-9e0f-1a2b3c4d5e6f";
    expect(await admin.exports.progress({ projectId: p.id, runId })).toEqual({ phase: "waiting", itemsDone: 0, itemsTotal: 0 });
    let finished = false;
    const pending = admin.exports.create({ projectId: p.id, format: "trl", runId }).finally(() => {
      finished = true;
    });
    const seen: number[] = [];
    while (!finished) {
      seen.push((await admin.exports.progress({ projectId: p.id, runId })).itemsDone);
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect((await pending).rows).toBe(600);
    // Pages of 250 items: polls saw the export part-way, then the end.
    expect(seen.some((n) => n > 0 && n < 600)).toBe(true);
    expect(await admin.exports.progress({ projectId: p.id, runId })).toEqual({ phase: "done", itemsDone: 600, itemsTotal: 600 });
    const other = createProject(db, { name: "other" });
    await expect(admin.exports.progress({ projectId: other.id, runId })).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(admin.exports.create({ projectId: p.id, format: "trl", runId })).rejects.toMatchObject({ code: "CONFLICT" });
  });

  it("raw from the page keeps ties and both-bad unless a policy says drop; `group` keeps one group's judgments", async () => {
    const db = memoryDb();
    const p = createProject(db, { name: "raw" });
    const admin = createCaller({ db, user: adminUser(addAnnotator(db, "boss")) });
    importItems(db, {
      projectId: p.id,
      file: writeJsonl([
        pairItem(1, {
          judgments: [
            { annotator: "j1", winner: "a" },
            { annotator: "j2", winner: "tie" },
            { annotator: "j3", winner: "both_bad" },
          ],
        }),
      ]),
    });
    const outcomes = async (snapshot: number) =>
      fs
        .readFileSync(`${dir}/snapshot-${snapshot}.jsonl`, "utf8")
        .trim()
        .split("\n")
        .map((l) => [JSON.parse(l).outcome, JSON.parse(l).annotator_group]);
    const raw = await admin.exports.create({ projectId: p.id, format: "raw" });
    expect(await outcomes(raw.snapshot)).toEqual([
      ["a", null],
      ["tie", null],
      ["both_bad", null],
    ]);
    const dropped = await admin.exports.create({ projectId: p.id, format: "raw", policies: { ties: "drop" } });
    expect((await outcomes(dropped.snapshot)).map(([o]) => o)).toEqual(["a", "both_bad"]);
    createGroup(db, { name: "zh-native" });
    setUserGroup(db, { userId: ensureExternalAnnotator(db, "j2"), group: "zh-native" });
    const group = await admin.exports.create({ projectId: p.id, format: "raw", group: "zh-native" });
    expect(await outcomes(group.snapshot)).toEqual([["tie", "zh-native"]]);
    expect((await admin.exports.list({ projectId: p.id }))[0]?.filter).toMatchObject({ group: "zh-native" });
    await expect(admin.exports.create({ projectId: p.id, format: "raw", group: "nobody" })).rejects.toMatchObject({ code: "NOT_FOUND" });
  });
});

import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { judgments } from "@/db/schema";
import { openDb } from "@/server/db";
import { addAnnotator, seedProject, tempDir } from "@/server/testing/fixtures";
import { leaseNextItem } from "./assignment";
import { backupDatabase, restoreDatabase } from "./backup";
import { submitJudgment } from "./judgments";
import { getProjectStatus } from "./projects";

describe("backup and restore", () => {
  it("copies a live database consistently and restores it elsewhere", async () => {
    const dir = tempDir();
    const db = openDb(path.join(dir, "live.db"));
    const project = seedProject(db, 50);
    const user = addAnnotator(db, "a");
    for (let i = 0; i < 5; i++) {
      const r = leaseNextItem(db, { projectId: project.id, userId: user });
      if (r.status !== "item") throw new Error("no item");
      submitJudgment(db, { userId: user, submission: { assignmentId: r.item.assignmentId, clientSubmissionId: `b${i}`, outcome: "tie" } });
    }
    const backup = await backupDatabase(db, path.join(dir, "backup.db"));
    expect(backup.pages).toBeGreaterThan(0);
    // Writes after the backup are not in it.
    const r = leaseNextItem(db, { projectId: project.id, userId: user });
    if (r.status !== "item") throw new Error("no item");
    submitJudgment(db, { userId: user, submission: { assignmentId: r.item.assignmentId, clientSubmissionId: "after", outcome: "tie" } });

    const restoredPath = path.join(dir, "restored.db");
    await restoreDatabase(backup.out, restoredPath);
    const restored = openDb(restoredPath);
    expect(getProjectStatus(restored, project.id)).toEqual({ ...getProjectStatus(db, project.id), judgments: 5 });
    expect(
      restored
        .select()
        .from(judgments)
        .all()
        .map((j) => j.clientSubmissionId),
    ).toEqual(["b0", "b1", "b2", "b3", "b4"]);
  });

  it("refuses to overwrite a file, and refuses to restore something that is not a backup", async () => {
    const dir = tempDir();
    const db = openDb(path.join(dir, "live.db"));
    fs.writeFileSync(path.join(dir, "taken.db"), "x");
    await expect(backupDatabase(db, path.join(dir, "taken.db"))).rejects.toThrow(/already exists/);
    fs.writeFileSync(path.join(dir, "junk.db"), "not a database");
    await expect(restoreDatabase(path.join(dir, "junk.db"), path.join(dir, "x.db"))).rejects.toThrow(/not an Arbiter backup/);
    expect(fs.existsSync(path.join(dir, "x.db"))).toBe(false);
  });
});

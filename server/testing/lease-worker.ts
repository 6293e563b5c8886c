/**
 * A separate OS process that leases and judges as fast as it can against a shared database file.
 * Used by the concurrency test: several of these race for the same slots through SQLite's locking.
 * argv: DB_FILE PROJECT_ID USER_ID...   stdout: one JSON line {userId, itemIds} per annotator.
 */
import { eq } from "drizzle-orm";
import { assignments } from "@/db/schema";
import { openDb } from "@/server/db";
import { leaseNextItem } from "@/server/domain/assignment";
import { submitJudgment } from "@/server/domain/judgments";

const [file, projectArg, ...userArgs] = process.argv.slice(2);
const db = openDb(file);
const projectId = Number(projectArg);
const userIds = userArgs.map(Number);
const got = new Map<number, number[]>(userIds.map((u) => [u, []]));
const active = new Set(userIds);
while (active.size > 0) {
  for (const userId of [...active]) {
    const r = leaseNextItem(db, { projectId, userId });
    if (r.status === "empty") {
      active.delete(userId);
      continue;
    }
    const itemId = db.select({ itemId: assignments.itemId }).from(assignments).where(eq(assignments.id, r.item.assignmentId)).get()?.itemId;
    got.get(userId)?.push(itemId as number);
    submitJudgment(db, {
      userId,
      submission: { assignmentId: r.item.assignmentId, clientSubmissionId: `race-${r.item.assignmentId}`, outcome: "tie" },
    });
  }
}
for (const [userId, itemIds] of got) process.stdout.write(`${JSON.stringify({ userId, itemIds })}\n`);

/**
 * Judges as fast as it can against a database file, printing each client submission id only after
 * its transaction committed ("acknowledged"). The crash test SIGKILLs it mid-run.
 * argv: DB_FILE PROJECT_ID USER_ID
 */
import { openDb } from "@/server/db";
import { leaseNextItem } from "@/server/domain/assignment";
import { submitAndLeaseNext } from "@/server/domain/judgments";

const [file, projectArg, userArg] = process.argv.slice(2);
const db = openDb(file);
const projectId = Number(projectArg);
const userId = Number(userArg);
let lease = leaseNextItem(db, { projectId, userId });
let n = 0;
while (lease.status === "item") {
  const id = `crash-${userId}-${n++}`;
  const r = submitAndLeaseNext(db, {
    userId,
    projectId,
    submission: { assignmentId: lease.item.assignmentId, clientSubmissionId: id, outcome: "tie" },
  });
  process.stdout.write(`${id}\n`);
  lease = r.lease;
}

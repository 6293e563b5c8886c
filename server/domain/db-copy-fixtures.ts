/**
 * A database with something in most tables, made through the real domain functions, for the db:copy
 * tests: users (one external, one in a group: the users ⇄ annotator_groups reference cycle), a
 * project with criteria, gold and quality rates (reals), leases, judgments with unicode rationales,
 * a skipped lease, an export snapshot with its lineage, and the audit trail all of that writes.
 */
import path from "node:path";
import { users } from "@/db/schema";
import type { Db } from "@/server/db";
import { addAnnotator, seedProject, tempDir } from "@/server/testing/fixtures";
import { leaseNextItem, skipAssignment } from "./assignment";
import { exportSnapshot } from "./export/export-snapshot";
import { markGold, setQualityRates } from "./gold";
import { submitJudgment } from "./judgments";
import { createGroup, setUserGroup } from "./membership";
import { createUser } from "./users";

const T0 = 1_700_000_000_000;
const OUTCOMES = ["a", "b", "tie", "both_bad", "a", "b"] as const;
const CRITERIA = ["a", "b", "tie", "both_bad"] as const;
const criterion = (i: number) => CRITERIA[i % CRITERIA.length] ?? "tie";

export async function seedCopyDatabase(db: Db, opts: { items?: number; annotators?: number } = {}) {
  const admin = await createUser(db, { email: "admin@copy.test", password: "violet tractor sings 42 hymns", role: "admin" });
  const group = createGroup(db, { name: "zh-native", description: '母语为中文 "quoted" \\ back', actorId: admin.id });
  const project = seedProject(db, opts.items ?? 40, { criteria: ["helpful", "harmless"], overlap: 3 });
  setQualityRates(db, { projectId: project.id, goldRate: 0.1, repeatRate: 0.05, actorId: admin.id });
  markGold(db, { itemId: 1, accepted: ["a"], explanation: "the first answer is right", actorId: admin.id });
  db.insert(users).values({ name: "gpt-judge", role: "annotator", external: true }).run();
  const annotators = Array.from({ length: opts.annotators ?? 4 }, (_, i) => addAnnotator(db, `ann${i}`));
  setUserGroup(db, { userId: annotators[0] as number, group: "zh-native", actorId: admin.id });
  let n = 0;
  for (const [a, userId] of annotators.entries()) {
    for (;;) {
      const now = T0 + n * 7919;
      const lease = leaseNextItem(db, { projectId: project.id, userId, now, random: () => ((n * 37 + a * 11) % 100) / 100 });
      if (lease.status !== "item") break;
      n++;
      if (n % 17 === 0) {
        skipAssignment(db, { assignmentId: lease.item.assignmentId, userId, now: now + 10 });
        continue;
      }
      submitJudgment(db, {
        userId,
        submission: {
          assignmentId: lease.item.assignmentId,
          clientSubmissionId: `c-${a}-${n}`,
          outcome: OUTCOMES[n % OUTCOMES.length],
          strength: 1 + (n % 4),
          criteria: { helpful: criterion(n), harmless: criterion(n + 1) },
          rationale: n % 3 ? `理由 ${n}: "better" — café ☕\nline two` : undefined,
        },
        now: now + 1234 + (n % 5),
      });
    }
  }
  await exportSnapshot(db, { projectId: project.id, format: "raw", out: path.join(tempDir(), "seed.jsonl"), actorId: admin.id });
  return { project, admin, group, annotators, judgments: n };
}

/**
 * Gold items: an admin marks an item with the set of accepted answers ("a", "tie", or "a:3" for an
 * outcome with a strength; a K > 2 ranking as JSON, e.g. "[2,0,1]") and an explanation shown to an
 * annotator who missed it. Gold items stay ordinary queue items, so annotators cannot tell them apart.
 */
import { and, eq } from "drizzle-orm";
import { gold, items, judgments } from "@/db/schema";
import { type Db, transaction } from "@/server/db";
import { recordAuditEvent } from "@/server/domain/audit";
import { AppError } from "@/server/domain/errors";
import { isGoldCorrect } from "@/server/domain/quality/project-stats";

const ACCEPTED = /^(a|b)(:[1-4])?$|^(tie|both_bad)$|^\[\d+(,\d+)*\]$/;

export interface MarkGoldInput {
  itemId: number;
  accepted: string[];
  explanation: string;
  actorId?: number | null;
}

/** Marks (or re-marks) an item as gold; audited. Throws BAD_INPUT naming the bad accepted entry. */
export function markGold(db: Db, input: MarkGoldInput): { itemId: number; accepted: string[] } {
  if (input.accepted.length === 0) {
    throw new AppError("BAD_INPUT", "accept at least one answer", [{ field: "accepted", message: "empty" }]);
  }
  input.accepted.forEach((a, i) => {
    if (!ACCEPTED.test(a)) {
      throw new AppError("BAD_INPUT", `accepted[${i}] "${a}" is not a, b, tie, both_bad, a:1–4, b:1–4 or a ranking like [2,0,1]`, [
        { field: `accepted[${i}]`, message: "not an outcome" },
      ]);
    }
  });
  return transaction(db, () => {
    const item = db.select({ id: items.id, projectId: items.projectId }).from(items).where(eq(items.id, input.itemId)).get();
    if (!item) throw new AppError("NOT_FOUND", `item ${input.itemId} does not exist`, [{ field: "itemId", message: "no such item" }]);
    db.insert(gold)
      .values({ itemId: item.id, accepted: input.accepted, explanation: input.explanation, createdBy: input.actorId ?? null })
      .onConflictDoUpdate({ target: gold.itemId, set: { accepted: input.accepted, explanation: input.explanation } })
      .run();
    recordAuditEvent(db, {
      actorId: input.actorId,
      action: "gold.mark",
      projectId: item.projectId,
      detail: { itemId: item.id, accepted: input.accepted },
    });
    return { itemId: item.id, accepted: input.accepted };
  });
}

/** Removes an item's gold mark; audited. */
export function unmarkGold(db: Db, input: { itemId: number; actorId?: number | null }): void {
  transaction(db, () => {
    const item = db.select({ projectId: items.projectId }).from(items).where(eq(items.id, input.itemId)).get();
    if (!item) throw new AppError("NOT_FOUND", `item ${input.itemId} does not exist`, [{ field: "itemId", message: "no such item" }]);
    db.delete(gold).where(eq(gold.itemId, input.itemId)).run();
    recordAuditEvent(db, { actorId: input.actorId, action: "gold.unmark", projectId: item.projectId, detail: { itemId: input.itemId } });
  });
}

export type GoldFeedback = { gold: false } | { gold: true; correct: true } | { gold: true; correct: false; explanation: string };

/**
 * Feedback on one of the caller's own judgments: whether it was a gold item and, after a miss, the
 * explanation. Another annotator's judgment reads as NOT_FOUND, so nobody learns about others' answers.
 */
export function getGoldFeedback(db: Db, params: { userId: number; judgmentId: number }): GoldFeedback {
  const j = db
    .select({ itemId: judgments.itemId, outcome: judgments.outcome, strength: judgments.strength, ranking: judgments.ranking })
    .from(judgments)
    .where(and(eq(judgments.id, params.judgmentId), eq(judgments.annotatorId, params.userId)))
    .get();
  if (!j)
    throw new AppError("NOT_FOUND", `judgment ${params.judgmentId} is not one of yours`, [{ field: "judgmentId", message: "not found" }]);
  const g = db.select().from(gold).where(eq(gold.itemId, j.itemId)).get();
  if (!g) return { gold: false };
  return isGoldCorrect(j, g.accepted) ? { gold: true, correct: true } : { gold: true, correct: false, explanation: g.explanation };
}

/**
 * Gold items: an admin marks an item with the set of accepted answers ("a", "tie", or "a:3" for an
 * outcome with a strength; a K > 2 ranking as JSON, e.g. "[2,0,1]") and an explanation shown to an
 * annotator who missed it. A gold item leaves the overlap queue (no open slots): leaseNextItem serves
 * it to every annotator once, at the project's gold rate, in a response shaped like any other item.
 */
import { and, asc, count, eq, gt, isNull, sql } from "drizzle-orm";
import { z } from "zod";
import type { Content } from "@/db/schema";
import { assignments, gold, items, judgments, projects, responses } from "@/db/schema";
import { type Conn, domainOp, forUpdateOnPg, type Op } from "@/server/database";
import { recordAuditEvent } from "@/server/domain/audit";
import { AppError, parseInput } from "@/server/domain/errors";
import { allocateQueuePositions } from "@/server/domain/projects";
import { isGoldCorrect } from "@/server/domain/quality/gold-answer";

const ACCEPTED = /^(a|b)(:[1-4])?$|^(tie|both_bad)$|^\[\d+(,\d+)*\]$/;

export interface MarkGoldInput {
  itemId: number;
  accepted: string[];
  explanation: string;
  actorId?: number | null;
}

/** Marks (or re-marks) an item as gold; audited. Throws BAD_INPUT naming the bad accepted entry. */
export const markGold = domainOp(function* markGold(c: Conn, input: MarkGoldInput): Op<{ itemId: number; accepted: string[] }> {
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
  return yield* c.transaction(function* (tx): Op<{ itemId: number; accepted: string[] }> {
    // The item's row is held (PostgreSQL) so a mark and an unmark of one item take turns.
    const item = yield* tx.first(
      forUpdateOnPg(tx.engine, tx.q.select({ id: items.id, projectId: items.projectId }).from(items).where(eq(items.id, input.itemId))),
    );
    if (!item) throw new AppError("NOT_FOUND", `item ${input.itemId} does not exist`, [{ field: "itemId", message: "no such item" }]);
    yield* tx.run(
      tx.q
        .insert(gold)
        .values({ itemId: item.id, accepted: input.accepted, explanation: input.explanation, createdBy: input.actorId ?? null })
        .onConflictDoUpdate({ target: gold.itemId, set: { accepted: input.accepted, explanation: input.explanation } }),
    );
    // Out of the overlap queue: everyone gets it through the gold share of their leases instead.
    yield* tx.run(tx.q.update(items).set({ openSlots: 0 }).where(eq(items.id, item.id)));
    yield* recordAuditEvent.op(tx, {
      actorId: input.actorId,
      action: "gold.mark",
      projectId: item.projectId,
      detail: { itemId: item.id, accepted: input.accepted },
    });
    return { itemId: item.id, accepted: input.accepted };
  });
});

/**
 * Removes an item's gold mark; audited. The item goes back into the overlap queue at the tail with
 * the slots its overlap still wants (overlap − counted judgments − live first-time leases).
 */
export const unmarkGold = domainOp(function* unmarkGold(c: Conn, input: { itemId: number; actorId?: number | null }): Op<void> {
  yield* c.transaction(function* (tx) {
    // The item's row first, then (allocating a queue position) the project's: the lock order of every
    // transaction. Held, the item's done count cannot move under the slots computed from it.
    const item = yield* tx.first(
      forUpdateOnPg(
        tx.engine,
        tx.q.select({ projectId: items.projectId, doneCount: items.doneCount }).from(items).where(eq(items.id, input.itemId)),
      ),
    );
    if (!item) throw new AppError("NOT_FOUND", `item ${input.itemId} does not exist`, [{ field: "itemId", message: "no such item" }]);
    const wasGold = (yield* tx.run(tx.q.delete(gold).where(eq(gold.itemId, input.itemId)))) > 0;
    if (wasGold) {
      const project = yield* tx.first(tx.q.select({ overlap: projects.overlap }).from(projects).where(eq(projects.id, item.projectId)));
      const live =
        (yield* tx.first(
          tx.q
            .select({ n: count() })
            .from(assignments)
            .where(and(eq(assignments.itemId, input.itemId), eq(assignments.state, "active"), isNull(assignments.repeatOf))),
        ))?.n ?? 0;
      const open = Math.max(0, (project?.overlap ?? 0) - item.doneCount - live);
      const queuePos = yield* allocateQueuePositions.op(tx, item.projectId, 1);
      yield* tx.run(tx.q.update(items).set({ openSlots: open, queuePos }).where(eq(items.id, input.itemId)));
    }
    yield* recordAuditEvent.op(tx, {
      actorId: input.actorId,
      action: "gold.unmark",
      projectId: item.projectId,
      detail: { itemId: input.itemId },
    });
  });
});

/**
 * Feedback on one of the caller's own judgments. A correct answer on a gold item reads exactly like
 * an ordinary item (`missed: false`), so nothing an annotator can call tells which items are gold;
 * only a miss carries the explanation (which the submit's answer showed already).
 */
export type GoldFeedback = { missed: false } | { missed: true; explanation: string };

/** Another annotator's judgment reads as NOT_FOUND, so nobody learns about others' answers. */
export const getGoldFeedback = domainOp(function* getGoldFeedback(
  c: Conn,
  params: { userId: number; judgmentId: number },
): Op<GoldFeedback> {
  const j = yield* c.first(
    c.q
      .select({ itemId: judgments.itemId, outcome: judgments.outcome, strength: judgments.strength, ranking: judgments.ranking })
      .from(judgments)
      .where(and(eq(judgments.id, params.judgmentId), eq(judgments.annotatorId, params.userId))),
  );
  if (!j)
    throw new AppError("NOT_FOUND", `judgment ${params.judgmentId} is not one of yours`, [{ field: "judgmentId", message: "not found" }]);
  const g = yield* c.first(c.q.select().from(gold).where(eq(gold.itemId, j.itemId)));
  if (!g || isGoldCorrect(j, g.accepted)) return { missed: false };
  return { missed: true, explanation: g.explanation };
});

export const zQualityRates = z.object({
  projectId: z.number().int().positive(),
  goldRate: z.number().min(0).max(1),
  repeatRate: z.number().min(0).max(0.5),
});

/**
 * Sets the share of an annotator's leases that are gold items and swapped repeats; audited. Together
 * they must leave room for new items (sum ≤ 1).
 */
export const setQualityRates = domainOp(function* setQualityRates(
  c: Conn,
  input: z.input<typeof zQualityRates> & { actorId?: number | null },
): Op<{ id: number; goldRate: number; repeatRate: number }> {
  const rates = parseInput(zQualityRates, input, "rates");
  if (rates.goldRate + rates.repeatRate > 1) {
    throw new AppError("BAD_INPUT", "goldRate + repeatRate must be at most 1", [{ field: "repeatRate", message: "rates sum above 1" }]);
  }
  return yield* c.transaction(function* (tx) {
    const row = yield* tx.first(
      tx.q
        .update(projects)
        .set({ goldRate: rates.goldRate, repeatRate: rates.repeatRate })
        .where(eq(projects.id, rates.projectId))
        .returning({ id: projects.id, goldRate: projects.goldRate, repeatRate: projects.repeatRate }),
    );
    if (!row)
      throw new AppError("NOT_FOUND", `project ${rates.projectId} does not exist`, [{ field: "projectId", message: "no such project" }]);
    yield* recordAuditEvent.op(tx, {
      actorId: input.actorId,
      action: "project.quality_rates",
      projectId: row.id,
      detail: { goldRate: row.goldRate, repeatRate: row.repeatRate },
    });
    return row;
  });
});

export type GoldListItem = {
  itemId: number;
  externalId: string | null;
  prompt: Content;
  responses: { idx: number; model: string; content: Content }[];
  gold: { accepted: string[]; explanation: string } | null;
  judgments: number;
};

/**
 * A page of a project's items for the admin's gold page, in item order after `after` (keyset
 * paging); `goldOnly` lists the gold set. Models are shown: this is an admin view.
 */
export const listGoldCandidates = domainOp(function* listGoldCandidates(
  c: Conn,
  params: { projectId: number; after?: number; limit?: number; goldOnly?: boolean },
): Op<{ items: GoldListItem[]; next: number | null; goldCount: number; goldRate: number; repeatRate: number }> {
  const db = c.q;
  const project = yield* c.first(
    db.select({ goldRate: projects.goldRate, repeatRate: projects.repeatRate }).from(projects).where(eq(projects.id, params.projectId)),
  );
  if (!project)
    throw new AppError("NOT_FOUND", `project ${params.projectId} does not exist`, [{ field: "projectId", message: "no such project" }]);
  const limit = params.limit ?? 20;
  const where = and(eq(items.projectId, params.projectId), gt(items.id, params.after ?? 0));
  const page = yield* c.all(
    (params.goldOnly
      ? db
          .select({ id: items.id, externalId: items.externalId, prompt: items.prompt })
          .from(items)
          .innerJoin(gold, eq(gold.itemId, items.id))
          .where(where)
      : db.select({ id: items.id, externalId: items.externalId, prompt: items.prompt }).from(items).where(where)
    )
      .orderBy(asc(items.id))
      .limit(limit + 1),
  );
  const shown = page.slice(0, limit);
  const ids = shown.map((r) => r.id);
  const inIds = ids.length ? sql`(${sql.join(ids, sql`, `)})` : sql`(NULL)`;
  const resp = yield* c.all(
    db
      .select({ itemId: responses.itemId, idx: responses.idx, model: responses.model, content: responses.content })
      .from(responses)
      .where(sql`${responses.itemId} IN ${inIds}`)
      .orderBy(asc(responses.itemId), asc(responses.idx)),
  );
  const goldRows = new Map(
    (yield* c.all(db.select().from(gold).where(sql`${gold.itemId} IN ${inIds}`))).map((g) => [
      g.itemId,
      { accepted: g.accepted, explanation: g.explanation },
    ]),
  );
  const counts = new Map(
    (yield* c.all(
      db
        .select({ itemId: judgments.itemId, n: count() })
        .from(judgments)
        .where(sql`${judgments.itemId} IN ${inIds}`)
        .groupBy(judgments.itemId),
    )).map((r) => [r.itemId, r.n]),
  );
  // Walk the (small) gold table, not the project's items: the unary + keeps the items index out.
  const goldCount =
    (yield* c.first(
      db
        .select({ n: count() })
        .from(gold)
        .innerJoin(items, eq(items.id, gold.itemId))
        .where(sql`+${items.projectId} = ${params.projectId}`),
    ))?.n ?? 0;
  return {
    items: shown.map((r) => ({
      itemId: r.id,
      externalId: r.externalId,
      prompt: r.prompt,
      responses: resp.filter((x) => x.itemId === r.id).map(({ idx, model, content }) => ({ idx, model, content })),
      gold: goldRows.get(r.id) ?? null,
      judgments: counts.get(r.id) ?? 0,
    })),
    next: page.length > limit ? (shown.at(-1)?.id ?? null) : null,
    goldCount,
    goldRate: project.goldRate,
    repeatRate: project.repeatRate,
  };
});

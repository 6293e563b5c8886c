/**
 * The work queue. Each project's open items are ordered by `queue_pos`; each annotator walks that
 * order forward from their own cursor, so finding the next item is one seek on a partial index over
 * open items, however many leases and judgments exist. A lease that expires (or is skipped) gives
 * its slot back and moves the item to the tail, past every cursor, so it is offered again — but never
 * to someone who already had it (unique (item, user) plus a NOT EXISTS on the seek).
 *
 * Two kinds of lease sit outside that overlap accounting, drawn at the project's rates:
 * - gold: every annotator judges every gold item once (that is what measures them), so gold items
 *   have no open slots in the queue and are served from the gold set instead;
 * - swapped repeat: an item the annotator judged at least REPEAT_GAP judgments ago, shown again in
 *   the reverse order, recorded with `repeat_of` (flip rates come from these).
 * Neither takes or returns a queue slot, and neither moves the cursor.
 * Skipped items come back once, at the end of the annotator's queue (`returnSkipped`).
 */
import { and, asc, desc, eq, gt, isNotNull, lt, sql } from "drizzle-orm";
import type { Content } from "@/db/schema";
import { assignments, gold, items, judgments, projects, queueCursors, responses } from "@/db/schema";
import { type Conn, domainOp, forUpdateOnPg, type Op, RetryTransaction, statements } from "@/server/database";
import type { Db } from "@/server/db";
import { AppError } from "./errors";
import { allocateQueuePositions } from "./projects";

/** What an annotator's browser receives: no model names, no item ids, responses in shown order. */
export type AnnotatorItem = {
  assignmentId: number;
  deadline: number;
  prompt: Content;
  responses: { position: number; content: Content }[];
};

export type LeaseResult = { status: "item"; item: AnnotatorItem } | { status: "empty" };

const EXPIRE_BATCH = 200;

/** A repeat is of an item judged at least this many judgments earlier, so it is not fresh in memory. */
export const REPEAT_GAP = 5;

const p = sql.placeholder;

/** The annotator's next open item past their cursor that they never had (one seek on the partial index). */
function openItems(db: Db) {
  return db
    .select({ id: items.id, queuePos: items.queuePos, k: items.k })
    .from(items)
    .where(
      and(
        eq(items.projectId, p("projectId")),
        sql`${items.openSlots} > 0`,
        gt(items.queuePos, p("pos")),
        sql`NOT EXISTS (SELECT 1 FROM ${assignments} WHERE ${assignments.itemId} = ${items.id} AND ${assignments.userId} = ${p("userId")})`,
      ),
    )
    .orderBy(asc(items.queuePos))
    .limit(1);
}

export const assignmentStatements = statements("assignment", {
  activeLease: (db) =>
    db
      .select({ id: assignments.id, itemId: assignments.itemId, shownOrder: assignments.shownOrder, deadline: assignments.deadline })
      .from(assignments)
      .where(
        and(
          eq(assignments.userId, p("userId")),
          eq(assignments.projectId, p("projectId")),
          eq(assignments.state, "active"),
          gt(assignments.deadline, p("now")),
        ),
      )
      .limit(1),
  cursor: (db) =>
    db
      .select({ pos: queueCursors.pos })
      .from(queueCursors)
      .where(and(eq(queueCursors.userId, p("userId")), eq(queueCursors.projectId, p("projectId")))),
  // PostgreSQL, several instances: the chosen row stays locked until the lease commits, and a
  // concurrent lease passes over it (SKIP LOCKED) instead of queueing behind it.
  nextOpen: (db, engine) => forUpdateOnPg(engine, openItems(db), { skipLocked: true }),
  // The same without the lock: after a lease that passed over locked rows, the earliest open item.
  firstOpen: (db) => openItems(db),
  takeSlot: (db) =>
    db
      .update(items)
      .set({ openSlots: sql`${items.openSlots} - 1` })
      .where(and(eq(items.id, p("itemId")), sql`${items.openSlots} > 0`)),
  // repeatOf: null for a queue or gold lease, the earlier assignment for a swapped repeat.
  insertAssignment: (db) =>
    db
      .insert(assignments)
      .values({
        projectId: p("projectId"),
        itemId: p("itemId"),
        userId: p("userId"),
        shownOrder: p("shownOrder"),
        leasedAt: p("now"),
        deadline: p("deadline"),
        repeatOf: p("repeatOf"),
      })
      .returning({ id: assignments.id }),
  // Gold sets are small (tens to hundreds of items), and this runs only on the gold share of leases.
  // The unary + keeps SQLite from walking the project's items by index and probing gold for each (a
  // scan of every item); it walks the gold table in item order and checks each row's item instead.
  nextGold: (db) =>
    db
      .select({ id: items.id, k: items.k })
      .from(gold)
      .innerJoin(items, eq(items.id, gold.itemId))
      .where(
        and(
          sql`+${items.projectId} = ${p("projectId")}`,
          sql`NOT EXISTS (SELECT 1 FROM ${assignments} WHERE ${assignments.itemId} = ${gold.itemId} AND ${assignments.userId} = ${p("userId")})`,
        ),
      )
      .orderBy(asc(gold.itemId))
      .limit(1),
  // The annotator's most recent judgment at least REPEAT_GAP judgments back whose item was never
  // repeated and is not gold: a backward walk on (annotator, project) that stops at the first hit.
  repeatCandidate: (db) =>
    db
      .select({ assignmentId: assignments.id, itemId: assignments.itemId, shownOrder: assignments.shownOrder })
      .from(judgments)
      .innerJoin(assignments, eq(assignments.id, judgments.assignmentId))
      .where(
        and(
          eq(judgments.annotatorId, p("userId")),
          eq(judgments.projectId, p("projectId")),
          isNotNull(judgments.assignmentId),
          sql`${judgments.id} <= (SELECT r.id FROM ${judgments} r WHERE r.annotator_id = ${p("userId")} AND r.project_id = ${p("projectId")} ORDER BY r.id DESC LIMIT 1 OFFSET ${p("gap")})`,
          sql`NOT EXISTS (SELECT 1 FROM ${assignments} x WHERE x.item_id = ${judgments.itemId} AND x.user_id = ${judgments.annotatorId} AND x.repeat_of IS NOT NULL)`,
          sql`NOT EXISTS (SELECT 1 FROM ${gold} g WHERE g.item_id = ${judgments.itemId})`,
        ),
      )
      .orderBy(desc(judgments.id))
      .limit(1),
  // Skipped leases of this annotator that never came back, oldest skip first (partial index on the
  // user's leases keeps it a short walk; it only runs once the queue is empty for them).
  skippedLease: (db) =>
    db
      .select({ id: assignments.id, itemId: assignments.itemId, shownOrder: assignments.shownOrder })
      .from(assignments)
      .where(
        and(
          eq(assignments.userId, p("userId")),
          eq(assignments.projectId, p("projectId")),
          eq(assignments.state, "skipped"),
          sql`${assignments.returnedAt} IS NULL`,
          sql`${assignments.repeatOf} IS NULL`,
        ),
      )
      .orderBy(asc(assignments.closedAt), asc(assignments.id))
      .limit(1),
  reopenLease: (db) =>
    db
      .update(assignments)
      .set({ state: "active", leasedAt: sql`${p("now")}`, deadline: sql`${p("deadline")}`, closedAt: null, returnedAt: sql`${p("now")}` })
      .where(eq(assignments.id, p("assignmentId"))),
  markReturned: (db) =>
    db
      .update(assignments)
      .set({ returnedAt: sql`${p("now")}` })
      .where(eq(assignments.id, p("assignmentId"))),
  isGold: (db) =>
    db
      .select({ itemId: gold.itemId })
      .from(gold)
      .where(eq(gold.itemId, p("itemId"))),
  upsertCursor: (db) =>
    db
      .insert(queueCursors)
      .values({ userId: p("userId"), projectId: p("projectId"), pos: p("pos") })
      .onConflictDoUpdate({ target: [queueCursors.userId, queueCursors.projectId], set: { pos: sql`excluded.pos` } }),
  projectSettings: (db) =>
    db
      .select({ leaseSeconds: projects.leaseSeconds, goldRate: projects.goldRate, repeatRate: projects.repeatRate })
      .from(projects)
      .where(eq(projects.id, p("projectId"))),
  itemPrompt: (db) =>
    db
      .select({ prompt: items.prompt })
      .from(items)
      .where(eq(items.id, p("itemId"))),
  itemResponses: (db) =>
    db
      .select({ idx: responses.idx, content: responses.content })
      .from(responses)
      .where(eq(responses.itemId, p("itemId")))
      .orderBy(asc(responses.idx)),
  // Uses the partial index on active deadlines: costs nothing when no lease has run out.
  dueLeases: (db) =>
    db
      .select({ id: assignments.id, itemId: assignments.itemId, projectId: assignments.projectId, repeatOf: assignments.repeatOf })
      .from(assignments)
      .where(and(eq(assignments.state, "active"), lt(assignments.deadline, p("now"))))
      // One order for every instance, so two expiring the same leases lock them in the same order;
      // the partial index's own order (deadline, then rowid), so SQLite reads no more than the batch.
      .orderBy(asc(assignments.deadline), asc(assignments.id))
      .limit(EXPIRE_BATCH),
});

/** A uniformly random permutation of 0..k-1 (Fisher-Yates). */
export function randomOrder(k: number, random: () => number = Math.random): number[] {
  const order = Array.from({ length: k }, (_, i) => i);
  for (let i = k - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j] as number, order[i] as number];
  }
  return order;
}

/**
 * Gives a slot back to the pool: the item gets one more open slot and a fresh position at the tail
 * of its project's queue, so annotators whose cursor is already past it still reach it. Gold items
 * have no queue slots (they are served from the gold set), so a gold lease gives nothing back.
 */
function* returnSlotOp(c: Conn, itemId: number, projectId: number): Op<void> {
  if (yield* c.prepared(assignmentStatements).isGold.first({ itemId })) return;
  // The item row before the project row (its queue counter), as everywhere: see storeJudgment.
  yield* c.run(
    c.q
      .update(items)
      .set({ openSlots: sql`${items.openSlots} + 1` })
      .where(eq(items.id, itemId)),
  );
  const pos = yield* allocateQueuePositions.op(c, projectId, 1);
  yield* c.run(c.q.update(items).set({ queuePos: pos }).where(eq(items.id, itemId)));
}
export const returnSlot = domainOp(returnSlotOp);

/** Expires every lease whose deadline has passed and returns its slot. Returns how many expired. */
export const expireLeases = domainOp(function* expireLeases(c: Conn, now: number): Op<number> {
  const s = c.prepared(assignmentStatements);
  let total = 0;
  for (;;) {
    const due = yield* s.dueLeases.all({ now });
    if (due.length === 0) return total;
    yield* c.transaction(function* (tx) {
      for (const lease of due) {
        // Only the process whose update closes the lease gives its slot back (several instances may
        // see the same due lease).
        const changed = yield* tx.run(
          tx.q
            .update(assignments)
            .set({ state: "expired", closedAt: now })
            .where(and(eq(assignments.id, lease.id), eq(assignments.state, "active"))),
        );
        if (changed && lease.repeatOf === null) yield* returnSlotOp(tx, lease.itemId, lease.projectId);
      }
    });
    total += due.length;
    if (due.length < EXPIRE_BATCH) return total;
  }
});

function* toAnnotatorItem(c: Conn, lease: { id: number; itemId: number; shownOrder: number[]; deadline: number }): Op<AnnotatorItem> {
  const s = c.prepared(assignmentStatements);
  const prompt = yield* s.itemPrompt.first({ itemId: lease.itemId });
  if (!prompt) throw new AppError("NOT_FOUND", `item of assignment ${lease.id} is gone`);
  const byIdx = new Map((yield* s.itemResponses.all({ itemId: lease.itemId })).map((r) => [r.idx, r.content]));
  return {
    assignmentId: lease.id,
    deadline: lease.deadline,
    prompt: prompt.prompt,
    responses: lease.shownOrder.map((idx, position) => ({ position, content: byIdx.get(idx) ?? "" })),
  };
}

export type LeaseParams = { projectId: number; userId: number; now?: number; random?: () => number };

/** Which kind of lease one uniform draw `u` asks for: [0, gold) gold, [gold, gold + repeat) repeat, else the queue. */
export function chooseLeaseKind(u: number, goldRate: number, repeatRate: number): "gold" | "repeat" | "queue" {
  if (u < goldRate) return "gold";
  if (u < goldRate + repeatRate) return "repeat";
  return "queue";
}

/**
 * Leases the annotator's next item: their unexpired lease in this project if they have one (a
 * reload shows the same item), else — at the project's gold and repeat rates — a gold item they
 * never had or a swapped repeat, else the first open item past their cursor that they have never
 * had. Gold and repeats are only mixed into remaining work: with the queue empty the answer is empty.
 * The response has the same shape for every kind, so the annotator cannot tell them apart.
 */
export const leaseNextItem = domainOp(function* leaseNextItem(c: Conn, params: LeaseParams): Op<LeaseResult> {
  const now = params.now ?? Date.now();
  const { projectId, userId } = params;
  const random = params.random ?? Math.random;
  yield* expireLeases.op(c, now);
  return yield* c.transaction(function* (tx): Op<LeaseResult> {
    const s = tx.prepared(assignmentStatements);
    // PostgreSQL: one lease at a time per annotator and project, across instances (two tabs must not
    // both find "no active lease" and take two items); SQLite's writer lock already serializes.
    if (tx.engine === "postgres") yield* tx.exec(sql`SELECT pg_advisory_xact_lock(${userId}::int, ${projectId}::int)`);
    const current = yield* s.activeLease.first({ userId, projectId, now });
    if (current) return { status: "item", item: yield* toAnnotatorItem(tx, current) };

    const project = yield* s.projectSettings.first({ projectId });
    if (!project) throw new AppError("NOT_FOUND", `project ${projectId} does not exist`);
    const pos = (yield* s.cursor.first({ userId, projectId }))?.pos ?? 0;
    const next = yield* s.nextOpen.first({ projectId, pos, userId });
    // PostgreSQL: every open item is held by other transactions for a moment (at the end of the
    // queue). One of them may still have a slot for this annotator once they commit: run again.
    if (!next && tx.engine === "postgres" && (yield* s.firstOpen.first({ projectId, pos, userId }))) {
      throw new RetryTransaction("every open item is held by another lease");
    }
    const deadline = now + project.leaseSeconds * 1000;
    if (!next) return yield* returnSkipped(tx, { userId, projectId, now, deadline });

    function* lease(itemId: number, shownOrder: number[], repeatOf: number | null): Op<LeaseResult> {
      const inserted = yield* s.insertAssignment.first({ projectId, itemId, userId, shownOrder, now, deadline, repeatOf });
      if (!inserted) throw new Error("assignment insert returned no row");
      return { status: "item", item: yield* toAnnotatorItem(tx, { id: inserted.id, itemId, shownOrder, deadline }) };
    }

    const kind = project.goldRate > 0 || project.repeatRate > 0 ? chooseLeaseKind(random(), project.goldRate, project.repeatRate) : "queue";
    if (kind === "gold") {
      const g = yield* s.nextGold.first({ projectId, userId });
      if (g) return yield* lease(g.id, randomOrder(g.k, random), null);
    } else if (kind === "repeat") {
      const r = yield* s.repeatCandidate.first({ projectId, userId, gap: REPEAT_GAP });
      if (r) return yield* lease(r.itemId, [...r.shownOrder].reverse(), r.assignmentId);
    }

    // The row is ours (SQLite's writer lock, or PostgreSQL's FOR UPDATE on nextOpen), so its slot is there.
    if ((yield* s.takeSlot.run({ itemId: next.id })) === 0) throw new Error(`item ${next.id} lost its open slot mid-lease`);
    const result = yield* lease(next.id, randomOrder(next.k, random), null);
    // The cursor moves past every item before this one, unless one of them was passed over only
    // because another instance held it (PostgreSQL): it may still have a slot for this annotator.
    const passedOver =
      tx.engine === "postgres" && ((yield* s.firstOpen.first({ projectId, pos, userId }))?.queuePos ?? Infinity) < next.queuePos;
    if (!passedOver) yield* s.upsertCursor.run({ userId, projectId, pos: next.queuePos });
    return result;
  });
});

/**
 * At the end of an annotator's queue, their skipped items come back once, oldest skip first, in
 * the order they saw them, on the same lease row (so "never the same item twice" still holds). A
 * skipped item whose slot went to someone else meanwhile is passed over (and not offered again).
 */
function* returnSkipped(c: Conn, params: { userId: number; projectId: number; now: number; deadline: number }): Op<LeaseResult> {
  const s = c.prepared(assignmentStatements);
  const { userId, projectId, now, deadline } = params;
  for (;;) {
    const skipped = yield* s.skippedLease.first({ userId, projectId });
    if (!skipped) return { status: "empty" };
    const hasSlot =
      (yield* s.isGold.first({ itemId: skipped.itemId })) !== undefined || (yield* s.takeSlot.run({ itemId: skipped.itemId })) > 0;
    if (!hasSlot) {
      yield* s.markReturned.run({ assignmentId: skipped.id, now });
      continue;
    }
    yield* s.reopenLease.run({ assignmentId: skipped.id, now, deadline });
    return {
      status: "item",
      item: yield* toAnnotatorItem(c, { id: skipped.id, itemId: skipped.itemId, shownOrder: skipped.shownOrder, deadline }),
    };
  }
}

/** "Can't judge this": closes the lease without a judgment and gives the slot to someone else. */
export const skipAssignment = domainOp(function* skipAssignment(
  c: Conn,
  params: { assignmentId: number; userId: number; now?: number },
): Op<void> {
  const now = params.now ?? Date.now();
  yield* c.transaction(function* (tx) {
    const a = yield* tx.first(
      tx.q
        .select({ itemId: assignments.itemId, projectId: assignments.projectId, state: assignments.state, repeatOf: assignments.repeatOf })
        .from(assignments)
        .where(and(eq(assignments.id, params.assignmentId), eq(assignments.userId, params.userId))),
    );
    if (!a) throw new AppError("NOT_FOUND", `assignment ${params.assignmentId} is not yours`);
    if (a.state !== "active") return; // already closed: skipping again changes nothing
    // Conditional on still being active, so two instances skipping at once give the slot back once.
    const closed = yield* tx.run(
      tx.q
        .update(assignments)
        .set({ state: "skipped", closedAt: now })
        .where(and(eq(assignments.id, params.assignmentId), eq(assignments.state, "active"))),
    );
    if (closed && a.repeatOf === null) yield* returnSlotOp(tx, a.itemId, a.projectId);
  });
});

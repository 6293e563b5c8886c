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
import { type Db, statementsFor, transaction } from "@/server/db";
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

const statements = statementsFor((db) => {
  const p = sql.placeholder;
  return {
    activeLease: db
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
      .limit(1)
      .prepare(),
    cursor: db
      .select({ pos: queueCursors.pos })
      .from(queueCursors)
      .where(and(eq(queueCursors.userId, p("userId")), eq(queueCursors.projectId, p("projectId"))))
      .prepare(),
    nextOpen: db
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
      .limit(1)
      .prepare(),
    takeSlot: db
      .update(items)
      .set({ openSlots: sql`${items.openSlots} - 1` })
      .where(and(eq(items.id, p("itemId")), sql`${items.openSlots} > 0`))
      .prepare(),
    // repeatOf: null for a queue or gold lease, the earlier assignment for a swapped repeat.
    insertAssignment: db
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
      .returning({ id: assignments.id })
      .prepare(),
    // Gold sets are small (tens to hundreds of items), and this runs only on the gold share of leases.
    // The unary + keeps SQLite from walking the project's items by index and probing gold for each (a
    // scan of every item); it walks the gold table in item order and checks each row's item instead.
    nextGold: db
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
      .limit(1)
      .prepare(),
    // The annotator's most recent judgment at least REPEAT_GAP judgments back whose item was never
    // repeated and is not gold: a backward walk on (annotator, project) that stops at the first hit.
    repeatCandidate: db
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
      .limit(1)
      .prepare(),
    // Skipped leases of this annotator that never came back, oldest skip first (partial index on the
    // user's leases keeps it a short walk; it only runs once the queue is empty for them).
    skippedLease: db
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
      .limit(1)
      .prepare(),
    reopenLease: db
      .update(assignments)
      .set({ state: "active", leasedAt: sql`${p("now")}`, deadline: sql`${p("deadline")}`, closedAt: null, returnedAt: sql`${p("now")}` })
      .where(eq(assignments.id, p("assignmentId")))
      .prepare(),
    markReturned: db
      .update(assignments)
      .set({ returnedAt: sql`${p("now")}` })
      .where(eq(assignments.id, p("assignmentId")))
      .prepare(),
    isGold: db
      .select({ itemId: gold.itemId })
      .from(gold)
      .where(eq(gold.itemId, p("itemId")))
      .prepare(),
    upsertCursor: db
      .insert(queueCursors)
      .values({ userId: p("userId"), projectId: p("projectId"), pos: p("pos") })
      .onConflictDoUpdate({ target: [queueCursors.userId, queueCursors.projectId], set: { pos: sql`excluded.pos` } })
      .prepare(),
    projectSettings: db
      .select({ leaseSeconds: projects.leaseSeconds, goldRate: projects.goldRate, repeatRate: projects.repeatRate })
      .from(projects)
      .where(eq(projects.id, p("projectId")))
      .prepare(),
    itemPrompt: db
      .select({ prompt: items.prompt })
      .from(items)
      .where(eq(items.id, p("itemId")))
      .prepare(),
    itemResponses: db
      .select({ idx: responses.idx, content: responses.content })
      .from(responses)
      .where(eq(responses.itemId, p("itemId")))
      .orderBy(asc(responses.idx))
      .prepare(),
    // Uses the partial index on active deadlines: costs nothing when no lease has run out.
    dueLeases: db
      .select({ id: assignments.id, itemId: assignments.itemId, projectId: assignments.projectId, repeatOf: assignments.repeatOf })
      .from(assignments)
      .where(and(eq(assignments.state, "active"), lt(assignments.deadline, p("now"))))
      .limit(EXPIRE_BATCH)
      .prepare(),
  };
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
export function returnSlot(db: Db, itemId: number, projectId: number): void {
  if (statements(db).isGold.get({ itemId })) return;
  const pos = allocateQueuePositions(db, projectId, 1);
  db.update(items)
    .set({ openSlots: sql`${items.openSlots} + 1`, queuePos: pos })
    .where(eq(items.id, itemId))
    .run();
}

/** Expires every lease whose deadline has passed and returns its slot. Returns how many expired. */
export function expireLeases(db: Db, now: number): number {
  const s = statements(db);
  let total = 0;
  for (;;) {
    const due = s.dueLeases.all({ now });
    if (due.length === 0) return total;
    transaction(db, () => {
      for (const lease of due) {
        const changed = db
          .update(assignments)
          .set({ state: "expired", closedAt: now })
          .where(and(eq(assignments.id, lease.id), eq(assignments.state, "active")))
          .run().changes;
        if (changed && lease.repeatOf === null) returnSlot(db, lease.itemId, lease.projectId);
      }
    });
    total += due.length;
    if (due.length < EXPIRE_BATCH) return total;
  }
}

function toAnnotatorItem(db: Db, lease: { id: number; itemId: number; shownOrder: number[]; deadline: number }): AnnotatorItem {
  const s = statements(db);
  const prompt = s.itemPrompt.get({ itemId: lease.itemId });
  if (!prompt) throw new AppError("NOT_FOUND", `item of assignment ${lease.id} is gone`);
  const byIdx = new Map(s.itemResponses.all({ itemId: lease.itemId }).map((r) => [r.idx, r.content]));
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
export function leaseNextItem(db: Db, params: LeaseParams): LeaseResult {
  const now = params.now ?? Date.now();
  const { projectId, userId } = params;
  const random = params.random ?? Math.random;
  const s = statements(db);
  expireLeases(db, now);
  return transaction(db, () => {
    const current = s.activeLease.get({ userId, projectId, now });
    if (current) return { status: "item", item: toAnnotatorItem(db, current) };

    const project = s.projectSettings.get({ projectId });
    if (!project) throw new AppError("NOT_FOUND", `project ${projectId} does not exist`);
    const pos = s.cursor.get({ userId, projectId })?.pos ?? 0;
    const next = s.nextOpen.get({ projectId, pos, userId });
    const deadline = now + project.leaseSeconds * 1000;
    if (!next) return returnSkipped(db, { userId, projectId, now, deadline });

    const lease = (itemId: number, shownOrder: number[], repeatOf: number | null): LeaseResult => {
      const inserted = s.insertAssignment.get({ projectId, itemId, userId, shownOrder, now, deadline, repeatOf });
      if (!inserted) throw new Error("assignment insert returned no row");
      return { status: "item", item: toAnnotatorItem(db, { id: inserted.id, itemId, shownOrder, deadline }) };
    };

    const kind = project.goldRate > 0 || project.repeatRate > 0 ? chooseLeaseKind(random(), project.goldRate, project.repeatRate) : "queue";
    if (kind === "gold") {
      const g = s.nextGold.get({ projectId, userId });
      if (g) return lease(g.id, randomOrder(g.k, random), null);
    } else if (kind === "repeat") {
      const r = s.repeatCandidate.get({ projectId, userId, gap: REPEAT_GAP });
      if (r) return lease(r.itemId, [...r.shownOrder].reverse(), r.assignmentId);
    }

    s.takeSlot.run({ itemId: next.id });
    const result = lease(next.id, randomOrder(next.k, random), null);
    s.upsertCursor.run({ userId, projectId, pos: next.queuePos });
    return result;
  });
}

/**
 * At the end of an annotator's queue, their skipped items come back once, oldest skip first, in
 * the order they saw them, on the same lease row (so "never the same item twice" still holds). A
 * skipped item whose slot went to someone else meanwhile is passed over (and not offered again).
 */
function returnSkipped(db: Db, params: { userId: number; projectId: number; now: number; deadline: number }): LeaseResult {
  const s = statements(db);
  const { userId, projectId, now, deadline } = params;
  for (;;) {
    const skipped = s.skippedLease.get({ userId, projectId });
    if (!skipped) return { status: "empty" };
    const hasSlot = s.isGold.get({ itemId: skipped.itemId }) !== undefined || s.takeSlot.run({ itemId: skipped.itemId }).changes > 0;
    if (!hasSlot) {
      s.markReturned.run({ assignmentId: skipped.id, now });
      continue;
    }
    s.reopenLease.run({ assignmentId: skipped.id, now, deadline });
    return {
      status: "item",
      item: toAnnotatorItem(db, { id: skipped.id, itemId: skipped.itemId, shownOrder: skipped.shownOrder, deadline }),
    };
  }
}

/** "Can't judge this": closes the lease without a judgment and gives the slot to someone else. */
export function skipAssignment(db: Db, params: { assignmentId: number; userId: number; now?: number }): void {
  const now = params.now ?? Date.now();
  transaction(db, () => {
    const a = db
      .select({ itemId: assignments.itemId, projectId: assignments.projectId, state: assignments.state, repeatOf: assignments.repeatOf })
      .from(assignments)
      .where(and(eq(assignments.id, params.assignmentId), eq(assignments.userId, params.userId)))
      .get();
    if (!a) throw new AppError("NOT_FOUND", `assignment ${params.assignmentId} is not yours`);
    if (a.state !== "active") return; // already closed: skipping again changes nothing
    db.update(assignments).set({ state: "skipped", closedAt: now }).where(eq(assignments.id, params.assignmentId)).run();
    if (a.repeatOf === null) returnSlot(db, a.itemId, a.projectId);
  });
}

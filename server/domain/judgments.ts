/**
 * Submitting judgments. The browser speaks in shown positions (A = left); storage speaks in
 * canonical response indices (a = responses[0]). The mapping happens here, once, using the shown
 * order recorded on the lease. Submission is idempotent on the client's submission id.
 */
import { and, eq, sql } from "drizzle-orm";
import { z } from "zod";
import { assignments, type CriteriaOutcomes, gold, items, judgments, type Outcome, projects } from "@/db/schema";
import { type Conn, domainOp, forUpdateOnPg, type Op, statements } from "@/server/database";
import { leaseNextItem } from "./assignment";
import { AppError, parseInput } from "./errors";
import { isGoldCorrect, toShownAnswer } from "./quality/gold-answer";
import { type PairOutcome, zPairOutcome, zStrength } from "./schemas";

export const zJudgmentSubmission = z.object({
  assignmentId: z.number().int().positive(),
  clientSubmissionId: z.string().min(1).max(100),
  /** Pairwise outcome in shown positions (a = left). Required when K = 2. */
  outcome: zPairOutcome.optional(),
  /** Shown positions, best first. Required when K > 2. */
  ranking: z.array(z.number().int().min(0)).optional(),
  strength: zStrength.optional(),
  criteria: z.record(z.string(), zPairOutcome).default({}),
  rationale: z.string().max(20_000).optional(),
  timeOnTaskMs: z.number().int().min(0).max(86_400_000).optional(),
});
export type JudgmentSubmission = z.input<typeof zJudgmentSubmission>;

/**
 * What the annotator learns after a submit. `null` for ordinary items and for a correct answer on a
 * gold item (so a hit looks like any other item); after a miss, the explanation and the accepted
 * answers in the positions the annotator saw (`a` = left), e.g. ["b", "b:3"].
 */
export type SubmitFeedback = { correct: false; explanation: string; accepted: string[] } | null;

export type SubmitResult = { judgmentId: number; duplicate: boolean; feedback: SubmitFeedback };

/** Maps a pairwise outcome in shown positions to canonical order. shownOrder[p] = response index at position p. */
export function toCanonicalOutcome(outcome: PairOutcome, shownOrder: readonly number[]): PairOutcome {
  if (outcome === "tie" || outcome === "both_bad") return outcome;
  const idx = shownOrder[outcome === "a" ? 0 : 1];
  return idx === 0 ? "a" : "b";
}

/** Maps a ranking of shown positions (best first) to a ranking of response indices. */
export function toCanonicalRanking(ranking: readonly number[], shownOrder: readonly number[]): number[] {
  const k = shownOrder.length;
  if (ranking.length !== k || new Set(ranking).size !== k || ranking.some((p) => p < 0 || p >= k)) {
    throw new AppError("BAD_INPUT", `ranking: must order all ${k} responses exactly once`, [
      { field: "ranking", message: `must be a permutation of 0..${k - 1}` },
    ]);
  }
  return ranking.map((p) => shownOrder[p] as number);
}

type Settings = { criteria: string[]; rationalePolicy: string; strengthScale: boolean };

/** Checks a submission against the project's settings; returns the canonical row fields. */
export function validateSubmission(
  sub: z.infer<typeof zJudgmentSubmission>,
  k: number,
  shownOrder: readonly number[],
  settings: Settings,
): { outcome: Outcome; ranking: number[] | null; strength: number | null; criteria: CriteriaOutcomes; rationale: string | null } {
  const bad = (field: string, message: string) => new AppError("BAD_INPUT", `${field}: ${message}`, [{ field, message }]);
  let outcome: Outcome;
  let ranking: number[] | null = null;
  if (k === 2) {
    if (!sub.outcome) throw bad("outcome", "choose A, B, tie or both bad");
    outcome = toCanonicalOutcome(sub.outcome, shownOrder);
  } else {
    if (!sub.ranking) throw bad("ranking", `rank all ${k} responses`);
    outcome = "ranking";
    ranking = toCanonicalRanking(sub.ranking, shownOrder);
  }
  // Strength qualifies a pairwise win; for a ranking it is optional (overall confidence).
  let strength: number | null = null;
  if (settings.strengthScale && (outcome === "a" || outcome === "b")) {
    if (sub.strength === undefined) throw bad("strength", "say how much better (slight … decisive)");
    strength = sub.strength;
  } else if (settings.strengthScale && outcome === "ranking") {
    strength = sub.strength ?? null;
  }
  const criteria: CriteriaOutcomes = {};
  for (const [name, value] of Object.entries(sub.criteria)) {
    if (!settings.criteria.includes(name)) throw bad(`criteria.${name}`, "not a criterion of this project");
    criteria[name] = toCanonicalOutcome(value, shownOrder);
  }
  const text = sub.rationale?.trim() ?? "";
  if (settings.rationalePolicy === "required" && text.length === 0) throw bad("rationale", "this project asks for a rationale");
  const rationale = settings.rationalePolicy === "off" || text.length === 0 ? null : text;
  return { outcome, ranking, strength, criteria, rationale };
}

/**
 * Stores one judgment for the annotator's lease, exactly once: resending the same client
 * submission id returns the stored judgment. A lease that expired is still accepted when its slot
 * has not been handed to someone else; otherwise the answer is LEASE_EXPIRED.
 */
const p = sql.placeholder;

export const judgmentStatements = statements("judgments", {
  // PostgreSQL: a resend racing the original on another instance waits here for it to commit, then
  // finds its judgment by submission id instead of finding the lease already closed.
  lockLease: (db, engine) =>
    forUpdateOnPg(
      engine,
      db
        .select({ id: assignments.id })
        .from(assignments)
        .where(and(eq(assignments.id, p("assignmentId")), eq(assignments.userId, p("userId")))),
    ),
  bySubmission: (db) =>
    db
      .select({ id: judgments.id, annotatorId: judgments.annotatorId })
      .from(judgments)
      .where(eq(judgments.clientSubmissionId, p("clientSubmissionId"))),
  lease: (db) =>
    db
      .select({
        id: assignments.id,
        itemId: assignments.itemId,
        projectId: assignments.projectId,
        shownOrder: assignments.shownOrder,
        state: assignments.state,
        leasedAt: assignments.leasedAt,
        repeatOf: assignments.repeatOf,
        k: items.k,
        criteria: projects.criteria,
        rationalePolicy: projects.rationalePolicy,
        strengthScale: projects.strengthScale,
      })
      .from(assignments)
      .innerJoin(items, eq(items.id, assignments.itemId))
      .innerJoin(projects, eq(projects.id, assignments.projectId))
      .where(and(eq(assignments.id, p("assignmentId")), eq(assignments.userId, p("userId")))),
  retakeSlot: (db) =>
    db
      .update(items)
      .set({ openSlots: sql`${items.openSlots} - 1` })
      .where(and(eq(items.id, p("itemId")), sql`${items.openSlots} > 0`)),
  insert: (db) =>
    db
      .insert(judgments)
      .values({
        projectId: p("projectId"),
        itemId: p("itemId"),
        assignmentId: p("assignmentId"),
        annotatorId: p("annotatorId"),
        shownOrder: p("shownOrder"),
        outcome: p("outcome"),
        ranking: p("ranking"),
        strength: p("strength"),
        criteria: p("criteria"),
        rationale: p("rationale"),
        timeOnTaskMs: p("timeOnTaskMs"),
        clientSubmissionId: p("clientSubmissionId"),
        source: "ui",
      })
      .returning({ id: judgments.id }),
  closeLease: (db) =>
    db
      .update(assignments)
      .set({ state: "submitted", closedAt: sql`${p("now")}` })
      .where(eq(assignments.id, p("assignmentId"))),
  countItem: (db) =>
    db
      .update(items)
      .set({ doneCount: sql`${items.doneCount} + 1` })
      .where(eq(items.id, p("itemId"))),
  // A gold item is judged by everyone; only its first `overlap` judgments count toward progress.
  countGoldItem: (db) =>
    db
      .update(items)
      .set({ doneCount: sql`${items.doneCount} + 1` })
      .where(
        and(
          eq(items.id, p("itemId")),
          sql`${items.doneCount} < (SELECT ${projects.overlap} FROM ${projects} WHERE ${projects.id} = ${items.projectId})`,
        ),
      ),
  gold: (db) =>
    db
      .select({ accepted: gold.accepted, explanation: gold.explanation })
      .from(gold)
      .where(eq(gold.itemId, p("itemId"))),
  judgmentRow: (db) =>
    db
      .select({
        itemId: judgments.itemId,
        shownOrder: judgments.shownOrder,
        outcome: judgments.outcome,
        strength: judgments.strength,
        ranking: judgments.ranking,
      })
      .from(judgments)
      .where(eq(judgments.id, p("id"))),
  countProject: (db) =>
    db
      .update(projects)
      .set({ doneSlots: sql`${projects.doneSlots} + 1` })
      .where(eq(projects.id, p("projectId"))),
  // Swapped repeats are consistency checks and revisions replace a judgment: neither counts as
  // progress. Judgments (covering index) minus submitted repeats and minus revisions (partial
  // indexes of few rows): no per-judgment join.
  countMine: (db) =>
    db
      .select({
        n: sql<number>`count(*) - (SELECT count(*) FROM ${assignments} r WHERE r.user_id = ${p("userId")} AND r.project_id = ${p("projectId")} AND r.repeat_of IS NOT NULL AND r.state = 'submitted') - (SELECT count(*) FROM ${judgments} v WHERE v.annotator_id = ${p("userId")} AND v.project_id = ${p("projectId")} AND v.supersedes_id IS NOT NULL)`,
      })
      .from(judgments)
      .where(and(eq(judgments.annotatorId, p("userId")), eq(judgments.projectId, p("projectId")))),
});

type GoldRow = { accepted: string[]; explanation: string };

function feedbackFor(
  g: GoldRow | undefined,
  j: { outcome: Outcome; strength: number | null; ranking: number[] | null },
  shownOrder: readonly number[] | null,
): SubmitFeedback {
  if (!g || isGoldCorrect(j, g.accepted)) return null;
  const order = shownOrder ?? [];
  return { correct: false, explanation: g.explanation, accepted: g.accepted.map((a) => toShownAnswer(a, order)) };
}

/**
 * Stores one judgment for the annotator's lease, exactly once: resending the same client
 * submission id returns the stored judgment (and the same feedback). A lease that expired is still
 * accepted when its slot has not been handed to someone else (gold and repeat leases hold no slot,
 * so they are always accepted); otherwise the answer is LEASE_EXPIRED. Swapped repeats do not count
 * toward the item's overlap or the project's progress; a gold item counts up to its overlap.
 */
export const submitJudgment = domainOp(function* submitJudgment(
  c: Conn,
  params: { userId: number; submission: JudgmentSubmission; now?: number },
): Op<SubmitResult> {
  return yield* c.transaction(function* (tx): Op<SubmitResult> {
    const { result, countsForProject } = yield* storeJudgment(tx, params);
    if (countsForProject !== null) yield* tx.prepared(judgmentStatements).countProject.run({ projectId: countsForProject });
    return result;
  });
});

/**
 * The body of submitJudgment, inside the caller's transaction, except for the project's progress
 * counter: `countsForProject` names the project whose done_slots the caller adds one to, as the
 * last write of its transaction. Every transaction takes the project row last (after item rows),
 * so two instances never wait on each other in opposite orders (a deadlock on PostgreSQL).
 */
function* storeJudgment(
  tx: Conn,
  params: { userId: number; submission: JudgmentSubmission; now?: number },
): Op<{ result: SubmitResult; countsForProject: number | null }> {
  const now = params.now ?? Date.now();
  const sub = parseInput(zJudgmentSubmission, params.submission, "judgment");
  const s = tx.prepared(judgmentStatements);
  if (tx.engine === "postgres") yield* s.lockLease.first({ assignmentId: sub.assignmentId, userId: params.userId });
  // On PostgreSQL a concurrent resend of the same submission id fails the insert below on the
  // unique index; the transaction is run again and finds the stored judgment here.
  const existing = yield* s.bySubmission.first({ clientSubmissionId: sub.clientSubmissionId });
  if (existing) {
    if (existing.annotatorId !== params.userId) throw new AppError("CONFLICT", "submission id already used");
    const stored = yield* s.judgmentRow.first({ id: existing.id });
    const feedback = stored ? feedbackFor(yield* s.gold.first({ itemId: stored.itemId }), stored, stored.shownOrder) : null;
    return { result: { judgmentId: existing.id, duplicate: true, feedback }, countsForProject: null };
  }
  const lease = yield* s.lease.first({ assignmentId: sub.assignmentId, userId: params.userId });
  if (!lease) throw new AppError("NOT_FOUND", `assignment ${sub.assignmentId} is not yours`);
  if (lease.state === "submitted") throw new AppError("CONFLICT", "this item is already judged");
  if (lease.state === "skipped") throw new AppError("CONFLICT", "this item was skipped");
  const row = validateSubmission(sub, lease.k, lease.shownOrder, lease);
  const goldRow = yield* s.gold.first({ itemId: lease.itemId });
  const holdsNoSlot = goldRow !== undefined || lease.repeatOf !== null;
  if (lease.state === "expired" && !holdsNoSlot && (yield* s.retakeSlot.run({ itemId: lease.itemId })) === 0) {
    throw new AppError("LEASE_EXPIRED", "your time on this item ran out and it went to someone else");
  }
  const inserted = yield* s.insert.first({
    projectId: lease.projectId,
    itemId: lease.itemId,
    assignmentId: lease.id,
    annotatorId: params.userId,
    shownOrder: lease.shownOrder,
    ...row,
    timeOnTaskMs: sub.timeOnTaskMs ?? now - lease.leasedAt,
    clientSubmissionId: sub.clientSubmissionId,
  });
  if (!inserted) throw new Error("judgment insert returned no row");
  yield* s.closeLease.run({ now, assignmentId: lease.id });
  const counted =
    lease.repeatOf === null &&
    (goldRow ? yield* s.countGoldItem.run({ itemId: lease.itemId }) : yield* s.countItem.run({ itemId: lease.itemId })) > 0;
  return {
    result: { judgmentId: inserted.id, duplicate: false, feedback: feedbackFor(goldRow, row, lease.shownOrder) },
    countsForProject: counted ? lease.projectId : null,
  };
}

/** How many items this annotator has judged in the project (swapped repeats not counted). */
export const countMyJudgments = domainOp(function* countMyJudgments(c: Conn, userId: number, projectId: number): Op<number> {
  return (yield* c.prepared(judgmentStatements).countMine.first({ userId, projectId }))?.n ?? 0;
});

/**
 * The annotate hot path: store a judgment and lease the next item in one transaction (one WAL
 * commit instead of two). A failed submission rolls back and leases nothing.
 */
export const submitAndLeaseNext = domainOp(function* submitAndLeaseNext(
  c: Conn,
  params: { userId: number; projectId: number; submission: JudgmentSubmission; now?: number; random?: () => number },
) {
  const now = params.now ?? Date.now();
  return yield* c.transaction(function* (tx) {
    const { result, countsForProject } = yield* storeJudgment(tx, { userId: params.userId, submission: params.submission, now });
    const lease = yield* leaseNextItem.op(tx, { projectId: params.projectId, userId: params.userId, now, random: params.random });
    if (countsForProject !== null) yield* tx.prepared(judgmentStatements).countProject.run({ projectId: countsForProject });
    return { result, lease };
  });
});

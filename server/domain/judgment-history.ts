/**
 * An annotator's own judgments after the fact: the recent ones (for /me and the Undo button) and
 * revisions. A revision never edits a row: it is a new judgment whose `supersedesId` points at the
 * one it replaces, so the log stays append-only while statistics and exports read the latest
 * (`currentJudgments`, and the NOT EXISTS on supersedes_id in the quality queries). Only judgments
 * given in the annotate screen can be revised, by their own annotator, while the project's revision
 * window (minutes after the first submit) is open.
 */
import { and, desc, eq, sql } from "drizzle-orm";
import { z } from "zod";
import { assignments, type Content, items, judgments, type Outcome, projects, responses } from "@/db/schema";
import { type Conn, domainOp, forUpdateOnPg, type Op } from "@/server/database";
import type { AnnotatorItem } from "./assignment";
import { AppError, parseInput } from "./errors";
import { validateSubmission } from "./judgments";
import { toShownAnswer } from "./quality/gold-answer";
import { type PairOutcome, zPairOutcome, zStrength } from "./schemas";

export const zJudgmentRevision = z.object({
  judgmentId: z.number().int().positive(),
  clientSubmissionId: z.string().min(1).max(100),
  outcome: zPairOutcome.optional(),
  ranking: z.array(z.number().int().min(0)).optional(),
  strength: zStrength.optional(),
  criteria: z.record(z.string(), zPairOutcome).default({}),
  rationale: z.string().max(20_000).optional(),
  timeOnTaskMs: z.number().int().min(0).max(86_400_000).optional(),
});
export type JudgmentRevision = z.input<typeof zJudgmentRevision>;

/** A judgment as its annotator gave it: every position is a shown one (`a` = left), as on screen. */
export type ShownAnswer = {
  outcome?: PairOutcome;
  ranking?: number[];
  strength: number | null;
  criteria: Record<string, PairOutcome>;
  rationale: string;
};

export type MyJudgment = {
  judgmentId: number;
  projectId: number;
  item: AnnotatorItem;
  answer: ShownAnswer;
  /** Unix ms until which it can be revised; null when it cannot (window closed or off, imported). */
  revisableUntil: number | null;
};

export type MyRecentJudgment = {
  judgmentId: number;
  projectId: number;
  project: string;
  /** The prompt's first characters (last user message for chats), for recognising the item. */
  excerpt: string;
  answer: ShownAnswer;
  /** Seconds since the epoch, as stored. */
  createdAt: number;
  revised: boolean;
  revisableUntil: number | null;
};

type Row = {
  id: number;
  projectId: number;
  itemId: number;
  assignmentId: number | null;
  shownOrder: number[] | null;
  outcome: Outcome;
  ranking: number[] | null;
  strength: number | null;
  criteria: Record<string, PairOutcome>;
  rationale: string | null;
  supersedesId: number | null;
  closedAt: number | null;
  revisionMinutes: number;
  createdAt: number;
};

/** A judgment with what deciding on its revision needs (its lease's close time, the project's window). */
const JUDGMENT_FIELDS = {
  id: judgments.id,
  projectId: judgments.projectId,
  itemId: judgments.itemId,
  assignmentId: judgments.assignmentId,
  shownOrder: judgments.shownOrder,
  outcome: judgments.outcome,
  ranking: judgments.ranking,
  strength: judgments.strength,
  criteria: judgments.criteria,
  rationale: judgments.rationale,
  supersedesId: judgments.supersedesId,
  closedAt: assignments.closedAt,
  revisionMinutes: projects.revisionMinutes,
  createdAt: judgments.createdAt,
};

function selectRows(c: Conn) {
  return c.q
    .select(JUDGMENT_FIELDS)
    .from(judgments)
    .innerJoin(projects, eq(projects.id, judgments.projectId))
    .leftJoin(assignments, eq(assignments.id, judgments.assignmentId));
}

const notSuperseded = sql`NOT EXISTS (SELECT 1 FROM ${judgments} s WHERE s.supersedes_id = ${judgments.id})`;

function revisableUntil(row: Row, now: number): number | null {
  if (row.assignmentId === null || row.shownOrder === null || row.closedAt === null || row.revisionMinutes <= 0) return null;
  const until = row.closedAt + row.revisionMinutes * 60_000;
  return until > now ? until : null;
}

function toShown(row: Row): ShownAnswer {
  const order = row.shownOrder ?? [];
  const criteria: Record<string, PairOutcome> = {};
  for (const [name, value] of Object.entries(row.criteria)) criteria[name] = toShownAnswer(value, order) as PairOutcome;
  const answer: ShownAnswer = { strength: row.strength, criteria, rationale: row.rationale ?? "" };
  if (row.outcome === "ranking") answer.ranking = (row.ranking ?? []).map((idx) => order.indexOf(idx));
  else answer.outcome = toShownAnswer(row.outcome, order) as PairOutcome;
  return answer;
}

function* loadOwn(c: Conn, userId: number, judgmentId: number): Op<Row> {
  const row = yield* c.first(selectRows(c).where(and(eq(judgments.id, judgmentId), eq(judgments.annotatorId, userId))));
  if (!row) throw new AppError("NOT_FOUND", `judgment ${judgmentId} is not yours`);
  return row;
}

/** One of the caller's judgments with its item in the order they saw it, to change it. */
export const getMyJudgment = domainOp(function* getMyJudgment(
  c: Conn,
  params: { userId: number; judgmentId: number; now?: number },
): Op<MyJudgment> {
  const now = params.now ?? Date.now();
  const row = yield* loadOwn(c, params.userId, params.judgmentId);
  const order = row.shownOrder ?? [];
  const prompt = yield* c.first(c.q.select({ prompt: items.prompt }).from(items).where(eq(items.id, row.itemId)));
  if (!prompt) throw new AppError("NOT_FOUND", `the item of judgment ${row.id} is gone`);
  const byIdx = new Map(
    (yield* c.all(
      c.q.select({ idx: responses.idx, content: responses.content }).from(responses).where(eq(responses.itemId, row.itemId)),
    )).map((r) => [r.idx, r.content]),
  );
  const superseded = yield* c.first(c.q.select({ id: judgments.id }).from(judgments).where(eq(judgments.supersedesId, row.id)));
  return {
    judgmentId: row.id,
    projectId: row.projectId,
    item: {
      assignmentId: row.assignmentId ?? 0,
      deadline: 0,
      prompt: prompt.prompt,
      responses: order.map((idx, position) => ({ position, content: byIdx.get(idx) ?? "" })),
    },
    answer: toShown(row),
    revisableUntil: superseded ? null : revisableUntil(row, now),
  };
});

function excerptOf(prompt: Content): string {
  const text = typeof prompt === "string" ? prompt : ([...prompt].reverse().find((m) => m.role === "user")?.content ?? "");
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > 140 ? `${flat.slice(0, 139)}…` : flat;
}

/** The caller's latest current judgments, newest first (a revision stands in for what it replaced). */
export const listMyRecentJudgments = domainOp(function* listMyRecentJudgments(
  c: Conn,
  params: { userId: number; projectId?: number; limit?: number; now?: number },
): Op<MyRecentJudgment[]> {
  const now = params.now ?? Date.now();
  const limit = Math.min(Math.max(params.limit ?? 20, 1), 200);
  const rows = yield* c.all(
    c.q
      .select({
        ...JUDGMENT_FIELDS,
        project: projects.name,
        prompt: items.prompt,
      })
      .from(judgments)
      .innerJoin(projects, eq(projects.id, judgments.projectId))
      .innerJoin(items, eq(items.id, judgments.itemId))
      .leftJoin(assignments, eq(assignments.id, judgments.assignmentId))
      .where(
        and(
          eq(judgments.annotatorId, params.userId),
          params.projectId === undefined ? undefined : eq(judgments.projectId, params.projectId),
          notSuperseded,
        ),
      )
      .orderBy(desc(judgments.id))
      .limit(limit),
  );
  return rows.map((r) => ({
    judgmentId: r.id,
    projectId: r.projectId,
    project: r.project,
    excerpt: excerptOf(r.prompt),
    answer: toShown(r),
    createdAt: r.createdAt,
    revised: r.supersedesId !== null,
    revisableUntil: revisableUntil(r, now),
  }));
});

/**
 * Revises one of the caller's judgments: checks the answer against the project's settings as a
 * first submit would, and appends it as a new judgment superseding the old one. Progress counters
 * do not move (the item was already counted). Idempotent on the client submission id. Only the
 * latest judgment of a chain can be revised, so two tabs cannot fork it.
 */
export const reviseJudgment = domainOp(function* reviseJudgment(
  c: Conn,
  params: { userId: number; revision: JudgmentRevision; projectId?: number; now?: number },
): Op<{ judgmentId: number }> {
  const now = params.now ?? Date.now();
  const rev = parseInput(zJudgmentRevision, params.revision, "revision");
  return yield* c.transaction(function* (tx): Op<{ judgmentId: number }> {
    if (tx.engine === "postgres") {
      // Two tabs revising one judgment at once (or a resend racing its original) take turns here,
      // so the second sees the first's revision: a chain cannot fork. SQLite has one writer already.
      yield* tx.first(forUpdateOnPg(tx.engine, tx.q.select({ id: judgments.id }).from(judgments).where(eq(judgments.id, rev.judgmentId))));
    }
    const existing = yield* tx.first(
      tx.q
        .select({ id: judgments.id, annotatorId: judgments.annotatorId })
        .from(judgments)
        .where(eq(judgments.clientSubmissionId, rev.clientSubmissionId)),
    );
    if (existing) {
      if (existing.annotatorId !== params.userId) throw new AppError("CONFLICT", "submission id already used");
      return { judgmentId: existing.id };
    }
    const row = yield* loadOwn(tx, params.userId, rev.judgmentId);
    if (params.projectId !== undefined && row.projectId !== params.projectId) {
      throw new AppError("NOT_FOUND", `judgment ${row.id} is not in project ${params.projectId}`);
    }
    const later = yield* tx.first(tx.q.select({ id: judgments.id }).from(judgments).where(eq(judgments.supersedesId, row.id)));
    if (later) throw new AppError("CONFLICT", `judgment ${row.id} was already revised (by judgment ${later.id}); revise that one`);
    if (row.assignmentId === null || row.shownOrder === null) {
      throw new AppError("FORBIDDEN", "only judgments given in the annotate screen can be revised");
    }
    if (revisableUntil(row, now) === null) {
      throw new AppError(
        "FORBIDDEN",
        row.revisionMinutes <= 0 ? "this project does not allow revisions" : "the time to revise this judgment has passed",
      );
    }
    const project = yield* tx.first(
      tx.q
        .select({ criteria: projects.criteria, rationalePolicy: projects.rationalePolicy, strengthScale: projects.strengthScale })
        .from(projects)
        .where(eq(projects.id, row.projectId)),
    );
    if (!project) throw new AppError("NOT_FOUND", `project ${row.projectId} does not exist`);
    const fields = validateSubmission({ ...rev, assignmentId: row.assignmentId }, row.shownOrder.length, row.shownOrder, project);
    const inserted = yield* tx.first(
      tx.q
        .insert(judgments)
        .values({
          projectId: row.projectId,
          itemId: row.itemId,
          assignmentId: row.assignmentId,
          annotatorId: params.userId,
          shownOrder: row.shownOrder,
          ...fields,
          timeOnTaskMs: rev.timeOnTaskMs ?? null,
          clientSubmissionId: rev.clientSubmissionId,
          supersedesId: row.id,
          source: "ui",
        })
        .returning({ id: judgments.id }),
    );
    if (!inserted) throw new Error("the revision's row did not come back");
    return { judgmentId: inserted.id };
  });
});

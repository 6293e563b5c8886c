import { and, asc, eq, sql } from "drizzle-orm";
import type { Content, CriteriaOutcomes, Outcome } from "@/db/schema";
import { annotatorExclusions, assignments, gold, items, judgments, responses, users } from "@/db/schema";
import { type Conn, domainOp, type Op } from "@/server/database";

/** One current (not superseded) judgment with what the quality statistics need to know about it. */
export interface QualityJudgment {
  id: number;
  itemId: number;
  annotatorId: number;
  annotator: string;
  external: boolean;
  shownOrder: number[] | null;
  outcome: Outcome;
  ranking: number[] | null;
  strength: number | null;
  criteria: CriteriaOutcomes;
  timeOnTaskMs: number | null;
  createdAt: number;
  /** The assignment this judgment answers is a deliberate swapped repeat of `repeatOf`. */
  repeatOf: number | null;
  assignmentId: number | null;
}

export interface QualityResponse {
  model: string;
  /** Characters of text (chat responses: summed message contents). */
  length: number;
}

export interface QualityData {
  judgments: QualityJudgment[];
  /** item id → responses in canonical order (index = response idx). */
  responses: Map<number, QualityResponse[]>;
  /** item id → accepted outcome set, for gold items. */
  gold: Map<number, string[]>;
  /** Annotators left out of the statistics by an admin. */
  excluded: { userId: number; name: string; reason: string }[];
}

function contentLength(content: Content): number {
  if (typeof content === "string") return content.length;
  let n = 0;
  for (const m of content) n += m.content.length;
  return n;
}

/**
 * Loads a project's current judgments (superseded ones and those of excluded annotators dropped), its
 * responses' models and lengths, and its gold answers. Reads run in one snapshot so the figures agree:
 * on SQLite a deferred transaction (a read: writers in other processes are not held up), on
 * PostgreSQL a REPEATABLE READ, READ ONLY one. Inside another operation's transaction that has already
 * run statements, compose {@link readQualityData} instead (PostgreSQL fixes the isolation level at the
 * first statement).
 */
export const loadQualityData = domainOp(function* loadQualityData(c: Conn, projectId: number): Op<QualityData> {
  if (c.engine === "postgres") {
    return yield* c.transaction(function* (tx) {
      yield* tx.exec(sql`SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY`);
      return yield* readQualityData(tx, projectId);
    });
  }
  // SAVEPOINT outside a transaction begins a deferred one (inside one, it nests): a read snapshot
  // without the writer lock that the Conn's BEGIN IMMEDIATE would take for the whole load.
  yield* c.exec(sql`SAVEPOINT quality_read`);
  try {
    return yield* readQualityData(c, projectId);
  } finally {
    yield* c.exec(sql`RELEASE quality_read`);
  }
});

/** The reads of {@link loadQualityData}, on the connection or transaction given (no snapshot of its own). */
export function* readQualityData(c: Conn, projectId: number): Op<QualityData> {
  const q = c.q;
  // By name in code point order on both engines (SQLite compares bytes; PostgreSQL is told "C"
  // rather than the database's collation), then by id: names need not be unique.
  const byName = c.engine === "postgres" ? sql`${users.name} collate "C"` : sql`${users.name}`;
  const excluded = yield* c.all(
    q
      .select({ userId: annotatorExclusions.userId, name: users.name, reason: annotatorExclusions.reason })
      .from(annotatorExclusions)
      .innerJoin(users, eq(users.id, annotatorExclusions.userId))
      .where(eq(annotatorExclusions.projectId, projectId))
      .orderBy(byName, asc(annotatorExclusions.userId)),
  );
  const excludedIds = new Set(excluded.map((e) => e.userId));

  const rows = (yield* c.all(
    q
      .select({
        id: judgments.id,
        itemId: judgments.itemId,
        annotatorId: judgments.annotatorId,
        annotator: users.name,
        external: users.external,
        shownOrder: judgments.shownOrder,
        outcome: judgments.outcome,
        ranking: judgments.ranking,
        strength: judgments.strength,
        criteria: judgments.criteria,
        timeOnTaskMs: judgments.timeOnTaskMs,
        createdAt: judgments.createdAt,
        repeatOf: assignments.repeatOf,
        assignmentId: judgments.assignmentId,
      })
      .from(judgments)
      .innerJoin(users, eq(users.id, judgments.annotatorId))
      .leftJoin(assignments, eq(assignments.id, judgments.assignmentId))
      .where(
        and(eq(judgments.projectId, projectId), sql`NOT EXISTS (SELECT 1 FROM ${judgments} s WHERE s.supersedes_id = ${judgments.id})`),
      )
      .orderBy(asc(judgments.createdAt), asc(judgments.id)),
  )).filter((r) => !excludedIds.has(r.annotatorId));

  const responseRows = yield* c.all(
    q
      .select({ itemId: responses.itemId, idx: responses.idx, model: responses.model, content: responses.content })
      .from(responses)
      .innerJoin(items, eq(items.id, responses.itemId))
      .where(eq(items.projectId, projectId)),
  );
  const byItem = new Map<number, QualityResponse[]>();
  for (const r of responseRows) {
    let list = byItem.get(r.itemId);
    if (!list) {
      list = [];
      byItem.set(r.itemId, list);
    }
    list[r.idx] = { model: r.model, length: contentLength(r.content) };
  }

  const goldRows = yield* c.all(
    q
      .select({ itemId: gold.itemId, accepted: gold.accepted })
      .from(gold)
      .innerJoin(items, eq(items.id, gold.itemId))
      .where(eq(items.projectId, projectId)),
  );

  return {
    judgments: rows,
    responses: byItem,
    gold: new Map(goldRows.map((g) => [g.itemId, g.accepted])),
    excluded,
  };
}

import { and, asc, eq, sql } from "drizzle-orm";
import type { Content, CriteriaOutcomes, Outcome } from "@/db/schema";
import { annotatorExclusions, assignments, gold, items, judgments, responses, users } from "@/db/schema";
import type { Db } from "@/server/db";

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
 * responses' models and lengths, and its gold answers. Reads run in one snapshot so the figures agree.
 */
export function loadQualityData(db: Db, projectId: number): QualityData {
  return db.$client.transaction(() => {
    const excluded = db
      .select({ userId: annotatorExclusions.userId, name: users.name, reason: annotatorExclusions.reason })
      .from(annotatorExclusions)
      .innerJoin(users, eq(users.id, annotatorExclusions.userId))
      .where(eq(annotatorExclusions.projectId, projectId))
      .orderBy(asc(users.name))
      .all();
    const excludedIds = new Set(excluded.map((e) => e.userId));

    const rows = db
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
      .orderBy(asc(judgments.createdAt), asc(judgments.id))
      .all()
      .filter((r) => !excludedIds.has(r.annotatorId));

    const responseRows = db
      .select({ itemId: responses.itemId, idx: responses.idx, model: responses.model, content: responses.content })
      .from(responses)
      .innerJoin(items, eq(items.id, responses.itemId))
      .where(eq(items.projectId, projectId))
      .all();
    const byItem = new Map<number, QualityResponse[]>();
    for (const r of responseRows) {
      let list = byItem.get(r.itemId);
      if (!list) {
        list = [];
        byItem.set(r.itemId, list);
      }
      list[r.idx] = { model: r.model, length: contentLength(r.content) };
    }

    const goldRows = db
      .select({ itemId: gold.itemId, accepted: gold.accepted })
      .from(gold)
      .innerJoin(items, eq(items.id, gold.itemId))
      .where(eq(items.projectId, projectId))
      .all();

    return {
      judgments: rows,
      responses: byItem,
      gold: new Map(goldRows.map((g) => [g.itemId, g.accepted])),
      excluded,
    };
  })();
}

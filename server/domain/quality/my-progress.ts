/**
 * An annotator's own progress: per project, the items they judged and how they did on check (gold)
 * items so far. Only the caller's own judgments are read, so nobody sees anyone else's figures.
 * Check figures move in batches of CHECK_BATCH judgments (they cover the first `checksThrough`
 * items), never at the moment of one judgment: a counter that ticked right after a submit would
 * tell which item was a check item.
 */
import { and, asc, eq, isNull, sql } from "drizzle-orm";
import { assignments, gold, judgments, projects } from "@/db/schema";
import { type Conn, domainOp, type Op } from "@/server/database";
import { isGoldCorrect } from "./gold-answer";
import { computeWilsonInterval } from "./project-stats";

export const CHECK_BATCH = 10;

export type MyProjectProgress = {
  projectId: number;
  project: string;
  /** Items judged (swapped repeats are not new items and are not counted). */
  judged: number;
  /** Check items among the first `checksThrough` judged, and those answered within their accepted set. */
  checks: number;
  /** How many of the judged items the check figures cover: `judged` rounded down to a multiple of CHECK_BATCH. */
  checksThrough: number;
  checksCorrect: number;
  /** checksCorrect / checks, null before the first check item. */
  accuracy: number | null;
  /** Wilson 95 % interval of the accuracy. */
  accuracyCi: [number, number] | null;
  /** Check items missed, most recent first, with the explanation the annotator was shown. */
  misses: { judgmentId: number; explanation: string; at: number }[];
};

export const getMyProgress = domainOp(function* getMyProgress(c: Conn, userId: number): Op<MyProjectProgress[]> {
  const rows = yield* c.all(
    c.q
      .select({
        id: judgments.id,
        projectId: judgments.projectId,
        project: projects.name,
        outcome: judgments.outcome,
        strength: judgments.strength,
        ranking: judgments.ranking,
        createdAt: judgments.createdAt,
        accepted: gold.accepted,
        explanation: gold.explanation,
      })
      .from(judgments)
      .innerJoin(projects, eq(projects.id, judgments.projectId))
      .leftJoin(assignments, eq(assignments.id, judgments.assignmentId))
      .leftJoin(gold, eq(gold.itemId, judgments.itemId))
      .where(
        and(
          eq(judgments.annotatorId, userId),
          isNull(assignments.repeatOf),
          sql`NOT EXISTS (SELECT 1 FROM ${judgments} s WHERE s.supersedes_id = ${judgments.id})`,
        ),
      )
      .orderBy(asc(judgments.projectId), asc(judgments.id)),
  );
  const byProject = new Map<number, MyProjectProgress>();
  const judgedIn = new Map<number, number>();
  for (const r of rows) judgedIn.set(r.projectId, (judgedIn.get(r.projectId) ?? 0) + 1);
  for (const r of rows) {
    let p = byProject.get(r.projectId);
    if (!p) {
      p = {
        projectId: r.projectId,
        project: r.project,
        judged: 0,
        checks: 0,
        checksThrough: Math.floor((judgedIn.get(r.projectId) ?? 0) / CHECK_BATCH) * CHECK_BATCH,
        checksCorrect: 0,
        accuracy: null,
        accuracyCi: null,
        misses: [],
      };
      byProject.set(r.projectId, p);
    }
    p.judged += 1;
    if (r.accepted) {
      const correct = isGoldCorrect(r, r.accepted);
      // A miss was shown with its explanation at submit time already: listing it reveals nothing new.
      if (!correct) p.misses.unshift({ judgmentId: r.id, explanation: r.explanation ?? "", at: r.createdAt });
      if (p.judged <= p.checksThrough) {
        p.checks += 1;
        if (correct) p.checksCorrect += 1;
      }
    }
  }
  return [...byProject.values()].map((p) => ({
    ...p,
    accuracy: p.checks > 0 ? p.checksCorrect / p.checks : null,
    accuracyCi: computeWilsonInterval(p.checksCorrect, p.checks),
    misses: p.misses.slice(0, 20),
  }));
});

/**
 * An annotator's own progress: per project, the items they judged and how they did on check (gold)
 * items so far. Only the caller's own judgments are read, so nobody sees anyone else's figures.
 */
import { and, eq, isNull, sql } from "drizzle-orm";
import { assignments, gold, judgments, projects } from "@/db/schema";
import type { Db } from "@/server/db";
import { isGoldCorrect } from "./gold-answer";
import { computeWilsonInterval } from "./project-stats";

export type MyProjectProgress = {
  projectId: number;
  project: string;
  /** Items judged (swapped repeats are not new items and are not counted). */
  judged: number;
  /** Check items judged and answered within their accepted set. */
  checks: number;
  checksCorrect: number;
  /** checksCorrect / checks, null before the first check item. */
  accuracy: number | null;
  /** Wilson 95 % interval of the accuracy. */
  accuracyCi: [number, number] | null;
  /** Check items missed, most recent first, with the explanation the annotator was shown. */
  misses: { judgmentId: number; explanation: string; at: number }[];
};

export function getMyProgress(db: Db, userId: number): MyProjectProgress[] {
  const rows = db
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
    .orderBy(judgments.projectId, judgments.id)
    .all();
  const byProject = new Map<number, MyProjectProgress>();
  for (const r of rows) {
    let p = byProject.get(r.projectId);
    if (!p) {
      p = {
        projectId: r.projectId,
        project: r.project,
        judged: 0,
        checks: 0,
        checksCorrect: 0,
        accuracy: null,
        accuracyCi: null,
        misses: [],
      };
      byProject.set(r.projectId, p);
    }
    p.judged += 1;
    if (r.accepted) {
      p.checks += 1;
      if (isGoldCorrect(r, r.accepted)) p.checksCorrect += 1;
      else p.misses.unshift({ judgmentId: r.id, explanation: r.explanation ?? "", at: r.createdAt });
    }
  }
  return [...byProject.values()].map((p) => ({
    ...p,
    accuracy: p.checks > 0 ? p.checksCorrect / p.checks : null,
    accuracyCi: computeWilsonInterval(p.checksCorrect, p.checks),
    misses: p.misses.slice(0, 20),
  }));
}

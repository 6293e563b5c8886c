/**
 * A reward model's place in the project's RLHF rounds (issue 14, "Rounds"), for the models page:
 *   - trained on: the generation rounds whose items the model's training job trained on, read from the
 *     job's recorded `train` judgments (job_judgments), so a snapshot source and a `train --round N`
 *     filter are both answered by what was actually used; judgments on items from no round (imported
 *     ones) are counted apart. `roundFilter` is the `--round` filter the job was given, if any.
 *   - generated: the rounds this model helped produce, as the reward model in the loop (a sampling job's
 *     `--reward-model`) or as a local generator whose model is this model's folder.
 */
import { and, count, eq, inArray } from "drizzle-orm";
import { items, jobJudgments, judgments, rounds } from "@/db/schema";
import { type Conn, domainOp, type Op } from "@/server/database";

export type RoundRef = { projectId: number; round: number };
export type ModelRounds = {
  /** The rounds the job was restricted to (`train --round N`), or null when it was not. */
  roundFilter: number[] | null;
  /** Rounds (of the model's project) whose items it trained on, ascending, with the judgments used. */
  trainedOn: { round: number; judgments: number }[];
  /** Training judgments on items that no round generated (imported items). */
  outsideRounds: number;
  /** Whether the job recorded its training judgments (jobs from before that record show only the filter). */
  recorded: boolean;
  /** Rounds this model took part in generating, oldest first. */
  generated: (RoundRef & { role: "reward-model" | "generator" })[];
};

export type ModelForRounds = {
  id: number;
  jobId: number | null;
  dir: string;
  config: Record<string, unknown>;
};

/** The `--round` filter recorded in a training job's config (meta.data.policies.rounds). */
export function roundFilterOf(config: Record<string, unknown>): number[] | null {
  const meta = config.meta as { data?: { policies?: { rounds?: unknown } } } | undefined;
  const r = meta?.data?.policies?.rounds;
  return Array.isArray(r) && r.length > 0 && r.every((n) => Number.isInteger(n)) ? [...(r as number[])].sort((a, b) => a - b) : null;
}

/** Rounds for each model, keyed by model id (a few queries for the whole list, not one per model). */
export const modelRounds = domainOp(function* modelRounds(c: Conn, list: ModelForRounds[]): Op<Map<number, ModelRounds>> {
  const out = new Map<number, ModelRounds>();
  if (list.length === 0) return out;
  const jobIds = [...new Set(list.map((m) => m.jobId).filter((j): j is number => j !== null))];

  // Training judgments per (job, round of their item); a null round = an item that no round generated.
  const trained = jobIds.length
    ? yield* c.all(
        c.q
          .select({ jobId: jobJudgments.jobId, round: rounds.number, n: count() })
          .from(jobJudgments)
          .innerJoin(judgments, eq(judgments.id, jobJudgments.judgmentId))
          .innerJoin(items, eq(items.id, judgments.itemId))
          .leftJoin(rounds, eq(rounds.id, items.roundId))
          .where(and(inArray(jobJudgments.jobId, jobIds), eq(jobJudgments.split, "train")))
          .groupBy(jobJudgments.jobId, rounds.number),
      )
    : [];

  const dirs = new Map(list.map((m) => [m.dir, m.id]));
  const allRounds = yield* c.all(
    c.q
      .select({
        projectId: rounds.projectId,
        number: rounds.number,
        rewardModelId: rounds.rewardModelId,
        generators: rounds.generators,
      })
      .from(rounds),
  );

  for (const m of list) {
    const rows = trained.filter((t) => m.jobId !== null && t.jobId === m.jobId);
    const generated: ModelRounds["generated"] = [];
    for (const r of allRounds) {
      const ref = { projectId: r.projectId, round: r.number };
      if (r.rewardModelId === m.id) generated.push({ ...ref, role: "reward-model" });
      if (r.generators.some((g) => g.kind === "local" && dirs.get(g.model) === m.id)) generated.push({ ...ref, role: "generator" });
    }
    generated.sort((a, b) => a.projectId - b.projectId || a.round - b.round || a.role.localeCompare(b.role));
    out.set(m.id, {
      roundFilter: roundFilterOf(m.config),
      trainedOn: rows
        .filter((t): t is typeof t & { round: number } => t.round !== null)
        .map((t) => ({ round: t.round, judgments: t.n }))
        .sort((a, b) => a.round - b.round),
      outsideRounds: rows.find((t) => t.round === null)?.n ?? 0,
      recorded: rows.length > 0,
      generated,
    });
  }
  return out;
});

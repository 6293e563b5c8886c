/**
 * A reward model put to work on a project: score its responses (stored per model and response, so
 * nothing is scored twice), compare the model with the humans, reorder the open queue for active
 * learning, and write the scored dataset for stage 3 (PPO / DPO / rejection sampling).
 *
 * The scorer is passed in (`ScoreFn`): server/jobs owns the trainer's processes, the domain only
 * knows "text in, rewards out". Text is rendered exactly as the training data was
 * (server/domain/training), so a model scores what it was trained on.
 */
import { createHash } from "node:crypto";
import fs from "node:fs";
import { and, asc, eq, gt, inArray, isNull, sql } from "drizzle-orm";
import { type Content, items, judgments, models, responseScores, responses } from "@/db/schema";
import { type Db, transaction } from "@/server/db";
import { recordAuditEvent } from "@/server/domain/audit";
import { AppError } from "@/server/domain/errors";
import { allocateQueuePositions, getProject } from "@/server/domain/projects";
import { loadQualityData } from "@/server/domain/quality/load-judgments";
import { renderPrompt, renderResponse } from "@/server/domain/training/training-data";
import { computeModelHumanAgreement, type HumanVote, type ModelHumanAgreement } from "./agreement";
import { loadItemsContent, type PlaygroundItem } from "./playground";
import { orderQueue, type QueuePlacement, type QueueStrategy } from "./queue-order";
import { itemMargin, modelDisagreement } from "./rewards";

export type ScoreInput = { prompt: Content; response: string };
export type ScoreResult = { reward: number; reward_raw: number };
/** Rewards for rendered texts, in order; `onProgress(done, total)` as they come back. */
export type ScoreFn = (inputs: ScoreInput[], onProgress?: (done: number, total: number) => void) => Promise<ScoreResult[]>;

export type ScoringModel = { id: number; name: string; dir: string; projectId: number | null };

export function getScoringModel(db: Db, id: number): ScoringModel {
  const m = db
    .select({ id: models.id, name: models.name, dir: models.dir, projectId: models.projectId })
    .from(models)
    .where(eq(models.id, id))
    .get();
  if (!m) throw new AppError("NOT_FOUND", `model ${id} does not exist`, [{ field: "model", message: "unknown model" }]);
  return m;
}

/** Which of a project's responses to score: those of judged items, of open (queued) items, or all. */
export type ScoreScope = "judged" | "open" | "all";

const PAGE = 1024;

/**
 * Scores the project's responses in `scope` that the model has not scored yet, in pages (bounded
 * memory; each page is stored in its own transaction, so an interrupted run keeps what it finished).
 */
export async function scoreProjectResponses(
  db: Db,
  params: { projectId: number; modelId: number; scope: ScoreScope; score: ScoreFn; onProgress?: (done: number, total: number) => void },
): Promise<{ scored: number; cached: number; total: number }> {
  getProject(db, params.projectId);
  getScoringModel(db, params.modelId);
  const scopeCond =
    params.scope === "open"
      ? sql`${items.openSlots} > 0`
      : params.scope === "judged"
        ? sql`EXISTS (SELECT 1 FROM ${judgments} WHERE ${judgments.itemId} = ${items.id})`
        : sql`1 = 1`;
  const missingCond = and(eq(items.projectId, params.projectId), scopeCond, isNull(responseScores.responseId));
  const fromMissing = () =>
    db
      .select({ id: responses.id, content: responses.content, prompt: items.prompt })
      .from(responses)
      .innerJoin(items, eq(items.id, responses.itemId))
      .leftJoin(responseScores, and(eq(responseScores.responseId, responses.id), eq(responseScores.modelId, params.modelId)));
  const total = db
    .select({ n: sql<number>`count(*)` })
    .from(responses)
    .innerJoin(items, eq(items.id, responses.itemId))
    .where(and(eq(items.projectId, params.projectId), scopeCond))
    .get()?.n as number;
  const missing = db
    .select({ n: sql<number>`count(*)` })
    .from(responses)
    .innerJoin(items, eq(items.id, responses.itemId))
    .leftJoin(responseScores, and(eq(responseScores.responseId, responses.id), eq(responseScores.modelId, params.modelId)))
    .where(missingCond)
    .get()?.n as number;
  let done = 0;
  let after = 0;
  params.onProgress?.(0, missing);
  for (;;) {
    const page = fromMissing()
      .where(and(missingCond, gt(responses.id, after)))
      .orderBy(asc(responses.id))
      .limit(PAGE)
      .all();
    if (page.length === 0) break;
    after = page[page.length - 1]?.id as number;
    const inputs = page.map((r) => ({ prompt: renderPrompt(r.prompt), response: renderResponse(r.content) }));
    const scores = await params.score(inputs, (d) => params.onProgress?.(done + d, missing));
    transaction(db, () => {
      page.forEach((r, i) => {
        const s = scores[i] as ScoreResult;
        db.insert(responseScores)
          .values({ modelId: params.modelId, responseId: r.id, reward: s.reward, rewardRaw: s.reward_raw })
          .onConflictDoUpdate({
            target: [responseScores.modelId, responseScores.responseId],
            set: { reward: s.reward, rewardRaw: s.reward_raw },
          })
          .run();
      });
    });
    done += page.length;
    params.onProgress?.(done, missing);
  }
  return { scored: done, cached: total - done, total };
}

/** item id → rewards per response index, for the items of a project the model has fully scored. */
export function loadItemRewards(db: Db, projectId: number, modelId: number, itemIds?: number[]): Map<number, number[]> {
  const conds = [eq(items.projectId, projectId)];
  if (itemIds) conds.push(inArray(items.id, itemIds));
  const rows = db
    .select({ itemId: responses.itemId, idx: responses.idx, k: items.k, reward: responseScores.reward })
    .from(responses)
    .innerJoin(items, eq(items.id, responses.itemId))
    .leftJoin(responseScores, and(eq(responseScores.responseId, responses.id), eq(responseScores.modelId, modelId)))
    .where(and(...conds))
    .all();
  const byItem = new Map<number, number[]>();
  for (const r of rows) {
    const list = byItem.get(r.itemId) ?? new Array<number>(r.k).fill(Number.NaN);
    list[r.idx] = r.reward ?? Number.NaN;
    byItem.set(r.itemId, list);
  }
  for (const [id, list] of byItem) if (list.some((x) => !Number.isFinite(x))) byItem.delete(id);
  return byItem;
}

export type ModelVsHumans = ModelHumanAgreement & {
  project: { id: number; name: string; criteria: string[] };
  model: { id: number; name: string };
  judgedItems: number;
  scoredItems: number;
  /** Prompt and responses of the items in `disagreements`, by item id. */
  disagreementItems: PlaygroundItem[];
};

/** Model-vs-human agreement on a project's current judgments (swapped repeats, gold items and excluded annotators left out). */
export function computeModelVsHumans(db: Db, params: { projectId: number; modelId: number; disagreements?: number }): ModelVsHumans {
  const project = getProject(db, params.projectId);
  const model = getScoringModel(db, params.modelId);
  const data = loadQualityData(db, project.id);
  const votes: HumanVote[] = data.judgments
    // Swapped repeats measure consistency; gold items are judged by everyone and stay out of the
    // leaderboard and the exports, so they stay out here too.
    .filter((j) => j.repeatOf === null && !data.gold.has(j.itemId))
    .map((j) => ({
      itemId: j.itemId,
      annotator: j.annotator,
      createdAt: j.createdAt,
      outcome: j.outcome,
      ranking: j.ranking,
      criteria: j.criteria,
    }));
  const judged = [...new Set(votes.map((v) => v.itemId))];
  const rewards = loadItemRewards(db, project.id, model.id);
  const result = computeModelHumanAgreement(votes, rewards, { criteria: project.criteria, disagreements: params.disagreements });
  return {
    ...result,
    project: { id: project.id, name: project.name, criteria: project.criteria },
    model: { id: model.id, name: model.name },
    judgedItems: judged.length,
    scoredItems: judged.filter((id) => rewards.has(id)).length,
    disagreementItems: loadItemsContent(db, [...new Set(result.disagreements.map((d) => d.itemId))]),
  };
}

export type QueueEntry = {
  item: number;
  external_id: string | null;
  margin: number | null;
  disagreement?: number | null;
  random?: boolean;
};

/**
 * Rewrites the queue order of the project's open items. They get fresh positions at the tail of the
 * queue, in the new order, so they lie past every annotator's cursor and everyone is offered the new
 * order from its start (see server/domain/assignment.ts). Items the model has not scored go last.
 */
export function reorderQueue(
  db: Db,
  params: {
    projectId: number;
    strategy: QueueStrategy;
    modelId?: number;
    versusModelId?: number;
    randomShare: number;
    seed: number;
    actorId?: number | null;
  },
): { reordered: number; unscored: number; placements: QueuePlacement[] } {
  getProject(db, params.projectId);
  if (params.strategy !== "random" && params.modelId === undefined) {
    throw new AppError("BAD_INPUT", `strategy ${params.strategy} needs a model`, [{ field: "model", message: "required" }]);
  }
  if (params.strategy === "disagreement" && params.versusModelId === undefined) {
    throw new AppError("BAD_INPUT", "strategy disagreement needs a second model", [{ field: "versus", message: "required" }]);
  }
  if (params.modelId !== undefined) getScoringModel(db, params.modelId);
  if (params.versusModelId !== undefined) getScoringModel(db, params.versusModelId);
  return transaction(db, () => {
    const open = db
      .select({ id: items.id })
      .from(items)
      .where(and(eq(items.projectId, params.projectId), sql`${items.openSlots} > 0`))
      .orderBy(asc(items.queuePos))
      .all()
      .map((r) => r.id);
    const rewards = params.modelId === undefined ? new Map<number, number[]>() : loadItemRewards(db, params.projectId, params.modelId);
    const versus = params.versusModelId === undefined ? null : loadItemRewards(db, params.projectId, params.versusModelId);
    const candidates = open.map((itemId) => {
      const r = rewards.get(itemId);
      const v = versus?.get(itemId);
      return { itemId, margin: r ? itemMargin(r) : null, disagreement: r && v ? modelDisagreement(r, v) : null };
    });
    const placements = orderQueue(candidates, { strategy: params.strategy, randomShare: params.randomShare, seed: params.seed });
    if (placements.length > 0) {
      const first = allocateQueuePositions(db, params.projectId, placements.length);
      const update = db.$client.prepare("UPDATE items SET queue_pos = ? WHERE id = ?");
      placements.forEach((p, k) => {
        update.run(first + k, p.itemId);
      });
    }
    const unscored =
      params.strategy === "random"
        ? 0
        : candidates.filter((c) => (params.strategy === "uncertainty" ? c.margin : c.disagreement) === null).length;
    recordAuditEvent(db, {
      actorId: params.actorId ?? null,
      action: "queue.reorder",
      projectId: params.projectId,
      detail: {
        strategy: params.strategy,
        model: params.modelId ?? null,
        versus: params.versusModelId ?? null,
        random_share: params.randomShare,
        seed: params.seed,
        items: placements.length,
        unscored,
      },
    });
    return { reordered: placements.length, unscored, placements };
  });
}

/** The next open items in queue order, with the model's margin (null when unscored or no model). */
export function peekQueue(db: Db, params: { projectId: number; modelId?: number; limit: number }): QueueEntry[] {
  const next = db
    .select({ id: items.id, externalId: items.externalId })
    .from(items)
    .where(and(eq(items.projectId, params.projectId), sql`${items.openSlots} > 0`))
    .orderBy(asc(items.queuePos))
    .limit(params.limit)
    .all();
  const rewards =
    params.modelId === undefined
      ? new Map<number, number[]>()
      : loadItemRewards(
          db,
          params.projectId,
          params.modelId,
          next.map((n) => n.id),
        );
  return next.map((n) => {
    const r = rewards.get(n.id);
    return { item: n.id, external_id: n.externalId, margin: r ? itemMargin(r) : null };
  });
}

/**
 * The scored dataset for stage 3: one JSON line per scored response of the project,
 * `{item, external_id, prompt, response, model, response_index, reward, reward_raw}` with prompt and
 * response as stored (text or chat messages). Written to `<out>.partial`, renamed when complete.
 */
export function writeScoredDataset(db: Db, params: { projectId: number; modelId: number; out: string }): { rows: number; sha256: string } {
  getProject(db, params.projectId);
  getScoringModel(db, params.modelId);
  const partial = `${params.out}.partial`;
  const fd = fs.openSync(partial, "w");
  const hash = createHash("sha256");
  let rows = 0;
  try {
    let after = 0;
    for (;;) {
      const page = db
        .select({
          id: responses.id,
          itemId: items.id,
          externalId: items.externalId,
          prompt: items.prompt,
          idx: responses.idx,
          model: responses.model,
          content: responses.content,
          reward: responseScores.reward,
          rewardRaw: responseScores.rewardRaw,
        })
        .from(responseScores)
        .innerJoin(responses, eq(responses.id, responseScores.responseId))
        .innerJoin(items, eq(items.id, responses.itemId))
        .where(and(eq(responseScores.modelId, params.modelId), eq(items.projectId, params.projectId), gt(responses.id, after)))
        .orderBy(asc(responses.id))
        .limit(PAGE)
        .all();
      if (page.length === 0) break;
      after = page[page.length - 1]?.id as number;
      const text = page
        .map((r) =>
          JSON.stringify({
            item: r.itemId,
            external_id: r.externalId,
            prompt: r.prompt as Content,
            response: r.content as Content,
            model: r.model,
            response_index: r.idx,
            reward: r.reward,
            reward_raw: r.rewardRaw,
          }),
        )
        .join("\n");
      const chunk = `${text}\n`;
      hash.update(chunk);
      fs.writeSync(fd, chunk);
      rows += page.length;
    }
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(partial, params.out);
  return { rows, sha256: hash.digest("hex") };
}

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
import { and, asc, eq, gt, inArray, isNull, type SQL, sql } from "drizzle-orm";
import { type Content, items, judgments, models, responseScores, responses } from "@/db/schema";
import { type AnyDb, type Conn, domainOp, forUpdateOnPg, type Op, runOp, statements } from "@/server/database";
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

export const getScoringModel = domainOp(function* getScoringModel(c: Conn, id: number): Op<ScoringModel> {
  const m = yield* c.first(
    c.q.select({ id: models.id, name: models.name, dir: models.dir, projectId: models.projectId }).from(models).where(eq(models.id, id)),
  );
  if (!m) throw new AppError("NOT_FOUND", `model ${id} does not exist`, [{ field: "model", message: "unknown model" }]);
  return m;
});

/** Which of a project's responses to score: those of judged items, of open (queued) items, or all. */
export type ScoreScope = "judged" | "open" | "all";

const PAGE = 1024;

type ScoringParams = { projectId: number; modelId: number; scope: ScoreScope };

function scopeCondition(scope: ScoreScope): SQL {
  return scope === "open"
    ? sql`${items.openSlots} > 0`
    : scope === "judged"
      ? sql`EXISTS (SELECT 1 FROM ${judgments} WHERE ${judgments.itemId} = ${items.id})`
      : sql`1 = 1`;
}

/** The project's responses in scope without a score from the model (for a join on responses and items). */
function missingCondition(params: ScoringParams) {
  return and(eq(items.projectId, params.projectId), scopeCondition(params.scope), isNull(responseScores.responseId));
}

/** Checks project and model; counts the responses in scope and those the model has not scored yet. */
function* countToScore(c: Conn, params: ScoringParams): Op<{ total: number; missing: number }> {
  yield* getProject.op(c, params.projectId);
  yield* getScoringModel.op(c, params.modelId);
  const total = yield* c.first(
    c.q
      .select({ n: sql<number>`count(*)` })
      .from(responses)
      .innerJoin(items, eq(items.id, responses.itemId))
      .where(and(eq(items.projectId, params.projectId), scopeCondition(params.scope))),
  );
  const missing = yield* c.first(
    c.q
      .select({ n: sql<number>`count(*)` })
      .from(responses)
      .innerJoin(items, eq(items.id, responses.itemId))
      .leftJoin(responseScores, and(eq(responseScores.responseId, responses.id), eq(responseScores.modelId, params.modelId)))
      .where(missingCondition(params)),
  );
  return { total: Number(total?.n ?? 0), missing: Number(missing?.n ?? 0) };
}

/** The next page of unscored responses after response id `after`, in id order. */
function* unscoredPage(c: Conn, params: ScoringParams, after: number) {
  return yield* c.all(
    c.q
      .select({ id: responses.id, content: responses.content, prompt: items.prompt })
      .from(responses)
      .innerJoin(items, eq(items.id, responses.itemId))
      .leftJoin(responseScores, and(eq(responseScores.responseId, responses.id), eq(responseScores.modelId, params.modelId)))
      .where(and(missingCondition(params), gt(responses.id, after)))
      .orderBy(asc(responses.id))
      .limit(PAGE),
  );
}

/** One page of rewards, one multi-row upsert in one transaction (a rescore replaces a stored reward). */
const storeScores = domainOp(function* storeScores(
  c: Conn,
  modelId: number,
  rows: { responseId: number; reward: number; rewardRaw: number }[],
): Op<void> {
  if (rows.length === 0) return;
  yield* c.transaction(function* (tx) {
    yield* tx.run(
      tx.q
        .insert(responseScores)
        .values(rows.map((r) => ({ modelId, ...r })))
        .onConflictDoUpdate({
          target: [responseScores.modelId, responseScores.responseId],
          set: { reward: sql`excluded.reward`, rewardRaw: sql`excluded.reward_raw` },
        }),
    );
  });
});

/**
 * Scores the project's responses in `scope` that the model has not scored yet, in pages (bounded
 * memory; each page is stored in its own transaction, so an interrupted run keeps what it finished).
 * The scorer runs between transactions, never inside one.
 */
export async function scoreProjectResponses(
  db: AnyDb,
  params: ScoringParams & { score: ScoreFn; onProgress?: (done: number, total: number) => void },
): Promise<{ scored: number; cached: number; total: number }> {
  const { total, missing } = await runOp(db, (c) => countToScore(c, params));
  let done = 0;
  let after = 0;
  params.onProgress?.(0, missing);
  for (;;) {
    const page = await runOp(db, (c) => unscoredPage(c, params, after));
    if (page.length === 0) break;
    after = page[page.length - 1]?.id as number;
    const inputs = page.map((r) => ({ prompt: renderPrompt(r.prompt), response: renderResponse(r.content) }));
    const scores = await params.score(inputs, (d) => params.onProgress?.(done + d, missing));
    await storeScores(
      db,
      params.modelId,
      page.map((r, i) => {
        const s = scores[i] as ScoreResult;
        return { responseId: r.id, reward: s.reward, rewardRaw: s.reward_raw };
      }),
    );
    done += page.length;
    params.onProgress?.(done, missing);
  }
  return { scored: done, cached: total - done, total };
}

/** item id → rewards per response index, for the items of a project the model has fully scored. */
export const loadItemRewards = domainOp(function* loadItemRewards(
  c: Conn,
  projectId: number,
  modelId: number,
  itemIds?: number[],
): Op<Map<number, number[]>> {
  const conds = [eq(items.projectId, projectId)];
  if (itemIds) conds.push(inArray(items.id, itemIds));
  const rows = yield* c.all(
    c.q
      .select({ itemId: responses.itemId, idx: responses.idx, k: items.k, reward: responseScores.reward })
      .from(responses)
      .innerJoin(items, eq(items.id, responses.itemId))
      .leftJoin(responseScores, and(eq(responseScores.responseId, responses.id), eq(responseScores.modelId, modelId)))
      .where(and(...conds)),
  );
  const byItem = new Map<number, number[]>();
  for (const r of rows) {
    const list = byItem.get(r.itemId) ?? new Array<number>(r.k).fill(Number.NaN);
    list[r.idx] = r.reward ?? Number.NaN;
    byItem.set(r.itemId, list);
  }
  for (const [id, list] of byItem) if (list.some((x) => !Number.isFinite(x))) byItem.delete(id);
  return byItem;
});

export type ModelVsHumans = ModelHumanAgreement & {
  project: { id: number; name: string; criteria: string[] };
  model: { id: number; name: string };
  judgedItems: number;
  scoredItems: number;
  /** Prompt and responses of the items in `disagreements`, by item id. */
  disagreementItems: PlaygroundItem[];
};

/** Model-vs-human agreement on a project's current judgments (swapped repeats, gold items and excluded annotators left out). */
export const computeModelVsHumans = domainOp(function* computeModelVsHumans(
  c: Conn,
  params: { projectId: number; modelId: number; disagreements?: number },
): Op<ModelVsHumans> {
  const project = yield* getProject.op(c, params.projectId);
  const model = yield* getScoringModel.op(c, params.modelId);
  const data = yield* loadQualityData.op(c, project.id);
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
  const rewards = yield* loadItemRewards.op(c, project.id, model.id);
  const result = computeModelHumanAgreement(votes, rewards, { criteria: project.criteria, disagreements: params.disagreements });
  return {
    ...result,
    project: { id: project.id, name: project.name, criteria: project.criteria },
    model: { id: model.id, name: model.name },
    judgedItems: judged.length,
    scoredItems: judged.filter((id) => rewards.has(id)).length,
    disagreementItems: yield* loadItemsContent.op(c, [...new Set(result.disagreements.map((d) => d.itemId))]),
  };
});

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
export const reorderQueue = domainOp(function* reorderQueue(
  c: Conn,
  params: {
    projectId: number;
    strategy: QueueStrategy;
    modelId?: number;
    versusModelId?: number;
    randomShare: number;
    seed: number;
    actorId?: number | null;
  },
): Op<{ reordered: number; unscored: number; placements: QueuePlacement[] }> {
  yield* getProject.op(c, params.projectId);
  if (params.strategy !== "random" && params.modelId === undefined) {
    throw new AppError("BAD_INPUT", `strategy ${params.strategy} needs a model`, [{ field: "model", message: "required" }]);
  }
  if (params.strategy === "disagreement" && params.versusModelId === undefined) {
    throw new AppError("BAD_INPUT", "strategy disagreement needs a second model", [{ field: "versus", message: "required" }]);
  }
  if (params.modelId !== undefined) yield* getScoringModel.op(c, params.modelId);
  if (params.versusModelId !== undefined) yield* getScoringModel.op(c, params.versusModelId);
  return yield* c.transaction(function* (tx) {
    // PostgreSQL: the open items are held before the project row (allocateQueuePositions), the lock
    // order of every transaction that touches both; leases pass over them until the new order commits.
    const open = (yield* tx.all(
      forUpdateOnPg(
        tx.engine,
        tx.q
          .select({ id: items.id })
          .from(items)
          .where(and(eq(items.projectId, params.projectId), sql`${items.openSlots} > 0`))
          .orderBy(asc(items.queuePos), asc(items.id)),
      ),
    )).map((r) => r.id);
    const rewards =
      params.modelId === undefined ? new Map<number, number[]>() : yield* loadItemRewards.op(tx, params.projectId, params.modelId);
    const versus = params.versusModelId === undefined ? null : yield* loadItemRewards.op(tx, params.projectId, params.versusModelId);
    const candidates = open.map((itemId) => {
      const r = rewards.get(itemId);
      const v = versus?.get(itemId);
      return { itemId, margin: r ? itemMargin(r) : null, disagreement: r && v ? modelDisagreement(r, v) : null };
    });
    const placements = orderQueue(candidates, { strategy: params.strategy, randomShare: params.randomShare, seed: params.seed });
    if (placements.length > 0) {
      const first = yield* allocateQueuePositions.op(tx, params.projectId, placements.length);
      yield* setQueuePositions(
        tx,
        placements.map((p) => p.itemId),
        first,
      );
    }
    const unscored =
      params.strategy === "random"
        ? 0
        : candidates.filter((x) => (params.strategy === "uncertainty" ? x.margin : x.disagreement) === null).length;
    yield* recordAuditEvent.op(tx, {
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
});

const queueStatements = statements("project-scores", {
  setQueuePos: (q) =>
    q
      .update(items)
      .set({ queuePos: sql`${sql.placeholder("pos")}` })
      .where(eq(items.id, sql.placeholder("id"))),
});

/**
 * `ids[k]` moves to queue position `first + k`. SQLite: one prepared update per item (synchronous, in
 * the open transaction). PostgreSQL: one UPDATE … FROM unnest(ids, positions) for the whole queue.
 */
function* setQueuePositions(c: Conn, ids: number[], first: number): Op<void> {
  if (c.engine === "sqlite") {
    const s = c.prepared(queueStatements);
    for (let k = 0; k < ids.length; k++) yield* s.setQueuePos.run({ pos: first + k, id: ids[k] });
    return;
  }
  const positions = ids.map((_, k) => first + k);
  yield* c.exec(
    sql`UPDATE items SET queue_pos = v.pos FROM unnest(${sql.param(ids)}::bigint[], ${sql.param(positions)}::bigint[]) AS v(id, pos) WHERE items.id = v.id`,
  );
}

/** The next open items in queue order, with the model's margin (null when unscored or no model). */
export const peekQueue = domainOp(function* peekQueue(
  c: Conn,
  params: { projectId: number; modelId?: number; limit: number },
): Op<QueueEntry[]> {
  const next = yield* c.all(
    c.q
      .select({ id: items.id, externalId: items.externalId })
      .from(items)
      .where(and(eq(items.projectId, params.projectId), sql`${items.openSlots} > 0`))
      .orderBy(asc(items.queuePos), asc(items.id))
      .limit(params.limit),
  );
  const rewards =
    params.modelId === undefined || next.length === 0
      ? new Map<number, number[]>()
      : yield* loadItemRewards.op(
          c,
          params.projectId,
          params.modelId,
          next.map((n) => n.id),
        );
  return next.map((n) => {
    const r = rewards.get(n.id);
    return { item: n.id, external_id: n.externalId, margin: r ? itemMargin(r) : null };
  });
});

/**
 * The scored dataset for stage 3: one JSON line per scored response of the project,
 * `{item, external_id, prompt, response, model, response_index, reward, reward_raw}` with prompt and
 * response as stored (text or chat messages). Written to `<out>.partial`, renamed when complete.
 */
export const writeScoredDataset = domainOp(function* writeScoredDataset(
  c: Conn,
  params: { projectId: number; modelId: number; out: string },
): Op<{ rows: number; sha256: string }> {
  yield* getProject.op(c, params.projectId);
  yield* getScoringModel.op(c, params.modelId);
  const partial = `${params.out}.partial`;
  const fd = fs.openSync(partial, "w");
  const hash = createHash("sha256");
  let rows = 0;
  try {
    let after = 0;
    for (;;) {
      const page = yield* c.all(
        c.q
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
          .limit(PAGE),
      );
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
});

/**
 * The playground: one prompt, N candidate responses, scored by a reward model and reranked
 * (best-of-N), with every pairwise preference P(i > j) = σ(r_i − r_j).
 */
import { asc, eq, inArray } from "drizzle-orm";
import { type Content, items, responses } from "@/db/schema";
import { type Conn, domainOp, type Op } from "@/server/database";
import { renderPrompt, renderResponse } from "@/server/domain/training/training-data";
import type { ScoreFn } from "./project-scores";
import { preferenceMatrix, type RankedCandidate, rankCandidates } from "./rewards";

export type CandidateScores = {
  rewards: { reward: number; reward_raw: number }[];
  /** Best first. */
  ranked: RankedCandidate[];
  /** matrix[i][j] = P(candidate i preferred to candidate j). */
  matrix: number[][];
};

export async function scoreCandidates(input: { prompt: Content; responses: Content[] }, score: ScoreFn): Promise<CandidateScores> {
  const prompt = renderPrompt(input.prompt);
  const rewards = await score(input.responses.map((r) => ({ prompt, response: renderResponse(r) })));
  const values = rewards.map((r) => r.reward);
  return { rewards, ranked: rankCandidates(values), matrix: preferenceMatrix(values) };
}

export type PlaygroundItem = { id: number; externalId: string | null; prompt: Content; responses: { model: string; content: Content }[] };

/** A project's items to pick from in the playground (model names are fine here: researchers only). */
export const listPlaygroundItems = domainOp(function* listPlaygroundItems(
  c: Conn,
  params: { projectId: number; limit: number },
): Op<PlaygroundItem[]> {
  const ids = (yield* c.all(
    c.q.select({ id: items.id }).from(items).where(eq(items.projectId, params.projectId)).orderBy(asc(items.id)).limit(params.limit),
  )).map((r) => r.id);
  return yield* loadItemsContent.op(c, ids);
});

/** Items with their prompt and responses (canonical order), in the order of `ids`. */
export const loadItemsContent = domainOp(function* loadItemsContent(c: Conn, ids: number[]): Op<PlaygroundItem[]> {
  if (ids.length === 0) return [];
  const rows = yield* c.all(
    c.q.select({ id: items.id, externalId: items.externalId, prompt: items.prompt }).from(items).where(inArray(items.id, ids)),
  );
  const resp = yield* c.all(
    c.q
      .select({ itemId: responses.itemId, idx: responses.idx, model: responses.model, content: responses.content })
      .from(responses)
      .where(inArray(responses.itemId, ids))
      .orderBy(asc(responses.itemId), asc(responses.idx)),
  );
  const byItem = new Map<number, PlaygroundItem["responses"]>();
  for (const r of resp) {
    const list = byItem.get(r.itemId) ?? [];
    list.push({ model: r.model, content: r.content });
    byItem.set(r.itemId, list);
  }
  const byId = new Map(rows.map((r) => [r.id, { ...r, responses: byItem.get(r.id) ?? [] }]));
  return ids.flatMap((id) => byId.get(id) ?? []);
});

/**
 * Rewrites (demonstrations, as InstructGPT's and Open-Assistant's labelers wrote them) and
 * prompt-writing tasks. A rewrite is the annotator's improved version of the response they chose,
 * attached to their judgment; exports turn rewrites into TRL SFT rows and into preference pairs
 * (improved ≻ chosen). Written prompts become the JSONL prompts file a sampling job reads.
 */
import { and, asc, count, eq, isNull } from "drizzle-orm";
import { z } from "zod";
import type { Content } from "@/db/schema";
import { items, judgments, responses, rewrites, writtenPrompts } from "@/db/schema";
import { type Conn, domainOp, type Op } from "@/server/database";
import { AppError, parseInput } from "@/server/domain/errors";
import { getProject } from "@/server/domain/projects";
import { zContent } from "@/server/domain/schemas";
import { getLiveSettings } from "./live-settings";

export const MAX_REWRITE_CHARS = 50_000;

export type Rewrite = typeof rewrites.$inferSelect;
export type WrittenPrompt = typeof writtenPrompts.$inferSelect;

/**
 * Attaches (or replaces) the annotator's rewrite of the response they chose in a judgment. The project
 * must allow rewrites (conversation and arena projects always do), the judgment must be theirs, name a
 * winner, and the text must differ from the chosen response.
 */
export const submitRewrite = domainOp(function* submitRewrite(
  c: Conn,
  params: { userId: number; judgmentId: number; text: string },
): Op<Rewrite> {
  const text = parseInput(
    z
      .string()
      .max(MAX_REWRITE_CHARS, `at most ${MAX_REWRITE_CHARS} characters`)
      .refine((t) => t.trim().length > 0, "write the improved answer"),
    params.text,
    "text",
  );
  return yield* c.transaction(function* (tx): Op<Rewrite> {
    const j = yield* tx.first(
      tx.q
        .select({
          id: judgments.id,
          itemId: judgments.itemId,
          projectId: judgments.projectId,
          annotatorId: judgments.annotatorId,
          outcome: judgments.outcome,
        })
        .from(judgments)
        .where(eq(judgments.id, params.judgmentId)),
    );
    if (!j || j.annotatorId !== params.userId) throw new AppError("NOT_FOUND", `judgment ${params.judgmentId} is not yours`);
    const settings = yield* getLiveSettings.op(tx, j.projectId);
    if (!settings.rewrites && settings.kind === "pairwise") throw new AppError("CONFLICT", "this project does not take rewrites");
    if (j.outcome !== "a" && j.outcome !== "b")
      throw new AppError("BAD_INPUT", "outcome: choose the better response before improving it", [
        { field: "outcome", message: "no winner" },
      ]);
    const responseIdx = j.outcome === "a" ? 0 : 1;
    const chosen = yield* tx.first(
      tx.q
        .select({ content: responses.content })
        .from(responses)
        .where(and(eq(responses.itemId, j.itemId), eq(responses.idx, responseIdx))),
    );
    const chosenText = typeof chosen?.content === "string" ? chosen.content : (chosen?.content.at(-1)?.content ?? "");
    if (text.trim() === chosenText.trim())
      throw new AppError("BAD_INPUT", "text: unchanged; edit the answer to improve it", [{ field: "text", message: "unchanged" }]);
    // One rewrite per judgment (unique index): a second one, or two at once from two instances, replaces it.
    const row = yield* tx.first(
      tx.q
        .insert(rewrites)
        .values({ judgmentId: j.id, itemId: j.itemId, userId: params.userId, responseIdx, text })
        .onConflictDoUpdate({ target: rewrites.judgmentId, set: { text, responseIdx } })
        .returning(),
    );
    if (!row) throw new Error("the rewrite's row did not come back");
    return row;
  });
});

/** The rewrite attached to a judgment, for its author (e.g. when revising). */
export const getRewrite = domainOp(function* getRewrite(
  c: Conn,
  params: { userId: number; judgmentId: number },
): Op<{ text: string; responseIdx: number } | null> {
  return (
    (yield* c.first(
      c.q
        .select({ text: rewrites.text, responseIdx: rewrites.responseIdx })
        .from(rewrites)
        .where(and(eq(rewrites.judgmentId, params.judgmentId), eq(rewrites.userId, params.userId))),
    )) ?? null
  );
});

export type ProjectRewrite = {
  id: number;
  itemId: number;
  externalId: string | null;
  judgmentId: number;
  userId: number;
  responseIdx: number;
  text: string;
  prompt: Content;
  metadata: Record<string, unknown>;
  original: Content;
  createdAt: number;
};

/** Every rewrite of a project with its item's prompt and the response it improves, oldest first. */
export const listProjectRewrites = domainOp(function* listProjectRewrites(c: Conn, projectId: number): Op<ProjectRewrite[]> {
  yield* getProject.op(c, projectId);
  return yield* c.all(
    c.q
      .select({
        id: rewrites.id,
        itemId: rewrites.itemId,
        externalId: items.externalId,
        judgmentId: rewrites.judgmentId,
        userId: rewrites.userId,
        responseIdx: rewrites.responseIdx,
        text: rewrites.text,
        prompt: items.prompt,
        metadata: items.metadata,
        original: responses.content,
        createdAt: rewrites.createdAt,
      })
      .from(rewrites)
      .innerJoin(judgments, eq(judgments.id, rewrites.judgmentId))
      .innerJoin(items, eq(items.id, rewrites.itemId))
      .innerJoin(responses, and(eq(responses.itemId, rewrites.itemId), eq(responses.idx, rewrites.responseIdx)))
      .where(and(eq(judgments.projectId, projectId), isNull(judgments.supersedesId)))
      .orderBy(asc(rewrites.id)),
  );
});

/**
 * Stores a prompt an annotator wrote for a project that asks for them (plain text or chat messages).
 */
export const writePrompt = domainOp(function* writePrompt(
  c: Conn,
  params: { projectId: number; userId: number; prompt: unknown },
): Op<WrittenPrompt> {
  const prompt = parseInput(
    z.union([z.string().trim().min(1, "write a prompt first").max(20_000), zContent.refine((c) => typeof c !== "string")]),
    params.prompt,
    "prompt",
  );
  const settings = yield* getLiveSettings.op(c, params.projectId);
  yield* getProject.op(c, params.projectId);
  if (!settings.promptWriting) throw new AppError("CONFLICT", "this project does not ask for prompts");
  const row = yield* c.first(c.q.insert(writtenPrompts).values({ projectId: params.projectId, userId: params.userId, prompt }).returning());
  if (!row) throw new Error("the written prompt's row did not come back");
  return row;
});

export const listWrittenPrompts = domainOp(function* listWrittenPrompts(c: Conn, projectId: number): Op<WrittenPrompt[]> {
  return yield* c.all(c.q.select().from(writtenPrompts).where(eq(writtenPrompts.projectId, projectId)).orderBy(asc(writtenPrompts.id)));
});

/** How many prompts the annotator has written for the project (their progress on the task). */
export const countMyPrompts = domainOp(function* countMyPrompts(c: Conn, params: { projectId: number; userId: number }): Op<number> {
  const row = yield* c.first(
    c.q
      .select({ n: count() })
      .from(writtenPrompts)
      .where(and(eq(writtenPrompts.projectId, params.projectId), eq(writtenPrompts.userId, params.userId))),
  );
  return row?.n ?? 0;
});

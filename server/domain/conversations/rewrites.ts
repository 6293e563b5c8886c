/**
 * Rewrites (demonstrations, as InstructGPT's and Open-Assistant's labelers wrote them) and
 * prompt-writing tasks. A rewrite is the annotator's improved version of the response they chose,
 * attached to their judgment; exports turn rewrites into TRL SFT rows and into preference pairs
 * (improved ≻ chosen). Written prompts become the JSONL prompts file a sampling job reads.
 */
import { and, asc, eq, isNull } from "drizzle-orm";
import { z } from "zod";
import { items, judgments, responses, rewrites, writtenPrompts } from "@/db/schema";
import { type Db, transaction } from "@/server/db";
import { AppError, parseInput } from "@/server/domain/errors";
import { getProject } from "@/server/domain/projects";
import { zContent } from "@/server/domain/schemas";
import { getLiveSettings } from "./live-settings";

export const MAX_REWRITE_CHARS = 50_000;

/**
 * Attaches (or replaces) the annotator's rewrite of the response they chose in a judgment. The project
 * must allow rewrites (conversation and arena projects always do), the judgment must be theirs, name a
 * winner, and the text must differ from the chosen response.
 */
export function submitRewrite(db: Db, params: { userId: number; judgmentId: number; text: string }) {
  const text = parseInput(
    z
      .string()
      .max(MAX_REWRITE_CHARS, `at most ${MAX_REWRITE_CHARS} characters`)
      .refine((t) => t.trim().length > 0, "write the improved answer"),
    params.text,
    "text",
  );
  return transaction(db, () => {
    const j = db
      .select({
        id: judgments.id,
        itemId: judgments.itemId,
        projectId: judgments.projectId,
        annotatorId: judgments.annotatorId,
        outcome: judgments.outcome,
      })
      .from(judgments)
      .where(eq(judgments.id, params.judgmentId))
      .get();
    if (!j || j.annotatorId !== params.userId) throw new AppError("NOT_FOUND", `judgment ${params.judgmentId} is not yours`);
    const settings = getLiveSettings(db, j.projectId);
    if (!settings.rewrites && settings.kind === "pairwise") throw new AppError("CONFLICT", "this project does not take rewrites");
    if (j.outcome !== "a" && j.outcome !== "b")
      throw new AppError("BAD_INPUT", "outcome: choose the better response before improving it", [
        { field: "outcome", message: "no winner" },
      ]);
    const responseIdx = j.outcome === "a" ? 0 : 1;
    const chosen = db
      .select({ content: responses.content })
      .from(responses)
      .where(and(eq(responses.itemId, j.itemId), eq(responses.idx, responseIdx)))
      .get();
    const chosenText = typeof chosen?.content === "string" ? chosen.content : (chosen?.content.at(-1)?.content ?? "");
    if (text.trim() === chosenText.trim())
      throw new AppError("BAD_INPUT", "text: unchanged; edit the answer to improve it", [{ field: "text", message: "unchanged" }]);
    return db
      .insert(rewrites)
      .values({ judgmentId: j.id, itemId: j.itemId, userId: params.userId, responseIdx, text })
      .onConflictDoUpdate({ target: rewrites.judgmentId, set: { text, responseIdx } })
      .returning()
      .get();
  });
}

/** The rewrite attached to a judgment, for its author (e.g. when revising). */
export function getRewrite(db: Db, params: { userId: number; judgmentId: number }) {
  return (
    db
      .select({ text: rewrites.text, responseIdx: rewrites.responseIdx })
      .from(rewrites)
      .where(and(eq(rewrites.judgmentId, params.judgmentId), eq(rewrites.userId, params.userId)))
      .get() ?? null
  );
}

/** Every rewrite of a project with its item's prompt and the response it improves, oldest first. */
export function listProjectRewrites(db: Db, projectId: number) {
  getProject(db, projectId);
  return db
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
    .orderBy(asc(rewrites.id))
    .all();
}
export type ProjectRewrite = ReturnType<typeof listProjectRewrites>[number];

/**
 * Stores a prompt an annotator wrote for a project that asks for them (plain text or chat messages).
 */
export function writePrompt(db: Db, params: { projectId: number; userId: number; prompt: unknown }) {
  const prompt = parseInput(
    z.union([z.string().trim().min(1, "write a prompt first").max(20_000), zContent.refine((c) => typeof c !== "string")]),
    params.prompt,
    "prompt",
  );
  const settings = getLiveSettings(db, params.projectId);
  getProject(db, params.projectId);
  if (!settings.promptWriting) throw new AppError("CONFLICT", "this project does not ask for prompts");
  return db.insert(writtenPrompts).values({ projectId: params.projectId, userId: params.userId, prompt }).returning().get();
}

export function listWrittenPrompts(db: Db, projectId: number) {
  return db.select().from(writtenPrompts).where(eq(writtenPrompts.projectId, projectId)).orderBy(asc(writtenPrompts.id)).all();
}

/** How many prompts the annotator has written for the project (their progress on the task). */
export function countMyPrompts(db: Db, params: { projectId: number; userId: number }): number {
  return db
    .select({ id: writtenPrompts.id })
    .from(writtenPrompts)
    .where(and(eq(writtenPrompts.projectId, params.projectId), eq(writtenPrompts.userId, params.userId)))
    .all().length;
}

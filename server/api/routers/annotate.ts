import { z } from "zod";
import { annotatorProcedure, createTRPCRouter } from "@/server/api/trpc";
import type { AnyDb } from "@/server/database";
import { leaseNextItem, skipAssignment } from "@/server/domain/assignment";
import { getMyJudgment, listMyRecentJudgments, reviseJudgment, zJudgmentRevision } from "@/server/domain/judgment-history";
import { countMyJudgments, submitAndLeaseNext, zJudgmentSubmission } from "@/server/domain/judgments";
import { renderLease, renderMarkdown, withHtml } from "@/server/domain/model-text";
import { getAnnotatorProject, getProject, listAnnotatorProjects } from "@/server/domain/projects";
import { getMyProgress } from "@/server/domain/quality/my-progress";
import { zId } from "@/server/domain/schemas";

async function progress(db: AnyDb, userId: number, projectId: number) {
  const p = await getProject(db, projectId);
  return {
    mine: await countMyJudgments(db, userId, projectId),
    doneSlots: Math.min(p.doneSlots, p.itemCount * p.overlap),
    targetSlots: p.itemCount * p.overlap,
  };
}

const zProjectInput = z.object({ projectId: zId });

export const annotateRouter = createTRPCRouter({
  projects: annotatorProcedure.query(async ({ ctx }) => await listAnnotatorProjects(ctx.db, ctx.user)),

  /** Model text and instructions come rendered (server/domain/model-text.ts): the screen ships no markdown parser. */
  project: annotatorProcedure.input(zProjectInput).query(async ({ ctx, input }) => {
    const p = await getAnnotatorProject(ctx.db, input.projectId);
    return { ...p, instructionsHtml: renderMarkdown(p.instructions) };
  }),

  /**
   * The annotator's current item (a reload shows the same one) or the next one, with progress. A
   * mutation, since it leases: a GET (a cross-site link, an image in model text) must never take an item.
   */
  next: annotatorProcedure.input(zProjectInput).mutation(async ({ ctx, input }) => ({
    lease: renderLease(await leaseNextItem(ctx.db, { projectId: input.projectId, userId: ctx.user.id })),
    progress: await progress(ctx.db, ctx.user.id, input.projectId),
  })),

  /** The caller's own progress and check-item accuracy per project: never anyone else's. */
  myProgress: annotatorProcedure.query(async ({ ctx }) => await getMyProgress(ctx.db, ctx.user.id)),

  /**
   * Stores a judgment and returns the next item in the same round trip; `result.feedback` carries the
   * accepted answer and explanation after a missed check item.
   */
  submit: annotatorProcedure.input(zProjectInput.extend({ submission: zJudgmentSubmission })).mutation(async ({ ctx, input }) => {
    const { result, lease } = await submitAndLeaseNext(ctx.db, {
      userId: ctx.user.id,
      projectId: input.projectId,
      submission: input.submission,
    });
    const feedback = result.feedback && { ...result.feedback, explanationHtml: renderMarkdown(result.feedback.explanation) };
    return { result: { ...result, feedback }, lease: renderLease(lease), progress: await progress(ctx.db, ctx.user.id, input.projectId) };
  }),

  /** "Can't judge this one": the item goes to someone else and the next one comes back. */
  skip: annotatorProcedure.input(zProjectInput.extend({ assignmentId: zId })).mutation(async ({ ctx, input }) => {
    await skipAssignment(ctx.db, { assignmentId: input.assignmentId, userId: ctx.user.id });
    return {
      lease: renderLease(await leaseNextItem(ctx.db, { projectId: input.projectId, userId: ctx.user.id })),
      progress: await progress(ctx.db, ctx.user.id, input.projectId),
    };
  }),

  /** One of the caller's own judgments, in the order they saw it, to revise ("Undo"). */
  judgment: annotatorProcedure.input(z.object({ judgmentId: zId })).query(async ({ ctx, input }) => {
    const j = await getMyJudgment(ctx.db, { userId: ctx.user.id, judgmentId: input.judgmentId });
    return { ...j, item: withHtml(j.item) };
  }),

  /** The caller's recent judgments (latest revision of each), newest first. */
  recent: annotatorProcedure
    .input(z.object({ projectId: zId.optional(), limit: z.number().int().min(1).max(200).default(20) }))
    .query(
      async ({ ctx, input }) =>
        await listMyRecentJudgments(ctx.db, { userId: ctx.user.id, projectId: input.projectId, limit: input.limit }),
    ),

  /** A revision supersedes the judgment (append-only); the current lease, if any, comes back with it. */
  revise: annotatorProcedure.input(zProjectInput.extend({ revision: zJudgmentRevision })).mutation(async ({ ctx, input }) => ({
    result: await reviseJudgment(ctx.db, { userId: ctx.user.id, projectId: input.projectId, revision: input.revision }),
    lease: renderLease(await leaseNextItem(ctx.db, { projectId: input.projectId, userId: ctx.user.id })),
    progress: await progress(ctx.db, ctx.user.id, input.projectId),
  })),
});

/**
 * Live conversations, arena battles, rewrites and prompt-writing (issue #15). Annotators work on their
 * own conversations only (the domain checks ownership); staff change a project's live settings. The
 * two answers of a turn stream through the route app/api/conversations/turns/[id]/stream.
 */
import { z } from "zod";
import { adminProcedure, annotatorProcedure, createTRPCRouter, staffProcedure } from "@/server/api/trpc";
import {
  endConversation,
  getConversationView,
  judgeTurn,
  regenerateTurn,
  sendMessage,
  startConversation,
  zTurnJudgment,
} from "@/server/domain/conversations/conversations";
import { createLiveProject, getLiveSettings, setLiveSettings, zLiveSettings } from "@/server/domain/conversations/live-settings";
import { countMyPrompts, getRewrite, submitRewrite, writePrompt } from "@/server/domain/conversations/rewrites";
import { getAnnotatorProject } from "@/server/domain/projects";
import { zId, zProjectSettings } from "@/server/domain/schemas";

const zConversation = z.object({ conversationId: zId });

export const conversationsRouter = createTRPCRouter({
  /** What an annotate page needs to pick its screen: the kind, the switches and the judging settings. */
  projectMode: annotatorProcedure.input(z.object({ projectId: zId })).query(async ({ ctx, input }) => {
    const s = await getLiveSettings(ctx.db, input.projectId);
    return {
      project: await getAnnotatorProject(ctx.db, input.projectId),
      kind: s.kind,
      paused: s.paused,
      maxTurns: s.maxTurns,
      rewrites: s.rewrites || s.kind !== "pairwise",
      promptWriting: s.promptWriting,
      promptsWritten: await countMyPrompts(ctx.db, { projectId: input.projectId, userId: ctx.user.id }),
    };
  }),

  /** The annotator's open conversation in the project, or a new one. */
  start: annotatorProcedure.input(z.object({ projectId: zId })).mutation(async ({ ctx, input }) => {
    const c = await startConversation(ctx.db, { projectId: input.projectId, userId: ctx.user.id });
    return await getConversationView(ctx.db, { conversationId: c.id, userId: ctx.user.id });
  }),

  view: annotatorProcedure
    .input(zConversation)
    .query(async ({ ctx, input }) => await getConversationView(ctx.db, { conversationId: input.conversationId, userId: ctx.user.id })),

  /** Records the message; the browser then opens the turn's stream. */
  send: annotatorProcedure
    .input(z.object({ conversationId: zId, text: z.string().max(20_000) }))
    .mutation(async ({ ctx, input }) => ({ turnId: (await sendMessage(ctx.db, { ...input, userId: ctx.user.id })).id })),

  regenerate: annotatorProcedure
    .input(zConversation)
    .mutation(async ({ ctx, input }) => ({ turnId: (await regenerateTurn(ctx.db, { ...input, userId: ctx.user.id })).id })),

  /** Judges the turn; in an arena the answer names the two generators (after the vote, never before). */
  judge: annotatorProcedure.input(zTurnJudgment).mutation(async ({ ctx, input }) => {
    const r = await judgeTurn(ctx.db, { userId: ctx.user.id, judgment: input });
    return { judgmentId: r.judgmentId, reveal: r.reveal };
  }),

  end: annotatorProcedure.input(zConversation).mutation(async ({ ctx, input }) => {
    const c = await endConversation(ctx.db, { ...input, userId: ctx.user.id });
    return { state: c.state };
  }),

  /** Attaches the annotator's improved version of the response they chose to their judgment. */
  rewrite: annotatorProcedure.input(z.object({ judgmentId: zId, text: z.string().max(50_000) })).mutation(async ({ ctx, input }) => {
    const r = await submitRewrite(ctx.db, { userId: ctx.user.id, ...input });
    return { id: r.id };
  }),

  myRewrite: annotatorProcedure
    .input(z.object({ judgmentId: zId }))
    .query(async ({ ctx, input }) => await getRewrite(ctx.db, { userId: ctx.user.id, judgmentId: input.judgmentId })),

  writePrompt: annotatorProcedure
    .input(z.object({ projectId: zId, prompt: z.string().max(20_000) }))
    .mutation(async ({ ctx, input }) => ({ id: (await writePrompt(ctx.db, { ...input, userId: ctx.user.id })).id })),

  settings: staffProcedure
    .input(z.object({ projectId: zId }))
    .query(async ({ ctx, input }) => await getLiveSettings(ctx.db, input.projectId)),

  /** Kind, generators, guard rails, the pause switch, rewrites and prompt writing. */
  setSettings: adminProcedure
    .input(z.object({ projectId: zId, settings: zLiveSettings }))
    .mutation(
      async ({ ctx, input }) =>
        await setLiveSettings(ctx.db, { projectId: input.projectId, settings: input.settings, actorId: ctx.user.id }),
    ),

  /** The admin form's create: the project and its live settings together (a bad generator creates nothing). */
  createProject: adminProcedure
    .input(z.object({ project: zProjectSettings, live: zLiveSettings.optional() }))
    .mutation(async ({ ctx, input }) => ({
      id: (await createLiveProject(ctx.db, { project: input.project, live: input.live, actorId: ctx.user.id })).project.id,
    })),
});

/** Reward models at work: playground scoring, project scoring jobs, model vs humans, active-learning queue. */
import { z } from "zod";
import { createTRPCRouter, researcherProcedure } from "@/server/api/trpc";
import { computeProjectStats } from "@/server/domain/quality/project-stats";
import { zContent, zId } from "@/server/domain/schemas";
import { listPlaygroundItems, scoreCandidates } from "@/server/domain/scoring/playground";
import {
  computeModelVsHumans,
  getScoringModel,
  peekQueue,
  reorderQueue,
  scoreProjectResponses,
} from "@/server/domain/scoring/project-scores";
import { QUEUE_STRATEGIES } from "@/server/domain/scoring/queue-order";
import { computeHeldOutAgreement } from "@/server/domain/training/held-out";
import { scorerFor, startProjectScoring } from "@/server/jobs/scoring";

const zScoredText = zContent.refine(
  (c) => (typeof c === "string" ? c.length : JSON.stringify(c).length) <= 200_000,
  "at most 200,000 characters",
);

/**
 * A playground candidate: at least one character once trimmed (a chat: some message with text). The
 * text itself is scored as written, whitespace included; a blank one has no reward worth showing.
 */
export const zCandidate = zScoredText.refine(
  (c) => (typeof c === "string" ? c.trim().length > 0 : c.some((m) => m.content.trim().length > 0)),
  "a candidate cannot be empty",
);

export const zScoreInput = z.object({
  modelId: zId,
  prompt: zScoredText,
  responses: z.array(zCandidate).min(1, "give at least one response").max(32),
});

export const scoringRouter = createTRPCRouter({
  /** Rewards for N candidate responses to one prompt, best-of-N order and pairwise P(i > j). */
  score: researcherProcedure.input(zScoreInput).mutation(async ({ ctx, input }) => {
    const model = await getScoringModel(ctx.db, input.modelId);
    return scoreCandidates({ prompt: input.prompt, responses: input.responses }, scorerFor(model));
  }),

  /** Items of a project to load into the playground. */
  items: researcherProcedure
    .input(z.object({ projectId: zId, limit: z.number().int().min(1).max(500).default(100) }))
    .query(async ({ ctx, input }) => await listPlaygroundItems(ctx.db, input)),

  /** Starts scoring a project's responses as a `score` job; poll research.job for its progress. */
  scoreProject: researcherProcedure
    .input(z.object({ projectId: zId, modelId: zId, scope: z.enum(["judged", "open", "all"]).default("judged") }))
    .mutation(async ({ ctx, input }) => (await startProjectScoring(ctx.db, { ...input, actorId: ctx.user.id })).job),

  /** Model-vs-human agreement on the stored scores, next to the human-human agreement of the quality page. */
  modelVsHumans: researcherProcedure
    .input(z.object({ projectId: zId, modelId: zId, disagreements: z.number().int().min(1).max(200).default(20) }))
    .query(async ({ ctx, input }) => {
      const result = await computeModelVsHumans(ctx.db, input);
      const stats = await computeProjectStats(ctx.db, { projectId: input.projectId, resamples: 0 });
      const { krippendorff_alpha, percent_agreement, items } = stats.agreement;
      // Headline: judgments the model never trained on; trained-on ones apart (they flatter it).
      const heldOut = await computeHeldOutAgreement(ctx.db, input);
      return { ...result, heldOut, humanHuman: { krippendorff_alpha, percent_agreement, items } };
    }),

  /** Scores the open items with the model(s), then rewrites the queue order; returns the next items. */
  reorderQueue: researcherProcedure
    .input(
      z.object({
        projectId: zId,
        strategy: z.enum(QUEUE_STRATEGIES),
        modelId: zId.optional(),
        versusModelId: zId.optional(),
        randomShare: z.number().min(0).max(1).default(0.1),
        seed: z.number().int().default(0),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      for (const id of [input.modelId, input.versusModelId]) {
        if (id === undefined) continue;
        const model = await getScoringModel(ctx.db, id);
        await scoreProjectResponses(ctx.db, { projectId: input.projectId, modelId: id, scope: "open", score: scorerFor(model) });
      }
      const r = await reorderQueue(ctx.db, { ...input, actorId: ctx.user.id });
      return {
        reordered: r.reordered,
        unscored: r.unscored,
        next: await peekQueue(ctx.db, { projectId: input.projectId, modelId: input.modelId, limit: 20 }),
      };
    }),

  /** The next open items in queue order with the model's margins. */
  queue: researcherProcedure
    .input(z.object({ projectId: zId, modelId: zId.optional(), limit: z.number().int().min(1).max(500).default(20) }))
    .query(async ({ ctx, input }) => await peekQueue(ctx.db, input)),
});

import { z } from "zod";
import { adminProcedure, annotatorProcedure, createTRPCRouter, staffProcedure } from "@/server/api/trpc";
import { getGoldFeedback, listGoldCandidates, markGold, setQualityRates, unmarkGold, zQualityRates } from "@/server/domain/gold";
import { setAnnotatorExclusion } from "@/server/domain/quality/exclusions";
import { computeGroupStats } from "@/server/domain/quality/group-stats";
import { computeProjectStats } from "@/server/domain/quality/project-stats";
import { zId } from "@/server/domain/schemas";

export const qualityRouter = createTRPCRouter({
  stats: staffProcedure
    .input(
      z.object({
        projectId: zId,
        baseline: z.string().trim().min(1).max(200).optional(),
        criterion: z.string().trim().min(1).max(200).optional(),
      }),
    )
    .query(async ({ ctx, input }) => await computeProjectStats(ctx.db, input)),

  /** The same figures per annotator group, and agreement between groups ("whose preferences?"). */
  groupStats: staffProcedure
    .input(
      z.object({
        projectId: zId,
        baseline: z.string().trim().min(1).max(200).optional(),
        criterion: z.string().trim().min(1).max(200).optional(),
      }),
    )
    .query(async ({ ctx, input }) => await computeGroupStats(ctx.db, input)),

  setExclusion: adminProcedure
    .input(z.object({ projectId: zId, userId: zId, excluded: z.boolean(), reason: z.string().max(500).optional() }))
    .mutation(async ({ ctx, input }) => await setAnnotatorExclusion(ctx.db, { ...input, actorId: ctx.user.id })),

  markGold: adminProcedure
    .input(
      z.object({ itemId: zId, accepted: z.array(z.string().trim().min(1).max(100)).min(1).max(20), explanation: z.string().max(5000) }),
    )
    .mutation(async ({ ctx, input }) => await markGold(ctx.db, { ...input, actorId: ctx.user.id })),

  /** A page of the project's items with their gold marks, for the gold page (admin view: models shown). */
  goldItems: staffProcedure
    .input(
      z.object({
        projectId: zId,
        after: z.number().int().min(0).optional(),
        limit: z.number().int().min(1).max(100).optional(),
        goldOnly: z.boolean().optional(),
      }),
    )
    .query(async ({ ctx, input }) => await listGoldCandidates(ctx.db, input)),

  /** Shares of each annotator's leases that are gold items and swapped repeats. */
  setRates: adminProcedure
    .input(zQualityRates)
    .mutation(async ({ ctx, input }) => await setQualityRates(ctx.db, { ...input, actorId: ctx.user.id })),

  unmarkGold: adminProcedure
    .input(z.object({ itemId: zId }))
    .mutation(async ({ ctx, input }) => await unmarkGold(ctx.db, { ...input, actorId: ctx.user.id })),

  /** The caller's own judgment only: gold or not, and after a miss the explanation. */
  goldFeedback: annotatorProcedure
    .input(z.object({ judgmentId: zId }))
    .query(async ({ ctx, input }) => await getGoldFeedback(ctx.db, { userId: ctx.user.id, judgmentId: input.judgmentId })),
});

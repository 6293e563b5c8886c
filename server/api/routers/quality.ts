import { z } from "zod";
import { adminProcedure, createTRPCRouter, staffProcedure } from "@/server/api/trpc";
import { setAnnotatorExclusion } from "@/server/domain/quality/exclusions";
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
    .query(({ ctx, input }) => computeProjectStats(ctx.db, input)),

  setExclusion: adminProcedure
    .input(z.object({ projectId: zId, userId: zId, excluded: z.boolean(), reason: z.string().max(500).optional() }))
    .mutation(({ ctx, input }) => setAnnotatorExclusion(ctx.db, { ...input, actorId: ctx.user.id })),
});

import { z } from "zod";
import { createTRPCRouter, staffProcedure } from "@/server/api/trpc";
import { listAuditEvents } from "@/server/domain/audit";

export const auditRouter = createTRPCRouter({
  /** Newest first; `cursor` is the id of the last event of the previous page. */
  list: staffProcedure
    .input(
      z.object({
        limit: z.number().int().min(1).max(500).default(100),
        cursor: z.number().int().positive().nullish(),
        actionPrefix: z.string().max(60).optional(),
      }),
    )
    .query(
      async ({ ctx, input }) =>
        await listAuditEvents(ctx.db, { limit: input.limit, beforeId: input.cursor ?? undefined, actionPrefix: input.actionPrefix }),
    ),
});

import { z } from "zod";
import { adminProcedure, createTRPCRouter, staffProcedure } from "@/server/api/trpc";
import { EXPORT_FORMATS } from "@/server/domain/export/formats";
import { zExportPolicies } from "@/server/domain/export/policies";
import { createStoredExport, diffSnapshots, getSnapshotDownload, listSnapshots } from "@/server/domain/export/snapshots";
import { zId } from "@/server/domain/schemas";

export const exportsRouter = createTRPCRouter({
  list: staffProcedure.input(z.object({ projectId: zId })).query(({ ctx, input }) => listSnapshots(ctx.db, input.projectId)),

  create: adminProcedure
    .input(z.object({ projectId: zId, format: z.enum(EXPORT_FORMATS), policies: zExportPolicies.partial().default({}) }))
    .mutation(({ ctx, input }) =>
      createStoredExport(ctx.db, { projectId: input.projectId, format: input.format, policies: input.policies, actorId: ctx.user.id }),
    ),

  diff: staffProcedure.input(z.object({ projectId: zId, from: zId, to: zId })).query(({ ctx, input }) => diffSnapshots(ctx.db, input)),

  /** A stored snapshot's download name and size; the bytes come from /api/exports/<id>, never a server path. */
  download: staffProcedure
    .input(z.object({ snapshotId: zId }))
    .output(z.object({ snapshotId: z.number(), filename: z.string(), format: z.string(), size: z.number() }))
    .query(({ ctx, input }) => getSnapshotDownload(ctx.db, input.snapshotId)),
});

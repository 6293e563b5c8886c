import { z } from "zod";
import { adminProcedure, createTRPCRouter, staffProcedure } from "@/server/api/trpc";
import { EXPORT_FORMATS } from "@/server/domain/export/formats";
import { zExportPolicies } from "@/server/domain/export/policies";
import { createStoredExport, diffSnapshots, getSnapshotFile, listSnapshots } from "@/server/domain/export/snapshots";
import { zId } from "@/server/domain/schemas";

export const exportsRouter = createTRPCRouter({
  list: staffProcedure.input(z.object({ projectId: zId })).query(({ ctx, input }) => listSnapshots(ctx.db, input.projectId)),

  create: adminProcedure
    .input(z.object({ projectId: zId, format: z.enum(EXPORT_FORMATS), policies: zExportPolicies.partial().default({}) }))
    .mutation(({ ctx, input }) =>
      createStoredExport(ctx.db, { projectId: input.projectId, format: input.format, policies: input.policies, actorId: ctx.user.id }),
    ),

  diff: staffProcedure.input(z.object({ projectId: zId, from: zId, to: zId })).query(({ ctx, input }) => diffSnapshots(ctx.db, input)),

  /** For the download route handler: where the file is (role-checked like every procedure). */
  file: staffProcedure.input(z.object({ snapshotId: zId })).query(({ ctx, input }) => getSnapshotFile(ctx.db, input.snapshotId)),
});

import { z } from "zod";
import { adminProcedure, createTRPCRouter, staffProcedure } from "@/server/api/trpc";
import { getExportProgress, trackExportProgress } from "@/server/domain/export/export-progress";
import { EXPORT_FORMATS } from "@/server/domain/export/formats";
import { zExportPoliciesInput } from "@/server/domain/export/policies";
import { createStoredExport, diffSnapshots, getSnapshotDownload, listSnapshots } from "@/server/domain/export/snapshots";
import { zId } from "@/server/domain/schemas";

export const exportsRouter = createTRPCRouter({
  list: staffProcedure.input(z.object({ projectId: zId })).query(async ({ ctx, input }) => await listSnapshots(ctx.db, input.projectId)),

  /**
   * `runId` (optional, chosen by the page) makes the export's progress visible to `exports.progress`.
   * Policies left out take the format's defaults (raw keeps every judgment); `group` keeps one annotator group's.
   */
  create: adminProcedure
    .input(
      z.object({
        projectId: zId,
        format: z.enum(EXPORT_FORMATS),
        policies: zExportPoliciesInput.default({}),
        group: z.string().trim().min(1).max(80).optional(),
        runId: z.string().uuid().optional(),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      const tracker = input.runId ? trackExportProgress(input.projectId, input.runId) : null;
      try {
        return await createStoredExport(ctx.db, {
          projectId: input.projectId,
          format: input.format,
          policies: input.policies,
          group: input.group,
          actorId: ctx.user.id,
          onProgress: tracker?.onProgress,
        });
      } finally {
        tracker?.finish();
      }
    }),

  progress: adminProcedure
    .input(z.object({ projectId: zId, runId: z.string().uuid() }))
    .query(({ input }) => getExportProgress(input.projectId, input.runId)),

  diff: staffProcedure
    .input(z.object({ projectId: zId, from: zId, to: zId }))
    .query(async ({ ctx, input }) => await diffSnapshots(ctx.db, input)),

  /** A stored snapshot's download name and size; the bytes come from /api/exports/<id>, never a server path. */
  download: staffProcedure
    .input(z.object({ snapshotId: zId }))
    .output(z.object({ snapshotId: z.number(), filename: z.string(), format: z.string(), size: z.number() }))
    .query(async ({ ctx, input }) => await getSnapshotDownload(ctx.db, input.snapshotId)),
});

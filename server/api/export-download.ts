/**
 * Server side of the export download route: the role check and the file lookup happen here, on the
 * server, through the role-checked `exports.download` procedure; the browser only ever learns the
 * snapshot id, the file name and the size, never where the file lives on disk.
 */
import type { ReadStream } from "node:fs";
import { createCaller } from "@/server/api/root";
import type { Context } from "@/server/api/trpc";
import { recordAuditEvent } from "@/server/domain/audit";
import { openSnapshotFile } from "@/server/domain/export/snapshots";

export type ExportDownload = { filename: string; format: string; size: number; stream: ReadStream };

/** Throws the procedure's TRPCError (UNAUTHORIZED / FORBIDDEN / NOT_FOUND) when the caller may not have it. */
export async function openExportDownload(ctx: Context, snapshotId: number): Promise<ExportDownload> {
  const meta = await createCaller(ctx).exports.download({ snapshotId });
  const stream = await openSnapshotFile(ctx.db, snapshotId);
  try {
    // Who took a copy of the data out, and when (the role check above passed, so ctx.user is set).
    await recordAuditEvent(ctx.db, {
      actorId: ctx.user?.id,
      action: "export.download",
      detail: { snapshot: snapshotId, file: meta.filename },
    });
  } catch (e) {
    stream.destroy();
    throw e;
  }
  return { filename: meta.filename, format: meta.format, size: meta.size, stream };
}

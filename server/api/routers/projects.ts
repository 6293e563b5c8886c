import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { ReadableStream as WebReadableStream } from "node:stream/web";
import { z } from "zod";
import { adminProcedure, createTRPCRouter, staffProcedure } from "@/server/api/trpc";
import { IMPORT_FORMATS } from "@/server/domain/import/import-items";
import { getImportRun, startImportRun } from "@/server/domain/import/import-runs";
import { getProjectAccess, setProjectAccess, updateProjectMembers, zAccessInput, zMembersInput } from "@/server/domain/membership";
import { createProject, getProject, getProjectStatus, listProjects } from "@/server/domain/projects";
import { zId, zProjectSettings } from "@/server/domain/schemas";

const zImportForm = z.instanceof(FormData).transform((form, ctx) => {
  const projectId = Number(form.get("projectId"));
  const file = form.get("file");
  const format = IMPORT_FORMATS.find((f) => f === (form.get("format") ?? "arbiter"));
  if (format === undefined) {
    ctx.addIssue({ code: "custom", path: ["format"], message: `format is one of ${IMPORT_FORMATS.join(", ")}` });
    return z.NEVER;
  }
  if (!Number.isInteger(projectId) || projectId <= 0) {
    ctx.addIssue({ code: "custom", path: ["projectId"], message: "choose a project" });
    return z.NEVER;
  }
  if (!(file instanceof File) || file.size === 0) {
    ctx.addIssue({ code: "custom", path: ["file"], message: "choose a non-empty JSONL file" });
    return z.NEVER;
  }
  return { projectId, file, format };
});

export const projectsRouter = createTRPCRouter({
  list: staffProcedure.query(async ({ ctx }) => await listProjects(ctx.db)),

  get: staffProcedure.input(z.object({ projectId: zId })).query(async ({ ctx, input }) => {
    const p = await getProject(ctx.db, input.projectId);
    return { ...p, status: await getProjectStatus(ctx.db, p.id) };
  }),

  create: adminProcedure.input(zProjectSettings).mutation(async ({ ctx, input }) => await createProject(ctx.db, input, ctx.user.id)),

  /**
   * Uploads a JSONL file (arbiter, hh or trl): it is copied to a temporary file, then checked and
   * imported in the background; poll `importStatus` for progress and the result. All or nothing: one
   * bad line and nothing is written. tRPC parses a multipart body with `Request.formData()`, which
   * holds the upload in memory: browser uploads suit files of up to a few hundred MB; the CLI streams
   * files of any size.
   */
  import: adminProcedure.input(zImportForm).mutation(async ({ ctx, input }) => {
    await getProject(ctx.db, input.projectId);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "arbiter-upload-"));
    const cleanup = () => fs.rmSync(dir, { recursive: true, force: true });
    const file = path.join(dir, "upload.jsonl");
    try {
      await pipeline(Readable.fromWeb(input.file.stream() as WebReadableStream), fs.createWriteStream(file));
    } catch (e) {
      cleanup();
      throw e;
    }
    return startImportRun(ctx.db, {
      projectId: input.projectId,
      file,
      fileName: input.file.name,
      totalBytes: input.file.size,
      format: input.format,
      actorId: ctx.user.id,
      cleanup,
    });
  }),

  /** Open or members-only, the required group, and the members (admin page /admin/projects/[id]/members). */
  access: staffProcedure
    .input(z.object({ projectId: zId }))
    .query(async ({ ctx, input }) => await getProjectAccess(ctx.db, input.projectId)),

  setAccess: adminProcedure
    .input(zAccessInput)
    .mutation(async ({ ctx, input }) => await setProjectAccess(ctx.db, { ...input, actorId: ctx.user.id })),

  /** Adds and removes members by email (all or nothing); returns the members afterwards. */
  setMembers: adminProcedure
    .input(zMembersInput)
    .mutation(async ({ ctx, input }) => await updateProjectMembers(ctx.db, { ...input, actorId: ctx.user.id })),

  importStatus: adminProcedure
    .input(z.object({ projectId: zId, importId: z.string().uuid() }))
    .query(({ input }) => getImportRun(input.projectId, input.importId)),
});

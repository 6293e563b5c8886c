import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { ReadableStream as WebReadableStream } from "node:stream/web";
import { z } from "zod";
import { adminProcedure, createTRPCRouter, staffProcedure } from "@/server/api/trpc";
import { importItems } from "@/server/domain/import/import-items";
import { createProject, getProject, getProjectStatus, listProjects } from "@/server/domain/projects";
import { zId, zProjectSettings } from "@/server/domain/schemas";

const zImportForm = z.instanceof(FormData).transform((form, ctx) => {
  const projectId = Number(form.get("projectId"));
  const file = form.get("file");
  if (!Number.isInteger(projectId) || projectId <= 0) {
    ctx.addIssue({ code: "custom", path: ["projectId"], message: "choose a project" });
    return z.NEVER;
  }
  if (!(file instanceof File) || file.size === 0) {
    ctx.addIssue({ code: "custom", path: ["file"], message: "choose a non-empty JSONL file" });
    return z.NEVER;
  }
  return { projectId, file };
});

export const projectsRouter = createTRPCRouter({
  list: staffProcedure.query(({ ctx }) => listProjects(ctx.db)),

  get: staffProcedure.input(z.object({ projectId: zId })).query(({ ctx, input }) => {
    const p = getProject(ctx.db, input.projectId);
    return { ...p, status: getProjectStatus(ctx.db, p.id) };
  }),

  create: adminProcedure.input(zProjectSettings).mutation(({ ctx, input }) => createProject(ctx.db, input, ctx.user.id)),

  /**
   * Uploads a JSONL file: it is spooled to a temporary file (streamed, never held whole) and
   * imported in one transaction. Returns every bad line; nothing is written when there is one.
   */
  import: adminProcedure.input(zImportForm).mutation(async ({ ctx, input }) => {
    getProject(ctx.db, input.projectId);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "arbiter-upload-"));
    const file = path.join(dir, "upload.jsonl");
    try {
      await pipeline(Readable.fromWeb(input.file.stream() as WebReadableStream), fs.createWriteStream(file));
      const result = importItems(ctx.db, { projectId: input.projectId, file, actorId: ctx.user.id });
      return { ...result, fileName: input.file.name };
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }),
});

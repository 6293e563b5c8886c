/**
 * A project's live-generation settings: its kind (pairwise, conversation, arena), the generators a
 * conversation draws from, and the guard rails (max turns, max tokens, per-annotator rate limit,
 * pause switch), plus the rewrite and prompt-writing switches any project may turn on. Written once
 * for both engines (server/database.ts).
 */
import { eq } from "drizzle-orm";
import { z } from "zod";
import { PROJECT_KINDS, projectLiveSettings, projects } from "@/db/schema";
import { type Conn, domainOp, forUpdateOnPg, type Op } from "@/server/database";
import { recordAuditEvent } from "@/server/domain/audit";
import { AppError, parseInput } from "@/server/domain/errors";
import { getGenerator } from "@/server/domain/generation/registry";
import { createProject, getProject, type Project } from "@/server/domain/projects";
import type { ProjectSettingsInput } from "@/server/domain/schemas";

export type LiveSettings = typeof projectLiveSettings.$inferSelect;

export const zLiveSettings = z.object({
  kind: z.enum(PROJECT_KINDS).optional(),
  /** Generator names or ids. */
  generators: z
    .array(z.union([z.string().trim().min(1), z.number().int().positive()]))
    .max(50)
    .optional(),
  maxTurns: z.number().int().min(1).max(100).optional(),
  systemPrompt: z.string().max(20_000).nullable().optional(),
  maxTokens: z.number().int().min(1).max(32_768).optional(),
  temperature: z.number().min(0).max(2).optional(),
  rateLimitPerMinute: z.number().int().min(0).max(1000).optional(),
  paused: z.boolean().optional(),
  rewrites: z.boolean().optional(),
  promptWriting: z.boolean().optional(),
});
export type LiveSettingsInput = z.input<typeof zLiveSettings>;

/** The stored settings, or the defaults of a plain pairwise project when it has none. */
export const getLiveSettings = domainOp(function* getLiveSettings(c: Conn, projectId: number): Op<LiveSettings> {
  const row = yield* c.first(c.q.select().from(projectLiveSettings).where(eq(projectLiveSettings.projectId, projectId)));
  if (row) return row;
  return {
    projectId,
    kind: "pairwise",
    generatorIds: [],
    maxTurns: 10,
    systemPrompt: null,
    maxTokens: 512,
    temperature: 0.7,
    rateLimitPerMinute: 10,
    paused: false,
    rewrites: false,
    promptWriting: false,
    updatedAt: 0,
  };
});

/**
 * Changes a project's live settings (only the fields given). A conversation or arena project needs at
 * least two live generators: a conversation draws two of them.
 */
export const setLiveSettings = domainOp(function* setLiveSettings(
  c: Conn,
  params: { projectId: number; settings: LiveSettingsInput; actorId?: number },
): Op<LiveSettings> {
  return yield* c.transaction(function* (tx): Op<LiveSettings> {
    yield* getProject.op(tx, params.projectId);
    // PostgreSQL: the settings are read, merged and written back; two admins changing different fields
    // at once must not each write back the other's old values. The project row (always there, unlike the
    // settings row) makes them take turns.
    if (tx.engine === "postgres")
      yield* tx.first(forUpdateOnPg(tx.engine, tx.q.select({ id: projects.id }).from(projects).where(eq(projects.id, params.projectId))));
    const input = parseInput(zLiveSettings, params.settings, "settings");
    const current = yield* getLiveSettings.op(tx, params.projectId);
    let generatorIds = current.generatorIds;
    if (input.generators) {
      generatorIds = [];
      for (const ref of input.generators) generatorIds.push((yield* getGenerator.op(tx, ref)).id);
    }
    if (new Set(generatorIds).size !== generatorIds.length)
      throw new AppError("BAD_INPUT", "generators: a generator is listed twice", [{ field: "generators", message: "listed twice" }]);
    const kind = input.kind ?? current.kind;
    if (kind !== "pairwise" && generatorIds.length < 2)
      throw new AppError("BAD_INPUT", `generators: a ${kind} project needs at least two generators`, [
        { field: "generators", message: "at least two" },
      ]);
    const { generators: _, ...rest } = input;
    const values = { ...current, ...rest, kind, generatorIds, projectId: params.projectId, updatedAt: Math.floor(Date.now() / 1000) };
    const row = yield* tx.first(
      tx.q
        .insert(projectLiveSettings)
        .values(values)
        .onConflictDoUpdate({ target: projectLiveSettings.projectId, set: values })
        .returning(),
    );
    if (!row) throw new Error("the live settings' row did not come back");
    yield* recordAuditEvent.op(tx, {
      actorId: params.actorId,
      action: "project.live-settings",
      projectId: params.projectId,
      detail: { ...rest, kind, generators: generatorIds },
    });
    return row;
  });
});

/** A project and its live settings in one transaction: a bad generator name leaves no project behind. */
export const createLiveProject = domainOp(function* createLiveProject(
  c: Conn,
  params: { project: ProjectSettingsInput; live?: LiveSettingsInput; actorId?: number },
): Op<{ project: Project; live: LiveSettings }> {
  return yield* c.transaction(function* (tx): Op<{ project: Project; live: LiveSettings }> {
    const project = yield* createProject.op(tx, params.project, params.actorId);
    const live = params.live
      ? yield* setLiveSettings.op(tx, { projectId: project.id, settings: params.live, actorId: params.actorId })
      : yield* getLiveSettings.op(tx, project.id);
    return { project, live };
  });
});

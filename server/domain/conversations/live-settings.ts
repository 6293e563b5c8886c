/**
 * A project's live-generation settings: its kind (pairwise, conversation, arena), the generators a
 * conversation draws from, and the guard rails (max turns, max tokens, per-annotator rate limit,
 * pause switch), plus the rewrite and prompt-writing switches any project may turn on.
 */
import { eq, sql } from "drizzle-orm";
import { z } from "zod";
import { PROJECT_KINDS, projectLiveSettings } from "@/db/schema";
import { type Db, transaction } from "@/server/db";
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
export function getLiveSettings(db: Db, projectId: number): LiveSettings {
  const row = db.select().from(projectLiveSettings).where(eq(projectLiveSettings.projectId, projectId)).get();
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
}

/**
 * Changes a project's live settings (only the fields given). A conversation or arena project needs at
 * least two live generators: a conversation draws two of them.
 */
export function setLiveSettings(db: Db, params: { projectId: number; settings: LiveSettingsInput; actorId?: number }): LiveSettings {
  getProject(db, params.projectId);
  const input = parseInput(zLiveSettings, params.settings, "settings");
  const current = getLiveSettings(db, params.projectId);
  const generatorIds = input.generators?.map((ref) => getGenerator(db, ref).id) ?? current.generatorIds;
  if (new Set(generatorIds).size !== generatorIds.length)
    throw new AppError("BAD_INPUT", "generators: a generator is listed twice", [{ field: "generators", message: "listed twice" }]);
  const kind = input.kind ?? current.kind;
  if (kind !== "pairwise" && generatorIds.length < 2)
    throw new AppError("BAD_INPUT", `generators: a ${kind} project needs at least two generators`, [
      { field: "generators", message: "at least two" },
    ]);
  const { generators: _, ...rest } = input;
  const values = { ...current, ...rest, kind, generatorIds, projectId: params.projectId };
  const row = db
    .insert(projectLiveSettings)
    .values(values)
    .onConflictDoUpdate({ target: projectLiveSettings.projectId, set: { ...values, updatedAt: sql`(unixepoch())` } })
    .returning()
    .get();
  recordAuditEvent(db, {
    actorId: params.actorId,
    action: "project.live-settings",
    projectId: params.projectId,
    detail: { ...rest, kind, generators: generatorIds },
  });
  return row;
}

/** A project and its live settings in one transaction: a bad generator name leaves no project behind. */
export function createLiveProject(
  db: Db,
  params: { project: ProjectSettingsInput; live?: LiveSettingsInput; actorId?: number },
): { project: Project; live: LiveSettings } {
  return transaction(db, () => {
    const project = createProject(db, params.project, params.actorId);
    const live = params.live
      ? setLiveSettings(db, { projectId: project.id, settings: params.live, actorId: params.actorId })
      : getLiveSettings(db, project.id);
    return { project, live };
  });
}

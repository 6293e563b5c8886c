import { sql } from "drizzle-orm";
import { index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { jobs, models } from "./jobs";
import { type Content, projects } from "./projects";
import { users } from "./users";

export const GENERATOR_KINDS = ["local", "external"] as const;
export type GeneratorKind = (typeof GENERATOR_KINDS)[number];
export const GENERATOR_DEVICES = ["auto", "cpu", "cuda"] as const;

/**
 * A named source of responses: a local Hugging Face causal LM served by our worker, or an external
 * OpenAI-compatible endpoint. Only the NAME of the environment variable holding an API key is stored.
 * A removed generator keeps its row (rounds point at it) with `removedAt` set; its name is free again.
 */
export const generators = sqliteTable(
  "generators",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    name: text("name").notNull(),
    kind: text("kind", { enum: GENERATOR_KINDS }).notNull(),
    /** local: the model spec (folder or Hub id); external: the served model name. */
    model: text("model").notNull(),
    /** external: the OpenAI-compatible base URL (…/v1). */
    url: text("url"),
    apiKeyEnv: text("api_key_env"),
    device: text("device", { enum: GENERATOR_DEVICES }).notNull().default("auto"),
    /** What the endpoint reported at the last test (its /v1/models id, or the local spec). */
    version: text("version"),
    lastTest: text("last_test", { mode: "json" }).$type<Record<string, unknown>>(),
    createdBy: integer("created_by").references(() => users.id),
    createdAt: integer("created_at").notNull().default(sql`(unixepoch())`),
    removedAt: integer("removed_at"),
  },
  (t) => [uniqueIndex("generators_live_name_unique").on(t.name).where(sql`removed_at IS NULL`)],
);

/**
 * One sampling job of a project: the generators it used (with their versions then), the sampling
 * params, the reward model that selected responses, and the prompts file's sha256. Items it made
 * carry its id (items.round_id); `number` counts a project's rounds from 1.
 */
export const rounds = sqliteTable(
  "rounds",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    projectId: integer("project_id")
      .notNull()
      .references(() => projects.id),
    number: integer("number").notNull(),
    jobId: integer("job_id")
      .notNull()
      .references(() => jobs.id),
    generators: text("generators", { mode: "json" })
      .$type<{ id: number; name: string; kind: GeneratorKind; model: string; url: string | null; version: string | null }[]>()
      .notNull(),
    params: text("params", { mode: "json" }).$type<Record<string, unknown>>().notNull(),
    rewardModelId: integer("reward_model_id").references(() => models.id),
    promptsSha256: text("prompts_sha256").notNull(),
    promptCount: integer("prompt_count").notNull(),
    createdBy: integer("created_by").references(() => users.id),
    createdAt: integer("created_at").notNull().default(sql`(unixepoch())`),
  },
  (t) => [uniqueIndex("rounds_project_number_unique").on(t.projectId, t.number), uniqueIndex("rounds_job_unique").on(t.jobId)],
);

export const GENERATION_PROMPT_STATES = ["pending", "done", "failed"] as const;
export type GenerationPromptState = (typeof GENERATION_PROMPT_STATES)[number];

/**
 * The prompts of a sampling job, one row each, written when the job is created. A prompt becomes
 * `done` in the same transaction that stores its item(s), so a job resumed after a crash generates
 * only the prompts still `pending`: never one twice, never half an item.
 */
export const generationPrompts = sqliteTable(
  "generation_prompts",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    jobId: integer("job_id")
      .notNull()
      .references(() => jobs.id),
    /** 1-based line in the prompts file. */
    line: integer("line").notNull(),
    externalId: text("external_id").notNull(),
    prompt: text("prompt", { mode: "json" }).$type<Content>().notNull(),
    metadata: text("metadata", { mode: "json" }).$type<Record<string, unknown>>().notNull().default(sql`'{}'`),
    /** Which generator samples which slot: [{generator, sample}] (ids into the round's generators). */
    plan: text("plan", { mode: "json" }).$type<{ generator: number; sample: number }[]>().notNull(),
    /** Pairs of plan slots that become items ([[0,1]] for one pair, all pairs, or one K-way item). */
    groups: text("groups", { mode: "json" }).$type<number[][]>().notNull(),
    state: text("state", { enum: GENERATION_PROMPT_STATES }).notNull().default("pending"),
    attempts: integer("attempts").notNull().default(0),
    error: text("error"),
    tokens: integer("tokens").notNull().default(0),
    itemIds: text("item_ids", { mode: "json" }).$type<number[]>(),
    updatedAt: integer("updated_at"),
  },
  (t) => [
    uniqueIndex("generation_prompts_job_line_unique").on(t.jobId, t.line),
    index("generation_prompts_state_idx").on(t.jobId, t.state),
  ],
);

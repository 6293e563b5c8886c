import { sql } from "drizzle-orm";
import { bigint, index, pgTable, text, uniqueIndex } from "drizzle-orm/pg-core";
import { GENERATION_PROMPT_STATES, GENERATOR_DEVICES, GENERATOR_KINDS, type GeneratorKind } from "../schema/generation";
import type { Content } from "../schema/projects";
import { jsonText, unixNow } from "./columns";
import { jobs, models } from "./jobs";
import { projects } from "./projects";
import { users } from "./users";

/**
 * A named source of responses: a local Hugging Face causal LM served by our worker, or an external
 * OpenAI-compatible endpoint. Only the NAME of the environment variable holding an API key is stored.
 * A removed generator keeps its row (rounds point at it) with `removedAt` set; its name is free again.
 */
export const generators = pgTable(
  "generators",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedByDefaultAsIdentity(),
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
    lastTest: jsonText("last_test").$type<Record<string, unknown>>(),
    createdBy: bigint("created_by", { mode: "number" }).references(() => users.id),
    createdAt: bigint("created_at", { mode: "number" }).notNull().default(unixNow),
    removedAt: bigint("removed_at", { mode: "number" }),
  },
  (t) => [uniqueIndex("generators_live_name_unique").on(t.name).where(sql`removed_at IS NULL`)],
);

/**
 * One sampling job of a project: the generators it used (with their versions then), the sampling
 * params, the reward model that selected responses, and the prompts file's sha256. Items it made
 * carry its id (items.round_id); `number` counts a project's rounds from 1.
 */
export const rounds = pgTable(
  "rounds",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedByDefaultAsIdentity(),
    projectId: bigint("project_id", { mode: "number" })
      .notNull()
      .references(() => projects.id),
    number: bigint("number", { mode: "number" }).notNull(),
    jobId: bigint("job_id", { mode: "number" })
      .notNull()
      .references(() => jobs.id),
    generators: jsonText("generators")
      .$type<{ id: number; name: string; kind: GeneratorKind; model: string; url: string | null; version: string | null }[]>()
      .notNull(),
    params: jsonText("params").$type<Record<string, unknown>>().notNull(),
    rewardModelId: bigint("reward_model_id", { mode: "number" }).references(() => models.id),
    promptsSha256: text("prompts_sha256").notNull(),
    promptCount: bigint("prompt_count", { mode: "number" }).notNull(),
    createdBy: bigint("created_by", { mode: "number" }).references(() => users.id),
    createdAt: bigint("created_at", { mode: "number" }).notNull().default(unixNow),
  },
  (t) => [uniqueIndex("rounds_project_number_unique").on(t.projectId, t.number), uniqueIndex("rounds_job_unique").on(t.jobId)],
);

/**
 * The prompts of a sampling job, one row each, written when the job is created. A prompt becomes
 * `done` in the same transaction that stores its item(s), so a job resumed after a crash generates
 * only the prompts still `pending`: never one twice, never half an item.
 */
export const generationPrompts = pgTable(
  "generation_prompts",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedByDefaultAsIdentity(),
    jobId: bigint("job_id", { mode: "number" })
      .notNull()
      .references(() => jobs.id),
    /** 1-based line in the prompts file. */
    line: bigint("line", { mode: "number" }).notNull(),
    externalId: text("external_id").notNull(),
    prompt: jsonText("prompt").$type<Content>().notNull(),
    metadata: jsonText("metadata").$type<Record<string, unknown>>().notNull().default(sql`'{}'`),
    /** Which generator samples which slot: [{generator, sample}] (ids into the round's generators). */
    plan: jsonText("plan").$type<{ generator: number; sample: number }[]>().notNull(),
    /** Pairs of plan slots that become items ([[0,1]] for one pair, all pairs, or one K-way item). */
    groups: jsonText("groups").$type<number[][]>().notNull(),
    state: text("state", { enum: GENERATION_PROMPT_STATES }).notNull().default("pending"),
    attempts: bigint("attempts", { mode: "number" }).notNull().default(0),
    error: text("error"),
    tokens: bigint("tokens", { mode: "number" }).notNull().default(0),
    itemIds: jsonText("item_ids").$type<number[]>(),
    updatedAt: bigint("updated_at", { mode: "number" }),
  },
  (t) => [
    uniqueIndex("generation_prompts_job_line_unique").on(t.jobId, t.line),
    index("generation_prompts_state_idx").on(t.jobId, t.state),
  ],
);

import { sql } from "drizzle-orm";
import { index, integer, primaryKey, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { judgments } from "./judgments";
import { projects } from "./projects";
import { snapshots } from "./snapshots";
import { users } from "./users";

export const JOB_KINDS = ["train", "score", "generate"] as const;
export const JOB_STATES = ["queued", "running", "succeeded", "failed", "cancelled"] as const;
export type JobState = (typeof JOB_STATES)[number];

/** A training or scoring run of the Python trainer. `pid` is set while a process runs it. */
export const jobs = sqliteTable(
  "jobs",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    projectId: integer("project_id").references(() => projects.id),
    kind: text("kind", { enum: JOB_KINDS }).notNull(),
    config: text("config", { mode: "json" }).$type<Record<string, unknown>>().notNull(),
    state: text("state", { enum: JOB_STATES }).notNull().default("queued"),
    snapshotId: integer("snapshot_id").references(() => snapshots.id),
    progress: text("progress", { mode: "json" }).$type<Record<string, unknown>>(),
    metrics: text("metrics", { mode: "json" }).$type<Record<string, unknown>>(),
    error: text("error"),
    log: text("log").notNull().default(""),
    pid: integer("pid"),
    checkpoint: text("checkpoint"),
    createdBy: integer("created_by").references(() => users.id),
    createdAt: integer("created_at").notNull().default(sql`(unixepoch())`),
    startedAt: integer("started_at"),
    finishedAt: integer("finished_at"),
  },
  (t) => [index("jobs_state_idx").on(t.state, t.id)],
);

/** Every protocol line a job printed (progress, eval, checkpoint…): the curves the UI plots. */
export const jobEvents = sqliteTable(
  "job_events",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    jobId: integer("job_id")
      .notNull()
      .references(() => jobs.id),
    type: text("type").notNull(),
    payload: text("payload", { mode: "json" }).$type<Record<string, unknown>>().notNull(),
    createdAt: integer("created_at").notNull().default(sql`(unixepoch())`),
  },
  (t) => [index("job_events_job_idx").on(t.jobId, t.id)],
);

export const JOB_SPLITS = ["train", "eval"] as const;

/**
 * Exactly which judgments a training job trained on (`train`) and held out (`eval`): the server decides
 * the split (whole items in one split, seeded) and writes it on every training row, so the held-out
 * numbers a model shows are on judgments it never saw.
 */
export const jobJudgments = sqliteTable(
  "job_judgments",
  {
    jobId: integer("job_id")
      .notNull()
      .references(() => jobs.id),
    judgmentId: integer("judgment_id")
      .notNull()
      .references(() => judgments.id),
    split: text("split", { enum: JOB_SPLITS }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.jobId, t.judgmentId] }), index("job_judgments_judgment_idx").on(t.judgmentId)],
);

/** A trained reward model: a directory in Hugging Face sequence-classification layout. */
export const models = sqliteTable("models", {
  id: integer("id").primaryKey({ autoIncrement: true }),
  name: text("name").notNull(),
  projectId: integer("project_id").references(() => projects.id),
  jobId: integer("job_id").references(() => jobs.id),
  snapshotId: integer("snapshot_id").references(() => snapshots.id),
  base: text("base").notNull(),
  dir: text("dir").notNull(),
  config: text("config", { mode: "json" }).$type<Record<string, unknown>>().notNull().default(sql`'{}'`),
  metrics: text("metrics", { mode: "json" }).$type<Record<string, unknown>>().notNull().default(sql`'{}'`),
  createdAt: integer("created_at").notNull().default(sql`(unixepoch())`),
});

import { sql } from "drizzle-orm";
import { bigint, index, pgTable, primaryKey, text } from "drizzle-orm/pg-core";
import { JOB_KINDS, JOB_SPLITS, JOB_STATES } from "../schema/jobs";
import { jsonText, unixNow } from "./columns";
import { judgments } from "./judgments";
import { projects } from "./projects";
import { snapshots } from "./snapshots";
import { users } from "./users";

/** A training or scoring run of the Python trainer. `pid` is set while a process runs it. */
export const jobs = pgTable(
  "jobs",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedByDefaultAsIdentity(),
    projectId: bigint("project_id", { mode: "number" }).references(() => projects.id),
    kind: text("kind", { enum: JOB_KINDS }).notNull(),
    config: jsonText("config").$type<Record<string, unknown>>().notNull(),
    state: text("state", { enum: JOB_STATES }).notNull().default("queued"),
    snapshotId: bigint("snapshot_id", { mode: "number" }).references(() => snapshots.id),
    progress: jsonText("progress").$type<Record<string, unknown>>(),
    metrics: jsonText("metrics").$type<Record<string, unknown>>(),
    error: text("error"),
    log: text("log").notNull().default(""),
    pid: bigint("pid", { mode: "number" }),
    checkpoint: text("checkpoint"),
    createdBy: bigint("created_by", { mode: "number" }).references(() => users.id),
    createdAt: bigint("created_at", { mode: "number" }).notNull().default(unixNow),
    startedAt: bigint("started_at", { mode: "number" }),
    finishedAt: bigint("finished_at", { mode: "number" }),
  },
  (t) => [index("jobs_state_idx").on(t.state, t.id)],
);

/** Every protocol line a job printed (progress, eval, checkpoint…): the curves the UI plots. */
export const jobEvents = pgTable(
  "job_events",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedByDefaultAsIdentity(),
    jobId: bigint("job_id", { mode: "number" })
      .notNull()
      .references(() => jobs.id),
    type: text("type").notNull(),
    payload: jsonText("payload").$type<Record<string, unknown>>().notNull(),
    createdAt: bigint("created_at", { mode: "number" }).notNull().default(unixNow),
  },
  (t) => [index("job_events_job_idx").on(t.jobId, t.id)],
);

/**
 * Exactly which judgments a training job trained on (`train`) and held out (`eval`): the server decides
 * the split (whole items in one split, seeded) and writes it on every training row, so the held-out
 * numbers a model shows are on judgments it never saw.
 */
export const jobJudgments = pgTable(
  "job_judgments",
  {
    jobId: bigint("job_id", { mode: "number" })
      .notNull()
      .references(() => jobs.id),
    judgmentId: bigint("judgment_id", { mode: "number" })
      .notNull()
      .references(() => judgments.id),
    split: text("split", { enum: JOB_SPLITS }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.jobId, t.judgmentId] }), index("job_judgments_judgment_idx").on(t.judgmentId)],
);

/** A trained reward model: a directory in Hugging Face sequence-classification layout. */
export const models = pgTable("models", {
  id: bigint("id", { mode: "number" }).primaryKey().generatedByDefaultAsIdentity(),
  name: text("name").notNull(),
  projectId: bigint("project_id", { mode: "number" }).references(() => projects.id),
  jobId: bigint("job_id", { mode: "number" }).references(() => jobs.id),
  snapshotId: bigint("snapshot_id", { mode: "number" }).references(() => snapshots.id),
  base: text("base").notNull(),
  dir: text("dir").notNull(),
  config: jsonText("config").$type<Record<string, unknown>>().notNull().default(sql`'{}'`),
  metrics: jsonText("metrics").$type<Record<string, unknown>>().notNull().default(sql`'{}'`),
  createdAt: bigint("created_at", { mode: "number" }).notNull().default(unixNow),
});

import { sql } from "drizzle-orm";
import { bigint, index, pgTable, primaryKey, text } from "drizzle-orm/pg-core";
import { jsonText, unixNow } from "./columns";
import { judgments } from "./judgments";
import { projects } from "./projects";
import { users } from "./users";

/**
 * An export's manifest: what was exported, under which policies, and exactly which judgments, so
 * the file can be traced back and re-created byte for byte.
 */
export const snapshots = pgTable(
  "snapshots",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedByDefaultAsIdentity(),
    projectId: bigint("project_id", { mode: "number" })
      .notNull()
      .references(() => projects.id),
    format: text("format").notNull(),
    filter: jsonText("filter").$type<Record<string, unknown>>().notNull().default(sql`'{}'`),
    policies: jsonText("policies").$type<Record<string, unknown>>().notNull().default(sql`'{}'`),
    rowCount: bigint("row_count", { mode: "number" }).notNull(),
    sha256: text("sha256").notNull(),
    createdBy: bigint("created_by", { mode: "number" }).references(() => users.id),
    createdAt: bigint("created_at", { mode: "number" }).notNull().default(unixNow),
  },
  (t) => [index("snapshots_project_idx").on(t.projectId, t.id)],
);

/** Lineage: the judgments a snapshot used. */
export const snapshotJudgments = pgTable(
  "snapshot_judgments",
  {
    snapshotId: bigint("snapshot_id", { mode: "number" })
      .notNull()
      .references(() => snapshots.id),
    judgmentId: bigint("judgment_id", { mode: "number" })
      .notNull()
      .references(() => judgments.id),
  },
  (t) => [primaryKey({ columns: [t.snapshotId, t.judgmentId] })],
);

/** Annotators an admin excluded from a project's exports and statistics. */
export const annotatorExclusions = pgTable(
  "annotator_exclusions",
  {
    projectId: bigint("project_id", { mode: "number" })
      .notNull()
      .references(() => projects.id),
    userId: bigint("user_id", { mode: "number" })
      .notNull()
      .references(() => users.id),
    reason: text("reason").notNull().default(""),
    createdBy: bigint("created_by", { mode: "number" }).references(() => users.id),
    createdAt: bigint("created_at", { mode: "number" }).notNull().default(unixNow),
  },
  (t) => [primaryKey({ columns: [t.projectId, t.userId] })],
);

import { sql } from "drizzle-orm";
import { index, integer, primaryKey, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { judgments } from "./judgments";
import { projects } from "./projects";
import { users } from "./users";

/**
 * An export's manifest: what was exported, under which policies, and exactly which judgments, so
 * the file can be traced back and re-created byte for byte.
 */
export const snapshots = sqliteTable(
  "snapshots",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    projectId: integer("project_id")
      .notNull()
      .references(() => projects.id),
    format: text("format").notNull(),
    filter: text("filter", { mode: "json" }).$type<Record<string, unknown>>().notNull().default(sql`'{}'`),
    policies: text("policies", { mode: "json" }).$type<Record<string, unknown>>().notNull().default(sql`'{}'`),
    rowCount: integer("row_count").notNull(),
    sha256: text("sha256").notNull(),
    createdBy: integer("created_by").references(() => users.id),
    createdAt: integer("created_at").notNull().default(sql`(unixepoch())`),
  },
  (t) => [index("snapshots_project_idx").on(t.projectId, t.id)],
);

/** Lineage: the judgments a snapshot used. */
export const snapshotJudgments = sqliteTable(
  "snapshot_judgments",
  {
    snapshotId: integer("snapshot_id")
      .notNull()
      .references(() => snapshots.id),
    judgmentId: integer("judgment_id")
      .notNull()
      .references(() => judgments.id),
  },
  (t) => [primaryKey({ columns: [t.snapshotId, t.judgmentId] })],
);

/** Annotators an admin excluded from a project's exports and statistics. */
export const annotatorExclusions = sqliteTable(
  "annotator_exclusions",
  {
    projectId: integer("project_id")
      .notNull()
      .references(() => projects.id),
    userId: integer("user_id")
      .notNull()
      .references(() => users.id),
    reason: text("reason").notNull().default(""),
    createdBy: integer("created_by").references(() => users.id),
    createdAt: integer("created_at").notNull().default(sql`(unixepoch())`),
  },
  (t) => [primaryKey({ columns: [t.projectId, t.userId] })],
);

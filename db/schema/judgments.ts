import { sql } from "drizzle-orm";
import { index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { items, projects } from "./projects";
import { users } from "./users";

export const ASSIGNMENT_STATES = ["active", "submitted", "expired", "skipped"] as const;
export type AssignmentState = (typeof ASSIGNMENT_STATES)[number];

/**
 * An item leased to one annotator until `deadline` (unix ms), with the order its responses were
 * shown in (`shownOrder[i]` = index of the response shown at position i). One lease per
 * (item, annotator): nobody is handed the same item twice.
 */
export const assignments = sqliteTable(
  "assignments",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    projectId: integer("project_id")
      .notNull()
      .references(() => projects.id),
    itemId: integer("item_id")
      .notNull()
      .references(() => items.id),
    userId: integer("user_id")
      .notNull()
      .references(() => users.id),
    shownOrder: text("shown_order", { mode: "json" }).$type<number[]>().notNull(),
    state: text("state", { enum: ASSIGNMENT_STATES }).notNull().default("active"),
    leasedAt: integer("leased_at").notNull(),
    deadline: integer("deadline").notNull(),
    closedAt: integer("closed_at"),
    /** Set on a deliberate swapped repeat: the earlier assignment of the same item to the same annotator. */
    repeatOf: integer("repeat_of"),
    /** Set when a skipped lease came back to its annotator at the end of their queue (it comes back once). */
    returnedAt: integer("returned_at"),
  },
  (t) => [
    uniqueIndex("assignments_item_user_unique").on(t.itemId, t.userId).where(sql`repeat_of IS NULL`),
    // Full index for "has this annotator ever had this item" (repeats included) in the lease seek.
    index("assignments_item_user_idx").on(t.itemId, t.userId),
    index("assignments_active_deadline_idx").on(t.deadline).where(sql`state = 'active'`),
    index("assignments_user_active_idx").on(t.userId, t.projectId).where(sql`state = 'active'`),
    // Swapped repeats per annotator (few rows): progress counts judgments minus these without a join.
    index("assignments_user_repeat_idx").on(t.userId, t.projectId).where(sql`repeat_of IS NOT NULL`),
    // Skipped leases waiting to come back at the end of the annotator's queue (few rows), oldest first.
    index("assignments_user_skipped_idx")
      .on(t.userId, t.projectId, t.closedAt)
      .where(sql`state = 'skipped' AND returned_at IS NULL AND repeat_of IS NULL`),
  ],
);

export const OUTCOMES = ["a", "b", "tie", "both_bad", "ranking"] as const;
export type Outcome = (typeof OUTCOMES)[number];
export const JUDGMENT_SOURCES = ["ui", "import", "api"] as const;

/** Per-criterion answers, keyed by criterion name; values are outcomes in canonical (stored) order. */
export type CriteriaOutcomes = Record<string, "a" | "b" | "tie" | "both_bad">;

/**
 * Append-only. Outcomes are stored in canonical response order (`a` = responses[0]), never in
 * screen order; `shownOrder` keeps what the annotator saw so position bias can be measured.
 * A correction is a new row whose `supersedesId` points at the row it replaces.
 */
export const judgments = sqliteTable(
  "judgments",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    projectId: integer("project_id")
      .notNull()
      .references(() => projects.id),
    itemId: integer("item_id")
      .notNull()
      .references(() => items.id),
    assignmentId: integer("assignment_id").references(() => assignments.id),
    annotatorId: integer("annotator_id")
      .notNull()
      .references(() => users.id),
    shownOrder: text("shown_order", { mode: "json" }).$type<number[]>(),
    outcome: text("outcome", { enum: OUTCOMES }).notNull(),
    ranking: text("ranking", { mode: "json" }).$type<number[]>(),
    strength: integer("strength"),
    criteria: text("criteria", { mode: "json" }).$type<CriteriaOutcomes>().notNull().default(sql`'{}'`),
    rationale: text("rationale"),
    timeOnTaskMs: integer("time_on_task_ms"),
    clientSubmissionId: text("client_submission_id"),
    supersedesId: integer("supersedes_id"),
    source: text("source", { enum: JUDGMENT_SOURCES }).notNull().default("ui"),
    createdAt: integer("created_at").notNull().default(sql`(unixepoch())`),
  },
  (t) => [
    uniqueIndex("judgments_client_submission_unique").on(t.clientSubmissionId),
    index("judgments_project_item_idx").on(t.projectId, t.itemId),
    index("judgments_annotator_project_idx").on(t.annotatorId, t.projectId),
    // Revisions per annotator (few rows): progress counts judgments minus these without a scan.
    index("judgments_annotator_revision_idx").on(t.annotatorId, t.projectId).where(sql`supersedes_id IS NOT NULL`),
  ],
);

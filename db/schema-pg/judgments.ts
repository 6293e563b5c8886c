import { sql } from "drizzle-orm";
import { bigint, index, pgTable, text, uniqueIndex } from "drizzle-orm/pg-core";
import { ASSIGNMENT_STATES, type CriteriaOutcomes, JUDGMENT_SOURCES, OUTCOMES } from "../schema/judgments";
import { jsonText, unixNow } from "./columns";
import { items, projects } from "./projects";
import { users } from "./users";

/**
 * An item leased to one annotator until `deadline` (unix ms), with the order its responses were
 * shown in (`shownOrder[i]` = index of the response shown at position i). One lease per
 * (item, annotator): nobody is handed the same item twice.
 */
export const assignments = pgTable(
  "assignments",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedByDefaultAsIdentity(),
    projectId: bigint("project_id", { mode: "number" })
      .notNull()
      .references(() => projects.id),
    itemId: bigint("item_id", { mode: "number" })
      .notNull()
      .references(() => items.id),
    userId: bigint("user_id", { mode: "number" })
      .notNull()
      .references(() => users.id),
    shownOrder: jsonText("shown_order").$type<number[]>().notNull(),
    state: text("state", { enum: ASSIGNMENT_STATES }).notNull().default("active"),
    leasedAt: bigint("leased_at", { mode: "number" }).notNull(),
    deadline: bigint("deadline", { mode: "number" }).notNull(),
    closedAt: bigint("closed_at", { mode: "number" }),
    /** Set on a deliberate swapped repeat: the earlier assignment of the same item to the same annotator. */
    repeatOf: bigint("repeat_of", { mode: "number" }),
    /** Set when a skipped lease came back to its annotator at the end of their queue (it comes back once). */
    returnedAt: bigint("returned_at", { mode: "number" }),
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

/**
 * Append-only. Outcomes are stored in canonical response order (`a` = responses[0]), never in
 * screen order; `shownOrder` keeps what the annotator saw so position bias can be measured.
 * A correction is a new row whose `supersedesId` points at the row it replaces.
 */
export const judgments = pgTable(
  "judgments",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedByDefaultAsIdentity(),
    projectId: bigint("project_id", { mode: "number" })
      .notNull()
      .references(() => projects.id),
    itemId: bigint("item_id", { mode: "number" })
      .notNull()
      .references(() => items.id),
    assignmentId: bigint("assignment_id", { mode: "number" }).references(() => assignments.id),
    annotatorId: bigint("annotator_id", { mode: "number" })
      .notNull()
      .references(() => users.id),
    shownOrder: jsonText("shown_order").$type<number[]>(),
    outcome: text("outcome", { enum: OUTCOMES }).notNull(),
    ranking: jsonText("ranking").$type<number[]>(),
    strength: bigint("strength", { mode: "number" }),
    criteria: jsonText("criteria").$type<CriteriaOutcomes>().notNull().default(sql`'{}'`),
    rationale: text("rationale"),
    timeOnTaskMs: bigint("time_on_task_ms", { mode: "number" }),
    clientSubmissionId: text("client_submission_id"),
    supersedesId: bigint("supersedes_id", { mode: "number" }),
    source: text("source", { enum: JUDGMENT_SOURCES }).notNull().default("ui"),
    createdAt: bigint("created_at", { mode: "number" }).notNull().default(unixNow),
  },
  (t) => [
    uniqueIndex("judgments_client_submission_unique").on(t.clientSubmissionId),
    index("judgments_project_item_idx").on(t.projectId, t.itemId),
    index("judgments_annotator_project_idx").on(t.annotatorId, t.projectId),
    // Revisions per annotator (few rows): progress counts judgments minus these without a scan.
    index("judgments_annotator_revision_idx").on(t.annotatorId, t.projectId).where(sql`supersedes_id IS NOT NULL`),
  ],
);

import { sql } from "drizzle-orm";
import { type AnyPgColumn, bigint, boolean, doublePrecision, index, pgTable, text, uniqueIndex } from "drizzle-orm/pg-core";
import { type Content, PROJECT_ACCESS, RATIONALE_POLICIES } from "../schema/projects";
import { jsonText, unixNow } from "./columns";
import { rounds } from "./generation";
import { annotatorGroups, users } from "./users";

export const projects = pgTable(
  "projects",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedByDefaultAsIdentity(),
    name: text("name").notNull(),
    instructions: text("instructions").notNull().default(""),
    criteria: jsonText("criteria").$type<string[]>().notNull().default(sql`'[]'`),
    overlap: bigint("overlap", { mode: "number" }).notNull().default(3),
    rationalePolicy: text("rationale_policy", { enum: RATIONALE_POLICIES }).notNull().default("optional"),
    strengthScale: boolean("strength_scale").notNull().default(true),
    goldRate: doublePrecision("gold_rate").notNull().default(0),
    /** Share of an annotator's items that are repeats of an item they judged, sides swapped. */
    repeatRate: doublePrecision("repeat_rate").notNull().default(0),
    leaseSeconds: bigint("lease_seconds", { mode: "number" }).notNull().default(900),
    /** How long after submitting an annotator may still revise a judgment (minutes; 0 = never). */
    revisionMinutes: bigint("revision_minutes", { mode: "number" }).notNull().default(1440),
    access: text("access", { enum: PROJECT_ACCESS }).notNull().default("open"),
    /** Only annotators of this group may work on the project (null: any group, or none). */
    requiredGroupId: bigint("required_group_id", { mode: "number" }).references(() => annotatorGroups.id),
    // Counters kept by the import and judgment transactions so progress never needs a scan.
    queueSeq: bigint("queue_seq", { mode: "number" }).notNull().default(0),
    itemCount: bigint("item_count", { mode: "number" }).notNull().default(0),
    doneSlots: bigint("done_slots", { mode: "number" }).notNull().default(0),
    createdBy: bigint("created_by", { mode: "number" }).references(() => users.id),
    createdAt: bigint("created_at", { mode: "number" }).notNull().default(unixNow),
  },
  (t) => [uniqueIndex("projects_name_unique").on(t.name)],
);

/**
 * An item is one prompt with K >= 2 responses. The queue lives on the item row itself:
 * `queuePos` orders the project's queue, `openSlots` counts how many more annotators may lease it
 * (overlap minus live leases minus submitted judgments). The partial index over open items keeps
 * the lease query an index seek however many leases and judgments pile up.
 */
export const items = pgTable(
  "items",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedByDefaultAsIdentity(),
    projectId: bigint("project_id", { mode: "number" })
      .notNull()
      .references(() => projects.id),
    externalId: text("external_id"),
    prompt: jsonText("prompt").$type<Content>().notNull(),
    metadata: jsonText("metadata").$type<Record<string, unknown>>().notNull().default(sql`'{}'`),
    k: bigint("k", { mode: "number" }).notNull(),
    queuePos: bigint("queue_pos", { mode: "number" }).notNull(),
    openSlots: bigint("open_slots", { mode: "number" }).notNull(),
    doneCount: bigint("done_count", { mode: "number" }).notNull().default(0),
    /** The sampling round that generated this item (null for imported items). */
    roundId: bigint("round_id", { mode: "number" }).references((): AnyPgColumn => rounds.id),
    createdAt: bigint("created_at", { mode: "number" }).notNull().default(unixNow),
  },
  (t) => [
    uniqueIndex("items_project_external_unique").on(t.projectId, t.externalId),
    index("items_open_queue_idx").on(t.projectId, t.queuePos).where(sql`open_slots > 0`),
    index("items_project_idx").on(t.projectId, t.id),
  ],
);

export const responses = pgTable(
  "responses",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedByDefaultAsIdentity(),
    itemId: bigint("item_id", { mode: "number" })
      .notNull()
      .references(() => items.id),
    idx: bigint("idx", { mode: "number" }).notNull(),
    model: text("model").notNull(),
    content: jsonText("content").$type<Content>().notNull(),
  },
  (t) => [uniqueIndex("responses_item_idx_unique").on(t.itemId, t.idx)],
);

/** Gold items: an accepted outcome set (e.g. ["a:3", "a:4"] or ["a"]) and what to show after a miss. */
export const gold = pgTable("gold", {
  itemId: bigint("item_id", { mode: "number" })
    .primaryKey()
    .references(() => items.id),
  accepted: jsonText("accepted").$type<string[]>().notNull(),
  explanation: text("explanation").notNull().default(""),
  createdBy: bigint("created_by", { mode: "number" }).references(() => users.id),
  createdAt: bigint("created_at", { mode: "number" }).notNull().default(unixNow),
});

/**
 * Each annotator walks a project's queue forward: `pos` is the last queue position they were offered.
 * Items behind it were offered already (or full at the time); an item whose lease expires is moved to
 * a fresh position at the tail, so nobody's cursor has to move backwards.
 */
export const queueCursors = pgTable(
  "queue_cursors",
  {
    userId: bigint("user_id", { mode: "number" })
      .notNull()
      .references(() => users.id),
    projectId: bigint("project_id", { mode: "number" })
      .notNull()
      .references(() => projects.id),
    pos: bigint("pos", { mode: "number" }).notNull(),
  },
  (t) => [uniqueIndex("queue_cursors_pk").on(t.userId, t.projectId)],
);

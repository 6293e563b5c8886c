import { sql } from "drizzle-orm";
import { type AnySQLiteColumn, index, integer, real, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { rounds } from "./generation";
import { annotatorGroups, users } from "./users";

/** `open`: every annotator may work on it; `members`: only its members (project_members) may see it. */
export const PROJECT_ACCESS = ["open", "members"] as const;
export type ProjectAccess = (typeof PROJECT_ACCESS)[number];

export const RATIONALE_POLICIES = ["off", "optional", "required"] as const;
export type RationalePolicy = (typeof RATIONALE_POLICIES)[number];

/** A chat message, the shape every chat template and HF dataset uses. */
export type Message = { role: "system" | "user" | "assistant"; content: string };
/** A prompt or a response: plain text, or a list of chat messages. */
export type Content = string | Message[];

export const projects = sqliteTable(
  "projects",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    name: text("name").notNull(),
    instructions: text("instructions").notNull().default(""),
    criteria: text("criteria", { mode: "json" }).$type<string[]>().notNull().default(sql`'[]'`),
    overlap: integer("overlap").notNull().default(3),
    rationalePolicy: text("rationale_policy", { enum: RATIONALE_POLICIES }).notNull().default("optional"),
    strengthScale: integer("strength_scale", { mode: "boolean" }).notNull().default(true),
    goldRate: real("gold_rate").notNull().default(0),
    /** Share of an annotator's items that are repeats of an item they judged, sides swapped. */
    repeatRate: real("repeat_rate").notNull().default(0),
    leaseSeconds: integer("lease_seconds").notNull().default(900),
    /** How long after submitting an annotator may still revise a judgment (minutes; 0 = never). */
    revisionMinutes: integer("revision_minutes").notNull().default(1440),
    access: text("access", { enum: PROJECT_ACCESS }).notNull().default("open"),
    /** Only annotators of this group may work on the project (null: any group, or none). */
    requiredGroupId: integer("required_group_id").references(() => annotatorGroups.id),
    // Counters kept by the import and judgment transactions so progress never needs a scan.
    queueSeq: integer("queue_seq").notNull().default(0),
    itemCount: integer("item_count").notNull().default(0),
    doneSlots: integer("done_slots").notNull().default(0),
    createdBy: integer("created_by").references(() => users.id),
    createdAt: integer("created_at").notNull().default(sql`(unixepoch())`),
  },
  (t) => [uniqueIndex("projects_name_unique").on(t.name)],
);

/**
 * An item is one prompt with K >= 2 responses. The queue lives on the item row itself:
 * `queuePos` orders the project's queue, `openSlots` counts how many more annotators may lease it
 * (overlap minus live leases minus submitted judgments). The partial index over open items keeps
 * the lease query an index seek however many leases and judgments pile up.
 */
export const items = sqliteTable(
  "items",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    projectId: integer("project_id")
      .notNull()
      .references(() => projects.id),
    externalId: text("external_id"),
    prompt: text("prompt", { mode: "json" }).$type<Content>().notNull(),
    metadata: text("metadata", { mode: "json" }).$type<Record<string, unknown>>().notNull().default(sql`'{}'`),
    k: integer("k").notNull(),
    queuePos: integer("queue_pos").notNull(),
    openSlots: integer("open_slots").notNull(),
    doneCount: integer("done_count").notNull().default(0),
    /** The sampling round that generated this item (null for imported items). */
    roundId: integer("round_id").references((): AnySQLiteColumn => rounds.id),
    createdAt: integer("created_at").notNull().default(sql`(unixepoch())`),
  },
  (t) => [
    uniqueIndex("items_project_external_unique").on(t.projectId, t.externalId),
    index("items_open_queue_idx").on(t.projectId, t.queuePos).where(sql`open_slots > 0`),
    index("items_project_idx").on(t.projectId, t.id),
  ],
);

export const responses = sqliteTable(
  "responses",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    itemId: integer("item_id")
      .notNull()
      .references(() => items.id),
    idx: integer("idx").notNull(),
    model: text("model").notNull(),
    content: text("content", { mode: "json" }).$type<Content>().notNull(),
  },
  (t) => [uniqueIndex("responses_item_idx_unique").on(t.itemId, t.idx)],
);

/** Gold items: an accepted outcome set (e.g. ["a:3", "a:4"] or ["a"]) and what to show after a miss. */
export const gold = sqliteTable("gold", {
  itemId: integer("item_id")
    .primaryKey()
    .references(() => items.id),
  accepted: text("accepted", { mode: "json" }).$type<string[]>().notNull(),
  explanation: text("explanation").notNull().default(""),
  createdBy: integer("created_by").references(() => users.id),
  createdAt: integer("created_at").notNull().default(sql`(unixepoch())`),
});

/**
 * Each annotator walks a project's queue forward: `pos` is the last queue position they were offered.
 * Items behind it were offered already (or full at the time); an item whose lease expires is moved to
 * a fresh position at the tail, so nobody's cursor has to move backwards.
 */
export const queueCursors = sqliteTable(
  "queue_cursors",
  {
    userId: integer("user_id")
      .notNull()
      .references(() => users.id),
    projectId: integer("project_id")
      .notNull()
      .references(() => projects.id),
    pos: integer("pos").notNull(),
  },
  (t) => [uniqueIndex("queue_cursors_pk").on(t.userId, t.projectId)],
);

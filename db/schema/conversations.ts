import { sql } from "drizzle-orm";
import { index, integer, real, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { judgments } from "./judgments";
import { type Content, items, type Message, projects } from "./projects";
import { users } from "./users";

/** pairwise: imported or sampled items; conversation: live HH-style chats; arena: blind battles, names after the vote. */
export const PROJECT_KINDS = ["pairwise", "conversation", "arena"] as const;
export type ProjectKind = (typeof PROJECT_KINDS)[number];

/**
 * A project's live-generation settings, one row per project that has any (a project without a row is a
 * plain pairwise project). Kept beside `projects` rather than on it so the live modes stay one aggregate.
 */
export const projectLiveSettings = sqliteTable("project_live_settings", {
  projectId: integer("project_id")
    .primaryKey()
    .references(() => projects.id),
  kind: text("kind", { enum: PROJECT_KINDS }).notNull().default("pairwise"),
  /** The generators a conversation draws its two from (ids into generators). */
  generatorIds: text("generator_ids", { mode: "json" }).$type<number[]>().notNull().default(sql`'[]'`),
  maxTurns: integer("max_turns").notNull().default(10),
  systemPrompt: text("system_prompt"),
  maxTokens: integer("max_tokens").notNull().default(512),
  temperature: real("temperature").notNull().default(0.7),
  /** Messages one annotator may send per minute (0 = no limit). */
  rateLimitPerMinute: integer("rate_limit_per_minute").notNull().default(10),
  /** Live generation stopped by an admin: no new conversations or messages. */
  paused: integer("paused", { mode: "boolean" }).notNull().default(false),
  /** Annotators may improve the better response before submitting (rewrites). */
  rewrites: integer("rewrites", { mode: "boolean" }).notNull().default(false),
  /** Annotators may write prompts under the project's guidelines. */
  promptWriting: integer("prompt_writing", { mode: "boolean" }).notNull().default(false),
  updatedAt: integer("updated_at").notNull().default(sql`(unixepoch())`),
});

export const CONVERSATION_STATES = ["open", "ended", "abandoned"] as const;
export type ConversationState = (typeof CONVERSATION_STATES)[number];

/**
 * One annotator's live session with two blinded generators. `generatorIds[0]` answers as
 * responses[0] of every item the conversation makes; `shownOrder` is the fixed screen order
 * (shownOrder[p] = response index at position p). `messages` is the conversation so far along the
 * chosen answers (no system prompt). `deadline` (unix ms) moves with each action; past it, the
 * conversation is abandoned with its judged turns kept.
 */
export const conversations = sqliteTable(
  "conversations",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    projectId: integer("project_id")
      .notNull()
      .references(() => projects.id),
    userId: integer("user_id")
      .notNull()
      .references(() => users.id),
    kind: text("kind", { enum: ["conversation", "arena"] }).notNull(),
    generatorIds: text("generator_ids", { mode: "json" }).$type<number[]>().notNull(),
    shownOrder: text("shown_order", { mode: "json" }).$type<number[]>().notNull(),
    messages: text("messages", { mode: "json" }).$type<Message[]>().notNull().default(sql`'[]'`),
    state: text("state", { enum: CONVERSATION_STATES }).notNull().default("open"),
    judgedTurns: integer("judged_turns").notNull().default(0),
    deadline: integer("deadline").notNull(),
    createdAt: integer("created_at").notNull().default(sql`(unixepoch())`),
    endedAt: integer("ended_at"),
  },
  (t) => [
    index("conversations_user_idx").on(t.userId, t.projectId, t.state),
    index("conversations_open_deadline_idx").on(t.deadline).where(sql`state = 'open'`),
  ],
);

export const TURN_STATES = ["generating", "ready", "judged", "failed"] as const;
export type TurnState = (typeof TURN_STATES)[number];

/**
 * One message of the annotator and the two answers to it (canonical order). A judged turn points at
 * the item and judgment it became; a regenerated turn ("both bad") is a new row with the same message.
 */
export const conversationTurns = sqliteTable(
  "conversation_turns",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    conversationId: integer("conversation_id")
      .notNull()
      .references(() => conversations.id),
    /** 1-based: the how-many-th annotator message. */
    turn: integer("turn").notNull(),
    userMessage: text("user_message").notNull(),
    answers: text("answers", { mode: "json" }).$type<(string | null)[]>().notNull().default(sql`'[null,null]'`),
    state: text("state", { enum: TURN_STATES }).notNull().default("generating"),
    error: text("error"),
    itemId: integer("item_id").references(() => items.id),
    judgmentId: integer("judgment_id").references(() => judgments.id),
    /** Timings (ms since the turn started): first token of either answer, both answers complete. */
    firstTokenMs: integer("first_token_ms"),
    completeMs: integer("complete_ms"),
    startedAt: integer("started_at").notNull(),
  },
  (t) => [index("conversation_turns_conversation_idx").on(t.conversationId, t.id)],
);

/** A human-improved response attached to a judgment: an SFT demonstration (and improved ≻ chosen). */
export const rewrites = sqliteTable(
  "rewrites",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    judgmentId: integer("judgment_id")
      .notNull()
      .references(() => judgments.id),
    itemId: integer("item_id")
      .notNull()
      .references(() => items.id),
    userId: integer("user_id")
      .notNull()
      .references(() => users.id),
    /** The canonical index of the response the annotator improved (the chosen one). */
    responseIdx: integer("response_idx").notNull(),
    text: text("text").notNull(),
    createdAt: integer("created_at").notNull().default(sql`(unixepoch())`),
  },
  (t) => [uniqueIndex("rewrites_judgment_unique").on(t.judgmentId), index("rewrites_item_idx").on(t.itemId)],
);

/** A prompt an annotator wrote under the project's guidelines (prompt-writing tasks). */
export const writtenPrompts = sqliteTable(
  "written_prompts",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    projectId: integer("project_id")
      .notNull()
      .references(() => projects.id),
    userId: integer("user_id")
      .notNull()
      .references(() => users.id),
    prompt: text("prompt", { mode: "json" }).$type<Content>().notNull(),
    createdAt: integer("created_at").notNull().default(sql`(unixepoch())`),
  },
  (t) => [index("written_prompts_project_idx").on(t.projectId, t.id)],
);

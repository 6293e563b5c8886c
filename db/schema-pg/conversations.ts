import { sql } from "drizzle-orm";
import { bigint, boolean, doublePrecision, index, pgTable, text, uniqueIndex } from "drizzle-orm/pg-core";
import { CONVERSATION_STATES, PROJECT_KINDS, TURN_STATES } from "../schema/conversations";
import type { Content, Message } from "../schema/projects";
import { jsonText, unixNow } from "./columns";
import { judgments } from "./judgments";
import { items, projects } from "./projects";
import { users } from "./users";

/**
 * A project's live-generation settings, one row per project that has any (a project without a row is a
 * plain pairwise project). Kept beside `projects` rather than on it so the live modes stay one aggregate.
 */
export const projectLiveSettings = pgTable("project_live_settings", {
  projectId: bigint("project_id", { mode: "number" })
    .primaryKey()
    .references(() => projects.id),
  kind: text("kind", { enum: PROJECT_KINDS }).notNull().default("pairwise"),
  /** The generators a conversation draws its two from (ids into generators). */
  generatorIds: jsonText("generator_ids").$type<number[]>().notNull().default(sql`'[]'`),
  maxTurns: bigint("max_turns", { mode: "number" }).notNull().default(10),
  systemPrompt: text("system_prompt"),
  maxTokens: bigint("max_tokens", { mode: "number" }).notNull().default(512),
  temperature: doublePrecision("temperature").notNull().default(0.7),
  /** Messages one annotator may send per minute (0 = no limit). */
  rateLimitPerMinute: bigint("rate_limit_per_minute", { mode: "number" }).notNull().default(10),
  /** Live generation stopped by an admin: no new conversations or messages. */
  paused: boolean("paused").notNull().default(false),
  /** Annotators may improve the better response before submitting (rewrites). */
  rewrites: boolean("rewrites").notNull().default(false),
  /** Annotators may write prompts under the project's guidelines. */
  promptWriting: boolean("prompt_writing").notNull().default(false),
  updatedAt: bigint("updated_at", { mode: "number" }).notNull().default(unixNow),
});

/**
 * One annotator's live session with two blinded generators. `generatorIds[0]` answers as
 * responses[0] of every item the conversation makes; `shownOrder` is the fixed screen order
 * (shownOrder[p] = response index at position p). `messages` is the conversation so far along the
 * chosen answers (no system prompt). `deadline` (unix ms) moves with each action; past it, the
 * conversation is abandoned with its judged turns kept.
 */
export const conversations = pgTable(
  "conversations",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedByDefaultAsIdentity(),
    projectId: bigint("project_id", { mode: "number" })
      .notNull()
      .references(() => projects.id),
    userId: bigint("user_id", { mode: "number" })
      .notNull()
      .references(() => users.id),
    kind: text("kind", { enum: ["conversation", "arena"] }).notNull(),
    generatorIds: jsonText("generator_ids").$type<number[]>().notNull(),
    shownOrder: jsonText("shown_order").$type<number[]>().notNull(),
    messages: jsonText("messages").$type<Message[]>().notNull().default(sql`'[]'`),
    state: text("state", { enum: CONVERSATION_STATES }).notNull().default("open"),
    judgedTurns: bigint("judged_turns", { mode: "number" }).notNull().default(0),
    deadline: bigint("deadline", { mode: "number" }).notNull(),
    createdAt: bigint("created_at", { mode: "number" }).notNull().default(unixNow),
    endedAt: bigint("ended_at", { mode: "number" }),
  },
  (t) => [
    index("conversations_user_idx").on(t.userId, t.projectId, t.state),
    index("conversations_open_deadline_idx").on(t.deadline).where(sql`state = 'open'`),
  ],
);

/**
 * One message of the annotator and the two answers to it (canonical order). A judged turn points at
 * the item and judgment it became; a regenerated turn ("both bad") is a new row with the same message.
 */
export const conversationTurns = pgTable(
  "conversation_turns",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedByDefaultAsIdentity(),
    conversationId: bigint("conversation_id", { mode: "number" })
      .notNull()
      .references(() => conversations.id),
    /** 1-based: the how-many-th annotator message. */
    turn: bigint("turn", { mode: "number" }).notNull(),
    userMessage: text("user_message").notNull(),
    answers: jsonText("answers").$type<(string | null)[]>().notNull().default(sql`'[null,null]'`),
    state: text("state", { enum: TURN_STATES }).notNull().default("generating"),
    error: text("error"),
    itemId: bigint("item_id", { mode: "number" }).references(() => items.id),
    judgmentId: bigint("judgment_id", { mode: "number" }).references(() => judgments.id),
    /** Timings (ms since the turn started): first token of either answer, both answers complete. */
    firstTokenMs: bigint("first_token_ms", { mode: "number" }),
    completeMs: bigint("complete_ms", { mode: "number" }),
    startedAt: bigint("started_at", { mode: "number" }).notNull(),
  },
  (t) => [index("conversation_turns_conversation_idx").on(t.conversationId, t.id)],
);

/** A human-improved response attached to a judgment: an SFT demonstration (and improved ≻ chosen). */
export const rewrites = pgTable(
  "rewrites",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedByDefaultAsIdentity(),
    judgmentId: bigint("judgment_id", { mode: "number" })
      .notNull()
      .references(() => judgments.id),
    itemId: bigint("item_id", { mode: "number" })
      .notNull()
      .references(() => items.id),
    userId: bigint("user_id", { mode: "number" })
      .notNull()
      .references(() => users.id),
    /** The canonical index of the response the annotator improved (the chosen one). */
    responseIdx: bigint("response_idx", { mode: "number" }).notNull(),
    text: text("text").notNull(),
    createdAt: bigint("created_at", { mode: "number" }).notNull().default(unixNow),
  },
  (t) => [uniqueIndex("rewrites_judgment_unique").on(t.judgmentId), index("rewrites_item_idx").on(t.itemId)],
);

/** A prompt an annotator wrote under the project's guidelines (prompt-writing tasks). */
export const writtenPrompts = pgTable(
  "written_prompts",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedByDefaultAsIdentity(),
    projectId: bigint("project_id", { mode: "number" })
      .notNull()
      .references(() => projects.id),
    userId: bigint("user_id", { mode: "number" })
      .notNull()
      .references(() => users.id),
    prompt: jsonText("prompt").$type<Content>().notNull(),
    createdAt: bigint("created_at", { mode: "number" }).notNull().default(unixNow),
  },
  (t) => [index("written_prompts_project_idx").on(t.projectId, t.id)],
);

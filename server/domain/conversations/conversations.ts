/**
 * Live conversations (Anthropic HH's collection) and arena battles (Chatbot Arena's): one annotator
 * talks with two blinded generators drawn from the project's; both answer each message; the annotator
 * judges the pair and the conversation goes on from the chosen answer. Each judged turn becomes an
 * ordinary Item (prompt = the conversation so far as chat messages, responses = the two answers,
 * generator names as models) with its Judgment, in one transaction, so statistics, exports, training
 * and scoring treat it like any other item.
 *
 * No network here: `generateTurn` takes the two samplers as parameters (server/generation builds
 * them over the GenerationClient); an AbortSignal stops both answers when the annotator leaves.
 */
import { and, eq, gte, inArray, lt, sql } from "drizzle-orm";
import { z } from "zod";
import {
  assignments,
  conversations,
  conversationTurns,
  generators,
  items,
  judgments,
  type Message,
  projects,
  responses,
} from "@/db/schema";
import { type Db, transaction } from "@/server/db";
import { AppError, parseInput } from "@/server/domain/errors";
import { validateSubmission } from "@/server/domain/judgments";
import { allocateQueuePositions, getProject } from "@/server/domain/projects";
import { zPairOutcome, zStrength } from "@/server/domain/schemas";
import { getLiveSettings } from "./live-settings";

export type Conversation = typeof conversations.$inferSelect;
export type ConversationTurn = typeof conversationTurns.$inferSelect;

/** One streamed chat completion; `onDelta` gets each piece of text as it arrives. */
export type LiveSampler = (
  messages: Message[],
  params: { maxTokens: number; temperature: number },
  opts: { stream: true; signal?: AbortSignal; onDelta?: (text: string) => void },
) => Promise<{ text: string }>;

export const MAX_MESSAGE_CHARS = 20_000;

/** A random integer in [0, n) — `random` is injectable so tests can fix the draw. */
function pick(n: number, random: () => number): number {
  return Math.min(n - 1, Math.floor(random() * n));
}

function getOwnConversation(db: Db, conversationId: number, userId: number): Conversation {
  const c = db.select().from(conversations).where(eq(conversations.id, conversationId)).get();
  if (!c || c.userId !== userId) throw new AppError("NOT_FOUND", `conversation ${conversationId} is not yours`);
  return c;
}

function leaseMs(db: Db, projectId: number): number {
  return getProject(db, projectId).leaseSeconds * 1000;
}

/**
 * Closes conversations nobody touched within the project's lease time: state `abandoned`, judged turns
 * (items and judgments) kept, unjudged answers dropped. Returns how many closed.
 */
export function closeAbandonedConversations(db: Db, params: { now?: number } = {}): number {
  const now = params.now ?? Date.now();
  return transaction(db, () => {
    const stale = db
      .select({ id: conversations.id })
      .from(conversations)
      .where(and(eq(conversations.state, "open"), lt(conversations.deadline, now)))
      .all()
      .map((r) => r.id);
    if (stale.length === 0) return 0;
    db.update(conversationTurns)
      .set({ state: "failed", error: "the conversation was abandoned" })
      .where(and(inArray(conversationTurns.conversationId, stale), inArray(conversationTurns.state, ["generating", "ready"])))
      .run();
    db.update(conversations)
      .set({ state: "abandoned", endedAt: Math.floor(now / 1000) })
      .where(inArray(conversations.id, stale))
      .run();
    return stale.length;
  });
}

/**
 * The annotator's open conversation in a live project, or a new one with two of the project's
 * generators drawn at random (random pair, random sides, random screen order).
 */
export function startConversation(
  db: Db,
  params: { projectId: number; userId: number; now?: number; random?: () => number },
): Conversation {
  const now = params.now ?? Date.now();
  const random = params.random ?? Math.random;
  closeAbandonedConversations(db, { now });
  const settings = getLiveSettings(db, params.projectId);
  if (settings.kind === "pairwise") throw new AppError("BAD_INPUT", `project ${params.projectId} is not a conversation or arena project`);
  return transaction(db, () => {
    const open = db
      .select()
      .from(conversations)
      .where(and(eq(conversations.projectId, params.projectId), eq(conversations.userId, params.userId), eq(conversations.state, "open")))
      .get();
    if (open) return open;
    if (settings.paused) throw new AppError("CONFLICT", "live generation is paused for this project");
    const live = settings.generatorIds.length
      ? db
          .select({ id: generators.id })
          .from(generators)
          .where(and(inArray(generators.id, settings.generatorIds), sql`${generators.removedAt} IS NULL`))
          .all()
          .map((g) => g.id)
      : [];
    if (live.length < 2) throw new AppError("CONFLICT", "this project has fewer than two generators; ask an admin to add some");
    const first = live.splice(pick(live.length, random), 1)[0] as number;
    const second = live[pick(live.length, random)] as number;
    return db
      .insert(conversations)
      .values({
        projectId: params.projectId,
        userId: params.userId,
        kind: settings.kind === "arena" ? "arena" : "conversation",
        generatorIds: [first, second],
        shownOrder: random() < 0.5 ? [0, 1] : [1, 0],
        deadline: now + leaseMs(db, params.projectId),
      })
      .returning()
      .get();
  });
}

function turnsOf(db: Db, conversationId: number): ConversationTurn[] {
  return db
    .select()
    .from(conversationTurns)
    .where(eq(conversationTurns.conversationId, conversationId))
    .orderBy(conversationTurns.id)
    .all();
}

function judgmentOutcome(db: Db, judgmentId: number | null): string | null {
  if (judgmentId === null) return null;
  return db.select({ outcome: judgments.outcome }).from(judgments).where(eq(judgments.id, judgmentId)).get()?.outcome ?? null;
}

/** What the conversation waits for: a message, answers, a judgment, or (after "both bad") regenerate or end. */
function waitingFor(
  db: Db,
  c: Conversation,
  turns: ConversationTurn[],
): "message" | "answers" | "judgment" | "regenerate-or-end" | "closed" {
  if (c.state !== "open") return "closed";
  const last = turns.at(-1);
  if (!last || last.state === "failed") return "message";
  if (last.state === "generating") return "answers";
  if (last.state === "ready") return "judgment";
  return judgmentOutcome(db, last.judgmentId) === "both_bad" ? "regenerate-or-end" : "message";
}

function userTurnsOf(messages: Message[]): number {
  return messages.filter((m) => m.role === "user").length;
}

/**
 * Records the annotator's message as a new turn (state `generating`) after the guard rails: the
 * conversation is open and waiting for a message, the project is not paused, the message is within
 * the max turns and the annotator within the rate limit. Returns the turn to generate.
 */
export function sendMessage(db: Db, params: { conversationId: number; userId: number; text: string; now?: number }): ConversationTurn {
  const now = params.now ?? Date.now();
  const text = parseInput(
    z.string().trim().min(1, "write a message first").max(MAX_MESSAGE_CHARS, `at most ${MAX_MESSAGE_CHARS} characters`),
    params.text,
    "message",
  );
  closeAbandonedConversations(db, { now });
  return transaction(db, () => {
    const c = getOwnConversation(db, params.conversationId, params.userId);
    const settings = getLiveSettings(db, c.projectId);
    if (settings.paused) throw new AppError("CONFLICT", "live generation is paused for this project");
    const turns = turnsOf(db, c.id);
    const waiting = waitingFor(db, c, turns);
    if (waiting === "closed") throw new AppError("CONFLICT", "this conversation has ended");
    if (waiting !== "message")
      throw new AppError(
        "CONFLICT",
        waiting === "regenerate-or-end" ? "both answers were bad: regenerate them or end the conversation" : "judge the answers first",
      );
    const turn = userTurnsOf(c.messages) + 1;
    if (turn > settings.maxTurns) throw new AppError("CONFLICT", `this project allows ${settings.maxTurns} messages per conversation`);
    enforceRateLimit(db, c.projectId, params.userId, settings.rateLimitPerMinute, now);
    return insertTurn(db, c, turn, text, now);
  });
}

function enforceRateLimit(db: Db, projectId: number, userId: number, perMinute: number, now: number) {
  if (perMinute === 0) return;
  const recent =
    db
      .select({ n: sql<number>`count(*)` })
      .from(conversationTurns)
      .innerJoin(conversations, eq(conversations.id, conversationTurns.conversationId))
      .where(and(eq(conversations.projectId, projectId), eq(conversations.userId, userId), gte(conversationTurns.startedAt, now - 60_000)))
      .get()?.n ?? 0;
  if (recent >= perMinute) throw new AppError("CONFLICT", `at most ${perMinute} messages a minute; wait a moment`);
}

function insertTurn(db: Db, c: Conversation, turn: number, text: string, now: number): ConversationTurn {
  db.update(conversations)
    .set({ deadline: now + leaseMs(db, c.projectId) })
    .where(eq(conversations.id, c.id))
    .run();
  return db.insert(conversationTurns).values({ conversationId: c.id, turn, userMessage: text, startedAt: now }).returning().get();
}

/** After "both bad": the same message answered afresh by the same two generators. */
export function regenerateTurn(db: Db, params: { conversationId: number; userId: number; now?: number }): ConversationTurn {
  const now = params.now ?? Date.now();
  return transaction(db, () => {
    const c = getOwnConversation(db, params.conversationId, params.userId);
    const settings = getLiveSettings(db, c.projectId);
    if (settings.paused) throw new AppError("CONFLICT", "live generation is paused for this project");
    const turns = turnsOf(db, c.id);
    const last = turns.at(-1);
    if (!last || waitingFor(db, c, turns) !== "regenerate-or-end")
      throw new AppError("CONFLICT", "only answers judged both bad can be regenerated");
    enforceRateLimit(db, c.projectId, params.userId, settings.rateLimitPerMinute, now);
    return insertTurn(db, c, last.turn, last.userMessage, now);
  });
}

/** The messages the generators see for a turn: the system prompt, the conversation so far, the new message. */
export function turnMessages(system: string | null, history: Message[], userMessage: string): Message[] {
  return [...(system ? [{ role: "system" as const, content: system }] : []), ...history, { role: "user", content: userMessage }];
}

export type TurnResult = { state: "ready" | "failed"; answers: (string | null)[]; error: string | null };

/**
 * Both generators answer a `generating` turn, streamed: `onDelta(position, text)` speaks in screen
 * positions (0 = left). When `signal` aborts (the annotator left), both requests stop and the turn
 * fails. Answers are stored in canonical order once both are complete.
 */
export async function generateTurn(
  db: Db,
  params: {
    turnId: number;
    userId: number;
    samplers: (generatorId: number) => LiveSampler;
    signal?: AbortSignal;
    onDelta?: (position: number, text: string) => void;
  },
): Promise<TurnResult> {
  const turn = db.select().from(conversationTurns).where(eq(conversationTurns.id, params.turnId)).get();
  if (!turn) throw new AppError("NOT_FOUND", `turn ${params.turnId} does not exist`);
  const c = getOwnConversation(db, turn.conversationId, params.userId);
  if (turn.state !== "generating") throw new AppError("CONFLICT", `turn ${turn.id} is ${turn.state}`);
  const settings = getLiveSettings(db, c.projectId);
  const messages = turnMessages(settings.systemPrompt, c.messages, turn.userMessage);
  const started = Date.now();
  let firstTokenMs: number | null = null;
  const stop = new AbortController();
  const onAbort = () => stop.abort();
  params.signal?.addEventListener("abort", onAbort);
  if (params.signal?.aborted) stop.abort();
  const answer = (idx: number) => {
    const position = c.shownOrder.indexOf(idx);
    const sampler = params.samplers(c.generatorIds[idx] as number);
    return sampler(
      messages,
      { maxTokens: settings.maxTokens, temperature: settings.temperature },
      {
        stream: true,
        signal: stop.signal,
        onDelta: (text) => {
          firstTokenMs ??= Date.now() - started;
          params.onDelta?.(position, text);
        },
      },
    ).then(
      (r) => r.text,
      (e: unknown) => {
        stop.abort(); // one failed: the other's answer cannot be judged alone
        throw e;
      },
    );
  };
  const settled = await Promise.allSettled([answer(0), answer(1)]);
  params.signal?.removeEventListener("abort", onAbort);
  const answers = settled.map((s) => (s.status === "fulfilled" ? s.value : null));
  const failure = settled.find((s): s is PromiseRejectedResult => s.status === "rejected");
  const error = params.signal?.aborted
    ? "stopped: the annotator left"
    : failure
      ? `a generator failed: ${String((failure.reason as Error)?.message ?? failure.reason).slice(0, 500)}`
      : null;
  const state = error ? "failed" : "ready";
  db.update(conversationTurns)
    .set({ state, answers, error, firstTokenMs, completeMs: Date.now() - started })
    .where(and(eq(conversationTurns.id, turn.id), eq(conversationTurns.state, "generating")))
    .run();
  return { state, answers: c.shownOrder.map((i) => (state === "ready" ? (answers[i] ?? null) : null)), error };
}

export const zTurnJudgment = z.object({
  turnId: z.number().int().positive(),
  clientSubmissionId: z.string().min(1).max(100),
  /** In screen positions: a = left. */
  outcome: zPairOutcome,
  strength: zStrength.optional(),
  criteria: z.record(z.string(), zPairOutcome).default({}),
  rationale: z.string().max(20_000).optional(),
  timeOnTaskMs: z.number().int().min(0).max(86_400_000).optional(),
});
export type TurnJudgment = z.input<typeof zTurnJudgment>;

export type Reveal = { position: number; name: string }[];

/** Generator names by screen position (arena: shown only after the vote). */
function revealFor(db: Db, c: Conversation): Reveal {
  return c.shownOrder.map((idx, position) => {
    const id = c.generatorIds[idx] as number;
    const g = db.select({ name: generators.name }).from(generators).where(eq(generators.id, id)).get();
    return { position, name: g?.name ?? `generator ${id}` };
  });
}

/**
 * Judges a ready turn: in one transaction the turn becomes an Item (prompt = the conversation so far
 * and the message; responses = the two answers, generator names as models), a submitted Assignment
 * (the screen order) and a Judgment; the conversation goes on from the chosen answer (a tie: from the
 * left one; both bad: nothing is added, the annotator regenerates or ends). Idempotent on
 * `clientSubmissionId`. Arena: the answer carries the generator names.
 */
export function judgeTurn(db: Db, params: { userId: number; judgment: TurnJudgment; now?: number }) {
  const now = params.now ?? Date.now();
  const j = parseInput(zTurnJudgment, params.judgment, "judgment");
  return transaction(db, () => {
    const turn = db.select().from(conversationTurns).where(eq(conversationTurns.id, j.turnId)).get();
    if (!turn) throw new AppError("NOT_FOUND", `turn ${j.turnId} does not exist`);
    const c = getOwnConversation(db, turn.conversationId, params.userId);
    const existing = db.select({ id: judgments.id }).from(judgments).where(eq(judgments.clientSubmissionId, j.clientSubmissionId)).get();
    if (existing && turn.judgmentId === existing.id) {
      return {
        judgmentId: existing.id,
        itemId: turn.itemId as number,
        duplicate: true,
        reveal: c.kind === "arena" ? revealFor(db, c) : null,
      };
    }
    if (c.state !== "open") throw new AppError("CONFLICT", "this conversation has ended");
    if (turn.state !== "ready")
      throw new AppError("CONFLICT", turn.state === "judged" ? "this turn is already judged" : `turn ${turn.id} is ${turn.state}`);
    const project = getProject(db, c.projectId);
    const row = validateSubmission({ ...j, assignmentId: 1, ranking: undefined, criteria: j.criteria }, 2, c.shownOrder, {
      criteria: project.criteria,
      rationalePolicy: project.rationalePolicy,
      strengthScale: project.strengthScale,
    });
    const names = c.generatorIds.map(
      (id) => db.select({ name: generators.name }).from(generators).where(eq(generators.id, id)).get()?.name,
    );
    const prompt: Message[] = [...c.messages, { role: "user", content: turn.userMessage }];
    const settings = getLiveSettings(db, c.projectId);
    const item = db
      .insert(items)
      .values({
        projectId: c.projectId,
        externalId: `conversation-${c.id}-turn-${turn.id}`,
        prompt,
        metadata: {
          live: {
            kind: c.kind,
            conversation: c.id,
            turn: turn.turn,
            system: settings.systemPrompt,
            first_token_ms: turn.firstTokenMs,
            complete_ms: turn.completeMs,
            anony: c.kind === "arena" ? c.judgedTurns === 0 : true,
          },
        },
        k: 2,
        queuePos: allocateQueuePositions(db, c.projectId, 1),
        // Judged live, by its author: never handed to the queue.
        openSlots: 0,
        doneCount: 1,
      })
      .returning({ id: items.id })
      .get();
    db.insert(responses)
      .values(
        turn.answers.map((text, idx) => ({
          itemId: item.id,
          idx,
          model: names[idx] ?? `generator ${c.generatorIds[idx]}`,
          content: text ?? "",
        })),
      )
      .run();
    const lease = db
      .insert(assignments)
      .values({
        projectId: c.projectId,
        itemId: item.id,
        userId: params.userId,
        shownOrder: c.shownOrder,
        state: "submitted",
        leasedAt: turn.startedAt,
        deadline: now,
        closedAt: now,
      })
      .returning({ id: assignments.id })
      .get();
    const judgment = db
      .insert(judgments)
      .values({
        projectId: c.projectId,
        itemId: item.id,
        assignmentId: lease.id,
        annotatorId: params.userId,
        shownOrder: c.shownOrder,
        ...row,
        timeOnTaskMs: j.timeOnTaskMs ?? now - turn.startedAt,
        clientSubmissionId: j.clientSubmissionId,
        source: "ui",
      })
      .returning({ id: judgments.id })
      .get();
    db.update(projects)
      .set({ itemCount: sql`${projects.itemCount} + 1`, doneSlots: sql`${projects.doneSlots} + 1` })
      .where(eq(projects.id, c.projectId))
      .run();
    db.update(conversationTurns)
      .set({ state: "judged", itemId: item.id, judgmentId: judgment.id })
      .where(eq(conversationTurns.id, turn.id))
      .run();
    // The conversation goes on from the chosen answer; a tie goes on from the left one.
    const chosenIdx = row.outcome === "a" ? 0 : row.outcome === "b" ? 1 : row.outcome === "tie" ? (c.shownOrder[0] as number) : null;
    const messages = chosenIdx === null ? c.messages : [...prompt, { role: "assistant" as const, content: turn.answers[chosenIdx] ?? "" }];
    db.update(conversations)
      .set({ messages, judgedTurns: c.judgedTurns + 1, deadline: now + project.leaseSeconds * 1000 })
      .where(eq(conversations.id, c.id))
      .run();
    return { judgmentId: judgment.id, itemId: item.id, duplicate: false, reveal: c.kind === "arena" ? revealFor(db, c) : null };
  });
}

/** Ends the conversation; judged turns stay as items, an unjudged pair of answers is dropped. */
export function endConversation(db: Db, params: { conversationId: number; userId: number; now?: number }): Conversation {
  const now = params.now ?? Date.now();
  return transaction(db, () => {
    const c = getOwnConversation(db, params.conversationId, params.userId);
    if (c.state !== "open") return c;
    db.update(conversationTurns)
      .set({ state: "failed", error: "the conversation ended before this turn was judged" })
      .where(and(eq(conversationTurns.conversationId, c.id), inArray(conversationTurns.state, ["generating", "ready"])))
      .run();
    return db
      .update(conversations)
      .set({ state: "ended", endedAt: Math.floor(now / 1000) })
      .where(eq(conversations.id, c.id))
      .returning()
      .get();
  });
}

/**
 * What the annotator's screen shows: the messages so far along the chosen answers, the current turn
 * (answers in screen order) and what the conversation waits for. Never a generator name, except in an
 * arena after a vote.
 */
export function getConversationView(db: Db, params: { conversationId: number; userId: number }) {
  const c = getOwnConversation(db, params.conversationId, params.userId);
  const turns = turnsOf(db, c.id);
  const last = turns.at(-1);
  const current =
    last && (last.state === "generating" || last.state === "ready" || (last.state === "judged" && c.state === "open"))
      ? {
          id: last.id,
          turn: last.turn,
          userMessage: last.userMessage,
          state: last.state,
          answers: last.state === "judged" || last.state === "ready" ? c.shownOrder.map((i) => last.answers[i] ?? null) : [null, null],
        }
      : null;
  const settings = getLiveSettings(db, c.projectId);
  return {
    id: c.id,
    projectId: c.projectId,
    kind: c.kind,
    state: c.state,
    messages: c.messages,
    judgedTurns: c.judgedTurns,
    maxTurns: settings.maxTurns,
    waitingFor: waitingFor(db, c, turns),
    current,
    lastError: last?.state === "failed" ? last.error : null,
    reveal: c.kind === "arena" && c.judgedTurns > 0 ? revealFor(db, c) : null,
  };
}
export type ConversationView = ReturnType<typeof getConversationView>;

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
import { and, asc, count, eq, gte, inArray, lt, sql } from "drizzle-orm";
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
import { type AnyDb, type Conn, domainOp, forUpdateOnPg, type Op, runOp } from "@/server/database";
import { AppError, parseInput } from "@/server/domain/errors";
import { validateSubmission } from "@/server/domain/judgments";
import { allocateQueuePositions, getProject } from "@/server/domain/projects";
import { zPairOutcome, zStrength } from "@/server/domain/schemas";
import { withBackoff } from "@/server/generation/client";
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

/**
 * The user's conversation. `lock`: held until the transaction ends (PostgreSQL, several instances):
 * every change to a conversation and its turns (a message, a judgment, the end) takes its row first,
 * so two requests on one conversation take turns and see each other's writes.
 */
function* getOwnConversation(c: Conn, conversationId: number, userId: number, lock = false): Op<Conversation> {
  const query = c.q.select().from(conversations).where(eq(conversations.id, conversationId));
  const conv = yield* c.first(lock ? forUpdateOnPg(c.engine, query) : query);
  if (!conv || conv.userId !== userId) throw new AppError("NOT_FOUND", `conversation ${conversationId} is not yours`);
  return conv;
}

function* getTurn(c: Conn, turnId: number): Op<ConversationTurn> {
  const turn = yield* c.first(c.q.select().from(conversationTurns).where(eq(conversationTurns.id, turnId)));
  if (!turn) throw new AppError("NOT_FOUND", `turn ${turnId} does not exist`);
  return turn;
}

function* leaseMs(c: Conn, projectId: number): Op<number> {
  return (yield* getProject.op(c, projectId)).leaseSeconds * 1000;
}

/**
 * Closes conversations nobody touched within the project's lease time: state `abandoned`, judged turns
 * (items and judgments) kept, unjudged answers dropped. Returns how many closed.
 */
export const closeAbandonedConversations = domainOp(function* closeAbandonedConversations(
  c: Conn,
  params: { now?: number } = {},
): Op<number> {
  const now = params.now ?? Date.now();
  return yield* c.transaction(function* (tx): Op<number> {
    // PostgreSQL: a conversation another request holds (a message or a judgment moving its deadline)
    // is passed over, not waited for; the next sweep sees it again if it is still stale.
    const stale = (yield* tx.all(
      forUpdateOnPg(
        tx.engine,
        tx.q
          .select({ id: conversations.id })
          .from(conversations)
          .where(and(eq(conversations.state, "open"), lt(conversations.deadline, now)))
          .orderBy(asc(conversations.id)),
        { skipLocked: true },
      ),
    )).map((r) => r.id);
    if (stale.length === 0) return 0;
    yield* tx.run(
      tx.q
        .update(conversationTurns)
        .set({ state: "failed", error: "the conversation was abandoned" })
        .where(and(inArray(conversationTurns.conversationId, stale), inArray(conversationTurns.state, ["generating", "ready"]))),
    );
    yield* tx.run(
      tx.q
        .update(conversations)
        .set({ state: "abandoned", endedAt: Math.floor(now / 1000) })
        .where(inArray(conversations.id, stale)),
    );
    return stale.length;
  });
});

/**
 * The annotator's open conversation in a live project, or a new one with two of the project's
 * generators drawn at random (random pair, random sides, random screen order).
 */
export const startConversation = domainOp(function* startConversation(
  c: Conn,
  params: { projectId: number; userId: number; now?: number; random?: () => number },
): Op<Conversation> {
  const now = params.now ?? Date.now();
  const random = params.random ?? Math.random;
  yield* closeAbandonedConversations.op(c, { now });
  const settings = yield* getLiveSettings.op(c, params.projectId);
  if (settings.kind === "pairwise") throw new AppError("BAD_INPUT", `project ${params.projectId} is not a conversation or arena project`);
  return yield* c.transaction(function* (tx): Op<Conversation> {
    // PostgreSQL: one open conversation per annotator and project, across instances (two tabs must not
    // both find none and start two); the key is the lease's, one action per annotator and project at a
    // time. SQLite's writer lock already serializes.
    if (tx.engine === "postgres") yield* tx.exec(sql`SELECT pg_advisory_xact_lock(${params.userId}::int, ${params.projectId}::int)`);
    const open = yield* tx.first(
      tx.q
        .select()
        .from(conversations)
        .where(and(eq(conversations.projectId, params.projectId), eq(conversations.userId, params.userId), eq(conversations.state, "open")))
        .orderBy(asc(conversations.id)),
    );
    if (open) return open;
    if (settings.paused) throw new AppError("CONFLICT", "live generation is paused for this project");
    const live = settings.generatorIds.length
      ? (yield* tx.all(
          tx.q
            .select({ id: generators.id })
            .from(generators)
            .where(and(inArray(generators.id, settings.generatorIds), sql`${generators.removedAt} IS NULL`))
            .orderBy(asc(generators.id)),
        )).map((g) => g.id)
      : [];
    if (live.length < 2) throw new AppError("CONFLICT", "this project has fewer than two generators; ask an admin to add some");
    const first = live.splice(pick(live.length, random), 1)[0] as number;
    const second = live[pick(live.length, random)] as number;
    const deadline = now + (yield* leaseMs(tx, params.projectId));
    const row = yield* tx.first(
      tx.q
        .insert(conversations)
        .values({
          projectId: params.projectId,
          userId: params.userId,
          kind: settings.kind === "arena" ? "arena" : "conversation",
          generatorIds: [first, second],
          shownOrder: random() < 0.5 ? [0, 1] : [1, 0],
          deadline,
        })
        .returning(),
    );
    if (!row) throw new Error("the new conversation's row did not come back");
    return row;
  });
});

function* turnsOf(c: Conn, conversationId: number): Op<ConversationTurn[]> {
  return yield* c.all(
    c.q.select().from(conversationTurns).where(eq(conversationTurns.conversationId, conversationId)).orderBy(asc(conversationTurns.id)),
  );
}

function* judgmentOutcome(c: Conn, judgmentId: number | null): Op<string | null> {
  if (judgmentId === null) return null;
  return (yield* c.first(c.q.select({ outcome: judgments.outcome }).from(judgments).where(eq(judgments.id, judgmentId))))?.outcome ?? null;
}

type Waiting = "message" | "answers" | "judgment" | "regenerate-or-end" | "closed";

/** What the conversation waits for: a message, answers, a judgment, or (after "both bad") regenerate or end. */
function* waitingFor(c: Conn, conv: Conversation, turns: ConversationTurn[]): Op<Waiting> {
  if (conv.state !== "open") return "closed";
  const last = turns.at(-1);
  if (!last || last.state === "failed") return "message";
  if (last.state === "generating") return "answers";
  if (last.state === "ready") return "judgment";
  return (yield* judgmentOutcome(c, last.judgmentId)) === "both_bad" ? "regenerate-or-end" : "message";
}

function userTurnsOf(messages: Message[]): number {
  return messages.filter((m) => m.role === "user").length;
}

/**
 * Records the annotator's message as a new turn (state `generating`) after the guard rails: the
 * conversation is open and waiting for a message, the project is not paused, the message is within
 * the max turns and the annotator within the rate limit. Returns the turn to generate.
 */
export const sendMessage = domainOp(function* sendMessage(
  c: Conn,
  params: { conversationId: number; userId: number; text: string; now?: number },
): Op<ConversationTurn> {
  const now = params.now ?? Date.now();
  const text = parseInput(
    z.string().trim().min(1, "write a message first").max(MAX_MESSAGE_CHARS, `at most ${MAX_MESSAGE_CHARS} characters`),
    params.text,
    "message",
  );
  yield* closeAbandonedConversations.op(c, { now });
  return yield* c.transaction(function* (tx): Op<ConversationTurn> {
    // The row lock makes the turn number, the "waiting for a message" check and the rate limit hold on
    // PostgreSQL too: an annotator has one open conversation per project, and new turns go only there.
    const conv = yield* getOwnConversation(tx, params.conversationId, params.userId, true);
    const settings = yield* getLiveSettings.op(tx, conv.projectId);
    if (settings.paused) throw new AppError("CONFLICT", "live generation is paused for this project");
    const turns = yield* turnsOf(tx, conv.id);
    const waiting = yield* waitingFor(tx, conv, turns);
    if (waiting === "closed") throw new AppError("CONFLICT", "this conversation has ended");
    if (waiting !== "message")
      throw new AppError(
        "CONFLICT",
        waiting === "regenerate-or-end" ? "both answers were bad: regenerate them or end the conversation" : "judge the answers first",
      );
    const turn = userTurnsOf(conv.messages) + 1;
    if (turn > settings.maxTurns) throw new AppError("CONFLICT", `this project allows ${settings.maxTurns} messages per conversation`);
    yield* enforceRateLimit(tx, conv.projectId, params.userId, settings.rateLimitPerMinute, now);
    return yield* insertTurn(tx, conv, turn, text, now);
  });
});

function* enforceRateLimit(c: Conn, projectId: number, userId: number, perMinute: number, now: number): Op<void> {
  if (perMinute === 0) return;
  const recent =
    (yield* c.first(
      c.q
        .select({ n: count() })
        .from(conversationTurns)
        .innerJoin(conversations, eq(conversations.id, conversationTurns.conversationId))
        .where(
          and(eq(conversations.projectId, projectId), eq(conversations.userId, userId), gte(conversationTurns.startedAt, now - 60_000)),
        ),
    ))?.n ?? 0;
  if (recent >= perMinute) throw new AppError("CONFLICT", `at most ${perMinute} messages a minute; wait a moment`);
}

function* insertTurn(c: Conn, conv: Conversation, turn: number, text: string, now: number): Op<ConversationTurn> {
  const deadline = now + (yield* leaseMs(c, conv.projectId));
  yield* c.run(c.q.update(conversations).set({ deadline }).where(eq(conversations.id, conv.id)));
  const row = yield* c.first(
    c.q.insert(conversationTurns).values({ conversationId: conv.id, turn, userMessage: text, startedAt: now }).returning(),
  );
  if (!row) throw new Error("the new turn's row did not come back");
  return row;
}

/** After "both bad": the same message answered afresh by the same two generators. */
export const regenerateTurn = domainOp(function* regenerateTurn(
  c: Conn,
  params: { conversationId: number; userId: number; now?: number },
): Op<ConversationTurn> {
  const now = params.now ?? Date.now();
  return yield* c.transaction(function* (tx): Op<ConversationTurn> {
    const conv = yield* getOwnConversation(tx, params.conversationId, params.userId, true);
    const settings = yield* getLiveSettings.op(tx, conv.projectId);
    if (settings.paused) throw new AppError("CONFLICT", "live generation is paused for this project");
    const turns = yield* turnsOf(tx, conv.id);
    const last = turns.at(-1);
    if (!last || (yield* waitingFor(tx, conv, turns)) !== "regenerate-or-end")
      throw new AppError("CONFLICT", "only answers judged both bad can be regenerated");
    yield* enforceRateLimit(tx, conv.projectId, params.userId, settings.rateLimitPerMinute, now);
    return yield* insertTurn(tx, conv, last.turn, last.userMessage, now);
  });
});

/** The messages the generators see for a turn: the system prompt, the conversation so far, the new message. */
export function turnMessages(system: string | null, history: Message[], userMessage: string): Message[] {
  return [...(system ? [{ role: "system" as const, content: system }] : []), ...history, { role: "user", content: userMessage }];
}

export type TurnResult = { state: "ready" | "failed"; answers: (string | null)[]; error: string | null };

/** What generating a turn needs, read in one go before any generator is asked. */
const loadTurnToGenerate = domainOp(function* loadTurnToGenerate(c: Conn, turnId: number, userId: number) {
  const turn = yield* getTurn(c, turnId);
  const conv = yield* getOwnConversation(c, turn.conversationId, userId);
  if (turn.state !== "generating") throw new AppError("CONFLICT", `turn ${turn.id} is ${turn.state}`);
  const settings = yield* getLiveSettings.op(c, conv.projectId);
  return { turn, conv, settings };
});

/**
 * Stores a turn's answers if it is still `generating`; returns what the turn holds afterwards. Two
 * streams of one turn (a reload, another instance) both generate; the first to finish is stored and
 * the other is told that outcome, not its own. A turn ended or abandoned meanwhile stays failed.
 */
const storeTurnAnswers = domainOp(function* storeTurnAnswers(
  c: Conn,
  turnId: number,
  result: Pick<ConversationTurn, "state" | "answers" | "error" | "firstTokenMs" | "completeMs">,
): Op<Pick<ConversationTurn, "state" | "answers" | "error">> {
  const stored = yield* c.first(
    c.q
      .update(conversationTurns)
      .set(result)
      .where(and(eq(conversationTurns.id, turnId), eq(conversationTurns.state, "generating")))
      .returning({ state: conversationTurns.state, answers: conversationTurns.answers, error: conversationTurns.error }),
  );
  return stored ?? (yield* getTurn(c, turnId));
});

/**
 * Both generators answer a `generating` turn, streamed: `onDelta(position, text)` speaks in screen
 * positions (0 = left). When `signal` aborts (the annotator left), both requests stop and the turn
 * fails. Answers are stored in canonical order once both are complete. No transaction is open while
 * the generators answer: the turn is read first, its answers stored after, each a statement of its own.
 * `samplers` may look the generator up asynchronously (the registry on PostgreSQL).
 */
export async function generateTurn(
  db: AnyDb,
  params: {
    turnId: number;
    userId: number;
    samplers: (generatorId: number) => LiveSampler | Promise<LiveSampler>;
    signal?: AbortSignal;
    onDelta?: (position: number, text: string) => void;
  },
): Promise<TurnResult> {
  const { turn, conv, settings } = await runOp(db, (c) => loadTurnToGenerate.op(c, params.turnId, params.userId));
  const messages = turnMessages(settings.systemPrompt, conv.messages, turn.userMessage);
  const samplers = await Promise.all(conv.generatorIds.slice(0, 2).map((id) => params.samplers(id)));
  const started = Date.now();
  let firstTokenMs: number | null = null;
  const stop = new AbortController();
  const onAbort = () => stop.abort();
  params.signal?.addEventListener("abort", onAbort);
  if (params.signal?.aborted) stop.abort();
  // A retryable failure (an empty answer, an overloaded endpoint) is asked again, up to three tries, while
  // nothing of that answer has reached the screen; leading whitespace is held back until text follows, so
  // an answer of blanks alone is retried rather than shown. The answer is sampled: another try draws anew.
  const answer = (idx: number) => {
    const position = conv.shownOrder.indexOf(idx);
    const sampler = samplers[idx] as LiveSampler;
    let shown = false;
    return withBackoff(
      () => {
        let held = "";
        return sampler(
          messages,
          { maxTokens: settings.maxTokens, temperature: settings.temperature },
          {
            stream: true,
            signal: stop.signal,
            onDelta: (text) => {
              if (!shown) {
                held += text;
                if (held.trim() === "") return;
                shown = true;
                text = held;
              }
              firstTokenMs ??= Date.now() - started;
              params.onDelta?.(position, text);
            },
          },
        );
      },
      { attempts: 3, baseMs: 200, maxMs: 2_000, signal: stop.signal, mayRetry: () => !shown },
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
  const stored = await runOp(db, (c) =>
    storeTurnAnswers.op(c, turn.id, { state: error ? "failed" : "ready", answers, error, firstTokenMs, completeMs: Date.now() - started }),
  );
  const state = stored.state === "ready" || stored.state === "judged" ? "ready" : "failed";
  return {
    state,
    answers: conv.shownOrder.map((i) => (state === "ready" ? (stored.answers[i] ?? null) : null)),
    error: state === "ready" ? null : (stored.error ?? error),
  };
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

function* generatorNames(c: Conn, conv: Conversation): Op<(string | undefined)[]> {
  const rows = yield* c.all(
    c.q.select({ id: generators.id, name: generators.name }).from(generators).where(inArray(generators.id, conv.generatorIds)),
  );
  const byId = new Map(rows.map((g) => [g.id, g.name]));
  return conv.generatorIds.map((id) => byId.get(id));
}

/** Generator names by screen position (arena: shown only after the vote). */
function* revealFor(c: Conn, conv: Conversation): Op<Reveal> {
  const names = yield* generatorNames(c, conv);
  return conv.shownOrder.map((idx, position) => ({ position, name: names[idx] ?? `generator ${conv.generatorIds[idx]}` }));
}

export type JudgeTurnResult = { judgmentId: number; itemId: number; duplicate: boolean; reveal: Reveal | null };

/**
 * Judges a ready turn: in one transaction the turn becomes an Item (prompt = the conversation so far
 * and the message; responses = the two answers, generator names as models), a submitted Assignment
 * (the screen order) and a Judgment; the conversation goes on from the chosen answer (a tie: from the
 * left one; both bad: nothing is added, the annotator regenerates or ends). Idempotent on
 * `clientSubmissionId`. Arena: the answer carries the generator names.
 */
export const judgeTurn = domainOp(function* judgeTurn(
  c: Conn,
  params: { userId: number; judgment: TurnJudgment; now?: number },
): Op<JudgeTurnResult> {
  const now = params.now ?? Date.now();
  const j = parseInput(zTurnJudgment, params.judgment, "judgment");
  return yield* c.transaction(function* (tx): Op<JudgeTurnResult> {
    const found = yield* getTurn(tx, j.turnId);
    // Lock order: the conversation's row, then its turn (as sendMessage and endConversation take them);
    // PostgreSQL reads the turn again once the conversation is held (a resend may have judged it).
    const conv = yield* getOwnConversation(tx, found.conversationId, params.userId, true);
    const turn = tx.engine === "postgres" ? yield* getTurn(tx, j.turnId) : found;
    const existing = yield* tx.first(
      tx.q.select({ id: judgments.id }).from(judgments).where(eq(judgments.clientSubmissionId, j.clientSubmissionId)),
    );
    if (existing && turn.judgmentId === existing.id) {
      return {
        judgmentId: existing.id,
        itemId: turn.itemId as number,
        duplicate: true,
        reveal: conv.kind === "arena" ? yield* revealFor(tx, conv) : null,
      };
    }
    if (conv.state !== "open") throw new AppError("CONFLICT", "this conversation has ended");
    if (turn.state !== "ready")
      throw new AppError("CONFLICT", turn.state === "judged" ? "this turn is already judged" : `turn ${turn.id} is ${turn.state}`);
    const project = yield* getProject.op(tx, conv.projectId);
    const row = validateSubmission({ ...j, assignmentId: 1, ranking: undefined, criteria: j.criteria }, 2, conv.shownOrder, {
      criteria: project.criteria,
      rationalePolicy: project.rationalePolicy,
      strengthScale: project.strengthScale,
    });
    const names = yield* generatorNames(tx, conv);
    const prompt: Message[] = [...conv.messages, { role: "user", content: turn.userMessage }];
    const settings = yield* getLiveSettings.op(tx, conv.projectId);
    const queuePos = yield* allocateQueuePositions.op(tx, conv.projectId, 1);
    const item = yield* tx.first(
      tx.q
        .insert(items)
        .values({
          projectId: conv.projectId,
          externalId: `conversation-${conv.id}-turn-${turn.id}`,
          prompt,
          metadata: {
            live: {
              kind: conv.kind,
              conversation: conv.id,
              turn: turn.turn,
              system: settings.systemPrompt,
              first_token_ms: turn.firstTokenMs,
              complete_ms: turn.completeMs,
              anony: conv.kind === "arena" ? conv.judgedTurns === 0 : true,
            },
          },
          k: 2,
          queuePos,
          // Judged live, by its author: never handed to the queue.
          openSlots: 0,
          doneCount: 1,
        })
        .returning({ id: items.id }),
    );
    if (!item) throw new Error("the new item's row did not come back");
    yield* tx.run(
      tx.q.insert(responses).values(
        turn.answers.map((text, idx) => ({
          itemId: item.id,
          idx,
          model: names[idx] ?? `generator ${conv.generatorIds[idx]}`,
          content: text ?? "",
        })),
      ),
    );
    const lease = yield* tx.first(
      tx.q
        .insert(assignments)
        .values({
          projectId: conv.projectId,
          itemId: item.id,
          userId: params.userId,
          shownOrder: conv.shownOrder,
          state: "submitted",
          leasedAt: turn.startedAt,
          deadline: now,
          closedAt: now,
        })
        .returning({ id: assignments.id }),
    );
    if (!lease) throw new Error("the new assignment's row did not come back");
    const judgment = yield* tx.first(
      tx.q
        .insert(judgments)
        .values({
          projectId: conv.projectId,
          itemId: item.id,
          assignmentId: lease.id,
          annotatorId: params.userId,
          shownOrder: conv.shownOrder,
          ...row,
          timeOnTaskMs: j.timeOnTaskMs ?? now - turn.startedAt,
          clientSubmissionId: j.clientSubmissionId,
          source: "ui",
        })
        .returning({ id: judgments.id }),
    );
    if (!judgment) throw new Error("the new judgment's row did not come back");
    yield* tx.run(
      tx.q
        .update(projects)
        .set({ itemCount: sql`${projects.itemCount} + 1`, doneSlots: sql`${projects.doneSlots} + 1` })
        .where(eq(projects.id, conv.projectId)),
    );
    yield* tx.run(
      tx.q
        .update(conversationTurns)
        .set({ state: "judged", itemId: item.id, judgmentId: judgment.id })
        .where(eq(conversationTurns.id, turn.id)),
    );
    // The conversation goes on from the chosen answer; a tie goes on from the left one.
    const chosenIdx = row.outcome === "a" ? 0 : row.outcome === "b" ? 1 : row.outcome === "tie" ? (conv.shownOrder[0] as number) : null;
    const messages =
      chosenIdx === null ? conv.messages : [...prompt, { role: "assistant" as const, content: turn.answers[chosenIdx] ?? "" }];
    yield* tx.run(
      tx.q
        .update(conversations)
        .set({ messages, judgedTurns: conv.judgedTurns + 1, deadline: now + project.leaseSeconds * 1000 })
        .where(eq(conversations.id, conv.id)),
    );
    return {
      judgmentId: judgment.id,
      itemId: item.id,
      duplicate: false,
      reveal: conv.kind === "arena" ? yield* revealFor(tx, conv) : null,
    };
  });
});

/** Ends the conversation; judged turns stay as items, an unjudged pair of answers is dropped. */
export const endConversation = domainOp(function* endConversation(
  c: Conn,
  params: { conversationId: number; userId: number; now?: number },
): Op<Conversation> {
  const now = params.now ?? Date.now();
  return yield* c.transaction(function* (tx): Op<Conversation> {
    const conv = yield* getOwnConversation(tx, params.conversationId, params.userId, true);
    if (conv.state !== "open") return conv;
    yield* tx.run(
      tx.q
        .update(conversationTurns)
        .set({ state: "failed", error: "the conversation ended before this turn was judged" })
        .where(and(eq(conversationTurns.conversationId, conv.id), inArray(conversationTurns.state, ["generating", "ready"]))),
    );
    const ended = yield* tx.first(
      tx.q
        .update(conversations)
        .set({ state: "ended", endedAt: Math.floor(now / 1000) })
        .where(eq(conversations.id, conv.id))
        .returning(),
    );
    if (!ended) throw new Error("the conversation's row did not come back");
    return ended;
  });
});

export type ConversationView = {
  id: number;
  projectId: number;
  kind: Conversation["kind"];
  state: Conversation["state"];
  messages: Message[];
  judgedTurns: number;
  maxTurns: number;
  waitingFor: Waiting;
  current: {
    id: number;
    turn: number;
    userMessage: string;
    state: ConversationTurn["state"];
    answers: (string | null)[];
  } | null;
  lastError: string | null;
  reveal: Reveal | null;
};

/**
 * What the annotator's screen shows: the messages so far along the chosen answers, the current turn
 * (answers in screen order) and what the conversation waits for. Never a generator name, except in an
 * arena after a vote.
 */
export const getConversationView = domainOp(function* getConversationView(
  c: Conn,
  params: { conversationId: number; userId: number },
): Op<ConversationView> {
  const conv = yield* getOwnConversation(c, params.conversationId, params.userId);
  const turns = yield* turnsOf(c, conv.id);
  const last = turns.at(-1);
  const current =
    last && (last.state === "generating" || last.state === "ready" || (last.state === "judged" && conv.state === "open"))
      ? {
          id: last.id,
          turn: last.turn,
          userMessage: last.userMessage,
          state: last.state,
          answers: last.state === "judged" || last.state === "ready" ? conv.shownOrder.map((i) => last.answers[i] ?? null) : [null, null],
        }
      : null;
  const settings = yield* getLiveSettings.op(c, conv.projectId);
  return {
    id: conv.id,
    projectId: conv.projectId,
    kind: conv.kind,
    state: conv.state,
    messages: conv.messages,
    judgedTurns: conv.judgedTurns,
    maxTurns: settings.maxTurns,
    waitingFor: yield* waitingFor(c, conv, turns),
    current,
    lastError: last?.state === "failed" ? last.error : null,
    reveal: conv.kind === "arena" && conv.judgedTurns > 0 ? yield* revealFor(c, conv) : null,
  };
});

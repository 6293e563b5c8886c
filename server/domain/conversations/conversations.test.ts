import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Db } from "@/server/db";
import { exportSnapshot } from "@/server/domain/export/export-snapshot";
import { addGenerator } from "@/server/domain/generation/registry";
import { createProject, getProjectStatus } from "@/server/domain/projects";
import { computeProjectStats } from "@/server/domain/quality/project-stats";
import { GenerationClient, GenerationError } from "@/server/generation/client";
import { startOpenAITestServer, type TestServer } from "@/server/generation/openai-test-server";
import { addAnnotator, memoryDb, tempDir } from "@/server/testing/fixtures";
import {
  closeAbandonedConversations,
  endConversation,
  generateTurn,
  getConversationView,
  judgeTurn,
  type LiveSampler,
  regenerateTurn,
  sendMessage,
  startConversation,
} from "./conversations";
import { setLiveSettings } from "./live-settings";

let server: TestServer;
beforeAll(async () => {
  server = await startOpenAITestServer();
});
afterAll(async () => {
  await server.close();
});

/**
 * The real openai client against a real OpenAI-compatible server; each generator samples with its own
 * seed, so the two answers differ ("echo: <message> #<generator id>").
 */
function samplers(): (generatorId: number) => LiveSampler {
  const client = new GenerationClient({ baseURL: server.url, model: "test-model", maxRetries: 0 });
  return (id) => (messages, params, opts) => client.complete(messages, { ...params, seed: id }, opts);
}

function liveProject(db: Db, kind: "conversation" | "arena", extra: Parameters<typeof setLiveSettings>[1]["settings"] = {}) {
  const project = createProject(db, { name: `${kind}-${Math.random().toString(36).slice(2)}`, overlap: 1 });
  const alpha = addGenerator(db, { kind: "external", name: `alpha-${project.id}`, url: server.url, model: "test-model" });
  const beta = addGenerator(db, { kind: "external", name: `beta-${project.id}`, url: server.url, model: "test-model" });
  setLiveSettings(db, { projectId: project.id, settings: { kind, generators: [alpha.name, beta.name], ...extra } });
  return { project, alpha, beta };
}

async function say(db: Db, userId: number, conversationId: number, text: string) {
  const turn = sendMessage(db, { conversationId, userId, text });
  const deltas: string[][] = [[], []];
  const result = await generateTurn(db, {
    turnId: turn.id,
    userId,
    samplers: samplers(),
    onDelta: (p, t) => deltas[p]?.push(t),
  });
  return { turn, result, deltas };
}

let seq = 0;
const judge = (db: Db, userId: number, turnId: number, outcome: "a" | "b" | "tie" | "both_bad", strength?: number) =>
  judgeTurn(db, { userId, judgment: { turnId, outcome, strength, clientSubmissionId: `sub-${++seq}` } });

describe("live conversations", () => {
  it("exports a three-turn conversation as HH, byte for byte, each prefix carrying the chosen answers", async () => {
    const db = memoryDb();
    const { project, alpha, beta } = liveProject(db, "conversation");
    const u = addAnnotator(db, "ann");
    // random() = 0: alpha is responses[0] and is shown on the left.
    const c = startConversation(db, { projectId: project.id, userId: u, random: () => 0 });
    expect(c.generatorIds).toEqual([alpha.id, beta.id]);
    expect(c.shownOrder).toEqual([0, 1]);

    const t1 = await say(db, u, c.id, "Hello there");
    expect(t1.result).toEqual({
      state: "ready",
      answers: [`echo: Hello there #${alpha.id}`, `echo: Hello there #${beta.id}`],
      error: null,
    });
    expect(t1.deltas[0]?.join("")).toBe(`echo: Hello there #${alpha.id}`);
    expect(t1.deltas[0]?.length).toBeGreaterThan(1); // streamed, not one piece
    judge(db, u, t1.turn.id, "a", 2);
    const t2 = await say(db, u, c.id, "Tell me more");
    judge(db, u, t2.turn.id, "b", 3);
    const t3 = await say(db, u, c.id, "Thanks");
    judge(db, u, t3.turn.id, "a", 1);
    endConversation(db, { conversationId: c.id, userId: u });

    expect(getProjectStatus(db, project.id)).toMatchObject({ items: 3, responses: 6, judgments: 3, annotators: 1, done_items: 3 });
    const out = path.join(tempDir(), "hh.jsonl");
    const r = await exportSnapshot(db, { projectId: project.id, format: "hh", out });
    expect(r.rows).toBe(3);
    const a = alpha.id;
    const b = beta.id;
    const p1 = "\\n\\nHuman: Hello there\\n\\nAssistant:";
    const p2 = `${p1} echo: Hello there #${a}\\n\\nHuman: Tell me more\\n\\nAssistant:`;
    const p3 = `${p2} echo: Tell me more #${b}\\n\\nHuman: Thanks\\n\\nAssistant:`;
    expect(fs.readFileSync(out, "utf8")).toBe(
      `{"chosen": "${p1} echo: Hello there #${a}", "rejected": "${p1} echo: Hello there #${b}"}\n` +
        `{"chosen": "${p2} echo: Tell me more #${b}", "rejected": "${p2} echo: Tell me more #${a}"}\n` +
        `{"chosen": "${p3} echo: Thanks #${a}", "rejected": "${p3} echo: Thanks #${b}"}\n`,
    );
  });

  it("keeps generator names out of everything the annotator sees, maps screen positions to stored order", async () => {
    const db = memoryDb();
    const { project, alpha, beta } = liveProject(db, "conversation");
    const u = addAnnotator(db, "ann");
    // random() = 0.9: beta first (responses[0]) and the screen order swapped.
    const c = startConversation(db, { projectId: project.id, userId: u, random: () => 0.9 });
    expect(c.generatorIds).toEqual([beta.id, alpha.id]);
    expect(c.shownOrder).toEqual([1, 0]);
    const t = await say(db, u, c.id, "Hi");
    expect(t.result.answers).toEqual([`echo: Hi #${alpha.id}`, `echo: Hi #${beta.id}`]); // left = alpha
    const view = getConversationView(db, { conversationId: c.id, userId: u });
    expect(view.waitingFor).toBe("judgment");
    const text = JSON.stringify(view);
    expect(text).not.toContain(alpha.name);
    expect(text).not.toContain(beta.name);
    const judged = judge(db, u, t.turn.id, "a", 4); // left = alpha = responses[1]
    expect(judged.reveal).toBeNull();
    expect(JSON.stringify(getConversationView(db, { conversationId: c.id, userId: u }))).not.toContain(alpha.name);
    expect(db.$client.prepare("SELECT outcome, shown_order FROM judgments").get()).toEqual({ outcome: "b", shown_order: "[1,0]" });
    expect(getConversationView(db, { conversationId: c.id, userId: u }).messages.at(-1)).toEqual({
      role: "assistant",
      content: `echo: Hi #${alpha.id}`,
    });
    // Another annotator cannot read or use it.
    const other = addAnnotator(db, "other");
    expect(() => getConversationView(db, { conversationId: c.id, userId: other })).toThrow(/not yours/);
  });

  it("after both bad: no new message until the annotator regenerates or ends; regenerating asks again", async () => {
    const db = memoryDb();
    const { project } = liveProject(db, "conversation");
    const u = addAnnotator(db, "ann");
    const c = startConversation(db, { projectId: project.id, userId: u });
    const t = await say(db, u, c.id, "Write a poem");
    expect(() => sendMessage(db, { conversationId: c.id, userId: u, text: "again" })).toThrow(/judge the answers first/);
    judge(db, u, t.turn.id, "both_bad");
    expect(getConversationView(db, { conversationId: c.id, userId: u }).waitingFor).toBe("regenerate-or-end");
    expect(() => sendMessage(db, { conversationId: c.id, userId: u, text: "next" })).toThrow(/regenerate them or end/);
    const again = regenerateTurn(db, { conversationId: c.id, userId: u });
    expect(again).toMatchObject({ turn: 1, userMessage: "Write a poem", state: "generating" });
    await generateTurn(db, { turnId: again.id, userId: u, samplers: samplers() });
    judge(db, u, again.id, "tie");
    const view = getConversationView(db, { conversationId: c.id, userId: u });
    expect(view.messages).toHaveLength(2); // went on from the left answer after the tie
    expect(view.waitingFor).toBe("message");
    expect(getProjectStatus(db, project.id).items).toBe(2); // the both-bad turn is an item too
  });

  it("guard rails: max turns, rate limit, pause, empty message", async () => {
    const db = memoryDb();
    const { project } = liveProject(db, "conversation", { maxTurns: 1, rateLimitPerMinute: 2 });
    const u = addAnnotator(db, "ann");
    const c = startConversation(db, { projectId: project.id, userId: u });
    expect(() => sendMessage(db, { conversationId: c.id, userId: u, text: "   " })).toThrow(/message: write a message first/);
    const t = await say(db, u, c.id, "one");
    judge(db, u, t.turn.id, "a", 1);
    expect(() => sendMessage(db, { conversationId: c.id, userId: u, text: "two" })).toThrow(/allows 1 messages/);
    setLiveSettings(db, { projectId: project.id, settings: { maxTurns: 5 } });
    sendMessage(db, { conversationId: c.id, userId: u, text: "two" });
    endConversation(db, { conversationId: c.id, userId: u });
    const c2 = startConversation(db, { projectId: project.id, userId: u });
    expect(() => sendMessage(db, { conversationId: c2.id, userId: u, text: "three" })).toThrow(/at most 2 messages a minute/);
    setLiveSettings(db, { projectId: project.id, settings: { paused: true } });
    expect(() => sendMessage(db, { conversationId: c2.id, userId: u, text: "four" })).toThrow(/paused/);
    endConversation(db, { conversationId: c2.id, userId: u });
    expect(() => startConversation(db, { projectId: project.id, userId: u })).toThrow(/paused/);
  });

  it("stops both answers server-side when the annotator leaves (AbortSignal)", async () => {
    const db = memoryDb();
    const { project } = liveProject(db, "conversation");
    const u = addAnnotator(db, "ann");
    const c = startConversation(db, { projectId: project.id, userId: u });
    const turn = sendMessage(db, { conversationId: c.id, userId: u, text: "[slow] take your time" });
    const leave = new AbortController();
    const started = Date.now();
    setTimeout(() => leave.abort(), 100);
    const r = await generateTurn(db, { turnId: turn.id, userId: u, samplers: samplers(), signal: leave.signal });
    expect(Date.now() - started).toBeLessThan(1400); // the server would answer after 1.5 s
    expect(r).toMatchObject({ state: "failed", error: "stopped: the annotator left" });
    expect(getConversationView(db, { conversationId: c.id, userId: u }).waitingFor).toBe("message");
  });

  it("asks a generator again after an empty or blank answer, but never once its text is on screen", async () => {
    const db = memoryDb();
    const { project, alpha } = liveProject(db, "conversation");
    const u = addAnnotator(db, "ann");
    const real = samplers();
    /** alpha fails its first `fails` tries as scripted; every other call is the real client. */
    const flaky = (fails: number, before: string) => {
      const calls = { alpha: 0 };
      const make =
        (id: number): LiveSampler =>
        async (messages, params, opts) => {
          if (id === alpha.id && calls.alpha++ < fails) {
            opts.onDelta?.(before);
            throw new GenerationError("empty", "alpha: empty output (finish_reason stop)", true);
          }
          return real(id)(messages, params, opts);
        };
      return { calls, make };
    };

    // Blanks then an empty answer, twice: the third try answers; the blanks never reach the screen.
    const c = startConversation(db, { projectId: project.id, userId: u, random: () => 0 });
    const t1 = sendMessage(db, { conversationId: c.id, userId: u, text: "Hello there" });
    const twice = flaky(2, " \n");
    const deltas: string[][] = [[], []];
    const r1 = await generateTurn(db, { turnId: t1.id, userId: u, samplers: twice.make, onDelta: (p, t) => deltas[p]?.push(t) });
    expect(twice.calls.alpha).toBe(3);
    expect(r1).toMatchObject({ state: "ready", error: null });
    expect(r1.answers[0]).toBe(`echo: Hello there #${alpha.id}`);
    expect(deltas[0]?.join("")).toBe(r1.answers[0]);

    // Three empty answers in a row: the turn fails and says why.
    judge(db, u, t1.id, "a", 2);
    const t2 = sendMessage(db, { conversationId: c.id, userId: u, text: "again" });
    const always = flaky(99, "");
    const r2 = await generateTurn(db, { turnId: t2.id, userId: u, samplers: always.make });
    expect(always.calls.alpha).toBe(3);
    expect(r2).toMatchObject({ state: "failed", error: "a generator failed: alpha: empty output (finish_reason stop)" });

    // Text already shown, then a retryable failure: no second try (the screen would show both).
    const t3 = sendMessage(db, { conversationId: c.id, userId: u, text: "again, please" });
    const shown = flaky(1, "Partial answer");
    const r3 = await generateTurn(db, { turnId: t3.id, userId: u, samplers: shown.make });
    expect(shown.calls.alpha).toBe(1);
    expect(r3.state).toBe("failed");
  });

  it("closes an abandoned conversation after the lease time, keeping its judged turns", async () => {
    const db = memoryDb();
    const { project } = liveProject(db, "conversation");
    const u = addAnnotator(db, "ann");
    const c = startConversation(db, { projectId: project.id, userId: u });
    const t = await say(db, u, c.id, "one");
    judge(db, u, t.turn.id, "b", 2);
    const pending = sendMessage(db, { conversationId: c.id, userId: u, text: "two" });
    expect(closeAbandonedConversations(db, { now: Date.now() + 899_000 })).toBe(0);
    expect(closeAbandonedConversations(db, { now: Date.now() + 901_000 })).toBe(1);
    const view = getConversationView(db, { conversationId: c.id, userId: u });
    expect(view.state).toBe("abandoned");
    expect(getProjectStatus(db, project.id)).toMatchObject({ items: 1, judgments: 1 });
    expect(db.$client.prepare("SELECT state FROM conversation_turns WHERE id = ?").get(pending.id)).toEqual({ state: "failed" });
    // The next start is a fresh conversation.
    expect(startConversation(db, { projectId: project.id, userId: u }).id).not.toBe(c.id);
  });
});

describe("arena battles", () => {
  it("names the generators only after the vote, never before in any answer", async () => {
    const db = memoryDb();
    const { project, alpha, beta } = liveProject(db, "arena");
    const u = addAnnotator(db, "ann");
    const c = startConversation(db, { projectId: project.id, userId: u, random: () => 0 });
    const before = [JSON.stringify(c.kind), JSON.stringify(getConversationView(db, { conversationId: c.id, userId: u }))];
    const t = await say(db, u, c.id, "Which is the tallest mountain?");
    before.push(JSON.stringify(t.result), JSON.stringify(getConversationView(db, { conversationId: c.id, userId: u })));
    for (const body of before) {
      expect(body).not.toContain(alpha.name);
      expect(body).not.toContain(beta.name);
    }
    const voted = judge(db, u, t.turn.id, "b", 2);
    expect(voted.reveal).toEqual([
      { position: 0, name: alpha.name },
      { position: 1, name: beta.name },
    ]);
    expect(getConversationView(db, { conversationId: c.id, userId: u }).reveal).toEqual(voted.reveal);
  });

  it("exports FastChat battle rows (export --format arena) and feeds the leaderboard", async () => {
    const db = memoryDb();
    const { project, alpha, beta } = liveProject(db, "arena");
    const u = addAnnotator(db, "ann");
    const votes = ["a", "a", "b", "tie", "both_bad"] as const;
    for (const [i, vote] of votes.entries()) {
      const c = startConversation(db, { projectId: project.id, userId: u, random: () => (i % 2 ? 0.9 : 0) });
      const t = await say(db, u, c.id, `prompt ${i}`);
      judge(db, u, t.turn.id, vote, vote === "a" || vote === "b" ? 2 : undefined);
      endConversation(db, { conversationId: c.id, userId: u });
    }
    const out = path.join(tempDir(), "arena.jsonl");
    const r = await exportSnapshot(db, { projectId: project.id, format: "arena", policies: { ties: "keep", bothBad: "keep" }, out });
    expect(r.rows).toBe(5);
    const rows = fs
      .readFileSync(out, "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    for (const row of rows) {
      expect(Object.keys(row)).toEqual(
        expect.arrayContaining([
          "model_a",
          "model_b",
          "winner",
          "conversation_a",
          "conversation_b",
          "turn",
          "anony",
          "language",
          "tstamp",
          "judge",
        ]),
      );
      expect([row.model_a, row.model_b].sort()).toEqual([alpha.name, beta.name].sort());
      expect(row.turn).toBe(1);
      expect(row.anony).toBe(true);
    }
    // Battle 0: alpha left and responses[0], voted A → model_a (alpha) wins. Battle 1: sides swapped, A = alpha = responses[1].
    expect(rows[0]).toMatchObject({ model_a: alpha.name, model_b: beta.name, winner: "model_a" });
    expect(rows[1]).toMatchObject({ model_a: beta.name, model_b: alpha.name, winner: "model_b" });
    expect(rows.map((x) => x.winner).slice(3)).toEqual(["tie", "tie (bothbad)"]);
    expect((rows[0]?.conversation_a as unknown[] | undefined)?.at(-1)).toEqual({
      role: "assistant",
      content: `echo: prompt 0 #${alpha.id}`,
    });
    const stats = computeProjectStats(db, { projectId: project.id, resamples: 10 });
    const byName = new Map(stats.models.map((m) => [m.model, m]));
    expect(byName.get(alpha.name)?.battles).toBe(5);
    expect(byName.get(beta.name)?.battles).toBe(5);
    // alpha won battles 0 and 1, lost 2 (B = beta, left in an unswapped battle), tie and both bad.
    expect(byName.get(alpha.name)?.bt_rating).toBeGreaterThan(byName.get(beta.name)?.bt_rating ?? Number.POSITIVE_INFINITY);
  });
});

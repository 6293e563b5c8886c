/**
 * Live conversations, arena battles, rewrites, written prompts, live settings and the live exports are
 * written once (server/database.ts) and must behave the same on both engines: one scripted afternoon on
 * a SQLite file and on its PostgreSQL copy gives the same trace (answers, errors, views, reveals), the
 * same rows and the same export files. Then two app instances on one PostgreSQL database race on one
 * conversation: one open conversation per annotator, one pending turn, one judgment per turn, one
 * stored answer pair per turn, no lost settings, no conversation closed twice.
 */
import fs from "node:fs";
import path from "node:path";
import { and, asc, count, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  assignments,
  auditEvents,
  conversations,
  conversationTurns,
  items,
  judgments,
  projectLiveSettings,
  projects,
  responses,
  rewrites,
  snapshotJudgments,
  snapshots,
  writtenPrompts,
} from "@/db/schema";
import { type AnyDb, runOp } from "@/server/database";
import type { Db } from "@/server/db";
import { openPg, type PgDb } from "@/server/db-pg";
import { leaseNextItem } from "@/server/domain/assignment";
import { addGenerator } from "@/server/domain/generation/registry";
import { submitJudgment } from "@/server/domain/judgments";
import { createProject } from "@/server/domain/projects";
import { expectSameOnBoth, type Twins, twinDatabases } from "@/server/testing/engines";
import { addAnnotator, seedProject, tempDir } from "@/server/testing/fixtures";
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
import { exportLiveSnapshot, type LiveExportParams } from "./live-exports";
import { createLiveProject, getLiveSettings, setLiveSettings } from "./live-settings";
import { countMyPrompts, getRewrite, listProjectRewrites, listWrittenPrompts, submitRewrite, writePrompt } from "./rewrites";

type Seed = {
  conv: number;
  arena: number;
  race: number;
  pairwise: number;
  prompts: number;
  pairJudgment: number;
  ann: number;
  other: number;
  racers: number[];
  generators: string[];
};

function seed(db: Db): Seed {
  const gens = ["alpha", "beta", "gamma"].map((name) =>
    addGenerator(db, { kind: "external", name, url: "http://127.0.0.1:9/v1", model: "m" }),
  );
  const names = gens.map((g) => g.name);
  const live = (name: string, kind: "conversation" | "arena", extra: Parameters<typeof setLiveSettings>[1]["settings"] = {}) => {
    const p = createProject(db, { name, overlap: 1, leaseSeconds: 600 });
    setLiveSettings(db, { projectId: p.id, settings: { kind, generators: names, ...extra } });
    return p.id;
  };
  const conv = live("chat", "conversation", { maxTurns: 3, rateLimitPerMinute: 4, systemPrompt: "Be brief.", temperature: 0.3 });
  const arena = live("arena", "arena", { generators: names.slice(0, 2) });
  const race = live("race", "conversation", { maxTurns: 100, rateLimitPerMinute: 0 });
  const pairwiseProject = seedProject(db, 2, { overlap: 1 });
  const ann = addAnnotator(db, "ann");
  const other = addAnnotator(db, "other");
  const lease = leaseNextItem(db, { projectId: pairwiseProject.id, userId: ann, now: 1_000, random: () => 0.2 });
  if (lease.status !== "item") throw new Error("no lease");
  const { judgmentId } = submitJudgment(db, {
    userId: ann,
    submission: { assignmentId: lease.item.assignmentId, clientSubmissionId: "pair-1", outcome: "a", strength: 2 },
    now: 2_000,
  });
  const prompts = createProject(db, { name: "prompts" }).id;
  const racers = Array.from({ length: 8 }, (_, i) => addAnnotator(db, `racer-${i}`));
  return { conv, arena, race, pairwise: pairwiseProject.id, prompts, pairJudgment: judgmentId, ann, other, racers, generators: names };
}

/**
 * Generators without a network: the answer echoes the last message and names the generator, streamed in
 * pieces; a message with "[fail]" makes the generators fail. `tag` marks one stream's answers.
 */
function fakeSamplers(tag = ""): (generatorId: number) => Promise<LiveSampler> {
  return async (id) => async (messages, _params, opts) => {
    const last = messages.at(-1)?.content ?? "";
    if (last.includes("[fail]")) throw new Error("the endpoint said no");
    const text = `echo: ${last} #${id}${tag}`;
    for (const piece of text.match(/.{1,5}/g) ?? []) {
      if (opts.signal?.aborted) throw new Error("aborted");
      opts.onDelta?.(piece);
      await new Promise((resolve) => setImmediate(resolve));
    }
    return { text };
  };
}

/** A seeded random source, so both engines draw the same pairs and screen orders. */
function seeded(n: number): () => number {
  let s = n >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** Drops what legitimately differs between two runs: row times the database stamps, and measured latencies. */
function stable(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(stable);
  if (value && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      if (["createdAt", "updatedAt", "firstTokenMs", "completeMs", "first_token_ms", "complete_ms"].includes(k))
        out[k] = v === null ? null : "·";
      else out[k] = stable(v);
    }
    return out;
  }
  return value;
}

async function scenario(db: AnyDb, s: Seed, dir: string): Promise<unknown[]> {
  const trace: unknown[] = [];
  const rec = (label: string, v: unknown) => trace.push([label, stable(v)]);
  const attempt = async (label: string, f: () => unknown) => {
    try {
      rec(label, { ok: await f() });
    } catch (e) {
      rec(label, { error: (e as Error).message });
    }
  };
  let now = 1_700_000_000_000;
  const tick = (ms = 1_000) => {
    now += ms;
    return now;
  };
  const u = s.ann;
  const say = async (conversationId: number, text: string) => {
    const turn = await sendMessage(db, { conversationId, userId: u, text, now: tick() });
    const deltas: string[][] = [[], []];
    const result = await generateTurn(db, { turnId: turn.id, userId: u, samplers: fakeSamplers(), onDelta: (p, t) => deltas[p]?.push(t) });
    rec("say", { turn, result, streamed: deltas.map((d) => d.join("")) });
    return turn;
  };
  let sub = 0;
  const judge = (turnId: number, outcome: "a" | "b" | "tie" | "both_bad", strength?: number, clientSubmissionId = `c-${++sub}`) =>
    judgeTurn(db, { userId: u, judgment: { turnId, outcome, strength, clientSubmissionId }, now: tick() });
  const view = async (conversationId: number, userId = u) => rec("view", await getConversationView(db, { conversationId, userId }));

  // A conversation: messages, both bad, regenerate, a failed generator, the guard rails, the end.
  rec("settings", await getLiveSettings(db, s.conv));
  const c = await startConversation(db, { projectId: s.conv, userId: u, now: tick(), random: seeded(3) });
  rec("start", c);
  rec("start again", (await startConversation(db, { projectId: s.conv, userId: u, now: tick() })).id === c.id);
  await view(c.id);
  await attempt("empty", () => sendMessage(db, { conversationId: c.id, userId: u, text: "   ", now: tick() }));
  const hello = await sendMessage(db, { conversationId: c.id, userId: u, text: "Hello", now: tick() });
  rec("sent", hello);
  await view(c.id);
  await attempt("send while generating", () => sendMessage(db, { conversationId: c.id, userId: u, text: "x", now: tick() }));
  await attempt("judge while generating", () => judge(hello.id, "a", 2));
  const deltas: string[][] = [[], []];
  rec("generate", await generateTurn(db, { turnId: hello.id, userId: u, samplers: fakeSamplers(), onDelta: (p, t) => deltas[p]?.push(t) }));
  rec(
    "streamed",
    deltas.map((d) => d.join("")),
  );
  await attempt("generate twice", () => generateTurn(db, { turnId: hello.id, userId: u, samplers: fakeSamplers() }));
  await attempt("generate someone else's", () => generateTurn(db, { turnId: hello.id, userId: s.other, samplers: fakeSamplers() }));
  await view(c.id);
  await attempt("judge without strength", () => judge(hello.id, "a"));
  rec("judge", await judge(hello.id, "a", 2, "hello-1"));
  rec("resend", await judge(hello.id, "a", 2, "hello-1"));
  await attempt("judge again", () => judge(hello.id, "b", 1));
  await view(c.id);
  const more = await say(c.id, "Tell me more");
  rec("both bad", await judge(more.id, "both_bad"));
  await view(c.id);
  await attempt("send after both bad", () => sendMessage(db, { conversationId: c.id, userId: u, text: "next", now: tick() }));
  const again = await regenerateTurn(db, { conversationId: c.id, userId: u, now: tick() });
  rec("regenerated", again);
  await attempt("regenerate twice", () => regenerateTurn(db, { conversationId: c.id, userId: u, now: tick() }));
  await generateTurn(db, { turnId: again.id, userId: u, samplers: fakeSamplers() });
  rec("tie", await judge(again.id, "tie"));
  await say(c.id, "[fail] please");
  await view(c.id);
  await attempt("rate limit", () => sendMessage(db, { conversationId: c.id, userId: u, text: "too fast", now: tick() }));
  tick(61_000);
  const third = await say(c.id, "Once more");
  rec("b", await judge(third.id, "b", 3));
  await attempt("max turns", () => sendMessage(db, { conversationId: c.id, userId: u, text: "a fourth", now: tick() }));
  rec("pause", await setLiveSettings(db, { projectId: s.conv, settings: { paused: true, maxTurns: 5 }, actorId: u }));
  await attempt("paused", () => sendMessage(db, { conversationId: c.id, userId: u, text: "paused", now: tick() }));
  rec("resume", await setLiveSettings(db, { projectId: s.conv, settings: { paused: false } }));
  const left = await sendMessage(db, { conversationId: c.id, userId: u, text: "[slow] going", now: tick() });
  const leave = new AbortController();
  leave.abort();
  rec("left", await generateTurn(db, { turnId: left.id, userId: u, samplers: fakeSamplers(), signal: leave.signal }));
  await view(c.id);
  rec("end", await endConversation(db, { conversationId: c.id, userId: u, now: tick() }));
  rec("end again", await endConversation(db, { conversationId: c.id, userId: u, now: tick() }));
  await view(c.id);
  await attempt("send after end", () => sendMessage(db, { conversationId: c.id, userId: u, text: "hi", now: tick() }));
  await attempt("someone else's", () => getConversationView(db, { conversationId: c.id, userId: s.other }));

  // Abandoned: the other annotator walks away with answers pending.
  const o = await startConversation(db, { projectId: s.conv, userId: s.other, now: tick(), random: seeded(5) });
  const pending = await sendMessage(db, { conversationId: o.id, userId: s.other, text: "Anyone?", now: tick() });
  rec("not yet", await closeAbandonedConversations(db, { now: tick() }));
  rec("abandoned", await closeAbandonedConversations(db, { now: tick(601_000) }));
  await view(o.id, s.other);
  await attempt("generate abandoned", () => generateTurn(db, { turnId: pending.id, userId: s.other, samplers: fakeSamplers() }));
  const fresh = await startConversation(db, { projectId: s.conv, userId: s.other, now: tick(), random: seeded(6) });
  rec("fresh", fresh.id !== o.id);

  // An arena battle: names only after the vote.
  const a = await startConversation(db, { projectId: s.arena, userId: u, now: tick(), random: seeded(11) });
  rec("arena", a);
  const b1 = await say(a.id, "Which is the tallest mountain?");
  await view(a.id);
  rec("vote", await judge(b1.id, "b", 2));
  rec("revote", await judge(b1.id, "b", 2, `c-${sub}`));
  await view(a.id);
  const b2 = await say(a.id, "And the second?");
  rec("vote 2", await judge(b2.id, "a", 1));

  // Rewrites: of conversation turns and of a pairwise judgment.
  const judged = await runOp(db, function* (cn) {
    return yield* cn.all(
      cn.q
        .select({ id: judgments.id, outcome: judgments.outcome, item: items.externalId })
        .from(judgments)
        .innerJoin(items, eq(items.id, judgments.itemId))
        .where(eq(judgments.annotatorId, u))
        .orderBy(asc(judgments.id)),
    );
  });
  rec("judged", judged);
  for (const j of judged) {
    await attempt(`rewrite ${j.id}`, () => submitRewrite(db, { userId: u, judgmentId: j.id, text: `Improved answer for ${j.item}.` }));
  }
  const first = judged.find((j) => j.item?.startsWith("conversation-")) ?? judged[0];
  if (!first) throw new Error("nothing judged");
  await attempt("rewrite unchanged", () => submitRewrite(db, { userId: u, judgmentId: first.id, text: "echo: Hello #1" }));
  await attempt("rewrite blank", () => submitRewrite(db, { userId: u, judgmentId: first.id, text: "  " }));
  await attempt("rewrite not yours", () => submitRewrite(db, { userId: s.other, judgmentId: first.id, text: "Mine now." }));
  await attempt("rewrite replaced", () => submitRewrite(db, { userId: u, judgmentId: first.id, text: "A better hello." }));
  rec("my rewrite", await getRewrite(db, { userId: u, judgmentId: first.id }));
  rec("not my rewrite", await getRewrite(db, { userId: s.other, judgmentId: first.id }));
  await attempt("pairwise rewrite refused", () => submitRewrite(db, { userId: u, judgmentId: s.pairJudgment, text: "Better." }));
  rec("rewrites on", await setLiveSettings(db, { projectId: s.pairwise, settings: { rewrites: true } }));
  await attempt("pairwise rewrite", () => submitRewrite(db, { userId: u, judgmentId: s.pairJudgment, text: "Better." }));
  rec("conversation rewrites", await listProjectRewrites(db, s.conv));
  rec("pairwise rewrites", await listProjectRewrites(db, s.pairwise));

  // Written prompts.
  await attempt("prompt refused", () => writePrompt(db, { projectId: s.prompts, userId: u, prompt: "Explain tides." }));
  rec("prompts on", await setLiveSettings(db, { projectId: s.prompts, settings: { promptWriting: true } }));
  await attempt("blank prompt", () => writePrompt(db, { projectId: s.prompts, userId: u, prompt: " " }));
  rec("prompt", await writePrompt(db, { projectId: s.prompts, userId: u, prompt: "Explain tides to a child." }));
  rec(
    "chat prompt",
    await writePrompt(db, {
      projectId: s.prompts,
      userId: s.other,
      prompt: [
        { role: "system", content: "Be brief." },
        { role: "user", content: "Name a prime." },
      ],
    }),
  );
  rec("my prompts", [
    await countMyPrompts(db, { projectId: s.prompts, userId: u }),
    await countMyPrompts(db, { projectId: s.prompts, userId: s.other }),
  ]);
  rec("written prompts", await listWrittenPrompts(db, s.prompts));

  // The live exports: the same bytes from either engine (a written prompt's time is the database's).
  const exports: [string, LiveExportParams][] = [
    ["sft.jsonl", { projectId: s.conv, format: "sft", out: "" }],
    ["pc.jsonl", { projectId: s.conv, format: "sft", style: "prompt-completion", out: "" }],
    ["hh.jsonl", { projectId: s.conv, format: "rewrite-pairs", pairFormat: "hh", out: "" }],
    ["trl.jsonl", { projectId: s.pairwise, format: "rewrite-pairs", pairFormat: "trl", out: "", actorId: u }],
    ["trlc.jsonl", { projectId: s.arena, format: "rewrite-pairs", pairFormat: "trl-conversational", out: "" }],
    ["prompts.jsonl", { projectId: s.prompts, format: "prompts", out: "" }],
  ];
  for (const [file, params] of exports) {
    const out = path.join(dir, file);
    const r = await exportLiveSnapshot(db, { ...params, out });
    const text = fs.readFileSync(out, "utf8").replace(/"written_at":\d+/g, '"written_at":0');
    rec(`export ${file}`, { rows: r.rows, snapshot: r.snapshot, sha256: file === "prompts.jsonl" ? "·" : r.sha256, text });
  }
  await attempt("export unknown project", () =>
    exportLiveSnapshot(db, { projectId: 9_999, format: "sft", out: path.join(dir, "x.jsonl") }),
  );

  // Settings and projects made with them; a bad generator name leaves no project (last: a sequence moves on PostgreSQL).
  await attempt("settings unknown generator", () =>
    setLiveSettings(db, { projectId: s.conv, settings: { generators: ["alpha", "nope"] } }),
  );
  await attempt("settings twice", () => setLiveSettings(db, { projectId: s.conv, settings: { generators: ["alpha", "alpha"] } }));
  await attempt("settings one generator", () =>
    setLiveSettings(db, { projectId: s.prompts, settings: { kind: "arena", generators: ["beta"] } }),
  );
  await attempt("settings unknown project", () => setLiveSettings(db, { projectId: 9_999, settings: { paused: true } }));
  const made = await createLiveProject(db, {
    project: { name: "made live" },
    live: { kind: "arena", generators: [s.generators[2] as string, 1], maxTurns: 4, temperature: 1.1 },
    actorId: u,
  });
  rec("created", made);
  rec("created plain", await createLiveProject(db, { project: { name: "made plain" } }));
  await attempt("created bad", () =>
    createLiveProject(db, { project: { name: "made bad" }, live: { kind: "conversation", generators: ["alpha", "nope"] } }),
  );
  return trace;
}

/** Every row the scenario touched, without the times the database stamps. */
async function contents(db: AnyDb) {
  return runOp(db, function* (c) {
    const out: Record<string, unknown> = {};
    const tables = {
      projects,
      projectLiveSettings,
      conversations,
      conversationTurns,
      items,
      responses,
      assignments,
      judgments,
      rewrites,
      writtenPrompts,
      snapshots,
      snapshotJudgments,
      auditEvents,
    };
    for (const [name, table] of Object.entries(tables)) {
      const rows = (yield* c.all(c.q.select().from(table))) as Record<string, unknown>[];
      const key = (r: Record<string, unknown>) => JSON.stringify([r.id ?? r.projectId ?? r.snapshotId, r.judgmentId]);
      // A written prompt's export carries the row's time, so its hash differs by the second it was written.
      const timeless = (r: Record<string, unknown>) => {
        const detail = r.detail as Record<string, unknown> | undefined;
        if (r.format === "prompts") return { ...r, sha256: "·" };
        if (detail?.format === "prompts") return { ...r, detail: { ...detail, sha256: "·" } };
        return r;
      };
      out[name] = stable(rows.map(timeless).sort((x, y) => (key(x) < key(y) ? -1 : key(x) > key(y) ? 1 : 0)));
    }
    return out;
  });
}

let twins: Twins<Seed>;
let second: PgDb;
beforeAll(async () => {
  process.env.ARBITER_PSEUDONYM_KEY ??= "conversations-engines-test-key";
  twins = await twinDatabases("conversations", seed);
  second = await openPg(twins.url, { max: 8 }); // another app instance: a pool of its own
}, 60_000);
afterAll(async () => {
  await second?.$client.end();
  await twins?.close();
});

describe("live conversations on both engines", () => {
  it("give the same trace, rows and export files on SQLite and on PostgreSQL", async () => {
    const onLite = await scenario(twins.lite, twins.seed, tempDir());
    const onPg = await scenario(twins.pg, twins.seed, tempDir());
    expect(onPg.length).toBe(onLite.length);
    for (const [i, step] of onLite.entries()) expect(onPg[i]).toEqual(step);
    expectSameOnBoth(await contents(twins.pg), await contents(twins.lite));
    // The trace is not vacuous: the guard rails spoke, answers streamed, the arena revealed after the vote.
    const text = JSON.stringify(onLite);
    for (const said of [
      "judge the answers first",
      "at most 4 messages a minute",
      "this project allows 3 messages per conversation",
      "live generation is paused for this project",
      "stopped: the annotator left",
      "a generator failed: the endpoint said no",
      "this turn is already judged",
      "this project does not take rewrites",
      "this project does not ask for prompts",
      'no generator named \\"nope\\"',
      '"duplicate":true',
      '"name":"alpha"',
    ])
      expect(text).toContain(said);
  });
});

describe("two app instances on one PostgreSQL database", () => {
  const instances = () => [twins.pg, second];
  const settle = <T>(n: number, f: (db: PgDb, i: number) => Promise<T>) =>
    Promise.allSettled(Array.from({ length: n }, (_, i) => f(instances()[i % 2] as PgDb, i)));
  const reasons = (rs: PromiseSettledResult<unknown>[]) =>
    rs.filter((r): r is PromiseRejectedResult => r.status === "rejected").map((r) => (r.reason as Error).message);
  const now = Date.now();

  it("start one conversation per annotator, take one message at a time, store one answer pair and one judgment per turn", async () => {
    const s = twins.seed;
    const userId = s.racers[0] as number;
    const starts = await settle(8, (db) => startConversation(db, { projectId: s.race, userId, now }));
    expect(reasons(starts)).toEqual([]);
    const ids = new Set(starts.map((r) => (r as PromiseFulfilledResult<{ id: number }>).value.id));
    expect(ids.size).toBe(1);
    const conversationId = [...ids][0] as number;
    const open = await runOp(twins.pg, function* (c) {
      return yield* c.first(
        c.q
          .select({ n: count() })
          .from(conversations)
          .where(and(eq(conversations.userId, userId), eq(conversations.projectId, s.race), eq(conversations.state, "open"))),
      );
    });
    expect(open?.n).toBe(1);

    const sends = await settle(8, (db, i) => sendMessage(db, { conversationId, userId, text: `message ${i}`, now }));
    expect(sends.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    expect(reasons(sends)).toEqual(Array(7).fill("judge the answers first"));
    const turn = (sends.find((r) => r.status === "fulfilled") as PromiseFulfilledResult<{ id: number }>).value;

    // Two streams of one turn (a reload, another instance): both generate, one pair is stored and both report it.
    const streams = await Promise.all(
      instances().map((db, i) => generateTurn(db, { turnId: turn.id, userId, samplers: fakeSamplers(` stream ${i}`) })),
    );
    expect(streams[0]?.state).toBe("ready");
    expect(streams[1]).toEqual(streams[0]);
    const view = await getConversationView(twins.pg, { conversationId, userId });
    expect(view.current?.answers).toEqual(streams[0]?.answers);

    // Six judgments of one turn at once: three resends of one submission, three others. One is stored.
    const judging = await settle(6, (db, i) =>
      judgeTurn(db, {
        userId,
        judgment: { turnId: turn.id, outcome: "a", strength: 1, clientSubmissionId: i < 3 ? "same" : `other-${i}` },
      }),
    );
    const stored = judging.filter((r) => r.status === "fulfilled").map((r) => (r as PromiseFulfilledResult<{ judgmentId: number }>).value);
    expect(new Set(stored.map((r) => r.judgmentId)).size).toBe(1);
    for (const message of reasons(judging)) expect(message).toBe("this turn is already judged");
    const made = await runOp(twins.pg, function* (c) {
      return yield* c.first(c.q.select({ n: count() }).from(items).where(eq(items.projectId, s.race)));
    });
    expect(made?.n).toBe(1);
    const after = await getConversationView(twins.pg, { conversationId, userId });
    expect(after).toMatchObject({ judgedTurns: 1, waitingFor: "message" });
    expect(after.messages).toHaveLength(2);
  });

  it("judging and ending one conversation at once: either the turn is judged, then the conversation ends, or it fails", async () => {
    const s = twins.seed;
    for (const [k, userId] of s.racers.slice(1, 5).entries()) {
      const c = await startConversation(twins.pg, { projectId: s.race, userId, now });
      const turn = await sendMessage(second, { conversationId: c.id, userId, text: "hi", now });
      await generateTurn(twins.pg, { turnId: turn.id, userId, samplers: fakeSamplers() });
      const [judged, ended] = await Promise.allSettled([
        judgeTurn(k % 2 ? twins.pg : second, {
          userId,
          judgment: { turnId: turn.id, outcome: "b", strength: 2, clientSubmissionId: `race-${k}` },
        }),
        endConversation(k % 2 ? second : twins.pg, { conversationId: c.id, userId }),
      ]);
      expect(ended.status).toBe("fulfilled");
      const stored = await runOp(twins.pg, function* (cn) {
        return yield* cn.first(cn.q.select().from(conversationTurns).where(eq(conversationTurns.id, turn.id)));
      });
      if (judged.status === "fulfilled") expect(stored).toMatchObject({ state: "judged", judgmentId: judged.value.judgmentId });
      else {
        expect((judged.reason as Error).message).toBe("this conversation has ended");
        expect(stored).toMatchObject({ state: "failed", judgmentId: null });
      }
    }
  });

  it("keep every admin's change when settings are changed at once", async () => {
    const s = twins.seed;
    for (let round = 0; round < 3; round++) {
      const changes = [
        { maxTurns: 7 + round },
        { temperature: 1.25 + round / 10 },
        { rateLimitPerMinute: 9 + round },
        { systemPrompt: `Be kind ${round}.` },
        { maxTokens: 100 + round },
        { rewrites: round % 2 === 0 },
      ];
      const results = await Promise.allSettled(
        changes.map((settings, i) => setLiveSettings(instances()[i % 2] as PgDb, { projectId: s.race, settings })),
      );
      expect(reasons(results)).toEqual([]);
      expect(await getLiveSettings(twins.pg, s.race)).toMatchObject(Object.assign({}, ...changes));
    }
  });

  it("close each abandoned conversation once when several instances sweep at once", async () => {
    const s = twins.seed;
    const old = 1_000;
    for (const userId of s.racers.slice(5)) await startConversation(twins.pg, { projectId: s.race, userId, now: old });
    const sweeps = await settle(6, (db) => closeAbandonedConversations(db, { now: old + 3_600_000 }));
    expect(reasons(sweeps)).toEqual([]);
    const closed = sweeps.map((r) => (r as PromiseFulfilledResult<number>).value).reduce((a, b) => a + b, 0);
    expect(closed).toBe(s.racers.slice(5).length);
  });
});

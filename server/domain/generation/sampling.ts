/**
 * Sampling jobs and rounds. `createGenerateJob` validates the prompts file (nothing is written when a
 * line is bad), then in one transaction queues a `generate` job, opens the project's next round and
 * writes one `generation_prompts` row per prompt with its plan. The runner (server/jobs/generate.ts)
 * samples the pending prompts and hands each prompt's responses to `recordPromptSuccess`, which
 * stores its item(s) and marks the prompt done in one transaction: a prompt is never half an item,
 * and a job resumed after a crash never generates a done prompt again.
 */
import { and, asc, count, desc, eq, inArray, max, sql } from "drizzle-orm";
import { z } from "zod";
import { type Content, generationPrompts, items, jobs, models, projects, responses, rounds } from "@/db/schema";
import { type Conn, domainOp, forUpdateOnPg, type Op } from "@/server/database";
import { recordAuditEvent } from "@/server/domain/audit";
import { AppError, parseInput } from "@/server/domain/errors";
import { allocateQueuePositions, getProject } from "@/server/domain/projects";
import { zId } from "@/server/domain/schemas";
import { KEEP_RULES, PAIRINGS, planPrompt } from "./plan";
import { readPromptsFile } from "./prompts";
import { type Generator, getGenerator } from "./registry";

export const zSamplingParams = z.object({
  temperature: z.number().min(0).max(2).default(1),
  topP: z.number().gt(0).max(1).default(1),
  topK: z.number().int().min(1).max(1000).optional(),
  maxTokens: z.number().int().min(1).max(32_768).default(512),
  seed: z
    .number()
    .int()
    .min(0)
    .max(2 ** 31 - 1)
    .default(0),
  stop: z.array(z.string().min(1).max(100)).max(8).optional(),
  system: z.string().max(20_000).optional(),
});
export type SamplingParams = z.infer<typeof zSamplingParams>;

export const zGenerateParams = zSamplingParams.extend({
  projectId: zId,
  promptsFile: z.string().min(1, "name the prompts file"),
  generators: z
    .array(z.union([zId, z.string().trim().min(1)]))
    .min(1, "name at least one generator")
    .max(16),
  samples: z.number().int().min(1).max(16),
  pairing: z.enum(PAIRINGS).default("all-pairs"),
  /** Prompts in flight at once (each samples all its responses concurrently). */
  concurrency: z.number().int().min(1).max(64).default(4),
  /** Reward model in the loop: sample `select` per prompt, score them, keep two for humans. */
  select: z.number().int().min(3).max(32).optional(),
  rewardModelId: zId.optional(),
  keep: z.enum(KEEP_RULES).default("best-worst"),
});
export type GenerateParams = z.input<typeof zGenerateParams>;

/** What the job config records about each generator (the round keeps the same list). */
export type RoundGenerator = {
  id: number;
  name: string;
  kind: "local" | "external";
  model: string;
  url: string | null;
  version: string | null;
};

export type GenerateConfig = Omit<z.infer<typeof zGenerateParams>, "generators"> & {
  generators: RoundGenerator[];
  round: number;
  promptsSha256: string;
};

export type Job = typeof jobs.$inferSelect;
export type Round = typeof rounds.$inferSelect;

/** Prompt rows per insert: 7 parameters each, far below either engine's limit per statement. */
const PROMPT_ROWS_PER_INSERT = 500;

/**
 * Queues a sampling job as the project's next round. The prompts file is read and checked first:
 * a bad line throws BAD_INPUT (`FILE, line N, field F: why`) and nothing is written.
 */
export const createGenerateJob = domainOp(function* createGenerateJob(
  c: Conn,
  input: GenerateParams,
  opts: { actorId?: number; promptsLabel?: string } = {},
): Op<{ job: Job; round: Round }> {
  const params = parseInput(zGenerateParams, input, "generate");
  const project = yield* getProject.op(c, params.projectId);
  const gens: Generator[] = [];
  for (const ref of params.generators) gens.push(yield* getGenerator.op(c, ref));
  if (new Set(gens.map((g) => g.id)).size !== gens.length)
    throw new AppError("BAD_INPUT", "generators: a generator is named twice", [{ field: "generators", message: "duplicate" }]);
  const ids = gens.map((g) => g.id);
  if ((params.select === undefined) !== (params.rewardModelId === undefined))
    throw new AppError("BAD_INPUT", "select: --select N and --reward-model ID go together", [
      { field: "select", message: "needs rewardModelId" },
    ]);
  if (params.select !== undefined) {
    if (ids.length !== 1)
      throw new AppError("BAD_INPUT", "select: selection samples N from one generator", [
        { field: "generators", message: "one generator with select" },
      ]);
    const model = yield* c.first(
      c.q
        .select({ id: models.id })
        .from(models)
        .where(eq(models.id, params.rewardModelId as number)),
    );
    if (!model)
      throw new AppError("NOT_FOUND", `no reward model ${params.rewardModelId}`, [{ field: "rewardModelId", message: "no such model" }]);
    params.samples = params.select;
  }
  // Shape errors (K samples vs several generators) before reading the file.
  planPrompt({ generators: ids, samples: params.samples, pairing: params.pairing, seed: params.seed, promptIndex: 0 });
  const { prompts, sha256 } = readPromptsFile(params.promptsFile, opts.promptsLabel ?? params.promptsFile);
  const roundGenerators: RoundGenerator[] = gens.map((g) => ({
    id: g.id,
    name: g.name,
    kind: g.kind,
    model: g.model,
    url: g.url,
    version: g.version,
  }));
  const promptRows = prompts.map((p, i) => {
    const plan = planPrompt({ generators: ids, samples: params.samples, pairing: params.pairing, seed: params.seed, promptIndex: i });
    // With selection the item is the two kept samples, chosen after scoring (recordPromptSuccess).
    if (params.select !== undefined) plan.groups = [[0, 1]];
    return { line: p.line, externalId: p.id, prompt: p.prompt, metadata: p.metadata, plan: plan.plan, groups: plan.groups };
  });
  // Two instances opening a round of one project at once: the (project, number) unique index refuses
  // the second, and PostgreSQL runs its transaction again with the next number.
  return yield* c.transaction(function* (tx): Op<{ job: Job; round: Round }> {
    const last = yield* tx.first(
      tx.q
        .select({ n: max(rounds.number) })
        .from(rounds)
        .where(eq(rounds.projectId, project.id)),
    );
    const number = (last?.n ?? 0) + 1;
    const config: GenerateConfig = { ...params, generators: roundGenerators, round: number, promptsSha256: sha256 };
    const job = yield* tx.first(
      tx.q
        .insert(jobs)
        .values({
          projectId: project.id,
          kind: "generate",
          config,
          createdBy: opts.actorId ?? null,
          progress: { total: prompts.length, done: 0, failed: 0 },
        })
        .returning(),
    );
    if (!job) throw new Error("the new job's row did not come back");
    const { projectId: _p, promptsFile: _f, generators: _g, concurrency: _c, ...sampling } = params;
    const round = yield* tx.first(
      tx.q
        .insert(rounds)
        .values({
          projectId: project.id,
          number,
          jobId: job.id,
          generators: roundGenerators,
          params: { ...sampling, prompts_file: opts.promptsLabel ?? params.promptsFile },
          rewardModelId: params.rewardModelId ?? null,
          promptsSha256: sha256,
          promptCount: prompts.length,
          createdBy: opts.actorId ?? null,
        })
        .returning(),
    );
    if (!round) throw new Error("the new round's row did not come back");
    for (let i = 0; i < promptRows.length; i += PROMPT_ROWS_PER_INSERT) {
      yield* tx.run(
        tx.q.insert(generationPrompts).values(promptRows.slice(i, i + PROMPT_ROWS_PER_INSERT).map((r) => ({ jobId: job.id, ...r }))),
      );
    }
    yield* recordAuditEvent.op(tx, {
      actorId: opts.actorId ?? null,
      action: "job.create",
      projectId: project.id,
      detail: { job: job.id, kind: "generate", round: number, prompts: prompts.length, generators: roundGenerators.map((g) => g.name) },
    });
    return { job, round };
  });
});

/** The messages a prompt is sent as: a plain prompt is one user turn; the job's system prompt goes first. */
export function messagesFor(prompt: Content, system?: string): { role: "system" | "user" | "assistant"; content: string }[] {
  const msgs = typeof prompt === "string" ? [{ role: "user" as const, content: prompt }] : prompt;
  if (system && msgs[0]?.role !== "system") return [{ role: "system", content: system }, ...msgs];
  return msgs;
}

/** The per-request seed of a slot: fixed by (job seed, prompt line, slot), so a rerun samples the same. */
export function slotSeed(seed: number, line: number, slot: number, slots: number): number {
  return (seed + (line - 1) * slots + slot) % 2 ** 31;
}

export type GenerationPrompt = typeof generationPrompts.$inferSelect;

export const listPendingPrompts = domainOp(function* listPendingPrompts(c: Conn, jobId: number): Op<GenerationPrompt[]> {
  return yield* c.all(
    c.q
      .select()
      .from(generationPrompts)
      .where(and(eq(generationPrompts.jobId, jobId), eq(generationPrompts.state, "pending")))
      .orderBy(asc(generationPrompts.line)),
  );
});

export const getRoundForJob = domainOp(function* getRoundForJob(c: Conn, jobId: number): Op<Round> {
  const round = yield* c.first(c.q.select().from(rounds).where(eq(rounds.jobId, jobId)));
  if (!round) throw new AppError("NOT_FOUND", `job ${jobId} has no round`);
  return round;
});

export type SampleOutcome = {
  text: string;
  finishReason: string | null;
  promptTokens: number;
  completionTokens: number;
  latencyMs: number;
  seed: number;
};

export type Selection = { rewardModelId: number; keep: string; rewards: number[]; kept: [number, number] };

/**
 * Stores a prompt's responses as its item(s) and marks it done, in one transaction. A prompt that
 * is no longer pending (done by a previous run) is left alone and null is returned.
 */
export const recordPromptSuccess = domainOp(function* recordPromptSuccess(
  c: Conn,
  params: { promptId: number; samples: SampleOutcome[]; attempts: number; selection?: Selection },
): Op<{ itemIds: number[]; tokens: number } | null> {
  return yield* c.transaction(function* (tx): Op<{ itemIds: number[]; tokens: number } | null> {
    // PostgreSQL: the prompt's row is held until commit, so two runners that both sampled it (a runner
    // taken for dead) store it once: the second finds it done.
    const p = yield* tx.first(
      forUpdateOnPg(tx.engine, tx.q.select().from(generationPrompts).where(eq(generationPrompts.id, params.promptId))),
    );
    if (p?.state !== "pending") return null;
    if (params.samples.length !== p.plan.length)
      throw new Error(`prompt ${p.id}: ${params.samples.length} samples for a plan of ${p.plan.length}`);
    const round = yield* getRoundForJob.op(tx, p.jobId);
    const project = yield* getProject.op(tx, round.projectId);
    const names = new Map(round.generators.map((g) => [g.id, g.name]));
    const itemIds: number[] = [];
    const sel = params.selection;
    const groups = sel ? [sel.kept] : p.groups;
    let queuePos = yield* allocateQueuePositions.op(tx, project.id, groups.length);
    for (const [gi, group] of groups.entries()) {
      const externalId = `r${round.number}:${p.externalId}${groups.length > 1 ? `:${gi + 1}` : ""}`;
      const metadata = {
        ...p.metadata,
        generation: {
          round: round.number,
          job: p.jobId,
          prompt_id: p.externalId,
          samples: group.map((slot) => {
            const s = params.samples[slot] as SampleOutcome;
            const plan = p.plan[slot] as { generator: number; sample: number };
            return {
              generator: names.get(plan.generator) ?? String(plan.generator),
              sample: plan.sample,
              seed: s.seed,
              finish_reason: s.finishReason,
              completion_tokens: s.completionTokens,
              latency_ms: Math.round(s.latencyMs),
            };
          }),
          ...(sel
            ? {
                selection: {
                  reward_model: sel.rewardModelId,
                  keep: sel.keep,
                  kept: sel.kept,
                  // Every sample's reward, the kept ones and the rest: what the humans' labels are compared with.
                  samples: sel.rewards.map((reward, i) => ({
                    sample: i,
                    seed: params.samples[i]?.seed,
                    reward,
                    kept: sel.kept.includes(i),
                  })),
                },
              }
            : {}),
        },
      };
      const item = yield* tx.first(
        tx.q
          .insert(items)
          .values({
            projectId: project.id,
            externalId,
            prompt: p.prompt,
            metadata,
            k: group.length,
            queuePos: queuePos++,
            openSlots: project.overlap,
            roundId: round.id,
          })
          .returning({ id: items.id }),
      );
      if (!item) throw new Error("the new item's row did not come back");
      yield* tx.run(
        tx.q.insert(responses).values(
          group.map((slot, idx) => ({
            itemId: item.id,
            idx,
            model: names.get((p.plan[slot] as { generator: number }).generator) ?? "unknown",
            content: (params.samples[slot] as SampleOutcome).text,
          })),
        ),
      );
      itemIds.push(item.id);
    }
    yield* tx.run(
      tx.q
        .update(projects)
        .set({ itemCount: sql`${projects.itemCount} + ${itemIds.length}` })
        .where(eq(projects.id, project.id)),
    );
    const tokens = params.samples.reduce((n, s) => n + s.completionTokens, 0);
    yield* tx.run(
      tx.q
        .update(generationPrompts)
        .set({ state: "done", itemIds, tokens, attempts: params.attempts, error: null, updatedAt: Math.floor(Date.now() / 1000) })
        .where(eq(generationPrompts.id, p.id)),
    );
    return { itemIds, tokens };
  });
});

/** Records that a prompt failed after its retries, with the reason; the job goes on. */
export const recordPromptFailure = domainOp(function* recordPromptFailure(
  c: Conn,
  params: { promptId: number; error: string; attempts: number },
): Op<void> {
  yield* c.run(
    c.q
      .update(generationPrompts)
      .set({ state: "failed", error: params.error.slice(0, 2000), attempts: params.attempts, updatedAt: Math.floor(Date.now() / 1000) })
      .where(and(eq(generationPrompts.id, params.promptId), eq(generationPrompts.state, "pending"))),
  );
});

export type GenerationSummary = {
  total: number;
  done: number;
  failed: number;
  pending: number;
  tokens: number;
  items: number;
  responses: number;
};

/** Counts of a job's prompts, items and responses. */
export const generationSummary = domainOp(function* generationSummary(c: Conn, jobId: number): Op<GenerationSummary> {
  const byState = yield* c.all(
    c.q
      .select({ state: generationPrompts.state, n: count(), tokens: sql<number>`coalesce(sum(${generationPrompts.tokens}), 0)` })
      .from(generationPrompts)
      .where(eq(generationPrompts.jobId, jobId))
      .groupBy(generationPrompts.state),
  );
  const n = (s: string) => byState.find((r) => r.state === s)?.n ?? 0;
  const round = yield* c.first(c.q.select({ id: rounds.id }).from(rounds).where(eq(rounds.jobId, jobId)));
  const made = round
    ? yield* c.first(
        c.q
          .select({ items: sql<number>`count(distinct ${items.id})`, responses: count(responses.id) })
          .from(items)
          .innerJoin(responses, eq(responses.itemId, items.id))
          .where(eq(items.roundId, round.id)),
      )
    : undefined;
  return {
    total: byState.reduce((a, r) => a + r.n, 0),
    done: n("done"),
    failed: n("failed"),
    pending: n("pending"),
    tokens: byState.reduce((a, r) => a + Number(r.tokens), 0),
    items: Number(made?.items ?? 0),
    responses: Number(made?.responses ?? 0),
  };
});

/** The failure list of a job (what the page offers as a download): one row per failed prompt. */
export const listGenerationFailures = domainOp(function* listGenerationFailures(c: Conn, jobId: number) {
  return yield* c.all(
    c.q
      .select({
        line: generationPrompts.line,
        id: generationPrompts.externalId,
        error: generationPrompts.error,
        attempts: generationPrompts.attempts,
      })
      .from(generationPrompts)
      .where(and(eq(generationPrompts.jobId, jobId), eq(generationPrompts.state, "failed")))
      .orderBy(asc(generationPrompts.line)),
  );
});

/**
 * Queues a failed or cancelled sampling job again; its done prompts stay done. With `retryFailed`
 * the prompts that failed are tried again too.
 */
export const resumeGenerateJob = domainOp(function* resumeGenerateJob(
  c: Conn,
  jobId: number,
  opts: { actorId?: number; retryFailed?: boolean } = {},
): Op<Job> {
  return yield* c.transaction(function* (tx): Op<Job> {
    // Held while deciding: two resumes (or a resume and a cancel) on two instances go one after the other.
    const job = yield* tx.first(forUpdateOnPg(tx.engine, tx.q.select().from(jobs).where(eq(jobs.id, jobId))));
    if (job?.kind !== "generate") throw new AppError("NOT_FOUND", `no sampling job ${jobId}`);
    if (job.state !== "failed" && job.state !== "cancelled")
      throw new AppError("CONFLICT", `job ${jobId} is ${job.state}; only a failed or cancelled job can be resumed`);
    if (opts.retryFailed)
      yield* tx.run(
        tx.q
          .update(generationPrompts)
          .set({ state: "pending", error: null })
          .where(and(eq(generationPrompts.jobId, jobId), eq(generationPrompts.state, "failed"))),
      );
    yield* recordAuditEvent.op(tx, {
      actorId: opts.actorId ?? null,
      action: "job.resume",
      projectId: job.projectId,
      detail: { job: jobId },
    });
    const resumed = yield* tx.first(
      tx.q
        .update(jobs)
        .set({ state: "queued", error: null, pid: null, finishedAt: null, progress: { ...(job.progress ?? {}), cancel_requested: false } })
        .where(eq(jobs.id, jobId))
        .returning(),
    );
    if (!resumed) throw new Error("the job's row did not come back");
    return resumed;
  });
});

/** A project's rounds, newest first, with how many items each produced. */
export const listRounds = domainOp(function* listRounds(c: Conn, projectId: number) {
  const rows = yield* c.all(c.q.select().from(rounds).where(eq(rounds.projectId, projectId)).orderBy(desc(rounds.number)));
  if (rows.length === 0) return [];
  const counts = new Map(
    (yield* c.all(
      c.q
        .select({ roundId: items.roundId, n: count() })
        .from(items)
        .where(
          inArray(
            items.roundId,
            rows.map((r) => r.id),
          ),
        )
        .groupBy(items.roundId),
    )).map((r) => [r.roundId, r.n]),
  );
  const states = new Map(
    (yield* c.all(
      c.q
        .select({ id: jobs.id, state: jobs.state })
        .from(jobs)
        .where(
          inArray(
            jobs.id,
            rows.map((r) => r.jobId),
          ),
        ),
    )).map((j) => [j.id, j.state]),
  );
  return rows.map((r) => ({
    id: r.id,
    number: r.number,
    jobId: r.jobId,
    state: states.get(r.jobId) ?? null,
    generators: r.generators.map((g) => ({ name: g.name, kind: g.kind, model: g.model, version: g.version })),
    params: r.params,
    rewardModelId: r.rewardModelId,
    promptsSha256: r.promptsSha256,
    promptCount: r.promptCount,
    items: counts.get(r.id) ?? 0,
    createdAt: r.createdAt,
  }));
});

/** A round by project and number (for `--round N` filters). */
export const getRound = domainOp(function* getRound(c: Conn, projectId: number, number: number): Op<Round> {
  const r = yield* c.first(
    c.q
      .select()
      .from(rounds)
      .where(and(eq(rounds.projectId, projectId), eq(rounds.number, number))),
  );
  if (!r) throw new AppError("NOT_FOUND", `project ${projectId} has no round ${number}`, [{ field: "round", message: "no such round" }]);
  return r;
});

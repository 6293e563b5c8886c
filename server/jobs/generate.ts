/**
 * The sampling-job runner: claims queued `generate` jobs (one at a time per database), samples each
 * pending prompt's planned responses through the generators' clients (several prompts in flight,
 * each prompt's responses concurrently), retries per-request failures with backoff, and stores each
 * prompt as its item(s) in one transaction (server/domain/generation/sampling.ts). Progress (done,
 * failed, tokens/s, ETA) goes to the job row every second and to job_events for the chart.
 *
 * Cancel sets `cancel_requested` on the job (jobs.ts#cancelJob), from any instance; this runner sees
 * it at the next progress tick, aborts the requests in flight and leaves their prompts pending. A
 * runner that died leaves its job "running": recovery queues it again, and the next run samples only
 * what is pending. On PostgreSQL, instances claim one after another (GENERATE_SLOT) and a runner
 * holds its job's liveness lock (JOB_LOCK) on a connection of its own while it runs, so recovery on
 * any host tells a live runner from a dead one, as for training jobs (runner.ts).
 */
import { setMaxListeners } from "node:events";
import os from "node:os";
import { eq, sql } from "drizzle-orm";
import { jobEvents, jobs } from "@/db/schema";
import { type AnyDb, type Conn, forUpdateOnPg, isPg, type Op, runOp } from "@/server/database";
import { selectForHumans } from "@/server/domain/generation/plan";
import { getGeneratorRecord } from "@/server/domain/generation/registry";
import {
  type GenerateConfig,
  type GenerationPrompt,
  type GenerationSummary,
  generationSummary,
  listPendingPrompts,
  messagesFor,
  recordPromptFailure,
  recordPromptSuccess,
  type SampleOutcome,
  type Selection,
  slotSeed,
} from "@/server/domain/generation/sampling";
import { getScoringModel, type ScoreFn } from "@/server/domain/scoring/project-scores";
import { GenerationError, withBackoff } from "@/server/generation/client";
import { type GeneratorClients, type SampleFn, sharedGeneratorClients } from "@/server/generation/generators";
import { type ClaimRule, claimNextJobOp, claimOnOwnConnection } from "@/server/jobs/claim";
import { bootId, finishJob, GENERATE_SLOT, getJob, type Job } from "@/server/jobs/jobs";
import { scorerFor } from "@/server/jobs/scoring";

const LOG_LIMIT = 64 * 1024;

export type GenerateRunnerOptions = {
  pollMs?: number;
  /** Only this job (the CLI's `generate --wait`). */
  only?: number;
  clients?: GeneratorClients;
  /** Tries per request (the client's own retries come on top for HTTP-level failures). */
  attempts?: number;
  backoffMs?: number;
  progressMs?: number;
  /** Give up on the job after this many prompts in a row failed (an endpoint that is down). */
  maxConsecutiveFailures?: number;
  /** The reward model's scorer for `--select` (default: the scoring service's worker pool). */
  scorer?: (modelId: number) => ScoreFn;
};

/** Appends to the job's log, keeping its last LOG_LIMIT characters. */
function* appendLogOp(c: Conn, jobId: number, text: string): Op<void> {
  // PostgreSQL's substr does not count from the end for a negative start; right() does.
  const kept =
    c.engine === "postgres" ? sql`right(${jobs.log} || ${text}, ${LOG_LIMIT})` : sql`substr(${jobs.log} || ${text}, ${-LOG_LIMIT})`;
  yield* c.run(c.q.update(jobs).set({ log: kept }).where(eq(jobs.id, jobId)));
}

type ProgressPoint = GenerationSummary & { tokens_per_s: number; eta_s: number | null; elapsed_s: number };

/** Writes a progress point (row and event) and answers whether a cancel was requested meanwhile. */
function* writeProgressOp(c: Conn, jobId: number, point: ProgressPoint): Op<boolean> {
  return yield* c.transaction(function* (tx): Op<boolean> {
    // Held while merging, so a cancel request written by another instance is not overwritten.
    const now = yield* tx.first(forUpdateOnPg(tx.engine, tx.q.select({ progress: jobs.progress }).from(jobs).where(eq(jobs.id, jobId))));
    yield* tx.run(
      tx.q
        .update(jobs)
        .set({ progress: { ...(now?.progress ?? {}), ...point } })
        .where(eq(jobs.id, jobId)),
    );
    yield* tx.run(tx.q.insert(jobEvents).values({ jobId, type: "progress", payload: { type: "progress", ...point } }));
    return now?.progress?.cancel_requested === true;
  });
}

/** A claimed job, and (PostgreSQL) the connection holding its liveness lock. */

export class GenerateRunner {
  private timer: NodeJS.Timeout | null = null;
  private current: Promise<Job | null> | null = null;
  private stopping = false;
  private abort: AbortController | null = null;
  readonly clients: GeneratorClients;
  private readonly ownsClients: boolean;

  constructor(
    private readonly db: AnyDb,
    private readonly opts: GenerateRunnerOptions = {},
  ) {
    // The shared pool is closed with the runner (its workers must not outlive this process).
    this.ownsClients = !opts.clients;
    this.clients = opts.clients ?? sharedGeneratorClients();
  }

  start(): void {
    this.timer = setInterval(() => void this.tick(), this.opts.pollMs ?? 1000);
    this.timer.unref();
    void this.tick();
  }

  /** Stops polling and aborts the job in flight (its pending prompts stay pending: it resumes later). */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.timer) clearInterval(this.timer);
    this.abort?.abort();
    await this.current;
    if (this.ownsClients) await this.clients.close();
  }

  private async scorerFor(modelId: number): Promise<ScoreFn> {
    return this.opts.scorer ? this.opts.scorer(modelId) : scorerFor(await getScoringModel(this.db, modelId));
  }

  /** Claims and runs the next queued sampling job, if none is running; resolves with it when it ends. */
  tick(): Promise<Job | null> {
    if (this.current || this.stopping) return this.current ?? Promise.resolve(null);
    const db = this.db;
    if (!isPg(db)) {
      // SQLite: the claim is synchronous, so two ticks can never both claim.
      const job = runOp(db, (c) => claimNextJobOp(c, this.rule()));
      if (!job) return Promise.resolve(null);
      return this.track(this.run(job, null));
    }
    return this.track(
      claimOnOwnConnection(db, this.rule(), "generate", () => this.stopping).then((claimed) =>
        claimed ? this.run(claimed.job, claimed.lost).finally(claimed.release) : null,
      ),
    );
  }

  /** Sampling jobs, one at a time across every instance; training does not hold their slot. */
  private rule(): ClaimRule {
    return {
      slot: GENERATE_SLOT,
      kind: "generate",
      occupies: eq(jobs.kind, "generate"),
      only: this.opts.only,
      progress: (next) => ({
        ...(next.progress ?? {}),
        cancel_requested: false,
        runner_pid: process.pid,
        runner_boot: bootId(),
        runner_host: os.hostname(),
      }),
    };
  }

  private track(p: Promise<Job | null>): Promise<Job | null> {
    this.current = p.finally(() => {
      this.current = null;
    });
    return this.current;
  }

  private async appendLog(jobId: number, text: string) {
    await runOp(this.db, (c) => appendLogOp(c, jobId, text));
  }

  private async run(job: Job, lost: AbortSignal | null): Promise<Job> {
    const db = this.db;
    const config = job.config as unknown as GenerateConfig;
    const abort = new AbortController();
    setMaxListeners(0, abort.signal); // one listener per request in flight
    this.abort = abort;
    // Losing the liveness lock (PostgreSQL) stops the run and leaves the job to whoever recovers it.
    const onLost = () => abort.abort();
    lost?.addEventListener("abort", onLost);
    const started = Date.now();
    let tokensThisRun = 0;
    let promptsThisRun = 0;
    let consecutiveFailures = 0;
    let lastFailure = "";
    let gaveUp: string | null = null;
    const maxConsecutive = this.opts.maxConsecutiveFailures ?? 10;

    const samplers = new Map<number, SampleFn>();
    try {
      for (const g of config.generators) {
        const record = await getGeneratorRecord(db, g.id);
        samplers.set(g.id, this.clients.samplerFor(record));
        if (record.kind === "local") await this.appendLog(job.id, `[arbiter] loading ${record.model} for generator ${record.name}\n`);
        await this.clients.warm(record);
      }
    } catch (e) {
      this.abort = null;
      lost?.removeEventListener("abort", onLost);
      if (!lost?.aborted) await finishJob(db, job.id, "failed", `generator not ready: ${(e as Error).message}`);
      return getJob(db, job.id);
    }

    const writeProgress = async (): Promise<ProgressPoint> => {
      const s = await generationSummary(db, job.id);
      const elapsed = (Date.now() - started) / 1000;
      const tokensPerS = elapsed > 0 ? tokensThisRun / elapsed : 0;
      const eta = promptsThisRun > 0 ? (s.pending / promptsThisRun) * elapsed : null;
      const point = { ...s, tokens_per_s: Math.round(tokensPerS * 10) / 10, eta_s: eta, elapsed_s: elapsed };
      if (lost?.aborted) return point;
      if (await runOp(db, (c) => writeProgressOp(c, job.id, point))) abort.abort();
      return point;
    };
    // One progress write at a time: a slow database skips ticks instead of piling writes up.
    let progressWrite: Promise<unknown> | null = null;
    const progressTick = () => {
      progressWrite ??= writeProgress()
        .catch((e: unknown) => console.error(`[generate] job ${job.id} progress:`, e))
        .finally(() => {
          progressWrite = null;
        });
    };

    const handle = async (p: GenerationPrompt) => {
      const messages = messagesFor(p.prompt, config.system);
      let attempts = 0;
      try {
        const samples = await Promise.all(
          p.plan.map(async (slot, i): Promise<SampleOutcome> => {
            const sample = samplers.get(slot.generator);
            if (!sample) throw new GenerationError("config", `generator ${slot.generator} is not in this round`, false);
            const seed = slotSeed(config.seed, p.line, i, p.plan.length);
            const c = await withBackoff(
              () => {
                attempts++;
                return sample(
                  messages,
                  {
                    temperature: config.temperature,
                    topP: config.topP,
                    topK: config.topK,
                    maxTokens: config.maxTokens,
                    seed,
                    stop: config.stop,
                  },
                  { signal: abort.signal },
                );
              },
              { attempts: this.opts.attempts ?? 3, baseMs: this.opts.backoffMs ?? 500, signal: abort.signal },
            );
            return {
              text: c.text,
              finishReason: c.finishReason,
              promptTokens: c.promptTokens,
              completionTokens: c.completionTokens,
              latencyMs: c.latencyMs,
              seed,
            };
          }),
        );
        if (abort.signal.aborted) return;
        let selection: Selection | undefined;
        if (config.select !== undefined && config.rewardModelId !== undefined) {
          const rewardModelId = config.rewardModelId;
          const scored = await this.scorerFor(rewardModelId)
            .then((score) => score(samples.map((s) => ({ prompt: p.prompt, response: s.text }))))
            .catch((e: Error) => {
              throw new GenerationError("config", `scoring with reward model ${rewardModelId}: ${e.message}`, false);
            });
          const rewards = scored.map((r) => r.reward);
          selection = { rewardModelId, keep: config.keep, rewards, kept: selectForHumans(rewards, config.keep) };
        }
        if (abort.signal.aborted) return;
        // Sampled and scored before this point: the transaction holds only database work (PostgreSQL may run it again).
        const r = await recordPromptSuccess(db, { promptId: p.id, samples, attempts, selection });
        tokensThisRun += r?.tokens ?? 0;
        promptsThisRun++;
        consecutiveFailures = 0;
      } catch (e) {
        if (abort.signal.aborted) return;
        const msg = e instanceof GenerationError ? `${e.reason}: ${e.message}` : `error: ${(e as Error).message}`;
        await recordPromptFailure(db, { promptId: p.id, error: msg, attempts });
        promptsThisRun++;
        lastFailure = msg;
        if (++consecutiveFailures >= maxConsecutive && !gaveUp) {
          gaveUp = `gave up after ${consecutiveFailures} prompts in a row failed; last: ${msg}`;
          abort.abort();
        }
      }
    };

    const queue = await listPendingPrompts(db, job.id);
    await this.appendLog(job.id, `[arbiter] round ${config.round}: ${queue.length} prompts to sample, ${config.concurrency} in flight\n`);
    const ticker = setInterval(progressTick, this.opts.progressMs ?? 1000);
    try {
      const worker = async () => {
        for (let p = queue.shift(); p && !abort.signal.aborted; p = queue.shift()) await handle(p);
      };
      await Promise.all(Array.from({ length: config.concurrency }, worker));
    } finally {
      clearInterval(ticker);
      await progressWrite;
      this.abort = null;
      lost?.removeEventListener("abort", onLost);
    }
    if (lost?.aborted) {
      // Another instance may own the job now: write nothing more (a job nobody holds is recovered).
      console.error(`[generate] job ${job.id}: stopped, its liveness lock was lost`);
      return getJob(db, job.id);
    }
    const point = await writeProgress();
    const metrics = {
      items: point.items,
      responses: point.responses,
      failed: point.failed,
      tokens: point.tokens,
      tokens_per_s: point.tokens_per_s,
    };
    await runOp(db, (c) => c.run(c.q.update(jobs).set({ metrics }).where(eq(jobs.id, job.id))));
    if (gaveUp) {
      await finishJob(db, job.id, "failed", gaveUp);
    } else if (abort.signal.aborted && this.stopping) {
      // This process is going away, not the job: queue it again for the next runner.
      await runOp(db, (c) => c.run(c.q.update(jobs).set({ state: "queued", pid: null }).where(eq(jobs.id, job.id))));
    } else if (abort.signal.aborted) {
      await finishJob(db, job.id, "cancelled");
    } else if (point.done === 0 && point.failed > 0) {
      await finishJob(db, job.id, "failed", `all ${point.failed} prompts failed; last: ${lastFailure}`);
    } else {
      await finishJob(db, job.id, "succeeded", point.failed > 0 ? `${point.failed} prompts failed (see the failure list)` : null);
    }
    return getJob(db, job.id);
  }
}

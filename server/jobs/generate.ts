/**
 * The sampling-job runner: claims queued `generate` jobs (one at a time per database), samples each
 * pending prompt's planned responses through the generators' clients (several prompts in flight,
 * each prompt's responses concurrently), retries per-request failures with backoff, and stores each
 * prompt as its item(s) in one transaction (server/domain/generation/sampling.ts). Progress (done,
 * failed, tokens/s, ETA) goes to the job row every second and to job_events for the chart.
 *
 * Cancel sets `cancel_requested` on the job (jobs.ts#cancelJob); this runner sees it at the next
 * progress tick, aborts the requests in flight and leaves their prompts pending. A runner that died
 * leaves its job "running": recovery queues it again, and the next run samples only what is pending.
 */
import { setMaxListeners } from "node:events";
import { and, asc, eq } from "drizzle-orm";
import { jobEvents, jobs } from "@/db/schema";
import { type Db, transaction } from "@/server/db";
import { selectForHumans } from "@/server/domain/generation/plan";
import { getGeneratorRecord } from "@/server/domain/generation/registry";
import {
  type GenerateConfig,
  type GenerationPrompt,
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
import { bootId, finishJob, getJob, type Job, recoverJobs } from "@/server/jobs/jobs";
import { scorerFor } from "@/server/jobs/scoring";

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

export class GenerateRunner {
  private timer: NodeJS.Timeout | null = null;
  private current: Promise<Job | null> | null = null;
  private stopping = false;
  private abort: AbortController | null = null;
  readonly clients: GeneratorClients;
  private readonly ownsClients: boolean;

  constructor(
    private readonly db: Db,
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

  private scorerFor(modelId: number): ScoreFn {
    return this.opts.scorer ? this.opts.scorer(modelId) : scorerFor(getScoringModel(this.db, modelId));
  }

  tick(): Promise<Job | null> {
    if (this.current || this.stopping) return this.current ?? Promise.resolve(null);
    const job = this.claim();
    if (!job) return Promise.resolve(null);
    this.current = this.run(job).finally(() => {
      this.current = null;
    });
    return this.current;
  }

  private claim(): Job | null {
    return transaction(this.db, () => {
      recoverJobs(this.db);
      const running = this.db
        .select({ id: jobs.id })
        .from(jobs)
        .where(and(eq(jobs.state, "running"), eq(jobs.kind, "generate")))
        .get();
      if (running) return null;
      const conds = [eq(jobs.state, "queued"), eq(jobs.kind, "generate")];
      if (this.opts.only) conds.push(eq(jobs.id, this.opts.only));
      const next = this.db
        .select()
        .from(jobs)
        .where(and(...conds))
        .orderBy(asc(jobs.id))
        .get();
      if (!next) return null;
      return this.db
        .update(jobs)
        .set({
          state: "running",
          startedAt: next.startedAt ?? Math.floor(Date.now() / 1000),
          progress: { ...(next.progress ?? {}), cancel_requested: false, runner_pid: process.pid, runner_boot: bootId() },
        })
        .where(eq(jobs.id, next.id))
        .returning()
        .get();
    });
  }

  private appendLog(jobId: number, text: string) {
    const job = getJob(this.db, jobId);
    this.db
      .update(jobs)
      .set({ log: `${job.log}${text}`.slice(-64 * 1024) })
      .where(eq(jobs.id, jobId))
      .run();
  }

  private async run(job: Job): Promise<Job> {
    const db = this.db;
    const config = job.config as unknown as GenerateConfig;
    const abort = new AbortController();
    setMaxListeners(0, abort.signal); // one listener per request in flight
    this.abort = abort;
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
        const record = getGeneratorRecord(db, g.id);
        samplers.set(g.id, this.clients.samplerFor(record));
        if (record.kind === "local") this.appendLog(job.id, `[arbiter] loading ${record.model} for generator ${record.name}\n`);
        await this.clients.warm(record);
      }
    } catch (e) {
      this.abort = null;
      finishJob(db, job.id, "failed", `generator not ready: ${(e as Error).message}`);
      return getJob(db, job.id);
    }

    const writeProgress = () => {
      const s = generationSummary(db, job.id);
      const elapsed = (Date.now() - started) / 1000;
      const tokensPerS = elapsed > 0 ? tokensThisRun / elapsed : 0;
      const eta = promptsThisRun > 0 ? (s.pending / promptsThisRun) * elapsed : null;
      const point = { ...s, tokens_per_s: Math.round(tokensPerS * 10) / 10, eta_s: eta, elapsed_s: elapsed };
      const cancel = transaction(db, () => {
        const now = getJob(db, job.id);
        db.update(jobs)
          .set({ progress: { ...(now.progress ?? {}), ...point } })
          .where(eq(jobs.id, job.id))
          .run();
        db.insert(jobEvents)
          .values({ jobId: job.id, type: "progress", payload: { type: "progress", ...point } })
          .run();
        return now.progress?.cancel_requested === true;
      });
      if (cancel) abort.abort();
      return point;
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
          const scored = await this.scorerFor(rewardModelId)(samples.map((s) => ({ prompt: p.prompt, response: s.text }))).catch(
            (e: Error) => {
              throw new GenerationError("config", `scoring with reward model ${rewardModelId}: ${e.message}`, false);
            },
          );
          const rewards = scored.map((r) => r.reward);
          selection = { rewardModelId, keep: config.keep, rewards, kept: selectForHumans(rewards, config.keep) };
        }
        if (abort.signal.aborted) return;
        const r = recordPromptSuccess(db, { promptId: p.id, samples, attempts, selection });
        tokensThisRun += r?.tokens ?? 0;
        promptsThisRun++;
        consecutiveFailures = 0;
      } catch (e) {
        if (abort.signal.aborted) return;
        const msg = e instanceof GenerationError ? `${e.reason}: ${e.message}` : `error: ${(e as Error).message}`;
        recordPromptFailure(db, { promptId: p.id, error: msg, attempts });
        promptsThisRun++;
        lastFailure = msg;
        if (++consecutiveFailures >= maxConsecutive && !gaveUp) {
          gaveUp = `gave up after ${consecutiveFailures} prompts in a row failed; last: ${msg}`;
          abort.abort();
        }
      }
    };

    const queue = listPendingPrompts(db, job.id);
    this.appendLog(job.id, `[arbiter] round ${config.round}: ${queue.length} prompts to sample, ${config.concurrency} in flight\n`);
    const ticker = setInterval(writeProgress, this.opts.progressMs ?? 1000);
    try {
      const worker = async () => {
        for (let p = queue.shift(); p && !abort.signal.aborted; p = queue.shift()) await handle(p);
      };
      await Promise.all(Array.from({ length: config.concurrency }, worker));
    } finally {
      clearInterval(ticker);
      this.abort = null;
    }
    const point = writeProgress();
    const metrics = {
      items: point.items,
      responses: point.responses,
      failed: point.failed,
      tokens: point.tokens,
      tokens_per_s: point.tokens_per_s,
    };
    db.update(jobs).set({ metrics }).where(eq(jobs.id, job.id)).run();
    if (gaveUp) {
      finishJob(db, job.id, "failed", gaveUp);
    } else if (abort.signal.aborted && this.stopping) {
      // This process is going away, not the job: queue it again for the next runner.
      db.update(jobs).set({ state: "queued", pid: null }).where(eq(jobs.id, job.id)).run();
    } else if (abort.signal.aborted) {
      finishJob(db, job.id, "cancelled");
    } else if (point.done === 0 && point.failed > 0) {
      finishJob(db, job.id, "failed", `all ${point.failed} prompts failed; last: ${lastFailure}`);
    } else {
      finishJob(db, job.id, "succeeded", point.failed > 0 ? `${point.failed} prompts failed (see the failure list)` : null);
    }
    return getJob(db, job.id);
  }
}

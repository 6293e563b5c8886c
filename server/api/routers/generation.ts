/** Generation (issue #14): the generator registry, sampling jobs (rounds) and their failures. Researchers only. */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { z } from "zod";
import { createTRPCRouter, researcherProcedure, staffProcedure } from "@/server/api/trpc";
import { AppError } from "@/server/domain/errors";
import { PAIRINGS } from "@/server/domain/generation/plan";
import {
  addGenerator,
  getGenerator,
  listGenerators,
  prepareGenerator,
  publicGenerator,
  removeGenerator,
  runProbe,
  testGenerator,
  zAddGenerator,
} from "@/server/domain/generation/registry";
import {
  createGenerateJob,
  generationSummary,
  getRoundForJob,
  listGenerationFailures,
  listRounds,
  resumeGenerateJob,
  zSamplingParams,
} from "@/server/domain/generation/sampling";
import { zId } from "@/server/domain/schemas";
import { sharedGeneratorClients } from "@/server/generation/generators";
import { cancelJob, getJob, listJobEvents, listJobs } from "@/server/jobs/jobs";

/** Prompts sent from the page: the JSONL text (the 8 MB request limit bounds it) and the file's name. */
const MAX_PROMPTS_CHARS = 7 * 1024 * 1024;

export const generationRouter = createTRPCRouter({
  generators: researcherProcedure.query(async ({ ctx }) => await listGenerators(ctx.db)),

  /** Registers a generator; with `test`, only after one probe request succeeded. */
  addGenerator: researcherProcedure
    .input(z.object({ generator: zAddGenerator, test: z.boolean().default(false) }))
    .mutation(async ({ ctx, input }) => {
      if (!input.test) return { generator: publicGenerator(await addGenerator(ctx.db, input.generator, ctx.user.id)), test: null };
      const prepared = await prepareGenerator(ctx.db, input.generator);
      const probe = await runProbe(sharedGeneratorClients().probeFor(prepared));
      if (!probe.ok) return { generator: null, test: probe };
      return { generator: publicGenerator(await addGenerator(ctx.db, input.generator, ctx.user.id, probe)), test: probe };
    }),

  removeGenerator: researcherProcedure
    .input(z.object({ id: zId }))
    .mutation(async ({ ctx, input }) => publicGenerator(await removeGenerator(ctx.db, input.id, ctx.user.id))),

  /** One probe request: latency, time to first token, tokens/s and the sample (stored on the generator). */
  testGenerator: researcherProcedure.input(z.object({ id: zId })).mutation(async ({ ctx, input }) => {
    const g = await getGenerator(ctx.db, input.id);
    return testGenerator(ctx.db, g.id, sharedGeneratorClients().probeFor(g));
  }),

  /** Queues a sampling job (the project's next round) from an uploaded prompts file. */
  start: researcherProcedure
    .input(
      zSamplingParams.extend({
        projectId: zId,
        prompts: z
          .string()
          .min(1, "choose a prompts file")
          .max(MAX_PROMPTS_CHARS, "at most 7 MB of prompts per upload; use the CLI for more"),
        promptsName: z.string().trim().min(1).max(200).default("prompts.jsonl"),
        generators: z.array(zId).min(1, "choose at least one generator").max(16),
        samples: z.number().int().min(1).max(16),
        pairing: z.enum(PAIRINGS).default("all-pairs"),
        concurrency: z.number().int().min(1).max(64).default(4),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      const { prompts, promptsName, ...params } = input;
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "arbiter-prompts-"));
      const file = path.join(dir, "prompts.jsonl");
      try {
        fs.writeFileSync(file, prompts);
        const { job, round } = await createGenerateJob(
          ctx.db,
          { ...params, promptsFile: file },
          { actorId: ctx.user.id, promptsLabel: promptsName },
        );
        return { jobId: job.id, round: round.number };
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    }),

  /** Sampling jobs, newest first, with their round and counts. */
  jobs: researcherProcedure.query(async ({ ctx }) => {
    const list = await listJobs(ctx.db, 50, "generate");
    return Promise.all(
      list.map(async (j) => ({ ...j, round: (await getRoundForJob(ctx.db, j.id)).number, summary: await generationSummary(ctx.db, j.id) })),
    );
  }),

  /** A sampling job with its progress points after `afterId` (the page polls and appends). */
  job: researcherProcedure.input(z.object({ jobId: zId, afterId: z.number().int().min(0).default(0) })).query(async ({ ctx, input }) => {
    const { log, config, ...job } = await getJob(ctx.db, input.jobId);
    if (job.kind !== "generate") throw new AppError("NOT_FOUND", `job ${input.jobId} is not a sampling job`);
    const round = await getRoundForJob(ctx.db, job.id);
    return {
      job: { ...job, logTail: log.slice(-4000) },
      round: {
        number: round.number,
        generators: round.generators.map((g) => g.name),
        params: round.params,
        promptCount: round.promptCount,
      },
      summary: await generationSummary(ctx.db, job.id),
      events: await listJobEvents(ctx.db, job.id, input.afterId),
    };
  }),

  /** The failure list: one row per failed prompt (line, id, reason, attempts). */
  failures: researcherProcedure
    .input(z.object({ jobId: zId }))
    .query(async ({ ctx, input }) => await listGenerationFailures(ctx.db, input.jobId)),

  cancel: researcherProcedure.input(z.object({ jobId: zId })).mutation(async ({ ctx, input }) => {
    const job = await cancelJob(ctx.db, input.jobId, ctx.user.id);
    return { id: job.id, state: job.state };
  }),

  resume: researcherProcedure.input(z.object({ jobId: zId, retryFailed: z.boolean().default(false) })).mutation(async ({ ctx, input }) => {
    const job = await resumeGenerateJob(ctx.db, input.jobId, { actorId: ctx.user.id, retryFailed: input.retryFailed });
    return { id: job.id, state: job.state };
  }),

  /** A project's rounds (generators and versions, params, prompts sha256, items): the admin project page shows them too. */
  rounds: staffProcedure.input(z.object({ projectId: zId })).query(async ({ ctx, input }) => await listRounds(ctx.db, input.projectId)),
});

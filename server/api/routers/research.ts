import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { z } from "zod";
import { createTRPCRouter, researcherProcedure } from "@/server/api/trpc";
import { zId } from "@/server/domain/schemas";
import { getScoringModel } from "@/server/domain/scoring/project-scores";
import { evaluatePreferenceFile } from "@/server/domain/training/evaluate";
import { verdictFromMetrics } from "@/server/domain/training/held-out";
import { modelRounds } from "@/server/domain/training/model-rounds";
import { runDoctor } from "@/server/jobs/doctor";
import {
  cancelJob,
  createTrainJob,
  getJob,
  latestCheckpoint,
  listJobEvents,
  listJobs,
  listModels,
  resumeJob,
  zTrainParams,
} from "@/server/jobs/jobs";
import { scorerFor } from "@/server/jobs/scoring";

export const researchRouter = createTRPCRouter({
  doctor: researcherProcedure.query(() => runDoctor()),

  // Training jobs only: project scoring jobs (kind "score") belong to the model-vs-humans page.
  jobs: researcherProcedure.query(async ({ ctx }) => await listJobs(ctx.db, 50, "train")),

  /** A job with its protocol events after `afterId` (the page polls and appends). */
  job: researcherProcedure.input(z.object({ jobId: zId, afterId: z.number().int().min(0).default(0) })).query(async ({ ctx, input }) => {
    const { log, ...job } = await getJob(ctx.db, input.jobId);
    const checkpoint = job.state === "failed" || job.state === "cancelled" ? latestCheckpoint(job) : null;
    const verdict = job.state === "succeeded" ? verdictFromMetrics(job.metrics, job.config) : null;
    return {
      job: { ...job, logTail: log.slice(-4000), resumableFromStep: checkpoint?.step ?? null, verdict },
      events: await listJobEvents(ctx.db, input.jobId, input.afterId),
    };
  }),

  train: researcherProcedure
    .input(zTrainParams)
    .mutation(async ({ ctx, input }) => await createTrainJob(ctx.db, input, { actorId: ctx.user.id })),

  cancel: researcherProcedure
    .input(z.object({ jobId: zId }))
    .mutation(async ({ ctx, input }) => await cancelJob(ctx.db, input.jobId, ctx.user.id)),

  /** Queues a failed or cancelled job again, continuing from its newest checkpoint. */
  resume: researcherProcedure
    .input(z.object({ jobId: zId }))
    .mutation(async ({ ctx, input }) => await resumeJob(ctx.db, input.jobId, ctx.user.id)),

  /**
   * RewardBench-style accuracy of a model on an uploaded preference file (TRL standard or conversational,
   * HH, implicit prompt): reward(chosen) > reward(rejected), ties wrong, per subset when asked.
   */
  evaluate: researcherProcedure
    .input(
      z.object({
        modelId: zId,
        fileName: z.string().trim().min(1).max(200),
        content: z.string().min(1, "the file is empty").max(6_000_000, "at most 6 MB here; use the CLI (evaluate) for bigger files"),
        subsetField: z.string().trim().min(1).max(100).optional(),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      const model = await getScoringModel(ctx.db, input.modelId);
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "arbiter-evaluate-"));
      try {
        const file = path.join(dir, "upload.jsonl");
        fs.writeFileSync(file, input.content);
        return await evaluatePreferenceFile({
          file,
          name: input.fileName,
          subsetField: input.subsetField ?? null,
          score: scorerFor(model),
        });
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    }),

  /**
   * Models with the held-out verdict of their training run (at or below chance is flagged) and their
   * rounds: which generation rounds they trained on, and which rounds they helped generate.
   */
  models: researcherProcedure.query(async ({ ctx }) => {
    const list = await listModels(ctx.db);
    const rounds = await modelRounds(ctx.db, list);
    return list.map((m) => ({ ...m, verdict: verdictFromMetrics(m.metrics, m.config), rounds: rounds.get(m.id) ?? null }));
  }),
});

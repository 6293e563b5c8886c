import { z } from "zod";
import { createTRPCRouter, researcherProcedure } from "@/server/api/trpc";
import { zId } from "@/server/domain/schemas";
import { verdictFromMetrics } from "@/server/domain/training/held-out";
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

export const researchRouter = createTRPCRouter({
  doctor: researcherProcedure.query(() => runDoctor()),

  // Training jobs only: project scoring jobs (kind "score") belong to the model-vs-humans page.
  jobs: researcherProcedure.query(({ ctx }) => listJobs(ctx.db, 50, "train")),

  /** A job with its protocol events after `afterId` (the page polls and appends). */
  job: researcherProcedure.input(z.object({ jobId: zId, afterId: z.number().int().min(0).default(0) })).query(({ ctx, input }) => {
    const { log, ...job } = getJob(ctx.db, input.jobId);
    const checkpoint = job.state === "failed" || job.state === "cancelled" ? latestCheckpoint(job) : null;
    const verdict = job.state === "succeeded" ? verdictFromMetrics(job.metrics, job.config) : null;
    return {
      job: { ...job, logTail: log.slice(-4000), resumableFromStep: checkpoint?.step ?? null, verdict },
      events: listJobEvents(ctx.db, input.jobId, input.afterId),
    };
  }),

  train: researcherProcedure.input(zTrainParams).mutation(({ ctx, input }) => createTrainJob(ctx.db, input, { actorId: ctx.user.id })),

  cancel: researcherProcedure.input(z.object({ jobId: zId })).mutation(({ ctx, input }) => cancelJob(ctx.db, input.jobId, ctx.user.id)),

  /** Queues a failed or cancelled job again, continuing from its newest checkpoint. */
  resume: researcherProcedure.input(z.object({ jobId: zId })).mutation(({ ctx, input }) => resumeJob(ctx.db, input.jobId, ctx.user.id)),

  /** Models with the held-out verdict of their training run (at or below chance is flagged). */
  models: researcherProcedure.query(({ ctx }) =>
    listModels(ctx.db).map((m) => ({ ...m, verdict: verdictFromMetrics(m.metrics, m.config) })),
  ),
});

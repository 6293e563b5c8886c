/**
 * CLI commands for generation (issue #14): the generator registry (`generator:add|list|remove|test`)
 * and sampling jobs (`generate`). Thin shells over server/domain/generation, with the clients of
 * server/generation (the `openai` client; the local worker pool).
 */
import type { AnyDb } from "@/server/database";
import { AppError } from "@/server/domain/errors";
import { KEEP_RULES, type KeepRule, PAIRINGS, type Pairing } from "@/server/domain/generation/plan";
import {
  addGenerator,
  getGenerator,
  listGenerators,
  type ProbeResult,
  prepareGenerator,
  publicGenerator,
  removeGenerator,
  runProbe,
  testGenerator,
} from "@/server/domain/generation/registry";
import {
  createGenerateJob,
  generationSummary,
  getRoundForJob,
  listGenerationFailures,
  resumeGenerateJob,
} from "@/server/domain/generation/sampling";
import { resolveProjectRef } from "@/server/domain/projects";
import { GeneratorClients } from "@/server/generation/generators";
import { GenerateRunner } from "@/server/jobs/generate";
import { getJob, recoverJobs } from "@/server/jobs/jobs";
import type { AnyDbCommand, CliHelpers, Flags } from "./cli-types";
import { progressBar } from "./progress";

const str = (f: Flags, name: string) => (typeof f[name] === "string" ? (f[name] as string) : undefined);

function probeText(name: string, p: ProbeResult): string {
  if (!p.ok) return `generator ${name}: test failed: ${p.error}`;
  return `generator ${name}: ${p.latency_ms} ms, first token ${p.ttft_ms ?? "?"} ms, ${p.tokens} tokens, ${p.tokens_per_s ?? "?"} tokens/s\n  ${JSON.stringify(p.sample)}`;
}

function numFlag(h: CliHelpers, f: Flags, name: string): number | undefined {
  const v = str(f, name);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (v.trim() === "" || !Number.isFinite(n)) throw h.usageError(`--${name} takes a number`);
  return n;
}

/** Runs the sampling job here (or waits for the runner that holds it) with a progress bar on a terminal. */
async function waitForGenerateJob(db: AnyDb, jobId: number) {
  const runner = new GenerateRunner(db, { only: jobId });
  const bar = progressBar("sampling [{bar}] {value}/{total} prompts | {failed} failed | {tps} tokens/s | {eta_formatted} left");
  const show = setInterval(async () => {
    // A progress read that fails (the pool closing as the command ends) only skips one update.
    const p = await Promise.resolve(getJob(db, jobId)).then(
      (j) => j.progress,
      () => null,
    );
    if (typeof p?.total !== "number") return;
    bar.update(Number(p.done ?? 0) + Number(p.failed ?? 0), p.total, { failed: String(p.failed ?? 0), tps: String(p.tokens_per_s ?? "?") });
  }, 500);
  try {
    for (;;) {
      await runner.tick();
      const job = await getJob(db, jobId);
      if (job.state !== "queued" && job.state !== "running") return job;
      await new Promise((r) => setTimeout(r, 1000));
    }
  } finally {
    clearInterval(show);
    bar.stop();
    await runner.stop();
  }
}

/** `{job, items, responses, failed, tokens, tokens_per_s}` for a job, queued or finished. */
async function generateResult(db: AnyDb, jobId: number, wait: boolean) {
  const round = await getRoundForJob(db, jobId);
  if (!wait) {
    const s = await generationSummary(db, jobId);
    return {
      json: {
        job: jobId,
        round: round.number,
        state: (await getJob(db, jobId)).state,
        items: s.items,
        responses: s.responses,
        failed: s.failed,
        tokens: s.tokens,
        tokens_per_s: null,
      },
      text: `queued sampling job ${jobId} (round ${round.number} of project ${round.projectId}, ${s.total} prompts); the server's runner will sample it`,
    };
  }
  const job = await waitForGenerateJob(db, jobId);
  const s = await generationSummary(db, jobId);
  const tps = typeof job.metrics?.tokens_per_s === "number" ? job.metrics.tokens_per_s : null;
  if (job.state !== "succeeded") throw new AppError("BAD_INPUT", `sampling job ${jobId} ${job.state}: ${job.error ?? "no reason given"}`);
  const failures = await listGenerationFailures(db, jobId);
  return {
    json: {
      job: jobId,
      round: round.number,
      items: s.items,
      responses: s.responses,
      failed: s.failed,
      tokens: s.tokens,
      tokens_per_s: tps,
    },
    text: [
      `sampling job ${jobId} (round ${round.number}): ${s.items} items, ${s.responses} responses, ${s.tokens} tokens at ${tps ?? "?"} tokens/s; ${s.failed} prompts failed`,
      ...failures.slice(0, 20).map((f) => `  line ${f.line} (${f.id}): ${f.error}`),
      ...(failures.length > 20 ? [`  … and ${failures.length - 20} more (generate:failures --job ${jobId})`] : []),
    ].join("\n"),
  };
}

export function generationCommands(h: CliHelpers): Record<string, AnyDbCommand> {
  return {
    "generator:add": {
      summary: "register a generator: a local HF causal LM (our worker) or an OpenAI-compatible server",
      usage: "generator:add --name N (--local MODEL [--device auto|cpu|cuda] | --url URL --model M [--api-key-env VAR]) [--test]",
      options: {
        name: { type: "string" },
        local: { type: "string" },
        device: { type: "string" },
        url: { type: "string" },
        model: { type: "string" },
        "api-key-env": { type: "string" },
        test: { type: "boolean" },
      },
      async runAny(db, f) {
        const name = h.required(f, "name");
        const local = str(f, "local");
        const url = str(f, "url");
        if ((local === undefined) === (url === undefined)) throw h.usageError("give --local MODEL or --url URL --model M (one of them)");
        if (local !== undefined && (f.model !== undefined || f["api-key-env"] !== undefined))
          throw h.usageError("--model and --api-key-env are for --url generators; a local one names its model with --local");
        if (url !== undefined && f.device !== undefined) throw h.usageError("--device is for --local generators");
        const device = str(f, "device") ?? "auto";
        if (device !== "auto" && device !== "cpu" && device !== "cuda") throw h.usageError("--device is auto, cpu or cuda");
        const input =
          local !== undefined
            ? { kind: "local" as const, name, model: local, device: device as "auto" }
            : {
                kind: "external" as const,
                name,
                url: url as string,
                model: h.required(f, "model"),
                apiKeyEnv: str(f, "api-key-env") ?? null,
              };
        let probe: ProbeResult | undefined;
        if (f.test === true) {
          const prepared = await prepareGenerator(db, input);
          const clients = new GeneratorClients(undefined, { maxRetries: 1, timeoutMs: 60_000 });
          try {
            probe = await runProbe(clients.probeFor(prepared));
          } finally {
            await clients.close();
          }
          if (!probe.ok) throw new AppError("BAD_INPUT", `generator ${name} not added: the test request failed: ${probe.error}`);
        }
        const g = await addGenerator(db, input, undefined, probe);
        return {
          json: { id: g.id, name: g.name, ...(probe ? { test: probe } : {}) },
          text: `generator ${g.id} "${g.name}" (${g.kind}: ${g.kind === "local" ? g.model : `${g.model} at ${g.url}`})${probe ? `\n${probeText(g.name, probe)}` : ""}`,
        };
      },
    },
    "generator:list": {
      summary: "list registered generators",
      usage: "generator:list",
      options: {},
      async runAny(db) {
        const gens = await listGenerators(db);
        return {
          json: { generators: gens },
          text: gens.length
            ? gens
                .map(
                  (g) =>
                    `${String(g.id).padStart(4)}  ${g.name}  ${g.kind === "local" ? `local ${g.model} (${g.device})` : `${g.model} at ${g.url}${g.apiKeyEnv ? ` (key: $${g.apiKeyEnv}${g.apiKeySet ? "" : ", not set"})` : ""}`}`,
                )
                .join("\n")
            : "no generators; add one with generator:add",
        };
      },
    },
    "generator:remove": {
      summary: "remove a generator from the registry (rounds that used it keep their record)",
      usage: "generator:remove --name N|ID",
      options: { name: { type: "string" } },
      async runAny(db, f) {
        const g = await removeGenerator(db, h.required(f, "name"));
        return { json: { id: g.id, name: g.name, removed: true }, text: `removed generator ${g.id} "${g.name}"` };
      },
    },
    "generator:test": {
      summary: "send one probe request to a generator: latency, time to first token, tokens/s and the sample",
      usage: "generator:test --name N|ID",
      options: { name: { type: "string" } },
      async runAny(db, f) {
        const g = await getGenerator(db, h.required(f, "name"));
        const clients = new GeneratorClients(undefined, { maxRetries: 1, timeoutMs: 60_000 });
        let probe: ProbeResult;
        try {
          probe = await testGenerator(db, g.id, clients.probeFor(g));
        } finally {
          await clients.close();
        }
        if (!probe.ok) throw new AppError("BAD_INPUT", `generator ${g.name}: the test request failed: ${probe.error}`);
        return { json: { ...publicGenerator(await getGenerator(db, g.id)), test: probe }, text: probeText(g.name, probe) };
      },
    },
    generate: {
      summary: "sample responses for a project's prompts from generators (a round): K samples of one, or one each of several",
      usage:
        "generate --project ID --prompts FILE --generators A[,B…] --samples K [--pairing all-pairs|random-pair] [--temperature T] [--top-p P] [--top-k N] [--max-tokens N] [--seed S] [--system TEXT] [--stop S] [--concurrency N] [--select N --reward-model ID [--keep best-worst|top2|most-uncertain]] [--wait] | generate --resume JOB [--retry-failed] [--wait]",
      options: {
        project: { type: "string" },
        prompts: { type: "string" },
        generators: { type: "string" },
        samples: { type: "string" },
        pairing: { type: "string" },
        temperature: { type: "string" },
        "top-p": { type: "string" },
        "top-k": { type: "string" },
        "max-tokens": { type: "string" },
        seed: { type: "string" },
        system: { type: "string" },
        stop: { type: "string" },
        concurrency: { type: "string" },
        select: { type: "string" },
        "reward-model": { type: "string" },
        keep: { type: "string" },
        resume: { type: "string" },
        "retry-failed": { type: "boolean" },
        wait: { type: "boolean" },
      },
      async runAny(db, f) {
        const wait = f.wait === true;
        if (f.resume !== undefined) {
          const jobId = h.intFlag(f, "resume", 0);
          await recoverJobs(db); // a job whose process died is queued again here
          const job = await getJob(db, jobId);
          if (job.state === "failed" || job.state === "cancelled")
            await resumeGenerateJob(db, jobId, { retryFailed: f["retry-failed"] === true });
          else if (f["retry-failed"] === true)
            throw h.usageError(`--retry-failed needs a failed or cancelled job; job ${jobId} is ${job.state}`);
          return generateResult(db, jobId, wait);
        }
        const projectId = await resolveProjectRef(db, h.required(f, "project"));
        const pairing = str(f, "pairing") ?? "all-pairs";
        if (!PAIRINGS.includes(pairing as Pairing)) throw h.usageError(`--pairing is ${PAIRINGS.join(" or ")}`);
        const keep = str(f, "keep") ?? "best-worst";
        if (!KEEP_RULES.includes(keep as KeepRule)) throw h.usageError(`--keep is ${KEEP_RULES.join(", ")}`);
        const select = f.select === undefined ? undefined : h.intFlag(f, "select", 0);
        const rewardModelId = f["reward-model"] === undefined ? undefined : h.intFlag(f, "reward-model", 0);
        if ((select === undefined) !== (rewardModelId === undefined)) throw h.usageError("--select N and --reward-model ID go together");
        const samples = select ?? h.intFlag(f, "samples", 1);
        const { job } = await createGenerateJob(db, {
          projectId,
          promptsFile: h.required(f, "prompts"),
          generators: h
            .required(f, "generators")
            .split(",")
            .map((g) => g.trim())
            .filter(Boolean),
          samples,
          pairing: pairing as Pairing,
          temperature: numFlag(h, f, "temperature"),
          topP: numFlag(h, f, "top-p"),
          topK: f["top-k"] === undefined ? undefined : h.intFlag(f, "top-k", 0),
          maxTokens: f["max-tokens"] === undefined ? undefined : h.intFlag(f, "max-tokens", 0),
          seed: f.seed === undefined ? undefined : h.intFlag(f, "seed", 0),
          system: str(f, "system"),
          stop: str(f, "stop") === undefined ? undefined : [str(f, "stop") as string],
          concurrency: f.concurrency === undefined ? undefined : h.intFlag(f, "concurrency", 0),
          select,
          rewardModelId,
          keep: keep as KeepRule,
        });
        return generateResult(db, job.id, wait);
      },
    },
    "generate:failures": {
      summary: "the failure list of a sampling job: one JSON line per failed prompt (line, id, error, attempts)",
      usage: "generate:failures --job ID",
      options: { job: { type: "string" } },
      async runAny(db, f) {
        const jobId = h.intFlag(f, "job", 0);
        await getRoundForJob(db, jobId);
        const failures = await listGenerationFailures(db, jobId);
        return { json: { job: jobId, failures }, text: failures.map((x) => JSON.stringify(x)).join("\n") || "no failures" };
      },
    },
  };
}

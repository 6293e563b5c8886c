/**
 * The Arbiter CLI: `npm run arbiter -- <command> [--flag value …]` (entry point scripts/arbiter.ts).
 * Every command is a thin shell over a server/domain function (the same ones tRPC calls). `--json`
 * prints exactly one JSON object on stdout. Exit 0 on success, 1 on a user error (one line `error: …`
 * on stderr), 2 on usage errors. `--db` (or ARBITER_DB) is a SQLite file or a postgres:// URL: every
 * command runs on both engines (`runAny`) except the few of SQLITE_ONLY_CLI_COMMANDS (`run`).
 */
import { parseArgs } from "node:util";
import { RATIONALE_POLICIES } from "@/db/schema";
import type { AnyDb } from "@/server/database";
import { type Db, DEFAULT_DB_PATH, openDb, restrictFileModes } from "@/server/db";
import { parseDbLocation, sqliteOnlyRefusal } from "@/server/db-url";
import { backupDatabase, restoreDatabase } from "@/server/domain/backup";
import { AppError, formatIssue, isAppError } from "@/server/domain/errors";
import { exportSnapshot } from "@/server/domain/export/export-snapshot";
import { EXPORT_FORMATS, type ExportFormat } from "@/server/domain/export/formats";
import { zExportPolicies } from "@/server/domain/export/policies";
import { getRound } from "@/server/domain/generation/sampling";
import { IMPORT_FORMATS, type ImportFormat, importItems, recordFailedImport } from "@/server/domain/import/import-items";
import { createProject, getProjectStatus, resolveProjectRef } from "@/server/domain/projects";
import { computeGroupStats } from "@/server/domain/quality/group-stats";
import { computeProjectStats } from "@/server/domain/quality/project-stats";
import { type TrainingSourceInput, zTrainingPolicies } from "@/server/domain/training/training-data";
import { createUser } from "@/server/domain/users";
import { runDoctor } from "@/server/jobs/doctor";
import { createTrainJob, getJob, getModelForJob, resumeJob } from "@/server/jobs/jobs";
import { JobRunner } from "@/server/jobs/runner";
import type { Command, Flags, Output } from "./cli-types";
import {
  applyLiveProjectFlags,
  conversationCommands,
  LIVE_EXPORT_OPTIONS,
  LIVE_EXPORT_USAGE,
  LIVE_PROJECT_OPTIONS,
  LIVE_PROJECT_USAGE,
  prepareLiveProjectFlags,
  runLiveExport,
} from "./conversation-commands";
import { dbCommands } from "./db-commands";
import { generationCommands } from "./generation-commands";
import { generationServeCommands } from "./generation-serve-command";
import { membershipCommands } from "./membership-commands";
import { progressBar } from "./progress";
import { scoringCommands } from "./scoring-commands";
import { trainingCommands } from "./training-commands";

class UsageError extends Error {}

function initFlag(v: unknown): "pretrained" | "random" {
  if (v === undefined || v === "pretrained" || v === "random") return v ?? "pretrained";
  throw new UsageError("--init is pretrained or random");
}

function required(flags: Flags, name: string): string {
  const v = flags[name];
  if (typeof v !== "string" || v === "") throw new UsageError(`--${name} is required`);
  return v;
}

function intFlag(flags: Flags, name: string, fallback: number): number {
  const v = flags[name];
  if (v === undefined) return fallback;
  const n = Number(v);
  if (typeof v !== "string" || !Number.isInteger(n)) throw new UsageError(`--${name} takes a whole number`);
  return n;
}

/** `stats --by-group`: each annotator group's leaderboard and agreement, and agreement between groups. */
async function groupStatsOutput(db: AnyDb, f: Flags) {
  const s = await computeGroupStats(db, {
    projectId: await resolveProjectRef(db, required(f, "project")),
    baseline: typeof f.baseline === "string" ? f.baseline : undefined,
    criterion: typeof f.criterion === "string" ? f.criterion : undefined,
    resamples: intFlag(f, "resamples", 100),
  });
  const fmt = (v: number | null, d = 1) => (v === null ? "—" : v.toFixed(d));
  const text = [
    ...s.groups.flatMap((g) => [
      `${g.group}: ${g.annotators} annotators, ${g.judgments} judgments; α ${fmt(g.agreement.krippendorff_alpha, 3)}, ${fmt(g.agreement.percent_agreement)}% agreement`,
      ...g.models.map(
        (m) => `  ${m.model.padEnd(28)} win ${fmt(m.win_rate).padStart(5)} ± ${fmt(m.standard_error)}  BT ${fmt(m.bt_rating, 0)}`,
      ),
    ]),
    `between ${s.between.groups} groups: α ${fmt(s.between.krippendorff_alpha, 3)}, ${fmt(s.between.percent_agreement)}% over ${s.between.items} items`,
  ].join("\n");
  return { json: s, text };
}

/** Runs the job in this process (or waits for whichever runner claimed it); a progress bar on a TTY. */
async function waitForJob(db: AnyDb, jobId: number) {
  const runner = new JobRunner(db, { only: jobId });
  const bar = progressBar("training [{bar}] {value}/{total} steps | loss {loss} | acc {acc} | {eta_formatted} left");
  const show = setInterval(async () => {
    // A progress read that fails (the pool closing as the command ends) only skips one update.
    const p = await Promise.resolve(getJob(db, jobId)).then(
      (j) => j.progress,
      () => null,
    );
    if (typeof p?.step !== "number" || typeof p.total !== "number") return;
    bar.update(p.step, p.total, { loss: Number(p.loss ?? Number.NaN).toFixed(3), acc: Number(p.accuracy ?? Number.NaN).toFixed(2) });
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
  }
}

/** The train command's data flags: an export snapshot, or export policies over current judgments. */
function trainingSourceFlags(f: Flags): TrainingSourceInput {
  const str = (name: string) => (typeof f[name] === "string" ? (f[name] as string) : undefined);
  const snapshot = str("snapshot");
  const policyFlags = ["ties", "both-bad", "kway", "aggregate", "min-votes", "criterion", "exclude-annotators", "round"].filter((n) =>
    str(n),
  );
  if (snapshot !== undefined) {
    if (policyFlags.length || f.margin === true) throw new UsageError("--snapshot uses the snapshot's own policies; drop the policy flags");
    return { source: "snapshot", snapshotId: intFlag(f, "snapshot", 0) };
  }
  const parsed = zTrainingPolicies.safeParse({
    ties: str("ties"),
    bothBad: str("both-bad"),
    kway: str("kway"),
    aggregate: str("aggregate"),
    minVotes: str("min-votes") === undefined ? undefined : intFlag(f, "min-votes", 1),
    criterion: str("criterion"),
    margin: f.margin === true,
    excludeAnnotators: str("exclude-annotators")
      ?.split(",")
      .map((x) => Number(x.trim())),
    rounds: str("round")
      ?.split(",")
      .map((x) => Number(x.trim())),
  });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new UsageError(
      `--${String(issue?.path[0] ?? "policies").replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}: ${issue?.message ?? "invalid"}`,
    );
  }
  return { source: "filters", policies: parsed.data };
}

/** Prints a queued job, or (with --wait) runs it here and prints {job, model, metrics}. */
async function finishTrain(db: AnyDb, jobId: number, wait: boolean, queuedText: string) {
  const job = await getJob(db, jobId);
  if (!wait) {
    return { json: { job: job.id, model: null, metrics: null }, text: `${queuedText}; the server's runner will train it` };
  }
  const done = await waitForJob(db, job.id);
  const model = await getModelForJob(db, job.id);
  if (done.state !== "succeeded" || !model) throw new AppError("BAD_INPUT", `job ${job.id} ${done.state}: ${done.error ?? "no model"}`);
  const m = model.metrics;
  const metrics = {
    eval_accuracy: m.eval_accuracy ?? null,
    eval_loss: m.eval_loss ?? null,
    ece: m.ece ?? null,
    tokens_per_s: m.tokens_per_s ?? null,
  };
  const pct = (v: unknown) => (typeof v === "number" ? `${(100 * v).toFixed(1)}%` : "n/a");
  return {
    json: { job: job.id, model: model.id, metrics },
    text: `job ${job.id} succeeded: model ${model.id} in ${model.dir}\neval accuracy ${pct(metrics.eval_accuracy)}, eval loss ${metrics.eval_loss ?? "n/a"}, ECE ${metrics.ece ?? "n/a"}, ${metrics.tokens_per_s ?? "?"} tokens/s`,
  };
}

const COMMANDS: Record<string, Command> = {
  "user:add": {
    summary: "create a user who can sign in",
    usage: "user:add --email E --password P --role annotator|admin|researcher [--name N]",
    options: { email: { type: "string" }, password: { type: "string" }, role: { type: "string" }, name: { type: "string" } },
    async runAny(db, f) {
      const role = required(f, "role");
      if (!["annotator", "admin", "researcher"].includes(role)) throw new UsageError("--role is annotator, admin or researcher");
      const user = await createUser(db, {
        email: required(f, "email"),
        password: required(f, "password"),
        role: role as "annotator",
        name: typeof f.name === "string" ? f.name : undefined,
      });
      return { json: { id: user.id }, text: `created ${user.role} ${user.email} (id ${user.id})` };
    },
  },
  "project:create": {
    summary: "create a project",
    usage: `project:create --name N [--overlap 3] [--criteria helpful,harmless] [--instructions TEXT] [--rationale off|optional|required] [--no-strength] [--gold-rate 0.05] [--repeat-rate 0.05] ${LIVE_PROJECT_USAGE} [--access open|members]`,
    options: {
      name: { type: "string" },
      overlap: { type: "string" },
      criteria: { type: "string" },
      instructions: { type: "string" },
      rationale: { type: "string" },
      "no-strength": { type: "boolean" },
      "gold-rate": { type: "string" },
      "repeat-rate": { type: "string" },
      ...LIVE_PROJECT_OPTIONS,
      access: { type: "string" },
    },
    async runAny(db, f) {
      const access = typeof f.access === "string" ? f.access : "open";
      if (access !== "open" && access !== "members") throw new UsageError("--access is open or members");
      const rate = (name: string) => {
        const v = f[name];
        if (v === undefined) return 0;
        const n = Number(v);
        if (typeof v !== "string" || !Number.isFinite(n)) throw new UsageError(`--${name} takes a share between 0 and 1`);
        return n;
      };
      const live = await prepareLiveProjectFlags(db, f, { usageError: (m) => new UsageError(m), required });
      const rationale = typeof f.rationale === "string" ? f.rationale : "optional";
      if (!(RATIONALE_POLICIES as readonly string[]).includes(rationale)) throw new UsageError("--rationale is off, optional or required");
      const p = await createProject(db, {
        name: required(f, "name"),
        overlap: intFlag(f, "overlap", 3),
        criteria:
          typeof f.criteria === "string"
            ? f.criteria
                .split(",")
                .map((c) => c.trim())
                .filter(Boolean)
            : [],
        instructions: typeof f.instructions === "string" ? f.instructions : "",
        rationalePolicy: rationale as "optional",
        strengthScale: f["no-strength"] !== true,
        goldRate: rate("gold-rate"),
        repeatRate: rate("repeat-rate"),
        access,
      });
      await applyLiveProjectFlags(db, p.id, live);
      return { json: { id: p.id }, text: `created project "${p.name}" (id ${p.id}, overlap ${p.overlap})` };
    },
  },
  stats: {
    summary: "agreement, model leaderboard (win rate vs baseline, Bradley-Terry) and annotator diagnostics",
    usage: "stats --project ID [--baseline MODEL] [--criterion C] [--resamples N] [--posteriors] [--by-group]",
    options: {
      project: { type: "string" },
      baseline: { type: "string" },
      criterion: { type: "string" },
      resamples: { type: "string" },
      posteriors: { type: "boolean" },
      "by-group": { type: "boolean" },
    },
    async runAny(db, f) {
      if (f["by-group"] === true) return groupStatsOutput(db, f);
      const s = await computeProjectStats(db, {
        projectId: await resolveProjectRef(db, required(f, "project")),
        baseline: typeof f.baseline === "string" ? f.baseline : undefined,
        criterion: typeof f.criterion === "string" ? f.criterion : undefined,
        resamples: intFlag(f, "resamples", 100),
        posteriors: f.posteriors === true,
      });
      const fmt = (v: number | null, d = 1) => (v === null ? "—" : v.toFixed(d));
      const rows = s.models.map(
        (m) =>
          `  ${m.model.padEnd(28)} win ${fmt(m.win_rate).padStart(5)} ± ${fmt(m.standard_error).padEnd(5)} (${m.n_wins}/${m.n_wins_base}/${m.n_draws} of ${m.n_total})  BT ${fmt(m.bt_rating, 0)} [${fmt(m.bt_ci[0], 0)}, ${fmt(m.bt_ci[1], 0)}]`,
      );
      const text = [
        `${s.judgments} judgments, ${s.battles} battles; baseline ${s.baseline ?? "—"}${s.criterion ? `; criterion ${s.criterion}` : ""}`,
        `agreement: α ${fmt(s.agreement.krippendorff_alpha, 3)} [${fmt(s.agreement.alpha_ci[0], 3)}, ${fmt(s.agreement.alpha_ci[1], 3)}], ${fmt(s.agreement.percent_agreement)}% over ${s.agreement.items} items`,
        "models (win rate vs baseline ± SE, wins/losses/draws; Bradley-Terry 95% CI):",
        ...rows,
        `annotators: ${s.annotators.length} (${s.excluded_annotators.length} excluded)`,
      ].join("\n");
      const { agreement, models, annotators, ...rest } = s;
      return { json: { agreement, models, annotators, ...rest }, text };
    },
  },
  status: {
    summary: "counts for a project",
    usage: "status --project ID",
    options: { project: { type: "string" } },
    async runAny(db, f) {
      const s = await getProjectStatus(db, await resolveProjectRef(db, required(f, "project")));
      const text = `${s.items} items, ${s.responses} responses, ${s.judgments} judgments by ${s.annotators} annotators; ${s.done_items} items done`;
      return { json: s, text };
    },
  },
  train: {
    summary: "train a reward model on a project's judgments (queued for the server's runner; --wait runs it here)",
    usage:
      "train --project ID [--base tiny|FOLDER|OWNER/NAME] [--init pretrained|random] [--epochs N] [--loss bt|bt-ties] [--lr X] [--snapshot ID | --ties keep|drop --both-bad drop|keep --kway all-pairs|best-vs-rest --aggregate all|majority --min-votes N --criterion C --margin --exclude-annotators ID,ID --round N[,N]] [--wait]\n       train --resume JOB [--wait]   (a failed or cancelled job, from its newest checkpoint)",
    options: {
      project: { type: "string" },
      base: { type: "string" },
      init: { type: "string" },
      epochs: { type: "string" },
      loss: { type: "string" },
      lr: { type: "string" },
      snapshot: { type: "string" },
      ties: { type: "string" },
      "both-bad": { type: "string" },
      kway: { type: "string" },
      aggregate: { type: "string" },
      "min-votes": { type: "string" },
      criterion: { type: "string" },
      margin: { type: "boolean" },
      "exclude-annotators": { type: "string" },
      round: { type: "string" },
      resume: { type: "string" },
      wait: { type: "boolean" },
    },
    async runAny(db, f) {
      if (typeof f.resume === "string") {
        const jobId = intFlag(f, "resume", 0);
        const queued = await resumeJob(db, jobId);
        return finishTrain(db, queued.id, f.wait === true, `resumed job ${jobId} from step ${String(queued.progress?.resumed_at_step)}`);
      }
      const loss = typeof f.loss === "string" ? f.loss : "bt";
      if (loss !== "bt" && loss !== "bt-ties") throw new UsageError("--loss is bt or bt-ties");
      const lr = typeof f.lr === "string" ? Number(f.lr) : null;
      if (lr !== null && !(lr > 0)) throw new UsageError("--lr takes a number > 0");
      const epochs = intFlag(f, "epochs", 1);
      if (epochs < 1) throw new UsageError("--epochs takes a whole number >= 1");
      const job = await createTrainJob(db, {
        projectId: await resolveProjectRef(db, required(f, "project")),
        base: typeof f.base === "string" ? f.base : "tiny",
        init: initFlag(f.init),
        epochs,
        loss,
        lr,
        data: trainingSourceFlags(f),
      });
      return finishTrain(db, job.id, f.wait === true, `queued job ${job.id}`);
    },
  },
  doctor: {
    summary: "what the trainer's Python can do (ARBITER_PYTHON), and what is missing for what",
    usage: "doctor",
    options: {},
    async runWithoutDb() {
      const d = runDoctor();
      if (!d.ok) throw new AppError("BAD_INPUT", d.error ?? "the trainer cannot run");
      const r = d.report;
      const text = [
        `interpreter: ${d.interpreter} (${d.interpreter_source === "ARBITER_PYTHON" ? "from ARBITER_PYTHON" : "default; set ARBITER_PYTHON to change"})`,
        `torch ${r?.torch ?? "missing"}, transformers ${r?.transformers ?? "missing"}, peft ${r?.peft ?? "missing"}`,
        `CUDA: ${r?.cuda_available ? JSON.stringify(r.devices) : "none (training and scoring run on the CPU)"}`,
        `trainer processes per job: ${d.train_processes}${d.train_processes > 1 ? " (DDP under torchrun)" : ""} (ARBITER_TRAIN_NPROC)`,
        `bases (--base): tiny, any Hub id owner/name${d.bases.map((b) => `, ${b.id} (${b.source})`).join("")}${d.bases_error ? ` — ${d.bases_error}` : ""}`,
        ...(d.missing.length ? ["missing:", ...d.missing.map((m) => `  - ${m}`)] : ["nothing missing"]),
      ].join("\n");
      return { json: { ...d }, text };
    },
  },
  backup: {
    summary: "copy the database file while the app keeps running (online backup)",
    usage: "backup --out FILE",
    options: { out: { type: "string" } },
    async run(db, f) {
      const r = await backupDatabase(db, required(f, "out"));
      return { json: r, text: `backed up ${r.pages} pages (${(r.bytes / 1e6).toFixed(1)} MB) to ${r.out}` };
    },
  },
  restore: {
    summary: "replace the database (--db, ARBITER_DB or data/arbiter.db) with a backup; stop the app first",
    usage: "restore --from FILE [--db PATH]",
    options: { from: { type: "string" } },
    async run(db, f) {
      const target = dbValue(f);
      db.$client.close();
      const r = await restoreDatabase(required(f, "from"), target);
      return { json: r, text: `restored ${r.pages} pages into ${r.restored}` };
    },
  },
  import: {
    summary: "import a JSONL file into a project (all or nothing)",
    usage: `import --project ID --file F [--format ${IMPORT_FORMATS.join("|")}]`,
    options: { project: { type: "string" }, file: { type: "string" }, format: { type: "string" } },
    async runAny(db, f) {
      const file = required(f, "file");
      const format = (typeof f.format === "string" ? f.format : "arbiter") as ImportFormat;
      if (!IMPORT_FORMATS.includes(format)) throw new UsageError(`--format is one of ${IMPORT_FORMATS.join(", ")}`);
      const projectId = await resolveProjectRef(db, required(f, "project"));
      const bar = progressBar("importing [{bar}] {percentage}% | {value}/{total} MB | {eta_formatted} left");
      const result = await importItems(db, {
        projectId,
        file,
        format,
        onProgress: (done, total) => {
          const mb = (n: number) => Math.round((n / 1e6) * 10) / 10;
          bar.update(mb(done), mb(total));
        },
      });
      bar.stop();
      const json = { items: result.items, responses: result.responses, judgments: result.judgments, errors: result.errors };
      if (result.errorCount > 0) {
        await recordFailedImport(db, { projectId, format, file, result }); // the audit log keeps refused imports too
        const lines = result.errors.slice(0, 20).map((e) => formatIssue(e, file));
        const more = result.errorCount > lines.length ? `\n… and ${result.errorCount - lines.length} more` : "";
        throw Object.assign(new AppError("BAD_INPUT", `${lines.join("\nerror: ")}${more}\nnothing was imported`), { json });
      }
      return {
        json,
        text: `imported ${result.items} items, ${result.responses} responses and ${result.judgments} judgments into project ${projectId}`,
      };
    },
  },
  export: {
    summary: "export a project's judgments as a dataset file and record a snapshot",
    usage: `export --project ID --format ${EXPORT_FORMATS.join("|")} --out F [--ties drop|keep] [--both-bad drop|keep] [--aggregate all|majority|soft|dawid-skene] [--kway all-pairs|best-vs-rest] [--min-votes N] [--criterion NAME] [--margin] [--round N] [--group NAME] ${LIVE_EXPORT_USAGE}`,
    options: {
      project: { type: "string" },
      format: { type: "string" },
      out: { type: "string" },
      ties: { type: "string" },
      "both-bad": { type: "string" },
      aggregate: { type: "string" },
      kway: { type: "string" },
      "min-votes": { type: "string" },
      criterion: { type: "string" },
      margin: { type: "boolean" },
      round: { type: "string" },
      group: { type: "string" },
      ...LIVE_EXPORT_OPTIONS,
    },
    async runAny(db, f) {
      // Rewrites and written prompts are not judgments: no group to filter them by.
      if (f.group !== undefined && (f.rewrites !== undefined || f.format === "sft" || f.format === "prompts"))
        throw new UsageError(`--group keeps one annotator group's judgments: it goes with --format ${EXPORT_FORMATS.join("|")}`);
      const live = await runLiveExport(db, f, { usageError: (m) => new UsageError(m), required });
      if (live) return live;
      const format = required(f, "format") as ExportFormat;
      if (!EXPORT_FORMATS.includes(format)) throw new UsageError(`--format is one of ${EXPORT_FORMATS.join(", ")}`);
      const parsed = zExportPolicies.safeParse({
        ties: f.ties,
        bothBad: f["both-bad"],
        aggregate: f.aggregate,
        kway: f.kway,
        minVotes: f["min-votes"] === undefined ? undefined : intFlag(f, "min-votes", 1),
        criterion: f.criterion,
        margin: f.margin === true,
      });
      if (!parsed.success) {
        const flag: Record<string, string> = { bothBad: "both-bad", minVotes: "min-votes" };
        const i = parsed.error.issues[0];
        const name = String(i?.path[0] ?? "");
        throw new UsageError(`--${flag[name] ?? name}: ${i?.message}`);
      }
      const projectId = await resolveProjectRef(db, required(f, "project"));
      const out = required(f, "out");
      // --round N: only the items that generation round N of the project produced.
      const roundId = f.round === undefined ? undefined : (await getRound(db, projectId, intFlag(f, "round", 0))).id;
      // --group NAME: only the judgments of that annotator group's members.
      const group = f.group === undefined ? undefined : required(f, "group");
      const bar = progressBar("exporting [{bar}] {percentage}% | {value}/{total} items");
      const r = await exportSnapshot(db, {
        projectId,
        format,
        roundId,
        group,
        // Unset tie / both-bad flags take the format's default (raw keeps every judgment).
        policies: {
          ...parsed.data,
          ties: f.ties === undefined ? undefined : parsed.data.ties,
          bothBad: f["both-bad"] === undefined ? undefined : parsed.data.bothBad,
        },
        out,
        onProgress: bar.update,
      });
      bar.stop();
      return { json: r, text: `wrote ${r.rows} rows to ${out} (sha256 ${r.sha256}, snapshot ${r.snapshot})` };
    },
  },
  ...scoringCommands({ usageError: (m) => new UsageError(m), required, intFlag }),
  ...trainingCommands({ usageError: (m) => new UsageError(m), required, intFlag }),
  ...generationCommands({ usageError: (m) => new UsageError(m), required, intFlag }),
  ...generationServeCommands({ usageError: (m) => new UsageError(m), required, intFlag }),
  ...conversationCommands({ usageError: (m) => new UsageError(m), required }),
  ...membershipCommands({ usageError: (m) => new UsageError(m), required }),
  ...dbCommands({ required }),
};

/** The commands that run on SQLite only (`run`): scripts/cli.test.ts checks them against SQLITE_ONLY_CLI_COMMANDS. */
export function sqliteOnlyCommands(): string[] {
  return Object.entries(COMMANDS)
    .filter(([, c]) => "run" in c)
    .map(([name]) => name);
}

/** --db, else ARBITER_DB, else data/arbiter.db. */
function dbValue(flags: Flags): string {
  return typeof flags.db === "string" ? flags.db : (process.env.ARBITER_DB ?? DEFAULT_DB_PATH);
}

/** Opens --db (or ARBITER_DB) on its engine for a command of both engines; a PostgreSQL pool is closed afterwards. */
async function withAnyDb<T>(value: string, body: (db: AnyDb) => Promise<T>): Promise<T> {
  const location = parseDbLocation(value);
  if (location.engine === "sqlite") return body(openDb(location.file));
  const { openPg } = await import("@/server/db-pg");
  const db = await openPg(location.url, { max: 4 });
  try {
    return await body(db);
  } finally {
    await db.$client.end();
  }
}

/** A SQLite-only command: a postgres:// --db is refused naming the command and what to use instead. */
function runSqliteOnly(name: string, run: (db: Db, flags: Flags) => Promise<Output>, flags: Flags): Promise<Output> {
  const value = dbValue(flags);
  const refusal = sqliteOnlyRefusal(value, name);
  if (refusal) throw new AppError("BAD_INPUT", refusal);
  return run(openDb(value), flags);
}

function help(): string {
  const rows = Object.entries(COMMANDS).map(
    ([name, c]) => `  ${name.padEnd(16)} ${c.summary}${"run" in c ? " (SQLite only)" : ""}\n      ${c.usage}`,
  );
  return `usage: npm run arbiter -- <command> [--db PATH|postgres://URL] [--json] [flags]\n\ncommands:\n${rows.join("\n")}\n`;
}

/** Runs one command line; resolves with the exit status. */
export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === "help" || name === "--help" || name === "-h") {
    process.stdout.write(help());
    return name ? 0 : 2;
  }
  const command = COMMANDS[name];
  if (!command) {
    process.stderr.write(`error: unknown command "${name}"\n${help()}`);
    return 2;
  }
  let flags: Flags;
  try {
    flags = parseArgs({
      args: rest,
      options: { ...command.options, db: { type: "string" }, json: { type: "boolean" } },
      strict: true,
      allowPositionals: false,
    }).values as Flags;
  } catch (e) {
    process.stderr.write(`error: ${(e as Error).message}\nusage: npm run arbiter -- ${command.usage}\n`);
    return 2;
  }
  const asJson = flags.json === true;
  try {
    restrictFileModes();
    const out =
      "runWithoutDb" in command
        ? await command.runWithoutDb(flags)
        : "runAny" in command
          ? await withAnyDb(dbValue(flags), (db) => command.runAny(db, flags))
          : await runSqliteOnly(name, command.run, flags);
    process.stdout.write(asJson ? `${JSON.stringify(out.json)}\n` : `${out.text}\n`);
    return 0;
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`error: ${e.message}\nusage: npm run arbiter -- ${command.usage}\n`);
      return 2;
    }
    if (isAppError(e)) {
      const json = (e as AppError & { json?: unknown }).json;
      if (asJson && json) process.stdout.write(`${JSON.stringify(json)}\n`);
      process.stderr.write(`error: ${e.message}\n`);
      return 1;
    }
    process.stderr.write(`error: ${(e as Error).message}\n`);
    if (process.env.ARBITER_DEBUG) console.error(e);
    return 1;
  }
}

/** `arbiter_trainer doctor`, run with the interpreter the runner would use, plus what that means here. */
import { spawnSync } from "node:child_process";
import { z } from "zod";
import { childProcessEnv } from "@/server/env";
import { type DoctorReport, zDoctorReport } from "@/server/jobs/protocol";
import { trainerDir, trainerProcesses, trainerPython } from "@/server/jobs/runner";

export type Doctor = {
  interpreter: string;
  interpreter_source: "ARBITER_PYTHON" | "default";
  ok: boolean;
  /** Why the trainer cannot run at all (null when it can). */
  error: string | null;
  report: DoctorReport | null;
  /** One line per missing piece: what it is needed for. */
  missing: string[];
  /** Trainer processes per job (ARBITER_TRAIN_NPROC); more than 1 runs DDP under torchrun. */
  train_processes: number;
  /** Base models found in the HF cache and ARBITER_MODELS_DIR (besides tiny and any Hub id). */
  bases: BaseModel[];
  bases_error: string | null;
};

/** One base model the trainer can find: `id` is what `--base` takes (a Hub id, or a folder's absolute path). */
export const zBaseModel = z.object({
  id: z.string(),
  source: z.enum(["hf-cache", "models-dir"]),
  path: z.string(),
  architecture: z.string().nullable(),
  has_chat_template: z.boolean(),
});
export type BaseModel = z.infer<typeof zBaseModel>;
const zBasesReport = z.object({ bases: z.array(zBaseModel.passthrough()) });

/**
 * The bases in the Hugging Face cache and ARBITER_MODELS_DIR, as the runner's interpreter sees them
 * (`arbiter_trainer bases --json`). A trainer that cannot list them gives `error` and no bases, never a throw:
 * the training page and doctor still work with tiny and typed Hub ids.
 */
export function listBaseModels(): { bases: BaseModel[]; error: string | null } {
  const r = spawnSync(trainerPython(), ["-m", "arbiter_trainer", "bases", "--json"], {
    cwd: trainerDir(),
    env: childProcessEnv({ PYTHONPATH: trainerDir() }),
    encoding: "utf8",
    timeout: 30_000,
  });
  if (r.error || r.status !== 0) {
    const why = r.error?.message ?? r.stderr.trim().split("\n").slice(-1)[0] ?? `exit ${r.status}`;
    return { bases: [], error: `cannot list base models with ${trainerPython()}: ${why}` };
  }
  let raw: unknown;
  try {
    raw = JSON.parse(r.stdout.trim().split("\n").slice(-1)[0] ?? "");
  } catch {
    return { bases: [], error: `bases printed no JSON: ${r.stdout.slice(0, 200)}` };
  }
  const parsed = zBasesReport.safeParse(raw);
  if (!parsed.success) return { bases: [], error: `bases output: ${parsed.error.issues[0]?.message ?? "unexpected shape"}` };
  return { bases: parsed.data.bases.map((b) => zBaseModel.parse(b)), error: null };
}

export function runDoctor(): Doctor {
  const interpreter = trainerPython();
  const listed = listBaseModels();
  const base = {
    interpreter,
    interpreter_source: process.env.ARBITER_PYTHON ? "ARBITER_PYTHON" : "default",
    train_processes: trainerProcesses(),
    bases: listed.bases,
    bases_error: listed.error,
  } as const;
  const r = spawnSync(interpreter, ["-m", "arbiter_trainer", "doctor"], {
    cwd: trainerDir(),
    env: childProcessEnv({ PYTHONPATH: trainerDir() }),
    encoding: "utf8",
    timeout: 60_000,
  });
  if (r.error || r.status !== 0) {
    const why = r.error?.message ?? r.stderr.trim().split("\n").slice(-1)[0] ?? `exit ${r.status}`;
    return {
      ...base,
      ok: false,
      error: `${interpreter} cannot run arbiter_trainer: ${why}`,
      report: null,
      missing: ["the trainer itself: set ARBITER_PYTHON to a Python 3 with torch"],
    };
  }
  let raw: unknown;
  try {
    raw = JSON.parse(r.stdout.trim().split("\n").slice(-1)[0] ?? "");
  } catch {
    return { ...base, ok: false, error: `doctor printed no JSON: ${r.stdout.slice(0, 200)}`, report: null, missing: [] };
  }
  const parsed = zDoctorReport.safeParse(raw);
  if (!parsed.success) {
    return {
      ...base,
      ok: false,
      error: `doctor output: ${parsed.error.issues[0]?.message ?? "unexpected shape"}`,
      report: null,
      missing: [],
    };
  }
  const report = parsed.data;
  const gpus = report.devices.length;
  const missing = [...report.missing];
  if (gpus > 1 && base.train_processes === 1)
    missing.push(`ARBITER_TRAIN_NPROC=${gpus}: train on all ${gpus} GPUs with DDP (torchrun); jobs now use one`);
  if (gpus > 0 && base.train_processes > gpus)
    missing.push(`ARBITER_TRAIN_NPROC=${base.train_processes} but only ${gpus} GPUs are visible: set it to ${gpus} or fewer`);
  return {
    ...base,
    ok: report.torch !== null,
    error: report.torch ? null : "torch does not import: no training at all",
    report,
    missing,
  };
}

/** `arbiter_trainer doctor`, run with the interpreter the runner would use, plus what that means here. */
import { spawnSync } from "node:child_process";
import { type DoctorReport, zDoctorReport } from "@/server/jobs/protocol";
import { trainerDir, trainerPython } from "@/server/jobs/runner";

export type Doctor = {
  interpreter: string;
  interpreter_source: "ARBITER_PYTHON" | "default";
  ok: boolean;
  /** Why the trainer cannot run at all (null when it can). */
  error: string | null;
  report: DoctorReport | null;
  /** One line per missing piece: what it is needed for. */
  missing: string[];
};

export function runDoctor(): Doctor {
  const interpreter = trainerPython();
  const base = { interpreter, interpreter_source: process.env.ARBITER_PYTHON ? "ARBITER_PYTHON" : "default" } as const;
  const r = spawnSync(interpreter, ["-m", "arbiter_trainer", "doctor"], {
    cwd: trainerDir(),
    env: { ...process.env, PYTHONPATH: trainerDir() },
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
  return {
    ...base,
    ok: report.torch !== null,
    error: report.torch ? null : "torch does not import: no training at all",
    report,
    missing: report.missing,
  };
}

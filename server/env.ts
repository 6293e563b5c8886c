/**
 * Environment, validated once (t3's createEnv idea, without the dependency). NEXTAUTH_SECRET may
 * be left unset: a random secret is then created in the data folder on first start and reused,
 * so a fresh install works without a setup step and sessions survive restarts.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { z } from "zod";
import { parseDbLocation } from "@/server/db-url";

const zEnv = z.object({
  ARBITER_DB: z
    .string()
    .min(1)
    .default("data/arbiter.db")
    .superRefine((v, ctx) => {
      try {
        parseDbLocation(v);
      } catch (e) {
        ctx.addIssue({ code: "custom", message: (e as Error).message });
      }
    }),
  NEXTAUTH_SECRET: z.string().min(32).optional(),
  NEXTAUTH_URL: z.string().url().optional(),
  PORT: z.coerce.number().int().min(1).max(65535).default(3000),
  HOST: z.string().default("0.0.0.0"),
  ARBITER_DEMO: z.enum(["0", "1"]).default("0"),
  /** Serve /api/trpc and /api/health only, without loading Next (HTTP-level tests; no build needed). */
  ARBITER_API_ONLY: z.enum(["0", "1"]).default("0"),
  /**
   * 0: this app instance runs no jobs (training, sampling); a job runner elsewhere does, e.g.
   * server/jobs/run-worker.ts on a GPU host sharing the PostgreSQL database.
   */
  ARBITER_JOB_RUNNER: z.enum(["0", "1"]).default("1"),
  /** Append the server's memory use to this file every 5 s (bench:soak). */
  ARBITER_MEMORY_LOG: z.string().min(1).optional(),
});
export type Env = z.infer<typeof zEnv>;

export function readEnv(source: NodeJS.ProcessEnv = process.env): Env {
  const parsed = zEnv.safeParse(source);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`environment variable ${issue?.path.join(".")}: ${issue?.message}`);
  }
  // On PostgreSQL there is no database folder to keep generated secrets in, and every instance
  // must sign sessions and key pseudonyms alike: both come from the environment.
  if (parseDbLocation(parsed.data.ARBITER_DB).engine === "postgres") {
    const missing = ["NEXTAUTH_SECRET", "ARBITER_PSEUDONYM_KEY"].filter((name) => !source[name]);
    if (missing.length > 0) {
      throw new Error(
        `ARBITER_DB is a PostgreSQL URL: set ${missing.join(" and ")} in the environment (the same value on every app instance; see docs/deploy.md)`,
      );
    }
  }
  return parsed.data;
}

/** NEXTAUTH_SECRET from the environment, else the one stored beside the database (created once). */
export function resolveAuthSecret(env: Env): string {
  if (env.NEXTAUTH_SECRET) return env.NEXTAUTH_SECRET;
  const file = path.join(path.dirname(path.resolve(/*turbopackIgnore: true*/ env.ARBITER_DB)), "auth-secret");
  if (!fs.existsSync(file)) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, crypto.randomBytes(32).toString("base64url"), { mode: 0o600, flag: "wx" });
  }
  return fs.readFileSync(file, "utf8").trim();
}

// What a worker or trainer process may inherit: the system basics, the ML stack's own settings
// (Hugging Face, CUDA, torch and its thread pools, NCCL for distributed runs) and Arbiter's settings.
const CHILD_ENV_NAMES = new Set([
  "PATH",
  "HOME",
  "USER",
  "LOGNAME",
  "LANG",
  "LANGUAGE",
  "TZ",
  "TMPDIR",
  "TEMP",
  "TMP",
  "LD_LIBRARY_PATH",
  "VIRTUAL_ENV",
  "XDG_CACHE_HOME",
  "SSL_CERT_FILE",
  "SSL_CERT_DIR",
]);
const CHILD_ENV_PREFIXES = [
  "LC_",
  "HF_",
  "HUGGINGFACE_",
  "TRANSFORMERS_",
  "TOKENIZERS_",
  "CUDA_",
  "NVIDIA_",
  "TORCH_",
  "PYTORCH_",
  "NCCL_",
  "OMP_",
  "MKL_",
  "OPENBLAS_",
  "PYTHON",
  "ACCELERATE_",
  "ARBITER_",
];
// Never passed on, whatever the prefix: the session secret, keys, passwords and tokens (HF_TOKEN
// excepted: it is the trainer's own credential for gated Hub models).
const SECRET_NAME = /SECRET|PASSWORD|PASSWD|API_KEY|PRIVATE|PSEUDONYM_KEY|(^|_)TOKEN$|(^|_)KEY$/;

/**
 * The environment for a worker or trainer subprocess: an allow-list of the parent's variables (no
 * NEXTAUTH_SECRET, no *_API_KEY, no ARBITER_* secret), plus `extra` (PYTHONPATH, or the one key a
 * generator needs, named by its caller).
 */
export function childProcessEnv(
  extra: Record<string, string> = {},
  source: Record<string, string | undefined> = process.env,
): NodeJS.ProcessEnv {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(source)) {
    if (value === undefined) continue;
    const allowed = CHILD_ENV_NAMES.has(name) || CHILD_ENV_PREFIXES.some((p) => name.startsWith(p));
    if (allowed && (name === "HF_TOKEN" || !SECRET_NAME.test(name))) env[name] = value;
  }
  // NodeJS.ProcessEnv as Next's types declare it insists on NODE_ENV, which a Python worker has no use for.
  return { ...env, ...extra } as NodeJS.ProcessEnv;
}

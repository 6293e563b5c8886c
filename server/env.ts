/**
 * Environment, validated once (t3's createEnv idea, without the dependency). NEXTAUTH_SECRET may
 * be left unset: a random secret is then created in the data folder on first start and reused,
 * so a fresh install works without a setup step and sessions survive restarts.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { z } from "zod";

const zEnv = z.object({
  ARBITER_DB: z
    .string()
    .min(1)
    .default("data/arbiter.db")
    .refine((v) => !/^[a-z][a-z0-9+.-]*:\/\//i.test(v), {
      message: "a database URL (postgres://…) is not supported by this build (SQLite only); give a file path such as data/arbiter.db",
    }),
  NEXTAUTH_SECRET: z.string().min(32).optional(),
  NEXTAUTH_URL: z.string().url().optional(),
  PORT: z.coerce.number().int().min(1).max(65535).default(3000),
  HOST: z.string().default("0.0.0.0"),
  ARBITER_DEMO: z.enum(["0", "1"]).default("0"),
  /** Serve /api/trpc and /api/health only, without loading Next (HTTP-level tests; no build needed). */
  ARBITER_API_ONLY: z.enum(["0", "1"]).default("0"),
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

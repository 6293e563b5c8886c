/**
 * The generator registry: named sources of responses. A local generator is a Hugging Face causal LM
 * (a folder, or an `owner/name` Hub id resolved through the HF cache) that our worker serves; an
 * external one is an OpenAI-compatible endpoint (base URL + model name + the NAME of the env var
 * holding its key). Keys themselves never reach the database, the log or a browser.
 *
 * No network here: probing an endpoint takes the sampler as a parameter (server/generation builds it).
 */
import fs from "node:fs";
import path from "node:path";
import { and, asc, eq, isNull } from "drizzle-orm";
import { z } from "zod";
import { GENERATOR_DEVICES, generators } from "@/db/schema";
import { type AnyDb, type Conn, domainOp, type Op } from "@/server/database";
import { recordAuditEvent } from "@/server/domain/audit";
import { AppError, parseInput } from "@/server/domain/errors";

export type Generator = typeof generators.$inferSelect;

const zName = z
  .string()
  .trim()
  .min(1, "a generator needs a name")
  .max(100)
  .regex(/^[\w.:@/+-]+( [\w.:@/+-]+)*$/, "letters, digits, spaces and . _ - : @ / + only");

export const zAddGenerator = z.discriminatedUnion("kind", [
  z.object({
    kind: z.literal("local"),
    name: zName,
    model: z.string().trim().min(1, "name the model (a folder or an owner/name Hub id)").max(1000),
    device: z.enum(GENERATOR_DEVICES).default("auto"),
  }),
  z.object({
    kind: z.literal("external"),
    name: zName,
    url: z
      .string()
      .trim()
      .url("a base URL like http://127.0.0.1:8000/v1")
      .refine((u) => /^https?:\/\//i.test(u), "an http(s) URL"),
    model: z.string().trim().min(1, "name the served model").max(300),
    apiKeyEnv: z
      .string()
      .trim()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "the NAME of an environment variable (e.g. OPENAI_API_KEY), not the key")
      .max(100)
      .nullable()
      .default(null),
  }),
]);
export type AddGeneratorInput = z.input<typeof zAddGenerator>;

/** Where local models may come from: ARBITER_MODELS_DIR, the HF cache, or a Hub id (resolved by the worker). */
function allowedRoots(): string[] {
  const home = process.env.HOME ?? "/root";
  const hfHome = process.env.HF_HOME ?? path.join(home, ".cache/huggingface");
  return [
    process.env.ARBITER_MODELS_DIR,
    process.env.HF_HUB_CACHE,
    path.join(hfHome, "hub"),
    process.env.ARBITER_JOBS_DIR, // trained policy checkpoints
  ]
    .filter((r): r is string => !!r)
    .map((r) => path.resolve(r));
}

/**
 * A local model spec: an `owner/name` Hub id, or an existing folder with a config.json under an
 * allowed root (ARBITER_MODELS_DIR, the HF cache, the jobs folder). Returns the stored form.
 */
export function validateLocalModel(spec: string): string {
  if (/^[A-Za-z0-9][\w.-]*\/[\w.-]+$/.test(spec) && !fs.existsSync(spec)) return spec;
  const dir = path.resolve(spec);
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory())
    throw new AppError("BAD_INPUT", `model: ${spec} is neither a folder nor an owner/name Hub id`, [
      { field: "model", message: "not found" },
    ]);
  if (!fs.existsSync(path.join(dir, "config.json")))
    throw new AppError("BAD_INPUT", `model: ${dir} has no config.json (not a Hugging Face model folder)`, [
      { field: "model", message: "no config.json" },
    ]);
  const real = fs.realpathSync(dir);
  const roots = allowedRoots();
  if (!roots.some((r) => real === r || real.startsWith(`${r}${path.sep}`)))
    throw new AppError(
      "BAD_INPUT",
      `model: ${dir} is outside the allowed model folders (set ARBITER_MODELS_DIR to the folder holding it; allowed now: ${roots.join(", ") || "none"})`,
      [{ field: "model", message: "outside the allowed folders" }],
    );
  return real;
}

/** Validates a new generator (name free, model allowed) without writing: the values addGenerator would store. */
export const prepareGenerator = domainOp(function* prepareGenerator(c: Conn, input: AddGeneratorInput): Op<PreparedGenerator> {
  const params = parseInput(zAddGenerator, input, "generator");
  if (yield* findGenerator(c, params.name))
    throw new AppError("CONFLICT", `a generator named "${params.name}" exists`, [{ field: "name", message: "taken" }]);
  return params.kind === "local"
    ? { name: params.name, kind: params.kind, model: validateLocalModel(params.model), device: params.device, url: null, apiKeyEnv: null }
    : {
        name: params.name,
        kind: params.kind,
        model: params.model,
        device: "auto" as const,
        url: params.url.replace(/\/+$/, ""),
        apiKeyEnv: params.apiKeyEnv,
      };
});
export type PreparedGenerator = {
  name: string;
  kind: Generator["kind"];
  model: string;
  device: Generator["device"];
  url: string | null;
  apiKeyEnv: string | null;
};

export const addGenerator = domainOp(function* addGenerator(
  c: Conn,
  input: AddGeneratorInput,
  actorId?: number,
  probe?: ProbeResult,
): Op<Generator> {
  return yield* c.transaction(function* (tx): Op<Generator> {
    // Two instances adding one name at once: the live-name unique index refuses the second insert, and
    // PostgreSQL runs this transaction again, which then finds the name taken (CONFLICT).
    const values = yield* prepareGenerator.op(tx, input);
    const row = yield* tx.first(
      tx.q
        .insert(generators)
        .values({ ...values, createdBy: actorId ?? null })
        .returning(),
    );
    if (!row) throw new Error("the new generator's row did not come back");
    yield* recordAuditEvent.op(tx, { actorId, action: "generator.add", detail: { generator: row.id, name: row.name, kind: row.kind } });
    return probe ? yield* recordProbe.op(tx, row, probe) : row;
  });
});

function* findGenerator(c: Conn, name: string): Op<Generator | undefined> {
  return yield* c.first(
    c.q
      .select()
      .from(generators)
      .where(and(eq(generators.name, name), isNull(generators.removedAt))),
  );
}

/** A live generator by id or by exact name. */
export const getGenerator = domainOp(function* getGenerator(c: Conn, ref: number | string): Op<Generator> {
  const byId = typeof ref === "number" || /^\d+$/.test(ref);
  const row = byId
    ? yield* c.first(
        c.q
          .select()
          .from(generators)
          .where(and(eq(generators.id, Number(ref)), isNull(generators.removedAt))),
      )
    : yield* findGenerator(c, ref);
  if (!row) throw new AppError("NOT_FOUND", `no generator ${byId ? ref : `named "${ref}"`}`);
  return row;
});

/** A generator row by id, removed or not: a job keeps sampling from the generators its round recorded. */
export const getGeneratorRecord = domainOp(function* getGeneratorRecord(c: Conn, id: number): Op<Generator> {
  const row = yield* c.first(c.q.select().from(generators).where(eq(generators.id, id)));
  if (!row) throw new AppError("NOT_FOUND", `no generator ${id}`);
  return row;
});

/** What a browser or the CLI may see of a generator: the key's variable name, and whether it is set. */
export function publicGenerator(g: Generator) {
  return {
    id: g.id,
    name: g.name,
    kind: g.kind,
    model: g.model,
    url: g.url,
    device: g.device,
    apiKeyEnv: g.apiKeyEnv,
    apiKeySet: g.apiKeyEnv ? !!process.env[g.apiKeyEnv] : null,
    version: g.version,
    lastTest: g.lastTest,
    createdAt: g.createdAt,
  };
}
export type PublicGenerator = ReturnType<typeof publicGenerator>;

export const listGenerators = domainOp(function* listGenerators(c: Conn): Op<PublicGenerator[]> {
  const rows = yield* c.all(c.q.select().from(generators).where(isNull(generators.removedAt)).orderBy(asc(generators.id)));
  return rows.map(publicGenerator);
});

/** Removes a generator from the registry; rounds that used it keep pointing at its row. */
export const removeGenerator = domainOp(function* removeGenerator(c: Conn, ref: number | string, actorId?: number): Op<Generator> {
  return yield* c.transaction(function* (tx): Op<Generator> {
    const g = yield* getGenerator.op(tx, ref);
    yield* tx.run(
      tx.q
        .update(generators)
        .set({ removedAt: Math.floor(Date.now() / 1000) })
        .where(eq(generators.id, g.id)),
    );
    yield* recordAuditEvent.op(tx, { actorId, action: "generator.remove", detail: { generator: g.id, name: g.name } });
    return g;
  });
});

/** One probe's outcome, as stored on the generator and shown by `generator:test` / the Test button. */
export type ProbeResult = {
  ok: boolean;
  latency_ms: number | null;
  ttft_ms: number | null;
  tokens: number;
  tokens_per_s: number | null;
  sample: string | null;
  model: string | null;
  error: string | null;
  at: number;
};

export const PROBE_PROMPT = "Say hello in one short sentence.";

/**
 * A probe's sampler: the caller (server/generation) sends one chat request to the generator and
 * reports what came back, or throws an Error whose message says why.
 */
export type ProbeSampler = (messages: { role: "user"; content: string }[]) => Promise<{
  text: string;
  completionTokens: number;
  latencyMs: number;
  ttftMs: number | null;
  model: string;
}>;

/** Sends one probe request through `sample`; a failure is a result with the reason, not an exception. */
export async function runProbe(sample: ProbeSampler): Promise<ProbeResult> {
  const at = Math.floor(Date.now() / 1000);
  try {
    const c = await sample([{ role: "user", content: PROBE_PROMPT }]);
    return {
      ok: true,
      latency_ms: Math.round(c.latencyMs),
      ttft_ms: c.ttftMs === null ? null : Math.round(c.ttftMs),
      tokens: c.completionTokens,
      tokens_per_s: c.latencyMs > 0 ? Math.round((c.completionTokens / c.latencyMs) * 1000 * 10) / 10 : null,
      sample: c.text.slice(0, 2000),
      model: c.model,
      error: null,
      at,
    };
  } catch (e) {
    return {
      ok: false,
      latency_ms: null,
      ttft_ms: null,
      tokens: 0,
      tokens_per_s: null,
      sample: null,
      model: null,
      error: (e as Error).message,
      at,
    };
  }
}

/** Stores a probe's outcome on the generator; a successful one also records the served version. */
export const recordProbe = domainOp(function* recordProbe(c: Conn, g: Generator, result: ProbeResult): Op<Generator> {
  const version = result.ok ? (g.kind === "local" ? g.model : result.model) : g.version;
  const row = yield* c.first(c.q.update(generators).set({ lastTest: result, version }).where(eq(generators.id, g.id)).returning());
  if (!row) throw new AppError("NOT_FOUND", `no generator ${g.id}`);
  return row;
});

/** `generator:test` and the Test button: one probe request (outside any transaction), recorded on the generator. */
export async function testGenerator(db: AnyDb, ref: number | string, sample: ProbeSampler): Promise<ProbeResult> {
  const g = await getGenerator(db, ref);
  const result = await runProbe(sample);
  await recordProbe(db, await getGenerator(db, g.id), result);
  return result;
}

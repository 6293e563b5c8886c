/**
 * `generator:serve --model M [--port P]`: the built-in generation worker as a standalone OpenAI-compatible
 * server (`ARBITER_PYTHON -m arbiter_trainer openai-serve`, see server/trainer/arbiter_trainer/openai_server.py),
 * for other tools to use a local model. It runs in the foreground: once the worker listens it prints the
 * base URL (with --json one object `{url, model, port, device}`), forwards SIGINT/SIGTERM to the worker and
 * exits with the worker's status. The model passes the allow-list of training bases (validateBaseSpec: a
 * Hub id, or a folder under ARBITER_MODELS_DIR or the HF cache). A worker that cannot start (bad model, will
 * not fit in memory, no transformers in ARBITER_PYTHON) is a user error: `error: …`, exit 1.
 */
import { spawn } from "node:child_process";
import readline from "node:readline";
import { z } from "zod";
import { AppError } from "@/server/domain/errors";
import { validateBaseSpec } from "@/server/domain/training/bases";
import { trainerDir, trainerPython } from "@/server/jobs/runner";
import type { CliHelpers, Flags, StandaloneCommand } from "./cli-types";

const zServeLine = z.union([
  z.object({
    type: z.literal("ready"),
    port: z.number().int(),
    model: z.string(),
    device: z.string().optional(),
    max_model_len: z.number().int().optional(),
  }),
  z.object({ type: z.literal("error"), message: z.string() }),
]);

export type ServeOptions = { model: string; host: string; port: number; device: string; maxBatch: number; servedName?: string };

/** The worker's argv (after the interpreter). */
export function openaiServeArgs(o: ServeOptions): string[] {
  const args = ["-m", "arbiter_trainer", "openai-serve", "--model", o.model, "--host", o.host, "--port", String(o.port)];
  args.push("--device", o.device, "--max-batch", String(o.maxBatch));
  if (o.servedName) args.push("--served-model-name", o.servedName);
  return args;
}

/** Runs the worker until it exits; `onReady` gets the bound address. Rejects with AppError when it cannot start. */
export function serveWorker(
  o: ServeOptions,
  onReady: (r: { url: string; model: string; port: number; device: string | null }) => void,
): Promise<number> {
  const child = spawn(trainerPython(), openaiServeArgs(o), {
    cwd: trainerDir(),
    env: { ...process.env, PYTHONPATH: trainerDir(), PYTHONUNBUFFERED: "1" },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const forward = (signal: NodeJS.Signals) => () => {
    if (child.exitCode === null) child.kill(signal);
  };
  const onInt = forward("SIGINT");
  const onTerm = forward("SIGTERM");
  process.on("SIGINT", onInt);
  process.on("SIGTERM", onTerm);
  return new Promise((resolve, reject) => {
    let ready = false;
    let startError: string | null = null;
    readline.createInterface({ input: child.stdout as NodeJS.ReadableStream }).on("line", (text) => {
      let raw: unknown;
      try {
        raw = JSON.parse(text);
      } catch {
        process.stderr.write(`${text}\n`);
        return;
      }
      const line = zServeLine.safeParse(raw);
      if (!line.success) return;
      if (line.data.type === "error") startError = line.data.message;
      else if (!ready) {
        ready = true;
        const host = o.host === "0.0.0.0" || o.host === "::" ? "127.0.0.1" : o.host;
        const url = `http://${host.includes(":") ? `[${host}]` : host}:${line.data.port}/v1`;
        onReady({ url, model: line.data.model, port: line.data.port, device: line.data.device ?? null });
      }
    });
    const done = (fail: string | null, code: number) => {
      process.off("SIGINT", onInt);
      process.off("SIGTERM", onTerm);
      if (!ready) {
        reject(
          new AppError("BAD_INPUT", `generator:serve: the worker for ${o.model} could not start: ${fail ?? startError ?? `exit ${code}`}`),
        );
      } else resolve(code);
    };
    child.on("error", (e) =>
      done(`cannot run ${trainerPython()}: ${e.message} (set ARBITER_PYTHON to the Python printed by scripts/trainer-hf-env)`, 1),
    );
    child.on("close", (code, signal) => done(startError, code ?? (signal === "SIGINT" || signal === "SIGTERM" ? 0 : 1)));
  });
}

export function generationServeCommands(h: CliHelpers): Record<string, StandaloneCommand> {
  return {
    "generator:serve": {
      summary: "serve a local HF causal LM over the OpenAI API (/v1/models, /v1/chat/completions) until Ctrl-C",
      usage:
        "generator:serve --model M [--port 8000] [--host 127.0.0.1] [--device auto|cpu|cuda] [--max-batch 32] [--served-model-name NAME]",
      options: {
        model: { type: "string" },
        port: { type: "string" },
        host: { type: "string" },
        device: { type: "string" },
        "max-batch": { type: "string" },
        "served-model-name": { type: "string" },
      },
      async runWithoutDb(f) {
        const spec = h.required(f, "model").trim();
        if (!spec) throw h.usageError("--model is a model folder or a Hugging Face Hub id");
        const port = h.intFlag(f, "port", 8000);
        if (port < 0 || port > 65535) throw h.usageError("--port is 0 (any free port) to 65535");
        const maxBatch = h.intFlag(f, "max-batch", 32);
        if (maxBatch < 1) throw h.usageError("--max-batch is at least 1");
        const device = typeof f.device === "string" ? f.device : "auto";
        if (device !== "auto" && device !== "cpu" && device !== "cuda") throw h.usageError("--device is auto, cpu or cuda");
        const host = typeof f.host === "string" ? f.host : "127.0.0.1";
        const servedName = typeof f["served-model-name"] === "string" ? f["served-model-name"] : undefined;
        // The allow-list training bases go through: a Hub id, or a folder under ARBITER_MODELS_DIR / the HF cache.
        const base = validateBaseSpec(spec);
        if (base.kind === "tiny") throw new AppError("BAD_INPUT", "--model tiny: the built-in tiny model scores, it does not generate");
        const model = base.base;
        const code = await serveWorker({ model, host, port, device, maxBatch, servedName }, (r) => {
          // Printed as soon as it listens (the command runs until Ctrl-C): one JSON object with --json.
          process.stdout.write(
            f.json === true ? `${JSON.stringify(r)}\n` : `serving ${r.model} at ${r.url} (${r.device ?? device}); Ctrl-C stops it\n`,
          );
        });
        // The one line above was the output; leave without the dispatcher printing a second one.
        process.exit(code);
      },
    },
  };
}

/**
 * CLI commands for generation (issue #14): the generator registry (`generator:add|list|remove|test`)
 * and sampling jobs (`generate`). Thin shells over server/domain/generation, with the clients of
 * server/generation (the `openai` client; the local worker pool).
 */
import type { Db } from "@/server/db";
import { AppError } from "@/server/domain/errors";
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
import { GeneratorClients } from "@/server/generation/generators";

type Flags = Record<string, string | boolean | undefined>;
type Command = {
  summary: string;
  usage: string;
  options: Record<string, { type: "string" | "boolean" }>;
  run: (db: Db, flags: Flags) => Promise<{ json: Record<string, unknown>; text: string }>;
};
export type CliHelpers = {
  usageError: (message: string) => Error;
  required: (flags: Flags, name: string) => string;
  intFlag: (flags: Flags, name: string, fallback: number) => number;
  resolveProject: (db: Db, ref: string) => number;
};

const str = (f: Flags, name: string) => (typeof f[name] === "string" ? (f[name] as string) : undefined);

function probeText(name: string, p: ProbeResult): string {
  if (!p.ok) return `generator ${name}: test failed: ${p.error}`;
  return `generator ${name}: ${p.latency_ms} ms, first token ${p.ttft_ms ?? "?"} ms, ${p.tokens} tokens, ${p.tokens_per_s ?? "?"} tokens/s\n  ${JSON.stringify(p.sample)}`;
}

export function generationCommands(h: CliHelpers): Record<string, Command> {
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
      async run(db, f) {
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
          const prepared = prepareGenerator(db, input);
          const clients = new GeneratorClients(undefined, { maxRetries: 1, timeoutMs: 60_000 });
          try {
            probe = await runProbe(clients.probeFor(prepared));
          } finally {
            await clients.close();
          }
          if (!probe.ok) throw new AppError("BAD_INPUT", `generator ${name} not added: the test request failed: ${probe.error}`);
        }
        const g = addGenerator(db, input, undefined, probe);
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
      async run(db) {
        const gens = listGenerators(db);
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
      async run(db, f) {
        const g = removeGenerator(db, h.required(f, "name"));
        return { json: { id: g.id, name: g.name, removed: true }, text: `removed generator ${g.id} "${g.name}"` };
      },
    },
    "generator:test": {
      summary: "send one probe request to a generator: latency, time to first token, tokens/s and the sample",
      usage: "generator:test --name N|ID",
      options: { name: { type: "string" } },
      async run(db, f) {
        const g = getGenerator(db, h.required(f, "name"));
        const clients = new GeneratorClients(undefined, { maxRetries: 1, timeoutMs: 60_000 });
        let probe: ProbeResult;
        try {
          probe = await testGenerator(db, g.id, clients.probeFor(g));
        } finally {
          await clients.close();
        }
        if (!probe.ok) throw new AppError("BAD_INPUT", `generator ${g.name}: the test request failed: ${probe.error}`);
        return { json: { ...publicGenerator(getGenerator(db, g.id)), test: probe }, text: probeText(g.name, probe) };
      },
    },
  };
}

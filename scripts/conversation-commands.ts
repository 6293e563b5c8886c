/**
 * CLI pieces for the live modes (issue #15): project:create's live flags (--kind, --generators,
 * --max-turns, --system …), `project:live` to change them (pause switch included), and the exports
 * `--format sft|prompts` and `--rewrites pair`. Thin shells over server/domain/conversations.
 */
import { PROJECT_KINDS, type ProjectKind } from "@/db/schema";
import type { AnyDb } from "@/server/database";
import {
  exportLiveSnapshot,
  LIVE_EXPORT_FORMATS,
  REWRITE_PAIR_FORMATS,
  type RewritePairFormat,
  SFT_STYLES,
  type SftStyle,
} from "@/server/domain/conversations/live-exports";
import { getLiveSettings, type LiveSettingsInput, setLiveSettings, zLiveSettings } from "@/server/domain/conversations/live-settings";
import { getGenerator } from "@/server/domain/generation/registry";
import { resolveProjectRef } from "@/server/domain/projects";
import type { AnyDbCommand, CliHelpers, Flags } from "./cli-types";

export type ConversationCliHelpers = Pick<CliHelpers, "usageError" | "required">;

export const LIVE_PROJECT_OPTIONS = {
  kind: { type: "string" },
  generators: { type: "string" },
  "max-turns": { type: "string" },
  system: { type: "string" },
  "max-tokens": { type: "string" },
  temperature: { type: "string" },
  "rate-limit": { type: "string" },
  rewrites: { type: "boolean" },
  "prompt-writing": { type: "boolean" },
} as const;

export const LIVE_PROJECT_USAGE =
  "[--kind pairwise|conversation|arena] [--generators A,B[,…]] [--max-turns N] [--system TEXT] [--max-tokens N] [--temperature T] [--rate-limit PER_MINUTE] [--rewrites] [--prompt-writing]";

function numberFlag(f: Flags, name: string, h: ConversationCliHelpers, integer: boolean): number | undefined {
  const v = f[name];
  if (v === undefined) return undefined;
  const n = Number(v);
  if (typeof v !== "string" || v.trim() === "" || !Number.isFinite(n) || (integer && !Number.isInteger(n)))
    throw h.usageError(`--${name} takes ${integer ? "a whole number" : "a number"}`);
  return n;
}

/**
 * The live settings named by the flags (undefined when none is given), checked before anything is
 * written: a kind, known generators (two at least for a live kind), numbers in range.
 */
export async function prepareLiveProjectFlags(
  db: AnyDb,
  f: Flags,
  h: ConversationCliHelpers,
  creating = true,
): Promise<LiveSettingsInput | undefined> {
  const kind = f.kind;
  if (kind !== undefined && !(PROJECT_KINDS as readonly unknown[]).includes(kind))
    throw h.usageError(`--kind is ${PROJECT_KINDS.join(", ")}`);
  const generators =
    typeof f.generators === "string"
      ? f.generators
          .split(",")
          .map((g) => g.trim())
          .filter(Boolean)
      : undefined;
  for (const g of generators ?? []) await getGenerator(db, g);
  const settings: LiveSettingsInput = {
    kind: kind as ProjectKind | undefined,
    generators,
    maxTurns: numberFlag(f, "max-turns", h, true),
    systemPrompt: typeof f.system === "string" ? f.system : undefined,
    maxTokens: numberFlag(f, "max-tokens", h, true),
    temperature: numberFlag(f, "temperature", h, false),
    rateLimitPerMinute: numberFlag(f, "rate-limit", h, true),
    rewrites: f.rewrites === true ? true : undefined,
    promptWriting: f["prompt-writing"] === true ? true : undefined,
  };
  if (Object.values(settings).every((v) => v === undefined)) return undefined;
  if (creating && (kind === "conversation" || kind === "arena") && (generators?.length ?? 0) < 2)
    throw h.usageError(`--kind ${kind} needs --generators with at least two generator names`);
  const parsed = zLiveSettings.safeParse(settings);
  if (!parsed.success) {
    const i = parsed.error.issues[0];
    const flag = String(i?.path[0] ?? "").replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
    throw h.usageError(`--${flag}: ${i?.message ?? "invalid"}`);
  }
  return settings;
}

export async function applyLiveProjectFlags(db: AnyDb, projectId: number, settings: LiveSettingsInput | undefined): Promise<void> {
  if (settings) await setLiveSettings(db, { projectId, settings });
}

export const LIVE_EXPORT_OPTIONS = {
  rewrites: { type: "string" },
  "sft-style": { type: "string" },
} as const;

export const LIVE_EXPORT_USAGE = `[--format ${LIVE_EXPORT_FORMATS.join("|")}] [--sft-style ${SFT_STYLES.join("|")}] [--rewrites pair (with --format ${REWRITE_PAIR_FORMATS.join("|")})]`;

/** `export --format sft|prompts` and `export --rewrites pair`; null for every other export. */
export async function runLiveExport(db: AnyDb, f: Flags, h: ConversationCliHelpers) {
  const format = f.format;
  const rewrites = f.rewrites;
  if (rewrites !== undefined && rewrites !== "pair") throw h.usageError("--rewrites takes pair");
  if (f["sft-style"] !== undefined && format !== "sft") throw h.usageError("--sft-style goes with --format sft");
  if (format !== "sft" && format !== "prompts" && rewrites === undefined) return null;
  const projectId = await resolveProjectRef(db, h.required(f, "project"));
  const out = h.required(f, "out");
  let r: Awaited<ReturnType<typeof exportLiveSnapshot>>;
  if (rewrites === "pair") {
    if (!(REWRITE_PAIR_FORMATS as readonly unknown[]).includes(format))
      throw h.usageError(`--rewrites pair writes ${REWRITE_PAIR_FORMATS.join(", ")} rows; pick one with --format`);
    r = await exportLiveSnapshot(db, { projectId, format: "rewrite-pairs", pairFormat: format as RewritePairFormat, out });
  } else if (format === "sft") {
    const style = f["sft-style"] ?? "messages";
    if (!(SFT_STYLES as readonly unknown[]).includes(style)) throw h.usageError(`--sft-style is ${SFT_STYLES.join(" or ")}`);
    r = await exportLiveSnapshot(db, { projectId, format: "sft", style: style as SftStyle, out });
  } else {
    r = await exportLiveSnapshot(db, { projectId, format: "prompts", out });
  }
  return { json: r, text: `wrote ${r.rows} rows to ${out} (sha256 ${r.sha256}, snapshot ${r.snapshot})` };
}

export function conversationCommands(h: ConversationCliHelpers): Record<string, AnyDbCommand> {
  return {
    "project:live": {
      summary: "change a project's live settings: kind, generators, guard rails, pause switch, rewrites, prompt writing",
      usage: `project:live --project ID [--pause | --resume] ${LIVE_PROJECT_USAGE}`,
      options: { project: { type: "string" }, pause: { type: "boolean" }, resume: { type: "boolean" }, ...LIVE_PROJECT_OPTIONS },
      async runAny(db, f) {
        const projectId = await resolveProjectRef(db, h.required(f, "project"));
        if (f.pause === true && f.resume === true) throw h.usageError("--pause or --resume, not both");
        const current = await getLiveSettings(db, projectId);
        const settings: LiveSettingsInput = { ...((await prepareLiveProjectFlags(db, f, h, false)) ?? {}) };
        if (f.pause === true) settings.paused = true;
        if (f.resume === true) settings.paused = false;
        if (settings.kind === undefined && settings.generators === undefined && current.kind !== "pairwise") settings.kind = current.kind;
        const s = await setLiveSettings(db, { projectId, settings });
        const json = {
          project: projectId,
          kind: s.kind,
          generators: s.generatorIds,
          max_turns: s.maxTurns,
          max_tokens: s.maxTokens,
          temperature: s.temperature,
          rate_limit_per_minute: s.rateLimitPerMinute,
          paused: s.paused,
          rewrites: s.rewrites,
          prompt_writing: s.promptWriting,
        };
        return {
          json,
          text: `project ${projectId}: ${s.kind}${s.paused ? " (paused)" : ""}, generators ${s.generatorIds.join(", ") || "none"}`,
        };
      },
    },
  };
}

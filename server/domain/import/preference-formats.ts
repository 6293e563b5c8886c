/**
 * The `hh` and `trl` import formats: one preference per line, turned into an arbiter item (the
 * prompt, two responses, one judgment "a wins" by the external annotator `hh` or `trl`).
 * HH keeps what it needs on the item (`metadata.hh`) so exporting `--format hh` gives the same bytes.
 */
import { z } from "zod";
import type { Content, Message } from "@/db/schema";
import type { FieldIssue } from "@/server/domain/errors";
import { renderHhPrefix } from "@/server/domain/export/formats";
import { zContent } from "@/server/domain/schemas";
import { type ImportLine, parseJsonObject, zImportLine } from "./arbiter-format";

type Parsed = { ok: true; value: ImportLine } | { ok: false; issues: FieldIssue[] };

const ASSISTANT = "\n\nAssistant:";
const ROLE_OF: Record<string, Message["role"]> = { Human: "user", Assistant: "assistant", System: "system" };
// Where our item fields came from in the input line, for error messages.
const FIELD_NAMES: Record<string, string> = { "responses[0].text": "chosen", "responses[1].text": "rejected" };

function zodIssues(error: z.ZodError): FieldIssue[] {
  return error.issues.map((i) => {
    const field = i.path.reduce<string>((acc, p) => (typeof p === "number" ? `${acc}[${p}]` : acc ? `${acc}.${String(p)}` : String(p)), "");
    return { field: FIELD_NAMES[field] ?? (field || "(line)"), message: i.message };
  });
}

function finish(line: ImportLine): Parsed {
  const parsed = zImportLine.safeParse(line);
  return parsed.success ? { ok: true, value: parsed.data } : { ok: false, issues: zodIssues(parsed.error) };
}

/** Splits an HH prefix ("\n\nHuman: …\n\nAssistant:") into a prompt: one human turn → text, more → messages. */
export function hhPrompt(prefix: string): Content {
  const body = prefix.slice(0, -ASSISTANT.length);
  const parts = body.split(/\n\n(Human|Assistant|System): /);
  const messages: Message[] = [];
  if (parts[0]) messages.push({ role: "user", content: parts[0] });
  for (let i = 1; i < parts.length; i += 2) {
    messages.push({ role: ROLE_OF[parts[i] as string] ?? "user", content: parts[i + 1] ?? "" });
  }
  if (messages.length === 1 && messages[0]?.role === "user") return messages[0].content;
  return messages.length ? messages : body;
}

const zHhLine = z.object({ chosen: z.string(), rejected: z.string() });

export function parseHhLine(text: string): Parsed {
  const obj = parseJsonObject(text);
  if (!obj.ok) return obj;
  const line = zHhLine.safeParse(obj.value);
  if (!line.success) return { ok: false, issues: zodIssues(line.error) };
  const { chosen, rejected } = line.data;
  let shared = 0;
  while (shared < chosen.length && chosen[shared] === rejected[shared]) shared++;
  const at = chosen.lastIndexOf(ASSISTANT, shared - ASSISTANT.length);
  if (shared < ASSISTANT.length || at < 0) {
    return {
      ok: false,
      issues: [{ field: "chosen", message: 'chosen and rejected share no prefix ending in "\\n\\nAssistant:"' }],
    };
  }
  return textPair(chosen.slice(0, at + ASSISTANT.length), chosen, rejected, "hh");
}

/**
 * An item from a text pair split at `prefix` (chosen and rejected both start with it). An HH line's prefix,
 * or a TRL prompt in HH form ("\n\nHuman: …\n\nAssistant:"), becomes the prompt text or messages; any
 * other TRL prompt is the prompt text.
 * Whatever the prompt would not render back exactly (`metadata.hh.prefix`), and replies without the usual
 * leading space (`metadata.hh.bare`), are kept so `--format hh` and standard `trl` exports give the same bytes.
 */
function textPair(prefix: string, chosen: string, rejected: string, annotator: "hh" | "trl", id?: string): Parsed {
  const replies = [chosen.slice(prefix.length), rejected.slice(prefix.length)];
  const bare = replies.flatMap((r, idx) => (r.startsWith(" ") ? [] : [idx]));
  const dialogue = annotator === "hh" || (prefix.startsWith("\n\nHuman: ") && prefix.endsWith(ASSISTANT));
  const prompt = dialogue ? hhPrompt(prefix) : prefix;
  const hh: Record<string, unknown> = {};
  if (renderHhPrefix(prompt) !== prefix) hh.prefix = prefix;
  if (bare.length) hh.bare = bare;
  return finish({
    ...(id !== undefined ? { id } : {}),
    prompt,
    responses: replies.map((r) => ({ model: "unknown", text: r.startsWith(" ") ? r.slice(1) : r })),
    judgments: [{ annotator, winner: "a" }],
    ...(Object.keys(hh).length ? { metadata: { hh } } : {}),
  });
}

/**
 * TRL's `extract_prompt` for an implicit-prompt text pair: the longest common prefix (by code point), moved
 * back by one when the strings part right after a space, so the completions keep it. Quirks included: with
 * no difference the loop's last index is used, and Python's `chosen[-1]` is the last character.
 */
export function trlImplicitPrefix(chosen: string, rejected: string): string {
  const c = Array.from(chosen);
  const r = Array.from(rejected);
  const n = Math.min(c.length, r.length);
  let idx = n - 1;
  for (let i = 0; i < n; i++) {
    if (c[i] !== r[i]) {
      idx = c.at(i - 1) === " " ? i - 1 : i;
      break;
    }
  }
  return c.slice(0, idx < 0 ? c.length + idx : idx).join("");
}

const zTrlLine = z.object({
  id: z.union([z.string(), z.number().int().transform(String)]).optional(),
  prompt: zContent.optional(),
  chosen: zContent,
  rejected: zContent,
});

function reply(c: Content): Content {
  if (typeof c === "string") return c;
  return c.length === 1 && c[0]?.role === "assistant" ? c[0].content : c;
}

/** TRL preference rows: standard (strings) or conversational (message lists), explicit or implicit prompt. */
export function parseTrlLine(text: string): Parsed {
  const obj = parseJsonObject(text);
  if (!obj.ok) return obj;
  const line = zTrlLine.safeParse(obj.value);
  if (!line.success) return { ok: false, issues: zodIssues(line.error) };
  let { prompt, chosen, rejected } = line.data;
  const id = line.data.id;
  if (typeof chosen === "string" && typeof rejected === "string" && typeof prompt !== "object") {
    // Standard rows are text: the prompt followed by each completion is the full text, kept byte for byte.
    if (prompt === undefined) {
      prompt = trlImplicitPrefix(chosen, rejected);
      if (!prompt) return { ok: false, issues: [{ field: "prompt", message: "no prompt, and chosen and rejected share no prefix" }] };
      return textPair(prompt, chosen, rejected, "trl", id);
    }
    return textPair(prompt, prompt + chosen, prompt + rejected, "trl", id);
  }
  if (prompt === undefined) {
    // Implicit prompt: the messages both sides share are the prompt.
    if (typeof chosen === "string" || typeof rejected === "string") {
      return {
        ok: false,
        issues: [{ field: "prompt", message: "chosen and rejected must both be text or both be message lists" }],
      };
    }
    let n = 0;
    while (n < chosen.length - 1 && n < rejected.length - 1 && JSON.stringify(chosen[n]) === JSON.stringify(rejected[n])) n++;
    if (n === 0)
      return { ok: false, issues: [{ field: "prompt", message: "no prompt, and chosen and rejected share no leading messages" }] };
    prompt = chosen.slice(0, n);
    chosen = chosen.slice(n);
    rejected = rejected.slice(n);
  }
  return finish({
    ...(id !== undefined ? { id } : {}),
    prompt,
    responses: [
      { model: "unknown", text: reply(chosen) },
      { model: "unknown", text: reply(rejected) },
    ],
    judgments: [{ annotator: "trl", winner: "a" }],
  });
}

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
  const prefix = chosen.slice(0, at + ASSISTANT.length);
  const replies = [chosen.slice(prefix.length), rejected.slice(prefix.length)];
  const bare = replies.flatMap((r, idx) => (r.startsWith(" ") ? [] : [idx]));
  const prompt = hhPrompt(prefix);
  const hh: Record<string, unknown> = {};
  if (renderHhPrefix(prompt) !== prefix) hh.prefix = prefix;
  if (bare.length) hh.bare = bare;
  return finish({
    prompt,
    responses: replies.map((r) => ({ model: "unknown", text: r.startsWith(" ") ? r.slice(1) : r })),
    judgments: [{ annotator: "hh", winner: "a" }],
    ...(Object.keys(hh).length ? { metadata: { hh } } : {}),
  });
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
  if (prompt === undefined) {
    // Implicit prompt: the messages both sides share are the prompt.
    if (typeof chosen === "string" || typeof rejected === "string") {
      return {
        ok: false,
        issues: [{ field: "prompt", message: "standard rows need a prompt (implicit prompts only work with message lists)" }],
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
    ...(line.data.id !== undefined ? { id: line.data.id } : {}),
    prompt,
    responses: [
      { model: "unknown", text: reply(chosen) },
      { model: "unknown", text: reply(rejected) },
    ],
    judgments: [{ annotator: "trl", winner: "a" }],
  });
}

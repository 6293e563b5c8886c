/**
 * Prompts files for sampling jobs: JSONL, one `{"id", "prompt": text | [{role, content}…], "metadata"}`
 * a line. Every problem is reported as `line N, field F: why`; a file with any problem is refused whole.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import { z } from "zod";
import type { Content } from "@/db/schema";
import { AppError, type FieldIssue, formatIssue } from "@/server/domain/errors";
import { parseJsonObject } from "@/server/domain/import/arbiter-format";
import { readLinesSync } from "@/server/domain/import/read-lines";
import { zContent } from "@/server/domain/schemas";

export const MAX_PROMPTS = 100_000;
const MAX_PROMPT_CHARS = 200_000;
const MAX_LINE_BYTES = 4 * 1024 * 1024;

const textOf = (c: Content) => (typeof c === "string" ? c : c.map((m) => m.content).join(""));

export const zPromptLine = z
  .object({
    id: z.union([z.string().trim().min(1, "the id is empty").max(200), z.number().int().transform(String)]),
    prompt: zContent
      .refine((p) => textOf(p).trim().length > 0, "the prompt is empty")
      .refine((p) => textOf(p).length <= MAX_PROMPT_CHARS, `longer than ${MAX_PROMPT_CHARS.toLocaleString("en")} characters`)
      .refine((p) => !textOf(p).includes("\u0000"), "contains a NUL character (\\u0000)")
      .refine(
        (p) => typeof p === "string" || p[p.length - 1]?.role !== "assistant",
        "the last message is the assistant's; nothing to answer",
      ),
    metadata: z.record(z.string(), z.unknown()).default({}),
  })
  .strict();

export type PromptRow = { line: number; id: string; prompt: Content; metadata: Record<string, unknown> };

function pathOf(path: readonly PropertyKey[]): string {
  return path.reduce<string>((acc, p) => (typeof p === "number" ? `${acc}[${p}]` : acc ? `${acc}.${String(p)}` : String(p)), "");
}

/** zod's "Invalid input" for the text-or-messages union becomes the branch that fits what was given. */
function explain(issue: z.core.$ZodIssue, field: string, value: Record<string, unknown>): { field: string; message: string } {
  if (issue.code !== "invalid_union") return { field, message: issue.message };
  const given = issue.path.reduce<unknown>((v, k) => (v as Record<PropertyKey, unknown> | undefined)?.[k], value);
  if (Array.isArray(given)) {
    const inner = issue.errors[1]?.[0];
    const suffix = inner?.path.map((k) => (typeof k === "number" ? `[${k}]` : `.${String(k)}`)).join("") ?? "";
    if (inner) return { field: `${field}${suffix}`, message: inner.message };
  }
  return { field, message: "expected text or a list of {role, content} messages" };
}

/**
 * Reads and validates a prompts file. Returns the prompts and the file's sha256, or throws BAD_INPUT
 * whose message is the first problem (`FILE, line N, field F: why (and M more)`) with all of them attached.
 */
export function readPromptsFile(file: string, label = file): { prompts: PromptRow[]; sha256: string } {
  if (!fs.existsSync(file) || !fs.statSync(file).isFile())
    throw new AppError("BAD_INPUT", `${label}: no such file`, [{ field: "prompts", message: "no such file" }]);
  const issues: FieldIssue[] = [];
  const prompts: PromptRow[] = [];
  const seen = new Map<string, number>();
  for (const line of readLinesSync(file, MAX_LINE_BYTES)) {
    if ("error" in line) {
      issues.push({ line: line.lineNo, field: "(line)", message: line.error });
      continue;
    }
    const raw = parseJsonObject(line.text);
    if (!raw.ok) {
      for (const i of raw.issues) issues.push({ ...i, line: line.lineNo });
      continue;
    }
    const parsed = zPromptLine.safeParse(raw.value);
    if (!parsed.success) {
      const fields = new Set<string>(); // one problem per field: the first says what to fix
      for (const i of parsed.error.issues) {
        const issue = explain(i, pathOf(i.path) || (i.code === "unrecognized_keys" ? i.keys.join(", ") : "(line)"), raw.value);
        if (fields.has(issue.field)) continue;
        fields.add(issue.field);
        issues.push({ line: line.lineNo, ...issue });
      }
      continue;
    }
    const first = seen.get(parsed.data.id);
    if (first !== undefined) {
      issues.push({ line: line.lineNo, field: "id", message: `duplicate id "${parsed.data.id}" (first on line ${first})` });
      continue;
    }
    seen.set(parsed.data.id, line.lineNo);
    prompts.push({ line: line.lineNo, id: parsed.data.id, prompt: parsed.data.prompt, metadata: parsed.data.metadata });
  }
  if (issues.length === 0 && prompts.length === 0) issues.push({ field: "(file)", message: "the file holds no prompts" });
  if (prompts.length > MAX_PROMPTS) issues.push({ field: "(file)", message: `more than ${MAX_PROMPTS} prompts; split the file` });
  if (issues.length > 0) {
    const first = issues[0] as FieldIssue;
    const more = issues.length > 1 ? ` (and ${issues.length - 1} more)` : "";
    throw new AppError("BAD_INPUT", `${formatIssue(first, label)}${more}`, issues);
  }
  const sha256 = crypto.createHash("sha256").update(fs.readFileSync(file)).digest("hex");
  return { prompts, sha256 };
}

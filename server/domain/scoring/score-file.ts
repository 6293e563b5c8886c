/**
 * Batch scoring of a JSONL file (CLI `score --model ID --file F --out F`). Input lines are
 * `{"prompt": text or chat messages, "response": text or chat messages, …}`; each output line is the
 * input object with every field kept and `reward` (normalized) added. The file is streamed in blocks
 * of lines (the pool splits a block into concurrent requests the worker batches together), so memory
 * stays flat for any size. A bad line
 * stops the run with `FILE: line N, field F: why` and nothing is left at `out` (it is written to
 * `<out>.partial` and renamed at the end).
 */
import fs from "node:fs";
import readline from "node:readline";
import { z } from "zod";
import { AppError, formatIssue } from "@/server/domain/errors";
import { zContent } from "@/server/domain/schemas";
import { renderPrompt, renderResponse } from "@/server/domain/training/training-data";
import type { ScoreFn, ScoreInput } from "./project-scores";

const zScoreLine = z.looseObject({ prompt: zContent, response: zContent });

const BLOCK = 2048;

function parseLine(text: string, line: number, file: string): { obj: Record<string, unknown>; input: ScoreInput } {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new AppError("BAD_INPUT", formatIssue({ line, field: "(line)", message: `not valid JSON (${(e as Error).message})` }, file));
  }
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    throw new AppError("BAD_INPUT", formatIssue({ line, field: "(line)", message: "expected a JSON object" }, file));
  }
  const parsed = zScoreLine.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue?.path.map(String).join(".") || "(line)";
    const message =
      issue?.code === "invalid_union" || issue?.message.includes("received undefined")
        ? "missing, or not text / chat messages"
        : (issue?.message ?? "invalid");
    throw new AppError("BAD_INPUT", formatIssue({ line, field, message }, file), [{ line, field, message }]);
  }
  return {
    obj: raw as Record<string, unknown>,
    input: { prompt: renderPrompt(parsed.data.prompt), response: renderResponse(parsed.data.response) },
  };
}

export async function scoreJsonlFile(params: {
  file: string;
  out: string;
  score: ScoreFn;
  /** Bytes read so far and the file's size. */
  onProgress?: (bytes: number, total: number) => void;
}): Promise<{ rows: number }> {
  const { file, out } = params;
  if (!fs.existsSync(file)) throw new AppError("BAD_INPUT", `${file}: no such file`, [{ field: "file", message: "no such file" }]);
  const size = fs.statSync(file).size;
  const partial = `${out}.partial`;
  const input = fs.createReadStream(file);
  let bytes = 0;
  input.on("data", (b) => {
    bytes += b.length;
  });
  const output = fs.createWriteStream(partial);
  const write = (text: string) =>
    new Promise<void>((resolve, reject) => {
      output.write(text, (e) => (e ? reject(e) : resolve()));
    });
  let rows = 0;
  let lineNo = 0;
  let block: { obj: Record<string, unknown>; input: ScoreInput }[] = [];
  const flush = async () => {
    if (block.length === 0) return;
    const current = block;
    block = [];
    const scores = await params.score(current.map((b) => b.input));
    await write(current.map((b, i) => `${JSON.stringify({ ...b.obj, reward: scores[i]?.reward })}\n`).join(""));
    rows += current.length;
    params.onProgress?.(bytes, size);
  };
  try {
    for await (const text of readline.createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY })) {
      lineNo++;
      if (text.trim() === "") continue;
      block.push(parseLine(text, lineNo, file));
      if (block.length >= BLOCK) await flush();
    }
    await flush();
    await new Promise<void>((resolve, reject) => output.end((e?: Error | null) => (e ? reject(e) : resolve())));
    fs.renameSync(partial, out);
    return { rows };
  } catch (e) {
    input.destroy();
    output.destroy();
    fs.rmSync(partial, { force: true });
    throw e;
  }
}

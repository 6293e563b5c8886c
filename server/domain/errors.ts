/**
 * Errors are values with codes. Domain code throws AppError; server/api maps the code to a tRPC
 * code and the CLI maps it to exit status 1 with a one-line `error: …`. Anything that is not an
 * AppError is a bug: it is logged in full and shown to users only as a generic failure.
 */
import type { z } from "zod";

export const APP_ERROR_CODES = ["BAD_INPUT", "NOT_FOUND", "UNAUTHORIZED", "FORBIDDEN", "CONFLICT", "LEASE_EXPIRED"] as const;
export type AppErrorCode = (typeof APP_ERROR_CODES)[number];

/** One problem in an input file or form: where it is and why it is wrong. */
export type FieldIssue = { line?: number; field: string; message: string };

export class AppError extends Error {
  readonly code: AppErrorCode;
  readonly issues: FieldIssue[];

  constructor(code: AppErrorCode, message: string, issues: FieldIssue[] = []) {
    super(message);
    this.name = "AppError";
    this.code = code;
    this.issues = issues;
  }
}

export function isAppError(e: unknown): e is AppError {
  return e instanceof AppError;
}

/** `line 12, field responses[1].text: expected a string` — the format every import error uses. */
export function formatIssue(issue: FieldIssue, file?: string): string {
  const where = [file, issue.line !== undefined ? `line ${issue.line}` : undefined, `field ${issue.field}`].filter(Boolean).join(", ");
  return `${where}: ${issue.message}`;
}

/**
 * Validates domain input with a zod schema; a failure becomes BAD_INPUT naming the first field
 * (`overlap: Too big…`), with every field issue attached for forms to show.
 */
export function parseInput<T extends z.ZodType>(schema: T, input: unknown, what: string): z.output<T> {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.map((i) => ({ field: i.path.map(String).join(".") || what, message: i.message }));
  const first = issues[0] ?? { field: what, message: "invalid" };
  throw new AppError("BAD_INPUT", `${first.field}: ${first.message}`, issues);
}

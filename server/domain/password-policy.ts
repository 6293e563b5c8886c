/**
 * Password policy after NIST SP 800-63B §5.1.1.2 (memorized secrets): a minimum length (8, and 12
 * for admins and researchers, whose accounts reach every project and the GPU), a maximum well above
 * 64, every character allowed and counted as one (Unicode code points), no composition rules
 * ("one digit, one symbol"), and a blocklist: the most common passwords (also with digits or
 * symbols tacked on), passwords made of the account's email name or of the service's name, and
 * repetitive or sequential runs ("aaaaaaaa", "12345678"). The demo's public passwords are on the
 * blocklist too: they work only for accounts the demo seed creates, and only in demo mode.
 */
import type { Role } from "@/db/schema";
import { COMMON_PASSWORDS } from "./common-passwords";
import { AppError } from "./errors";

export const MIN_PASSWORD_LENGTH = 8;
export const MIN_STAFF_PASSWORD_LENGTH = 12;
export const MAX_PASSWORD_LENGTH = 128;

/** The passwords `npm run demo` prints for its accounts: public, so never acceptable outside demo mode. */
export const DEMO_PASSWORDS: readonly string[] = ["demo-admin-pass", "demo-research-pass", "demo-annotate-pass"];

const SERVICE_WORDS = ["arbiter"];

let common: Set<string> | null = null;
function isCommon(lower: string): boolean {
  common ??= new Set(COMMON_PASSWORDS.split("\n").filter(Boolean));
  return common.has(lower);
}

export function minPasswordLength(role: Role): number {
  return role === "annotator" ? MIN_PASSWORD_LENGTH : MIN_STAFF_PASSWORD_LENGTH;
}

/** One line for a form: what a new password needs. */
export function passwordRequirements(role: Role): string {
  return `At least ${minPasswordLength(role)} characters; not a common password, and not your email name.`;
}

// Look-alike characters people put in place of letters ("p@ssw0rd"); 1 stands for i or l.
const SUBSTITUTIONS: Record<string, string> = { "@": "a", "4": "a", "0": "o", "3": "e", $: "s", "5": "s", "7": "t", "!": "i", "|": "l" };

function substituted(s: string, one: "i" | "l"): string {
  return [...s].map((c) => (c === "1" ? one : (SUBSTITUTIONS[c] ?? c))).join("");
}

/**
 * The common password a lower-cased, NFKC-normalized password is made of, or null: the common word
 * with digits or symbols tacked on either end, one character tacked on at the end ("12345678a",
 * "trustno1x"), or spelled with look-alikes ("P@ssw0rd!"). Cores under 4 characters (6 for the
 * one-character case) do not count: they would forbid half the dictionary.
 */
function commonCore(lower: string): string | null {
  const stripped = lower.replace(/[\d\W_]+$/u, "").replace(/^[\d\W_]+/u, "");
  const chars = [...lower];
  const candidates = new Set<string>();
  const add = (s: string, min: number) => {
    if ([...s].length < min) return;
    for (const v of [s, substituted(s, "i"), substituted(s, "l")]) candidates.add(v);
  };
  add(lower, 4);
  add(stripped, 4);
  add(lower.replace(/[\d\W_]+$/u, ""), 4);
  if (chars.length > 6) add(chars.slice(0, -1).join(""), 6);
  // Look-alikes first, then what is left once digits and symbols are stripped ("p@ssw0rd!" → "password").
  for (const v of [...candidates]) add(v.replace(/[\d\W_]+$/u, "").replace(/^[\d\W_]+/u, ""), 4);
  for (const c of candidates) if (c !== lower && isCommon(c)) return c;
  return null;
}

/** Every character the same, or each one step up or down from the last ("abcdefgh", "98765432"). */
function isRunOfOneCharacterOrSequence(chars: string[]): boolean {
  const codes = chars.map((c) => c.codePointAt(0) as number);
  const step = (codes[1] as number) - (codes[0] as number);
  if (Math.abs(step) > 1) return false;
  return codes.every((c, i) => i === 0 || c - (codes[i - 1] as number) === step);
}

/**
 * Why this password may not be used for this account, or null when it may. `email` is the account's
 * (its name before the @ may not appear in the password once it is 4 characters or longer).
 */
export function passwordProblem(password: string, account: { email?: string | null; role: Role }): string | null {
  const chars = [...password];
  const min = minPasswordLength(account.role);
  if (chars.length < min) {
    const forWhom = { annotator: "", admin: " for an admin account", researcher: " for a researcher account" }[account.role];
    return `use at least ${min} characters${forWhom} (this one has ${chars.length})`;
  }
  if (chars.length > MAX_PASSWORD_LENGTH) return `use at most ${MAX_PASSWORD_LENGTH} characters`;
  const lower = password.normalize("NFKC").toLowerCase();
  if (DEMO_PASSWORDS.includes(password)) return "this is one of the demo's public passwords; choose another";
  if (isCommon(lower)) return "this is one of the most common passwords; choose one that is harder to guess";
  if (isRunOfOneCharacterOrSequence(chars)) return "a run of one repeated character or a sequence is too easy to guess";
  const base = commonCore(lower);
  if (base) return `this is a common password ("${base}") with a few characters added; choose one that is harder to guess`;
  const local = account.email?.split("@")[0]?.toLowerCase() ?? "";
  if (local.length >= 4 && lower.includes(local)) return `do not use your email name ("${local}") in your password`;
  for (const word of SERVICE_WORDS) if (lower.includes(word)) return `do not use the service's name ("${word}") in your password`;
  return null;
}

/** Throws BAD_INPUT naming the `password` field when the password may not be used. */
export function assertPasswordAllowed(password: string, account: { email?: string | null; role: Role }): void {
  const problem = passwordProblem(password, account);
  if (problem) throw new AppError("BAD_INPUT", `password: ${problem}`, [{ field: "password", message: problem }]);
}

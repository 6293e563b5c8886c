/**
 * What the CLI's command modules share with scripts/cli.ts: the parsed flags, the shape of a command
 * and the helpers cli.ts lends them (so that every module reports usage errors the same way).
 */
import type { AnyDb } from "@/server/database";
import type { Db } from "@/server/db";

export type Flags = Record<string, string | boolean | undefined>;

export type Output = { json: Record<string, unknown>; text: string };

type Spec = { summary: string; usage: string; options: Record<string, { type: "string" | "boolean" }> };

/** Written against the domain layer of both engines: --db may be a SQLite file or a postgres:// URL. */
export type AnyDbCommand = Spec & { runAny: (db: AnyDb, flags: Flags) => Promise<Output> };
/** SQLite only: each is in SQLITE_ONLY_CLI_COMMANDS with its reason, and a postgres:// --db is refused. */
export type SqliteCommand = Spec & { run: (db: Db, flags: Flags) => Promise<Output> };
/** Opens no database (doctor, generator:serve) or its own (db:copy's --from and --to). */
export type StandaloneCommand = Spec & { runWithoutDb: (flags: Flags) => Promise<Output> };

export type Command = AnyDbCommand | SqliteCommand | StandaloneCommand;

export type CliHelpers = {
  usageError: (message: string) => Error;
  required: (flags: Flags, name: string) => string;
  intFlag: (flags: Flags, name: string, fallback: number) => number;
};

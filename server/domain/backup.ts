/**
 * Online backup and restore with SQLite's backup API: a backup is a consistent copy taken while
 * the app keeps serving (pages are copied in steps, writers are not blocked for long), and a
 * restore copies a backup into place page by page, then migrates it to the current schema.
 */
import fs from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import { type Db, openDb } from "@/server/db";
import { AppError } from "./errors";

export type BackupResult = { out: string; bytes: number; pages: number };

export async function backupDatabase(db: Db, out: string, onProgress?: (done: number, total: number) => void): Promise<BackupResult> {
  const target = path.resolve(out);
  if (fs.existsSync(target)) throw new AppError("CONFLICT", `${out} already exists; choose a new file`);
  fs.mkdirSync(path.dirname(target), { recursive: true });
  let pages = 0;
  await db.$client.backup(target, {
    progress: ({ totalPages, remainingPages }) => {
      pages = totalPages;
      onProgress?.(totalPages - remainingPages, totalPages);
      return 256; // pages per step: short steps keep the app responsive
    },
  });
  return { out: target, bytes: fs.statSync(target).size, pages };
}

/** Checks that `file` is an Arbiter database (its migrations table is there) before anything is overwritten. */
function assertArbiterBackup(file: string): void {
  if (!fs.existsSync(file)) throw new AppError("NOT_FOUND", `${file} does not exist`);
  let source: Database.Database | null = null;
  try {
    source = new Database(file, { readonly: true, fileMustExist: true });
    const migrations = source.prepare("SELECT count(*) AS n FROM __drizzle_migrations").get() as { n: number };
    if (migrations.n === 0) throw new Error("no migrations applied");
  } catch (e) {
    throw new AppError("BAD_INPUT", `${file} is not an Arbiter backup (${(e as Error).message})`);
  } finally {
    source?.close();
  }
}

/** Restores `from` into the database at `to` (created if missing), then applies newer migrations. */
export async function restoreDatabase(from: string, to: string): Promise<{ restored: string; pages: number }> {
  assertArbiterBackup(from);
  fs.mkdirSync(path.dirname(path.resolve(to)), { recursive: true });
  const source = new Database(from, { readonly: true });
  let pages = 0;
  try {
    await source.backup(to, {
      progress: ({ totalPages }) => {
        pages = totalPages;
        return 256;
      },
    });
  } finally {
    source.close();
  }
  openDb(to).$client.close(); // brings an older backup up to the current schema
  return { restored: path.resolve(to), pages };
}

/**
 * Annotator pseudonyms for exports: `ann_` + HMAC-SHA256(key, "project:annotator"). The key is
 * ARBITER_PSEUDONYM_KEY when set; otherwise a random secret created once beside the database
 * (`pseudonym-key`, mode 0600) and reused, so pseudonyms are stable for one database (a snapshot
 * re-creates byte-identically) and nobody without the key can map them back to annotator ids.
 */
import { createHmac, randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { type AnyDb, isPg } from "@/server/database";
import { AppError } from "@/server/domain/errors";

/** In-memory databases have no folder: their key lives as long as the connection. */
const memoryKeys = new WeakMap<object, string>();

export function pseudonymKeyFile(dbFile: string): string {
  return path.join(path.dirname(path.resolve(/*turbopackIgnore: true*/ dbFile)), "pseudonym-key");
}

function readOrCreateKey(file: string): string {
  try {
    fs.writeFileSync(file, randomBytes(32).toString("base64url"), { mode: 0o600, flag: "wx" });
  } catch (e) {
    // Another process (or an earlier run) created it first: use theirs.
    if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
  }
  const key = fs.readFileSync(file, "utf8").trim();
  if (key.length < 16) throw new Error(`${file}: the pseudonym key is shorter than 16 characters; delete the file to make a new one`);
  return key;
}

/** The key for this database: the environment's, else the one stored beside the database file. */
export function pseudonymKey(db: AnyDb): string {
  const fromEnv = process.env.ARBITER_PSEUDONYM_KEY;
  if (fromEnv) return fromEnv;
  // A PostgreSQL database has no folder of its own, and every instance must use the same key.
  if (isPg(db))
    throw new AppError(
      "BAD_INPUT",
      "exports from PostgreSQL need ARBITER_PSEUDONYM_KEY (the same value on every instance; for a database moved from SQLite, the content of the pseudonym-key file beside it keeps the pseudonyms)",
    );
  const client = db.$client;
  if (client.memory || client.name === ":memory:" || client.name === "") {
    let key = memoryKeys.get(client);
    if (!key) {
      key = randomBytes(32).toString("base64url");
      memoryKeys.set(client, key);
    }
    return key;
  }
  return readOrCreateKey(pseudonymKeyFile(client.name));
}

/** Stable per project, not reversible without the key. */
export function pseudonymizer(key: string, projectId: number): (annotatorId: number) => string {
  const cache = new Map<number, string>();
  return (id) => {
    let p = cache.get(id);
    if (!p) {
      p = `ann_${createHmac("sha256", key).update(`${projectId}:${id}`).digest("hex").slice(0, 12)}`;
      cache.set(id, p);
    }
    return p;
  };
}

import crypto from "node:crypto";
import type { Db } from "@/server/db";

/** sha256 over every row of every table, in a fixed order: equal before and after means nothing changed. */
export function databaseChecksum(db: Db): string {
  const hash = crypto.createHash("sha256");
  const tables = db.$client
    .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
    .all() as { name: string }[];
  for (const { name } of tables) {
    hash.update(`\u0001${name}`);
    for (const row of db.$client.prepare(`SELECT * FROM "${name}" ORDER BY rowid`).raw().iterate()) hash.update(JSON.stringify(row));
  }
  return hash.digest("hex");
}

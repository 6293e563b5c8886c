/**
 * The two column shapes the PostgreSQL schema needs beyond drizzle's built-ins, chosen so a value
 * round-trips between the engines byte for byte (db:copy checksums and exports depend on it).
 */
import { sql } from "drizzle-orm";
import { customType } from "drizzle-orm/pg-core";

/**
 * JSON kept as the exact text drizzle's SQLite json mode writes (JSON.stringify), not jsonb: jsonb
 * reorders keys and drops duplicate ones, so an export from PostgreSQL would differ from SQLite's.
 */
export const jsonText = customType<{ data: unknown; driverData: string }>({
  dataType: () => "text",
  toDriver: (value) => JSON.stringify(value),
  fromDriver: (value) => JSON.parse(value),
});

/** Whole seconds since the epoch, truncated like SQLite's unixepoch(). */
export const unixNow = sql`(floor(extract(epoch from now()))::bigint)`;

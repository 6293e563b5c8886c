/**
 * `db:copy`: a whole database from one engine to the other (issue #18), a thin shell over
 * server/domain/db-copy.ts. It opens its own --from and --to databases instead of --db.
 */
import { type CopyProgress, copyDatabaseBetween } from "@/server/domain/db-copy";
import type { CliHelpers, Flags, StandaloneCommand } from "./cli-types";

export type DbCliHelpers = Pick<CliHelpers, "required">;

/** One line on stderr per table copied and verified (stdout stays the one JSON object of --json). */
function progressLines(): (p: CopyProgress) => void {
  return (p) => {
    if (p.done === p.total) process.stderr.write(`${p.phase === "copy" ? "copied  " : "verified"} ${p.table}: ${p.done} rows\n`);
  };
}

export function dbCommands(h: DbCliHelpers): Record<string, StandaloneCommand> {
  return {
    "db:copy": {
      summary: "copy a whole database between SQLite files and PostgreSQL URLs into an empty target, verified per table",
      usage: "db:copy --from FILE|URL --to FILE|URL [--json]",
      options: { from: { type: "string" }, to: { type: "string" } },
      async runWithoutDb(f) {
        const r = await copyDatabaseBetween(h.required(f, "from"), h.required(f, "to"), progressLines());
        return {
          json: r,
          text: `copied ${r.rows} rows in ${r.tables.length} tables from ${r.from} to ${r.to} in ${r.seconds.toFixed(1)} s (${r.rowsPerSecond} rows/s); counts and checksums match`,
        };
      },
    },
  };
}

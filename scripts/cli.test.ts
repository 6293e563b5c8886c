/** The command table against what server/db-url.ts tells users about the engines. */
import { afterEach, describe, expect, it, vi } from "vitest";
import { SQLITE_ONLY_CLI_COMMANDS, sqliteOnlyRefusal } from "@/server/db-url";
import { main, sqliteOnlyCommands } from "./cli";

afterEach(() => {
  vi.restoreAllMocks();
});

/** Runs one command line in this process; what it wrote to stdout and stderr. */
async function run(...argv: string[]) {
  let stdout = "";
  let stderr = "";
  vi.spyOn(process.stdout, "write").mockImplementation((chunk) => {
    stdout += String(chunk);
    return true;
  });
  vi.spyOn(process.stderr, "write").mockImplementation((chunk) => {
    stderr += String(chunk);
    return true;
  });
  const status = await main(argv);
  vi.restoreAllMocks();
  return { status, stdout, stderr };
}

describe("the CLI's SQLite-only commands", () => {
  it("are exactly the ones db-url's refusal names (the commands with `run`)", () => {
    expect(sqliteOnlyCommands().sort()).toEqual(Object.keys(SQLITE_ONLY_CLI_COMMANDS).sort());
    expect(sqliteOnlyCommands().sort()).toEqual(["backup", "restore"]);
  });

  it("refuse a postgres:// --db by name, pointing backup to pg_dump and restore to pg_restore, without the password", async () => {
    const url = "postgres://arbiter:hunter2@127.0.0.1:1/arbiter";
    const backup = await run("backup", "--out", "/nonexistent/b.db", "--db", url);
    expect(backup.status).toBe(1);
    expect(backup.stderr).toMatch(/^error: backup runs on SQLite only: .*pg_dump --format=custom .*docs\/deploy\.md/);
    expect(backup.stdout).toBe("");
    const restore = await run("restore", "--from", "/nonexistent/b.db", "--db", url);
    expect(restore.status).toBe(1);
    expect(restore.stderr).toMatch(/^error: restore runs on SQLite only: .*pg_restore into a new, empty database/);
    expect(backup.stderr + restore.stderr).not.toContain("hunter2");
    expect(sqliteOnlyRefusal(url, "backup")).toBe(`backup runs on SQLite only: ${SQLITE_ONLY_CLI_COMMANDS.backup}`);
    expect(sqliteOnlyRefusal("data/a.db", "backup")).toBeNull();
  });

  it("are marked in the help", async () => {
    const help = await run("help");
    expect(help.status).toBe(0);
    const marked = help.stdout
      .split("\n")
      .filter((l) => l.includes("(SQLite only)"))
      .map((l) => l.trim().split(/\s+/)[0]);
    expect(marked.sort()).toEqual(["backup", "restore"]);
  });
});

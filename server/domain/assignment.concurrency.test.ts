import { spawn } from "node:child_process";
import path from "node:path";
import { count, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { judgments } from "@/db/schema";
import { openDb } from "@/server/db";
import { addAnnotator, seedProject, tempDir } from "@/server/testing/fixtures";

function runWorker(file: string, projectId: number, users: number[]): Promise<{ userId: number; itemIds: number[] }[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ["--import", "tsx", "server/testing/lease-worker.ts", file, String(projectId), ...users.map(String)],
      {
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => {
      out += d;
    });
    child.stderr.on("data", (d) => {
      err += d;
    });
    child.on("close", (code) =>
      code === 0
        ? resolve(
            out
              .trim()
              .split("\n")
              .map((l) => JSON.parse(l)),
          )
        : reject(new Error(`worker exited ${code}: ${err}`)),
    );
  });
}

describe("leasing across processes on one database file", () => {
  it("never hands one slot to two annotators nor an item to anyone twice", async () => {
    const file = path.join(tempDir(), "race.db");
    const db = openDb(file);
    const overlap = 3;
    const project = seedProject(db, 60, { overlap });
    const users = Array.from({ length: 16 }, (_, i) => addAnnotator(db, `racer-${i}`));
    db.$client.close();

    // Four processes, four annotators each, all racing for the same 180 slots.
    const groups = [0, 1, 2, 3].map((g) => users.slice(g * 4, g * 4 + 4));
    const results = (await Promise.all(groups.map((g) => runWorker(file, project.id, g)))).flat();

    for (const r of results) expect(new Set(r.itemIds).size).toBe(r.itemIds.length);
    const perItem = new Map<number, number>();
    for (const r of results) for (const id of r.itemIds) perItem.set(id, (perItem.get(id) ?? 0) + 1);
    expect(perItem.size).toBe(60);
    expect([...perItem.values()].every((n) => n === overlap)).toBe(true);

    const check = openDb(file);
    const stored = check.select({ n: count() }).from(judgments).where(eq(judgments.projectId, project.id)).get()?.n;
    expect(stored).toBe(60 * overlap);
    check.$client.close();
  }, 60_000);
});

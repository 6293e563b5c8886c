import { spawn } from "node:child_process";
import path from "node:path";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { assignments, judgments } from "@/db/schema";
import { openDb } from "@/server/db";
import { addAnnotator, seedProject, tempDir } from "@/server/testing/fixtures";
import { leaseNextItem } from "./assignment";

describe("a process killed with SIGKILL mid-run", () => {
  it("loses no acknowledged judgment, stores none twice, and its lease returns to the pool", async () => {
    const file = path.join(tempDir(), "crash.db");
    const db = openDb(file);
    const project = seedProject(db, 5000, { overlap: 1, leaseSeconds: 60 });
    const userId = addAnnotator(db, "crasher");
    db.$client.close();

    const acknowledged = await new Promise<string[]>((resolve, reject) => {
      const child = spawn(
        process.execPath,
        ["--import", "tsx", "server/testing/crash-worker.ts", file, String(project.id), String(userId)],
        {
          stdio: ["ignore", "pipe", "pipe"],
        },
      );
      let out = "";
      let err = "";
      child.stdout.on("data", (d) => {
        out += d;
        // Kill it hard once it is well into its run, in the middle of whatever it is doing.
        if (out.split("\n").length > 300 && !child.killed) child.kill("SIGKILL");
      });
      child.stderr.on("data", (d) => {
        err += d;
      });
      child.on("close", (code, signal) => {
        if (signal !== "SIGKILL") reject(new Error(`worker ended by itself (${code}): ${err}`));
        else resolve(out.split("\n").filter(Boolean));
      });
    });

    const after = openDb(file); // reopening recovers the WAL
    const stored = after
      .select({ id: judgments.clientSubmissionId })
      .from(judgments)
      .all()
      .map((r) => r.id);
    expect(acknowledged.length).toBeGreaterThanOrEqual(300);
    const storedSet = new Set(stored);
    expect(stored.length).toBe(storedSet.size); // nothing twice
    for (const id of acknowledged) expect(storedSet.has(id)).toBe(true); // nothing acknowledged is lost
    expect(stored.length - acknowledged.length).toBeLessThanOrEqual(1); // at most the one in flight

    // The dead process held one lease; once it expires the item goes to someone else.
    const active = after.select().from(assignments).where(eq(assignments.state, "active")).all();
    expect(active).toHaveLength(1);
    const rescuer = addAnnotator(after, "rescuer");
    const deadline = active[0]?.deadline ?? 0;
    const r = leaseNextItem(after, { projectId: project.id, userId: rescuer, now: deadline + 1 });
    expect(r.status).toBe("item");
    expect(
      after
        .select()
        .from(assignments)
        .where(eq(assignments.id, active[0]?.id ?? 0))
        .get()?.state,
    ).toBe("expired");
    after.$client.close();
  }, 60_000);
});

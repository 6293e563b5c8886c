import { describe, expect, it } from "vitest";
import { createCaller } from "@/server/api/root";
import { importItems } from "@/server/domain/import/import-items";
import { createProject } from "@/server/domain/projects";
import { addAnnotator, memoryDb, tempDir, writeJsonl } from "@/server/testing/fixtures";

describe("research router", () => {
  it("queues a training job, lists it, and cancels it while queued", async () => {
    process.env.ARBITER_JOBS_DIR = tempDir();
    const db = memoryDb();
    const p = createProject(db, { name: "rm" });
    const file = writeJsonl([
      {
        prompt: "q?",
        responses: [
          { model: "x", text: "good" },
          { model: "y", text: "meh" },
        ],
        judgments: [{ annotator: "j", winner: "a" }],
      },
    ]);
    expect(importItems(db, { projectId: p.id, file }).errorCount).toBe(0);
    const id = addAnnotator(db, "res");
    const caller = createCaller({ db, user: { id, email: "r@test.local", name: "res", role: "researcher" } });
    const job = await caller.research.train({ projectId: p.id, epochs: 1 });
    expect(job.state).toBe("queued");
    expect(job.config).toMatchObject({ base: "tiny", epochs: 1, loss: "bt", eval_fraction: 0.1 });
    expect((await caller.research.jobs()).map((j) => j.id)).toEqual([job.id]);
    expect((await caller.research.cancel({ jobId: job.id })).state).toBe("cancelled");
    await expect(caller.research.cancel({ jobId: job.id })).rejects.toThrow(/already cancelled/);
    delete process.env.ARBITER_JOBS_DIR;
  });
});

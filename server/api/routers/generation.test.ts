import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCaller } from "@/server/api/root";
import { createProject } from "@/server/domain/projects";
import { startOpenAITestServer, type TestServer } from "@/server/generation/openai-test-server";
import { GenerateRunner } from "@/server/jobs/generate";
import { addAnnotator, memoryDb } from "@/server/testing/fixtures";

let server: TestServer;
beforeAll(async () => {
  server = await startOpenAITestServer({ model: "served", apiKey: "sk-router-secret-777" });
});
afterAll(() => server.close());

function callers() {
  const db = memoryDb();
  const researcher = createCaller({ db, user: { id: addAnnotator(db, "res"), email: "r@test.local", name: "res", role: "researcher" } });
  const admin = createCaller({ db, user: { id: addAnnotator(db, "adm"), email: "a@test.local", name: "adm", role: "admin" } });
  const annotator = createCaller({ db, user: { id: addAnnotator(db, "ann"), email: "n@test.local", name: "ann", role: "annotator" } });
  return { db, researcher, admin, annotator };
}

describe("generation router", () => {
  it("registers with a test, never returns the key, starts a round from uploaded prompts, and reports progress and failures", async () => {
    process.env.ARBITER_ROUTER_KEY = "sk-router-secret-777";
    const { db, researcher, admin, annotator } = callers();
    const project = createProject(db, { name: "router gen", overlap: 1 });

    const refused = await researcher.generation.addGenerator({
      generator: { kind: "external", name: "dead", url: "http://127.0.0.1:9/v1", model: "m" },
      test: true,
    });
    expect(refused.generator).toBeNull();
    expect(refused.test?.error).toMatch(/cannot connect/);

    const added = await researcher.generation.addGenerator({
      generator: { kind: "external", name: "remote", url: server.url, model: "served", apiKeyEnv: "ARBITER_ROUTER_KEY" },
      test: true,
    });
    expect(added.generator).toMatchObject({ name: "remote", apiKeyEnv: "ARBITER_ROUTER_KEY", apiKeySet: true, version: "served" });
    const listed = await researcher.generation.generators();
    expect(JSON.stringify(listed)).not.toContain("sk-router-secret");
    const probe = await researcher.generation.testGenerator({ id: listed[0]?.id ?? 0 });
    expect(probe).toMatchObject({ ok: true, model: "served" });

    await expect(annotator.generation.generators()).rejects.toThrow("Your role cannot do this.");
    await expect(admin.generation.start({ projectId: project.id, prompts: "{}", generators: [1], samples: 2 })).rejects.toThrow(
      "Your role cannot do this.",
    );

    await expect(
      researcher.generation.start({
        projectId: project.id,
        prompts: '{"id": 1, "prompt": ""}\n',
        promptsName: "mine.jsonl",
        generators: [listed[0]?.id ?? 0],
        samples: 2,
      }),
    ).rejects.toThrow(/mine\.jsonl, line 1, field prompt: the prompt is empty/);

    const prompts = `${["alpha", "beta", "[500] gamma"].map((p, i) => JSON.stringify({ id: i, prompt: p })).join("\n")}\n`;
    const started = await researcher.generation.start({
      projectId: project.id,
      prompts,
      promptsName: "mine.jsonl",
      generators: [listed[0]?.id ?? 0],
      samples: 2,
      maxTokens: 16,
    });
    expect(started.round).toBe(1);
    const runner = new GenerateRunner(db, { only: started.jobId, backoffMs: 1, progressMs: 20 });
    await runner.tick();
    await runner.stop();
    const view = await researcher.generation.job({ jobId: started.jobId });
    expect(view.job.state).toBe("succeeded");
    expect(view.summary).toMatchObject({ total: 3, done: 2, failed: 1, items: 2, responses: 4 });
    expect(view.round).toMatchObject({ number: 1, generators: ["remote"], promptCount: 3 });
    expect(view.events.filter((e) => e.type === "progress").length).toBeGreaterThan(0);
    expect(JSON.stringify(view)).not.toContain("sk-router-secret");
    const failures = await researcher.generation.failures({ jobId: started.jobId });
    expect(failures).toMatchObject([{ line: 3, id: "2", attempts: 6 }]); // 2 samples × 3 tries
    expect(failures[0]?.error).toMatch(/^http: .*HTTP 500/);
    expect((await researcher.generation.jobs()).map((j) => [j.id, j.round])).toEqual([[started.jobId, 1]]);
    expect(await admin.generation.rounds({ projectId: project.id })).toMatchObject([
      { number: 1, items: 2, promptCount: 3, generators: [{ name: "remote", model: "served", version: "served" }] },
    ]);

    await expect(researcher.generation.resume({ jobId: started.jobId })).rejects.toThrow(/only a failed or cancelled job/);
    await researcher.generation.removeGenerator({ id: listed[0]?.id ?? 0 });
    expect(await researcher.generation.generators()).toEqual([]);
    delete process.env.ARBITER_ROUTER_KEY;
  });
});

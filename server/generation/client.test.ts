import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GenerationClient, GenerationError, normalizeBaseUrl, withBackoff } from "./client";
import { startOpenAITestServer, type TestServer } from "./openai-test-server";

let server: TestServer;
let keyed: TestServer;

beforeAll(async () => {
  server = await startOpenAITestServer();
  keyed = await startOpenAITestServer({ apiKey: "sk-test-secret-123456" });
});
afterAll(async () => {
  await server.close();
  await keyed.close();
});

const user = (content: string) => [{ role: "user" as const, content }];

describe("GenerationClient (official openai client against a real HTTP server)", () => {
  it("lists models and completes plain and streamed, with usage and finish_reason", async () => {
    const c = new GenerationClient({ baseURL: server.url, model: "test-model" });
    expect(await c.listModels()).toEqual(["test-model"]);
    const plain = await c.complete(user("hello there"), { seed: 7, maxTokens: 16, temperature: 0.5 });
    expect(plain.text).toBe("echo: hello there #7");
    expect(plain.finishReason).toBe("stop");
    expect(plain.completionTokens).toBe(4);
    expect(plain.ttftMs).toBeNull();
    const streamed = await c.complete(user("hello there"), { seed: 7 }, { stream: true });
    expect(streamed.text).toBe(plain.text);
    expect(streamed.finishReason).toBe("stop");
    expect(streamed.completionTokens).toBe(4);
    expect(streamed.ttftMs).toBeGreaterThan(0);
    expect(streamed.ttftMs).toBeLessThanOrEqual(streamed.latencyMs);
  });

  it("adds /v1 to a bare host URL", () => {
    expect(normalizeBaseUrl("http://127.0.0.1:8000")).toBe("http://127.0.0.1:8000/v1");
    expect(normalizeBaseUrl("https://api.example.com/v1/")).toBe("https://api.example.com/v1");
    expect(() => normalizeBaseUrl("ftp://x")).toThrow(/not an http/);
  });

  it("reads the key from the named env var and never puts it in an error", async () => {
    delete process.env.ARBITER_TEST_KEY;
    expect(() => new GenerationClient({ baseURL: keyed.url, model: "m", apiKeyEnv: "ARBITER_TEST_KEY" })).toThrow(
      /ARBITER_TEST_KEY .*is not set/,
    );
    process.env.ARBITER_TEST_KEY = "sk-wrong-key-abcdefgh";
    const wrong = new GenerationClient({ baseURL: keyed.url, model: "m", apiKeyEnv: "ARBITER_TEST_KEY", maxRetries: 0 });
    const err = await wrong.complete(user("hi")).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GenerationError);
    expect((err as GenerationError).status).toBe(401);
    expect((err as Error).message).not.toContain("sk-wrong-key-abcdefgh");
    process.env.ARBITER_TEST_KEY = "sk-test-secret-123456";
    const right = new GenerationClient({ baseURL: keyed.url, model: "m", apiKeyEnv: "ARBITER_TEST_KEY" });
    expect((await right.complete(user("hi"))).text).toBe("echo: hi #none");
    expect(keyed.authHeaders.at(-1)).toBe("Bearer sk-test-secret-123456");
    delete process.env.ARBITER_TEST_KEY;
  });

  it("classifies failures: HTTP 500, context too long, empty output, unreadable body, unreachable, timeout", async () => {
    const c = new GenerationClient({ baseURL: server.url, model: "test-model", maxRetries: 0, timeoutMs: 500 });
    const reason = (p: Promise<unknown>) =>
      p.then(
        () => "ok",
        (e: GenerationError) => `${e.reason}:${e.retryable}`,
      );
    expect(await reason(c.complete(user("[500]")))).toBe("http:true");
    expect(await reason(c.complete(user("[400-context]")))).toBe("context:false");
    expect(await reason(c.complete(user("[empty]")))).toBe("empty:true");
    expect(await reason(c.complete(user("[empty] streamed"), {}, { stream: true }))).toBe("empty:true");
    expect(await reason(c.complete(user("[garbage]")))).toMatch(/^bad-response:true$/);
    expect(await reason(c.complete(user("[slow]")))).toBe("timeout:true");
    const dead = new GenerationClient({ baseURL: "http://127.0.0.1:9/v1", model: "m", maxRetries: 0 });
    expect(await reason(dead.complete(user("hi")))).toBe("connection:true");
  });

  it("the client's own retries get past a transient 503", async () => {
    const c = new GenerationClient({ baseURL: server.url, model: "test-model", maxRetries: 2 });
    const r = await c.complete(user("[flaky] once"));
    expect(r.text).toBe("echo: [flaky] once #none");
    expect(server.requests.get("[flaky] once")).toBe(2);
  });

  it("withBackoff retries retryable errors only", async () => {
    let n = 0;
    const ok = await withBackoff(
      async () => {
        n++;
        if (n < 3) throw new GenerationError("timeout", "slow", true);
        return "done";
      },
      { baseMs: 1 },
    );
    expect([ok, n]).toEqual(["done", 3]);
    n = 0;
    await expect(
      withBackoff(
        async () => {
          n++;
          throw new GenerationError("context", "too long", false);
        },
        { baseMs: 1 },
      ),
    ).rejects.toThrow("too long");
    expect(n).toBe(1);
  });
});

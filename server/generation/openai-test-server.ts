/**
 * A small, real OpenAI-compatible HTTP server for tests (node:http): `GET /v1/models` and
 * `POST /v1/chat/completions`, plain and SSE, with `usage`, `finish_reason` and `seed`, in the shapes
 * vLLM's server answers. The client under test talks to it over TCP exactly as to any other server.
 * What it answers is decided by the last user message, so a test can ask for failures:
 *   "[500]" → HTTP 500, "[400-context]" → 400 "maximum context length", "[empty]" → empty content,
 *   "[garbage]" → a body that is not JSON, "[slow]" → answers after 1.5 s, "[flaky]" → 503 on the
 *   first attempt per prompt, then a normal answer.
 * Otherwise the answer is deterministic in (prompt, seed, temperature): "echo: <prompt> #<seed>".
 */
import http from "node:http";
import type { AddressInfo } from "node:net";

export type TestServer = {
  url: string;
  /** Completion requests seen, by last user message. */
  requests: Map<string, number>;
  /** Authorization headers seen. */
  authHeaders: string[];
  close: () => Promise<void>;
};

type Msg = { role: string; content: string };

export async function startOpenAITestServer(opts: { model?: string; apiKey?: string; delayMs?: number } = {}): Promise<TestServer> {
  const model = opts.model ?? "test-model";
  const requests = new Map<string, number>();
  const authHeaders: string[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      void (async () => {
        authHeaders.push(String(req.headers.authorization ?? ""));
        if (opts.apiKey && req.headers.authorization !== `Bearer ${opts.apiKey}`) {
          res.writeHead(401, { "content-type": "application/json" });
          res.end(JSON.stringify({ error: { message: "Invalid API key", type: "invalid_request_error" } }));
          return;
        }
        if (req.method === "GET" && req.url === "/v1/models") {
          res.writeHead(200, { "content-type": "application/json" });
          res.end(JSON.stringify({ object: "list", data: [{ id: model, object: "model", created: 0, owned_by: "arbiter" }] }));
          return;
        }
        if (req.method !== "POST" || req.url !== "/v1/chat/completions") {
          res.writeHead(404, { "content-type": "application/json" });
          res.end(JSON.stringify({ error: { message: "not found" } }));
          return;
        }
        const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as {
          messages: Msg[];
          seed?: number;
          max_tokens?: number;
          stream?: boolean;
          model?: string;
        };
        const last = [...body.messages].reverse().find((m) => m.role === "user")?.content ?? "";
        const seen = (requests.get(last) ?? 0) + 1;
        requests.set(last, seen);
        if (opts.delayMs) await new Promise((r) => setTimeout(r, opts.delayMs));
        if (last.includes("[slow]")) await new Promise((r) => setTimeout(r, 1500));
        if (last.includes("[500]") || (last.includes("[flaky]") && seen === 1)) {
          res.writeHead(last.includes("[500]") ? 500 : 503, { "content-type": "application/json" });
          res.end(JSON.stringify({ error: { message: "the server broke", type: "server_error" } }));
          return;
        }
        if (last.includes("[400-context]")) {
          res.writeHead(400, { "content-type": "application/json" });
          res.end(
            JSON.stringify({
              error: {
                message: "This model's maximum context length is 32 tokens. However, you requested 900 tokens.",
                type: "BadRequestError",
              },
            }),
          );
          return;
        }
        if (last.includes("[garbage]")) {
          res.writeHead(200, { "content-type": "application/json" });
          res.end("<html>proxy error</html>");
          return;
        }
        const text = last.includes("[empty]") ? "" : `echo: ${last} #${body.seed ?? "none"}`;
        const words = text.split(/(?<= )/);
        const usage = {
          prompt_tokens: body.messages.reduce((n, m) => n + m.content.split(" ").length, 0),
          completion_tokens: words.length,
        };
        usage.completion_tokens = text === "" ? 0 : words.length;
        const id = `chatcmpl-${seen}`;
        const created = Math.floor(Date.now() / 1000);
        if (!body.stream) {
          res.writeHead(200, { "content-type": "application/json" });
          res.end(
            JSON.stringify({
              id,
              object: "chat.completion",
              created,
              model,
              choices: [{ index: 0, message: { role: "assistant", content: text }, finish_reason: "stop" }],
              usage: { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens },
            }),
          );
          return;
        }
        res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
        const send = (o: unknown) => res.write(`data: ${JSON.stringify(o)}\n\n`);
        send({
          id,
          object: "chat.completion.chunk",
          created,
          model,
          choices: [{ index: 0, delta: { role: "assistant", content: "" }, finish_reason: null }],
        });
        for (const w of words) {
          if (!w) continue;
          send({
            id,
            object: "chat.completion.chunk",
            created,
            model,
            choices: [{ index: 0, delta: { content: w }, finish_reason: null }],
          });
          await new Promise((r) => setImmediate(r));
        }
        send({ id, object: "chat.completion.chunk", created, model, choices: [{ index: 0, delta: {}, finish_reason: "stop" }] });
        send({
          id,
          object: "chat.completion.chunk",
          created,
          model,
          choices: [],
          usage: { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens },
        });
        res.end("data: [DONE]\n\n");
      })();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    requests,
    authHeaders,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

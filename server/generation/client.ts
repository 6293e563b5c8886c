/**
 * The one way out to models that write: the official `openai` client pointed at any
 * OpenAI-compatible chat-completions server (vLLM, SGLang, TGI, llama.cpp, Ollama, hosted APIs, and
 * our own worker). Retries with exponential backoff are the client's own (`maxRetries`: connection
 * errors, 408/409/429/5xx); timeouts are per request. The API key is read from the environment
 * variable the generator names, at call time: it is never stored, logged, or put in an error.
 *
 * Every failure becomes a GenerationError with a short reason a job can record next to the prompt.
 */
import OpenAI from "openai";
import type { ChatCompletionCreateParamsNonStreaming, ChatCompletionCreateParamsStreaming } from "openai/resources/chat/completions";

export type ChatMessage = { role: "system" | "user" | "assistant"; content: string };

export type SampleParams = {
  temperature?: number;
  topP?: number;
  topK?: number;
  maxTokens?: number;
  seed?: number;
  stop?: string[];
};

export type Completion = {
  text: string;
  finishReason: string | null;
  promptTokens: number;
  completionTokens: number;
  /** Wall time of the request, first byte sent to last byte read. */
  latencyMs: number;
  /** Streaming only: time to the first content token. */
  ttftMs: number | null;
  /** The model name the server answered with. */
  model: string;
};

export type GenerationFailure = "timeout" | "connection" | "http" | "empty" | "context" | "bad-response" | "config";

export class GenerationError extends Error {
  constructor(
    readonly reason: GenerationFailure,
    message: string,
    /** Worth another try later (timeouts, overloads, dropped connections). */
    readonly retryable: boolean,
    readonly status?: number,
  ) {
    super(message);
    this.name = "GenerationError";
  }
}

export type EndpointConfig = {
  /** The server's base URL, e.g. http://127.0.0.1:8000/v1 (a missing /v1 is added). */
  baseURL: string;
  model: string;
  /** Name of the environment variable holding the API key; null for servers without one. */
  apiKeyEnv?: string | null;
  timeoutMs?: number;
  maxRetries?: number;
};

/** http://host:8000 and http://host:8000/ become http://host:8000/v1; a URL with a path is kept. */
export function normalizeBaseUrl(url: string): string {
  const u = new URL(url);
  if (u.protocol !== "http:" && u.protocol !== "https:") throw new GenerationError("config", `${url} is not an http(s) URL`, false);
  const path = u.pathname.replace(/\/+$/, "");
  u.pathname = path === "" ? "/v1" : path;
  return u.toString().replace(/\/+$/, "");
}

/** Reads the key from the named variable; the value never leaves this function except into the client. */
function apiKeyFrom(envName: string | null | undefined): string {
  if (!envName) return "no-key"; // the client insists on a string; keyless servers ignore it
  const key = process.env[envName];
  if (!key) throw new GenerationError("config", `the environment variable ${envName} (the API key) is not set`, false);
  return key;
}

/** Strips anything that looks like a bearer token from a server's error text before it is stored. */
function redact(text: string): string {
  return text.replace(/(sk-|Bearer\s+)[A-Za-z0-9_\-.]{8,}/g, "$1…").slice(0, 500);
}

/** Maps whatever the openai client threw to a GenerationError with a storable reason. */
export function toGenerationError(e: unknown, what: string): GenerationError {
  if (e instanceof GenerationError) return e;
  if (e instanceof OpenAI.APIConnectionTimeoutError) return new GenerationError("timeout", `${what}: timed out`, true);
  if (e instanceof OpenAI.APIUserAbortError) return new GenerationError("timeout", `${what}: cancelled`, false);
  if (e instanceof OpenAI.APIConnectionError) {
    const cause = (e as { cause?: { code?: string; message?: string } }).cause;
    const detail = cause?.code ?? cause?.message ?? e.message;
    return new GenerationError("connection", `${what}: cannot connect (${redact(String(detail))})`, true);
  }
  if (e instanceof OpenAI.APIError) {
    const status = e.status ?? 0;
    const body = redact(e.message);
    // vLLM, TGI and our worker answer 400 with "maximum context length" (or similar) for prompts too long.
    if (status === 400 && /context|too long|maximum.*length|exceeds/i.test(body))
      return new GenerationError("context", `${what}: prompt longer than the model's context (${body})`, false, status);
    const retryable = status === 408 || status === 409 || status === 429 || status >= 500;
    return new GenerationError("http", `${what}: HTTP ${status || "error"} ${body}`, retryable, status);
  }
  if (e instanceof SyntaxError) return new GenerationError("bad-response", `${what}: unreadable response (${e.message})`, true);
  return new GenerationError("bad-response", `${what}: ${redact((e as Error)?.message ?? String(e))}`, true);
}

export class GenerationClient {
  readonly baseURL: string;
  readonly model: string;
  private readonly openai: OpenAI;

  constructor(readonly config: EndpointConfig) {
    this.baseURL = normalizeBaseUrl(config.baseURL);
    this.model = config.model;
    this.openai = new OpenAI({
      baseURL: this.baseURL,
      apiKey: apiKeyFrom(config.apiKeyEnv),
      timeout: config.timeoutMs ?? 120_000,
      maxRetries: config.maxRetries ?? 2,
    });
  }

  /** The served model ids (`GET /v1/models`). */
  async listModels(signal?: AbortSignal): Promise<string[]> {
    try {
      const page = await this.openai.models.list({ signal });
      return page.data.map((m) => m.id);
    } catch (e) {
      throw toGenerationError(e, `${this.baseURL}/models`);
    }
  }

  private body(messages: ChatMessage[], params: SampleParams, n: number) {
    const body: Record<string, unknown> = { model: this.model, messages };
    if (params.temperature !== undefined) body.temperature = params.temperature;
    if (params.topP !== undefined) body.top_p = params.topP;
    if (params.maxTokens !== undefined) body.max_tokens = params.maxTokens;
    if (params.seed !== undefined) body.seed = params.seed;
    if (params.stop?.length) body.stop = params.stop;
    if (n !== 1) body.n = n;
    // top_k is not in OpenAI's API; vLLM, SGLang, llama.cpp and our worker read it as an extra field.
    if (params.topK !== undefined) body.top_k = params.topK;
    return body;
  }

  /** One chat completion, plain (one JSON answer) or streamed (SSE chunks, usage in the last one). */
  async complete(
    messages: ChatMessage[],
    params: SampleParams = {},
    opts: { stream?: boolean; signal?: AbortSignal; onDelta?: (text: string) => void } = {},
  ): Promise<Completion> {
    const what = `${this.model} at ${this.baseURL}`;
    const started = performance.now();
    try {
      if (opts.stream) return await this.completeStreaming(messages, params, started, opts.signal, opts.onDelta);
      const res = await this.openai.chat.completions.create(
        this.body(messages, params, 1) as unknown as ChatCompletionCreateParamsNonStreaming,
        { signal: opts.signal },
      );
      const choice = res.choices?.[0];
      if (!choice || typeof choice.message?.content !== "string")
        throw new GenerationError("bad-response", `${what}: the answer has no choices[0].message.content`, true);
      return checked(
        {
          text: choice.message.content,
          finishReason: choice.finish_reason ?? null,
          promptTokens: res.usage?.prompt_tokens ?? 0,
          completionTokens: res.usage?.completion_tokens ?? 0,
          latencyMs: performance.now() - started,
          ttftMs: null,
          model: res.model ?? this.model,
        },
        what,
      );
    } catch (e) {
      throw toGenerationError(e, what);
    }
  }

  private async completeStreaming(
    messages: ChatMessage[],
    params: SampleParams,
    started: number,
    signal?: AbortSignal,
    onDelta?: (text: string) => void,
  ) {
    const what = `${this.model} at ${this.baseURL}`;
    const stream = await this.openai.chat.completions.create(
      {
        ...this.body(messages, params, 1),
        stream: true,
        stream_options: { include_usage: true },
      } as unknown as ChatCompletionCreateParamsStreaming,
      { signal },
    );
    let text = "";
    let finishReason: string | null = null;
    let ttftMs: number | null = null;
    let promptTokens = 0;
    let completionTokens = 0;
    let model = this.model;
    for await (const chunk of stream) {
      if (chunk.model) model = chunk.model;
      const choice = chunk.choices?.[0];
      const delta = choice?.delta?.content;
      if (delta) {
        ttftMs ??= performance.now() - started;
        text += delta;
        onDelta?.(delta);
      }
      if (choice?.finish_reason) finishReason = choice.finish_reason;
      if (chunk.usage) {
        promptTokens = chunk.usage.prompt_tokens;
        completionTokens = chunk.usage.completion_tokens;
      }
    }
    return checked({ text, finishReason, promptTokens, completionTokens, latencyMs: performance.now() - started, ttftMs, model }, what);
  }
}

/** An empty answer is a failure to retry, not a response to show annotators. */
function checked(c: Completion, what: string): Completion {
  if (c.text.trim() === "") throw new GenerationError("empty", `${what}: empty output (finish_reason ${c.finishReason ?? "none"})`, true);
  return c;
}

/** Retries `fn` on retryable GenerationErrors with exponential backoff and jitter (on top of the client's own). */
export async function withBackoff<T>(
  fn: (attempt: number) => Promise<T>,
  opts: {
    attempts?: number;
    baseMs?: number;
    maxMs?: number;
    signal?: AbortSignal;
    /** Asked before each retry: false keeps a retryable failure final (e.g. text already reached a screen). */
    mayRetry?: () => boolean;
  } = {},
): Promise<T> {
  const attempts = opts.attempts ?? 3;
  let last: unknown;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    try {
      return await fn(attempt);
    } catch (e) {
      last = e;
      const retryable = e instanceof GenerationError ? e.retryable : false;
      if (!retryable || attempt === attempts || opts.signal?.aborted || opts.mayRetry?.() === false) throw e;
      const delay = Math.min(opts.maxMs ?? 10_000, (opts.baseMs ?? 500) * 2 ** (attempt - 1)) * (0.5 + Math.random() / 2);
      await new Promise((r) => setTimeout(r, delay));
    }
  }
  throw last;
}

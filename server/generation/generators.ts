/**
 * From a registered generator to a request: external generators get a GenerationClient on their URL
 * (key from their env var), local ones a lease on the worker pool's process for their model. The
 * domain receives `sample` functions built here and never opens a connection itself.
 */
import type { Generator, ProbeSampler } from "@/server/domain/generation/registry";
import { type ChatMessage, type Completion, GenerationClient, type SampleParams } from "./client";
import { LocalWorkerPool } from "./worker-pool";

export type SampleFn = (
  messages: ChatMessage[],
  params: SampleParams,
  opts?: { signal?: AbortSignal; stream?: boolean },
) => Promise<Completion>;

export type GeneratorRef = Pick<Generator, "kind" | "model" | "url" | "apiKeyEnv" | "device">;

export class GeneratorClients {
  private readonly external = new Map<string, GenerationClient>();

  constructor(
    readonly pool: LocalWorkerPool = new LocalWorkerPool(),
    private readonly opts: { timeoutMs?: number; maxRetries?: number } = {},
  ) {}

  private externalClient(g: GeneratorRef): GenerationClient {
    const key = `${g.url}\u0000${g.model}\u0000${g.apiKeyEnv ?? ""}`;
    let c = this.external.get(key);
    if (!c) {
      if (!g.url) throw new Error(`external generator ${g.model} has no URL`);
      c = new GenerationClient({
        baseURL: g.url,
        model: g.model,
        apiKeyEnv: g.apiKeyEnv,
        timeoutMs: this.opts.timeoutMs,
        maxRetries: this.opts.maxRetries,
      });
      this.external.set(key, c);
    }
    return c;
  }

  /** A sampler for one generator: each call is one chat completion. */
  samplerFor(g: GeneratorRef): SampleFn {
    return async (messages, params, opts) => {
      if (g.kind === "external") return this.externalClient(g).complete(messages, params, opts);
      const lease = await this.pool.lease({ model: g.model, device: g.device });
      try {
        return await lease.client.complete(messages, params, opts);
      } finally {
        lease.release();
      }
    };
  }

  /**
   * Starts a local generator's worker (and waits until its model is loaded), so a model that cannot
   * load fails the job once with the worker's reason instead of failing every prompt. External: no-op.
   */
  async warm(g: GeneratorRef): Promise<void> {
    if (g.kind !== "local") return;
    const lease = await this.pool.lease({ model: g.model, device: g.device });
    lease.release();
  }

  /** The probe of `generator:test` and the Test button: one short request, streamed (so time to first token shows). */
  probeFor(g: GeneratorRef): ProbeSampler {
    const sample = this.samplerFor(g);
    return (messages) => sample(messages, { maxTokens: 32, temperature: 0 }, { stream: true });
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}

const globalForClients = globalThis as unknown as { arbiterGeneratorClients?: GeneratorClients };

/**
 * The process's clients and local worker pool: the sampling runner and the Test button share it, so a
 * local model is loaded once per process, not once per caller.
 */
export function sharedGeneratorClients(): GeneratorClients {
  globalForClients.arbiterGeneratorClients ??= new GeneratorClients();
  return globalForClients.arbiterGeneratorClients;
}

/**
 * Local generators: one `ARBITER_PYTHON -m arbiter_trainer openai-serve --model SPEC --port P` per
 * (model, device), started on first use, unloaded after `idleMs` without requests, and started afresh
 * after it died. The worker prints `{"type":"ready","port":P,"model":ID}` once it listens and then
 * speaks the OpenAI HTTP API, so the app reaches it with the same GenerationClient as any external
 * server. A worker that cannot start (model missing, will not fit in GPU memory) reports why on its
 * stdout (`{"type":"error","message"}`) or stderr, and that reason is the error every waiter gets.
 *
 * The pool is a cache of processes, not state: two server instances each keep their own.
 */
import { type ChildProcess, spawn } from "node:child_process";
import readline from "node:readline";
import { z } from "zod";
import { childProcessEnv } from "@/server/env";
import { trainerDir, trainerPython } from "@/server/jobs/runner";
import { GenerationClient, GenerationError } from "./client";

const zReady = z.object({ type: z.literal("ready"), port: z.number().int(), model: z.string() });
const zError = z.object({ type: z.literal("error"), message: z.string() });

export type LocalModel = { model: string; device: "auto" | "cpu" | "cuda" };

export type WorkerPoolOptions = {
  /** Unload a worker after this long without requests (default 10 minutes). */
  idleMs?: number;
  /** How long a worker may take to load its model (default 10 minutes). */
  startTimeoutMs?: number;
  /** Per-request timeout of the clients handed out. */
  requestTimeoutMs?: number;
};

const STDERR_TAIL = 4000;

/** The generation worker's interpreter: ARBITER_GENERATE_PYTHON (a transformers venv), else the trainer's. */
export function workerPython(): string {
  return process.env.ARBITER_GENERATE_PYTHON || trainerPython();
}

class LocalWorker {
  readonly ready: Promise<{ baseURL: string; model: string }>;
  readonly closed: Promise<void>;
  exited = false;
  private child: ChildProcess | null = null;
  private stderr = "";
  private inFlight = 0;
  private idleTimer: NodeJS.Timeout | null = null;

  constructor(
    readonly spec: LocalModel,
    private readonly opts: Required<WorkerPoolOptions>,
    private readonly onExit: (w: LocalWorker) => void,
  ) {
    let markClosed: () => void = () => {};
    this.closed = new Promise((r) => {
      markClosed = r;
    });
    this.ready = this.start(markClosed);
    this.ready.catch(() => {}); // reported to whoever awaits it
  }

  private start(markClosed: () => void): Promise<{ baseURL: string; model: string }> {
    // Port 0: the worker binds a free port and says which in its ready line (no race for a port).
    const args = ["-m", "arbiter_trainer", "openai-serve", "--model", this.spec.model, "--port", "0", "--host", "127.0.0.1"];
    args.push("--device", this.spec.device);
    const child = spawn(workerPython(), args, {
      cwd: trainerDir(),
      env: childProcessEnv({ PYTHONPATH: trainerDir(), PYTHONUNBUFFERED: "1" }),
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.child = child;
    const began = Date.now();
    child.stderr?.on("data", (b: Buffer) => {
      this.stderr = (this.stderr + b.toString("utf8")).slice(-STDERR_TAIL);
    });
    return new Promise((resolve, reject) => {
      let startError: string | null = null;
      let isReady = false;
      const timer = setTimeout(() => {
        reject(
          new GenerationError(
            "timeout",
            `the local worker for ${this.spec.model} did not start within ${this.opts.startTimeoutMs / 1000} s`,
            false,
          ),
        );
        this.kill();
      }, this.opts.startTimeoutMs);
      readline.createInterface({ input: child.stdout as NodeJS.ReadableStream }).on("line", (text) => {
        let raw: unknown;
        try {
          raw = JSON.parse(text);
        } catch {
          this.stderr = `${this.stderr}\n${text}`.slice(-STDERR_TAIL);
          return;
        }
        const ready = zReady.safeParse(raw);
        if (ready.success && !isReady) {
          isReady = true;
          clearTimeout(timer);
          this.armIdle();
          console.log(
            `[generation] local worker for ${this.spec.model} (${this.spec.device}) ready in ${((Date.now() - began) / 1000).toFixed(1)} s`,
          );
          resolve({ baseURL: `http://127.0.0.1:${ready.data.port}/v1`, model: ready.data.model });
          return;
        }
        const err = zError.safeParse(raw);
        if (err.success) startError = err.data.message;
      });
      const finish = (how: string) => {
        if (this.exited) return;
        this.exited = true;
        clearTimeout(timer);
        if (this.idleTimer) clearTimeout(this.idleTimer);
        if (!isReady) {
          const tail = this.stderr.trim().split("\n").slice(-3).join(" | ");
          reject(
            new GenerationError("config", `the local worker for ${this.spec.model} could not start: ${startError ?? (tail || how)}`, false),
          );
        }
        this.onExit(this);
        markClosed();
      };
      child.on("error", (e) => finish(`cannot run ${workerPython()}: ${e.message}`));
      child.on("close", (code, signal) => finish(signal ? `killed by ${signal}` : `exited with code ${code}`));
    });
  }

  /** Marks a request in flight (no idle unload meanwhile); call the returned function when it ends. */
  acquire(): () => void {
    this.inFlight++;
    if (this.idleTimer) clearTimeout(this.idleTimer);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.inFlight--;
      this.armIdle();
    };
  }

  private armIdle() {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    if (this.inFlight > 0 || this.exited) return;
    this.idleTimer = setTimeout(() => this.kill(), this.opts.idleMs);
    this.idleTimer.unref();
  }

  kill(signal: NodeJS.Signals = "SIGTERM") {
    if (this.child && !this.exited) this.child.kill(signal);
  }
}

export class LocalWorkerPool {
  private readonly workers = new Map<string, LocalWorker>();
  private readonly opts: Required<WorkerPoolOptions>;

  constructor(opts: WorkerPoolOptions = {}) {
    this.opts = {
      idleMs: opts.idleMs ?? 10 * 60_000,
      startTimeoutMs: opts.startTimeoutMs ?? 10 * 60_000,
      requestTimeoutMs: opts.requestTimeoutMs ?? 300_000,
    };
  }

  private key(spec: LocalModel) {
    return `${spec.device}\u0000${spec.model}`;
  }

  private worker(spec: LocalModel): LocalWorker {
    const key = this.key(spec);
    let w = this.workers.get(key);
    if (!w || w.exited) {
      w = new LocalWorker(spec, this.opts, (gone) => {
        if (this.workers.get(key) === gone) this.workers.delete(key);
      });
      this.workers.set(key, w);
    }
    return w;
  }

  /**
   * A client for the model's worker, starting it if needed. `release` must be called when the
   * caller is done with it (until then the worker is not unloaded for idleness).
   */
  async lease(spec: LocalModel): Promise<{ client: GenerationClient; release: () => void }> {
    const w = this.worker(spec);
    const release = w.acquire();
    try {
      const ready = await w.ready;
      const client = new GenerationClient({
        baseURL: ready.baseURL,
        model: ready.model,
        timeoutMs: this.opts.requestTimeoutMs,
        maxRetries: 1,
      });
      return { client, release };
    } catch (e) {
      release();
      throw e;
    }
  }

  /** Models with a worker process right now. */
  loaded(): LocalModel[] {
    return [...this.workers.values()].filter((w) => !w.exited).map((w) => w.spec);
  }

  async close(): Promise<void> {
    const all = [...this.workers.values()];
    for (const w of all) w.kill();
    await Promise.all(all.map((w) => w.closed));
  }
}

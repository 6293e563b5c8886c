/**
 * SHA-256 of an export, computed on a worker thread while the main thread builds the next page: at
 * 1.7 GB a TRL export spends over a second hashing, which would otherwise sit on the export's
 * critical path. Chunks are copied to the worker; at most `maxInFlight` bytes wait there, so memory
 * stays bounded when the worker falls behind (the producer awaits, like stream backpressure).
 */
import { Worker } from "node:worker_threads";

// Plain CommonJS evaluated in the worker: no loader or bundler needed to start it.
const WORKER_SOURCE = `
const { parentPort } = require("node:worker_threads");
const { createHash } = require("node:crypto");
const hash = createHash("sha256");
parentPort.on("message", (chunk) => {
  if (chunk === null) parentPort.postMessage({ digest: hash.digest("hex") });
  else {
    hash.update(chunk);
    parentPort.postMessage({ hashed: chunk.byteLength });
  }
});
`;

type Reply = { hashed: number } | { digest: string };

export class OffThreadHash {
  #worker = new Worker(WORKER_SOURCE, { eval: true });
  #inFlight = 0;
  #wake: (() => void) | null = null;
  #digest: ((hex: string) => void) | null = null;
  #failure: Error | null = null;
  #fail: ((e: Error) => void) | null = null;

  constructor(private readonly maxInFlight = 8 << 20) {
    this.#worker.on("message", (m: Reply) => {
      if ("digest" in m) this.#digest?.(m.digest);
      else {
        this.#inFlight -= m.hashed;
        if (this.#inFlight <= this.maxInFlight) this.#resume();
      }
    });
    this.#worker.on("error", (e) => {
      this.#failure = e;
      this.#fail?.(e);
      this.#resume();
    });
  }

  #resume() {
    const wake = this.#wake;
    this.#wake = null;
    wake?.();
  }

  /** Queues a copy of `chunk`; resolves at once unless too many bytes are still waiting to be hashed. */
  async update(chunk: Uint8Array): Promise<void> {
    if (this.#failure) throw this.#failure;
    // A copy the worker can own: Buffer#slice would be a view, and transferring its memory would empty
    // the caller's chunk before the file stream writes it.
    const copy = new Uint8Array(chunk);
    this.#inFlight += copy.byteLength;
    this.#worker.postMessage(copy, [copy.buffer as ArrayBuffer]);
    if (this.#inFlight > this.maxInFlight) await new Promise<void>((resolve) => (this.#wake = resolve));
    if (this.#failure) throw this.#failure;
  }

  /** The hex digest of everything updated; the worker then exits. */
  async digest(): Promise<string> {
    if (this.#failure) throw this.#failure;
    const hex = await new Promise<string>((resolve, reject) => {
      this.#digest = resolve;
      this.#fail = reject;
      this.#worker.postMessage(null);
    });
    await this.#worker.terminate();
    return hex;
  }

  /** Stops the worker without a digest (the export failed). */
  async abort(): Promise<void> {
    await this.#worker.terminate();
  }
}

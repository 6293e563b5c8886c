/** Integration: the pool against real `arbiter_trainer serve` workers on a random tiny model. */
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ScoringPool } from "@/server/jobs/scoring";
import { tempDir } from "@/server/testing/fixtures";
import { writeTinyModel } from "@/server/testing/tiny-model";

const INPUTS = [
  { prompt: "What is 2+2?", response: "4" },
  { prompt: "What is 2+2?", response: "five, probably ".repeat(9) },
  { prompt: "", response: "" },
  { prompt: "Tell me a story", response: "Once upon a time ".repeat(30) },
  { prompt: "User: héllo\nAssistant:", response: "ünïcode ✓" },
];

let dir: string;
const pools: ScoringPool[] = [];
function pool(opts: ConstructorParameters<typeof ScoringPool>[0] = {}) {
  const p = new ScoringPool(opts);
  pools.push(p);
  return p;
}

beforeAll(() => {
  dir = writeTinyModel(path.join(tempDir(), "model"));
}, 60_000);
afterAll(async () => {
  await Promise.all(pools.map((p) => p.close()));
});

describe("scoring pool", () => {
  it("is deterministic and normalizes with the saved mean/std", { timeout: 60_000 }, async () => {
    const p = pool();
    const first = await p.score({ id: 1, dir }, INPUTS);
    const again = await p.score({ id: 1, dir }, INPUTS);
    expect(again).toEqual(first);
    for (const s of first) expect(s.reward).toBeCloseTo((s.reward_raw - 0.5) / 2.0, 9);
    // distinct inputs get distinct rewards: the model is really looking at the text
    expect(new Set(first.map((s) => s.reward_raw.toFixed(6))).size).toBe(INPUTS.length);
  });

  it("batching does not change results beyond 1e-4 (one item per request vs everything at once)", { timeout: 60_000 }, async () => {
    const together = await pool({ chunkItems: 1000, batchTokens: 1 << 16 }).score({ id: 1, dir }, INPUTS);
    const single = pool({ chunkItems: 1, batchTokens: 1 });
    const alone = [];
    for (const input of INPUTS) alone.push(...(await single.score({ id: 1, dir }, [input])));
    for (let i = 0; i < INPUTS.length; i++)
      expect(Math.abs((together[i]?.reward_raw ?? 0) - (alone[i]?.reward_raw ?? 9))).toBeLessThan(1e-4);
  });

  it("multiplexes concurrent requests by id: each caller gets its own answers", { timeout: 60_000 }, async () => {
    const p = pool({ chunkItems: 2 });
    const reference = await p.score({ id: 1, dir }, INPUTS);
    const reversed = [...INPUTS].reverse();
    const [a, b, c] = await Promise.all([
      p.score({ id: 1, dir }, INPUTS),
      p.score({ id: 1, dir }, reversed),
      p.score({ id: 1, dir }, [INPUTS[3] as (typeof INPUTS)[number]]),
    ]);
    expect(a.map((s) => s.reward_raw)).toEqual(reference.map((s) => expect.closeTo(s.reward_raw, 5)));
    expect(b.map((s) => s.reward_raw)).toEqual([...reference].reverse().map((s) => expect.closeTo(s.reward_raw, 5)));
    expect(c[0]?.reward_raw).toBeCloseTo(reference[3]?.reward_raw ?? Number.NaN, 5);
    expect(p.loaded()).toEqual([1]);
  });

  it("starts a fresh worker after the old one is killed", { timeout: 60_000 }, async () => {
    const p = pool();
    const before = await p.score({ id: 7, dir }, INPUTS.slice(0, 2));
    const pid = p.pid(7);
    expect(pid).toBeTypeOf("number");
    process.kill(pid as number, "SIGKILL");
    const after = await p.score({ id: 7, dir }, INPUTS.slice(0, 2));
    expect(p.pid(7)).not.toBe(pid);
    expect(after.map((s) => s.reward_raw)).toEqual(before.map((s) => expect.closeTo(s.reward_raw, 6)));
  });

  it("retries requests that were in flight when the worker died", { timeout: 60_000 }, async () => {
    const p = pool({ chunkItems: 1 });
    await p.load({ id: 8, dir });
    const pid = p.pid(8) as number;
    const many = Array.from({ length: 60 }, (_, i) => ({ prompt: `q${i}`, response: "word ".repeat(10 + i) }));
    const pending = p.score({ id: 8, dir }, many);
    process.kill(pid, "SIGKILL");
    const scores = await pending;
    expect(scores).toHaveLength(60);
    expect(scores.every((s) => Number.isFinite(s.reward))).toBe(true);
    expect(p.pid(8)).not.toBe(pid);
  });

  it("unloads an idle worker and reloads it on the next request", { timeout: 60_000 }, async () => {
    const p = pool({ idleMs: 50 });
    await p.score({ id: 9, dir }, INPUTS.slice(0, 1));
    await expect.poll(() => p.loaded(), { timeout: 10_000 }).toEqual([]);
    const again = await p.score({ id: 9, dir }, INPUTS.slice(0, 1));
    expect(again).toHaveLength(1);
  });

  it("a missing model directory is a clear error naming the model and the path", { timeout: 60_000 }, async () => {
    const missing = path.join(tempDir(), "nope");
    await expect(pool().score({ id: 3, dir: missing }, INPUTS)).rejects.toThrow(
      /model 3 cannot be loaded: model directory .*nope does not exist/,
    );
  });

  it("a corrupt model directory is a clear error", { timeout: 60_000 }, async () => {
    const broken = path.join(tempDir(), "broken");
    fs.cpSync(dir, broken, { recursive: true });
    for (const f of ["model.safetensors", "pytorch_model.bin"]) {
      if (fs.existsSync(path.join(broken, f))) fs.writeFileSync(path.join(broken, f), "truncated");
    }
    await expect(pool().score({ id: 4, dir: broken }, INPUTS)).rejects.toThrow(/model 4 cannot be loaded: weights in .* are corrupt/);
    fs.writeFileSync(path.join(broken, "config.json"), "{oops");
    await expect(pool().score({ id: 4, dir: broken }, INPUTS)).rejects.toThrow(/config\.json is corrupt/);
  });

  it("an interpreter that cannot start is a clear error, not a hang", { timeout: 60_000 }, async () => {
    const saved = process.env.ARBITER_PYTHON;
    process.env.ARBITER_PYTHON = path.join(tempDir(), "no-python");
    try {
      await expect(pool().score({ id: 5, dir }, INPUTS)).rejects.toThrow(/model 5 cannot be loaded: cannot start .*no-python/);
    } finally {
      if (saved === undefined) delete process.env.ARBITER_PYTHON;
      else process.env.ARBITER_PYTHON = saved;
    }
  });

  it("a loaded but unused worker is unloaded when idle", { timeout: 60_000 }, async () => {
    const p = pool({ idleMs: 50 });
    await p.load({ id: 6, dir });
    await expect.poll(() => p.loaded(), { timeout: 10_000 }).toEqual([]);
  });
});

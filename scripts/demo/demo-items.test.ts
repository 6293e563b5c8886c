import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  CATEGORIES,
  DEMO_MODELS,
  type DemoItem,
  demoItemId,
  generateDemoItems,
  type PairJudgment,
  type RankingJudgment,
  STYLES,
  toJsonl,
} from "./demo-items";
import { createRng } from "./rng";
import { ALL_TEMPLATES } from "./templates/index";
import { parseArgs, writeDemoJsonl } from "./write-demo-jsonl";

const ITEMS = generateDemoItems({ count: 240, seed: 7 });
const allText = (it: DemoItem) => it.responses.map((r) => r.text).join("\n");
const isPair = (j: PairJudgment | RankingJudgment): j is PairJudgment => "winner" in j;
const proseOnly = (text: string) => text.replace(/```[\s\S]*?```/g, "").replace(/`[^`\n]+`/g, "");

describe("rng", () => {
  it("is deterministic and roughly uniform", () => {
    const a = createRng(123);
    const b = createRng(123);
    const xs = Array.from({ length: 2000 }, () => a.next());
    expect(xs).toEqual(Array.from({ length: 2000 }, () => b.next()));
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
    expect(mean).toBeGreaterThan(0.45);
    expect(mean).toBeLessThan(0.55);
    expect(createRng(124).next()).not.toBe(createRng(123).next());
  });
});

describe("generateDemoItems", () => {
  it("is deterministic for a seed and varies across seeds", () => {
    expect(generateDemoItems({ count: 240, seed: 7 })).toEqual(ITEMS);
    const other = generateDemoItems({ count: 240, seed: 8 });
    expect(other).not.toEqual(ITEMS);
    expect(other.map((i) => JSON.stringify(i.prompt))).not.toEqual(ITEMS.map((i) => JSON.stringify(i.prompt)));
  });

  it("honours count", () => {
    for (const count of [0, 1, 2, 5, 17, 240]) {
      expect(generateDemoItems({ count, seed: 3 })).toHaveLength(count);
    }
    expect(() => generateDemoItems({ count: -1, seed: 1 })).toThrow();
    expect(() => generateDemoItems({ count: 1.5, seed: 1 })).toThrow();
  });

  it("gives unique, zero-padded ids", () => {
    const ids = ITEMS.map((i) => i.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids[0]).toBe("demo-000001");
    expect(ids[239]).toBe("demo-000240");
    for (const id of ids) expect(id).toMatch(/^demo-\d{6}$/);
  });

  it("has only well-formed items", () => {
    const models = new Set<string>(DEMO_MODELS);
    for (const it of ITEMS) {
      expect(it.responses.length).toBeGreaterThanOrEqual(2);
      expect(it.responses.length).toBeLessThanOrEqual(4);
      for (const r of it.responses) {
        expect(models.has(r.model)).toBe(true);
        expect(typeof r.text).toBe("string");
      }
      expect(new Set(it.responses.map((r) => r.model)).size).toBe(it.responses.length);
      expect(CATEGORIES).toContain(it.metadata.category);
      expect(STYLES).toContain(it.metadata.style);
      if (typeof it.prompt === "string") {
        expect(it.prompt.trim().length).toBeGreaterThan(5);
      } else {
        expect(it.prompt.length).toBeGreaterThanOrEqual(3);
        expect(it.prompt.length).toBeLessThanOrEqual(5);
        expect(it.prompt.at(-1)?.role).toBe("user");
        for (const m of it.prompt) {
          expect(["system", "user", "assistant"]).toContain(m.role);
          expect(m.content.length).toBeGreaterThan(0);
        }
      }
      // Survives a JSON round trip unchanged (no undefined fields, no non-JSON values).
      expect(JSON.parse(JSON.stringify(it))).toEqual(it);
      expect(Object.keys(it).sort()).toEqual(
        it.judgments ? ["id", "judgments", "metadata", "prompt", "responses"] : ["id", "metadata", "prompt", "responses"],
      );
    }
  });

  it("keeps prompts distinct within a 240-item set", () => {
    const prompts = ITEMS.map((i) => JSON.stringify(i.prompt));
    expect(new Set(prompts).size).toBe(prompts.length);
  });

  it("produces valid judgments for about 30% of items", () => {
    const judged = ITEMS.filter((i) => i.judgments);
    expect(judged.length).toBeGreaterThan(240 * 0.18);
    expect(judged.length).toBeLessThan(240 * 0.42);
    const annotators = new Set<string>();
    for (const it of judged) {
      const js = it.judgments ?? [];
      expect(js.length).toBeGreaterThanOrEqual(1);
      expect(new Set(js.map((j) => j.annotator)).size).toBe(js.length);
      for (const j of js) {
        annotators.add(j.annotator);
        if (isPair(j)) {
          expect(it.responses).toHaveLength(2);
          expect(["a", "b", "tie", "both_bad"]).toContain(j.winner);
          if (j.winner === "a" || j.winner === "b") expect([1, 2, 3, 4]).toContain(j.strength);
          else expect(j.strength).toBeUndefined();
        } else {
          const n = it.responses.length;
          expect(n).toBeGreaterThan(2);
          expect([...j.ranking].sort((x, y) => x - y)).toEqual(Array.from({ length: n }, (_, k) => k));
        }
      }
    }
    expect(annotators).toEqual(new Set(["gpt-judge", "claude-judge", "lab-rater-7"]));
  });

  it("mostly favours the genuinely better model", () => {
    const items = generateDemoItems({ count: 1500, seed: 11 });
    let cirrusWins = 0;
    let driftWins = 0;
    for (const it of items) {
      for (const j of it.judgments ?? []) {
        if (!isPair(j) || (j.winner !== "a" && j.winner !== "b")) continue;
        const models = it.responses.map((r) => r.model);
        if (!models.includes("cirrus-70b-instruct") || !models.includes("drift-3b")) continue;
        const winner = it.responses[j.winner === "a" ? 0 : 1]?.model;
        if (winner === "cirrus-70b-instruct") cirrusWins++;
        else driftWins++;
      }
    }
    expect(cirrusWins + driftWins).toBeGreaterThan(20);
    expect(cirrusWins / (cirrusWins + driftWins)).toBeGreaterThan(0.8);
  });

  it("mixes pairwise and ranked items", () => {
    const ranked = ITEMS.filter((i) => i.responses.length > 2).length;
    expect(ranked).toBeGreaterThan(240 * 0.07);
    expect(ranked).toBeLessThan(240 * 0.25);
  });

  it("covers many categories and every style", () => {
    const cats = new Set(ITEMS.map((i) => i.metadata.category));
    expect(cats.size).toBeGreaterThanOrEqual(8);
    expect(new Set(ITEMS.map((i) => i.metadata.style))).toEqual(new Set(STYLES));
    const counts = new Map<string, number>();
    for (const it of ITEMS) counts.set(it.metadata.category, (counts.get(it.metadata.category) ?? 0) + 1);
    for (const n of counts.values()) expect(n).toBeLessThan(240 * 0.3);
  });

  it("includes multi-turn conversations", () => {
    const multi = ITEMS.filter((i) => Array.isArray(i.prompt));
    expect(multi.length).toBeGreaterThanOrEqual(8);
    expect(multi.some((i) => Array.isArray(i.prompt) && i.prompt[0]?.role === "system")).toBe(true);
  });

  it("includes fenced code in several languages, headings, lists and tables", () => {
    const text = ITEMS.map(allText).join("\n");
    for (const lang of ["python", "ts", "sql", "bash"]) expect(text).toContain(`\`\`\`${lang}\n`);
    expect(text).toMatch(/^#{2,3} /m);
    expect(text).toMatch(/^- /m);
    expect(text).toMatch(/^\| .* \|$/m);
  });

  it("has realistic response lengths", () => {
    const words = (s: string) => (s.trim() ? s.trim().split(/\s+/).length : 0);
    const cirrusLong = ITEMS.filter((i) => i.metadata.style === "long")
      .flatMap((i) => i.responses)
      .filter((r) => r.model === "cirrus-70b-instruct")
      .map((r) => words(r.text))
      .sort((a, b) => a - b);
    const median = cirrusLong[Math.floor(cirrusLong.length / 2)] ?? 0;
    expect(median).toBeGreaterThan(120);
    expect(Math.max(...ITEMS.flatMap((i) => i.responses.map((r) => words(r.text))))).toBeLessThan(450);
  });

  it("plants the edge cases", () => {
    // exactly one empty response and exactly one identical pair in the first 240
    expect(ITEMS.filter((i) => i.responses.some((r) => r.text === "")).length).toBe(1);
    const identical = ITEMS.filter((i) => new Set(i.responses.map((r) => r.text)).size < i.responses.length);
    expect(identical.length).toBe(1);
    // HTML / script text inside prose (not just in code), which the UI must render inert
    expect(ITEMS.some((i) => i.responses.some((r) => /<img src=x onerror=|<script>/.test(proseOnly(r.text))))).toBe(true);
    // unicode: CJK, emoji, accented Latin
    const json = JSON.stringify(ITEMS);
    expect(json).toMatch(/[\u3040-\u30ff\u4e00-\u9fff\uac00-\ud7af]/);
    expect(json).toMatch(/\p{Extended_Pictographic}/u);
    expect(json).toMatch(/[éëñçöáåíúãõ]/);
  });

  it("plants edge cases even in small sets", () => {
    const small = generateDemoItems({ count: 12, seed: 99 });
    expect(small.some((i) => i.responses.some((r) => r.text === ""))).toBe(true);
    expect(small.some((i) => /[\u3040-\u30ff\u4e00-\u9fff\uac00-\ud7af]/.test(JSON.stringify(i)))).toBe(true);
  });

  it("scales to benchmark sizes", () => {
    const items = generateDemoItems({ count: 6000, seed: 2 });
    expect(items).toHaveLength(6000);
    expect(new Set(items.map((i) => i.id)).size).toBe(6000);
    expect(items[5999]?.id).toBe("demo-006000");
    expect(demoItemId(1_000_000)).toBe("demo-1000001");
  }, 120_000);

  it("uses every template", () => {
    const keys = new Set(ALL_TEMPLATES.map((t) => t.key));
    expect(keys.size).toBe(ALL_TEMPLATES.length);
    expect(ALL_TEMPLATES.length).toBeGreaterThanOrEqual(60);
  });
});

describe("write-demo-jsonl", () => {
  const dir = mkdtempSync(join(tmpdir(), "arbiter-demo-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("parses arguments", () => {
    expect(parseArgs(["--count", "10", "--seed", "4", "--out", "x.jsonl"])).toEqual({ count: 10, seed: 4, out: "x.jsonl" });
    expect(parseArgs(["--count=3"])).toEqual({ count: 3, seed: 1, out: "-" });
    expect(() => parseArgs([])).toThrow(/--count/);
    expect(() => parseArgs(["--count", "abc"])).toThrow();
    expect(() => parseArgs(["--count", "3", "--bogus"])).toThrow(/unknown argument/);
  });

  it("writes one JSON item per line", async () => {
    const out = join(dir, "nested", "demo.jsonl");
    const n = await writeDemoJsonl({ count: 50, seed: 5, out });
    expect(n).toBe(50);
    const text = readFileSync(out, "utf8");
    expect(text.endsWith("\n")).toBe(true);
    const lines = text.trimEnd().split("\n");
    expect(lines).toHaveLength(50);
    const parsed = lines.map((l) => JSON.parse(l) as DemoItem);
    expect(parsed).toEqual(generateDemoItems({ count: 50, seed: 5 }));
    expect(text).toBe(toJsonl(parsed));
  });
});

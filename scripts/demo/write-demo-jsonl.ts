/**
 * Write demo items as JSONL (one item per line) for benchmarks and manual import tests.
 *
 *   npx tsx scripts/demo/write-demo-jsonl.ts --count 240 --seed 7 --out data/demo.jsonl
 *   npx tsx scripts/demo/write-demo-jsonl.ts --count 30000 --seed 1 --out /tmp/bench.jsonl
 *
 * `--out -` (or no --out) writes to stdout.
 */
import { once } from "node:events";
import { createWriteStream, mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { generateDemoItems } from "./demo-items";

export interface CliOptions {
  count: number;
  seed: number;
  out: string;
}

const USAGE = "usage: write-demo-jsonl.ts --count N [--seed S] [--out FILE|-]";

export function parseArgs(argv: readonly string[]): CliOptions {
  const opts: CliOptions = { count: Number.NaN, seed: 1, out: "-" };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? "";
    const [flag, inline] =
      arg.startsWith("--") && arg.includes("=") ? [arg.slice(0, arg.indexOf("=")), arg.slice(arg.indexOf("=") + 1)] : [arg, undefined];
    const value = (): string => {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new Error(`${flag} needs a value\n${USAGE}`);
      return v;
    };
    switch (flag) {
      case "--count":
        opts.count = Number(value());
        break;
      case "--seed":
        opts.seed = Number(value());
        break;
      case "--out":
        opts.out = value();
        break;
      case "-h":
      case "--help":
        throw new Error(USAGE);
      default:
        throw new Error(`unknown argument: ${arg}\n${USAGE}`);
    }
  }
  if (!Number.isInteger(opts.count) || opts.count < 0) throw new Error(`--count must be a non-negative integer\n${USAGE}`);
  if (!Number.isInteger(opts.seed)) throw new Error(`--seed must be an integer\n${USAGE}`);
  return opts;
}

export async function writeDemoJsonl(opts: CliOptions): Promise<number> {
  const items = generateDemoItems({ count: opts.count, seed: opts.seed });
  const toStdout = opts.out === "-";
  if (!toStdout) mkdirSync(dirname(resolve(opts.out)), { recursive: true });
  const stream = toStdout ? process.stdout : createWriteStream(opts.out, { encoding: "utf8" });
  for (const item of items) {
    if (!stream.write(`${JSON.stringify(item)}\n`)) await once(stream, "drain");
  }
  if (!toStdout) {
    const fileStream = stream as ReturnType<typeof createWriteStream>;
    fileStream.end();
    await once(fileStream, "finish");
  }
  return items.length;
}

async function main(): Promise<void> {
  // Piping into `head` closes stdout early; that's not an error.
  process.stdout.on("error", (err: NodeJS.ErrnoException) => {
    if (err.code === "EPIPE") process.exit(0);
    throw err;
  });
  let opts: CliOptions;
  try {
    opts = parseArgs(process.argv.slice(2));
  } catch (err) {
    console.error(err instanceof Error ? err.message : String(err));
    process.exit(2);
  }
  const started = Date.now();
  const n = await writeDemoJsonl(opts);
  if (opts.out !== "-") {
    console.error(`wrote ${n} demo items (seed ${opts.seed}) to ${opts.out} in ${Date.now() - started} ms`);
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  void main();
}

/**
 * Parquet export (hyparquet-writer): the TRL columns (prompt, chosen, rejected, optional margin,
 * soft-label and annotator_group columns), one row group per page of items. Bytes are handed to
 * the caller's async `write` after each row group, so the file streams with backpressure like the
 * text formats.
 */
import zlib from "node:zlib";
import { ByteWriter, ParquetWriter, schemaFromColumnData } from "hyparquet-writer";
import { recordsForItem, type WriterContext } from "./formats";
import type { ExportItem } from "./policies";

/**
 * GZIP through Node's native zlib at level 1: measured 1.5× faster than the library's JavaScript
 * Snappy on export text, with smaller pages; GZIP is a standard codec every Parquet reader
 * (pyarrow, so HF datasets; DuckDB; Spark; hyparquet with a decompressor) reads.
 */
function gzipFast(input: Uint8Array): Uint8Array {
  return zlib.gzipSync(input, { level: 1 });
}

type Column = { name: string; type: "STRING" | "DOUBLE" | "INT32"; nullable: boolean };

function columnsFor(ctx: WriterContext): Column[] {
  const cols: Column[] = [
    { name: "prompt", type: "STRING", nullable: false },
    { name: "chosen", type: "STRING", nullable: false },
    { name: "rejected", type: "STRING", nullable: false },
  ];
  if (ctx.policies.margin) cols.push({ name: "margin", type: "DOUBLE", nullable: false });
  if (ctx.policies.aggregate === "soft" || ctx.policies.aggregate === "dawid-skene") {
    for (const name of ["votes_a", "votes_b", "votes_tie"]) cols.push({ name, type: "INT32", nullable: false });
    for (const name of ["p_chosen", "entropy"]) cols.push({ name, type: "DOUBLE", nullable: false });
  }
  // Null on a row whose votes come from several groups, or from annotators in none.
  if (ctx.groupColumn) cols.push({ name: "annotator_group", type: "STRING", nullable: true });
  return cols;
}

export async function writeParquet(
  pages: Iterable<ExportItem[]> | AsyncIterable<ExportItem[]>,
  ctx: WriterContext,
  write: (chunk: Uint8Array) => Promise<void>,
  onPage: (judgmentIds: number[], items: number) => void | Promise<void>,
): Promise<number> {
  const columns = columnsFor(ctx);
  const bytes = new ByteWriter();
  const flush = async () => {
    if (bytes.index === 0) return;
    const chunk = new Uint8Array(bytes.buffer, 0, bytes.index).slice();
    bytes.index = 0;
    await write(chunk);
  };
  Object.assign(bytes, { flush });
  const schema = schemaFromColumnData({ columnData: columns.map((c) => ({ ...c, data: [] })) });
  const writer = new ParquetWriter({ writer: bytes, schema, createdBy: "arbiter", codec: "GZIP", compressors: { GZIP: gzipFast } });
  let rows = 0;
  for await (const page of pages) {
    const data: Record<string, unknown[]> = Object.fromEntries(columns.map((c) => [c.name, []]));
    const ids: number[] = [];
    for (const item of page) {
      const out = recordsForItem("trl", item, ctx);
      for (const r of out.records) {
        for (const c of columns) data[c.name]?.push(r[c.name]);
      }
      ids.push(...out.judgmentIds);
    }
    const n = data.prompt?.length ?? 0;
    if (n > 0) {
      await writer.write({ columnData: columns.map((c) => ({ name: c.name, data: data[c.name] ?? [] })), rowGroupSize: n });
      rows += n;
    }
    await flush();
    await onPage(ids, page.length);
  }
  await writer.finish();
  await flush();
  return rows;
}

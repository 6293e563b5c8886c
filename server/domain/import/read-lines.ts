/**
 * Reads a file line by line, synchronously, in fixed-size chunks: memory stays flat however large
 * the file, and an import can run inside one SQLite transaction (which is synchronous). Lines are
 * decoded strictly, so invalid UTF-8 is reported with its line number instead of becoming U+FFFD.
 */
import fs from "node:fs";

export type Line = { lineNo: number; text: string; bytesRead: number } | { lineNo: number; error: string; bytesRead: number };

const CHUNK = 1 << 20;

export function* readLinesSync(file: string, maxLineBytes: number): Generator<Line> {
  const fd = fs.openSync(file, "r");
  const decoder = new TextDecoder("utf-8", { fatal: true });
  const buf = Buffer.allocUnsafe(CHUNK);
  let parts: Buffer[] = [];
  let partBytes = 0;
  let tooLong = false;
  let lineNo = 0;
  let bytesRead = 0;
  const finish = (): Line | null => {
    lineNo++;
    const bytes = Buffer.concat(parts, partBytes);
    const length = partBytes;
    parts = [];
    partBytes = 0;
    if (tooLong) {
      tooLong = false;
      return { lineNo, error: `line is longer than ${maxLineBytes} bytes`, bytesRead };
    }
    const end = length > 0 && bytes[length - 1] === 0x0d ? length - 1 : length; // CRLF files
    if (end === 0) return null;
    try {
      const text = decoder.decode(bytes.subarray(0, end));
      if (text.trim() === "") return null;
      return { lineNo, text: text.charCodeAt(0) === 0xfeff ? text.slice(1) : text, bytesRead };
    } catch {
      return { lineNo, error: "line is not valid UTF-8", bytesRead };
    }
  };
  try {
    for (;;) {
      const n = fs.readSync(fd, buf, 0, CHUNK, null);
      if (n === 0) break;
      let start = 0;
      for (;;) {
        const nl = buf.indexOf(0x0a, start);
        const stop = nl === -1 || nl >= n ? n : nl;
        if (!tooLong) {
          if (partBytes + (stop - start) > maxLineBytes) {
            tooLong = true;
            parts = [];
            partBytes = 0;
          } else if (stop > start) {
            parts.push(Buffer.from(buf.subarray(start, stop)));
            partBytes += stop - start;
          }
        }
        if (stop === n) break;
        bytesRead += stop + 1 - start;
        start = stop + 1;
        const line = finish();
        if (line) yield line;
      }
      bytesRead += n - start;
    }
    if (partBytes > 0 || tooLong) {
      const line = finish();
      if (line) yield line;
    }
  } finally {
    fs.closeSync(fd);
  }
}

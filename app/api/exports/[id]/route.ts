/**
 * Downloads a stored export snapshot. Auth is never skipped: the session role is checked here
 * (next-auth), then the file is resolved server-side behind the role-checked tRPC procedure and
 * streamed from disk (never buffered whole); no path ever reaches the browser.
 */
import type { IncomingHttpHeaders } from "node:http";
import { Readable } from "node:stream";
import { TRPCError } from "@trpc/server";
import { openExportDownload } from "@/server/api/export-download";
import { createContext } from "@/server/api/trpc";
import { getAppDb } from "@/server/app-db";
import { getRequestUser } from "@/server/auth";

export const dynamic = "force-dynamic";

const CONTENT_TYPE: Record<string, string> = { csv: "text/csv; charset=utf-8", parquet: "application/vnd.apache.parquet" };

const STATUS: Record<string, number> = { UNAUTHORIZED: 401, FORBIDDEN: 403, NOT_FOUND: 404, BAD_REQUEST: 400 };

export async function GET(req: Request, { params }: { params: Promise<{ id: string }> }) {
  // The role from the user row (not the session token): revoked sessions and role changes apply at once.
  const role = (await getRequestUser(await getAppDb(), req.headers))?.role;
  if (!role) return new Response("sign in first\n", { status: 401 });
  if (role !== "admin" && role !== "researcher") return new Response("forbidden\n", { status: 403 });
  const snapshotId = Number((await params).id);
  if (!Number.isInteger(snapshotId) || snapshotId <= 0) return new Response("no such snapshot\n", { status: 404 });
  const headers: IncomingHttpHeaders = Object.fromEntries(req.headers.entries());
  try {
    const file = await openExportDownload(await createContext(await getAppDb(), headers), snapshotId);
    const body = Readable.toWeb(file.stream) as ReadableStream<Uint8Array>;
    return new Response(body, {
      headers: {
        "content-type": CONTENT_TYPE[file.format] ?? "application/x-ndjson; charset=utf-8",
        "content-length": String(file.size),
        "content-disposition": `attachment; filename="${file.filename}"`,
        "cache-control": "no-store",
      },
    });
  } catch (e) {
    if (e instanceof TRPCError && STATUS[e.code]) return new Response(`${e.message}\n`, { status: STATUS[e.code] });
    throw e;
  }
}

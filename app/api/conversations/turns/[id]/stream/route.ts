/**
 * Streams a turn's two answers to the annotator as NDJSON: `{"p":0|1,"t":"…"}` per piece of text
 * (p = screen position, 0 = left), then one `{"done":true,"state","error"}`. tRPC's links here do not
 * stream, hence a route. The answers are generated server-side through the shared GeneratorClients;
 * when the browser goes away (request aborted) both requests to the generators stop.
 */

import { getAppDb } from "@/server/app-db";
import { getRequestUser } from "@/server/auth";
import { generateTurn, type LiveSampler } from "@/server/domain/conversations/conversations";
import { isAppError } from "@/server/domain/errors";
import { getGeneratorRecord } from "@/server/domain/generation/registry";
import { sharedGeneratorClients } from "@/server/generation/generators";

export const dynamic = "force-dynamic";

async function samplerFor(generatorId: number): Promise<LiveSampler> {
  const sample = sharedGeneratorClients().samplerFor(await getGeneratorRecord(await getAppDb(), generatorId));
  return (messages, params, opts) => sample(messages, params, opts);
}

export async function POST(req: Request, { params }: { params: Promise<{ id: string }> }) {
  const db = await getAppDb();
  const user = await getRequestUser(db, req.headers);
  if (!user) return new Response("sign in first\n", { status: 401 });
  const turnId = Number((await params).id);
  if (!Number.isSafeInteger(turnId) || turnId <= 0) return new Response("no such turn\n", { status: 404 });
  const encoder = new TextEncoder();
  const stop = new AbortController();
  req.signal.addEventListener("abort", () => stop.abort());
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      const send = (o: unknown) => {
        if (!stop.signal.aborted) controller.enqueue(encoder.encode(`${JSON.stringify(o)}\n`));
      };
      void generateTurn(db, { turnId, userId: user.id, samplers: samplerFor, signal: stop.signal, onDelta: (p, t) => send({ p, t }) })
        .then((r) => send({ done: true, state: r.state, error: r.error }))
        .catch((e: unknown) => {
          if (!isAppError(e)) console.error("[conversations] stream:", e);
          send({ done: true, state: "failed", error: isAppError(e) ? e.message : "Something went wrong on the server." });
        })
        .finally(() => {
          try {
            controller.close();
          } catch {
            // the browser left first
          }
        });
    },
    cancel() {
      stop.abort();
    },
  });
  return new Response(body, {
    headers: { "content-type": "application/x-ndjson; charset=utf-8", "cache-control": "no-store", "x-accel-buffering": "no" },
  });
}

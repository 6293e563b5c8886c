"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useCallback, useEffect, useRef, useState } from "react";
import { Markdown } from "@/app/_components/markdown";
import { useTRPC } from "@/app/_components/trpc";
import { RewriteEditor } from "./rewrite-editor";

type PairOutcome = "a" | "b" | "tie" | "both_bad";
const OUTCOMES: { value: PairOutcome; label: string; key: string }[] = [
  { value: "a", label: "A is better", key: "1" },
  { value: "b", label: "B is better", key: "2" },
  { value: "tie", label: "Tie", key: "3" },
  { value: "both_bad", label: "Both bad", key: "4" },
];
const STRENGTHS = ["slight", "moderate", "strong", "decisive"];

type Judged = { judgmentId: number; outcome: PairOutcome; answers: string[]; reveal: { position: number; name: string }[] | null };

function isTyping(target: EventTarget | null): boolean {
  return target instanceof HTMLElement && (target.tagName === "TEXTAREA" || target.tagName === "INPUT" || target.isContentEditable);
}

/** Reads the turn's NDJSON stream: text pieces by screen position, then one `done` line. */
async function streamTurn(turnId: number, signal: AbortSignal, onPiece: (p: number, t: string) => void): Promise<string | null> {
  const res = await fetch(`/api/conversations/turns/${turnId}/stream`, { method: "POST", signal, headers: { "content-length": "0" } });
  if (!res.ok || !res.body) return `the answers could not start (${res.status})`;
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return null;
    buffer += value;
    let nl = buffer.indexOf("\n");
    while (nl !== -1) {
      const line = JSON.parse(buffer.slice(0, nl)) as { p?: number; t?: string; done?: boolean; state?: string; error?: string | null };
      buffer = buffer.slice(nl + 1);
      if (line.done) return line.state === "ready" ? null : (line.error ?? "the answers failed");
      if (typeof line.p === "number" && typeof line.t === "string") onPiece(line.p, line.t);
      nl = buffer.indexOf("\n");
    }
  }
}

/**
 * Live conversation (HH) and arena screens: the annotator writes, two blinded generators answer side
 * by side (streamed), the annotator judges with 1–4, strength, criteria, rationale and Enter, and the
 * conversation goes on from the chosen answer. Arena: the model names appear only after the vote.
 */
export function ConversationScreen({
  projectId,
  kind,
  settings,
  rewrites,
}: {
  projectId: number;
  kind: "conversation" | "arena";
  settings: { instructions: string; criteria: string[]; rationalePolicy: string; strengthScale: boolean };
  rewrites: boolean;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const start = useMutation(trpc.conversations.start.mutationOptions());
  const [conversationId, setConversationId] = useState<number | null>(null);
  const view = useQuery({
    ...trpc.conversations.view.queryOptions({ conversationId: conversationId ?? 0 }),
    enabled: conversationId !== null,
  });
  const send = useMutation(trpc.conversations.send.mutationOptions());
  const regenerate = useMutation(trpc.conversations.regenerate.mutationOptions());
  const judge = useMutation(trpc.conversations.judge.mutationOptions());
  const end = useMutation(trpc.conversations.end.mutationOptions());
  const [message, setMessage] = useState("");
  const [streaming, setStreaming] = useState<string[] | null>(null);
  const [streamError, setStreamError] = useState<string | null>(null);
  // One state for outcome and strength, so two quick key presses (1 then 2) never read a stale outcome.
  const [choice, setChoice] = useState<{ outcome: PairOutcome | null; strength: number | null }>({ outcome: null, strength: null });
  const { outcome, strength } = choice;
  const setStrength = (n: number) => setChoice((c) => ({ ...c, strength: n }));
  const [criteria, setCriteria] = useState<Record<string, PairOutcome>>({});
  const [rationale, setRationale] = useState("");
  const [judged, setJudged] = useState<Judged | null>(null);
  const [improving, setImproving] = useState(false);
  const leave = useRef<AbortController | null>(null);
  const submissionId = useRef(crypto.randomUUID());

  const begin = useCallback(() => {
    start.mutate({ projectId }, { onSuccess: (v) => setConversationId(v.id) });
  }, [start, projectId]);
  // biome-ignore lint/correctness/useExhaustiveDependencies: start once per project
  useEffect(() => {
    begin();
    return () => leave.current?.abort(); // leaving the page stops the answers server-side
  }, [projectId]);

  const refresh = useCallback(() => queryClient.invalidateQueries({ queryKey: trpc.conversations.view.queryKey() }), [queryClient, trpc]);

  const run = useCallback(
    async (turnId: number) => {
      setStreaming(["", ""]);
      setStreamError(null);
      setChoice({ outcome: null, strength: null });
      setCriteria({});
      setRationale("");
      setJudged(null);
      setImproving(false);
      submissionId.current = crypto.randomUUID();
      leave.current = new AbortController();
      const error = await streamTurn(turnId, leave.current.signal, (p, t) =>
        setStreaming((s) => (s ? s.map((x, i) => (i === p ? x + t : x)) : s)),
      ).catch((e: unknown) => (e instanceof DOMException && e.name === "AbortError" ? null : "the connection broke"));
      setStreamError(error);
      await refresh();
      setStreaming(null);
    },
    [refresh],
  );

  const v = view.data;
  const canWrite = !!v && v.waitingFor === "message" && streaming === null && !send.isPending;
  const judging = !!v && v.waitingFor === "judgment" && streaming === null;
  const answers = streaming ?? (v?.current && v.current.state !== "generating" ? v.current.answers.map((a) => a ?? "") : null);
  const needsStrength = settings.strengthScale && (outcome === "a" || outcome === "b");
  const ready =
    judging &&
    outcome !== null &&
    (!needsStrength || strength !== null) &&
    (settings.rationalePolicy !== "required" || rationale.trim() !== "");

  const onSend = () => {
    if (!canWrite || conversationId === null || message.trim() === "") return;
    send.mutate(
      { conversationId, text: message },
      {
        onSuccess: ({ turnId }) => {
          setMessage("");
          void run(turnId);
        },
      },
    );
  };
  const onJudge = useCallback(() => {
    if (!ready || !v?.current || outcome === null) return;
    const shown = v.current.answers.map((a) => a ?? "");
    judge.mutate(
      {
        turnId: v.current.id,
        clientSubmissionId: submissionId.current,
        outcome,
        strength: needsStrength ? (strength ?? undefined) : undefined,
        criteria,
        rationale: settings.rationalePolicy === "off" ? undefined : rationale,
      },
      {
        onSuccess: (r) => {
          setJudged({ judgmentId: r.judgmentId, outcome, answers: shown, reveal: r.reveal });
          void refresh();
        },
      },
    );
  }, [ready, v, outcome, judge, needsStrength, strength, criteria, settings.rationalePolicy, rationale, refresh]);

  const latest = useRef({ judging, onJudge, strengthScale: settings.strengthScale });
  latest.current = { judging, onJudge, strengthScale: settings.strengthScale };
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const { judging, onJudge, strengthScale } = latest.current;
      if (!judging || isTyping(e.target)) return;
      const n = Number(e.key);
      if (n >= 1 && n <= 4) {
        e.preventDefault();
        setChoice((c) =>
          strengthScale && (c.outcome === "a" || c.outcome === "b") && c.strength === null
            ? { ...c, strength: n }
            : { outcome: (OUTCOMES[n - 1] as (typeof OUTCOMES)[number]).value, strength: null },
        );
      } else if (e.key === "Enter") {
        e.preventDefault();
        onJudge();
      }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, []);

  if (start.error) return <p role="alert">{start.error.message}</p>;
  if (!v) return <p>Starting a conversation…</p>;
  const label = kind === "arena" ? "Model" : "Answer";
  const ended = v.state !== "open";

  return (
    <main className="mx-auto max-w-6xl p-4">
      <h1 className="text-xl font-semibold">{kind === "arena" ? "Arena battle" : "Conversation"}</h1>
      {settings.instructions ? (
        <details className="mt-2 text-sm">
          <summary>Instructions</summary>
          <Markdown text={settings.instructions} />
        </details>
      ) : null}
      <ol className="mt-4 space-y-3" aria-label="Conversation so far" data-testid="transcript">
        {v.messages.map((m, i) => (
          // biome-ignore lint/suspicious/noArrayIndexKey: the transcript only grows; a message keeps its index
          <li key={i} className={m.role === "user" ? "rounded bg-sky-50 p-2" : "rounded bg-slate-50 p-2"}>
            <span className="text-xs font-semibold uppercase text-slate-600">{m.role === "user" ? "You" : "Assistant"}</span>
            <Markdown text={m.content} />
          </li>
        ))}
        {v.current && (streaming !== null || v.waitingFor === "judgment" || v.waitingFor === "answers") ? (
          <li className="rounded bg-sky-50 p-2">
            <span className="text-xs font-semibold uppercase text-slate-600">You</span>
            <Markdown text={v.current.userMessage} />
          </li>
        ) : null}
      </ol>

      {answers && (streaming !== null || judging) ? (
        <div className="mt-4 grid grid-cols-1 gap-4 md:grid-cols-2" aria-live="polite" aria-busy={streaming !== null}>
          {answers.map((text, p) => (
            <section
              // biome-ignore lint/suspicious/noArrayIndexKey: the index is the screen position (A, B)
              key={p}
              aria-label={`${label} ${p === 0 ? "A" : "B"}`}
              className="rounded border border-slate-300 p-3"
              data-testid={`answer-${p}`}
            >
              <h2 className="text-sm font-semibold">
                {label} {p === 0 ? "A" : "B"}
              </h2>
              <Markdown text={text} />
            </section>
          ))}
        </div>
      ) : null}
      {streamError ? (
        <p role="alert" className="mt-2 text-sm text-red-700">
          {streamError}
        </p>
      ) : null}

      {judging ? (
        <section aria-label="Your judgment" className="mt-4 rounded border border-slate-300 p-3">
          <fieldset aria-label="Which answer is better?" className="flex flex-wrap gap-2">
            {OUTCOMES.map((o) => (
              <button
                key={o.value}
                type="button"
                aria-pressed={outcome === o.value}
                className={`rounded border px-3 py-1 text-sm ${outcome === o.value ? "bg-slate-800 text-white" : "border-slate-400"}`}
                onClick={() => {
                  setChoice({ outcome: o.value, strength: null });
                }}
              >
                {o.label} <kbd>{o.key}</kbd>
              </button>
            ))}
          </fieldset>
          {needsStrength ? (
            <fieldset aria-label="How much better?" className="mt-2 flex flex-wrap gap-2" data-testid="strength">
              {STRENGTHS.map((s, i) => (
                <button
                  key={s}
                  type="button"
                  aria-pressed={strength === i + 1}
                  className={`rounded border px-3 py-1 text-sm ${strength === i + 1 ? "bg-slate-800 text-white" : "border-slate-400"}`}
                  onClick={() => setStrength(i + 1)}
                >
                  {s} <kbd>{i + 1}</kbd>
                </button>
              ))}
            </fieldset>
          ) : null}
          {settings.criteria.map((c) => (
            <label key={c} className="mt-2 block text-sm">
              {c}{" "}
              <select
                className="rounded border border-slate-400"
                value={criteria[c] ?? ""}
                onChange={(e) => setCriteria((x) => ({ ...x, [c]: e.target.value as PairOutcome }))}
              >
                <option value="">—</option>
                {OUTCOMES.map((o) => (
                  <option key={o.value} value={o.value}>
                    {o.label}
                  </option>
                ))}
              </select>
            </label>
          ))}
          {settings.rationalePolicy !== "off" ? (
            <label className="mt-2 block text-sm">
              Rationale{settings.rationalePolicy === "required" ? " (required)" : " (optional)"}
              <textarea
                className="mt-1 block w-full rounded border border-slate-400 p-1"
                value={rationale}
                onChange={(e) => setRationale(e.target.value)}
              />
            </label>
          ) : null}
          {judge.error ? (
            <p role="alert" className="text-sm text-red-700">
              {judge.error.message}
            </p>
          ) : null}
          <button
            type="button"
            className="mt-2 rounded bg-slate-800 px-3 py-1 text-sm text-white disabled:opacity-50"
            disabled={!ready || judge.isPending}
            onClick={onJudge}
          >
            Submit judgment <kbd>Enter</kbd>
          </button>
        </section>
      ) : null}

      {judged?.reveal ? (
        <p className="mt-3 text-sm" data-testid="reveal">
          Model A was <strong>{judged.reveal[0]?.name}</strong>; model B was <strong>{judged.reveal[1]?.name}</strong>.
        </p>
      ) : null}
      {judged && rewrites && (judged.outcome === "a" || judged.outcome === "b") && !improving ? (
        <button type="button" className="mt-2 rounded border border-slate-400 px-3 py-1 text-sm" onClick={() => setImproving(true)}>
          Improve
        </button>
      ) : null}
      {judged && improving ? (
        <RewriteEditor
          judgmentId={judged.judgmentId}
          original={judged.answers[judged.outcome === "a" ? 0 : 1] ?? ""}
          onDone={() => setImproving(false)}
        />
      ) : null}

      {v.waitingFor === "regenerate-or-end" ? (
        <div className="mt-3 flex gap-2">
          <p className="text-sm">Both answers were bad. Ask again, or end the conversation.</p>
          <button
            type="button"
            className="rounded border border-slate-400 px-3 py-1 text-sm"
            disabled={regenerate.isPending || conversationId === null}
            onClick={() =>
              conversationId !== null && regenerate.mutate({ conversationId }, { onSuccess: ({ turnId }) => void run(turnId) })
            }
          >
            Regenerate
          </button>
        </div>
      ) : null}

      {ended ? (
        <div className="mt-4">
          <p>This conversation has ended; its judged turns are saved.</p>
          <button
            type="button"
            className="mt-2 rounded bg-slate-800 px-3 py-1 text-sm text-white"
            onClick={() => {
              setJudged(null);
              begin();
            }}
          >
            Start a new conversation
          </button>
        </div>
      ) : (
        <div className="mt-4">
          <label htmlFor="conversation-message" className="block text-sm font-medium">
            Your message
          </label>
          <textarea
            id="conversation-message"
            className="mt-1 h-24 w-full rounded border border-slate-400 p-2 disabled:bg-slate-100"
            value={message}
            disabled={!canWrite}
            onChange={(e) => setMessage(e.target.value)}
            onKeyDown={(e) => {
              if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
                e.preventDefault();
                onSend();
              }
            }}
          />
          {send.error ? (
            <p role="alert" className="text-sm text-red-700">
              {send.error.message}
            </p>
          ) : null}
          <div className="mt-2 flex items-center gap-2">
            <button
              type="button"
              className="rounded bg-slate-800 px-3 py-1 text-sm text-white disabled:opacity-50"
              disabled={!canWrite || message.trim() === ""}
              onClick={onSend}
            >
              Send
            </button>
            <button
              type="button"
              className="rounded border border-slate-400 px-3 py-1 text-sm"
              disabled={end.isPending || conversationId === null}
              onClick={() => {
                leave.current?.abort();
                if (conversationId !== null) end.mutate({ conversationId }, { onSuccess: () => void refresh() });
              }}
            >
              End conversation
            </button>
            <span className="text-xs text-slate-600">
              {v.messages.filter((m) => m.role === "user").length} of {v.maxTurns} messages
            </span>
          </div>
        </div>
      )}
    </main>
  );
}

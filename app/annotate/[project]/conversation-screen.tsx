"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useTranslations } from "next-intl";
import { useCallback, useEffect, useRef, useState } from "react";
import { Markdown } from "@/app/_components/markdown";
import { useTRPC } from "@/app/_components/trpc";
import type { PairOutcome } from "./annotate-state";
import { isTyping, OUTCOMES, STRENGTHS } from "./judging-keys";
import { RewriteEditor } from "./rewrite-editor";

type Judged = { judgmentId: number; outcome: PairOutcome; answers: string[]; reveal: { position: number; name: string }[] | null };
/** Where keyboard focus goes once the screen shows it: the next message, Regenerate, End or Start a new conversation. */
type FocusTarget = "message" | "regenerate" | "end" | "start-new" | null;
/** Why the answers did not come: translated on the screen; `detail` is the server's own words. */
type StreamError = { code: "start"; status: number } | { code: "failed"; detail: string | null } | { code: "connection" };

/** A focused control that Enter operates itself (a button, a link, a select, a summary), so Enter must not submit. */
function isOwnEnterControl(target: EventTarget | null): boolean {
  return target instanceof HTMLElement && target.matches("button:not(:disabled), a[href], select, summary");
}

/** Reads the turn's NDJSON stream: text pieces by screen position, then one `done` line. */
async function streamTurn(turnId: number, signal: AbortSignal, onPiece: (p: number, t: string) => void): Promise<StreamError | null> {
  const res = await fetch(`/api/conversations/turns/${turnId}/stream`, { method: "POST", signal, headers: { "content-length": "0" } });
  if (!res.ok || !res.body) return { code: "start", status: res.status };
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
      if (line.done) return line.state === "ready" ? null : { code: "failed", detail: line.error ?? null };
      if (typeof line.p === "number" && typeof line.t === "string") onPiece(line.p, line.t);
      nl = buffer.indexOf("\n");
    }
  }
}

/**
 * Live conversation (HH) and arena screens: the annotator writes, two blinded generators answer side
 * by side (streamed), the annotator judges with 1–4, strength, criteria, rationale and Enter, and the
 * conversation goes on from the chosen answer. Arena: the model names appear only after the vote.
 * Screen readers hear each step once (sent, both answers complete, turn saved, next message), never
 * the streamed tokens; focus moves to the control the next step needs. Model text is never translated.
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
  const t = useTranslations("live.conversation");
  const ta = useTranslations("annotate");
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
  const [streamError, setStreamError] = useState<StreamError | null>(null);
  // One state for outcome and strength, so two quick key presses (1 then 2) never read a stale outcome.
  const [choice, setChoice] = useState<{ outcome: PairOutcome | null; strength: number | null }>({ outcome: null, strength: null });
  const { outcome, strength } = choice;
  const setStrength = (n: number) => setChoice((c) => ({ ...c, strength: n }));
  const [criteria, setCriteria] = useState<Record<string, PairOutcome>>({});
  const [rationale, setRationale] = useState("");
  const [judged, setJudged] = useState<Judged | null>(null);
  const [improving, setImproving] = useState(false);
  /** What screen readers hear (a polite live region): each step once, not every streamed token. */
  const [announcement, setAnnouncement] = useState("");
  const focusNext = useRef<FocusTarget>(null);
  const messageBox = useRef<HTMLTextAreaElement>(null);
  const regenerateButton = useRef<HTMLButtonElement>(null);
  const endButton = useRef<HTMLButtonElement>(null);
  const startNewButton = useRef<HTMLButtonElement>(null);
  const leave = useRef<AbortController | null>(null);
  const submissionId = useRef(crypto.randomUUID());

  const begin = useCallback(
    (announce: boolean) => {
      start.mutate(
        { projectId },
        {
          onSuccess: (v) => {
            setConversationId(v.id);
            if (announce) {
              setAnnouncement(t("announce.started"));
              focusNext.current = "message";
            }
          },
        },
      );
    },
    [start, projectId, t],
  );
  // biome-ignore lint/correctness/useExhaustiveDependencies: start once per project
  useEffect(() => {
    begin(false);
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
      setAnnouncement(t("announce.sent"));
      submissionId.current = crypto.randomUUID();
      const controller = new AbortController();
      leave.current = controller;
      const error = await streamTurn(turnId, controller.signal, (p, piece) =>
        setStreaming((s) => (s ? s.map((x, i) => (i === p ? x + piece : x)) : s)),
      ).catch((e: unknown): StreamError | null => (e instanceof DOMException && e.name === "AbortError" ? null : { code: "connection" }));
      setStreamError(error);
      await refresh();
      setStreaming(null);
      // Once, when both answers are complete: the live region below never reads the tokens as they come.
      if (!controller.signal.aborted) setAnnouncement(error ? t("announce.failed") : t("announce.ready"));
    },
    [refresh, t],
  );

  const v = view.data;
  /** Messages of judged turns (what the project's max turns counts); the turn on screen is one more. */
  const userTurns = v ? v.messages.filter((m) => m.role === "user").length : 0;
  const full = !!v && userTurns >= v.maxTurns;
  const canWrite = !!v && v.waitingFor === "message" && streaming === null && !send.isPending && !full;
  const judging = !!v && v.waitingFor === "judgment" && streaming === null;
  const answers = streaming ?? (v?.current && v.current.state !== "generating" ? v.current.answers.map((a) => a ?? "") : null);
  const needsStrength = settings.strengthScale && (outcome === "a" || outcome === "b");
  const ready =
    judging &&
    outcome !== null &&
    (!needsStrength || strength !== null) &&
    (settings.rationalePolicy !== "required" || rationale.trim() !== "");

  // Moves keyboard focus to the control the next step needs, once it is on the screen and enabled.
  useEffect(() => {
    const target = focusNext.current;
    if (target === null) return;
    const element = { message: messageBox, regenerate: regenerateButton, end: endButton, "start-new": startNewButton }[target].current;
    if (element && !element.disabled) {
      element.focus();
      focusNext.current = null;
    }
  });

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
    const turn = v.current.turn;
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
          // The next turn, announced: model names (arena) are said once the vote is in, never before.
          if (outcome === "both_bad") {
            setAnnouncement(t("announce.bothBad"));
            focusNext.current = "regenerate";
          } else {
            // The last message the project allows: the next step is ending the conversation.
            const last = userTurns + 1 >= (v?.maxTurns ?? Number.POSITIVE_INFINITY);
            const next = last ? t("announce.full") : t("announce.next");
            setAnnouncement(
              r.reveal
                ? t("announce.revealed", { a: r.reveal[0]?.name ?? "", b: r.reveal[1]?.name ?? "", next })
                : t("announce.nextTurn", { turn, next }),
            );
            focusNext.current = last ? "end" : "message";
          }
          void refresh();
        },
      },
    );
  }, [ready, v, userTurns, outcome, judge, needsStrength, strength, criteria, settings.rationalePolicy, rationale, refresh, t]);

  const latest = useRef({ judging, onJudge, strengthScale: settings.strengthScale });
  latest.current = { judging, onJudge, strengthScale: settings.strengthScale };
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const { judging, onJudge, strengthScale } = latest.current;
      if (!judging || isTyping(e.target) || e.ctrlKey || e.metaKey || e.altKey) return;
      const n = Number(e.key);
      if (n >= 1 && n <= 4) {
        e.preventDefault();
        setChoice((c) =>
          strengthScale && (c.outcome === "a" || c.outcome === "b") && c.strength === null
            ? { ...c, strength: n }
            : { outcome: (OUTCOMES[n - 1] as (typeof OUTCOMES)[number]).value, strength: null },
        );
      } else if (e.key === "Enter" && !isOwnEnterControl(e.target)) {
        // Enter on a focused button (Improve, End conversation, …) does what that button says.
        e.preventDefault();
        onJudge();
      }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, []);

  if (start.error)
    return (
      <p role="alert" className="text-red-700">
        {start.error.message}
      </p>
    );
  if (!v) return <p className="text-slate-600">{t("starting")}</p>;
  const ended = v.state !== "open";
  // The message on screen counts too until it is judged (or, after "both bad", regenerated or ended).
  const pending = v.current !== null && (v.current.state !== "judged" || v.waitingFor === "regenerate-or-end");
  const sent = userTurns + (pending ? 1 : 0);
  const letterOf = (p: number) => (p === 0 ? "A" : "B");

  return (
    <div className="mx-auto max-w-6xl" data-testid="conversation" data-kind={kind}>
      <h1 className="text-xl font-semibold">{t(`title.${kind}`)}</h1>
      <p className="sr-only" role="status" aria-live="polite" data-testid="announcer">
        {announcement}
      </p>
      {settings.instructions ? (
        <details className="mt-2 rounded-lg border border-slate-200 bg-white p-3 text-sm">
          <summary className="cursor-pointer font-medium text-slate-700">{t("instructions")}</summary>
          <div className="mt-2">
            <Markdown text={settings.instructions} />
          </div>
        </details>
      ) : null}
      <ol className="mt-4 space-y-3" aria-label={t("transcript")} data-testid="transcript">
        {v.messages.map((m, i) => (
          // biome-ignore lint/suspicious/noArrayIndexKey: the transcript only grows; a message keeps its index
          <li key={i} className={`min-w-0 rounded p-2 ${m.role === "user" ? "bg-sky-50" : "bg-white"}`}>
            <span className="text-xs font-semibold uppercase text-slate-600">{m.role === "user" ? t("you") : t("assistant")}</span>
            <Markdown text={m.content} />
          </li>
        ))}
        {v.current && (streaming !== null || v.waitingFor === "judgment" || v.waitingFor === "answers") ? (
          <li className="min-w-0 rounded bg-sky-50 p-2">
            <span className="text-xs font-semibold uppercase text-slate-600">{t("you")}</span>
            <Markdown text={v.current.userMessage} />
          </li>
        ) : null}
      </ol>

      {answers && (streaming !== null || judging) ? (
        // No aria-live here: tokens would be read one by one. The status line above says when both are complete.
        <section aria-label={t("answers")} aria-busy={streaming !== null} className="mt-4 grid grid-cols-1 gap-4 md:grid-cols-2">
          {answers.map((text, p) => (
            <section
              // biome-ignore lint/suspicious/noArrayIndexKey: the index is the screen position (A, B)
              key={p}
              aria-labelledby={`answer-${p}-title`}
              className={`min-w-0 rounded border bg-white p-3 ${
                judging && ((outcome === "a" && p === 0) || (outcome === "b" && p === 1))
                  ? "border-emerald-500 ring-2 ring-emerald-200"
                  : "border-slate-300"
              }`}
              data-testid={`answer-${p}`}
            >
              <h2 id={`answer-${p}-title`} className="text-sm font-semibold">
                {t(`answer.${kind}`, { letter: letterOf(p) })}
                {streaming !== null ? <span className="ml-2 font-normal text-slate-600">{t("writing")}</span> : null}
              </h2>
              <Markdown text={text} />
            </section>
          ))}
        </section>
      ) : null}
      {streamError ? (
        <p role="alert" className="mt-2 text-sm text-red-700">
          {streamError.code === "start"
            ? t("error.start", { status: streamError.status })
            : streamError.code === "connection"
              ? t("error.connection")
              : streamError.detail
                ? t("error.failed", { detail: streamError.detail })
                : t("error.failedPlain")}
        </p>
      ) : null}

      {judging ? (
        <section
          aria-label={t("judgment")}
          className="mt-4 space-y-2 rounded border border-slate-300 bg-white p-3"
          data-testid="judgment-panel"
        >
          <fieldset className="flex flex-wrap items-center gap-2">
            <legend className="sr-only">{t("which")}</legend>
            {OUTCOMES.map((o) => (
              <button
                key={o.value}
                type="button"
                aria-pressed={outcome === o.value}
                className={`rounded border px-3 py-1 text-sm ${outcome === o.value ? "border-slate-900 bg-slate-900 text-white" : "border-slate-400 bg-white hover:bg-slate-50"}`}
                onClick={() => setChoice((c) => (c.outcome === o.value ? c : { outcome: o.value, strength: null }))}
              >
                {ta(`outcome.${o.value}`)} <kbd>{o.key}</kbd>
              </button>
            ))}
          </fieldset>
          {needsStrength ? (
            <fieldset className="flex flex-wrap items-center gap-2" data-testid="strength">
              <legend className="sr-only">{t("howMuch")}</legend>
              <span aria-hidden="true" className="text-sm text-slate-600">
                {t("howMuch")}
              </span>
              {STRENGTHS.map((word, i) => (
                <button
                  key={word}
                  type="button"
                  aria-pressed={strength === i + 1}
                  className={`rounded border px-3 py-1 text-sm ${strength === i + 1 ? "border-emerald-700 bg-emerald-700 text-white" : "border-slate-400 bg-white hover:bg-slate-50"}`}
                  onClick={() => setStrength(i + 1)}
                >
                  {ta(`strength.${word}`)} <kbd>{i + 1}</kbd>
                </button>
              ))}
            </fieldset>
          ) : null}
          {settings.criteria.map((c) => (
            <label key={c} className="block text-sm">
              {c}{" "}
              <select
                className="rounded border border-slate-400 bg-white"
                value={criteria[c] ?? ""}
                onChange={(e) => setCriteria((x) => ({ ...x, [c]: e.target.value as PairOutcome }))}
              >
                <option value="">{t("noCriterion")}</option>
                {OUTCOMES.map((o) => (
                  <option key={o.value} value={o.value}>
                    {ta(`outcome.${o.value}`)}
                  </option>
                ))}
              </select>
            </label>
          ))}
          {settings.rationalePolicy !== "off" ? (
            <label className="block text-sm">
              {settings.rationalePolicy === "required" ? t("rationale.required") : t("rationale.optional")}
              <textarea
                className="mt-1 block w-full rounded border border-slate-400 p-1"
                value={rationale}
                onChange={(e) => setRationale(e.target.value)}
                onKeyDown={(e) => {
                  if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
                    e.preventDefault();
                    onJudge();
                  }
                }}
              />
            </label>
          ) : null}
          {judge.error ? (
            <p role="alert" className="text-sm text-red-700">
              {judge.error.message}
            </p>
          ) : null}
          <div className="flex flex-wrap items-center gap-3">
            <button
              type="button"
              className="rounded bg-slate-800 px-3 py-1 text-sm text-white disabled:opacity-50"
              disabled={!ready || judge.isPending}
              onClick={onJudge}
            >
              {t("submit")} <kbd>Enter</kbd>
            </button>
            <span className="hidden text-xs text-slate-600 md:inline">{t("keys")}</span>
          </div>
        </section>
      ) : null}

      {judged?.reveal ? (
        <p className="mt-3 text-sm" data-testid="reveal">
          {t.rich("reveal", {
            a: judged.reveal[0]?.name ?? "",
            b: judged.reveal[1]?.name ?? "",
            strong: (chunks) => <strong>{chunks}</strong>,
          })}
        </p>
      ) : null}
      {judged && rewrites && (judged.outcome === "a" || judged.outcome === "b") && !improving ? (
        <button
          type="button"
          className="mt-2 rounded border border-slate-400 bg-white px-3 py-1 text-sm"
          onClick={() => setImproving(true)}
        >
          {t("improve")}
        </button>
      ) : null}
      {judged && improving ? (
        <RewriteEditor
          judgmentId={judged.judgmentId}
          original={judged.answers[judged.outcome === "a" ? 0 : 1] ?? ""}
          onDone={(saved) => {
            setImproving(false);
            if (saved) setAnnouncement(t("announce.improved"));
            focusNext.current = "message";
          }}
        />
      ) : null}

      {v.waitingFor === "regenerate-or-end" ? (
        <div className="mt-3 flex flex-wrap items-center gap-2">
          <p className="text-sm" data-testid="both-bad">
            {t("bothBad")}
          </p>
          <button
            ref={regenerateButton}
            type="button"
            className="rounded border border-slate-400 bg-white px-3 py-1 text-sm"
            disabled={regenerate.isPending || conversationId === null}
            onClick={() =>
              conversationId !== null && regenerate.mutate({ conversationId }, { onSuccess: ({ turnId }) => void run(turnId) })
            }
          >
            {t("regenerate")}
          </button>
        </div>
      ) : null}

      {ended ? (
        <div className="mt-4">
          <p data-testid="ended">{t("ended")}</p>
          <button
            ref={startNewButton}
            type="button"
            className="mt-2 rounded bg-slate-800 px-3 py-1 text-sm text-white"
            onClick={() => {
              setJudged(null);
              begin(true);
            }}
          >
            {t("startNew")}
          </button>
        </div>
      ) : (
        <div className="mt-4">
          <label htmlFor="conversation-message" className="block text-sm font-medium">
            {t("message")}
          </label>
          <textarea
            ref={messageBox}
            id="conversation-message"
            aria-describedby="conversation-message-hint"
            className="mt-1 h-24 w-full rounded border border-slate-400 bg-white p-2 disabled:bg-slate-100"
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
          {full && v.waitingFor === "message" ? (
            <p className="text-sm text-slate-700" data-testid="full">
              {t("full", { max: v.maxTurns })}
            </p>
          ) : null}
          {send.error ? (
            <p role="alert" className="text-sm text-red-700">
              {send.error.message}
            </p>
          ) : null}
          <div className="mt-2 flex flex-wrap items-center gap-2">
            <button
              type="button"
              className="rounded bg-slate-800 px-3 py-1 text-sm text-white disabled:opacity-50"
              disabled={!canWrite || message.trim() === ""}
              onClick={onSend}
            >
              {t("send")}
            </button>
            <button
              ref={endButton}
              type="button"
              className="rounded border border-slate-400 bg-white px-3 py-1 text-sm"
              disabled={end.isPending || conversationId === null}
              onClick={() => {
                leave.current?.abort();
                if (conversationId !== null)
                  end.mutate(
                    { conversationId },
                    {
                      onSuccess: () => {
                        setAnnouncement(t("announce.ended"));
                        focusNext.current = "start-new";
                        void refresh();
                      },
                    },
                  );
              }}
            >
              {t("end")}
            </button>
            <span className="text-xs text-slate-600" data-testid="message-count">
              {t("count", { sent, max: v.maxTurns })}
            </span>
            <span id="conversation-message-hint" className="text-xs text-slate-600">
              {t("messageHint")}
            </span>
          </div>
        </div>
      )}
    </div>
  );
}

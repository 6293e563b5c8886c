"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { TRPCClientError } from "@trpc/client";
import Link from "next/link";
import { useFormatter, useTranslations } from "next-intl";
import { useCallback, useEffect, useMemo, useReducer, useRef, useState } from "react";
import { ModelHtml } from "@/app/_components/model-html";
import { ProgressBar } from "@/app/_components/progress-bar";
import { useTRPC } from "@/app/_components/trpc";
import {
  draftFromAnswer,
  type Feedback,
  type Item,
  letter,
  missing,
  type Progress,
  reducer,
  type Settings,
  type State,
} from "./annotate-state";
import { ContentView } from "./content-view";
import { isTyping, OUTCOMES, STRENGTHS } from "./judging-keys";
import { ImproveDraft } from "./rewrite-editor";

function newSubmissionId(): string {
  return crypto.randomUUID();
}

export function AnnotateScreen({ projectId, reviseId }: { projectId: number; reviseId?: number }) {
  const t = useTranslations("annotate");
  const format = useFormatter();
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const project = useQuery(trpc.annotate.project.queryOptions({ projectId }));
  // Leasing is a mutation (no GET changes state): ask for the current or next item once on mount.
  const first = useMutation(trpc.annotate.next.mutationOptions());
  const leaseNext = first.mutateAsync;
  const reloadLease = useCallback(() => void leaseNext({ projectId }).catch(() => undefined), [leaseNext, projectId]);
  useEffect(() => reloadLease(), [reloadLease]);
  const [state, dispatch] = useReducer(reducer, { phase: "loading" } as State);
  const [progress, setProgress] = useState<Progress | null>(null);

  const load = useCallback(
    (lease: { status: "item"; item: Item } | { status: "empty" }, p: Progress) => {
      setProgress(p);
      setAnnouncement(lease.status === "item" ? t("announce.next", { mine: p.mine }) : t("announce.empty"));
      dispatch({ type: "loaded", item: lease.status === "item" ? lease.item : null, now: Date.now(), submissionId: newSubmissionId() });
    },
    [t],
  );

  useEffect(() => {
    if (first.data) load(first.data.lease, first.data.progress);
    if (first.error) dispatch({ type: "failed", message: first.error.message });
  }, [first.data, first.error, load]);

  const submit = useMutation(trpc.annotate.submit.mutationOptions());
  const revise = useMutation(trpc.annotate.revise.mutationOptions());
  const skip = useMutation(trpc.annotate.skip.mutationOptions());
  // Rewrites (#15): an improved chosen answer waits here until its judgment is stored, then is attached to it.
  const mode = useQuery(trpc.conversations.projectMode.queryOptions({ projectId }));
  const saveRewrite = useMutation(trpc.conversations.rewrite.mutationOptions()).mutate;
  const improvedRef = useRef<{ assignmentId: number; text: string } | null>(null);
  /** The judgment the Undo button brings back: the last one submitted (or revised) on this screen. */
  const [lastJudgment, setLastJudgment] = useState<number | null>(null);
  const [undoError, setUndoError] = useState<string | null>(null);
  /** What screen readers hear when the item changes (the visual change alone says nothing to them). */
  const [announcement, setAnnouncement] = useState("");

  const startRevision = useCallback(
    async (judgmentId: number) => {
      setUndoError(null);
      try {
        const j = await queryClient.fetchQuery({ ...trpc.annotate.judgment.queryOptions({ judgmentId }), staleTime: 0 });
        if (j.projectId !== projectId) throw new Error(t("undo.otherProject"));
        if (j.revisableUntil === null) throw new Error(t("undo.closed"));
        dispatch({
          type: "revise",
          item: j.item,
          draft: draftFromAnswer(j.item.responses.length, j.answer),
          judgmentId: j.judgmentId,
          now: Date.now(),
          submissionId: newSubmissionId(),
        });
        setAnnouncement(t("announce.undo"));
      } catch (e) {
        setUndoError(e instanceof Error ? e.message : String(e));
      }
    },
    [queryClient, trpc, projectId, t],
  );

  const startedRevision = useRef(false);
  useEffect(() => {
    if (reviseId === undefined || startedRevision.current || !first.data) return;
    startedRevision.current = true;
    void startRevision(reviseId);
  }, [reviseId, first.data, startRevision]);

  // The current lease comes back as it was (a reload shows the same item); each answer is new data,
  // so the loading effect runs again.
  const cancelRevision = reloadLease;
  const strengthScale = project.data?.strengthScale ?? true;
  const rationalePolicy = project.data?.rationalePolicy ?? "optional";
  const settings: Settings = useMemo(() => ({ strengthScale, rationalePolicy }), [strengthScale, rationalePolicy]);
  const criteria = project.data?.criteria ?? [];

  const stateRef = useRef(state);
  stateRef.current = state;

  const send = useCallback(
    (confirmed: boolean) => {
      const s = stateRef.current;
      if (s.phase !== "judging" && s.phase !== "confirming") return;
      const k = s.item.responses.length;
      const why = missing(s.draft, k, settings);
      if (why) return dispatch({ type: "error", message: t(`missing.${why}`) });
      if (k > 2 && !s.draft.rankingTouched && !confirmed) return dispatch({ type: "confirm" });
      dispatch({ type: "submitting" });
      const d = s.draft;
      const answer = {
        ...(k === 2 ? { outcome: d.outcome } : { ranking: d.ranking }),
        strength: d.outcome === "a" || d.outcome === "b" ? d.strength : undefined,
        criteria: d.criteria,
        rationale: settings.rationalePolicy === "off" ? undefined : d.rationale,
        timeOnTaskMs: Date.now() - s.shownAt,
      };
      const failed = (e: { message: string }) => dispatch({ type: "error", message: e.message });
      if (s.revising !== undefined) {
        revise.mutate(
          { projectId, revision: { judgmentId: s.revising, clientSubmissionId: s.submissionId, ...answer } },
          {
            onSuccess: (res) => {
              setLastJudgment(res.result.judgmentId);
              load(res.lease, res.progress);
              setAnnouncement(t("announce.revised"));
            },
            onError: failed,
          },
        );
        return;
      }
      submit.mutate(
        {
          projectId,
          submission: {
            assignmentId: s.item.assignmentId,
            clientSubmissionId: s.submissionId,
            ...(k === 2 ? { outcome: d.outcome } : { ranking: d.ranking }),
            strength: d.outcome === "a" || d.outcome === "b" ? d.strength : undefined,
            criteria: d.criteria,
            rationale: settings.rationalePolicy === "off" ? undefined : d.rationale,
            timeOnTaskMs: Date.now() - s.shownAt,
          },
        },
        {
          onSuccess: (res) => {
            setLastJudgment(res.result.judgmentId);
            setUndoError(null);
            const improved = improvedRef.current;
            improvedRef.current = null;
            if (improved?.assignmentId === s.item.assignmentId) saveRewrite({ judgmentId: res.result.judgmentId, text: improved.text });
            if (res.result.feedback) {
              setProgress(res.progress);
              dispatch({ type: "feedback", feedback: res.result.feedback, next: res.lease.status === "item" ? res.lease.item : null });
            } else load(res.lease, res.progress);
          },
          onError: (e) => {
            const code = e instanceof TRPCClientError ? (e.data as { appCode?: string } | undefined)?.appCode : undefined;
            if (code === "LEASE_EXPIRED") {
              reloadLease();
              return;
            }
            // Same submission id on retry: the server stores it at most once.
            dispatch({ type: "error", message: e.message });
          },
        },
      );
    },
    [projectId, settings, submit, revise, load, reloadLease, saveRewrite, t],
  );

  const onSkip = () => {
    if (state.phase !== "judging" || state.revising !== undefined) return;
    skip.mutate({ projectId, assignmentId: state.item.assignmentId }, { onSuccess: (res) => load(res.lease, res.progress) });
  };

  const onContinue = useCallback(() => dispatch({ type: "continue", now: Date.now(), submissionId: newSubmissionId() }), []);

  useEffect(() => {
    function onKey(e: KeyboardEvent) {
      const s = stateRef.current;
      if (s.phase === "feedback" && e.key === "Enter" && !isTyping(e.target)) {
        e.preventDefault();
        onContinue();
        return;
      }
      if (s.phase !== "judging" && s.phase !== "confirming") return;
      if (isTyping(e.target)) {
        if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
          e.preventDefault();
          send(false);
        }
        return;
      }
      if (e.ctrlKey || e.metaKey || e.altKey) return;
      const k = s.item.responses.length;
      if (e.key === "Enter") {
        e.preventDefault();
        send(s.phase === "confirming");
        return;
      }
      if (e.key === "Escape" || e.key === "Backspace") {
        dispatch(s.phase === "confirming" ? { type: "cancel" } : { type: "clear" });
        return;
      }
      if (k === 2 && /^[1-4]$/.test(e.key)) {
        const n = Number(e.key);
        const d = s.draft;
        const choosingStrength = settings.strengthScale && (d.outcome === "a" || d.outcome === "b") && d.strength === undefined;
        if (choosingStrength) dispatch({ type: "strength", strength: n });
        else dispatch({ type: "outcome", outcome: OUTCOMES[n - 1]?.value ?? "tie" });
        return;
      }
      if (k > 2) {
        const pos = e.key.toUpperCase().charCodeAt(0) - 65;
        if (e.key.length === 1 && pos >= 0 && pos < k) dispatch({ type: "select", position: pos });
        else if ((e.key === "ArrowUp" || e.key === "ArrowDown") && s.draft.selected !== undefined) {
          e.preventDefault();
          dispatch({ type: "move", position: s.draft.selected, delta: e.key === "ArrowUp" ? -1 : 1 });
        }
      }
    }
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [send, settings.strengthScale, onContinue]);

  if (project.error) {
    const code = project.error instanceof TRPCClientError ? (project.error.data as { appCode?: string } | undefined)?.appCode : undefined;
    if (code === "NOT_FOUND" || code === "FORBIDDEN" || project.error.data?.code === "BAD_REQUEST") return <ProjectUnavailable />;
    return <p className="text-red-600">{project.error.message}</p>;
  }
  const revising =
    (state.phase === "judging" || state.phase === "confirming" || state.phase === "submitting") && state.revising !== undefined;
  const canUndo = lastJudgment !== null && !revising && state.phase !== "loading" && state.phase !== "submitting";

  return (
    <div className="space-y-4" data-testid="annotate" data-phase={state.phase}>
      <div className="flex flex-wrap items-center gap-4">
        <h1 className="text-xl font-semibold">{project.data?.name ?? "…"}</h1>
        {progress && (
          <div className="flex min-w-64 flex-1 items-center gap-3 text-sm text-slate-600">
            <span data-testid="progress-mine">{t("progress.mine", { mine: progress.mine })}</span>
            <div className="flex-1">
              <ProgressBar done={progress.doneSlots} target={progress.targetSlots} label={t("progress.label")} />
            </div>
            <span data-testid="progress-project">
              {format.number(progress.doneSlots)} / {format.number(progress.targetSlots)}
            </span>
          </div>
        )}
      </div>
      <p className="sr-only" aria-live="polite" data-testid="announcer">
        {announcement}
      </p>
      {project.data?.instructions && (
        <Instructions projectId={projectId} text={project.data.instructions} html={project.data.instructionsHtml} />
      )}
      {(canUndo || undoError) && (
        <div className="flex flex-wrap items-center gap-3 text-sm">
          {canUndo && lastJudgment !== null && (
            <button
              type="button"
              data-testid="undo"
              onClick={() => void startRevision(lastJudgment)}
              className="rounded-md border border-slate-300 bg-white px-3 py-1.5 text-slate-700 hover:bg-slate-50"
            >
              {t("undo.button")}
            </button>
          )}
          {undoError && (
            <span role="alert" className="text-red-700">
              {undoError}
            </span>
          )}
        </div>
      )}
      {revising && (
        <div
          className="flex flex-wrap items-center gap-3 rounded-lg border border-sky-300 bg-sky-50 p-3 text-sm text-sky-900"
          data-testid="revising"
        >
          <span>{t("revising.note")}</span>
          <button type="button" onClick={cancelRevision} className="rounded border border-sky-400 bg-white px-2 py-1 hover:bg-sky-100">
            {t("revising.keep")}
          </button>
        </div>
      )}
      {state.phase === "loading" && <p className="text-slate-500">{t("loading")}</p>}
      {state.phase === "failed" && <p className="text-red-600">{state.message}</p>}
      {state.phase === "empty" && (
        <div className="rounded-lg border border-slate-200 bg-white p-8 text-center" data-testid="queue-empty">
          <h2 className="text-lg font-medium">{t("empty.title")}</h2>
          <p className="mt-1 text-slate-600">{t("empty.body")}</p>
          <Link href="/" className="mt-4 inline-block text-blue-600 underline">
            {t("empty.back")}
          </Link>
        </div>
      )}
      {state.phase === "feedback" && <FeedbackView item={state.item} feedback={state.feedback} onContinue={onContinue} />}
      {(state.phase === "judging" || state.phase === "confirming" || state.phase === "submitting") && (
        <Judging
          state={state}
          criteria={criteria}
          settings={settings}
          dispatch={dispatch}
          onSubmit={() => send(state.phase === "confirming")}
          onSkip={onSkip}
        />
      )}
      {mode.data?.rewrites &&
        state.phase === "judging" &&
        state.revising === undefined &&
        state.item.responses.length === 2 &&
        (state.draft.outcome === "a" || state.draft.outcome === "b") && (
          <ImproveDraft
            key={`${state.item.assignmentId}-${state.draft.outcome}`}
            original={chosenText(state.item.responses.find((r) => r.position === (state.draft.outcome === "a" ? 0 : 1))?.content ?? "")}
            onChange={(text) => {
              improvedRef.current = text === null ? null : { assignmentId: state.item.assignmentId, text };
            }}
          />
        )}
    </div>
  );
}

/** The text an annotator improves: a plain response, or the last message of a chat response. */
function chosenText(content: Item["responses"][number]["content"]): string {
  return typeof content === "string" ? content : (content.at(-1)?.content ?? "");
}

/** The project's instructions: open on the first visit and whenever they changed since last shown. */
function Instructions({ projectId, text, html }: { projectId: number; text: string; html: string }) {
  const t = useTranslations("annotate");
  const [open, setOpen] = useState(false);
  useEffect(() => {
    const key = `arbiter:instructions:${projectId}`;
    const seen = window.localStorage.getItem(key);
    const version = instructionsVersion(text);
    if (seen !== version) {
      setOpen(true);
      window.localStorage.setItem(key, version);
    }
  }, [projectId, text]);
  return (
    <details
      className="rounded-lg border border-slate-200 bg-white p-3 text-sm"
      open={open}
      onToggle={(e) => setOpen(e.currentTarget.open)}
      data-testid="instructions"
    >
      <summary className="cursor-pointer font-medium text-slate-700">{t("instructions")}</summary>
      <div className="mt-2">
        <ModelHtml html={html} />
      </div>
    </details>
  );
}

/** A short fingerprint of the instructions (FNV-1a), so a changed text opens them again. */
function instructionsVersion(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return `${text.length}:${(h >>> 0).toString(16)}`;
}

/** A project that does not exist or is not open to this user: one friendly message and a way back. */
export function ProjectUnavailable() {
  const t = useTranslations("annotate.unavailable");
  return (
    <div
      className="mx-auto max-w-lg rounded-lg border border-slate-200 bg-white p-8 text-center shadow-sm"
      data-testid="project-unavailable"
    >
      <h1 className="text-lg font-semibold">{t("title")}</h1>
      <p className="mt-2 text-slate-600">{t("body")}</p>
      <Link href="/" className="mt-4 inline-block rounded-md bg-slate-900 px-4 py-2 text-sm font-medium text-white hover:bg-slate-700">
        {t("back")}
      </Link>
    </div>
  );
}

/** After a missed check item: the item again, the accepted answer and the explanation, then Continue. */
function FeedbackView({ item, feedback, onContinue }: { item: Item; feedback: Feedback; onContinue: () => void }) {
  const t = useTranslations("annotate");
  const describe = useDescribeAnswer();
  return (
    <div className="space-y-4" data-testid="answer-feedback">
      <section className="rounded-lg border border-amber-300 bg-amber-50 p-4" role="status">
        <h2 className="font-medium text-amber-900">{t("feedback.title")}</h2>
        <p className="mt-1 text-sm text-amber-900" data-testid="feedback-accepted">
          {t("feedback.accepted", { answers: feedback.accepted.map(describe).join(t("feedback.or")) })}
        </p>
        {feedback.explanation && (
          <div className="mt-2 text-sm text-slate-800" data-testid="feedback-explanation">
            <ModelHtml html={feedback.explanationHtml} />
          </div>
        )}
        <button
          type="button"
          data-testid="feedback-continue"
          onClick={onContinue}
          className="mt-3 rounded-md bg-slate-900 px-4 py-2 text-sm font-medium text-white hover:bg-slate-700"
        >
          {t("feedback.continue")} ⏎
        </button>
      </section>
      <section className="rounded-lg border border-slate-200 bg-white p-4 opacity-80">
        <h2 className="mb-2 text-xs font-semibold uppercase tracking-wide text-slate-500">{t("prompt")}</h2>
        <ContentView content={item.promptHtml} />
      </section>
      <div className={`grid grid-cols-1 gap-4 ${item.responses.length === 2 ? "md:grid-cols-2" : "lg:grid-cols-3"}`}>
        {item.responses.map((r) => (
          <section key={r.position} className="min-w-0 rounded-lg border border-slate-200 bg-white p-4 opacity-80">
            <h2 className="mb-2 text-xs font-semibold uppercase tracking-wide text-slate-500">
              {t("response", { letter: letter(r.position) })}
            </h2>
            <ContentView content={r.html} />
          </section>
        ))}
      </div>
    </div>
  );
}

type WorkingState = Extract<State, { phase: "judging" | "confirming" | "submitting" }>;

function Judging({
  state,
  criteria,
  settings,
  dispatch,
  onSubmit,
  onSkip,
}: {
  state: WorkingState;
  criteria: string[];
  settings: Settings;
  dispatch: (a: Parameters<typeof reducer>[1]) => void;
  onSubmit: () => void;
  onSkip: () => void;
}) {
  const { item, draft } = state;
  const k = item.responses.length;
  const chosen = (pos: number) =>
    k === 2 ? (draft.outcome === "a" && pos === 0) || (draft.outcome === "b" && pos === 1) : draft.ranking[0] === pos;
  const cols = k === 2 ? "md:grid-cols-2" : k === 3 ? "lg:grid-cols-3" : "md:grid-cols-2 xl:grid-cols-4";
  const needsStrength = settings.strengthScale && (draft.outcome === "a" || draft.outcome === "b");
  const [folded, setFolded] = useState(false);
  const t = useTranslations("annotate");
  return (
    <div className="space-y-4" data-testid="item" data-assignment={item.assignmentId}>
      <section className="min-w-0 rounded-lg border border-slate-200 bg-white p-4 shadow-sm" data-testid="prompt">
        <h2 className="mb-2 text-xs font-semibold uppercase tracking-wide text-slate-500">{t("prompt")}</h2>
        <ContentView content={item.promptHtml} />
      </section>
      <div className={`grid grid-cols-1 gap-4 ${cols}`}>
        {item.responses.map((r) => (
          <section
            key={r.position}
            data-testid={`response-${letter(r.position)}`}
            className={`min-w-0 rounded-lg border bg-white p-4 shadow-sm transition ${chosen(r.position) ? "border-emerald-500 ring-2 ring-emerald-200" : "border-slate-200"} ${draft.selected === r.position ? "outline outline-2 outline-sky-400" : ""}`}
          >
            <h2 className="mb-2 flex items-center justify-between text-xs font-semibold uppercase tracking-wide text-slate-500">
              <span>{t("response", { letter: letter(r.position) })}</span>
              {k > 2 && <span className="normal-case text-slate-500">{t("rank", { rank: draft.ranking.indexOf(r.position) + 1 })}</span>}
            </h2>
            <ContentView content={r.html} />
          </section>
        ))}
      </div>

      <section
        className="sticky bottom-0 z-10 max-h-[45vh] space-y-3 overflow-y-auto rounded-lg border border-slate-200 bg-white p-3 shadow-lg sm:p-4"
        data-testid="judgment-panel"
        aria-label={t("panel.title")}
        data-folded={folded}
      >
        <div className="flex items-center justify-between gap-2">
          <h2 className="text-xs font-semibold uppercase tracking-wide text-slate-600">{t("panel.title")}</h2>
          <button
            type="button"
            data-testid="fold-panel"
            aria-expanded={!folded}
            onClick={() => setFolded((f) => !f)}
            className="rounded border border-slate-300 px-2 py-0.5 text-xs text-slate-600 hover:bg-slate-50"
          >
            {folded ? t("panel.show") : t("panel.fold")}
          </button>
        </div>
        {folded ? null : k === 2 ? (
          <div className="flex flex-wrap items-center gap-2">
            {OUTCOMES.map((o) => (
              <button
                key={o.value}
                type="button"
                data-testid={`outcome-${o.value}`}
                aria-pressed={draft.outcome === o.value}
                onClick={() => dispatch({ type: "outcome", outcome: o.value })}
                className={`rounded-md border px-3 py-1.5 text-sm ${draft.outcome === o.value ? "border-slate-900 bg-slate-900 text-white" : "border-slate-300 hover:bg-slate-50"}`}
              >
                <kbd className="mr-1 text-xs opacity-60">{o.key}</kbd>
                {t(`outcome.${o.value}`)}
              </button>
            ))}
            {needsStrength && (
              <div
                className="flex w-full flex-wrap items-center gap-1 sm:ml-2 sm:w-auto sm:border-l sm:border-slate-200 sm:pl-3"
                data-testid="strength"
              >
                <span className="mr-1 text-sm text-slate-500">{t("strength.question")}</span>
                {STRENGTHS.map((word, i) => (
                  <button
                    key={word}
                    type="button"
                    data-testid={`strength-${i + 1}`}
                    aria-pressed={draft.strength === i + 1}
                    onClick={() => dispatch({ type: "strength", strength: i + 1 })}
                    className={`rounded-md border px-2.5 py-1 text-sm ${draft.strength === i + 1 ? "border-emerald-700 bg-emerald-700 text-white" : "border-slate-300 hover:bg-slate-50"}`}
                  >
                    <kbd className="mr-1 text-xs opacity-60">{i + 1}</kbd>
                    {t(`strength.${word}`)}
                  </button>
                ))}
              </div>
            )}
          </div>
        ) : (
          <RankingPanel state={state} dispatch={dispatch} />
        )}

        {/* Criteria answers are pairwise (A / B / tie / both bad): asked for K = 2 only. */}
        {!folded && k === 2 && criteria.length > 0 && (
          <div className="flex flex-wrap gap-x-6 gap-y-2 text-sm" data-testid="criteria">
            {criteria.map((c) => (
              <fieldset key={c} className="flex items-center gap-1">
                <legend className="sr-only">{c}</legend>
                <span className="mr-1 capitalize text-slate-600">{c}:</span>
                {(["a", "b", "tie", "both_bad"] as const).map((o) => (
                  <button
                    key={o}
                    type="button"
                    data-testid={`criterion-${c}-${o}`}
                    aria-pressed={draft.criteria[c] === o}
                    onClick={() => dispatch({ type: "criterion", name: c, outcome: o })}
                    className={`rounded border px-2 py-0.5 text-xs ${draft.criteria[c] === o ? "border-sky-700 bg-sky-700 text-white" : "border-slate-300 hover:bg-slate-50"}`}
                  >
                    {o === "both_bad" ? t("criterion.both_bad") : o === "tie" ? t("criterion.tie") : o.toUpperCase()}
                  </button>
                ))}
              </fieldset>
            ))}
          </div>
        )}

        {!folded && settings.rationalePolicy !== "off" && (
          <textarea
            aria-label={settings.rationalePolicy === "required" ? t("rationale.required") : t("rationale.optional")}
            data-testid="rationale"
            value={draft.rationale}
            onChange={(e) => dispatch({ type: "rationale", text: e.target.value })}
            placeholder={settings.rationalePolicy === "required" ? t("rationale.requiredHint") : t("rationale.optionalHint")}
            rows={2}
            className="w-full rounded border border-slate-300 p-2 text-sm"
          />
        )}

        <div className="flex flex-wrap items-center gap-3">
          <button
            type="button"
            data-testid="submit"
            onClick={onSubmit}
            disabled={state.phase === "submitting"}
            className="rounded-md bg-emerald-700 px-4 py-2 text-sm font-medium text-white hover:bg-emerald-800 disabled:opacity-50"
          >
            {state.phase === "submitting"
              ? t("submit.saving")
              : state.phase === "confirming"
                ? t("submit.confirm")
                : `${t("submit.button")} ⏎`}
          </button>
          <button
            type="button"
            data-testid="skip"
            onClick={onSkip}
            disabled={state.phase !== "judging"}
            className="text-sm text-slate-500 underline hover:text-slate-700"
          >
            {t("skip")}
          </button>
          {state.phase === "confirming" && (
            <span className="text-sm text-amber-700" data-testid="confirm-ranking">
              {t("confirmRanking")}
            </span>
          )}
          {state.error && (
            <span role="alert" className="text-sm text-red-600" data-testid="error">
              {state.error}
            </span>
          )}
          <span className="ml-auto hidden text-xs text-slate-500 md:inline">{k === 2 ? t("keys.pair") : t("keys.ranking")}</span>
        </div>
      </section>
    </div>
  );
}

/** The first words of a response (last message for chats), so ranking rows say which is which. */
function excerpt(content: Item["responses"][number]["content"]): string | null {
  const text = typeof content === "string" ? content : (content[content.length - 1]?.content ?? "");
  const flat = text
    .replace(/```[\w-]*/g, " ")
    .replace(/[#*`>]+/g, "")
    .replace(/\s+/g, " ")
    .trim();
  if (flat === "") return null;
  return flat.length > 90 ? `${flat.slice(0, 89)}…` : flat;
}

function RankingPanel({ state, dispatch }: { state: WorkingState; dispatch: (a: Parameters<typeof reducer>[1]) => void }) {
  const { draft } = state;
  const [dragging, setDragging] = useState<number | null>(null);
  const t = useTranslations("annotate");
  return (
    <div>
      <p className="mb-2 text-sm text-slate-600">{t("ranking.help")}</p>
      <ol className="space-y-1" data-testid="ranking">
        {draft.ranking.map((pos, i) => (
          <li
            key={pos}
            draggable
            onDragStart={() => setDragging(pos)}
            onDragOver={(e) => e.preventDefault()}
            onDrop={() => {
              if (dragging !== null) dispatch({ type: "place", position: dragging, index: i });
              setDragging(null);
            }}
            data-testid={`rank-${i + 1}`}
            className={`flex cursor-grab items-center gap-2 rounded border px-3 py-1.5 text-sm ${draft.selected === pos ? "border-sky-400 bg-sky-50" : "border-slate-200 bg-white"}`}
          >
            <span className="w-6 text-slate-500">{i + 1}.</span>
            <button
              type="button"
              className="flex min-w-0 flex-1 flex-col text-left sm:flex-row sm:items-baseline sm:gap-2"
              aria-label={t("ranking.select", { letter: letter(pos), rank: i + 1 })}
              onClick={() => dispatch({ type: "select", position: pos })}
            >
              <span className="shrink-0 font-medium">{t("response", { letter: letter(pos) })}</span>
              <span className="truncate text-xs text-slate-600 sm:text-sm" data-testid={`excerpt-${letter(pos)}`}>
                {excerpt(state.item.responses[pos]?.content ?? "") ?? t("ranking.emptyResponse")}
              </span>
            </button>
            <span className="ml-auto flex shrink-0 gap-1">
              <button
                type="button"
                aria-label={t("ranking.up", { letter: letter(pos) })}
                disabled={i === 0}
                onClick={() => dispatch({ type: "move", position: pos, delta: -1 })}
                className="rounded border border-slate-300 px-1.5 disabled:opacity-30"
              >
                ↑
              </button>
              <button
                type="button"
                aria-label={t("ranking.down", { letter: letter(pos) })}
                disabled={i === draft.ranking.length - 1}
                onClick={() => dispatch({ type: "move", position: pos, delta: 1 })}
                className="rounded border border-slate-300 px-1.5 disabled:opacity-30"
              >
                ↓
              </button>
            </span>
          </li>
        ))}
      </ol>
    </div>
  );
}

/** An accepted answer in words, in the annotator's shown positions: "A is better (strong)", "Tie", "A > C > B". */
function useDescribeAnswer(): (answer: string) => string {
  const t = useTranslations("annotate");
  return (answer) => {
    const pair = /^(a|b)(?::([1-4]))?$/.exec(answer);
    if (pair) {
      const better = t(`outcome.${pair[1] as "a" | "b"}`);
      const word = pair[2] ? STRENGTHS[Number(pair[2]) - 1] : undefined;
      return word ? t("feedback.withStrength", { answer: better, strength: t(`strength.${word}`) }) : better;
    }
    if (answer === "tie" || answer === "both_bad") return t(`outcome.${answer}`);
    if (answer.startsWith("[")) return (JSON.parse(answer) as number[]).map(letter).join(" > ");
    return answer;
  };
}

"use client";
import { useMutation } from "@tanstack/react-query";
import { useTranslations } from "next-intl";
import { useEffect, useMemo, useRef, useState } from "react";
import { useTRPC } from "@/app/_components/trpc";

type Piece = { kind: "same" | "added" | "removed"; text: string };

/** Word-level diff (longest common subsequence over words and spaces); small texts, so O(n·m) is fine. */
export function diffWords(before: string, after: string): Piece[] {
  const a = before.split(/(\s+)/).filter(Boolean);
  const b = after.split(/(\s+)/).filter(Boolean);
  if (a.length * b.length > 4_000_000)
    return [
      { kind: "removed", text: before },
      { kind: "added", text: after },
    ];
  const lcs: number[][] = Array.from({ length: a.length + 1 }, () => new Array<number>(b.length + 1).fill(0));
  for (let i = a.length - 1; i >= 0; i--)
    for (let j = b.length - 1; j >= 0; j--)
      (lcs[i] as number[])[j] =
        a[i] === b[j]
          ? ((lcs[i + 1] as number[])[j + 1] as number) + 1
          : Math.max((lcs[i + 1] as number[])[j] as number, (lcs[i] as number[])[j + 1] as number);
  const out: Piece[] = [];
  const push = (kind: Piece["kind"], text: string) => {
    const last = out.at(-1);
    if (last?.kind === kind) last.text += text;
    else out.push({ kind, text });
  };
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    if (a[i] === b[j]) {
      push("same", a[i] as string);
      i++;
      j++;
    } else if (((lcs[i + 1] as number[])[j] as number) >= ((lcs[i] as number[])[j + 1] as number)) push("removed", a[i++] as string);
    else push("added", b[j++] as string);
  }
  while (i < a.length) push("removed", a[i++] as string);
  while (j < b.length) push("added", b[j++] as string);
  return out;
}

/**
 * The word diff of an improvement: insertions and deletions are marked for the eye (colour and
 * underline / strike-through) and, because screen readers do not announce <ins>/<del>, in words too.
 */
function DiffView({ original, text }: { original: string; text: string }) {
  const t = useTranslations("live.rewrite");
  const pieces = useMemo(() => diffWords(original, text).map((p, i) => ({ ...p, key: `${i}-${p.kind}` })), [original, text]);
  return (
    <>
      <h3 className="mt-2 text-sm font-medium">{t("changes")}</h3>
      <p className="whitespace-pre-wrap break-words rounded bg-slate-50 p-2 text-sm" data-testid="rewrite-diff">
        {pieces.map((p) =>
          p.kind === "same" ? (
            <span key={p.key}>{p.text}</span>
          ) : p.kind === "added" ? (
            <ins key={p.key} className="bg-green-100 text-green-900">
              <span className="sr-only">{t("added")} </span>
              {p.text}
            </ins>
          ) : (
            <del key={p.key} className="bg-red-100 text-red-900">
              <span className="sr-only">{t("removed")} </span>
              {p.text}
            </del>
          ),
        )}
      </p>
    </>
  );
}

/** Puts keyboard focus in the editor when it opens (the annotator asked for it by pressing Improve). */
function useFocusOnOpen<T extends HTMLElement>() {
  const ref = useRef<T>(null);
  useEffect(() => ref.current?.focus(), []);
  return ref;
}

/**
 * "Improve": the chosen answer in an editor with a live diff against the original; saved as a
 * human-written response attached to the annotator's judgment (an SFT demonstration). `onDone` says
 * whether it was saved.
 */
export function RewriteEditor({
  judgmentId,
  original,
  onDone,
}: {
  judgmentId: number;
  original: string;
  onDone: (saved: boolean) => void;
}) {
  const t = useTranslations("live.rewrite");
  const trpc = useTRPC();
  const [text, setText] = useState(original);
  const save = useMutation(trpc.conversations.rewrite.mutationOptions({ onSuccess: () => onDone(true) }));
  const editor = useFocusOnOpen<HTMLTextAreaElement>();
  const changed = text.trim() !== original.trim() && text.trim() !== "";
  return (
    <section aria-label={t("region")} className="mt-4 rounded border border-slate-300 bg-white p-3" data-testid="rewrite-editor">
      <label className="block text-sm font-medium" htmlFor={`rewrite-${judgmentId}`}>
        {t("label")}
      </label>
      <textarea
        ref={editor}
        id={`rewrite-${judgmentId}`}
        className="mt-1 h-40 w-full rounded border border-slate-400 p-2 font-mono text-sm"
        value={text}
        onChange={(e) => setText(e.target.value)}
      />
      <DiffView original={original} text={text} />
      {save.error ? (
        <p role="alert" className="mt-1 text-sm text-red-700">
          {save.error.message}
        </p>
      ) : null}
      <div className="mt-2 flex gap-2">
        <button
          type="button"
          className="rounded bg-slate-800 px-3 py-1 text-sm text-white disabled:opacity-50"
          disabled={!changed || save.isPending}
          onClick={() => save.mutate({ judgmentId, text })}
        >
          {save.isPending ? t("saving") : t("save")}
        </button>
        <button type="button" className="rounded border border-slate-400 bg-white px-3 py-1 text-sm" onClick={() => onDone(false)}>
          {t("cancel")}
        </button>
      </div>
    </section>
  );
}

/**
 * "Improve" on a pairwise item before submitting: the chosen response in an editor with the diff; the
 * text is attached to the judgment when it is submitted (`onChange` gets null when unchanged or
 * cancelled).
 */
export function ImproveDraft({ original, onChange }: { original: string; onChange: (text: string | null) => void }) {
  const t = useTranslations("live.rewrite");
  const [open, setOpen] = useState(false);
  const [text, setText] = useState(original);
  if (!open)
    return (
      <button
        type="button"
        className="mt-2 rounded border border-slate-400 bg-white px-3 py-1 text-sm"
        onClick={() => {
          setOpen(true);
          setText(original);
        }}
      >
        {t("improve")}
      </button>
    );
  const update = (value: string) => {
    setText(value);
    onChange(value.trim() !== "" && value.trim() !== original.trim() ? value : null);
  };
  return (
    <DraftEditor
      original={original}
      text={text}
      onText={update}
      onDiscard={() => {
        setOpen(false);
        onChange(null);
      }}
    />
  );
}

function DraftEditor({
  original,
  text,
  onText,
  onDiscard,
}: {
  original: string;
  text: string;
  onText: (text: string) => void;
  onDiscard: () => void;
}) {
  const t = useTranslations("live.rewrite");
  const editor = useFocusOnOpen<HTMLTextAreaElement>();
  return (
    <section aria-label={t("region")} className="mt-4 rounded border border-slate-300 bg-white p-3" data-testid="rewrite-editor">
      <label className="block text-sm font-medium" htmlFor="improve-draft">
        {t("labelDraft")}
      </label>
      <textarea
        ref={editor}
        id="improve-draft"
        className="mt-1 h-40 w-full rounded border border-slate-400 p-2 font-mono text-sm"
        value={text}
        onChange={(e) => onText(e.target.value)}
      />
      <DiffView original={original} text={text} />
      <button type="button" className="mt-2 rounded border border-slate-400 bg-white px-3 py-1 text-sm" onClick={onDiscard}>
        {t("discard")}
      </button>
    </section>
  );
}

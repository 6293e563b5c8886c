"use client";
import { useMutation } from "@tanstack/react-query";
import { useMemo, useState } from "react";
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
 * "Improve": the chosen answer in an editor with a live diff against the original; saved as a
 * human-written response attached to the annotator's judgment (an SFT demonstration).
 */
export function RewriteEditor({ judgmentId, original, onDone }: { judgmentId: number; original: string; onDone: () => void }) {
  const trpc = useTRPC();
  const [text, setText] = useState(original);
  const save = useMutation(trpc.conversations.rewrite.mutationOptions({ onSuccess: onDone }));
  const pieces = useMemo(() => diffWords(original, text).map((p, i) => ({ ...p, key: `${i}-${p.kind}` })), [original, text]);
  const changed = text.trim() !== original.trim() && text.trim() !== "";
  return (
    <section aria-label="Improve the chosen answer" className="mt-4 rounded border border-slate-300 p-3" data-testid="rewrite-editor">
      <label className="block text-sm font-medium" htmlFor={`rewrite-${judgmentId}`}>
        Improved answer
      </label>
      <textarea
        id={`rewrite-${judgmentId}`}
        className="mt-1 h-40 w-full rounded border border-slate-400 p-2 font-mono text-sm"
        value={text}
        onChange={(e) => setText(e.target.value)}
      />
      <h3 className="mt-2 text-sm font-medium">Changes</h3>
      <p className="whitespace-pre-wrap rounded bg-slate-50 p-2 text-sm" data-testid="rewrite-diff">
        {pieces.map((p) =>
          p.kind === "same" ? (
            <span key={p.key}>{p.text}</span>
          ) : p.kind === "added" ? (
            <ins key={p.key} className="bg-green-100 text-green-900">
              {p.text}
            </ins>
          ) : (
            <del key={p.key} className="bg-red-100 text-red-900">
              {p.text}
            </del>
          ),
        )}
      </p>
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
          Save improvement
        </button>
        <button type="button" className="rounded border border-slate-400 px-3 py-1 text-sm" onClick={onDone}>
          Cancel
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
  const [open, setOpen] = useState(false);
  const [text, setText] = useState(original);
  const pieces = useMemo(() => diffWords(original, text).map((p, i) => ({ ...p, key: `${i}-${p.kind}` })), [original, text]);
  if (!open)
    return (
      <button
        type="button"
        className="mt-2 rounded border border-slate-400 px-3 py-1 text-sm"
        onClick={() => {
          setOpen(true);
          setText(original);
        }}
      >
        Improve
      </button>
    );
  const update = (t: string) => {
    setText(t);
    onChange(t.trim() !== "" && t.trim() !== original.trim() ? t : null);
  };
  return (
    <section
      aria-label="Improve the chosen answer"
      className="mt-4 rounded border border-slate-300 bg-white p-3"
      data-testid="rewrite-editor"
    >
      <label className="block text-sm font-medium" htmlFor="improve-draft">
        Improved answer (saved with your judgment)
      </label>
      <textarea
        id="improve-draft"
        className="mt-1 h-40 w-full rounded border border-slate-400 p-2 font-mono text-sm"
        value={text}
        onChange={(e) => update(e.target.value)}
      />
      <h3 className="mt-2 text-sm font-medium">Changes</h3>
      <p className="whitespace-pre-wrap rounded bg-slate-50 p-2 text-sm" data-testid="rewrite-diff">
        {pieces.map((p) =>
          p.kind === "same" ? (
            <span key={p.key}>{p.text}</span>
          ) : p.kind === "added" ? (
            <ins key={p.key} className="bg-green-100 text-green-900">
              {p.text}
            </ins>
          ) : (
            <del key={p.key} className="bg-red-100 text-red-900">
              {p.text}
            </del>
          ),
        )}
      </p>
      <button
        type="button"
        className="mt-2 rounded border border-slate-400 px-3 py-1 text-sm"
        onClick={() => {
          setOpen(false);
          onChange(null);
        }}
      >
        Discard improvement
      </button>
    </section>
  );
}

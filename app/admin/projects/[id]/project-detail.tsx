"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useSession } from "next-auth/react";
import { type FormEvent, useState } from "react";
import { ProgressBar } from "@/app/_components/progress-bar";
import { useTRPC } from "@/app/_components/trpc";

type ImportOutcome = {
  items: number;
  responses: number;
  judgments: number;
  errors: { line?: number; field: string; message: string }[];
  errorCount: number;
  fileName: string;
};

export function ProjectDetail({ projectId }: { projectId: number }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const { data: session } = useSession();
  const project = useQuery(trpc.projects.get.queryOptions({ projectId }));
  const upload = useMutation(trpc.projects.import.mutationOptions());
  const [outcome, setOutcome] = useState<ImportOutcome | null>(null);
  const [error, setError] = useState<string | null>(null);

  if (project.isPending) return <p className="text-slate-500">Loading…</p>;
  if (project.error) return <p className="text-red-600">{project.error.message}</p>;
  const p = project.data;
  const s = p.status;

  function onImport(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    form.set("projectId", String(projectId));
    setOutcome(null);
    setError(null);
    upload.mutate(form, {
      onSuccess: (r) => {
        setOutcome(r);
        queryClient.invalidateQueries({ queryKey: trpc.projects.get.queryKey({ projectId }) });
      },
      onError: (err) => setError(err.message),
    });
  }

  const stats: [string, number][] = [
    ["Items", s.items],
    ["Responses", s.responses],
    ["Judgments", s.judgments],
    ["Annotators", s.annotators],
    ["Items done", s.done_items],
  ];
  const settings: [string, string][] = [
    ["Criteria", p.criteria.length ? p.criteria.join(", ") : "—"],
    ["Rationale", p.rationalePolicy],
    ["Strength scale", p.strengthScale ? "on" : "off"],
    ["Lease", `${Math.round(p.leaseSeconds / 60)} min`],
  ];
  return (
    <div className="space-y-6">
      <div className="flex items-center gap-4">
        <Link href="/admin" className="text-sm text-blue-700 hover:underline">
          ← Projects
        </Link>
        <h1 className="text-2xl font-semibold" data-testid="project-title">
          {p.name}
        </h1>
        <Link
          href={`/admin/projects/${p.id}/quality`}
          className="ml-auto rounded border border-slate-300 px-3 py-1.5 text-sm hover:bg-white"
          data-testid="quality-link"
        >
          Quality
        </Link>
        <Link
          href={`/admin/projects/${p.id}/exports`}
          className="rounded border border-slate-300 px-3 py-1.5 text-sm hover:bg-white"
          data-testid="exports-link"
        >
          Exports
        </Link>
        <Link href={`/annotate/${p.id}`} className="rounded border border-slate-300 px-3 py-1.5 text-sm hover:bg-white">
          Judge items
        </Link>
      </div>
      <div className="grid grid-cols-2 gap-3 sm:grid-cols-5" data-testid="project-status">
        {stats.map(([label, n]) => (
          <div key={label} className="rounded-lg border border-slate-200 bg-white p-3 shadow-sm">
            <div className="text-xs uppercase tracking-wide text-slate-500">{label}</div>
            <div className="text-xl font-semibold tabular-nums">{n.toLocaleString("en")}</div>
          </div>
        ))}
      </div>
      <div className="rounded-lg border border-slate-200 bg-white p-4 shadow-sm">
        <div className="mb-2 text-sm text-slate-600">
          Judgments toward the target ({p.overlap} per item): {Math.min(p.doneSlots, p.itemCount * p.overlap).toLocaleString("en")} /{" "}
          {(p.itemCount * p.overlap).toLocaleString("en")}
        </div>
        <ProgressBar done={p.doneSlots} target={p.itemCount * p.overlap} label="judgments done" />
        <dl className="mt-4 grid grid-cols-2 gap-2 text-sm sm:grid-cols-4">
          {settings.map(([label, value]) => (
            <div key={label}>
              <dt className="text-slate-500">{label}</dt>
              <dd>{value}</dd>
            </div>
          ))}
        </dl>
      </div>

      {session?.user?.role === "admin" && (
        <form onSubmit={onImport} className="space-y-3 rounded-lg border border-slate-200 bg-white p-4 shadow-sm" data-testid="import-form">
          <h2 className="font-medium">Import items (JSONL, arbiter format)</h2>
          <p className="text-sm text-slate-600">
            One item per line: <code>{'{"id", "prompt", "responses": [{"model", "text"}], "judgments"?}'}</code>. The import is all or
            nothing: any bad line and nothing is written. Very large files import faster with <code>npm run arbiter -- import</code>.
          </p>
          <input
            type="file"
            name="file"
            accept=".jsonl,.json,.txt,application/jsonl"
            required
            data-testid="import-file"
            className="block text-sm"
          />
          <button
            type="submit"
            disabled={upload.isPending}
            data-testid="import-submit"
            className="rounded bg-slate-900 px-4 py-2 text-sm text-white hover:bg-slate-700 disabled:opacity-50"
          >
            {upload.isPending ? "Importing…" : "Import"}
          </button>
          {error && (
            <p role="alert" className="text-sm text-red-600">
              {error}
            </p>
          )}
          {outcome && outcome.errorCount === 0 && (
            <p className="text-sm text-emerald-700" data-testid="import-ok">
              Imported {outcome.items} items, {outcome.responses} responses and {outcome.judgments} judgments from {outcome.fileName}.
            </p>
          )}
          {outcome && outcome.errorCount > 0 && (
            <div className="text-sm text-red-700" data-testid="import-errors">
              <p className="font-medium">
                Nothing was imported: {outcome.errorCount} problem{outcome.errorCount === 1 ? "" : "s"} in {outcome.fileName}.
              </p>
              <ul className="mt-1 max-h-64 list-disc overflow-y-auto pl-5">
                {outcome.errors.map((e, i) => (
                  // biome-ignore lint/suspicious/noArrayIndexKey: a fixed report
                  <li key={i}>
                    {e.line !== undefined ? `line ${e.line}, ` : ""}field {e.field}: {e.message}
                  </li>
                ))}
              </ul>
            </div>
          )}
        </form>
      )}
    </div>
  );
}

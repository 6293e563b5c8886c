"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useSession } from "next-auth/react";
import { type FormEvent, useState } from "react";
import { Bar, BarChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { ProgressBar } from "@/app/_components/progress-bar";
import { useTRPC } from "@/app/_components/trpc";

const FORMATS = ["trl", "trl-conversational", "hh", "arena", "raw", "csv", "parquet"] as const;
type Format = (typeof FORMATS)[number];
const AGGREGATES = ["all", "majority", "soft", "dawid-skene"] as const;

export function ExportsPanel({ projectId }: { projectId: number }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const { data: session } = useSession();
  const isAdmin = session?.user?.role === "admin";
  const list = useQuery(trpc.exports.list.queryOptions({ projectId }));
  const create = useMutation(trpc.exports.create.mutationOptions());
  const [error, setError] = useState<string | null>(null);
  const [runId, setRunId] = useState<string | null>(null);
  // While an export runs, its progress (items written) is polled.
  const progress = useQuery({
    ...trpc.exports.progress.queryOptions({ projectId, runId: runId ?? "00000000-0000-4000-8000-000000000000" }),
    enabled: runId !== null && create.isPending,
    refetchInterval: 400,
    staleTime: 0,
  });
  const [from, setFrom] = useState<number | null>(null);
  const [to, setTo] = useState<number | null>(null);
  const diff = useQuery({
    ...trpc.exports.diff.queryOptions({ projectId, from: from ?? 1, to: to ?? 1 }),
    enabled: from !== null && to !== null,
  });

  function onCreate(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const f = new FormData(e.currentTarget);
    setError(null);
    const id = crypto.randomUUID();
    setRunId(id);
    create.mutate(
      {
        projectId,
        runId: id,
        format: String(f.get("format")) as Format,
        policies: {
          ties: f.get("ties") === "keep" ? "keep" : "drop",
          bothBad: f.get("bothBad") === "keep" ? "keep" : "drop",
          aggregate: AGGREGATES.find((a) => a === f.get("aggregate")) ?? "all",
          kway: f.get("kway") === "best-vs-rest" ? "best-vs-rest" : "all-pairs",
          margin: f.get("margin") === "on",
        },
      },
      {
        onSuccess: () => queryClient.invalidateQueries({ queryKey: trpc.exports.list.queryKey({ projectId }) }),
        onError: (err) => setError(err.message),
      },
    );
  }

  const snapshots = list.data ?? [];
  const select = "rounded border border-slate-300 bg-white px-2 py-1 text-sm";
  return (
    <div className="space-y-6">
      <div className="flex items-baseline gap-3">
        <Link href={`/admin/projects/${projectId}`} className="text-sm text-blue-700 hover:underline">
          ← Project
        </Link>
        <h1 className="text-2xl font-semibold">Exports</h1>
      </div>

      {isAdmin && (
        <form
          onSubmit={onCreate}
          className="flex flex-wrap items-end gap-3 rounded-lg border border-slate-200 bg-white p-4 shadow-sm"
          data-testid="export-form"
        >
          <label className="text-sm">
            Format
            <select name="format" className={`${select} ml-2`} data-testid="export-format" defaultValue="trl">
              {FORMATS.map((f) => (
                <option key={f}>{f}</option>
              ))}
            </select>
          </label>
          <label className="text-sm">
            Ties
            <select name="ties" className={`${select} ml-2`} defaultValue="drop">
              <option>drop</option>
              <option>keep</option>
            </select>
          </label>
          <label className="text-sm">
            Both bad
            <select name="bothBad" className={`${select} ml-2`} defaultValue="drop">
              <option>drop</option>
              <option>keep</option>
            </select>
          </label>
          <label className="text-sm">
            Aggregate
            <select name="aggregate" className={`${select} ml-2`} defaultValue="all">
              <option value="all">all votes</option>
              <option value="majority">majority</option>
              <option value="soft">soft labels (votes, p_chosen, entropy)</option>
              <option value="dawid-skene">Dawid-Skene (posterior winner, p_chosen = posterior)</option>
            </select>
          </label>
          <label className="text-sm">
            Rankings
            <select name="kway" className={`${select} ml-2`} defaultValue="all-pairs">
              <option value="all-pairs">all pairs</option>
              <option value="best-vs-rest">best vs rest</option>
            </select>
          </label>
          <label className="flex items-center gap-1 text-sm">
            <input type="checkbox" name="margin" /> margin from strength
          </label>
          <button
            type="submit"
            disabled={create.isPending}
            className="rounded bg-slate-900 px-3 py-1.5 text-sm text-white disabled:opacity-50"
            data-testid="export-submit"
          >
            {create.isPending ? "Exporting…" : "Export"}
          </button>
          {create.isPending && (
            <div className="w-full text-sm text-slate-600" data-testid="export-progress">
              <div className="mb-1">
                Exporting: {(progress.data?.itemsDone ?? 0).toLocaleString("en")} / {(progress.data?.itemsTotal ?? 0).toLocaleString("en")}{" "}
                items
              </div>
              <ProgressBar
                done={progress.data?.itemsDone ?? 0}
                target={Math.max(progress.data?.itemsTotal ?? 1, 1)}
                label="items exported"
              />
            </div>
          )}
          {error && (
            <p className="w-full text-sm text-red-700" data-testid="export-error">
              {error}
            </p>
          )}
        </form>
      )}

      {snapshots.length > 1 && (
        <div className="h-48 rounded-lg border border-slate-200 bg-white p-3" data-testid="snapshot-chart">
          <ResponsiveContainer width="100%" height="100%">
            <BarChart data={[...snapshots].reverse().map((s) => ({ name: `#${s.id} ${s.format}`, rows: s.rowCount }))}>
              <XAxis dataKey="name" fontSize={11} />
              <YAxis fontSize={11} />
              <Tooltip />
              <Bar dataKey="rows" fill="#334155" />
            </BarChart>
          </ResponsiveContainer>
        </div>
      )}

      {/* Every cell padded so headers never run together ("Rowssha256"); scrolls sideways on a phone. */}
      {/* biome-ignore lint/a11y/noNoninteractiveTabindex: a table that scrolls sideways must be reachable by keyboard */}
      <div className="max-w-full overflow-x-auto rounded-lg border border-slate-200 bg-white" tabIndex={0}>
        <table
          className="w-full text-left text-sm [&_td]:px-3 [&_td]:py-1.5 [&_th]:whitespace-nowrap [&_th]:px-3 [&_th]:py-2"
          data-testid="snapshot-list"
        >
          <thead className="bg-slate-50 text-slate-600">
            <tr>
              <th scope="col">Snapshot</th>
              <th>Format</th>
              <th>Policies</th>
              <th className="text-right">Rows</th>
              <th>sha256</th>
              <th>Created</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {list.isPending && (
              <tr>
                <td colSpan={7} className="py-2 text-slate-500">
                  Loading…
                </td>
              </tr>
            )}
            {!list.isPending && snapshots.length === 0 && (
              <tr>
                <td colSpan={7} className="py-2 text-slate-500">
                  No exports yet.
                </td>
              </tr>
            )}
            {snapshots.map((s) => (
              <tr key={s.id} className="border-t border-slate-200" data-testid={`snapshot-${s.id}`}>
                <td className="py-1">#{s.id}</td>
                <td>{s.format}</td>
                <td className="font-mono text-xs">
                  {Object.entries(s.policies)
                    .map(([k, v]) => `${k}=${String(v)}`)
                    .join(" ")}
                </td>
                <td className="text-right tabular-nums">{s.rowCount.toLocaleString("en")}</td>
                <td className="font-mono text-xs" title={s.sha256}>
                  {s.sha256.slice(0, 12)}…
                </td>
                <td>{new Date(s.createdAt * 1000).toLocaleString()}</td>
                <td className="text-right">
                  {s.downloadable ? (
                    <a href={`/api/exports/${s.id}`} className="text-blue-700 hover:underline" data-testid={`download-${s.id}`}>
                      Download
                    </a>
                  ) : (
                    <span className="text-slate-500">CLI export</span>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>

      {snapshots.length > 1 && (
        <div className="space-y-2 rounded-lg border border-slate-200 bg-white p-4" data-testid="snapshot-diff">
          <div className="flex items-center gap-2 text-sm">
            Compare
            <select className={select} value={from ?? ""} onChange={(e) => setFrom(Number(e.target.value) || null)} data-testid="diff-from">
              <option value="">…</option>
              {snapshots.map((s) => (
                <option key={s.id} value={s.id}>
                  #{s.id}
                </option>
              ))}
            </select>
            with
            <select className={select} value={to ?? ""} onChange={(e) => setTo(Number(e.target.value) || null)} data-testid="diff-to">
              <option value="">…</option>
              {snapshots.map((s) => (
                <option key={s.id} value={s.id}>
                  #{s.id}
                </option>
              ))}
            </select>
          </div>
          {diff.data && (
            <p className="text-sm" data-testid="diff-result">
              {diff.data.added} judgments added, {diff.data.removed} removed, {diff.data.kept} in both.
            </p>
          )}
          {diff.error && <p className="text-sm text-red-700">{diff.error.message}</p>}
        </div>
      )}
    </div>
  );
}

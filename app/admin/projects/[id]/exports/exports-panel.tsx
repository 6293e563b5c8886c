"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useFormatter, useTranslations } from "next-intl";
import { type FormEvent, useState } from "react";
import { Bar, BarChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { axisTitle, TITLED_MARGIN } from "@/app/_components/charts";
import { ProgressBar } from "@/app/_components/progress-bar";
import { useSessionUser } from "@/app/_components/session-user";
import { useTRPC } from "@/app/_components/trpc";
import {
  AGGREGATES,
  type Aggregate,
  EXPORT_FORMATS,
  type ExportFormat,
  type ExportFormState,
  exportRequest,
  INITIAL_EXPORT_FORM,
  type KeepOrDrop,
  shownKeep,
} from "./export-form";

/** The two keep-or-drop policies, each one select; labels are messages "exports.<field>". */
const KEEP_POLICIES = [
  { field: "ties", testId: "export-ties" },
  { field: "bothBad", testId: "export-both-bad" },
] as const;

export function ExportsPanel({ projectId }: { projectId: number }) {
  const t = useTranslations("exports");
  const format = useFormatter();
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const sessionUser = useSessionUser();
  const isAdmin = sessionUser?.role === "admin";
  const list = useQuery(trpc.exports.list.queryOptions({ projectId }));
  // Annotator groups, for the Group filter (the form is the admins').
  const groups = useQuery({ ...trpc.users.groups.queryOptions(), enabled: isAdmin });
  const create = useMutation(trpc.exports.create.mutationOptions());
  const [form, setForm] = useState<ExportFormState>(INITIAL_EXPORT_FORM);
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
    setError(null);
    const id = crypto.randomUUID();
    setRunId(id);
    create.mutate(exportRequest(projectId, id, form), {
      onSuccess: () => queryClient.invalidateQueries({ queryKey: trpc.exports.list.queryKey({ projectId }) }),
      onError: (err) => setError(err.message),
    });
  }
  const set = (patch: Partial<ExportFormState>) => setForm((f) => ({ ...f, ...patch }));
  const keepOrDrop = (v: string): KeepOrDrop => (v === "keep" ? "keep" : "drop");

  const snapshots = list.data ?? [];
  // Selects never wider than the form (long option text would push a phone's page sideways).
  const select = "max-w-full rounded border border-slate-300 bg-white px-2 py-1 text-sm";
  const groupOf = (filter: Record<string, unknown>) => (typeof filter.group === "string" ? filter.group : null);
  return (
    <div className="space-y-6">
      <div className="flex items-baseline gap-3">
        <Link href={`/admin/projects/${projectId}`} className="text-sm text-blue-700 hover:underline">
          ← {t("back")}
        </Link>
        <h1 className="text-2xl font-semibold">{t("title")}</h1>
      </div>

      {isAdmin && (
        <form
          onSubmit={onCreate}
          className="flex flex-wrap items-end gap-3 rounded-lg border border-slate-200 bg-white p-4 shadow-sm"
          data-testid="export-form"
        >
          <label className="flex max-w-full flex-wrap items-center gap-2 text-sm">
            {t("format")}
            <select
              name="format"
              className={select}
              data-testid="export-format"
              value={form.format}
              onChange={(e) => set({ format: EXPORT_FORMATS.find((f) => f === e.target.value) ?? "trl" })}
            >
              {EXPORT_FORMATS.map((f: ExportFormat) => (
                <option key={f}>{f}</option>
              ))}
            </select>
          </label>
          {KEEP_POLICIES.map(({ field, testId }) => (
            <label key={field} className="flex max-w-full flex-wrap items-center gap-2 text-sm">
              {t(field)}
              <select
                name={field}
                className={select}
                data-testid={testId}
                value={shownKeep(form, field)}
                onChange={(e) => set({ [field]: keepOrDrop(e.target.value) })}
              >
                <option value="drop">{t("drop")}</option>
                <option value="keep">{t("keep")}</option>
              </select>
            </label>
          ))}
          <label className="flex max-w-full flex-wrap items-center gap-2 text-sm">
            {t("aggregate")}
            <select
              name="aggregate"
              className={select}
              value={form.aggregate}
              onChange={(e) => set({ aggregate: AGGREGATES.find((a): a is Aggregate => a === e.target.value) ?? "all" })}
            >
              <option value="all">{t("aggregates.all")}</option>
              <option value="majority">{t("aggregates.majority")}</option>
              <option value="soft">{t("aggregates.soft")}</option>
              <option value="dawid-skene">{t("aggregates.dawidSkene")}</option>
            </select>
          </label>
          <label className="flex max-w-full flex-wrap items-center gap-2 text-sm">
            {t("rankings")}
            <select
              name="kway"
              className={select}
              value={form.kway}
              onChange={(e) => set({ kway: e.target.value === "best-vs-rest" ? "best-vs-rest" : "all-pairs" })}
            >
              <option value="all-pairs">{t("allPairs")}</option>
              <option value="best-vs-rest">{t("bestVsRest")}</option>
            </select>
          </label>
          <label className="flex max-w-full flex-wrap items-center gap-2 text-sm">
            {t("group")}
            <select
              name="group"
              className={select}
              data-testid="export-group"
              value={form.group}
              onChange={(e) => set({ group: e.target.value })}
            >
              <option value="">{t("allAnnotators")}</option>
              {(groups.data ?? []).map((g) => (
                <option key={g.id} value={g.name}>
                  {t("groupOption", { name: g.name, count: g.members })}
                </option>
              ))}
            </select>
          </label>
          <label className="flex items-center gap-1 text-sm">
            <input type="checkbox" name="margin" checked={form.margin} onChange={(e) => set({ margin: e.target.checked })} /> {t("margin")}
          </label>
          <button
            type="submit"
            disabled={create.isPending}
            className="rounded bg-slate-900 px-3 py-1.5 text-sm text-white disabled:opacity-50"
            data-testid="export-submit"
          >
            {create.isPending ? t("exporting") : t("export")}
          </button>
          <p className="w-full text-xs text-slate-600" data-testid="export-policy-hint">
            {form.format === "raw" ? t("rawHint") : t("pairHint")} {t("groupHint")}
          </p>
          {create.isPending && (
            <div className="w-full text-sm text-slate-600" data-testid="export-progress">
              <div className="mb-1">{t("progress", { done: progress.data?.itemsDone ?? 0, total: progress.data?.itemsTotal ?? 0 })}</div>
              <ProgressBar
                done={progress.data?.itemsDone ?? 0}
                target={Math.max(progress.data?.itemsTotal ?? 1, 1)}
                label={t("progressLabel")}
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
        <div className="h-56 rounded-lg border border-slate-200 bg-white p-3" data-testid="snapshot-chart">
          <ResponsiveContainer width="100%" height="100%">
            <BarChart
              data={[...snapshots].reverse().map((s) => ({ name: `#${s.id} ${s.format}`, rows: s.rowCount }))}
              margin={TITLED_MARGIN}
            >
              <XAxis dataKey="name" fontSize={11} label={axisTitle(t("chartX"), "x")} />
              <YAxis
                fontSize={11}
                allowDecimals={false}
                tickFormatter={(v: number) => format.number(v)}
                label={axisTitle(t("rows"), "y")}
              />
              <Tooltip formatter={(v) => format.number(Number(v))} />
              <Bar dataKey="rows" name={t("rows")} fill="#334155" />
            </BarChart>
          </ResponsiveContainer>
        </div>
      )}

      {/* Every cell padded so headers never run together ("Rowssha256"); scrolls sideways on a phone. */}
      {/* biome-ignore lint/a11y/noNoninteractiveTabindex: a table that scrolls sideways must be reachable by keyboard */}
      <div className="relative max-w-full overflow-x-auto rounded-lg border border-slate-200 bg-white" tabIndex={0}>
        <table
          className="w-full text-left text-sm [&_td]:px-3 [&_td]:py-1.5 [&_th]:whitespace-nowrap [&_th]:px-3 [&_th]:py-2"
          data-testid="snapshot-list"
        >
          <thead className="bg-slate-50 text-slate-600">
            <tr>
              <th scope="col">{t("snapshot")}</th>
              <th scope="col">{t("format")}</th>
              <th scope="col">{t("policies")}</th>
              <th scope="col" className="text-right">
                {t("rows")}
              </th>
              <th scope="col">sha256</th>
              <th scope="col">{t("created")}</th>
              <th scope="col">
                <span className="sr-only">{t("download")}</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {list.isPending && (
              <tr>
                <td colSpan={7} className="py-2 text-slate-500">
                  {t("loading")}
                </td>
              </tr>
            )}
            {!list.isPending && snapshots.length === 0 && (
              <tr>
                <td colSpan={7} className="py-2 text-slate-500">
                  {t("none")}
                </td>
              </tr>
            )}
            {snapshots.map((s) => (
              <tr key={s.id} className="border-t border-slate-200" data-testid={`snapshot-${s.id}`}>
                <td className="py-1">#{s.id}</td>
                <td>{s.format}</td>
                <td className="font-mono text-xs">
                  {groupOf(s.filter) !== null && (
                    <span className="mr-2 rounded bg-indigo-50 px-1 font-sans text-indigo-800" data-testid="snapshot-group">
                      {t("groupFilter", { group: groupOf(s.filter) ?? "" })}
                    </span>
                  )}
                  {Object.entries(s.policies)
                    .map(([k, v]) => `${k}=${String(v)}`)
                    .join(" ")}
                </td>
                <td className="text-right tabular-nums">{format.number(s.rowCount)}</td>
                <td className="font-mono text-xs" title={s.sha256}>
                  {s.sha256.slice(0, 12)}…
                </td>
                <td>{format.dateTime(new Date(s.createdAt * 1000), { dateStyle: "medium", timeStyle: "short" })}</td>
                <td className="text-right">
                  {s.downloadable ? (
                    <a href={`/api/exports/${s.id}`} className="text-blue-700 hover:underline" data-testid={`download-${s.id}`}>
                      {t("download")}
                    </a>
                  ) : (
                    <span className="text-slate-500">{t("cliExport")}</span>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>

      {snapshots.length > 1 && (
        <div className="space-y-2 rounded-lg border border-slate-200 bg-white p-4" data-testid="snapshot-diff">
          <div className="flex flex-wrap items-center gap-2 text-sm">
            {t("compare")}
            <select
              className={select}
              value={from ?? ""}
              onChange={(e) => setFrom(Number(e.target.value) || null)}
              data-testid="diff-from"
              aria-label={t("compareFrom")}
            >
              <option value="">…</option>
              {snapshots.map((s) => (
                <option key={s.id} value={s.id}>
                  #{s.id}
                </option>
              ))}
            </select>
            {t("with")}
            <select
              className={select}
              value={to ?? ""}
              onChange={(e) => setTo(Number(e.target.value) || null)}
              data-testid="diff-to"
              aria-label={t("compareTo")}
            >
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
              {t("diffResult", { added: diff.data.added, removed: diff.data.removed, kept: diff.data.kept })}
            </p>
          )}
          {diff.error && <p className="text-sm text-red-700">{diff.error.message}</p>}
        </div>
      )}
    </div>
  );
}

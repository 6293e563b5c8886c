"use client";
import { useInfiniteQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useFormatter, useTranslations } from "next-intl";
import { useState } from "react";
import { DataTable } from "@/app/_components/data-table";
import { useTRPC } from "@/app/_components/trpc";

const FILTERS = [
  { key: "all", prefix: undefined },
  { key: "auth", prefix: "auth." },
  { key: "project", prefix: "project." },
] as const;

/** A key in words when the messages have no label for it: "requiredGroup" → "required group". */
function words(key: string): string {
  return key
    .replace(/[_.-]/g, " ")
    .replace(/([a-z])([A-Z])/g, "$1 $2")
    .toLowerCase();
}

/** An event's detail as "label: value" pairs instead of raw JSON; known keys labelled in the reader's language. */
function Detail({ detail }: { detail: Record<string, unknown> }) {
  const t = useTranslations("admin.audit.detail");
  const format = useFormatter();
  const entries = Object.entries(detail);
  if (entries.length === 0) return <span className="text-slate-500">—</span>;
  const value = (key: string, v: unknown): string => {
    if (v === null || v === undefined || v === "") return "—";
    // Unix seconds ("expiresAt") as a date.
    if (typeof v === "number" && key.endsWith("At"))
      return format.dateTime(new Date(v * 1000), { dateStyle: "medium", timeStyle: "short" });
    if (typeof v === "number") return format.number(v);
    if (typeof v === "string") return v;
    if (Array.isArray(v)) return v.length ? v.map((x) => value("", x)).join(", ") : "—";
    return Object.entries(v as Record<string, unknown>)
      .map(([k, x]) => `${words(k)}: ${value(k, x)}`)
      .join("; ");
  };
  return (
    <dl className="grid grid-cols-[auto_1fr] gap-x-2 gap-y-0.5">
      {entries.map(([k, v]) => (
        <div key={k} className="contents">
          <dt className="text-slate-500">{t.has(k) ? t(k) : words(k)}</dt>
          <dd className="break-words text-slate-800">{value(k, v)}</dd>
        </div>
      ))}
    </dl>
  );
}

export function AuditLog() {
  const t = useTranslations("admin.audit");
  const format = useFormatter();
  const trpc = useTRPC();
  const [filter, setFilter] = useState<string | undefined>(undefined);
  const log = useInfiniteQuery(
    trpc.audit.list.infiniteQueryOptions(
      { limit: 100, actionPrefix: filter },
      { getNextPageParam: (page) => (page.length === 100 ? page[page.length - 1]?.id : undefined) },
    ),
  );
  const rows = log.data?.pages.flat() ?? [];
  return (
    <div className="space-y-4">
      <div className="flex flex-wrap items-center gap-4">
        <h1 className="text-2xl font-semibold">{t("title")}</h1>
        <fieldset className="flex flex-wrap gap-2 text-sm sm:ml-auto">
          <legend className="sr-only">{t("filterLabel")}</legend>
          {FILTERS.map((f) => (
            <button
              key={f.key}
              type="button"
              onClick={() => setFilter(f.prefix)}
              aria-pressed={filter === f.prefix}
              className={`rounded border px-2 py-1 ${filter === f.prefix ? "border-slate-900 bg-slate-900 text-white" : "border-slate-300 bg-white"}`}
            >
              {t(`filters.${f.key}`)}
            </button>
          ))}
        </fieldset>
      </div>
      {log.error && <p className="text-red-600">{log.error.message}</p>}
      <DataTable
        columns={[t("columns.when"), t("columns.who"), t("columns.what"), t("columns.project"), t("columns.details")]}
        testId="audit-table"
        rowCount={log.isPending ? undefined : rows.length}
        empty={t("empty")}
      >
        {rows.map((r) => (
          <tr key={r.id} className="border-t border-slate-100 align-top" data-testid="audit-row">
            <td className="whitespace-nowrap px-3 py-1.5 tabular-nums text-slate-600">
              {format.dateTime(new Date(r.at * 1000), { dateStyle: "medium", timeStyle: "short" })}
            </td>
            <td className="px-3 py-1.5">{r.actor ?? "—"}</td>
            <td className="px-3 py-1.5">
              <span>{t.has(`actions.${r.action}`) ? t(`actions.${r.action}`) : words(r.action)}</span>
              <span className="block font-mono text-xs text-slate-500">{r.action}</span>
            </td>
            <td className="px-3 py-1.5">
              {r.projectId !== null ? (
                <Link href={`/admin/projects/${r.projectId}`} className="text-blue-700 hover:underline">
                  {r.project ?? t("projectId", { id: r.projectId })}
                </Link>
              ) : (
                "—"
              )}
            </td>
            <td className="px-3 py-1.5 text-xs">
              <Detail detail={r.detail} />
            </td>
          </tr>
        ))}
      </DataTable>
      {log.hasNextPage && (
        <button type="button" onClick={() => log.fetchNextPage()} className="rounded border border-slate-300 bg-white px-3 py-1.5 text-sm">
          {t("older")}
        </button>
      )}
    </div>
  );
}

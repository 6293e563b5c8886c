"use client";
import { useInfiniteQuery } from "@tanstack/react-query";
import { useState } from "react";
import { DataTable } from "@/app/_components/data-table";
import { useTRPC } from "@/app/_components/trpc";

const FILTERS = [
  { label: "All", prefix: undefined },
  { label: "Sign-ins", prefix: "auth." },
  { label: "Projects & imports", prefix: "project." },
] as const;

export function AuditLog() {
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
      <div className="flex items-center gap-4">
        <h1 className="text-2xl font-semibold">Audit log</h1>
        <div className="ml-auto flex gap-2 text-sm">
          {FILTERS.map((f) => (
            <button
              key={f.label}
              type="button"
              onClick={() => setFilter(f.prefix)}
              aria-pressed={filter === f.prefix}
              className={`rounded border px-2 py-1 ${filter === f.prefix ? "border-slate-900 bg-slate-900 text-white" : "border-slate-300 bg-white"}`}
            >
              {f.label}
            </button>
          ))}
        </div>
      </div>
      {log.error && <p className="text-red-600">{log.error.message}</p>}
      <DataTable columns={["When", "Who", "Action", "Project", "Detail"]} testId="audit-table">
        {rows.map((r) => (
          <tr key={r.id} className="border-t border-slate-100 align-top">
            <td className="whitespace-nowrap px-3 py-1.5 tabular-nums text-slate-600">{new Date(r.at * 1000).toLocaleString()}</td>
            <td className="px-3 py-1.5">{r.actor ?? "—"}</td>
            <td className="px-3 py-1.5 font-mono text-xs">{r.action}</td>
            <td className="px-3 py-1.5">{r.projectId ?? ""}</td>
            <td className="px-3 py-1.5 font-mono text-xs text-slate-600">{JSON.stringify(r.detail)}</td>
          </tr>
        ))}
      </DataTable>
      {log.hasNextPage && (
        <button type="button" onClick={() => log.fetchNextPage()} className="rounded border border-slate-300 bg-white px-3 py-1.5 text-sm">
          Older events
        </button>
      )}
    </div>
  );
}

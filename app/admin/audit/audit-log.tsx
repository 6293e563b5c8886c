"use client";
import { useInfiniteQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useState } from "react";
import { DataTable } from "@/app/_components/data-table";
import { useTRPC } from "@/app/_components/trpc";

const FILTERS = [
  { label: "All", prefix: undefined },
  { label: "Sign-ins", prefix: "auth." },
  { label: "Projects & imports", prefix: "project." },
] as const;

/** What an action code means, in words; unknown codes show as they are. */
const ACTIONS: Record<string, string> = {
  "auth.login": "Signed in",
  "auth.login_failed": "Failed sign-in",
  "auth.login_locked": "Sign-in locked after failures",
  "project.create": "Created a project",
  "project.import": "Imported a file",
  "project.import_failed": "Import refused",
  "project.export": "Exported a dataset",
  "project.quality_rates": "Changed check and repeat rates",
  "gold.mark": "Marked a check item",
  "gold.unmark": "Removed a check item",
  "job.create": "Started a job",
  "job.cancel": "Cancelled a job",
  "job.resume": "Resumed a job",
  "queue.reorder": "Reordered the queue",
  "generator.add": "Added a generator",
  "generator.remove": "Removed a generator",
  "user.invite": "Invited a user",
  "user.role": "Changed a role",
  "user.disable": "Disabled an account",
  "user.enable": "Enabled an account",
  "user.group": "Changed a group",
  "user.join": "Joined by invitation",
  "session.revoke": "Signed a user out everywhere",
};

function words(key: string): string {
  return key
    .replace(/_/g, " ")
    .replace(/([a-z])([A-Z])/g, "$1 $2")
    .toLowerCase();
}

function value(v: unknown): string {
  if (v === null || v === undefined) return "—";
  if (typeof v === "number") return v.toLocaleString();
  if (typeof v === "string") return v;
  if (Array.isArray(v)) return v.map(value).join(", ");
  return JSON.stringify(v);
}

/** An event's detail as "label: value" pairs instead of raw JSON. */
function Detail({ detail }: { detail: Record<string, unknown> }) {
  const entries = Object.entries(detail);
  if (entries.length === 0) return <span className="text-slate-500">—</span>;
  return (
    <dl className="grid grid-cols-[auto_1fr] gap-x-2 gap-y-0.5">
      {entries.map(([k, v]) => (
        <div key={k} className="contents">
          <dt className="text-slate-500">{words(k)}</dt>
          <dd className="break-words text-slate-800">{value(v)}</dd>
        </div>
      ))}
    </dl>
  );
}

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
      <div className="flex flex-wrap items-center gap-4">
        <h1 className="text-2xl font-semibold">Audit log</h1>
        <div className="flex flex-wrap gap-2 text-sm sm:ml-auto">
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
      <DataTable
        columns={["When", "Who", "What", "Project", "Details"]}
        testId="audit-table"
        rowCount={log.isPending ? undefined : rows.length}
        empty="No events recorded yet."
      >
        {rows.map((r) => (
          <tr key={r.id} className="border-t border-slate-100 align-top" data-testid="audit-row">
            <td className="whitespace-nowrap px-3 py-1.5 tabular-nums text-slate-600">{new Date(r.at * 1000).toLocaleString()}</td>
            <td className="px-3 py-1.5">{r.actor ?? "—"}</td>
            <td className="px-3 py-1.5">
              <span>{ACTIONS[r.action] ?? words(r.action)}</span>
              <span className="block font-mono text-xs text-slate-500">{r.action}</span>
            </td>
            <td className="px-3 py-1.5">
              {r.projectId !== null ? (
                <Link href={`/admin/projects/${r.projectId}`} className="text-blue-700 hover:underline">
                  {r.project ?? `project ${r.projectId}`}
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
          Older events
        </button>
      )}
    </div>
  );
}

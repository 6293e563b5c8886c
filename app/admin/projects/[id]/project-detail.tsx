"use client";
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useSession } from "next-auth/react";
import { ProgressBar } from "@/app/_components/progress-bar";
import { useTRPC } from "@/app/_components/trpc";
import { RoundsTable } from "@/app/research/generate/rounds-table";
import { ImportForm } from "./import-form";

export function ProjectDetail({ projectId }: { projectId: number }) {
  const trpc = useTRPC();
  const { data: session } = useSession();
  const project = useQuery(trpc.projects.get.queryOptions({ projectId }));

  if (project.isPending) return <p className="text-slate-500">Loading…</p>;
  if (project.error) return <p className="text-red-600">{project.error.message}</p>;
  const p = project.data;
  const s = p.status;

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
          href={`/admin/projects/${p.id}/gold`}
          className="rounded border border-slate-300 px-3 py-1.5 text-sm hover:bg-white"
          data-testid="gold-link"
        >
          Gold &amp; repeats
        </Link>
        <Link
          href={`/admin/projects/${p.id}/exports`}
          className="rounded border border-slate-300 px-3 py-1.5 text-sm hover:bg-white"
          data-testid="exports-link"
        >
          Exports
        </Link>
        <Link
          href={`/admin/projects/${p.id}/members`}
          className="rounded border border-slate-300 px-3 py-1.5 text-sm hover:bg-white"
          data-testid="members-link"
        >
          Members
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

      <RoundsTable projectId={p.id} />
      {session?.user?.role === "admin" && <ImportForm projectId={p.id} />}
    </div>
  );
}

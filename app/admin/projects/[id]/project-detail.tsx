"use client";
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useFormatter, useTranslations } from "next-intl";
import { ProgressBar } from "@/app/_components/progress-bar";
import { useSessionUser } from "@/app/_components/session-user";
import { useTRPC } from "@/app/_components/trpc";
import { RoundsTable } from "@/app/research/generate/rounds-table";
import { ImportForm } from "./import-form";

export function ProjectDetail({ projectId }: { projectId: number }) {
  const t = useTranslations("admin.project");
  const tAdmin = useTranslations("admin");
  const format = useFormatter();
  const trpc = useTRPC();
  const sessionUser = useSessionUser();
  const project = useQuery(trpc.projects.get.queryOptions({ projectId }));

  if (project.isPending) return <p className="text-slate-500">{tAdmin("loading")}</p>;
  if (project.error) return <p className="text-red-600">{project.error.message}</p>;
  const p = project.data;
  const s = p.status;

  const stats: [string, number][] = [
    [t("stats.items"), s.items],
    [t("stats.responses"), s.responses],
    [t("stats.judgments"), s.judgments],
    [t("stats.annotators"), s.annotators],
    [t("stats.doneItems"), s.done_items],
  ];
  const settings: [string, string][] = [
    [t("settings.criteria"), p.criteria.length ? p.criteria.join(", ") : "—"],
    [t("settings.rationale"), tAdmin(`rationalePolicy.${p.rationalePolicy}`)],
    [t("settings.strength"), p.strengthScale ? t("on") : t("off")],
    [t("settings.lease"), t("leaseMinutes", { minutes: Math.round(p.leaseSeconds / 60) })],
  ];
  return (
    <div className="space-y-6">
      <div className="flex flex-wrap items-center gap-x-4 gap-y-2">
        <Link href="/admin" className="text-sm text-blue-700 hover:underline">
          {t("back")}
        </Link>
        <h1 className="text-2xl font-semibold" data-testid="project-title">
          {p.name}
        </h1>
        <Link
          href={`/admin/projects/${p.id}/quality`}
          className="ml-auto rounded border border-slate-300 px-3 py-1.5 text-sm hover:bg-white"
          data-testid="quality-link"
        >
          {t("links.quality")}
        </Link>
        <Link
          href={`/admin/projects/${p.id}/gold`}
          className="rounded border border-slate-300 px-3 py-1.5 text-sm hover:bg-white"
          data-testid="gold-link"
        >
          {t("links.gold")}
        </Link>
        <Link
          href={`/admin/projects/${p.id}/exports`}
          className="rounded border border-slate-300 px-3 py-1.5 text-sm hover:bg-white"
          data-testid="exports-link"
        >
          {t("links.exports")}
        </Link>
        <Link
          href={`/admin/projects/${p.id}/members`}
          className="rounded border border-slate-300 px-3 py-1.5 text-sm hover:bg-white"
          data-testid="members-link"
        >
          {t("links.members")}
        </Link>
        <Link href={`/annotate/${p.id}`} className="rounded border border-slate-300 px-3 py-1.5 text-sm hover:bg-white">
          {t("links.judge")}
        </Link>
      </div>
      <div className="grid grid-cols-2 gap-3 sm:grid-cols-5" data-testid="project-status">
        {stats.map(([label, n]) => (
          <div key={label} className="rounded-lg border border-slate-200 bg-white p-3 shadow-sm">
            <div className="text-xs uppercase tracking-wide text-slate-500">{label}</div>
            <div className="text-xl font-semibold tabular-nums">{format.number(n)}</div>
          </div>
        ))}
      </div>
      <div className="rounded-lg border border-slate-200 bg-white p-4 shadow-sm">
        <div className="mb-2 text-sm text-slate-600">
          {t("target", { overlap: p.overlap, done: Math.min(p.doneSlots, p.itemCount * p.overlap), target: p.itemCount * p.overlap })}
        </div>
        <ProgressBar done={p.doneSlots} target={p.itemCount * p.overlap} label={t("judgmentsDone")} />
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
      {sessionUser?.role === "admin" && <ImportForm projectId={p.id} />}
    </div>
  );
}

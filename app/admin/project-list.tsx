"use client";
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useFormatter, useTranslations } from "next-intl";
import { DataTable } from "@/app/_components/data-table";
import { ProgressBar } from "@/app/_components/progress-bar";
import { useSessionUser } from "@/app/_components/session-user";
import { useTRPC } from "@/app/_components/trpc";

export function ProjectList() {
  const t = useTranslations("admin.projects");
  const tAdmin = useTranslations("admin");
  const format = useFormatter();
  const trpc = useTRPC();
  const sessionUser = useSessionUser();
  const projects = useQuery(trpc.projects.list.queryOptions());
  return (
    <div className="space-y-4">
      <div className="flex items-center justify-between">
        <h1 className="text-2xl font-semibold">{t("title")}</h1>
        {sessionUser?.role === "admin" && (
          <Link
            href="/admin/projects/new"
            data-testid="new-project"
            className="rounded bg-slate-900 px-3 py-1.5 text-sm text-white hover:bg-slate-700"
          >
            {t("new")}
          </Link>
        )}
      </div>
      {projects.isPending && <p className="text-slate-500">{tAdmin("loading")}</p>}
      {projects.error && <p className="text-red-600">{projects.error.message}</p>}
      {projects.data?.length === 0 && <p className="text-slate-600">{t("none")}</p>}
      {projects.data && projects.data.length > 0 && (
        <DataTable
          columns={[t("columns.project"), t("columns.items"), t("columns.overlap"), { label: t("columns.judgments"), className: "w-1/3" }]}
        >
          {projects.data.map((p) => (
            <tr key={p.id} className="border-t border-slate-100" data-testid={`project-row-${p.id}`}>
              <td className="px-3 py-2">
                <Link href={`/admin/projects/${p.id}`} className="font-medium text-blue-700 hover:underline">
                  {p.name}
                </Link>
              </td>
              <td className="px-3 py-2 tabular-nums">{format.number(p.items)}</td>
              <td className="px-3 py-2 tabular-nums">{format.number(p.overlap)}</td>
              <td className="px-3 py-2">
                <div className="flex items-center gap-3">
                  <ProgressBar done={p.doneSlots} target={p.targetSlots} label={t("judgmentsDone")} />
                  <span className="whitespace-nowrap tabular-nums text-slate-600">
                    {t("progress", { done: p.doneSlots, target: p.targetSlots })}
                  </span>
                </div>
              </td>
            </tr>
          ))}
        </DataTable>
      )}
    </div>
  );
}

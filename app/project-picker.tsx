"use client";
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useFormatter, useTranslations } from "next-intl";
import { ProgressBar } from "./_components/progress-bar";
import { useTRPC } from "./_components/trpc";

export function ProjectPicker() {
  const t = useTranslations("home");
  const format = useFormatter();
  const trpc = useTRPC();
  const projects = useQuery(trpc.annotate.projects.queryOptions());
  if (projects.isPending) return <p className="text-slate-500">{t("loading")}</p>;
  if (projects.isError) return <p className="text-red-600">{projects.error.message}</p>;
  if (projects.data.length === 0) return <p className="text-slate-600">{t("none")}</p>;
  return (
    <ul className="grid gap-4 sm:grid-cols-2 lg:grid-cols-3">
      {projects.data.map((p) => (
        <li key={p.id} className="rounded-lg border border-slate-200 bg-white p-4 shadow-sm">
          <h2 className="font-medium">{p.name}</h2>
          <p className="mt-1 text-sm text-slate-600">
            {t("progress", { mine: p.mine, done: format.number(p.doneSlots), target: format.number(p.targetSlots) })}
          </p>
          <div className="mt-2">
            <ProgressBar done={p.doneSlots} target={p.targetSlots} label={t("progressLabel")} />
          </div>
          <Link
            href={`/annotate/${p.id}`}
            data-testid={`start-${p.id}`}
            className="mt-3 inline-block rounded bg-slate-900 px-3 py-1.5 text-sm text-white hover:bg-slate-700"
          >
            {t("start")}
          </Link>
        </li>
      ))}
    </ul>
  );
}

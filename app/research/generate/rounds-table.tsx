"use client";
/** A project's rounds of generation (shown on the admin project page): generators and versions, params, prompts sha256. */
import { useQuery } from "@tanstack/react-query";
import { useFormatter, useTranslations } from "next-intl";
import { useTRPC } from "@/app/_components/trpc";
import { useResearchLabels } from "@/app/research/use-labels";

const PARAMS = ["samples", "temperature", "topP", "maxTokens", "seed"] as const;

export function RoundsTable({ projectId }: { projectId: number }) {
  const t = useTranslations("research.rounds");
  const format = useFormatter();
  const labels = useResearchLabels();
  const trpc = useTRPC();
  const rounds = useQuery(trpc.generation.rounds.queryOptions({ projectId }));
  if (!rounds.data?.length) return null;
  return (
    <section
      className="rounded-lg border border-slate-200 bg-white p-4 text-sm shadow-sm"
      aria-label={t("title")}
      data-testid="project-rounds"
    >
      <h2 className="mb-2 font-semibold">{t("title")}</h2>
      <table className="w-full">
        <thead>
          <tr className="text-left text-slate-600">
            <th>{t("round")}</th>
            <th>{t("generators")}</th>
            <th>{t("params")}</th>
            <th>{t("prompts")}</th>
            <th>{t("items")}</th>
            <th>{t("state")}</th>
          </tr>
        </thead>
        <tbody>
          {rounds.data.map((r) => (
            <tr key={r.id} className="border-t align-top">
              <td className="py-1">{r.number}</td>
              <td>
                {r.generators.map((g) => (
                  <div key={g.name}>
                    {g.name} <span className="text-xs text-slate-600">({g.version ?? g.model})</span>
                  </div>
                ))}
              </td>
              <td className="text-xs">
                {PARAMS.filter((k) => r.params[k] !== undefined)
                  .map(
                    (k) =>
                      `${t(`param.${k}`)} ${typeof r.params[k] === "number" ? format.number(r.params[k] as number) : String(r.params[k])}`,
                  )
                  .join(" · ")}
              </td>
              <td>
                {format.number(r.promptCount)}{" "}
                <span className="font-mono text-xs text-slate-600" title={r.promptsSha256}>
                  sha256 {r.promptsSha256.slice(0, 12)}…
                </span>
              </td>
              <td>{format.number(r.items)}</td>
              <td>{labels.state(r.state)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

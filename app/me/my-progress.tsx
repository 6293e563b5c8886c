"use client";
/** The signed-in annotator's own progress and check-item feedback; the server only ever returns their own rows. */
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useTranslations } from "next-intl";
import { Bar, BarChart, CartesianGrid, ErrorBar, LabelList, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { axisTitle, TITLED_MARGIN } from "@/app/_components/charts";
import { Markdown } from "@/app/_components/markdown";
import { useTRPC } from "@/app/_components/trpc";

const pct = (v: number | null | undefined) => (v === null || v === undefined ? "—" : `${Math.round(100 * v)}%`);

export function MyProgress() {
  const t = useTranslations("me.progress");
  const trpc = useTRPC();
  const mine = useQuery(trpc.annotate.myProgress.queryOptions());
  if (mine.isPending) return <p className="text-slate-500">{t("loading")}</p>;
  if (mine.error) return <p className="text-red-700">{mine.error.message}</p>;
  const rows = mine.data;
  const chart = rows.map((p) => ({ project: p.project, judged: p.judged }));
  const accuracy = rows
    .filter((p) => p.accuracy !== null)
    .map((p) => ({
      project: p.project,
      accuracy: 100 * (p.accuracy ?? 0),
      // ErrorBar takes [below, above] distances from the bar's value.
      ci: [100 * ((p.accuracy ?? 0) - (p.accuracyCi?.[0] ?? 0)), 100 * ((p.accuracyCi?.[1] ?? 0) - (p.accuracy ?? 0))],
      label: `${p.checksCorrect}/${p.checks}`,
    }));
  return (
    <div className="space-y-4" data-testid="my-progress">
      <h1 className="text-2xl font-semibold">{t("title")}</h1>
      {rows.length === 0 && (
        <p className="text-slate-600">
          {t.rich("nothingYet", {
            link: (c) => (
              <Link href="/" className="text-blue-700 underline">
                {c}
              </Link>
            ),
          })}
        </p>
      )}
      {rows.length > 0 && (
        <div className="grid gap-4 lg:grid-cols-2">
          <section className="rounded-lg border border-slate-200 bg-white p-4 shadow-sm">
            <h2 className="mb-3 font-medium">{t("judged")}</h2>
            <ResponsiveContainer width="100%" height={Math.max(140, 32 * chart.length + 64)}>
              <BarChart data={chart} layout="vertical" margin={{ ...TITLED_MARGIN, right: 40 }}>
                <CartesianGrid strokeDasharray="3 3" />
                <XAxis type="number" allowDecimals={false} label={axisTitle("items judged", "x")} />
                <YAxis type="category" dataKey="project" width={140} />
                <Tooltip />
                <Bar dataKey="judged" fill="#0ea5e9" isAnimationActive={false}>
                  <LabelList dataKey="judged" position="right" />
                </Bar>
              </BarChart>
            </ResponsiveContainer>
          </section>
          <section className="rounded-lg border border-slate-200 bg-white p-4 shadow-sm" data-testid="my-accuracy">
            <h2 className="mb-3 font-medium">{t("accuracy")}</h2>
            {accuracy.length === 0 ? (
              <p className="text-sm text-slate-500">{t("noChecks")}</p>
            ) : (
              <ResponsiveContainer width="100%" height={Math.max(140, 32 * accuracy.length + 64)}>
                <BarChart data={accuracy} layout="vertical" margin={{ ...TITLED_MARGIN, right: 50 }}>
                  <CartesianGrid strokeDasharray="3 3" />
                  <XAxis type="number" domain={[0, 100]} ticks={[0, 25, 50, 75, 100]} unit="%" label={axisTitle("accuracy", "x")} />
                  <YAxis type="category" dataKey="project" width={140} />
                  <Tooltip />
                  <Bar dataKey="accuracy" fill="#10b981" isAnimationActive={false}>
                    <ErrorBar dataKey="ci" width={6} stroke="#334155" direction="x" />
                    <LabelList dataKey="label" position="right" />
                  </Bar>
                </BarChart>
              </ResponsiveContainer>
            )}
          </section>
        </div>
      )}
      {rows.map((p) => (
        <section
          key={p.projectId}
          className="rounded-lg border border-slate-200 bg-white p-4 shadow-sm"
          data-testid={`my-project-${p.projectId}`}
        >
          <h2 className="font-medium">{p.project}</h2>
          <p className="text-sm text-slate-600" data-testid="my-summary">
            {p.judged} judged · check items {p.checksCorrect}/{p.checks} correct ({pct(p.accuracy)})
          </p>
          {p.misses.length > 0 && (
            <details className="mt-2 text-sm" open>
              <summary className="cursor-pointer text-slate-700">{t("missed")}</summary>
              <ul className="mt-2 space-y-2">
                {p.misses.map((m) => (
                  <li key={m.judgmentId} className="rounded border border-amber-200 bg-amber-50 p-2" data-testid="my-miss">
                    {m.explanation ? <Markdown text={m.explanation} /> : <span className="text-slate-500">{t("noExplanation")}</span>}
                  </li>
                ))}
              </ul>
            </details>
          )}
        </section>
      ))}
    </div>
  );
}

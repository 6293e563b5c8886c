"use client";
/**
 * "Whose preferences?": the project's statistics split by annotator group (quality.groupStats): each
 * group's win rates against one common baseline, its Bradley-Terry leaderboard and its agreement,
 * and agreement between groups. Group names are admins' labels and shown as written.
 */
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useFormatter, useTranslations } from "next-intl";
import { Bar, BarChart, CartesianGrid, Cell, Legend, ReferenceLine, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { axisTitle, ChartEmpty, niceTicks, TITLED_MARGIN } from "@/app/_components/charts";
import { useTRPC } from "@/app/_components/trpc";
import { Card, MIN_BATTLES, useStatFormat } from "./stat-format";

/** The server's name for annotators in no group (server/domain/quality/group-stats.ts NO_GROUP). */
const NO_GROUP = "(no group)";
const COLORS = ["#4f46e5", "#047857", "#b45309", "#dc2626", "#0369a1", "#9333ea", "#475569"];

export function GroupSplit({ projectId, baseline, criterion }: { projectId: number; baseline?: string; criterion?: string }) {
  const t = useTranslations("quality.groups");
  const format = useFormatter();
  const { fmt } = useStatFormat();
  const trpc = useTRPC();
  const stats = useQuery(trpc.quality.groupStats.queryOptions({ projectId, baseline, criterion }));

  if (stats.isPending) {
    return (
      <Card title={t("title")} testId="group-split">
        <p className="text-sm text-slate-500">{t("loading")}</p>
      </Card>
    );
  }
  if (stats.error) {
    return (
      <Card title={t("title")} testId="group-split">
        <p className="text-sm text-red-700">{stats.error.message}</p>
      </Card>
    );
  }
  const s = stats.data;
  const label = (group: string) => (group === NO_GROUP ? t("noGroup") : group);
  if (!s.groups.some((g) => g.group !== NO_GROUP)) {
    return (
      <Card title={t("title")} testId="group-split">
        <p className="text-sm text-slate-600" data-testid="group-empty">
          {t.rich("empty", {
            link: (chunks) => (
              <Link href={`/admin/projects/${projectId}/members`} className="text-blue-700 underline">
                {chunks}
              </Link>
            ),
            code: (chunks) => <code className="rounded bg-slate-100 px-1 text-xs">{chunks}</code>,
          })}
        </p>
      </Card>
    );
  }

  // Charts show the groups with enough comparisons; each group is one series, keyed by position.
  const charted = s.groups.filter((g) => g.battles >= MIN_BATTLES);
  const left = s.groups.filter((g) => g.battles < MIN_BATTLES);
  const key = (i: number) => `g${i}`;
  const models = [...new Set(charted.flatMap((g) => g.models.map((m) => m.model)))].sort();
  // Ratings as bars out from 1000, the scale's mean: longer to the right = preferred by that group.
  const ratings = models.map((model) =>
    Object.fromEntries([
      ["model", model],
      ...charted.flatMap((g, i) => {
        const r = g.models.find((m) => m.model === model)?.bt_rating;
        return r === undefined
          ? []
          : [
              [key(i), [Math.min(1000, r), Math.max(1000, r)]],
              [`${key(i)}_rating`, r],
            ];
      }),
    ]),
  );
  const winRates = models
    .filter((model) => model !== s.baseline)
    .map((model) =>
      Object.fromEntries([["model", model], ...charted.map((g, i) => [key(i), g.models.find((m) => m.model === model)?.win_rate ?? null])]),
    );
  const allRatings = charted.flatMap((g) => g.models.map((m) => m.bt_rating));
  const ratingAxis = niceTicks(Math.min(1000, ...allRatings), Math.max(1000, ...allRatings));
  const barHeight = (rows: number) => Math.max(180, rows * (charted.length * 14 + 18) + 70);
  const agreement = [
    ...s.groups.map((g) => ({ name: label(g.group), alpha: g.agreement.krippendorff_alpha, between: false })),
    { name: t("betweenBar"), alpha: s.between.krippendorff_alpha, between: true },
  ].filter((a) => a.alpha !== null);
  const alphaLow = Math.min(0, ...agreement.map((a) => a.alpha ?? 0));
  const alphaAxis = niceTicks(alphaLow, 1);
  const number = (v: unknown) => (typeof v === "number" ? format.number(v, { maximumFractionDigits: 1 }) : "—");
  const series = charted.map((g, i) => ({ key: key(i), name: label(g.group), color: COLORS[i % COLORS.length] }));

  return (
    <Card title={t("title")} testId="group-split">
      <p className="mb-3 text-sm text-slate-600">{t("intro", { baseline: s.baseline ?? "—" })}</p>
      {/* biome-ignore lint/a11y/noNoninteractiveTabindex: a table that scrolls sideways must be reachable by keyboard */}
      <div className="relative mb-4 overflow-x-auto" tabIndex={0}>
        <table className="w-full text-sm" data-testid="group-table">
          <thead className="text-left text-slate-500">
            <tr>
              <th className="py-1 pr-3">{t("col.group")}</th>
              <th className="pr-3 text-right">{t("col.annotators")}</th>
              <th className="pr-3 text-right">{t("col.judgments")}</th>
              <th className="pr-3 text-right">{t("col.comparisons")}</th>
              <th className="pr-3 text-right">{t("col.alpha")}</th>
              <th className="pr-3 text-right">{t("col.percentAgreement")}</th>
              <th className="pr-3 text-right">{t("col.items")}</th>
            </tr>
          </thead>
          <tbody>
            {s.groups.map((g) => (
              <tr key={g.group} className="border-t border-slate-100" data-testid="group-row">
                <td className="py-1 pr-3">{label(g.group)}</td>
                <td className="pr-3 text-right tabular-nums">{format.number(g.annotators)}</td>
                <td className="pr-3 text-right tabular-nums">{format.number(g.judgments)}</td>
                <td className="pr-3 text-right tabular-nums">{format.number(g.battles)}</td>
                <td className="pr-3 text-right tabular-nums">{fmt(g.agreement.krippendorff_alpha, 3)}</td>
                <td className="pr-3 text-right tabular-nums">
                  {g.agreement.percent_agreement === null ? "—" : `${fmt(g.agreement.percent_agreement)}%`}
                </td>
                <td className="pr-3 text-right tabular-nums">{format.number(g.agreement.items)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <p className="mb-4 text-sm" data-testid="group-between">
        {t("between", {
          alpha: fmt(s.between.krippendorff_alpha, 3),
          percent: s.between.percent_agreement === null ? "—" : fmt(s.between.percent_agreement),
          items: s.between.items,
          groups: s.between.groups,
        })}
      </p>
      {left.length > 0 && charted.length > 0 && (
        <p className="mb-3 text-xs text-slate-600">
          {t("leftOut", { need: MIN_BATTLES, groups: left.map((g) => label(g.group)).join(", ") })}
        </p>
      )}
      <div className="grid gap-6 lg:grid-cols-2">
        <section className="min-w-0" data-testid="group-winrate-chart">
          <h3 className="mb-2 text-sm font-medium">{t("winRateTitle", { baseline: s.baseline ?? "—" })}</h3>
          {charted.length === 0 || winRates.length === 0 ? (
            <ChartEmpty have={Math.max(...s.groups.map((g) => g.battles))} need={MIN_BATTLES} unit={t("comparisons")}>
              {t("chartNeed", { need: MIN_BATTLES })}
            </ChartEmpty>
          ) : (
            <ResponsiveContainer width="100%" height={barHeight(winRates.length)}>
              <BarChart data={winRates} layout="vertical" margin={{ ...TITLED_MARGIN, bottom: 40 }}>
                <CartesianGrid strokeDasharray="3 3" />
                <XAxis type="number" domain={[0, 100]} ticks={[0, 25, 50, 75, 100]} unit="%" label={axisTitle(t("winRate"), "x")} />
                <YAxis type="category" dataKey="model" width={120} />
                <ReferenceLine x={50} stroke="#94a3b8" strokeDasharray="6 4" />
                <Tooltip formatter={(v) => `${number(v)}%`} />
                <Legend verticalAlign="top" height={28} />
                {series.map((g) => (
                  <Bar key={g.key} dataKey={g.key} name={g.name} fill={g.color} isAnimationActive={false} />
                ))}
              </BarChart>
            </ResponsiveContainer>
          )}
        </section>
        <section className="min-w-0" data-testid="group-leaderboard-chart">
          <h3 className="mb-2 text-sm font-medium">{t("leaderboardTitle")}</h3>
          {charted.length === 0 || models.length < 2 ? (
            <ChartEmpty have={Math.max(...s.groups.map((g) => g.battles))} need={MIN_BATTLES} unit={t("comparisons")}>
              {t("chartNeed", { need: MIN_BATTLES })}
            </ChartEmpty>
          ) : (
            <ResponsiveContainer width="100%" height={barHeight(ratings.length)}>
              <BarChart data={ratings} layout="vertical" margin={{ ...TITLED_MARGIN, bottom: 40 }}>
                <CartesianGrid strokeDasharray="3 3" />
                <XAxis type="number" domain={ratingAxis.domain} ticks={ratingAxis.ticks} label={axisTitle(t("ratingAxis"), "x")} />
                <YAxis type="category" dataKey="model" width={120} />
                <ReferenceLine x={1000} stroke="#64748b" />
                <Tooltip
                  formatter={(_, __, item) => {
                    const r = (item.payload as Record<string, unknown>)[`${String(item.dataKey)}_rating`];
                    return typeof r === "number" ? format.number(Math.round(r)) : "—";
                  }}
                />
                <Legend verticalAlign="top" height={28} />
                {series.map((g) => (
                  <Bar key={g.key} dataKey={g.key} name={g.name} fill={g.color} isAnimationActive={false} />
                ))}
              </BarChart>
            </ResponsiveContainer>
          )}
        </section>
        <section className="min-w-0 lg:col-span-2" data-testid="group-agreement-chart">
          <h3 className="mb-2 text-sm font-medium">{t("agreementTitle")}</h3>
          {agreement.length === 0 ? (
            <ChartEmpty have={0} need={1} unit={t("groupsWithAgreement")}>
              {t("agreementNeed")}
            </ChartEmpty>
          ) : (
            <ResponsiveContainer width="100%" height={Math.max(140, 30 * agreement.length + 70)}>
              <BarChart data={agreement} layout="vertical" margin={TITLED_MARGIN}>
                <CartesianGrid strokeDasharray="3 3" />
                <XAxis type="number" domain={alphaAxis.domain} ticks={alphaAxis.ticks} label={axisTitle(t("alphaAxis"), "x")} />
                <YAxis type="category" dataKey="name" width={140} />
                <ReferenceLine x={0} stroke="#64748b" />
                <Tooltip formatter={(v) => (typeof v === "number" ? fmt(v, 3) : "—")} />
                <Bar dataKey="alpha" name={t("alphaAxis")} fill="#4f46e5" isAnimationActive={false}>
                  {agreement.map((a) => (
                    <Cell key={`${a.between}:${a.name}`} fill={a.between ? "#64748b" : "#4f46e5"} />
                  ))}
                </Bar>
              </BarChart>
            </ResponsiveContainer>
          )}
        </section>
      </div>
    </Card>
  );
}

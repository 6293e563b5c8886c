"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useFormatter, useTranslations } from "next-intl";
import { useState } from "react";
import {
  Bar,
  BarChart,
  CartesianGrid,
  ErrorBar,
  LabelList,
  Line,
  LineChart,
  ResponsiveContainer,
  Scatter,
  ScatterChart,
  Tooltip,
  XAxis,
  YAxis,
  ZAxis,
} from "recharts";
import { axisTitle, ChartEmpty, niceTicks, TITLED_MARGIN } from "@/app/_components/charts";
import { useSessionUser } from "@/app/_components/session-user";
import { useTRPC } from "@/app/_components/trpc";
import { GroupSplit } from "./group-split";
import { Card, MIN_BATTLES, useStatFormat } from "./stat-format";

/** Green at 100 %, red at 0 %, white at 50 %. */
function heat(winRate: number): string {
  const t = (winRate - 50) / 50;
  return t >= 0 ? `rgba(16, 185, 129, ${0.15 + 0.7 * t})` : `rgba(239, 68, 68, ${0.15 + 0.7 * -t})`;
}

export function QualityPanel({ projectId }: { projectId: number }) {
  const t = useTranslations("quality");
  const format = useFormatter();
  const { fmt, pct } = useStatFormat();
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const sessionUser = useSessionUser();
  const isAdmin = sessionUser?.role === "admin";
  const [baseline, setBaseline] = useState<string | undefined>(undefined);
  const [criterion, setCriterion] = useState<string | undefined>(undefined);
  const stats = useQuery(trpc.quality.stats.queryOptions({ projectId, baseline, criterion }));
  const exclude = useMutation(
    trpc.quality.setExclusion.mutationOptions({
      onSuccess: () => queryClient.invalidateQueries({ queryKey: trpc.quality.stats.queryKey() }),
    }),
  );

  if (stats.isPending) return <p className="text-slate-500">{t("loading")}</p>;
  if (stats.error) return <p className="text-red-700">{stats.error.message}</p>;
  const s = stats.data;

  const leaderboard = s.models.map((m) => ({
    model: m.model,
    rating: Math.round(m.bt_rating),
    // A floating bar from the lower to the upper bound; the label is the full-data rating.
    range: [m.bt_ci[0] ?? m.bt_rating, m.bt_ci[1] ?? m.bt_rating],
  }));
  const winRates = s.models
    .filter((m) => m.win_rate !== null)
    .map((m) => ({ model: m.model, win_rate: m.win_rate ?? 0, se: m.standard_error ?? 0, n: m.n_total }));
  const scatter = s.annotators
    .filter((a) => a.median_seconds !== null && (a.gold_accuracy !== null || a.majority_agreement !== null))
    .map((a) => ({
      annotator: a.annotator,
      seconds: a.median_seconds ?? 0,
      accuracy: 100 * ((a.gold_accuracy ?? a.majority_agreement) as number),
      judgments: a.judgments,
    }));
  const scatterMeasure = s.annotators.some((a) => a.gold_accuracy !== null) ? t("goldAccuracy") : t("majorityAgreement");
  const cell = (row: string, col: string) => s.matrix.cells.find((c) => c.row === row && c.col === col);
  const flips = s.annotators
    .filter((a) => a.flip_rate !== null)
    .map((a) => ({ annotator: a.annotator, flip_rate: 100 * (a.flip_rate ?? 0), label: `${a.flips}/${a.repeats}` }));

  const ratingAxis = niceTicks(
    Math.min(...leaderboard.map((m) => m.range[0] ?? m.rating)),
    Math.max(...leaderboard.map((m) => m.range[1] ?? m.rating)),
  );
  const enoughBattles = s.battles >= MIN_BATTLES && leaderboard.length >= 2;

  return (
    <div className="space-y-6">
      <div className="flex flex-wrap items-center gap-3">
        <Link href={`/admin/projects/${projectId}`} className="text-sm text-blue-700 hover:underline">
          ← {s.project.name}
        </Link>
        <h1 className="text-2xl font-semibold" data-testid="quality-title">
          {t("title")}
        </h1>
        <label className="ml-auto text-sm">
          {t("baseline")}{" "}
          <select
            className="rounded border border-slate-300 px-2 py-1"
            value={s.baseline ?? ""}
            onChange={(e) => setBaseline(e.target.value || undefined)}
            data-testid="baseline-select"
          >
            {s.models.map((m) => (
              <option key={m.model}>{m.model}</option>
            ))}
          </select>
        </label>
        <label className="text-sm">
          {t("criterion")}{" "}
          <select
            className="rounded border border-slate-300 px-2 py-1"
            value={criterion ?? ""}
            onChange={(e) => setCriterion(e.target.value || undefined)}
            data-testid="criterion-select"
          >
            <option value="">{t("overall")}</option>
            {s.project.criteria.map((c) => (
              <option key={c}>{c}</option>
            ))}
          </select>
        </label>
      </div>
      <p className="text-sm text-slate-600">
        {t("summary", { judgments: s.judgments, battles: s.battles, annotators: s.annotators.length })}
        {s.excluded_annotators.length > 0 && t("excludedList", { names: s.excluded_annotators.map((e) => e.annotator).join(", ") })}
      </p>

      <div className="grid gap-3 sm:grid-cols-4" data-testid="agreement">
        <div className="rounded-lg border border-slate-200 bg-white p-3">
          <div className="text-xs text-slate-500">{t("alpha")}</div>
          <div className="text-2xl font-semibold" data-testid="alpha">
            {fmt(s.agreement.krippendorff_alpha, 3)}
          </div>
          <div className="text-xs text-slate-500">
            {t("ci", { lo: fmt(s.agreement.alpha_ci[0], 3), hi: fmt(s.agreement.alpha_ci[1], 3) })}
          </div>
        </div>
        <div className="rounded-lg border border-slate-200 bg-white p-3">
          <div className="text-xs text-slate-500">{t("percentAgreement")}</div>
          <div className="text-2xl font-semibold" data-testid="percent-agreement">
            {fmt(s.agreement.percent_agreement)}%
          </div>
          <div className="text-xs text-slate-500">
            {t("ciItems", {
              lo: fmt(s.agreement.percent_agreement_ci[0]),
              hi: fmt(s.agreement.percent_agreement_ci[1]),
              items: s.agreement.items,
            })}
          </div>
        </div>
        <div className="rounded-lg border border-slate-200 bg-white p-3">
          <div className="text-xs text-slate-500">{t("alphaStrength")}</div>
          <div className="text-2xl font-semibold">{fmt(s.agreement.krippendorff_alpha_strength, 3)}</div>
        </div>
        <div className="rounded-lg border border-slate-200 bg-white p-3">
          <div className="text-xs text-slate-500">{t("dawidSkene")}</div>
          <div className="text-2xl font-semibold">
            {s.dawid_skene ? `${format.number(s.dawid_skene.disagrees_with_majority)} / ${format.number(s.dawid_skene.items)}` : "—"}
          </div>
        </div>
      </div>

      <div className="grid gap-6 lg:grid-cols-2">
        <Card title={t("leaderboardTitle")} testId="leaderboard-chart">
          {!enoughBattles ? (
            <ChartEmpty have={s.battles} need={MIN_BATTLES} unit={t("comparisons")}>
              {t("ratingsNeed", { need: MIN_BATTLES })}
            </ChartEmpty>
          ) : (
            <ResponsiveContainer width="100%" height={260}>
              <BarChart data={leaderboard} layout="vertical" margin={{ ...TITLED_MARGIN, right: 60 }}>
                <CartesianGrid strokeDasharray="3 3" />
                <XAxis type="number" domain={ratingAxis.domain} ticks={ratingAxis.ticks} label={axisTitle(t("ratingAxis"), "x")} />
                <YAxis type="category" dataKey="model" width={140} />
                <Tooltip
                  formatter={(v) =>
                    Array.isArray(v) ? `${format.number(Math.round(v[0]))} – ${format.number(Math.round(v[1]))}` : String(v)
                  }
                />
                <Bar dataKey="range" name={t("ci95")} fill="#a5b4fc" isAnimationActive={false}>
                  <LabelList dataKey="rating" position="right" />
                </Bar>
              </BarChart>
            </ResponsiveContainer>
          )}
        </Card>
        <Card title={t("winRateTitle", { baseline: s.baseline ?? t("baselineFallback") })} testId="winrate-chart">
          {!enoughBattles || winRates.length === 0 ? (
            <ChartEmpty have={s.battles} need={MIN_BATTLES} unit={t("comparisons")} />
          ) : (
            <ResponsiveContainer width="100%" height={260}>
              <BarChart data={winRates} layout="vertical" margin={TITLED_MARGIN}>
                <CartesianGrid strokeDasharray="3 3" />
                <XAxis type="number" domain={[0, 100]} ticks={[0, 25, 50, 75, 100]} unit="%" label={axisTitle(t("winRate"), "x")} />
                <YAxis type="category" dataKey="model" width={140} />
                <Tooltip />
                <Bar dataKey="win_rate" name={t("winRate")} fill="#10b981" isAnimationActive={false}>
                  <ErrorBar dataKey="se" width={6} strokeWidth={2} stroke="#1e293b" direction="x" />
                </Bar>
              </BarChart>
            </ResponsiveContainer>
          )}
        </Card>
        <Card title={t("overTimeTitle")} testId="agreement-over-time">
          {s.agreement.over_time.length < 2 ? (
            <ChartEmpty have={s.agreement.over_time.length} need={2} unit={t("points")}>
              {t("overTimeNeed")}
            </ChartEmpty>
          ) : (
            <ResponsiveContainer width="100%" height={240}>
              <LineChart data={s.agreement.over_time} margin={TITLED_MARGIN}>
                <CartesianGrid strokeDasharray="3 3" />
                <XAxis
                  type="number"
                  dataKey="judgments"
                  domain={niceTicks(s.agreement.over_time[0]?.judgments ?? 0, s.agreement.over_time.at(-1)?.judgments ?? 1).domain}
                  ticks={niceTicks(s.agreement.over_time[0]?.judgments ?? 0, s.agreement.over_time.at(-1)?.judgments ?? 1).ticks}
                  label={axisTitle(t("judgmentsAxis"), "x")}
                />
                <YAxis domain={[0, 1]} ticks={[0, 0.25, 0.5, 0.75, 1]} width={56} label={axisTitle(t("alphaAxis"), "y")} />
                <Tooltip />
                <Line dataKey="krippendorff_alpha" name="α" stroke="#6366f1" isAnimationActive={false} />
              </LineChart>
            </ResponsiveContainer>
          )}
        </Card>
        <Card title={t("scatterTitle", { measure: scatterMeasure })} testId="annotator-scatter">
          {scatter.length === 0 ? (
            <ChartEmpty have={0} need={1} unit={t("timedAnnotators")}>
              {t("scatterNeed")}
            </ChartEmpty>
          ) : (
            <ResponsiveContainer width="100%" height={240}>
              <ScatterChart margin={TITLED_MARGIN}>
                <CartesianGrid strokeDasharray="3 3" />
                <XAxis
                  type="number"
                  dataKey="seconds"
                  name={t("medianS")}
                  unit="s"
                  domain={niceTicks(0, Math.max(...scatter.map((a) => a.seconds))).domain}
                  ticks={niceTicks(0, Math.max(...scatter.map((a) => a.seconds))).ticks}
                  label={axisTitle(t("medianSecondsAxis"), "x")}
                />
                <YAxis
                  type="number"
                  dataKey="accuracy"
                  name={scatterMeasure}
                  unit="%"
                  domain={[0, 100]}
                  ticks={[0, 25, 50, 75, 100]}
                  width={56}
                  label={axisTitle(scatterMeasure, "y")}
                />
                <ZAxis type="number" dataKey="judgments" range={[40, 200]} name={t("judgmentsAxis")} />
                <Tooltip />
                <Scatter data={scatter} fill="#f59e0b" isAnimationActive={false} />
              </ScatterChart>
            </ResponsiveContainer>
          )}
        </Card>
      </div>

      <Card title={t("flipTitle")} testId="flip-chart">
        {flips.length === 0 ? (
          <p className="text-sm text-slate-500">{t("noRepeats")}</p>
        ) : (
          <ResponsiveContainer width="100%" height={Math.max(120, 28 * flips.length + 40)}>
            <BarChart data={flips} layout="vertical" margin={{ ...TITLED_MARGIN, right: 40 }}>
              <CartesianGrid strokeDasharray="3 3" />
              <XAxis type="number" domain={[0, 100]} ticks={[0, 25, 50, 75, 100]} unit="%" label={axisTitle(t("flipRate"), "x")} />
              <YAxis type="category" dataKey="annotator" width={120} />
              <Tooltip />
              <Bar dataKey="flip_rate" name={t("flipRate")} fill="#ef4444" isAnimationActive={false}>
                <LabelList dataKey="label" position="right" />
              </Bar>
            </BarChart>
          </ResponsiveContainer>
        )}
      </Card>

      <Card title={t("matrixTitle")} testId="winrate-matrix">
        <table className="text-sm">
          <thead>
            <tr>
              <th />
              {s.matrix.models.map((m) => (
                <th key={m} className="px-2 py-1 text-left font-normal text-slate-500">
                  {m}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {s.matrix.models.map((row) => (
              <tr key={row}>
                <th className="px-2 py-1 text-left font-normal">{row}</th>
                {s.matrix.models.map((col) => {
                  const c = cell(row, col);
                  return (
                    <td
                      key={col}
                      className="px-2 py-1 text-center"
                      style={{ background: c ? heat(c.win_rate) : "#f8fafc" }}
                      title={c ? t("comparisonsCount", { n: c.n }) : t("noComparisons")}
                    >
                      {c ? `${format.number(c.win_rate, { maximumFractionDigits: 0 })}%` : ""}
                    </td>
                  );
                })}
              </tr>
            ))}
          </tbody>
        </table>
      </Card>

      {s.agreement.kappa_pairs.length > 0 && (
        <Card title={t("kappaTitle")} testId="kappa-pairs">
          <ul className="grid gap-1 text-sm sm:grid-cols-2">
            {s.agreement.kappa_pairs.map((k) => (
              <li key={`${k.annotator_a}|${k.annotator_b}`}>
                {t("kappaPair", {
                  a: k.annotator_a,
                  b: k.annotator_b,
                  kappa: fmt(k.kappa, 2),
                  lo: fmt(k.ci[0], 2),
                  hi: fmt(k.ci[1], 2),
                  shared: k.shared,
                })}
              </li>
            ))}
          </ul>
        </Card>
      )}

      <GroupSplit projectId={projectId} baseline={baseline} criterion={criterion} />

      <Card title={t("annotatorsTitle")} testId="annotator-table">
        <div className="relative overflow-x-auto">
          <table className="w-full text-sm">
            <thead className="text-left text-slate-500">
              <tr>
                <th className="py-1 pr-3">{t("col.annotator")}</th>
                <th className="pr-3">{t("col.judgments")}</th>
                <th className="pr-3" title={t("col.leftShareHint")}>
                  {t("col.leftShare")}
                </th>
                <th className="pr-3" title={t("col.longerHint", { average: pct(s.longer_share) })}>
                  {t("col.longerWins")}
                </th>
                <th className="pr-3">{t("col.tieBothBad")}</th>
                <th className="pr-3">{t("col.medianS")}</th>
                <th className="pr-3">{t("col.majority")}</th>
                <th className="pr-3">{t("col.gold")}</th>
                <th className="pr-3">{t("col.flipRate")}</th>
                <th className="pr-3">{t("col.dsAccuracy")}</th>
                {isAdmin && (
                  <th>
                    <span className="sr-only">{t("col.actions")}</span>
                  </th>
                )}
              </tr>
            </thead>
            <tbody>
              {s.annotators.map((a) => (
                <tr key={a.annotator_id} className="border-t border-slate-100" data-testid="annotator-row">
                  <td className="py-1 pr-3">
                    {a.annotator}
                    {a.external && <span className="ml-1 text-xs text-slate-500">{t("external")}</span>}
                  </td>
                  <td className="pr-3">{format.number(a.judgments)}</td>
                  <td className={`pr-3 ${a.position_p_value !== null && a.position_p_value < 0.05 ? "text-red-700" : ""}`}>
                    {pct(a.left_share)} ({fmt(a.position_p_value, 3)})
                  </td>
                  <td className="pr-3">{pct(a.longer_share)}</td>
                  <td className="pr-3">
                    {pct(a.tie_rate)} / {pct(a.both_bad_rate)}
                  </td>
                  <td className="pr-3">
                    {fmt(a.median_seconds)}
                    {a.too_fast && <span className="ml-1 rounded bg-red-100 px-1 text-xs text-red-700">{t("tooFast")}</span>}
                  </td>
                  <td className="pr-3">{pct(a.majority_agreement)}</td>
                  <td className="pr-3">
                    {a.gold_accuracy === null
                      ? "—"
                      : t("goldCell", {
                          accuracy: pct(a.gold_accuracy),
                          lo: pct(a.gold_ci?.[0]),
                          hi: pct(a.gold_ci?.[1]),
                          n: a.gold_judged,
                        })}
                  </td>
                  <td className="pr-3">{a.flip_rate === null ? "—" : t("flipCell", { rate: pct(a.flip_rate), n: a.repeats })}</td>
                  <td className="pr-3">{pct(a.ds_accuracy)}</td>
                  {isAdmin && (
                    <td>
                      <button
                        type="button"
                        className="rounded border border-slate-300 px-2 py-0.5 text-xs hover:bg-slate-50"
                        disabled={exclude.isPending}
                        onClick={() => exclude.mutate({ projectId, userId: a.annotator_id, excluded: true })}
                        data-testid="exclude-annotator"
                      >
                        {t("exclude")}
                      </button>
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        {isAdmin && s.excluded_annotators.length > 0 && (
          <ul className="mt-3 space-y-1 text-sm" data-testid="excluded-annotators">
            {s.excluded_annotators.map((e) => (
              <li key={e.annotator_id}>
                {t("excludedNote", { name: e.annotator })}{" "}
                <button
                  type="button"
                  className="text-blue-700 hover:underline"
                  onClick={() => exclude.mutate({ projectId, userId: e.annotator_id, excluded: false })}
                >
                  {t("includeAgain")}
                </button>
              </li>
            ))}
          </ul>
        )}
      </Card>
    </div>
  );
}

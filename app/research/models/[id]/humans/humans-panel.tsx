"use client";
/**
 * Model vs humans for one reward model on one project: score the judged items (a `score` job with
 * progress), then RM-vs-human agreement overall, per criterion, per annotator and over time next to
 * the human figures, a reliability diagram, and the items where the model most confidently
 * disagrees with the majority. Below: order the project's queue by this model (active learning).
 */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useFormatter, useTranslations } from "next-intl";
import { useEffect, useState } from "react";
import { Bar, BarChart, CartesianGrid, Legend, Line, LineChart, ReferenceLine, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { IdSelect } from "@/app/_components/id-select";
import { Markdown } from "@/app/_components/markdown";
import { ProgressBar } from "@/app/_components/progress-bar";
import { useTRPC } from "@/app/_components/trpc";
import type { Content } from "@/db/schema";

/** A percentage in [0, 100] with one decimal, in the reader's locale; "–" when unknown. */
function usePct() {
  const format = useFormatter();
  return (v: number | null | undefined) =>
    typeof v === "number" ? format.number(v / 100, { style: "percent", minimumFractionDigits: 1, maximumFractionDigits: 1 }) : "–";
}
const asText = (c: Content) => (typeof c === "string" ? c : c.map((m) => `**${m.role}:** ${m.content}`).join("\n\n"));

function Tile({ label, value, sub, testId }: { label: string; value: string; sub?: string; testId?: string }) {
  return (
    <div className="rounded border border-slate-200 bg-white p-4" data-testid={testId}>
      <div className="text-xs uppercase text-slate-500">{label}</div>
      <div className="text-2xl font-semibold tabular-nums">{value}</div>
      {sub && <div className="text-xs text-slate-500">{sub}</div>}
    </div>
  );
}

type Verdict = { level: "below" | "uncertain" | "above" | "unknown"; message: string; tips: string[] };

/** The held-out verdict: a model at or below chance says so, with what to try. */
export function VerdictNote({ verdict, testId }: { verdict: Verdict | null | undefined; testId: string }) {
  const t = useTranslations("models.verdictNote");
  if (!verdict || verdict.level === "above" || verdict.level === "unknown") return null;
  const below = verdict.level === "below";
  return (
    <div
      role={below ? "alert" : "status"}
      data-testid={testId}
      data-level={verdict.level}
      className={`rounded border p-3 text-sm ${below ? "border-red-300 bg-red-50 text-red-900" : "border-amber-300 bg-amber-50 text-amber-900"}`}
    >
      <p className="font-medium">{verdict.message}</p>
      <p className="mt-1">{t("whatToTry")}</p>
      <ul className="ml-5 list-disc">
        {verdict.tips.map((t) => (
          <li key={t}>{t}</li>
        ))}
      </ul>
    </div>
  );
}

export function HumansPanel({ modelId }: { modelId: number }) {
  const t = useTranslations("models.humans");
  const format = useFormatter();
  const pct = usePct();
  const trpc = useTRPC();
  const qc = useQueryClient();
  const models = useQuery(trpc.research.models.queryOptions());
  const projects = useQuery(trpc.projects.list.queryOptions());
  const model = models.data?.find((m) => m.id === modelId);
  const [picked, setPicked] = useState(0);
  const projectId = picked || model?.projectId || projects.data?.[0]?.id || 0;
  const [jobId, setJobId] = useState<number | null>(null);
  const job = useQuery({
    ...trpc.research.job.queryOptions({ jobId: jobId ?? 0 }),
    enabled: jobId !== null,
    refetchInterval: (q) => (q.state.data?.job.state === "running" ? 500 : false),
  });
  const jobState = job.data?.job.state;
  const vs = useQuery({ ...trpc.scoring.modelVsHumans.queryOptions({ projectId, modelId, disagreements: 10 }), enabled: projectId > 0 });
  const scoreProject = useMutation(trpc.scoring.scoreProject.mutationOptions({ onSuccess: (j) => setJobId(j.id) }));
  useEffect(() => {
    if (jobState === "succeeded") void qc.invalidateQueries({ queryKey: trpc.scoring.modelVsHumans.queryKey() });
  }, [jobState, qc, trpc]);
  const progress = job.data?.job.progress as { done?: number; total?: number | null } | null | undefined;
  const d = vs.data;

  return (
    <div className="space-y-6">
      <h1 className="text-xl font-semibold">
        {t.rich("title", {
          name: model?.name ?? t("modelFallback", { id: modelId }),
          model: (chunks) => <span data-testid="humans-model">{chunks}</span>,
        })}
      </h1>
      <div className="flex flex-wrap items-end gap-3 rounded border border-slate-200 bg-white p-4 text-sm">
        <IdSelect label={t("project")} testId="humans-project" value={projectId} onChange={setPicked} options={projects.data ?? []} />
        <button
          type="button"
          className="rounded bg-slate-900 px-4 py-1 text-white disabled:opacity-50"
          data-testid="humans-score"
          disabled={!projectId || scoreProject.isPending || jobState === "running"}
          onClick={() => scoreProject.mutate({ projectId, modelId, scope: "judged" })}
        >
          {t("score")}
        </button>
        {jobId !== null && (
          <div className="flex min-w-64 flex-col gap-1" data-testid="humans-job">
            <span>
              {t("job", { id: jobId })} <span data-testid="humans-job-state">{jobState ? t(`jobState.${jobState}`) : "…"}</span>
              {typeof progress?.total === "number" && ` · ${t("progress", { done: progress.done ?? 0, total: progress.total })}`}
            </span>
            <ProgressBar done={progress?.done ?? 0} target={progress?.total ?? 0} label={t("progressLabel")} />
            {job.data?.job.error && <span className="text-red-700">{job.data.job.error}</span>}
          </div>
        )}
        {scoreProject.error && <span className="text-red-700">{scoreProject.error.message}</span>}
      </div>

      {vs.error && <p className="text-red-700">{vs.error.message}</p>}
      {d && d.scoredItems === 0 && <p className="text-slate-600">{t("noneScored")}</p>}
      {d && d.scoredItems > 0 && (
        <div className="space-y-6" data-testid="humans-result">
          <p className="text-sm text-slate-600">
            {t("summary", { scored: d.scoredItems, judged: d.judgedItems, decisive: d.overall.n, ties: d.overall.ties })}
          </p>
          <section className="space-y-3" data-testid="humans-held-out">
            <h2 className="text-sm font-medium">{t("heldOut.title")}</h2>
            <div className="grid gap-4 md:grid-cols-4">
              <Tile
                testId="tile-held-out"
                label={t("heldOut.notTrainedOn")}
                value={pct(d.heldOut.notTrainedOn.agreement)}
                sub={t("heldOut.notTrainedOnSub", { count: d.heldOut.notTrainedOn.n })}
              />
              <Tile
                label={t("heldOut.split")}
                value={pct(d.heldOut.heldOut.agreement)}
                sub={t("heldOut.splitSub", { count: d.heldOut.heldOut.n })}
              />
              <Tile
                label={t("heldOut.outside")}
                value={pct(d.heldOut.outsideData.agreement)}
                sub={t("heldOut.outsideSub", { count: d.heldOut.outsideData.n })}
              />
              <Tile
                testId="tile-trained-on"
                label={t("heldOut.trainedOn")}
                value={pct(d.heldOut.trainedOn.agreement)}
                sub={t("heldOut.trainedOnSub", { count: d.heldOut.trainedOn.n })}
              />
            </div>
            {!d.heldOut.recorded && (
              <p className="text-sm text-amber-800" data-testid="humans-split-unknown">
                {t("heldOut.unrecorded")}
              </p>
            )}
            <VerdictNote verdict={d.heldOut.verdict} testId="humans-verdict" />
          </section>
          <h2 className="text-sm font-medium">{t("all.title")}</h2>
          <div className="grid gap-4 md:grid-cols-4">
            <Tile
              testId="tile-model"
              label={t("all.model")}
              value={pct(d.overall.agreement)}
              sub={t("all.modelSub", { count: d.overall.n })}
            />
            <Tile label={t("all.human")} value={pct(d.human.agreement)} sub={t("all.humanSub", { count: d.human.n })} />
            <Tile label={t("all.majority")} value={pct(d.majority.agreement)} sub={t("all.majoritySub", { count: d.majority.n })} />
            <Tile
              label={t("all.humanHuman")}
              value={pct(d.humanHuman.percent_agreement)}
              sub={t("all.humanHumanSub", {
                alpha:
                  typeof d.humanHuman.krippendorff_alpha === "number"
                    ? format.number(d.humanHuman.krippendorff_alpha, { minimumFractionDigits: 3, maximumFractionDigits: 3 })
                    : "–",
                count: d.humanHuman.items,
              })}
            />
          </div>
          <div className="grid gap-4 md:grid-cols-2">
            <section className="h-72 rounded border border-slate-200 bg-white p-4" data-testid="chart-criteria">
              <h2 className="text-sm font-medium">
                {t("charts.criteria")}
                {d.byCriterion.some((c) => c.model.n === 0) && (
                  <span className="font-normal text-slate-500">
                    {" "}
                    ·{" "}
                    {t("charts.noAnswers", {
                      criteria: format.list(d.byCriterion.filter((c) => c.model.n === 0).map((c) => c.criterion)),
                    })}
                  </span>
                )}
              </h2>
              <ResponsiveContainer>
                <BarChart
                  data={[
                    { name: t("charts.overall"), model: d.overall.agreement, human: d.human.agreement },
                    ...d.byCriterion
                      .filter((c) => c.model.n > 0)
                      .map((c) => ({ name: c.criterion, model: c.model.agreement, human: c.human.agreement })),
                  ]}
                >
                  <CartesianGrid strokeDasharray="3 3" />
                  <XAxis dataKey="name" />
                  <YAxis domain={[0, 100]} />
                  <Tooltip formatter={(v) => pct(Number(v))} />
                  <Legend />
                  <Bar dataKey="model" name={t("charts.model")} fill="#2563eb" isAnimationActive={false} />
                  <Bar dataKey="human" name={t("charts.human")} fill="#94a3b8" isAnimationActive={false} />
                </BarChart>
              </ResponsiveContainer>
            </section>
            <section className="h-72 rounded border border-slate-200 bg-white p-4" data-testid="chart-time">
              <h2 className="text-sm font-medium">{t("charts.time")}</h2>
              <ResponsiveContainer>
                <LineChart data={d.overTime.map((w, i) => ({ window: i + 1, agreement: w.agreement, n: w.n }))}>
                  <CartesianGrid strokeDasharray="3 3" />
                  <XAxis dataKey="window" />
                  <YAxis domain={[0, 100]} />
                  <Tooltip formatter={(v) => pct(Number(v))} />
                  <ReferenceLine y={d.human.agreement ?? undefined} stroke="#94a3b8" strokeDasharray="4 4" label={t("charts.human")} />
                  <Line dataKey="agreement" name={t("charts.agreement")} stroke="#2563eb" isAnimationActive={false} />
                </LineChart>
              </ResponsiveContainer>
            </section>
            <section className="h-72 rounded border border-slate-200 bg-white p-4" data-testid="chart-annotators">
              <h2 className="text-sm font-medium">{t("charts.annotators")}</h2>
              <ResponsiveContainer>
                <BarChart data={d.byAnnotator.slice(0, 30)}>
                  <CartesianGrid strokeDasharray="3 3" />
                  <XAxis dataKey="annotator" interval={0} angle={-30} textAnchor="end" height={60} />
                  <YAxis domain={[0, 100]} />
                  <Tooltip formatter={(v, k) => (k === "agreement" ? pct(Number(v)) : v)} />
                  <Bar dataKey="agreement" name={t("charts.agreement")} fill="#2563eb" isAnimationActive={false} />
                </BarChart>
              </ResponsiveContainer>
            </section>
            <section className="h-72 rounded border border-slate-200 bg-white p-4" data-testid="chart-confidence">
              <h2 className="text-sm font-medium">{t("charts.calibration")}</h2>
              <ResponsiveContainer>
                <LineChart
                  data={d.byConfidence
                    .filter((b) => b.n > 0)
                    .map((b) => ({ confidence: b.confidence, agreement: b.agreement, ideal: b.confidence, n: b.n }))}
                >
                  <CartesianGrid strokeDasharray="3 3" />
                  <XAxis dataKey="confidence" type="number" domain={[0.5, 1]} />
                  <YAxis domain={[0, 1]} />
                  <Tooltip />
                  <Legend />
                  <Line dataKey="agreement" name={t("charts.agreement")} stroke="#2563eb" isAnimationActive={false} />
                  <Line
                    dataKey="ideal"
                    name={t("charts.ideal")}
                    stroke="#94a3b8"
                    strokeDasharray="4 4"
                    dot={false}
                    isAnimationActive={false}
                  />
                </LineChart>
              </ResponsiveContainer>
            </section>
          </div>
          <section className="space-y-3" data-testid="disagreements">
            <h2 className="font-medium">{t("disagreements.title")}</h2>
            {d.disagreements.length === 0 && <p className="text-sm text-slate-600">{t("disagreements.none")}</p>}
            {d.disagreements.map((x) => {
              const item = d.disagreementItems.find((it) => it.id === x.itemId);
              return (
                <article key={`${x.itemId}-${x.pair.join("-")}`} className="rounded border border-slate-200 bg-white p-4 text-sm">
                  <header className="mb-2 flex flex-wrap gap-4 text-slate-600">
                    <span className="font-semibold text-slate-900">
                      {t("disagreements.item", { id: item?.externalId ?? String(x.itemId) })}
                    </span>
                    <span>{t("disagreements.votes", { for: x.votesFor, against: x.votesAgainst, response: x.majority })}</span>
                    <span>{t("disagreements.confidence", { confidence: pct(100 * x.confidence) })}</span>
                  </header>
                  {item && (
                    <>
                      <section
                        className="relative mb-2 max-h-32 overflow-auto text-slate-700"
                        // biome-ignore lint/a11y/noNoninteractiveTabindex: a region that scrolls must be reachable by keyboard
                        tabIndex={0}
                        aria-label={t("disagreements.promptLabel", { id: item.externalId ?? String(x.itemId) })}
                      >
                        <Markdown text={asText(item.prompt)} />
                      </section>
                      <div className="grid gap-3 md:grid-cols-2">
                        {x.pair.map((idx, k) => (
                          <section
                            key={idx}
                            // biome-ignore lint/a11y/noNoninteractiveTabindex: a region that scrolls must be reachable by keyboard
                            tabIndex={0}
                            aria-label={t("disagreements.responseLabel", { index: idx, id: item.externalId ?? String(x.itemId) })}
                            className={`relative max-h-64 overflow-auto rounded border p-2 ${idx === x.majority ? "border-emerald-400" : "border-red-300"}`}
                          >
                            <div className="mb-1 text-xs text-slate-500">
                              {t("disagreements.response", {
                                index: idx,
                                model: item.responses[idx]?.model ?? "?",
                                reward:
                                  typeof x.rewards[k] === "number"
                                    ? format.number(x.rewards[k], { minimumFractionDigits: 3, maximumFractionDigits: 3 })
                                    : "–",
                              })}{" "}
                              · {idx === x.majority ? t("disagreements.humansPick") : t("disagreements.modelsPick")}
                            </div>
                            <Markdown text={asText(item.responses[idx]?.content ?? "")} />
                          </section>
                        ))}
                      </div>
                    </>
                  )}
                </article>
              );
            })}
          </section>
        </div>
      )}
      <QueuePanel projectId={projectId} modelId={modelId} />
    </div>
  );
}

function QueuePanel({ projectId, modelId }: { projectId: number; modelId: number }) {
  const t = useTranslations("models.queue");
  const trpc = useTRPC();
  const models = useQuery(trpc.research.models.queryOptions());
  const [form, setForm] = useState({ strategy: "uncertainty" as "uncertainty" | "disagreement" | "random", randomShare: 0.1, versus: 0 });
  const reorder = useMutation(trpc.scoring.reorderQueue.mutationOptions());
  const others = (models.data ?? []).filter((m) => m.id !== modelId);
  return (
    <section className="space-y-3 rounded border border-slate-200 bg-white p-4 text-sm" data-testid="queue-panel">
      <h2 className="font-medium">{t("title")}</h2>
      <p className="text-slate-600">{t("help")}</p>
      <div className="flex flex-wrap items-end gap-3">
        <label className="flex flex-col gap-1">
          {t("strategy")}
          <select
            className="rounded border px-2 py-1"
            data-testid="queue-strategy"
            value={form.strategy}
            onChange={(e) => setForm({ ...form, strategy: e.target.value as "uncertainty" })}
          >
            <option value="uncertainty">{t("uncertainty")}</option>
            <option value="disagreement">{t("disagreement")}</option>
            <option value="random">{t("random")}</option>
          </select>
        </label>
        {form.strategy === "disagreement" && (
          <IdSelect
            label={t("versus")}
            value={form.versus}
            onChange={(versus) => setForm({ ...form, versus })}
            options={others}
            none={{ label: t("pickModel"), disabled: true }}
          />
        )}
        <label className="flex flex-col gap-1">
          {t("randomShare")}
          <input
            type="number"
            min={0}
            max={1}
            step={0.05}
            className="w-24 rounded border px-2 py-1"
            data-testid="queue-random-share"
            value={form.randomShare}
            onChange={(e) => setForm({ ...form, randomShare: Number(e.target.value) })}
          />
        </label>
        <button
          type="button"
          className="rounded bg-slate-900 px-4 py-1 text-white disabled:opacity-50"
          data-testid="queue-reorder"
          disabled={!projectId || reorder.isPending || (form.strategy === "disagreement" && !form.versus)}
          onClick={() =>
            reorder.mutate({
              projectId,
              strategy: form.strategy,
              modelId,
              versusModelId: form.strategy === "disagreement" ? form.versus : undefined,
              randomShare: form.randomShare,
            })
          }
        >
          {reorder.isPending ? t("reordering") : t("reorder")}
        </button>
      </div>
      {reorder.error && <p className="text-red-700">{reorder.error.message}</p>}
      {reorder.data && (
        <div data-testid="queue-result">
          <p>{t("result", { count: reorder.data.reordered, unscored: reorder.data.unscored })}</p>
          <div className="h-56">
            <ResponsiveContainer>
              <BarChart data={reorder.data.next.map((n, i) => ({ position: i + 1, item: n.external_id ?? n.item, margin: n.margin }))}>
                <CartesianGrid strokeDasharray="3 3" />
                <XAxis dataKey="position" />
                <YAxis />
                <Tooltip labelFormatter={(_, p) => t("item", { id: String(p[0]?.payload.item ?? "") })} />
                <Bar dataKey="margin" name={t("margin")} fill="#2563eb" isAnimationActive={false} />
              </BarChart>
            </ResponsiveContainer>
          </div>
        </div>
      )}
    </section>
  );
}

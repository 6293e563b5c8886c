"use client";
/**
 * Sampling jobs: start a round (prompts file, generators, K samples or one each, sampling params),
 * watch its progress, tokens/s and ETA, cancel or resume it, and download its failure list.
 */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useFormatter, useTranslations } from "next-intl";
import { useEffect, useMemo, useState } from "react";
import { CartesianGrid, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { axisTitle, ChartEmpty, niceTicks, TITLED_MARGIN } from "@/app/_components/charts";
import { IdSelect } from "@/app/_components/id-select";
import { ProgressBar } from "@/app/_components/progress-bar";
import { useTRPC } from "@/app/_components/trpc";
import { useResearchLabels } from "@/app/research/use-labels";

const ACTIVE = new Set(["queued", "running"]);

function JobView({ jobId }: { jobId: number }) {
  const t = useTranslations("research.generate.job");
  const tc = useTranslations("charts");
  const format = useFormatter();
  const labels = useResearchLabels();
  const trpc = useTRPC();
  const qc = useQueryClient();
  const view = useQuery({
    ...trpc.generation.job.queryOptions({ jobId }),
    refetchInterval: (q) => (q.state.data && !ACTIVE.has(q.state.data.job.state) ? false : 1000),
  });
  const failures = useQuery({
    ...trpc.generation.failures.queryOptions({ jobId }),
    enabled: !!view.data && !ACTIVE.has(view.data.job.state),
  });
  const invalidate = () => void qc.invalidateQueries({ queryKey: trpc.generation.pathKey() });
  const cancel = useMutation(trpc.generation.cancel.mutationOptions({ onSuccess: invalidate }));
  const resume = useMutation(trpc.generation.resume.mutationOptions({ onSuccess: invalidate }));
  const points = useMemo(
    () =>
      (view.data?.events ?? [])
        .filter((e) => e.type === "progress")
        .map((e) => ({ t: Math.round(Number(e.payload.elapsed_s ?? 0)), tps: Number(e.payload.tokens_per_s ?? 0) })),
    [view.data],
  );
  const axes = useMemo(
    () =>
      points.length < 2
        ? null
        : {
            x: niceTicks(points[0]?.t ?? 0, points.at(-1)?.t ?? 1),
            y: niceTicks(0, Math.max(...points.map((p) => p.tps))),
          },
    [points],
  );
  const download = useMemo(() => {
    if (!failures.data?.length) return null;
    const text = failures.data.map((f) => JSON.stringify(f)).join("\n");
    return `data:application/jsonl;charset=utf-8,${encodeURIComponent(`${text}\n`)}`;
  }, [failures.data]);
  if (!view.data) return <p className="text-sm text-slate-600">{t("loading", { id: jobId })}</p>;
  const { job, summary, round } = view.data;
  const progress = job.progress ?? {};
  return (
    <section
      className="space-y-3 rounded border border-slate-200 bg-white p-4 text-sm"
      aria-label={t("label", { id: jobId })}
      data-testid="generate-job"
    >
      <div className="flex flex-wrap items-baseline gap-4">
        <h2 className="font-semibold">{t("title", { id: job.id, round: round.number })}</h2>
        <span data-testid="generate-state">{labels.state(job.state)}</span>
        <span className="text-slate-600">{round.generators.join(", ")}</span>
        {ACTIVE.has(job.state) && (
          <button type="button" className="rounded border px-2 py-0.5" onClick={() => cancel.mutate({ jobId })} disabled={cancel.isPending}>
            {t("cancel")}
          </button>
        )}
        {(job.state === "failed" || job.state === "cancelled") && (
          <button type="button" className="rounded border px-2 py-0.5" onClick={() => resume.mutate({ jobId, retryFailed: true })}>
            {t("resume")}
          </button>
        )}
      </div>
      <ProgressBar done={summary.done + summary.failed} target={summary.total} label={t("prompts")} />
      <p data-testid="generate-counts">
        {t("counts", {
          done: summary.done,
          total: summary.total,
          failed: summary.failed,
          items: summary.items,
          responses: summary.responses,
          tokens: summary.tokens,
          speed: typeof progress.tokens_per_s === "number" ? format.number(progress.tokens_per_s, { maximumFractionDigits: 1 }) : "–",
          eta: ACTIVE.has(job.state) ? labels.eta(progress.eta_s) : "–",
        })}
      </p>
      {job.error && (
        <p className={job.state === "succeeded" ? "text-amber-700" : "text-red-700"} role={job.state === "succeeded" ? undefined : "alert"}>
          {job.error}
        </p>
      )}
      <figure className="h-56 min-w-0" aria-label={tc("tokensPerSecond")}>
        {points.length < 2 || !axes ? (
          <ChartEmpty have={points.length} need={2} unit={t("progressPoints", { count: points.length })}>
            {t("progressHint")}
          </ChartEmpty>
        ) : (
          <ResponsiveContainer>
            <LineChart data={points} margin={TITLED_MARGIN}>
              <CartesianGrid strokeDasharray="3 3" />
              <XAxis
                type="number"
                dataKey="t"
                domain={axes.x.domain}
                ticks={axes.x.ticks}
                tickFormatter={(v: number) => format.number(v)}
                label={axisTitle(tc("elapsed"), "x")}
              />
              <YAxis
                domain={axes.y.domain}
                ticks={axes.y.ticks}
                width={64}
                tickFormatter={(v: number) => format.number(v)}
                label={axisTitle(tc("tokensPerSecond"), "y")}
              />
              <Tooltip
                formatter={(v) => format.number(Number(v), { maximumFractionDigits: 1 })}
                labelFormatter={(v) => tc("atSeconds", { s: Number(v) })}
              />
              <Line type="monotone" dataKey="tps" name={tc("tokensPerSecond")} stroke="#0f766e" dot={false} isAnimationActive={false} />
            </LineChart>
          </ResponsiveContainer>
        )}
      </figure>
      {failures.data && failures.data.length > 0 && (
        <div className="space-y-1" data-testid="generate-failures">
          <div className="flex gap-3">
            <h3 className="font-medium">{t("failed", { count: failures.data.length })}</h3>
            {download && (
              <a href={download} download={`job-${jobId}-failures.jsonl`} className="underline">
                {t("download")}
              </a>
            )}
          </div>
          <ul className="relative max-h-48 overflow-auto text-xs">
            {failures.data.slice(0, 50).map((f) => (
              <li key={f.line}>{t("failure", { line: f.line, id: String(f.id), error: f.error ?? "" })}</li>
            ))}
          </ul>
        </div>
      )}
    </section>
  );
}

export function GeneratePanel() {
  const t = useTranslations("research.generate");
  const labels = useResearchLabels();
  const trpc = useTRPC();
  const qc = useQueryClient();
  const projects = useQuery(trpc.projects.list.queryOptions());
  const generators = useQuery(trpc.generation.generators.queryOptions());
  const jobs = useQuery({ ...trpc.generation.jobs.queryOptions(), refetchInterval: 2000 });
  const [projectId, setProjectId] = useState(0);
  const [chosen, setChosen] = useState<number[]>([]);
  const [file, setFile] = useState<{ name: string; text: string } | null>(null);
  const [form, setForm] = useState({
    samples: 4,
    pairing: "all-pairs" as "all-pairs" | "random-pair",
    temperature: 1,
    topP: 1,
    maxTokens: 256,
    seed: 0,
  });
  const [selected, setSelected] = useState<number | null>(null);
  const models = useQuery(trpc.research.models.queryOptions());
  const [selection, setSelection] = useState({
    on: false,
    n: 8,
    rewardModelId: 0,
    keep: "best-worst" as "best-worst" | "top2" | "most-uncertain",
  });
  const start = useMutation(
    trpc.generation.start.mutationOptions({
      onSuccess: (r) => {
        setSelected(r.jobId);
        void qc.invalidateQueries({ queryKey: trpc.generation.jobs.queryKey() });
      },
    }),
  );
  const project = projectId || projects.data?.[0]?.id || 0;
  const several = chosen.length > 1;
  useEffect(() => {
    if (several && form.samples !== 1) setForm((f) => ({ ...f, samples: 1 }));
    if (!several && form.samples < 2) setForm((f) => ({ ...f, samples: 4 }));
  }, [several, form.samples]);
  const jobId = start.isPending ? null : (selected ?? jobs.data?.[0]?.id ?? null);

  return (
    <div className="space-y-6">
      <h1 className="text-xl font-semibold">{t("title")}</h1>
      <form
        className="flex flex-wrap items-end gap-3 rounded border border-slate-200 bg-white p-4 text-sm"
        aria-label={t("formLabel")}
        onSubmit={(e) => {
          e.preventDefault();
          if (!file) return;
          const select =
            selection.on && !several
              ? { select: selection.n, rewardModelId: selection.rewardModelId || models.data?.[0]?.id, keep: selection.keep }
              : {};
          start.mutate({ projectId: project, prompts: file.text, promptsName: file.name, generators: chosen, ...form, ...select });
        }}
      >
        <IdSelect label={t("project")} value={project} onChange={setProjectId} options={projects.data ?? []} testId="generate-project" />
        <fieldset className="flex flex-col gap-1">
          <legend>{t("generators")}</legend>
          {(generators.data ?? []).map((g) => (
            <label key={g.id} className="flex items-center gap-2">
              <input
                type="checkbox"
                checked={chosen.includes(g.id)}
                onChange={(e) => setChosen(e.target.checked ? [...chosen, g.id] : chosen.filter((id) => id !== g.id))}
              />
              {g.name}
            </label>
          ))}
          {generators.data?.length === 0 && <span className="text-slate-600">{t("noGenerators")}</span>}
        </fieldset>
        <label className="flex flex-col gap-1">
          {t("file")}
          <input
            type="file"
            accept=".jsonl,.json,application/jsonl"
            data-testid="generate-file"
            onChange={async (e) => {
              const f = e.target.files?.[0];
              setFile(f ? { name: f.name, text: await f.text() } : null);
            }}
          />
        </label>
        <label className="flex flex-col gap-1">
          {t("samples")}
          <input
            type="number"
            min={several ? 1 : 2}
            max={several ? 1 : 16}
            className="w-20 rounded border px-2 py-1"
            value={form.samples}
            onChange={(e) => setForm({ ...form, samples: Number(e.target.value) })}
          />
        </label>
        {chosen.length > 2 && (
          <label className="flex flex-col gap-1">
            {t("pairs")}
            <select
              className="rounded border px-2 py-1"
              value={form.pairing}
              onChange={(e) => setForm({ ...form, pairing: e.target.value as "all-pairs" })}
            >
              <option value="all-pairs">{t("allPairs")}</option>
              <option value="random-pair">{t("randomPair")}</option>
            </select>
          </label>
        )}
        <label className="flex flex-col gap-1">
          {t("temperature")}
          <input
            type="number"
            step="0.1"
            min={0}
            max={2}
            className="w-20 rounded border px-2 py-1"
            value={form.temperature}
            onChange={(e) => setForm({ ...form, temperature: Number(e.target.value) })}
          />
        </label>
        <label className="flex flex-col gap-1">
          {t("topP")}
          <input
            type="number"
            step="0.05"
            min={0.05}
            max={1}
            className="w-20 rounded border px-2 py-1"
            value={form.topP}
            onChange={(e) => setForm({ ...form, topP: Number(e.target.value) })}
          />
        </label>
        <label className="flex flex-col gap-1">
          {t("maxTokens")}
          <input
            type="number"
            min={1}
            className="w-24 rounded border px-2 py-1"
            value={form.maxTokens}
            onChange={(e) => setForm({ ...form, maxTokens: Number(e.target.value) })}
          />
        </label>
        <label className="flex flex-col gap-1">
          {t("seed")}
          <input
            type="number"
            min={0}
            className="w-24 rounded border px-2 py-1"
            value={form.seed}
            onChange={(e) => setForm({ ...form, seed: Number(e.target.value) })}
          />
        </label>
        {!several && (
          <fieldset className="flex flex-wrap items-end gap-2 rounded border border-dashed px-2 py-1">
            <legend className="px-1">{t("loop.legend")}</legend>
            <label className="flex items-center gap-2">
              <input type="checkbox" checked={selection.on} onChange={(e) => setSelection({ ...selection, on: e.target.checked })} />
              {t("loop.on")}
            </label>
            {selection.on && (
              <>
                <label className="flex flex-col gap-1">
                  {t("loop.n")}
                  <input
                    type="number"
                    min={3}
                    max={32}
                    className="w-16 rounded border px-2 py-1"
                    value={selection.n}
                    onChange={(e) => setSelection({ ...selection, n: Number(e.target.value) })}
                  />
                </label>
                <IdSelect
                  label={t("loop.model")}
                  value={selection.rewardModelId || models.data?.[0]?.id || 0}
                  onChange={(id) => setSelection({ ...selection, rewardModelId: id })}
                  options={models.data ?? []}
                />
                <label className="flex flex-col gap-1">
                  {t("loop.keep")}
                  <select
                    className="rounded border px-2 py-1"
                    value={selection.keep}
                    onChange={(e) => setSelection({ ...selection, keep: e.target.value as "top2" })}
                  >
                    <option value="best-worst">{t("loop.bestWorst")}</option>
                    <option value="top2">{t("loop.top2")}</option>
                    <option value="most-uncertain">{t("loop.uncertain")}</option>
                  </select>
                </label>
              </>
            )}
          </fieldset>
        )}
        <button
          type="submit"
          className="rounded bg-slate-900 px-3 py-1 text-white disabled:opacity-50"
          disabled={!file || chosen.length === 0 || start.isPending}
        >
          {start.isPending ? t("starting") : t("start")}
        </button>
      </form>
      {start.error && (
        <p className="text-sm text-red-700" role="alert">
          {start.error.message}
        </p>
      )}
      {jobId !== null && <JobView key={jobId} jobId={jobId} />}
      {jobs.data?.length === 0 && (
        <p className="text-sm text-slate-600" data-testid="generate-jobs-empty">
          {t("jobs.empty")}
        </p>
      )}
      {(jobs.data?.length ?? 0) > 0 && (
        <table className="w-full text-sm" data-testid="generate-jobs">
          <caption className="sr-only">{t("jobs.caption")}</caption>
          <thead>
            <tr className="text-left text-slate-600">
              <th>{t("jobs.job")}</th>
              <th>{t("jobs.round")}</th>
              <th>{t("jobs.state")}</th>
              <th>{t("jobs.prompts")}</th>
              <th>{t("jobs.failed")}</th>
            </tr>
          </thead>
          <tbody>
            {(jobs.data ?? []).map((j) => (
              <tr key={j.id} className="border-t">
                <td>
                  <button type="button" className="underline" onClick={() => setSelected(j.id)}>
                    {t("jobs.open", { id: j.id })}
                  </button>
                </td>
                <td>{j.round}</td>
                <td>{labels.state(j.state)}</td>
                <td>
                  {j.summary.done}/{j.summary.total}
                </td>
                <td>{j.summary.failed}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}

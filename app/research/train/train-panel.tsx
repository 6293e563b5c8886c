"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useFormatter, useTranslations } from "next-intl";
import { useState } from "react";
import { AccuracyCurve, StepCurve } from "@/app/_components/charts";
import { useTRPC } from "@/app/_components/trpc";
import { VerdictNote } from "@/app/research/models/[id]/humans/humans-panel";
import { useResearchLabels } from "@/app/research/use-labels";
import { DataSourceFields, useDescribeData } from "./data-source-fields";
import { type DataSource, DEFAULT_FILTERS, type Loss, lossFor, lossSkipsTies } from "./train-form";

const ACTIVE = new Set(["queued", "running"]);

export function TrainPanel() {
  const t = useTranslations("research.train");
  const format = useFormatter();
  const labels = useResearchLabels();
  const trpc = useTRPC();
  const qc = useQueryClient();
  const projects = useQuery(trpc.projects.list.queryOptions());
  const jobs = useQuery({ ...trpc.research.jobs.queryOptions(), refetchInterval: 1000 });
  const doctor = useQuery(trpc.research.doctor.queryOptions());
  const [form, setForm] = useState({
    projectId: 0,
    base: "tiny",
    init: "pretrained" as "pretrained" | "random",
    epochs: 1,
    lr: "",
  });
  const [data, setData] = useState<DataSource>(DEFAULT_FILTERS);
  // null: the loss follows the tie policy (lossFor); a pick of the researcher's own sticks.
  const [lossPick, setLossPick] = useState<Loss | null>(null);
  const loss = lossPick ?? lossFor(data);
  const [selected, setSelected] = useState<number | null>(null);
  const train = useMutation(
    trpc.research.train.mutationOptions({
      onSuccess: (job) => {
        setSelected(job.id);
        void qc.invalidateQueries({ queryKey: trpc.research.jobs.queryKey() });
      },
    }),
  );
  // While a launch is in flight the view waits for the new job instead of showing the previous one.
  const jobId = train.isPending ? null : (selected ?? jobs.data?.[0]?.id ?? null);
  const projectId = form.projectId || projects.data?.[0]?.id || 0;
  const project = useQuery({ ...trpc.projects.get.queryOptions({ projectId }), enabled: projectId > 0 });
  const criteria = project.data?.criteria ?? [];
  const missing = t("doctor.missing");
  const gib = (b: unknown) =>
    typeof b === "number" ? format.number(b / 2 ** 30, { maximumFractionDigits: 1, minimumFractionDigits: 1 }) : "?";

  return (
    <div className="space-y-6">
      <div className="flex items-baseline gap-4">
        <h1 className="text-xl font-semibold">{t("title")}</h1>
        <Link href="/research/models" className="text-sm underline" data-testid="link-models">
          {t("models")}
        </Link>
      </div>
      <form
        className="flex flex-wrap items-end gap-3 rounded border border-slate-200 bg-white p-4 text-sm"
        aria-label={t("formLabel")}
        onSubmit={(e) => {
          e.preventDefault();
          train.mutate({
            projectId,
            base: form.base,
            init: form.init,
            epochs: form.epochs,
            loss,
            lr: form.lr ? Number(form.lr) : null,
            data,
          });
        }}
      >
        <label className="flex flex-col gap-1">
          {t("project")}
          <select
            data-testid="train-project"
            className="rounded border px-2 py-1"
            value={projectId}
            onChange={(e) => {
              setForm({ ...form, projectId: Number(e.target.value) });
              setData(DEFAULT_FILTERS); // a snapshot belongs to one project
            }}
          >
            {projects.data?.map((p) => (
              <option key={p.id} value={p.id}>
                {p.name}
              </option>
            ))}
          </select>
        </label>
        <label className="flex flex-col gap-1">
          {t("base")}
          <input
            data-testid="train-base"
            className="w-64 rounded border px-2 py-1"
            list="train-base-options"
            placeholder={t("basePlaceholder")}
            value={form.base}
            onChange={(e) => setForm({ ...form, base: e.target.value })}
          />
          <datalist id="train-base-options" data-testid="train-base-options">
            <option value="tiny">{t("tinyBase")}</option>
            {doctor.data?.bases.map((b) => (
              <option key={`${b.source}:${b.id}`} value={b.id}>
                {[
                  b.source === "hf-cache" ? t("hfCache") : "ARBITER_MODELS_DIR",
                  b.architecture ?? t("unknownArchitecture"),
                  b.has_chat_template ? t("chatTemplate") : null,
                ]
                  .filter(Boolean)
                  .join(" · ")}
              </option>
            ))}
          </datalist>
          <span className="text-xs text-slate-600" data-testid="train-base-hint">
            {doctor.data ? t("basesFound", { count: doctor.data.bases.length }) : t("lookingForBases")}
            {t("hubHint")}
          </span>
        </label>
        <label className="flex flex-col gap-1">
          {t("weights")}
          <select
            data-testid="train-init"
            className="rounded border px-2 py-1"
            value={form.init}
            onChange={(e) => setForm({ ...form, init: e.target.value as "pretrained" | "random" })}
          >
            <option value="pretrained">{t("init.pretrained")}</option>
            <option value="random">{t("init.random")}</option>
          </select>
        </label>
        <label className="flex flex-col gap-1">
          {t("epochs")}
          <input
            data-testid="train-epochs"
            type="number"
            min={1}
            className="w-20 rounded border px-2 py-1"
            value={form.epochs}
            onChange={(e) => setForm({ ...form, epochs: Number(e.target.value) })}
          />
        </label>
        <label className="flex flex-col gap-1">
          {t("loss")}
          <select
            data-testid="train-loss"
            className="rounded border px-2 py-1"
            value={loss}
            aria-describedby="train-loss-hint"
            onChange={(e) => setLossPick(e.target.value as Loss)}
          >
            <option value="bt">{t("lossOption.bt")}</option>
            <option value="bt-ties">{t("lossOption.btTies")}</option>
          </select>
          <span
            id="train-loss-hint"
            className={`max-w-56 text-xs ${lossSkipsTies(loss, data) ? "text-amber-800" : "text-slate-600"}`}
            data-testid="train-loss-hint"
          >
            {lossSkipsTies(loss, data) ? t("lossSkipsTies") : lossPick === null ? t("lossFollows") : t("lossChosen")}
          </span>
        </label>
        <label className="flex flex-col gap-1">
          {t("lr")}
          <input
            data-testid="train-lr"
            placeholder={t("lrDefault")}
            className="w-28 rounded border px-2 py-1"
            value={form.lr}
            onChange={(e) => setForm({ ...form, lr: e.target.value })}
          />
        </label>
        <DataSourceFields projectId={projectId} criteria={criteria} value={data} onChange={setData} />
        <button
          type="submit"
          data-testid="train-launch"
          disabled={!projectId || train.isPending}
          className="rounded bg-slate-900 px-3 py-1.5 text-white disabled:opacity-50"
        >
          {t("launch")}
        </button>
        {train.error && (
          <p className="w-full text-red-700" data-testid="train-error" role="alert">
            {train.error.message}
          </p>
        )}
      </form>

      {jobId !== null && <JobView jobId={jobId} />}

      <section className="rounded border border-slate-200 bg-white p-4 text-sm">
        <h2 className="mb-2 font-medium">{t("jobs.title")}</h2>
        {jobs.data?.length === 0 ? (
          <p className="text-slate-600" data-testid="job-list-empty">
            {t("jobs.empty")}
          </p>
        ) : (
          <div className="relative overflow-x-auto">
            <table className="w-full text-left" data-testid="job-list">
              <thead className="text-slate-600">
                <tr>
                  <th>{t("jobs.job")}</th>
                  <th>{t("jobs.project")}</th>
                  <th>{t("jobs.state")}</th>
                  <th>{t("jobs.step")}</th>
                  <th>{t("jobs.evalAccuracy")}</th>
                </tr>
              </thead>
              <tbody>
                {jobs.data?.map((j) => (
                  <tr key={j.id} className={j.id === jobId ? "bg-slate-50" : ""}>
                    <td>
                      <button type="button" className="underline" onClick={() => setSelected(j.id)}>
                        #{j.id}
                      </button>
                    </td>
                    <td>{projects.data?.find((p) => p.id === j.projectId)?.name ?? j.projectId}</td>
                    <td data-testid={`job-state-${j.id}`}>{labels.state(j.state)}</td>
                    <td>
                      {j.progress?.step !== undefined
                        ? `${format.number(Number(j.progress.step))}/${format.number(Number(j.progress.total))}`
                        : "–"}
                    </td>
                    <td>
                      {typeof j.metrics?.eval_accuracy === "number"
                        ? format.number(j.metrics.eval_accuracy, { maximumFractionDigits: 3 })
                        : "–"}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>

      <section className="rounded border border-slate-200 bg-white p-4 text-sm" data-testid="doctor-panel">
        <h2 className="mb-2 font-medium">{t("doctor.title")}</h2>
        {doctor.isPending && <p>{t("doctor.checking")}</p>}
        {doctor.data && (
          <div className="space-y-1">
            <p className="break-words">
              {t.rich("doctor.interpreter", {
                code: () => <code className="break-all">{doctor.data.interpreter}</code>,
                source: doctor.data.interpreter_source,
                torch: doctor.data.report?.torch ?? missing,
                transformers: doctor.data.report?.transformers ?? missing,
                peft: doctor.data.report?.peft ?? missing,
                cuda: doctor.data.report?.cuda_available ? t("doctor.cudaYes") : t("doctor.cudaNo"),
              })}
            </p>
            <p data-testid="doctor-devices">
              {doctor.data.report?.devices.length
                ? doctor.data.report.devices
                    .map((d) =>
                      t("doctor.device", {
                        index: String(d.index),
                        name: String(d.name),
                        free: gib(d.free_bytes),
                        total: gib(d.total_bytes),
                      }),
                    )
                    .join(" · ")
                : t("doctor.noCuda")}
              {t("doctor.processes", { count: doctor.data.train_processes })}
            </p>
            {doctor.data.error && <p className="text-red-700">{doctor.data.error}</p>}
            {doctor.data.missing.length > 0 && (
              <ul className="list-disc pl-5 text-slate-600">
                {doctor.data.missing.map((m) => (
                  <li key={m}>{m}</li>
                ))}
              </ul>
            )}
          </div>
        )}
      </section>
    </div>
  );
}

type Point = { step: number; loss: number | null; accuracy: number | null; tokens_per_s: number | null };

/**
 * Progress points for the charts. A resume restarts from a checkpoint's step, so the steps the
 * interrupted run took past it are dropped: the curve shows the run that counts.
 */
function progressPoints(events: { type: string; payload: Record<string, unknown> }[]): Point[] {
  let points: Point[] = [];
  for (const e of events) {
    if (e.type === "resume") {
      const from = Number(e.payload.step);
      points = points.filter((pt) => pt.step <= from);
    } else if (e.type === "progress") {
      points.push({
        step: Number(e.payload.step),
        loss: (e.payload.loss as number | null) ?? null,
        accuracy: (e.payload.accuracy as number | null) ?? null,
        tokens_per_s: (e.payload.tokens_per_s as number | null) ?? null,
      });
    }
  }
  return points;
}

function JobView({ jobId }: { jobId: number }) {
  const t = useTranslations("research.train.job");
  const tc = useTranslations("charts");
  const format = useFormatter();
  const labels = useResearchLabels();
  const describeData = useDescribeData();
  const trpc = useTRPC();
  const data = useQuery({
    ...trpc.research.job.queryOptions({ jobId }),
    refetchInterval: (q) => (q.state.data && !ACTIVE.has(q.state.data.job.state) ? false : 1000),
  });
  const cancel = useMutation(trpc.research.cancel.mutationOptions());
  const qc = useQueryClient();
  // The job query stops polling once a job has ended; a resumed job needs it polling again.
  const resume = useMutation(
    trpc.research.resume.mutationOptions({
      onSuccess: () => void qc.invalidateQueries({ queryKey: trpc.research.job.queryKey({ jobId }) }),
    }),
  );
  if (!data.data) return null;
  const { job, events } = data.data;
  const points = progressPoints(events);
  const p = job.progress ?? {};
  const metric = (v: unknown) => (typeof v === "number" ? format.number(v, { maximumFractionDigits: 3, minimumFractionDigits: 3 }) : "–");
  const series = (key: "loss" | "accuracy" | "tokens_per_s") =>
    points.flatMap((pt) => (typeof pt[key] === "number" && Number.isFinite(pt[key]) ? [{ step: pt.step, value: pt[key] as number }] : []));
  return (
    <section className="space-y-3 rounded border border-slate-200 bg-white p-4 text-sm" data-testid="job-view">
      <div className="flex flex-wrap items-center gap-4">
        <h2 className="font-medium" data-testid="job-title">
          {t("title", { id: job.id })}
        </h2>
        <span data-testid="job-state">{labels.state(job.state)}</span>
        <span>{t("step", { step: String(p.step ?? 0), total: String(p.total ?? "?") })}</span>
        <span>{t("eta", { eta: job.state === "running" ? labels.eta(p.eta_s) : "–" })}</span>
        {job.metrics && (
          <span data-testid="job-metrics">
            {t("metrics", {
              accuracy: metric(job.metrics.eval_accuracy),
              loss: metric(job.metrics.eval_loss),
              ece: metric(job.metrics.ece),
            })}
          </span>
        )}
        {ACTIVE.has(job.state) && (
          <button
            type="button"
            data-testid="job-cancel"
            className="rounded border border-red-300 px-2 py-1 text-red-700"
            onClick={() => cancel.mutate({ jobId: job.id })}
          >
            {t("cancel")}
          </button>
        )}
        {job.resumableFromStep !== null && (
          <button
            type="button"
            data-testid="job-resume"
            disabled={resume.isPending}
            className="rounded border border-slate-300 px-2 py-1"
            onClick={() => resume.mutate({ jobId: job.id })}
          >
            {t("resume", { step: job.resumableFromStep })}
          </button>
        )}
      </div>
      <p className="text-slate-600" data-testid="job-data">
        {t("data", { data: describeData(job.config) })}
        {typeof p.resumed_at_step === "number" && t("resumedFrom", { step: p.resumed_at_step })}
      </p>
      {job.error && <p className="text-red-700">{job.error}</p>}
      <VerdictNote verdict={job.verdict} testId="job-verdict" />
      {resume.error && <p className="text-red-700">{resume.error.message}</p>}
      <div className="grid gap-4 lg:grid-cols-3" data-testid="job-chart">
        <figure className="min-w-0" data-testid="chart-accuracy">
          <figcaption className="mb-1 font-medium">{t("chart.accuracy")}</figcaption>
          <AccuracyCurve points={series("accuracy").map((pt) => ({ step: pt.step, accuracy: pt.value }))} height={220} />
        </figure>
        <figure className="min-w-0" data-testid="chart-loss">
          <figcaption className="mb-1 font-medium">{t("chart.loss")}</figcaption>
          <StepCurve points={series("loss")} title={tc("loss")} color="#dc2626" smooth height={220} />
        </figure>
        <figure className="min-w-0" data-testid="chart-throughput">
          <figcaption className="mb-1 font-medium">{t("chart.throughput")}</figcaption>
          <StepCurve points={series("tokens_per_s")} title={tc("tokensPerSecond")} color="#16a34a" height={220} />
        </figure>
      </div>
    </section>
  );
}

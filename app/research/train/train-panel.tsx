"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useState } from "react";
import { CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { useTRPC } from "@/app/_components/trpc";
import { VerdictNote } from "@/app/research/models/[id]/humans/humans-panel";
import { type DataSource, DataSourceFields, DEFAULT_FILTERS, describeData } from "./data-source-fields";

const ACTIVE = new Set(["queued", "running"]);

function fmt(v: unknown, digits = 3): string {
  return typeof v === "number" ? v.toFixed(digits) : "–";
}

function eta(seconds: unknown): string {
  if (typeof seconds !== "number") return "–";
  const s = Math.max(0, Math.round(seconds));
  return s >= 60 ? `${Math.floor(s / 60)}m ${s % 60}s` : `${s}s`;
}

export function TrainPanel() {
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
    loss: "bt" as "bt" | "bt-ties",
    lr: "",
  });
  const [data, setData] = useState<DataSource>(DEFAULT_FILTERS);
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

  return (
    <div className="space-y-6">
      <div className="flex items-baseline gap-4">
        <h1 className="text-xl font-semibold">Train a reward model</h1>
        <Link href="/research/models" className="text-sm underline" data-testid="link-models">
          Models
        </Link>
      </div>
      <form
        className="flex flex-wrap items-end gap-3 rounded border border-slate-200 bg-white p-4 text-sm"
        onSubmit={(e) => {
          e.preventDefault();
          train.mutate({
            projectId,
            base: form.base,
            init: form.init,
            epochs: form.epochs,
            loss: form.loss,
            lr: form.lr ? Number(form.lr) : null,
            data,
          });
        }}
      >
        <label className="flex flex-col gap-1">
          Project
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
          Base model
          <input
            data-testid="train-base"
            className="w-64 rounded border px-2 py-1"
            list="train-base-options"
            placeholder="tiny, a cached model or owner/name"
            value={form.base}
            onChange={(e) => setForm({ ...form, base: e.target.value })}
          />
          <datalist id="train-base-options" data-testid="train-base-options">
            <option value="tiny">built-in tiny byte-level model</option>
            {doctor.data?.bases.map((b) => (
              <option key={`${b.source}:${b.id}`} value={b.id}>
                {`${b.source === "hf-cache" ? "HF cache" : "ARBITER_MODELS_DIR"} · ${b.architecture ?? "unknown architecture"}${b.has_chat_template ? " · chat template" : ""}`}
              </option>
            ))}
          </datalist>
          <span className="text-xs text-slate-500" data-testid="train-base-hint">
            {doctor.data
              ? `${doctor.data.bases.length} local base${doctor.data.bases.length === 1 ? "" : "s"} found`
              : "looking for local bases…"}
            {" · or type a Hub id (owner/name)"}
          </span>
        </label>
        <label className="flex flex-col gap-1">
          Weights
          <select
            data-testid="train-init"
            className="rounded border px-2 py-1"
            value={form.init}
            onChange={(e) => setForm({ ...form, init: e.target.value as "pretrained" | "random" })}
          >
            <option value="pretrained">the base's trained weights</option>
            <option value="random">random init (benchmarks)</option>
          </select>
        </label>
        <label className="flex flex-col gap-1">
          Epochs
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
          Loss
          <select
            data-testid="train-loss"
            className="rounded border px-2 py-1"
            value={form.loss}
            onChange={(e) => setForm({ ...form, loss: e.target.value as "bt" | "bt-ties" })}
          >
            <option value="bt">Bradley-Terry (ties skipped)</option>
            <option value="bt-ties">Bradley-Terry + Davidson ties</option>
          </select>
        </label>
        <label className="flex flex-col gap-1">
          Learning rate
          <input
            data-testid="train-lr"
            placeholder="default"
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
          Launch training
        </button>
        {train.error && (
          <p className="w-full text-red-700" data-testid="train-error">
            {train.error.message}
          </p>
        )}
      </form>

      {jobId !== null && <JobView jobId={jobId} />}

      <section className="rounded border border-slate-200 bg-white p-4 text-sm">
        <h2 className="mb-2 font-medium">Jobs</h2>
        <table className="w-full text-left" data-testid="job-list">
          <thead className="text-slate-500">
            <tr>
              <th>Job</th>
              <th>Project</th>
              <th>State</th>
              <th>Step</th>
              <th>Eval accuracy</th>
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
                <td>{j.projectId}</td>
                <td data-testid={`job-state-${j.id}`}>{j.state}</td>
                <td>{j.progress?.step !== undefined ? `${j.progress.step}/${j.progress.total}` : "–"}</td>
                <td>{fmt(j.metrics?.eval_accuracy)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>

      <section className="rounded border border-slate-200 bg-white p-4 text-sm" data-testid="doctor-panel">
        <h2 className="mb-2 font-medium">Trainer environment</h2>
        {doctor.isPending && <p>Checking the trainer's Python…</p>}
        {doctor.data && (
          <div className="space-y-1">
            <p>
              Interpreter <code>{doctor.data.interpreter}</code> ({doctor.data.interpreter_source}); torch{" "}
              {doctor.data.report?.torch ?? "missing"}, transformers {doctor.data.report?.transformers ?? "missing"}, peft{" "}
              {doctor.data.report?.peft ?? "missing"}; CUDA {doctor.data.report?.cuda_available ? "available" : "not available"}
            </p>
            <p data-testid="doctor-devices">
              {doctor.data.report?.devices.length
                ? doctor.data.report.devices
                    .map((d) => {
                      const gib = (b: unknown) => (typeof b === "number" ? (b / 2 ** 30).toFixed(1) : "?");
                      return `GPU ${String(d.index)} ${String(d.name)}: ${gib(d.free_bytes)} of ${gib(d.total_bytes)} GiB free`;
                    })
                    .join(" · ")
                : "No CUDA device: jobs train on the CPU"}
              ; {doctor.data.train_processes} trainer process{doctor.data.train_processes > 1 ? "es (DDP under torchrun)" : ""} per job
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
  return (
    <section className="space-y-3 rounded border border-slate-200 bg-white p-4 text-sm" data-testid="job-view">
      <div className="flex flex-wrap items-center gap-4">
        <h2 className="font-medium" data-testid="job-title">
          Job #{job.id}
        </h2>
        <span data-testid="job-state">{job.state}</span>
        <span>
          step {String(p.step ?? 0)}/{String(p.total ?? "?")}
        </span>
        <span>ETA {job.state === "running" ? eta(p.eta_s) : "–"}</span>
        {job.metrics && (
          <span data-testid="job-metrics">
            held-out accuracy {fmt(job.metrics.eval_accuracy)} · eval loss {fmt(job.metrics.eval_loss)} · ECE {fmt(job.metrics.ece)}
          </span>
        )}
        {ACTIVE.has(job.state) && (
          <button
            type="button"
            data-testid="job-cancel"
            className="rounded border border-red-300 px-2 py-1 text-red-700"
            onClick={() => cancel.mutate({ jobId: job.id })}
          >
            Cancel
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
            Resume from step {job.resumableFromStep}
          </button>
        )}
      </div>
      <p className="text-slate-600" data-testid="job-data">
        Data: {describeData(job.config)}
        {typeof p.resumed_at_step === "number" && ` · resumed from step ${p.resumed_at_step}`}
      </p>
      {job.error && <p className="text-red-700">{job.error}</p>}
      <VerdictNote verdict={job.verdict} testId="job-verdict" />
      {resume.error && <p className="text-red-700">{resume.error.message}</p>}
      <div className="grid gap-4 md:grid-cols-2" data-testid="job-chart">
        <div className="h-56">
          <ResponsiveContainer>
            <LineChart data={points}>
              <CartesianGrid strokeDasharray="3 3" />
              <XAxis dataKey="step" />
              <YAxis domain={[0, "auto"]} />
              <Tooltip />
              <Legend />
              <Line type="monotone" dataKey="loss" stroke="#dc2626" dot={false} isAnimationActive={false} />
              <Line type="monotone" dataKey="accuracy" stroke="#2563eb" dot={false} isAnimationActive={false} />
            </LineChart>
          </ResponsiveContainer>
        </div>
        <div className="h-56">
          <ResponsiveContainer>
            <LineChart data={points}>
              <CartesianGrid strokeDasharray="3 3" />
              <XAxis dataKey="step" />
              <YAxis />
              <Tooltip />
              <Legend />
              <Line type="monotone" dataKey="tokens_per_s" name="tokens/s" stroke="#16a34a" dot={false} isAnimationActive={false} />
            </LineChart>
          </ResponsiveContainer>
        </div>
      </div>
    </section>
  );
}

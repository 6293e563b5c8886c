"use client";
/**
 * Sampling jobs: start a round (prompts file, generators, K samples or one each, sampling params),
 * watch its progress, tokens/s and ETA, cancel or resume it, and download its failure list.
 */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useMemo, useState } from "react";
import { CartesianGrid, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { ChartEmpty } from "@/app/_components/charts";
import { IdSelect } from "@/app/_components/id-select";
import { ProgressBar } from "@/app/_components/progress-bar";
import { useTRPC } from "@/app/_components/trpc";

const ACTIVE = new Set(["queued", "running"]);

function eta(seconds: unknown): string {
  if (typeof seconds !== "number") return "–";
  const s = Math.max(0, Math.round(seconds));
  return s >= 60 ? `${Math.floor(s / 60)}m ${s % 60}s` : `${s}s`;
}

function JobView({ jobId }: { jobId: number }) {
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
  const download = useMemo(() => {
    if (!failures.data?.length) return null;
    const text = failures.data.map((f) => JSON.stringify(f)).join("\n");
    return `data:application/jsonl;charset=utf-8,${encodeURIComponent(`${text}\n`)}`;
  }, [failures.data]);
  if (!view.data) return <p className="text-sm text-slate-500">Loading job {jobId}…</p>;
  const { job, summary, round } = view.data;
  const progress = job.progress ?? {};
  return (
    <section
      className="space-y-3 rounded border border-slate-200 bg-white p-4 text-sm"
      aria-label={`Sampling job ${jobId}`}
      data-testid="generate-job"
    >
      <div className="flex flex-wrap items-baseline gap-4">
        <h2 className="font-semibold">
          Job {job.id} · round {round.number}
        </h2>
        <span data-testid="generate-state">{job.state}</span>
        <span className="text-slate-500">{round.generators.join(", ")}</span>
        {ACTIVE.has(job.state) && (
          <button type="button" className="rounded border px-2 py-0.5" onClick={() => cancel.mutate({ jobId })} disabled={cancel.isPending}>
            Cancel
          </button>
        )}
        {(job.state === "failed" || job.state === "cancelled") && (
          <button type="button" className="rounded border px-2 py-0.5" onClick={() => resume.mutate({ jobId, retryFailed: true })}>
            Resume
          </button>
        )}
      </div>
      <ProgressBar done={summary.done + summary.failed} target={summary.total} label="prompts" />
      <p data-testid="generate-counts">
        {summary.done} of {summary.total} prompts done · {summary.failed} failed · {summary.items} items · {summary.responses} responses ·{" "}
        {summary.tokens} tokens · {typeof progress.tokens_per_s === "number" ? progress.tokens_per_s : "–"} tokens/s · ETA{" "}
        {ACTIVE.has(job.state) ? eta(progress.eta_s) : "–"}
      </p>
      {job.error && (
        <p className={job.state === "succeeded" ? "text-amber-700" : "text-red-700"} role={job.state === "succeeded" ? undefined : "alert"}>
          {job.error}
        </p>
      )}
      <figure className="h-48" aria-label="Tokens per second">
        {points.length < 2 ? (
          <ChartEmpty have={points.length} need={2} unit="progress points" />
        ) : (
          <ResponsiveContainer>
            <LineChart data={points}>
              <CartesianGrid strokeDasharray="3 3" />
              <XAxis dataKey="t" unit=" s" />
              <YAxis />
              <Tooltip />
              <Line type="monotone" dataKey="tps" name="tokens/s" stroke="#0f766e" dot={false} isAnimationActive={false} />
            </LineChart>
          </ResponsiveContainer>
        )}
      </figure>
      {failures.data && failures.data.length > 0 && (
        <div className="space-y-1" data-testid="generate-failures">
          <div className="flex gap-3">
            <h3 className="font-medium">{failures.data.length} failed prompts</h3>
            {download && (
              <a href={download} download={`job-${jobId}-failures.jsonl`} className="underline">
                Download the failure list
              </a>
            )}
          </div>
          <ul className="max-h-48 overflow-auto text-xs">
            {failures.data.slice(0, 50).map((f) => (
              <li key={f.line}>
                line {f.line} ({f.id}): {f.error}
              </li>
            ))}
          </ul>
        </div>
      )}
    </section>
  );
}

export function GeneratePanel() {
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
      <h1 className="text-xl font-semibold">Generate responses</h1>
      <form
        className="flex flex-wrap items-end gap-3 rounded border border-slate-200 bg-white p-4 text-sm"
        aria-label="Start a sampling job"
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
        <IdSelect label="Project" value={project} onChange={setProjectId} options={projects.data ?? []} testId="generate-project" />
        <fieldset className="flex flex-col gap-1">
          <legend>Generators</legend>
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
          {generators.data?.length === 0 && <span className="text-slate-500">Register one on the Generators page.</span>}
        </fieldset>
        <label className="flex flex-col gap-1">
          Prompts file (JSONL)
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
          Samples per prompt
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
            Pairs
            <select
              className="rounded border px-2 py-1"
              value={form.pairing}
              onChange={(e) => setForm({ ...form, pairing: e.target.value as "all-pairs" })}
            >
              <option value="all-pairs">all pairs</option>
              <option value="random-pair">one random pair per prompt</option>
            </select>
          </label>
        )}
        <label className="flex flex-col gap-1">
          Temperature
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
          Top p
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
          Max tokens
          <input
            type="number"
            min={1}
            className="w-24 rounded border px-2 py-1"
            value={form.maxTokens}
            onChange={(e) => setForm({ ...form, maxTokens: Number(e.target.value) })}
          />
        </label>
        <label className="flex flex-col gap-1">
          Seed
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
            <legend className="px-1">Reward model in the loop</legend>
            <label className="flex items-center gap-2">
              <input type="checkbox" checked={selection.on} onChange={(e) => setSelection({ ...selection, on: e.target.checked })} />
              Sample N, keep 2
            </label>
            {selection.on && (
              <>
                <label className="flex flex-col gap-1">
                  N
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
                  label="Reward model"
                  value={selection.rewardModelId || models.data?.[0]?.id || 0}
                  onChange={(id) => setSelection({ ...selection, rewardModelId: id })}
                  options={models.data ?? []}
                />
                <label className="flex flex-col gap-1">
                  Keep
                  <select
                    className="rounded border px-2 py-1"
                    value={selection.keep}
                    onChange={(e) => setSelection({ ...selection, keep: e.target.value as "top2" })}
                  >
                    <option value="best-worst">best and worst</option>
                    <option value="top2">top two</option>
                    <option value="most-uncertain">most uncertain pair</option>
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
          {start.isPending ? "Starting…" : "Start sampling"}
        </button>
      </form>
      {start.error && (
        <p className="text-sm text-red-700" role="alert">
          {start.error.message}
        </p>
      )}
      {jobId !== null && <JobView key={jobId} jobId={jobId} />}
      {(jobs.data?.length ?? 0) > 0 && (
        <table className="w-full text-sm">
          <thead>
            <tr className="text-left text-slate-500">
              <th>Job</th>
              <th>Round</th>
              <th>State</th>
              <th>Prompts</th>
              <th>Failed</th>
            </tr>
          </thead>
          <tbody>
            {(jobs.data ?? []).map((j) => (
              <tr key={j.id} className="border-t">
                <td>
                  <button type="button" className="underline" onClick={() => setSelected(j.id)}>
                    Job {j.id}
                  </button>
                </td>
                <td>{j.round}</td>
                <td>{j.state}</td>
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

"use client";
/**
 * Model vs humans for one reward model on one project: score the judged items (a `score` job with
 * progress), then RM-vs-human agreement overall, per criterion, per annotator and over time next to
 * the human figures, a reliability diagram, and the items where the model most confidently
 * disagrees with the majority. Below: order the project's queue by this model (active learning).
 */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { Bar, BarChart, CartesianGrid, Legend, Line, LineChart, ReferenceLine, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { IdSelect } from "@/app/_components/id-select";
import { Markdown } from "@/app/_components/markdown";
import { ProgressBar } from "@/app/_components/progress-bar";
import { useTRPC } from "@/app/_components/trpc";
import type { Content } from "@/db/schema";

const pct = (v: number | null | undefined) => (typeof v === "number" ? `${v.toFixed(1)}%` : "–");
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
      <p className="mt-1">What to try:</p>
      <ul className="ml-5 list-disc">
        {verdict.tips.map((t) => (
          <li key={t}>{t}</li>
        ))}
      </ul>
    </div>
  );
}

export function HumansPanel({ modelId }: { modelId: number }) {
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
        Model vs humans: <span data-testid="humans-model">{model?.name ?? `model ${modelId}`}</span>
      </h1>
      <div className="flex flex-wrap items-end gap-3 rounded border border-slate-200 bg-white p-4 text-sm">
        <IdSelect label="Project" testId="humans-project" value={projectId} onChange={setPicked} options={projects.data ?? []} />
        <button
          type="button"
          className="rounded bg-slate-900 px-4 py-1 text-white disabled:opacity-50"
          data-testid="humans-score"
          disabled={!projectId || scoreProject.isPending || jobState === "running"}
          onClick={() => scoreProject.mutate({ projectId, modelId, scope: "judged" })}
        >
          Score judged items
        </button>
        {jobId !== null && (
          <div className="flex min-w-64 flex-col gap-1" data-testid="humans-job">
            <span>
              job {jobId}: <span data-testid="humans-job-state">{jobState ?? "…"}</span>
              {typeof progress?.total === "number" && ` · ${progress.done ?? 0}/${progress.total} responses`}
            </span>
            <ProgressBar done={progress?.done ?? 0} target={progress?.total ?? 0} label="responses scored" />
            {job.data?.job.error && <span className="text-red-700">{job.data.job.error}</span>}
          </div>
        )}
        {scoreProject.error && <span className="text-red-700">{scoreProject.error.message}</span>}
      </div>

      {vs.error && <p className="text-red-700">{vs.error.message}</p>}
      {d && d.scoredItems === 0 && (
        <p className="text-slate-600">No judged item of this project is scored by this model yet: score them above.</p>
      )}
      {d && d.scoredItems > 0 && (
        <div className="space-y-6" data-testid="humans-result">
          <p className="text-sm text-slate-600">
            {d.scoredItems} of {d.judgedItems} judged items scored; {d.overall.n} decisive human preferences, {d.overall.ties} ties or
            both-bad (not compared).
          </p>
          <section className="space-y-3" data-testid="humans-held-out">
            <h2 className="text-sm font-medium">Judgments the model never trained on (the honest number)</h2>
            <div className="grid gap-4 md:grid-cols-4">
              <Tile
                testId="tile-held-out"
                label="Model agrees, not trained on"
                value={pct(d.heldOut.notTrainedOn.agreement)}
                sub={`${d.heldOut.notTrainedOn.n} decisive votes: held-out split + judgments outside its data`}
              />
              <Tile
                label="Held-out split"
                value={pct(d.heldOut.heldOut.agreement)}
                sub={`${d.heldOut.heldOut.n} votes the job set aside`}
              />
              <Tile
                label="Outside its training data"
                value={pct(d.heldOut.outsideData.agreement)}
                sub={`${d.heldOut.outsideData.n} votes (newer, or left out by its policies)`}
              />
              <Tile
                testId="tile-trained-on"
                label="Trained on (flatters the model)"
                value={pct(d.heldOut.trainedOn.agreement)}
                sub={`${d.heldOut.trainedOn.n} votes it was trained on`}
              />
            </div>
            {!d.heldOut.recorded && (
              <p className="text-sm text-amber-800" data-testid="humans-split-unknown">
                This model's training job recorded no train / held-out split (it predates split recording): which judgments it saw is
                unknown, so every vote is counted as outside its data.
              </p>
            )}
            <VerdictNote verdict={d.heldOut.verdict} testId="humans-verdict" />
          </section>
          <h2 className="text-sm font-medium">All judged items (trained-on included)</h2>
          <div className="grid gap-4 md:grid-cols-4">
            <Tile
              testId="tile-model"
              label="Model agrees with each human"
              value={pct(d.overall.agreement)}
              sub={`${d.overall.n} decisive votes`}
            />
            <Tile
              label="A human agrees with the others' majority"
              value={pct(d.human.agreement)}
              sub={`${d.human.n} votes with a majority of others`}
            />
            <Tile
              label="Model agrees with the majority"
              value={pct(d.majority.agreement)}
              sub={`${d.majority.n} pairs with a strict majority`}
            />
            <Tile
              label="Human-human (quality page)"
              value={pct(d.humanHuman.percent_agreement)}
              sub={`α ${d.humanHuman.krippendorff_alpha?.toFixed(3) ?? "–"} over ${d.humanHuman.items} items (ties count)`}
            />
          </div>
          <div className="grid gap-4 md:grid-cols-2">
            <section className="h-72 rounded border border-slate-200 bg-white p-4" data-testid="chart-criteria">
              <h2 className="text-sm font-medium">
                By criterion: model vs a typical human (%)
                {d.byCriterion.some((c) => c.model.n === 0) && (
                  <span className="font-normal text-slate-500">
                    {" "}
                    · no answers yet:{" "}
                    {d.byCriterion
                      .filter((c) => c.model.n === 0)
                      .map((c) => c.criterion)
                      .join(", ")}
                  </span>
                )}
              </h2>
              <ResponsiveContainer>
                <BarChart
                  data={[
                    { name: "overall", model: d.overall.agreement, human: d.human.agreement },
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
                  <Bar dataKey="model" fill="#2563eb" isAnimationActive={false} />
                  <Bar dataKey="human" fill="#94a3b8" isAnimationActive={false} />
                </BarChart>
              </ResponsiveContainer>
            </section>
            <section className="h-72 rounded border border-slate-200 bg-white p-4" data-testid="chart-time">
              <h2 className="text-sm font-medium">Over time: model agreement per tenth of the votes (%)</h2>
              <ResponsiveContainer>
                <LineChart data={d.overTime.map((w, i) => ({ window: i + 1, agreement: w.agreement, n: w.n }))}>
                  <CartesianGrid strokeDasharray="3 3" />
                  <XAxis dataKey="window" />
                  <YAxis domain={[0, 100]} />
                  <Tooltip formatter={(v) => pct(Number(v))} />
                  <ReferenceLine y={d.human.agreement ?? undefined} stroke="#94a3b8" strokeDasharray="4 4" label="human" />
                  <Line dataKey="agreement" stroke="#2563eb" isAnimationActive={false} />
                </LineChart>
              </ResponsiveContainer>
            </section>
            <section className="h-72 rounded border border-slate-200 bg-white p-4" data-testid="chart-annotators">
              <h2 className="text-sm font-medium">By annotator: how often the model sides with them (%)</h2>
              <ResponsiveContainer>
                <BarChart data={d.byAnnotator.slice(0, 30)}>
                  <CartesianGrid strokeDasharray="3 3" />
                  <XAxis dataKey="annotator" interval={0} angle={-30} textAnchor="end" height={60} />
                  <YAxis domain={[0, 100]} />
                  <Tooltip formatter={(v, k) => (k === "agreement" ? pct(Number(v)) : v)} />
                  <Bar dataKey="agreement" fill="#2563eb" isAnimationActive={false} />
                </BarChart>
              </ResponsiveContainer>
            </section>
            <section className="h-72 rounded border border-slate-200 bg-white p-4" data-testid="chart-confidence">
              <h2 className="text-sm font-medium">Calibration: agreement by the model's confidence σ(|Δr|)</h2>
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
                  <Line dataKey="agreement" stroke="#2563eb" isAnimationActive={false} />
                  <Line dataKey="ideal" stroke="#94a3b8" strokeDasharray="4 4" dot={false} isAnimationActive={false} />
                </LineChart>
              </ResponsiveContainer>
            </section>
          </div>
          <section className="space-y-3" data-testid="disagreements">
            <h2 className="font-medium">Most confident disagreements with the human majority</h2>
            {d.disagreements.length === 0 && <p className="text-sm text-slate-600">None: the model sides with every strict majority.</p>}
            {d.disagreements.map((x) => {
              const item = d.disagreementItems.find((it) => it.id === x.itemId);
              return (
                <article key={`${x.itemId}-${x.pair.join("-")}`} className="rounded border border-slate-200 bg-white p-4 text-sm">
                  <header className="mb-2 flex flex-wrap gap-4 text-slate-600">
                    <span className="font-semibold text-slate-900">item {item?.externalId ?? x.itemId}</span>
                    <span>
                      humans {x.votesFor}:{x.votesAgainst} for response {x.majority}
                    </span>
                    <span>model {(100 * x.confidence).toFixed(1)}% sure of the other</span>
                  </header>
                  {item && (
                    <>
                      <div className="mb-2 max-h-32 overflow-auto text-slate-700">
                        <Markdown text={asText(item.prompt)} />
                      </div>
                      <div className="grid gap-3 md:grid-cols-2">
                        {x.pair.map((idx, k) => (
                          <div
                            key={idx}
                            className={`max-h-64 overflow-auto rounded border p-2 ${idx === x.majority ? "border-emerald-400" : "border-red-300"}`}
                          >
                            <div className="mb-1 text-xs text-slate-500">
                              response {idx} ({item.responses[idx]?.model}) · reward {x.rewards[k]?.toFixed(3)} ·{" "}
                              {idx === x.majority ? "humans' pick" : "model's pick"}
                            </div>
                            <Markdown text={asText(item.responses[idx]?.content ?? "")} />
                          </div>
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
  const trpc = useTRPC();
  const models = useQuery(trpc.research.models.queryOptions());
  const [form, setForm] = useState({ strategy: "uncertainty" as "uncertainty" | "disagreement" | "random", randomShare: 0.1, versus: 0 });
  const reorder = useMutation(trpc.scoring.reorderQueue.mutationOptions());
  const others = (models.data ?? []).filter((m) => m.id !== modelId);
  return (
    <section className="space-y-3 rounded border border-slate-200 bg-white p-4 text-sm" data-testid="queue-panel">
      <h2 className="font-medium">Active learning: order this project's queue</h2>
      <p className="text-slate-600">
        Open items are scored with this model, then the queue is rewritten: the items the model can least tell apart first (uncertainty), or
        those two models disagree on most. A share of items is drawn at random so the judgments still include an unbiased sample. New
        imports go to the end; run it again after importing.
      </p>
      <div className="flex flex-wrap items-end gap-3">
        <label className="flex flex-col gap-1">
          Strategy
          <select
            className="rounded border px-2 py-1"
            data-testid="queue-strategy"
            value={form.strategy}
            onChange={(e) => setForm({ ...form, strategy: e.target.value as "uncertainty" })}
          >
            <option value="uncertainty">uncertainty (smallest |r_a − r_b| first)</option>
            <option value="disagreement">disagreement with another model</option>
            <option value="random">random</option>
          </select>
        </label>
        {form.strategy === "disagreement" && (
          <IdSelect
            label="Versus"
            value={form.versus}
            onChange={(versus) => setForm({ ...form, versus })}
            options={others}
            none={{ label: "pick a model", disabled: true }}
          />
        )}
        <label className="flex flex-col gap-1">
          Random share
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
          {reorder.isPending ? "Scoring and reordering…" : "Reorder queue"}
        </button>
      </div>
      {reorder.error && <p className="text-red-700">{reorder.error.message}</p>}
      {reorder.data && (
        <div data-testid="queue-result">
          <p>
            Reordered {reorder.data.reordered} open items{reorder.data.unscored ? ` (${reorder.data.unscored} unscored, at the end)` : ""}.
            Next in the queue:
          </p>
          <div className="h-56">
            <ResponsiveContainer>
              <BarChart data={reorder.data.next.map((n, i) => ({ position: i + 1, item: n.external_id ?? n.item, margin: n.margin }))}>
                <CartesianGrid strokeDasharray="3 3" />
                <XAxis dataKey="position" />
                <YAxis />
                <Tooltip labelFormatter={(_, p) => `item ${p[0]?.payload.item}`} />
                <Bar dataKey="margin" fill="#2563eb" isAnimationActive={false} />
              </BarChart>
            </ResponsiveContainer>
          </div>
        </div>
      )}
    </section>
  );
}

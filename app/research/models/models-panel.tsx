"use client";
import { useMutation, useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useFormatter, useTranslations } from "next-intl";
import { useState } from "react";
import { Bar, BarChart, CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { useTRPC } from "@/app/_components/trpc";
import { VerdictNote } from "@/app/research/models/[id]/humans/humans-panel";
import { RoundsCell } from "@/app/research/models/rounds-cell";
import { useDescribeData } from "@/app/research/train/data-source-fields";

const METRICS = ["eval_accuracy", "eval_loss", "ece"] as const;
const COLORS = ["#2563eb", "#dc2626"];

function num(v: unknown): number | null {
  return typeof v === "number" ? v : null;
}

/** A share in [0, 1] as a percentage with one decimal, in the reader's locale; "–" when unknown. */
function usePct() {
  const format = useFormatter();
  return (a: number | null) =>
    a === null ? "–" : format.number(a, { style: "percent", minimumFractionDigits: 1, maximumFractionDigits: 1 });
}

/** Accuracy of a model on an uploaded preference file (RewardBench's rule), per subset when asked. */
function EvaluatePanel({ models }: { models: { id: number; name: string }[] }) {
  const t = useTranslations("models.evaluate");
  const format = useFormatter();
  const pct = usePct();
  const trpc = useTRPC();
  const evaluate = useMutation(trpc.research.evaluate.mutationOptions());
  const [error, setError] = useState<string | null>(null);
  if (models.length === 0) return null;
  return (
    <section className="space-y-3 rounded border border-slate-200 bg-white p-4 text-sm" data-testid="evaluate-panel">
      <h2 className="font-medium">{t("title")}</h2>
      <p className="text-slate-600">{t("help")}</p>
      <form
        className="flex flex-wrap items-end gap-3"
        onSubmit={async (e) => {
          e.preventDefault();
          setError(null);
          const f = new FormData(e.currentTarget);
          const file = f.get("file");
          if (!(file instanceof File) || file.size === 0) return setError(t("chooseFile"));
          const subsetField = String(f.get("subsetField") ?? "").trim();
          evaluate.mutate({
            modelId: Number(f.get("modelId")),
            fileName: file.name,
            content: await file.text(),
            ...(subsetField ? { subsetField } : {}),
          });
        }}
      >
        <label className="flex flex-col gap-1">
          {t("model")}
          <select name="modelId" data-testid="evaluate-model" className="rounded border px-2 py-1">
            {models.map((m) => (
              <option key={m.id} value={m.id}>
                {m.name}
              </option>
            ))}
          </select>
        </label>
        <label className="flex flex-col gap-1">
          {t("file")}
          <input name="file" type="file" accept=".jsonl,.json,application/jsonl" data-testid="evaluate-file" />
        </label>
        <label className="flex flex-col gap-1">
          {t("subsetField")}
          <input name="subsetField" placeholder="subset" data-testid="evaluate-subset-field" className="w-28 rounded border px-2 py-1" />
        </label>
        <button
          type="submit"
          data-testid="evaluate-submit"
          disabled={evaluate.isPending}
          className="rounded bg-slate-900 px-3 py-1.5 text-white disabled:opacity-50"
        >
          {evaluate.isPending ? t("scoring") : t("submit")}
        </button>
      </form>
      {(error ?? evaluate.error?.message) && (
        <p className="text-red-700" data-testid="evaluate-error">
          {error ?? evaluate.error?.message}
        </p>
      )}
      {evaluate.data && (
        <div data-testid="evaluate-result">
          <p>
            {t.rich("result", {
              accuracy: pct(evaluate.data.accuracy),
              pairs: evaluate.data.n,
              ties: evaluate.data.ties,
              strong: (chunks) => <strong data-testid="evaluate-accuracy">{chunks}</strong>,
            })}
          </p>
          {Object.keys(evaluate.data.subsets).length > 0 && (
            <table className="mt-2 text-left">
              <thead className="text-slate-500">
                <tr>
                  <th className="pr-4">{t("subset")}</th>
                  <th className="pr-4">{t("accuracy")}</th>
                  <th>{t("pairs")}</th>
                </tr>
              </thead>
              <tbody>
                {Object.entries(evaluate.data.subsets).map(([name, s]) => (
                  <tr key={name}>
                    <td className="pr-4">{name}</td>
                    <td className="pr-4">{pct(s.accuracy)}</td>
                    <td>{format.number(s.n)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </div>
      )}
    </section>
  );
}

export function ModelsPanel() {
  const t = useTranslations("models");
  const format = useFormatter();
  const trpc = useTRPC();
  const describeData = useDescribeData();
  const models = useQuery(trpc.research.models.queryOptions());
  const [picked, setPicked] = useState<number[]>([]);
  const list = models.data ?? [];
  const fixed = (v: number | null, digits: number) =>
    v === null ? "–" : format.number(v, { minimumFractionDigits: digits, maximumFractionDigits: digits });
  const chosen = list.filter((m) => picked.includes(m.id));
  const toggle = (id: number) => setPicked((p) => (p.includes(id) ? p.filter((x) => x !== id) : [...p.slice(-1), id]));
  const compare = METRICS.map((k) => ({
    metric: t(`metric.${k}`),
    ...Object.fromEntries(chosen.map((m) => [m.name, num(m.metrics[k])])),
  }));

  return (
    <div className="space-y-6">
      <h1 className="text-xl font-semibold">{t("title")}</h1>
      {models.isSuccess && list.length === 0 && <p className="text-slate-600">{t("empty")}</p>}
      <table className="w-full rounded border border-slate-200 bg-white text-left text-sm [&_td]:px-2 [&_th]:px-2" data-testid="model-list">
        <thead className="text-slate-500">
          <tr>
            <th className="p-2">{t("col.compare")}</th>
            <th>{t("col.model")}</th>
            <th>{t("col.base")}</th>
            <th>{t("col.data")}</th>
            <th>{t("col.rounds")}</th>
            <th>{t("col.epochsLoss")}</th>
            <th>{t("col.heldOutAccuracy")}</th>
            <th>{t("col.evalLoss")}</th>
            <th>{t("col.ece")}</th>
            <th>{t("col.tokensPerSecond")}</th>
            <th>{t("col.use")}</th>
          </tr>
        </thead>
        <tbody>
          {list.map((m) => (
            <tr key={m.id} className="border-t border-slate-100">
              <td className="p-2">
                <input
                  type="checkbox"
                  aria-label={t("compareLabel", { name: m.name })}
                  data-testid={`compare-${m.id}`}
                  checked={picked.includes(m.id)}
                  onChange={() => toggle(m.id)}
                />
              </td>
              <td title={m.dir}>{m.name}</td>
              <td>{m.base}</td>
              <td className="max-w-xs text-xs" data-testid={`model-data-${m.id}`} title={t("snapshot", { id: m.snapshotId ?? "–" })}>
                {describeData(m.config)}
              </td>
              <td className="max-w-xs text-xs">
                <RoundsCell rounds={m.rounds} projectId={m.projectId} testId={`model-rounds-${m.id}`} />
              </td>
              <td>
                {String(m.config.epochs ?? "?")} · {String(m.config.loss ?? "?")}
              </td>
              <td>
                {fixed(num(m.metrics.eval_accuracy), 3)}
                {(m.verdict.level === "below" || m.verdict.level === "uncertain") && (
                  <span
                    data-testid={`model-verdict-${m.id}`}
                    title={m.verdict.message}
                    className={`ml-2 rounded px-1.5 py-0.5 text-xs ${m.verdict.level === "below" ? "bg-red-100 text-red-800" : "bg-amber-100 text-amber-900"}`}
                  >
                    {m.verdict.level === "below" ? t("verdict.below") : t("verdict.uncertain")}
                  </span>
                )}
              </td>
              <td>{fixed(num(m.metrics.eval_loss), 3)}</td>
              <td>{fixed(num(m.metrics.ece), 3)}</td>
              <td>{fixed(num(m.metrics.tokens_per_s), 0)}</td>
              <td>
                <Link href={`/research/models/${m.id}/humans`} className="underline" data-testid={`model-humans-${m.id}`}>
                  {t("vsHumans")}
                </Link>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <EvaluatePanel models={list} />
      {list
        .filter((m) => m.verdict.level === "below")
        .map((m) => (
          <div key={m.id} className="space-y-1">
            <p className="text-sm font-medium">{m.name}</p>
            <VerdictNote verdict={m.verdict} testId={`model-verdict-note-${m.id}`} />
          </div>
        ))}
      {chosen.length > 0 && (
        <div className="grid gap-4 md:grid-cols-2">
          <section className="h-72 rounded border border-slate-200 bg-white p-4" data-testid="model-compare">
            <h2 className="text-sm font-medium">{t("heldOutMetrics")}</h2>
            <ResponsiveContainer>
              <BarChart data={compare}>
                <CartesianGrid strokeDasharray="3 3" />
                <XAxis dataKey="metric" />
                <YAxis />
                <Tooltip />
                <Legend />
                {chosen.map((m, i) => (
                  <Bar key={m.id} dataKey={m.name} fill={COLORS[i % COLORS.length]} isAnimationActive={false} />
                ))}
              </BarChart>
            </ResponsiveContainer>
          </section>
          <section className="h-72 rounded border border-slate-200 bg-white p-4">
            <h2 className="text-sm font-medium">{t("trainingLoss")}</h2>
            <LossCurves models={chosen.map((m) => ({ name: m.name, jobId: m.jobId }))} />
          </section>
        </div>
      )}
    </div>
  );
}

function LossCurves({ models }: { models: { name: string; jobId: number | null }[] }) {
  const trpc = useTRPC();
  const a = useQuery({ ...trpc.research.job.queryOptions({ jobId: models[0]?.jobId ?? 0 }), enabled: !!models[0]?.jobId });
  const b = useQuery({ ...trpc.research.job.queryOptions({ jobId: models[1]?.jobId ?? 0 }), enabled: !!models[1]?.jobId });
  const byStep = new Map<number, Record<string, number | null>>();
  [a.data, b.data].forEach((d, i) => {
    const name = models[i]?.name;
    if (!d || !name) return;
    for (const e of d.events) {
      if (e.type !== "progress") continue;
      const step = Number(e.payload.step);
      byStep.set(step, { ...(byStep.get(step) ?? {}), step, [name]: num(e.payload.loss) });
    }
  });
  const data = [...byStep.values()].sort((x, y) => Number(x.step) - Number(y.step));
  return (
    <ResponsiveContainer>
      <LineChart data={data}>
        <CartesianGrid strokeDasharray="3 3" />
        <XAxis dataKey="step" />
        <YAxis />
        <Tooltip />
        <Legend />
        {models.map((m, i) => (
          <Line key={m.name} dataKey={m.name} stroke={COLORS[i % COLORS.length]} dot={false} connectNulls isAnimationActive={false} />
        ))}
      </LineChart>
    </ResponsiveContainer>
  );
}

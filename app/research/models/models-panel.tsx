"use client";
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useState } from "react";
import { Bar, BarChart, CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { useTRPC } from "@/app/_components/trpc";
import { VerdictNote } from "@/app/research/models/[id]/humans/humans-panel";
import { describeData } from "@/app/research/train/data-source-fields";

const METRICS = ["eval_accuracy", "eval_loss", "ece"] as const;
const COLORS = ["#2563eb", "#dc2626"];

function num(v: unknown): number | null {
  return typeof v === "number" ? v : null;
}

export function ModelsPanel() {
  const trpc = useTRPC();
  const models = useQuery(trpc.research.models.queryOptions());
  const [picked, setPicked] = useState<number[]>([]);
  const list = models.data ?? [];
  const chosen = list.filter((m) => picked.includes(m.id));
  const toggle = (id: number) => setPicked((p) => (p.includes(id) ? p.filter((x) => x !== id) : [...p.slice(-1), id]));
  const compare = METRICS.map((k) => ({
    metric: k,
    ...Object.fromEntries(chosen.map((m) => [m.name, num(m.metrics[k])])),
  }));

  return (
    <div className="space-y-6">
      <h1 className="text-xl font-semibold">Reward models</h1>
      {models.isSuccess && list.length === 0 && <p className="text-slate-600">No models yet: train one on the Train page.</p>}
      <table className="w-full rounded border border-slate-200 bg-white text-left text-sm" data-testid="model-list">
        <thead className="text-slate-500">
          <tr>
            <th className="p-2">Compare</th>
            <th>Model</th>
            <th>Base</th>
            <th>Data</th>
            <th>Epochs · loss</th>
            <th>Held-out accuracy</th>
            <th>Eval loss</th>
            <th>ECE</th>
            <th>Tokens/s</th>
            <th>Use</th>
          </tr>
        </thead>
        <tbody>
          {list.map((m) => (
            <tr key={m.id} className="border-t border-slate-100">
              <td className="p-2">
                <input type="checkbox" data-testid={`compare-${m.id}`} checked={picked.includes(m.id)} onChange={() => toggle(m.id)} />
              </td>
              <td title={m.dir}>{m.name}</td>
              <td>{m.base}</td>
              <td className="max-w-xs text-xs" data-testid={`model-data-${m.id}`} title={`training snapshot #${m.snapshotId ?? "–"}`}>
                {describeData(m.config)}
              </td>
              <td>
                {String(m.config.epochs ?? "?")} · {String(m.config.loss ?? "?")}
              </td>
              <td>
                {num(m.metrics.eval_accuracy)?.toFixed(3) ?? "–"}
                {(m.verdict.level === "below" || m.verdict.level === "uncertain") && (
                  <span
                    data-testid={`model-verdict-${m.id}`}
                    title={m.verdict.message}
                    className={`ml-2 rounded px-1.5 py-0.5 text-xs ${m.verdict.level === "below" ? "bg-red-100 text-red-800" : "bg-amber-100 text-amber-900"}`}
                  >
                    {m.verdict.level === "below" ? "at or below chance" : "not clearly above chance"}
                  </span>
                )}
              </td>
              <td>{num(m.metrics.eval_loss)?.toFixed(3) ?? "–"}</td>
              <td>{num(m.metrics.ece)?.toFixed(3) ?? "–"}</td>
              <td>{num(m.metrics.tokens_per_s)?.toFixed(0) ?? "–"}</td>
              <td>
                <Link href={`/research/models/${m.id}/humans`} className="underline" data-testid={`model-humans-${m.id}`}>
                  vs humans
                </Link>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
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
            <h2 className="text-sm font-medium">Held-out metrics</h2>
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
            <h2 className="text-sm font-medium">Training loss</h2>
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

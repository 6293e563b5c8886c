"use client";
/**
 * Reward-model playground: a prompt and N candidate responses (typed, or loaded from a project's
 * item), each candidate's reward, the pairwise preference P(row > column) = σ(r_row − r_col), and
 * the candidates reranked best first (best-of-N). Model text renders as sanitized markdown.
 */
import { useMutation, useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { Bar, BarChart, CartesianGrid, Cell, ReferenceLine, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { IdSelect } from "@/app/_components/id-select";
import { Markdown } from "@/app/_components/markdown";
import { useTRPC } from "@/app/_components/trpc";
import type { Content } from "@/db/schema";

const MAX_CANDIDATES = 16;
const LETTERS = "ABCDEFGHIJKLMNOP";

/** Chat content as plain text for an editable box. */
function asText(c: Content): string {
  return typeof c === "string" ? c : c.map((m) => `${m.role}: ${m.content}`).join("\n");
}

function cellColor(p: number): string {
  // blue when the row is preferred, red when the column is, white at 0.5
  const a = Math.abs(p - 0.5) * 2;
  return p >= 0.5 ? `rgba(37, 99, 235, ${a.toFixed(2)})` : `rgba(220, 38, 38, ${a.toFixed(2)})`;
}

export function PlaygroundPanel() {
  const trpc = useTRPC();
  const models = useQuery(trpc.research.models.queryOptions());
  const projects = useQuery(trpc.projects.list.queryOptions());
  const [modelId, setModelId] = useState(0);
  const [projectId, setProjectId] = useState(0);
  const [prompt, setPrompt] = useState<Content>("");
  const [candidates, setCandidates] = useState<string[]>(["", ""]);
  const items = useQuery({ ...trpc.scoring.items.queryOptions({ projectId, limit: 200 }), enabled: projectId > 0 });
  const score = useMutation(trpc.scoring.score.mutationOptions());
  const model = modelId || models.data?.[0]?.id || 0;
  const result = score.data;

  const setCandidate = (i: number, text: string) => setCandidates((c) => c.map((x, j) => (j === i ? text : x)));
  const pickItem = (id: number) => {
    const item = items.data?.find((it) => it.id === id);
    if (!item) return;
    setPrompt(item.prompt);
    setCandidates(item.responses.map((r) => asText(r.content)));
    score.reset();
  };

  return (
    <div className="space-y-6">
      <h1 className="text-xl font-semibold">Reward-model playground</h1>
      {models.isSuccess && models.data.length === 0 && <p className="text-slate-600">No models yet: train one on the Train page.</p>}
      <div className="flex flex-wrap items-end gap-3 rounded border border-slate-200 bg-white p-4 text-sm">
        <IdSelect label="Model" testId="playground-model" value={model} onChange={setModelId} options={models.data ?? []} />
        <IdSelect
          label="Load an item from"
          testId="playground-project"
          value={projectId}
          onChange={setProjectId}
          options={projects.data ?? []}
          none={{ label: "(type your own)" }}
        />
        {projectId > 0 && (
          <label className="flex flex-col gap-1">
            Item
            <select
              className="max-w-md rounded border px-2 py-1"
              data-testid="playground-item"
              defaultValue=""
              onChange={(e) => pickItem(Number(e.target.value))}
            >
              <option value="" disabled>
                {items.isLoading ? "loading…" : "pick an item"}
              </option>
              {(items.data ?? []).map((it) => (
                <option key={it.id} value={it.id}>
                  {it.externalId ?? it.id}: {asText(it.prompt).slice(0, 80)}
                </option>
              ))}
            </select>
          </label>
        )}
      </div>

      <form
        className="space-y-3"
        onSubmit={(e) => {
          e.preventDefault();
          score.mutate({ modelId: model, prompt, responses: candidates });
        }}
      >
        {typeof prompt === "string" ? (
          <label className="flex flex-col gap-1 text-sm font-medium">
            Prompt
            <textarea
              className="h-24 rounded border p-2 font-mono text-sm font-normal"
              data-testid="playground-prompt"
              value={prompt}
              onChange={(e) => setPrompt(e.target.value)}
            />
          </label>
        ) : (
          <div className="space-y-1 text-sm">
            <p className="font-medium">Prompt (chat)</p>
            <pre className="whitespace-pre-wrap rounded border bg-slate-50 p-2" data-testid="playground-prompt-chat">
              {asText(prompt)}
            </pre>
            <button type="button" className="text-xs underline" onClick={() => setPrompt(asText(prompt))}>
              edit as text
            </button>
          </div>
        )}
        <div className="grid gap-3 md:grid-cols-2">
          {candidates.map((c, i) => (
            <label key={`cand-${i.toString()}`} className="flex flex-col gap-1 text-sm font-medium">
              <span className="flex items-center justify-between">
                Candidate {LETTERS[i]}
                {candidates.length > 1 && (
                  <button
                    type="button"
                    className="text-xs font-normal underline"
                    data-testid={`candidate-remove-${i}`}
                    onClick={() => setCandidates((cs) => cs.filter((_, j) => j !== i))}
                  >
                    remove
                  </button>
                )}
              </span>
              <textarea
                className="h-28 rounded border p-2 font-mono text-sm font-normal"
                data-testid={`candidate-${i}`}
                value={c}
                onChange={(e) => setCandidate(i, e.target.value)}
              />
            </label>
          ))}
        </div>
        <div className="flex gap-3">
          <button
            type="button"
            className="rounded border border-slate-300 px-3 py-1 text-sm disabled:opacity-50"
            data-testid="candidate-add"
            disabled={candidates.length >= MAX_CANDIDATES}
            onClick={() => setCandidates((c) => [...c, ""])}
          >
            Add candidate
          </button>
          <button
            type="submit"
            className="rounded bg-slate-900 px-4 py-1 text-sm text-white disabled:opacity-50"
            data-testid="playground-score"
            disabled={!model || score.isPending}
          >
            {score.isPending ? "Scoring…" : "Score"}
          </button>
        </div>
        {score.error && (
          <p className="text-sm text-red-700" data-testid="playground-error">
            {score.error.message}
          </p>
        )}
      </form>

      {result && (
        <div className="space-y-6" data-testid="playground-result">
          <div className="grid gap-4 md:grid-cols-2">
            <section className="h-72 rounded border border-slate-200 bg-white p-4" data-testid="reward-chart">
              <h2 className="text-sm font-medium">Reward (normalized: 0 = a typical response, ±1 = one standard deviation)</h2>
              <ResponsiveContainer>
                <BarChart data={result.rewards.map((r, i) => ({ name: LETTERS[i], reward: r.reward }))}>
                  <CartesianGrid strokeDasharray="3 3" />
                  <XAxis dataKey="name" />
                  <YAxis
                    domain={[(min: number) => Math.min(0, min), (max: number) => Math.max(0, max)]}
                    tickFormatter={(v: number) => v.toFixed(2)}
                  />
                  <Tooltip formatter={(v) => Number(v).toFixed(3)} />
                  <ReferenceLine y={0} stroke="#64748b" />
                  <Bar dataKey="reward" isAnimationActive={false}>
                    {result.rewards.map((r, i) => (
                      <Cell key={LETTERS[i]} fill={i === result.ranked[0]?.index ? "#16a34a" : r.reward >= 0 ? "#2563eb" : "#dc2626"} />
                    ))}
                  </Bar>
                </BarChart>
              </ResponsiveContainer>
            </section>
            <section className="rounded border border-slate-200 bg-white p-4" data-testid="pairwise-matrix">
              <h2 className="mb-2 text-sm font-medium">P(row preferred to column) = σ(r_row − r_col)</h2>
              <table className="text-sm">
                <thead>
                  <tr>
                    <th />
                    {result.rewards.map((_, j) => (
                      <th key={LETTERS[j]} className="px-2">
                        {LETTERS[j]}
                      </th>
                    ))}
                  </tr>
                </thead>
                <tbody>
                  {result.matrix.map((row, i) => (
                    <tr key={LETTERS[i]}>
                      <th className="pr-2">{LETTERS[i]}</th>
                      {row.map((p, j) => (
                        <td
                          key={LETTERS[j]}
                          className="px-2 py-1 text-center tabular-nums"
                          style={{ background: i === j ? undefined : cellColor(p) }}
                          data-testid={`p-${i}-${j}`}
                        >
                          {i === j ? "–" : p.toFixed(2)}
                        </td>
                      ))}
                    </tr>
                  ))}
                </tbody>
              </table>
            </section>
          </div>
          <section className="space-y-3" data-testid="best-of-n">
            <h2 className="font-medium">Best of {result.ranked.length}, reranked</h2>
            {result.ranked.map((c) => (
              <article key={c.index} className="rounded border border-slate-200 bg-white p-4" data-testid={`ranked-${c.rank}`}>
                <header className="mb-2 flex flex-wrap gap-4 text-sm text-slate-600">
                  <span className="font-semibold text-slate-900">
                    #{c.rank} · candidate {LETTERS[c.index]}
                  </span>
                  <span data-testid={`reward-${c.index}`}>reward {c.reward.toFixed(3)}</span>
                  <span>P(best of all) {(100 * c.pBest).toFixed(1)}%</span>
                  <span>
                    {c.rank === 1 ? "P(beats the runner-up)" : "P(beats the best)"} {(100 * c.pBeatsBestOther).toFixed(1)}%
                  </span>
                </header>
                <Markdown text={candidates[c.index] ?? ""} />
              </article>
            ))}
          </section>
        </div>
      )}
    </div>
  );
}

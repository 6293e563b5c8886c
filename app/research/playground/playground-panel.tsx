"use client";
/**
 * Reward-model playground: a prompt and N candidate responses (typed, or loaded from a project's
 * item), each candidate's reward, the pairwise preference P(row > column) = σ(r_row − r_col), and
 * the candidates reranked best first (best-of-N). Model text renders as sanitized markdown.
 */
import { useMutation, useQuery } from "@tanstack/react-query";
import { useFormatter, useTranslations } from "next-intl";
import { useState } from "react";
import { Bar, BarChart, CartesianGrid, Cell, ReferenceLine, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { axisTitle, niceTicks, TITLED_MARGIN } from "@/app/_components/charts";
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

/** A candidate the reward model can score: some text (a chat needs some message with text). */
function isBlank(c: Content): boolean {
  return typeof c === "string" ? c.trim() === "" : c.every((m) => m.content.trim() === "");
}

export function PlaygroundPanel() {
  const t = useTranslations("research.playground");
  const format = useFormatter();
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
  const rewards = result?.rewards.map((r) => r.reward) ?? [];
  // Round ticks that always include 0 (a typical response).
  const rewardAxis = result ? niceTicks(Math.min(0, ...rewards), Math.max(0, ...rewards)) : null;
  const blank = candidates.flatMap((c, i) => (isBlank(c) ? [i] : []));
  const [tried, setTried] = useState(false);
  const fixed = (v: number, digits: number) => format.number(v, { minimumFractionDigits: digits, maximumFractionDigits: digits });
  const percent = (v: number) => format.number(v, { style: "percent", minimumFractionDigits: 1, maximumFractionDigits: 1 });

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
      <h1 className="text-xl font-semibold">{t("title")}</h1>
      {models.isSuccess && models.data.length === 0 && <p className="text-slate-600">{t("noModels")}</p>}
      <div className="flex flex-wrap items-end gap-3 rounded border border-slate-200 bg-white p-4 text-sm">
        <IdSelect label={t("model")} testId="playground-model" value={model} onChange={setModelId} options={models.data ?? []} />
        <IdSelect
          label={t("loadFrom")}
          testId="playground-project"
          value={projectId}
          onChange={setProjectId}
          options={projects.data ?? []}
          none={{ label: t("typeOwn") }}
        />
        {projectId > 0 && (
          <label className="flex flex-col gap-1">
            {t("item")}
            <select
              className="max-w-md rounded border px-2 py-1"
              data-testid="playground-item"
              defaultValue=""
              onChange={(e) => pickItem(Number(e.target.value))}
            >
              <option value="" disabled>
                {items.isLoading ? t("loading") : t("pickItem")}
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
          setTried(true);
          if (blank.length > 0) return;
          score.mutate({ modelId: model, prompt, responses: candidates });
        }}
      >
        {typeof prompt === "string" ? (
          <label className="flex flex-col gap-1 text-sm font-medium">
            {t("prompt")}
            <textarea
              className="h-24 rounded border p-2 font-mono text-sm font-normal"
              data-testid="playground-prompt"
              value={prompt}
              onChange={(e) => setPrompt(e.target.value)}
            />
          </label>
        ) : (
          <div className="space-y-1 text-sm">
            <p className="font-medium">{t("promptChat")}</p>
            <pre className="whitespace-pre-wrap rounded border bg-slate-50 p-2" data-testid="playground-prompt-chat">
              {asText(prompt)}
            </pre>
            <button type="button" className="text-xs underline" onClick={() => setPrompt(asText(prompt))}>
              {t("editAsText")}
            </button>
          </div>
        )}
        <div className="grid gap-3 md:grid-cols-2">
          {candidates.map((c, i) => (
            <label key={`cand-${i.toString()}`} className="flex flex-col gap-1 text-sm font-medium">
              <span className="flex items-center justify-between">
                {t("candidate", { letter: LETTERS[i] ?? String(i + 1) })}
                {candidates.length > 1 && (
                  <button
                    type="button"
                    className="text-xs font-normal underline"
                    data-testid={`candidate-remove-${i}`}
                    onClick={() => setCandidates((cs) => cs.filter((_, j) => j !== i))}
                  >
                    {t("remove")}
                  </button>
                )}
              </span>
              <textarea
                className="h-28 rounded border p-2 font-mono text-sm font-normal"
                data-testid={`candidate-${i}`}
                aria-invalid={tried && blank.includes(i) ? true : undefined}
                aria-describedby={tried && blank.includes(i) ? "playground-blank" : undefined}
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
            {t("add")}
          </button>
          <button
            type="submit"
            className="rounded bg-slate-900 px-4 py-1 text-sm text-white disabled:opacity-50"
            data-testid="playground-score"
            disabled={!model || score.isPending || (tried && blank.length > 0)}
          >
            {score.isPending ? t("scoring") : t("score")}
          </button>
        </div>
        {tried && blank.length > 0 && (
          <p className="text-sm text-red-700" id="playground-blank" role="alert" data-testid="playground-blank">
            {t("blank", { letters: blank.map((i) => LETTERS[i] ?? String(i + 1)).join(", "), count: blank.length })}
          </p>
        )}
        {score.error && (
          <p className="text-sm text-red-700" data-testid="playground-error">
            {score.error.message}
          </p>
        )}
      </form>

      {result && rewardAxis && (
        <div className="space-y-6" data-testid="playground-result">
          <div className="grid gap-4 md:grid-cols-2">
            <section className="h-80 rounded border border-slate-200 bg-white p-4" data-testid="reward-chart">
              <h2 className="text-sm font-medium">{t("rewardTitle")}</h2>
              <ResponsiveContainer height="90%">
                <BarChart data={result.rewards.map((r, i) => ({ name: LETTERS[i], reward: r.reward }))} margin={TITLED_MARGIN}>
                  <CartesianGrid strokeDasharray="3 3" />
                  <XAxis dataKey="name" label={axisTitle(t("axisCandidate"), "x")} />
                  <YAxis
                    domain={rewardAxis.domain}
                    ticks={rewardAxis.ticks}
                    width={56}
                    tickFormatter={(v: number) => format.number(v, { maximumFractionDigits: 2 })}
                    label={axisTitle(t("axisReward"), "y")}
                  />
                  <Tooltip formatter={(v) => fixed(Number(v), 3)} />
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
              <h2 className="mb-2 text-sm font-medium">{t("matrixTitle")}</h2>
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
                          {i === j ? "–" : fixed(p, 2)}
                        </td>
                      ))}
                    </tr>
                  ))}
                </tbody>
              </table>
            </section>
          </div>
          <section className="space-y-3" data-testid="best-of-n">
            <h2 className="font-medium">{t("bestOf", { n: result.ranked.length })}</h2>
            {result.ranked.map((c) => (
              <article key={c.index} className="rounded border border-slate-200 bg-white p-4" data-testid={`ranked-${c.rank}`}>
                <header className="mb-2 flex flex-wrap gap-4 text-sm text-slate-600">
                  <span className="font-semibold text-slate-900">
                    {t("rankedCandidate", { rank: c.rank, letter: LETTERS[c.index] ?? String(c.index + 1) })}
                  </span>
                  <span data-testid={`reward-${c.index}`}>{t("reward", { reward: fixed(c.reward, 3) })}</span>
                  <span>{t("pBest", { p: percent(c.pBest) })}</span>
                  <span>{t(c.rank === 1 ? "pBeatsRunnerUp" : "pBeatsBest", { p: percent(c.pBeatsBestOther) })}</span>
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

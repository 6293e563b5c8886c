"use client";
import { useQuery } from "@tanstack/react-query";
import { useTRPC } from "@/app/_components/trpc";

/** What the train form sends as `data` (server/domain/training/training-data.ts, zTrainingSource). */
export type DataSource =
  | {
      source: "filters";
      policies: {
        ties: "keep" | "drop";
        bothBad: "keep" | "drop";
        kway: "all-pairs" | "best-vs-rest";
        aggregate: "all" | "majority";
        minVotes: number;
        criterion?: string;
        margin: boolean;
      };
    }
  | { source: "snapshot"; snapshotId: number };

type Filters = Extract<DataSource, { source: "filters" }>;

export const DEFAULT_FILTERS: Filters = {
  source: "filters",
  policies: { ties: "keep", bothBad: "drop", kway: "all-pairs", aggregate: "all", minVotes: 1, margin: false },
};

const select = "rounded border px-2 py-1";

/** Train on the project's judgments under export policies, or on an export snapshot's judgments. */
export function DataSourceFields({
  projectId,
  criteria,
  value,
  onChange,
}: {
  projectId: number;
  criteria: string[];
  value: DataSource;
  onChange: (v: DataSource) => void;
}) {
  const trpc = useTRPC();
  const snapshots = useQuery({ ...trpc.exports.list.queryOptions({ projectId }), enabled: projectId > 0 });
  const exportsOnly = snapshots.data?.filter((s) => s.format !== "trainer-jsonl") ?? [];
  const filters = value.source === "filters" ? value.policies : DEFAULT_FILTERS.policies;
  const set = (patch: Partial<Filters["policies"]>) => onChange({ source: "filters", policies: { ...filters, ...patch } });

  return (
    <fieldset className="flex w-full flex-wrap items-end gap-3 rounded border border-slate-100 p-3" data-testid="train-data">
      <legend className="px-1 text-slate-600">Training data</legend>
      <label className="flex items-center gap-1">
        <input
          type="radio"
          name="data-source"
          data-testid="train-data-filters"
          checked={value.source === "filters"}
          onChange={() => onChange(DEFAULT_FILTERS)}
        />
        Current judgments, filtered
      </label>
      <label className="flex items-center gap-1">
        <input
          type="radio"
          name="data-source"
          data-testid="train-data-snapshot"
          checked={value.source === "snapshot"}
          disabled={exportsOnly.length === 0}
          onChange={() => {
            const first = exportsOnly[0];
            if (first) onChange({ source: "snapshot", snapshotId: first.id });
          }}
        />
        An export snapshot{exportsOnly.length === 0 ? " (none yet)" : ""}
      </label>
      {value.source === "snapshot" ? (
        <label className="flex flex-col gap-1">
          Snapshot
          <select
            data-testid="train-snapshot"
            className={select}
            value={value.snapshotId}
            onChange={(e) => onChange({ source: "snapshot", snapshotId: Number(e.target.value) })}
          >
            {exportsOnly.map((s) => (
              <option key={s.id} value={s.id}>
                #{s.id} · {s.format} · {s.rowCount} rows · {new Date(s.createdAt * 1000).toLocaleString()}
              </option>
            ))}
          </select>
        </label>
      ) : (
        <>
          <label className="flex flex-col gap-1">
            Ties
            <select
              data-testid="train-ties"
              className={select}
              value={filters.ties}
              onChange={(e) => set({ ties: e.target.value as "keep" | "drop" })}
            >
              <option value="keep">keep (bt-ties learns from them)</option>
              <option value="drop">drop</option>
            </select>
          </label>
          <label className="flex flex-col gap-1">
            Both bad
            <select className={select} value={filters.bothBad} onChange={(e) => set({ bothBad: e.target.value as "keep" | "drop" })}>
              <option value="drop">drop</option>
              <option value="keep">keep as a tie</option>
            </select>
          </label>
          <label className="flex flex-col gap-1">
            Rankings
            <select className={select} value={filters.kway} onChange={(e) => set({ kway: e.target.value as "all-pairs" | "best-vs-rest" })}>
              <option value="all-pairs">all C(K,2) pairs</option>
              <option value="best-vs-rest">best vs rest</option>
            </select>
          </label>
          <label className="flex flex-col gap-1">
            Aggregate
            <select
              data-testid="train-aggregate"
              className={select}
              value={filters.aggregate}
              onChange={(e) => set({ aggregate: e.target.value as "all" | "majority" })}
            >
              <option value="all">every vote</option>
              <option value="majority">majority per pair</option>
            </select>
          </label>
          <label className="flex flex-col gap-1">
            Min votes
            <input
              type="number"
              min={1}
              className="w-16 rounded border px-2 py-1"
              value={filters.minVotes}
              onChange={(e) => set({ minVotes: Math.max(1, Number(e.target.value) || 1) })}
            />
          </label>
          <label className="flex flex-col gap-1">
            Criterion
            <select className={select} value={filters.criterion ?? ""} onChange={(e) => set({ criterion: e.target.value || undefined })}>
              <option value="">overall outcome</option>
              {criteria.map((c) => (
                <option key={c} value={c}>
                  {c}
                </option>
              ))}
            </select>
          </label>
          <label className="flex items-center gap-1">
            <input type="checkbox" checked={filters.margin} onChange={(e) => set({ margin: e.target.checked })} />
            margin from strength
          </label>
        </>
      )}
    </fieldset>
  );
}

/** One line saying which data a job or model trained on (from its config's meta.data). */
export function describeData(config: Record<string, unknown> | null | undefined): string {
  const meta = config?.meta as { data?: Record<string, unknown> } | undefined;
  const d = meta?.data;
  if (!d) return "–";
  const count = `${String(d.rows ?? "?")} rows from ${String(d.judgments ?? "?")} judgments`;
  if (d.source === "snapshot") return `export snapshot #${String(d.snapshotId)} · ${count}`;
  const p = (d.policies ?? {}) as Record<string, unknown>;
  const parts = [
    `ties ${String(p.ties ?? "?")}`,
    `both-bad ${String(p.bothBad ?? "?")}`,
    `${String(p.aggregate ?? "all")} votes`,
    Number(p.minVotes ?? 1) > 1 ? `≥ ${String(p.minVotes)} votes` : null,
    p.criterion ? `criterion ${String(p.criterion)}` : null,
    p.kway === "best-vs-rest" ? "rankings best-vs-rest" : null,
    Array.isArray(p.excludeAnnotators) && p.excludeAnnotators.length ? `${p.excludeAnnotators.length} more annotators excluded` : null,
  ].filter(Boolean);
  return `filters (${parts.join(", ")}) · ${count}`;
}

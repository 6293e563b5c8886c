"use client";
import { useQuery } from "@tanstack/react-query";
import { useFormatter, useTranslations } from "next-intl";
import { useTRPC } from "@/app/_components/trpc";
import { type DataSource, DEFAULT_FILTERS, type Filters } from "./train-form";

export { type DataSource, DEFAULT_FILTERS } from "./train-form";

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
  const t = useTranslations("research.data");
  const format = useFormatter();
  const trpc = useTRPC();
  const snapshots = useQuery({ ...trpc.exports.list.queryOptions({ projectId }), enabled: projectId > 0 });
  const exportsOnly = snapshots.data?.filter((s) => s.format !== "trainer-jsonl") ?? [];
  const filters = value.source === "filters" ? value.policies : DEFAULT_FILTERS.policies;
  const set = (patch: Partial<Filters["policies"]>) => onChange({ source: "filters", policies: { ...filters, ...patch } });

  return (
    <fieldset className="flex w-full flex-wrap items-end gap-3 rounded border border-slate-100 p-3" data-testid="train-data">
      <legend className="px-1 text-slate-600">{t("legend")}</legend>
      <label className="flex items-center gap-1">
        <input
          type="radio"
          name="data-source"
          data-testid="train-data-filters"
          checked={value.source === "filters"}
          onChange={() => onChange(DEFAULT_FILTERS)}
        />
        {t("filters")}
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
        {exportsOnly.length === 0 ? t("snapshotNone") : t("snapshot")}
      </label>
      {value.source === "snapshot" ? (
        <label className="flex flex-col gap-1">
          {t("snapshotPick")}
          <select
            data-testid="train-snapshot"
            className={select}
            value={value.snapshotId}
            onChange={(e) => onChange({ source: "snapshot", snapshotId: Number(e.target.value) })}
          >
            {exportsOnly.map((s) => (
              <option key={s.id} value={s.id}>
                {t("snapshotOption", {
                  id: s.id,
                  format: s.format,
                  rows: s.rowCount,
                  date: format.dateTime(new Date(s.createdAt * 1000), { dateStyle: "medium", timeStyle: "short" }),
                })}
              </option>
            ))}
          </select>
        </label>
      ) : (
        <>
          <label className="flex flex-col gap-1">
            {t("ties")}
            <select
              data-testid="train-ties"
              className={select}
              value={filters.ties}
              onChange={(e) => set({ ties: e.target.value as "keep" | "drop" })}
            >
              <option value="keep">{t("tiesKeep")}</option>
              <option value="drop">{t("drop")}</option>
            </select>
          </label>
          <label className="flex flex-col gap-1">
            {t("bothBad")}
            <select className={select} value={filters.bothBad} onChange={(e) => set({ bothBad: e.target.value as "keep" | "drop" })}>
              <option value="drop">{t("drop")}</option>
              <option value="keep">{t("bothBadKeep")}</option>
            </select>
          </label>
          <label className="flex flex-col gap-1">
            {t("rankings")}
            <select className={select} value={filters.kway} onChange={(e) => set({ kway: e.target.value as "all-pairs" | "best-vs-rest" })}>
              <option value="all-pairs">{t("allPairs")}</option>
              <option value="best-vs-rest">{t("bestVsRest")}</option>
            </select>
          </label>
          <label className="flex flex-col gap-1">
            {t("aggregate")}
            <select
              data-testid="train-aggregate"
              className={select}
              value={filters.aggregate}
              onChange={(e) => set({ aggregate: e.target.value as "all" | "majority" })}
            >
              <option value="all">{t("everyVote")}</option>
              <option value="majority">{t("majority")}</option>
            </select>
          </label>
          <label className="flex flex-col gap-1">
            {t("minVotes")}
            <input
              type="number"
              min={1}
              className="w-16 rounded border px-2 py-1"
              value={filters.minVotes}
              onChange={(e) => set({ minVotes: Math.max(1, Number(e.target.value) || 1) })}
            />
          </label>
          <label className="flex flex-col gap-1">
            {t("criterion")}
            <select className={select} value={filters.criterion ?? ""} onChange={(e) => set({ criterion: e.target.value || undefined })}>
              <option value="">{t("overall")}</option>
              {criteria.map((c) => (
                <option key={c} value={c}>
                  {c}
                </option>
              ))}
            </select>
          </label>
          <label className="flex items-center gap-1">
            <input type="checkbox" checked={filters.margin} onChange={(e) => set({ margin: e.target.checked })} />
            {t("margin")}
          </label>
        </>
      )}
    </fieldset>
  );
}

const POLICY_VALUES = ["keep", "drop", "all", "majority"] as const;

/** One line saying which data a job or model trained on (from its config's meta.data), in the interface's language. */
export function useDescribeData(): (config: Record<string, unknown> | null | undefined) => string {
  const t = useTranslations("research.data.describe");
  const format = useFormatter();
  const value = (v: unknown) =>
    (POLICY_VALUES as readonly unknown[]).includes(v) ? t(`value.${v as (typeof POLICY_VALUES)[number]}`) : String(v ?? "?");
  const count = (v: unknown) => (typeof v === "number" ? format.number(v) : "?");
  return (config) => {
    const meta = config?.meta as { data?: Record<string, unknown> } | undefined;
    const d = meta?.data;
    if (!d) return "–";
    const rows = t("rows", { rows: count(d.rows), judgments: count(d.judgments) });
    if (d.source === "snapshot") return t("snapshot", { id: String(d.snapshotId), rows });
    const p = (d.policies ?? {}) as Record<string, unknown>;
    const parts = [
      t("ties", { value: value(p.ties) }),
      t("bothBad", { value: value(p.bothBad) }),
      t("aggregate", { value: value(p.aggregate ?? "all") }),
      Number(p.minVotes ?? 1) > 1 ? t("minVotes", { n: Number(p.minVotes) }) : null,
      p.criterion ? t("criterion", { criterion: String(p.criterion) }) : null,
      p.kway === "best-vs-rest" ? t("bestVsRest") : null,
      Array.isArray(p.excludeAnnotators) && p.excludeAnnotators.length ? t("excluded", { n: p.excludeAnnotators.length }) : null,
    ].filter(Boolean);
    return t("filters", { parts: parts.join(t("separator")), rows });
  };
}

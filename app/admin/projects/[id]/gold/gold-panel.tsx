"use client";
/**
 * The gold page: the project's gold and repeat rates, and its items with their gold marks. An admin
 * marks an item gold with the accepted answers (canonical: response 1 = "a") and the explanation an
 * annotator sees after missing it; researchers read.
 */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useTranslations } from "next-intl";
import { useState } from "react";
import { useSessionUser } from "@/app/_components/session-user";
import { useTRPC } from "@/app/_components/trpc";
import type { Content } from "@/db/schema";
import type { GoldListItem } from "@/server/domain/gold";

const PAIR_ANSWERS = ["a", "b", "tie", "both_bad"] as const;

function preview(content: Content, max = 240): string {
  const text = typeof content === "string" ? content : content.map((m) => `${m.role}: ${m.content}`).join("\n");
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

export function GoldPanel({ projectId }: { projectId: number }) {
  const t = useTranslations("admin.gold");
  const trpc = useTRPC();
  const sessionUser = useSessionUser();
  const isAdmin = sessionUser?.role === "admin";
  const [goldOnly, setGoldOnly] = useState(false);
  // Keyset pages: the item id each visited page started after.
  const [starts, setStarts] = useState<number[]>([0]);
  const after = starts.at(-1) ?? 0;
  const list = useQuery(trpc.quality.goldItems.queryOptions({ projectId, goldOnly, limit: 20, after }));
  const page = list.data;
  return (
    <div className="space-y-4">
      <div className="flex flex-wrap items-center gap-3">
        <Link href={`/admin/projects/${projectId}`} className="text-sm text-blue-700 hover:underline">
          {t("back")}
        </Link>
        <h1 className="text-2xl font-semibold">{t("title")}</h1>
      </div>
      {list.error && <p className="text-red-700">{list.error.message}</p>}
      {page && (
        <RatesForm
          key={`${page.goldRate}-${page.repeatRate}`}
          projectId={projectId}
          goldRate={page.goldRate}
          repeatRate={page.repeatRate}
          goldCount={page.goldCount}
          canEdit={isAdmin}
        />
      )}
      <label className="flex items-center gap-2 text-sm">
        <input
          type="checkbox"
          checked={goldOnly}
          onChange={(e) => {
            setGoldOnly(e.target.checked);
            setStarts([0]);
          }}
          data-testid="gold-only"
        />
        {t("goldOnly")}
      </label>
      <ul className="space-y-3" data-testid="gold-items">
        {page?.items.map((item) => (
          <GoldItemRow key={item.itemId} item={item} canEdit={isAdmin} />
        ))}
      </ul>
      {page && page.items.length === 0 && <p className="text-slate-500">{t("none")}</p>}
      <div className="flex gap-3 text-sm">
        {starts.length > 1 && (
          <button
            type="button"
            onClick={() => setStarts(starts.slice(0, -1))}
            className="rounded border border-slate-300 px-3 py-1.5 hover:bg-white"
          >
            {t("previous")}
          </button>
        )}
        {page?.next != null && (
          <button
            type="button"
            onClick={() => setStarts([...starts, page.next as number])}
            className="rounded border border-slate-300 px-3 py-1.5 hover:bg-white"
            data-testid="gold-next-page"
          >
            {t("next")}
          </button>
        )}
      </div>
    </div>
  );
}

function RatesForm(props: { projectId: number; goldRate: number; repeatRate: number; goldCount: number; canEdit: boolean }) {
  const t = useTranslations("admin.gold");
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [gold, setGold] = useState(String(Math.round(props.goldRate * 1000) / 10));
  const [repeat, setRepeat] = useState(String(Math.round(props.repeatRate * 1000) / 10));
  const save = useMutation(
    trpc.quality.setRates.mutationOptions({
      onSuccess: () => queryClient.invalidateQueries({ queryKey: trpc.quality.goldItems.pathKey() }),
    }),
  );
  return (
    <section className="rounded-lg border border-slate-200 bg-white p-4 shadow-sm" data-testid="rates">
      <p className="mb-3 text-sm text-slate-600">{t("rates", { count: props.goldCount })}</p>
      <form
        className="flex flex-wrap items-end gap-4"
        onSubmit={(e) => {
          e.preventDefault();
          save.mutate({ projectId: props.projectId, goldRate: Number(gold) / 100, repeatRate: Number(repeat) / 100 });
        }}
      >
        <label className="text-sm">
          {t("goldRate")}
          <input
            type="number"
            min={0}
            max={100}
            step={0.5}
            value={gold}
            disabled={!props.canEdit}
            onChange={(e) => setGold(e.target.value)}
            className="ml-2 w-20 rounded border border-slate-300 px-2 py-1"
            data-testid="gold-rate"
          />
        </label>
        <label className="text-sm">
          {t("repeatRate")}
          <input
            type="number"
            min={0}
            max={50}
            step={0.5}
            value={repeat}
            disabled={!props.canEdit}
            onChange={(e) => setRepeat(e.target.value)}
            className="ml-2 w-20 rounded border border-slate-300 px-2 py-1"
            data-testid="repeat-rate"
          />
        </label>
        {props.canEdit && (
          <button type="submit" className="rounded bg-slate-900 px-3 py-1.5 text-sm text-white" data-testid="save-rates">
            {t("saveRates")}
          </button>
        )}
        {save.isSuccess && <span className="text-sm text-emerald-700">{t("saved")}</span>}
        {save.error && (
          <span role="alert" className="text-sm text-red-700">
            {save.error.message}
          </span>
        )}
      </form>
    </section>
  );
}

function GoldItemRow({ item, canEdit }: { item: GoldListItem; canEdit: boolean }) {
  const t = useTranslations("admin.gold");
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [editing, setEditing] = useState(false);
  const pairwise = item.responses.length === 2;
  const [accepted, setAccepted] = useState<string[]>(item.gold?.accepted.filter((a) => !a.includes(":") && !a.startsWith("[")) ?? []);
  const [extra, setExtra] = useState(item.gold?.accepted.filter((a) => a.includes(":") || a.startsWith("[")).join(", ") ?? "");
  const [explanation, setExplanation] = useState(item.gold?.explanation ?? "");
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.quality.goldItems.pathKey() });
  const mark = useMutation(
    trpc.quality.markGold.mutationOptions({
      onSuccess: () => {
        setEditing(false);
        refresh();
      },
    }),
  );
  const unmark = useMutation(trpc.quality.unmarkGold.mutationOptions({ onSuccess: refresh }));
  const all = [
    ...accepted,
    ...extra
      .split(/,(?![^[]*\])/)
      .map((x) => x.trim())
      .filter(Boolean),
  ];
  return (
    <li className="rounded-lg border border-slate-200 bg-white p-4 shadow-sm" data-testid={`gold-item-${item.itemId}`}>
      <div className="flex flex-wrap items-start gap-3">
        <div className="min-w-0 flex-1">
          <div className="text-xs text-slate-500">
            {t("item", { id: item.itemId })}
            {item.externalId ? ` · ${item.externalId}` : ""} · {t("judgments", { count: item.judgments })}
          </div>
          <p className="whitespace-pre-wrap text-sm">{preview(item.prompt)}</p>
          <ol className="mt-2 grid gap-2 md:grid-cols-2">
            {item.responses.map((r) => (
              <li key={r.idx} className="rounded border border-slate-100 bg-slate-50 p-2 text-xs">
                <div className="font-medium text-slate-600">
                  {t("response", { number: r.idx + 1 })} · {r.model}
                </div>
                <p className="whitespace-pre-wrap">{preview(r.content, 160)}</p>
              </li>
            ))}
          </ol>
        </div>
        <div className="w-64 text-sm">
          {item.gold ? (
            <div data-testid="gold-mark">
              <span className="rounded bg-amber-100 px-2 py-0.5 text-amber-900">
                {t("mark", { answers: item.gold.accepted.join(", ") })}
              </span>
              {item.gold.explanation && <p className="mt-1 text-xs text-slate-600">{item.gold.explanation}</p>}
            </div>
          ) : (
            <span className="text-slate-500">{t("notGold")}</span>
          )}
          {canEdit && !editing && (
            <div className="mt-2 flex gap-2">
              <button type="button" className="text-blue-700 underline" onClick={() => setEditing(true)} data-testid="edit-gold">
                {item.gold ? t("edit") : t("markGold")}
              </button>
              {item.gold && (
                <button
                  type="button"
                  className="text-red-700 underline"
                  onClick={() => unmark.mutate({ itemId: item.itemId })}
                  data-testid="unmark-gold"
                >
                  {t("unmark")}
                </button>
              )}
            </div>
          )}
        </div>
      </div>
      {editing && (
        <form
          className="mt-3 space-y-2 border-t border-slate-100 pt-3 text-sm"
          onSubmit={(e) => {
            e.preventDefault();
            mark.mutate({ itemId: item.itemId, accepted: all, explanation });
          }}
        >
          {pairwise && (
            <fieldset className="flex flex-wrap gap-3">
              <legend className="mb-1 text-slate-600">{t("accepted")}</legend>
              {PAIR_ANSWERS.map((a) => (
                <label key={a} className="flex items-center gap-1">
                  <input
                    type="checkbox"
                    checked={accepted.includes(a)}
                    onChange={(e) => setAccepted(e.target.checked ? [...accepted, a] : accepted.filter((x) => x !== a))}
                    data-testid={`accept-${a}`}
                  />
                  {t(`answers.${a}`)}
                </label>
              ))}
            </fieldset>
          )}
          <label className="block">
            {pairwise ? t("withStrength") : t("rankings")}
            <input
              value={extra}
              onChange={(e) => setExtra(e.target.value)}
              className="mt-1 block w-full rounded border border-slate-300 px-2 py-1"
              data-testid="accept-extra"
            />
          </label>
          <label className="block">
            {t("explanation")}
            <textarea
              value={explanation}
              onChange={(e) => setExplanation(e.target.value)}
              rows={2}
              className="mt-1 block w-full rounded border border-slate-300 px-2 py-1"
              data-testid="gold-explanation"
            />
          </label>
          <div className="flex items-center gap-3">
            <button type="submit" className="rounded bg-amber-600 px-3 py-1.5 text-white" data-testid="save-gold" disabled={mark.isPending}>
              {t("save")}
            </button>
            <button type="button" className="text-slate-500 underline" onClick={() => setEditing(false)}>
              {t("cancel")}
            </button>
            {mark.error && (
              <span role="alert" className="text-red-700">
                {mark.error.message}
              </span>
            )}
          </div>
        </form>
      )}
      {unmark.error && <p className="text-red-700">{unmark.error.message}</p>}
    </li>
  );
}

"use client";
/** What the quality panel and its group split share: the card frame, the chart threshold, number formats. */
import { useFormatter } from "next-intl";
import type { ReactNode } from "react";

/** Fewer pairwise comparisons than this make ratings and win rates noise: the charts wait for them. */
export const MIN_BATTLES = 20;

/** A titled card; nothing inside (a chart's hidden tooltip, a wide table) may push the page sideways. */
export function Card({ title, children, testId }: { title: string; children: ReactNode; testId?: string }) {
  return (
    <section className="min-w-0 overflow-hidden rounded-lg border border-slate-200 bg-white p-4 shadow-sm" data-testid={testId}>
      <h2 className="mb-3 font-medium">{title}</h2>
      {children}
    </section>
  );
}

/** Statistics in the reader's locale: `fmt` with fixed decimals, `pct` for 0–1 shares; "—" where there is none. */
export function useStatFormat() {
  const format = useFormatter();
  const fmt = (v: number | null | undefined, digits = 1) =>
    v === null || v === undefined ? "—" : format.number(v, { minimumFractionDigits: digits, maximumFractionDigits: digits });
  const pct = (v: number | null | undefined) =>
    v === null || v === undefined ? "—" : `${format.number(100 * v, { maximumFractionDigits: 0 })}%`;
  return { fmt, pct };
}

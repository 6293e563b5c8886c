"use client";
/** The caller's recent judgments (the latest revision of each), each with a Revise link while the project allows it. */
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useFormatter, useTranslations } from "next-intl";
import { useTRPC } from "@/app/_components/trpc";

const STRENGTHS = ["slight", "moderate", "strong", "decisive"] as const;

type Answer = { outcome?: "a" | "b" | "tie" | "both_bad"; ranking?: number[]; strength: number | null };

/** The answer as the annotator saw it: "A is better (strong)", "Tie", "B > A > C" (words from messages "annotate.*"). */
function useDescribeAnswer(): (a: Answer) => string {
  const t = useTranslations("annotate");
  return (a) => {
    if (a.ranking) return a.ranking.map((p) => String.fromCharCode(65 + p)).join(" > ");
    if (!a.outcome) return "?";
    const said = t(`outcome.${a.outcome}`);
    const word = a.outcome === "a" || a.outcome === "b" ? STRENGTHS[(a.strength ?? 0) - 1] : undefined;
    return word ? t("feedback.withStrength", { answer: said, strength: t(`strength.${word}`) }) : said;
  };
}

export function RecentJudgments() {
  const t = useTranslations("me.recent");
  const format = useFormatter();
  const describeAnswer = useDescribeAnswer();
  const trpc = useTRPC();
  const recent = useQuery(trpc.annotate.recent.queryOptions({ limit: 30 }));
  return (
    <section className="rounded-lg border border-slate-200 bg-white p-4 shadow-sm" data-testid="recent-judgments">
      <h2 className="mb-3 font-medium">{t("title")}</h2>
      {recent.isPending && <p className="text-sm text-slate-500">{t("loading")}</p>}
      {recent.error && <p className="text-sm text-red-700">{recent.error.message}</p>}
      {recent.data?.length === 0 && <p className="text-sm text-slate-500">{t("none")}</p>}
      {recent.data && recent.data.length > 0 && (
        <ul className="divide-y divide-slate-100">
          {recent.data.map((j) => (
            <li key={j.judgmentId} className="flex flex-wrap items-center gap-x-4 gap-y-1 py-2 text-sm" data-testid="recent-judgment">
              <span className="min-w-0 flex-1 basis-64 truncate text-slate-700" title={j.excerpt}>
                {j.excerpt || "(no prompt text)"}
              </span>
              <span className="text-slate-500">{j.project}</span>
              <span className="font-medium" data-testid="recent-answer">
                {describeAnswer(j.answer)}
                {j.revised && <span className="ml-1 text-xs font-normal text-slate-500">{t("revised")}</span>}
              </span>
              <time className="text-xs text-slate-500" dateTime={new Date(j.createdAt * 1000).toISOString()}>
                {format.dateTime(new Date(j.createdAt * 1000), { dateStyle: "medium", timeStyle: "short" })}
              </time>
              {j.revisableUntil !== null ? (
                <Link
                  href={`/annotate/${j.projectId}?revise=${j.judgmentId}`}
                  className="text-blue-700 underline"
                  aria-label={t("reviseLabel", { excerpt: j.excerpt.slice(0, 40) })}
                >
                  {t("revise")}
                </Link>
              ) : (
                <span className="text-xs text-slate-500">{t("final")}</span>
              )}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

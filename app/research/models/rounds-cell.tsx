"use client";
import { useFormatter, useTranslations } from "next-intl";
import type { ReactNode } from "react";
import type { ModelRounds } from "@/server/domain/training/model-rounds";

export type { ModelRounds };

/** Which rounds a model trained on (with the judgments used) and which rounds it helped generate. */
export function RoundsCell({ rounds, projectId, testId }: { rounds: ModelRounds | null; projectId: number | null; testId: string }) {
  const t = useTranslations("models.rounds");
  const format = useFormatter();
  if (!rounds) return <span data-testid={testId}>–</span>;
  const round = (r: { round: number; projectId?: number }) =>
    r.projectId !== undefined && r.projectId !== projectId
      ? t("roundInProject", { round: r.round, project: r.projectId })
      : t("round", { round: r.round });
  const label = (chunks: ReactNode) => <span className="text-slate-500">{chunks}</span>;
  const trained = rounds.trainedOn.map((r) => t("withJudgments", { round: round(r), count: r.judgments }));
  if (rounds.outsideRounds > 0) trained.push(t("imported", { count: rounds.outsideRounds }));
  return (
    <div className="space-y-0.5" data-testid={testId}>
      <div>
        {t.rich("trainedOn", { rounds: rounds.recorded ? format.list(trained) : t("notRecorded"), label })}
        {rounds.roundFilter && <span className="text-slate-500"> · {t("filter", { rounds: rounds.roundFilter.join(",") })}</span>}
      </div>
      {rounds.generated.length > 0 && (
        <div>
          {t.rich("generated", {
            rounds: format.list(
              rounds.generated.map((g) => t(g.role === "reward-model" ? "asRewardModel" : "asGenerator", { round: round(g) })),
            ),
            label,
          })}
        </div>
      )}
    </div>
  );
}

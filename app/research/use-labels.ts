/** Small translated labels the research pages share: a job's state and a remaining time. */
import { useTranslations } from "next-intl";

const STATES = ["queued", "running", "succeeded", "failed", "cancelled"] as const;

export function useResearchLabels() {
  const t = useTranslations("research.common");
  return {
    /** A job's state in the interface's language (an unknown state is shown as stored). */
    state: (state: string | null | undefined) =>
      state && (STATES as readonly string[]).includes(state) ? t(`state.${state as (typeof STATES)[number]}`) : (state ?? "–"),
    /** Seconds left as "3m 20s" / "3 分 20 秒"; "–" when unknown. */
    eta: (seconds: unknown) => {
      if (typeof seconds !== "number" || !Number.isFinite(seconds)) return "–";
      const s = Math.max(0, Math.round(seconds));
      return s >= 60 ? t("minutes", { m: Math.floor(s / 60), s: s % 60 }) : t("seconds", { s });
    },
  };
}

"use client";
import { useTranslations } from "next-intl";
import { ModelHtml } from "@/app/_components/model-html";
import type { ContentHtml } from "@/server/domain/model-text";

const ROLE_STYLE = {
  user: "bg-sky-50 border-sky-200",
  assistant: "bg-white border-slate-200",
  system: "bg-amber-50 border-amber-200",
} as const;

/** A prompt or response as the server rendered it: one text, or a chat transcript of messages. */
export function ContentView({ content }: { content: ContentHtml }) {
  const t = useTranslations("annotate.role");
  if (typeof content === "string") return <ModelHtml html={content} />;
  return (
    <ol className="space-y-3">
      {content.map((m, i) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: messages are a fixed transcript; order is identity
        <li key={i} className={`rounded-lg border p-3 ${ROLE_STYLE[m.role]}`}>
          <div className="mb-1 text-xs font-medium uppercase tracking-wide text-slate-600">{t(m.role)}</div>
          <ModelHtml html={m.html} />
        </li>
      ))}
    </ol>
  );
}

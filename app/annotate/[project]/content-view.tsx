"use client";
import { useTranslations } from "next-intl";
import { Markdown } from "@/app/_components/markdown";
import type { Content } from "@/db/schema";

const ROLE_STYLE = {
  user: "bg-sky-50 border-sky-200",
  assistant: "bg-white border-slate-200",
  system: "bg-amber-50 border-amber-200",
} as const;

/** A prompt or response: markdown text, or a chat transcript of markdown messages. */
export function ContentView({ content }: { content: Content }) {
  const t = useTranslations("annotate.role");
  if (typeof content === "string") return <Markdown text={content} />;
  return (
    <ol className="space-y-3">
      {content.map((m, i) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: messages are a fixed transcript; order is identity
        <li key={i} className={`rounded-lg border p-3 ${ROLE_STYLE[m.role]}`}>
          <div className="mb-1 text-xs font-medium uppercase tracking-wide text-slate-600">{t(m.role)}</div>
          <Markdown text={m.content} />
        </li>
      ))}
    </ol>
  );
}

"use client";
/**
 * Model text already rendered to safe HTML by server/domain/model-text.ts (on the server for the
 * annotate screen, in the browser by `Markdown` for text that streams in). Nothing else may be passed
 * here: the HTML is inserted as is.
 */
import { useTranslations } from "next-intl";

export function ModelHtml({ html }: { html: string }) {
  const t = useTranslations("annotate.ranking");
  if (html === "") return <p className="text-sm italic text-slate-500">{t("emptyResponse")}</p>;
  // biome-ignore lint/security/noDangerouslySetInnerHtml: produced by markdownToHtml (raw HTML escaped, links validated, images as text)
  return <div className="md" dangerouslySetInnerHTML={{ __html: html }} />;
}

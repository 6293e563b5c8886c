"use client";
/**
 * Markdown text rendered in the browser, for screens whose text arrives or changes there (live
 * conversations as they stream, the playground, explanations). Same renderer as the server's
 * (server/domain/model-text.ts); the annotate screen receives its items already rendered instead.
 */
import { useMemo } from "react";
import { markdownToHtml } from "@/server/domain/model-text";
import { ModelHtml } from "./model-html";

export function Markdown({ text }: { text: string }) {
  const html = useMemo(() => markdownToHtml(text), [text]);
  return <ModelHtml html={html} />;
}

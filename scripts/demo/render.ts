/** Text helpers: turning structured answer material into markdown, prose or plain text. */
import type { CodeBlock, Explain, Section, Style, Table } from "./types";

export function fence(block: CodeBlock): string {
  return `\`\`\`${block.lang}\n${block.src.replace(/^\n+|\s+$/g, "")}\n\`\`\``;
}

export function renderTable(t: Table): string {
  const row = (cells: string[]) => `| ${cells.join(" | ")} |`;
  return [row(t.headers), row(t.headers.map(() => "---")), ...t.rows.map(row)].join("\n");
}

export function ensurePeriod(s: string): string {
  const t = s.trim();
  return /[.!?:)"'`]$/.test(t) ? t : `${t}.`;
}

export function stripInlineMarkdown(s: string): string {
  return s
    .replace(/\*\*(.+?)\*\*/g, "$1")
    .replace(/(^|[^*])\*(?!\s)(.+?)\*/g, "$1$2")
    .replace(/`([^`]+)`/g, "$1")
    .replace(/^#+\s*/gm, "");
}

export function wordCount(s: string): number {
  const t = s.trim();
  return t === "" ? 0 : t.split(/\s+/).length;
}

/** Sentence split for prose (not for code). */
export function sentences(text: string): string[] {
  return text
    .trim()
    .split(/(?<=[.!?])\s+(?=[A-Z"'(`*])/)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

export function firstSentence(text: string): string {
  const fenceAt = text.indexOf("```");
  const prose = fenceAt >= 0 ? text.slice(0, fenceAt) : text;
  return sentences(prose)[0] ?? prose.trim();
}

export function firstParagraph(text: string): string {
  return text.trim().split(/\n\s*\n/)[0] ?? text.trim();
}

export function bulletsAsProse(bullets: readonly string[]): string {
  return bullets.map((b) => ensurePeriod(b.replace(/^\*\*(.+?)\*\*:?\s*/, "$1: "))).join(" ");
}

export function bulletList(bullets: readonly string[], boldLead = false): string {
  return bullets
    .map((b) => {
      if (!boldLead || b.startsWith("**")) return `- ${b}`;
      const colon = b.indexOf(":");
      return colon > 0 && colon < 45 ? `- **${b.slice(0, colon)}:**${b.slice(colon + 1)}` : `- ${b}`;
    })
    .join("\n");
}

export function applyErrors(text: string, errors: ReadonlyArray<readonly [string, string]>): { text: string; applied: number } {
  let out = text;
  let applied = 0;
  for (const [from, to] of errors) {
    if (out.includes(from)) {
      out = out.split(from).join(to);
      applied++;
    }
  }
  return { text: out, applied };
}

function sectionProse(s: Section, plain: boolean): string {
  const parts = [s.body];
  if (s.bullets?.length) parts.push(bulletsAsProse(s.bullets));
  const prose = parts.join(" ");
  const text = plain ? stripInlineMarkdown(prose) : prose;
  return s.code && !plain ? `${text}\n\n${fence(s.code)}` : text;
}

function sectionMarkdown(s: Section, headingLevel: string): string {
  const parts = [`${headingLevel} ${s.title}`, s.body];
  if (s.bullets?.length) parts.push(bulletList(s.bullets, true));
  if (s.code) parts.push(fence(s.code));
  return parts.join("\n\n");
}

/** The careful rendering that follows the requested style exactly (what the strong model writes). */
export function renderExplain(e: Explain, style: Style): string {
  switch (style) {
    case "short":
      return e.short;
    case "markdown": {
      const lead = e.short.includes("```") ? [] : [`**Short answer:** ${e.short}`];
      const parts = [...lead, e.intro, ...e.sections.map((s) => sectionMarkdown(s, "###"))];
      if (e.table) parts.push(renderTable(e.table));
      if (e.outro) parts.push(e.outro);
      return parts.join("\n\n");
    }
    case "long": {
      // Answer first, then the explanation.
      const lead = e.short.includes("```") ? [] : [e.short];
      return [...lead, e.intro, ...e.sections.map((s) => sectionProse(s, false)), ...(e.outro ? [e.outro] : [])].join("\n\n");
    }
    case "plain": {
      const lead = e.short.includes("```") ? [] : [e.short];
      return [...lead, e.intro, ...e.sections.map((s) => sectionProse(s, true)), ...(e.outro ? [e.outro] : [])]
        .map(stripInlineMarkdown)
        .join("\n\n");
    }
  }
}

export { sectionMarkdown, sectionProse };

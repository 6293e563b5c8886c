/**
 * Model text (and admin-written instructions and explanations) as safe HTML: one renderer for the
 * server, which sends the annotate screen its items already rendered (so that page ships no markdown
 * parser and parses nothing on the way to the next item), and for the client screens that render text
 * as it streams in. markdown-it: CommonMark plus tables, strikethrough and bare links; several times
 * faster than the remark/micromark stack it replaces (docs/performance.md).
 *
 * - Raw HTML is never passed through (`html: false`): `<script>` shows as the characters `<script>`.
 *   Link targets are validated by markdown-it (no javascript:, vbscript:, file: or data: links).
 * - A single newline is a line break, as in every chat UI: "5x + 3y = 61\n5x − 2y = 26" and poems keep
 *   their lines, which changes what annotators judge. Code blocks keep theirs anyway.
 * - Images are never loaded: `![x](/api/…)` would make the reader's browser request a URL of the model's
 *   choosing, with the reader's cookies. An image shows as its alt text.
 * - Code blocks and tables scroll inside their box and take focus, so keyboard users can scroll them too
 *   (axe's scrollable-region-focusable, WCAG 2.1.1).
 */
import MarkdownIt from "markdown-it";
import type { Content } from "@/db/schema";

const md = new MarkdownIt({ html: false, linkify: true, breaks: true, typographer: false });

md.renderer.rules.image = (tokens, idx, options, env, self) => {
  const alt = self.renderInlineAsText(tokens[idx]?.children ?? [], options, env);
  return `<span class="text-slate-500">[image${alt ? `: ${md.utils.escapeHtml(alt)}` : ""}]</span>`;
};
for (const rule of ["fence", "code_block"] as const) {
  const base = md.renderer.rules[rule];
  if (!base) throw new Error(`markdown-it has no ${rule} renderer`);
  md.renderer.rules[rule] = (...args) => base(...args).replace(/^<pre>/, '<pre tabindex="0">');
}
md.renderer.rules.table_open = (tokens, idx, options, _env, self) => {
  tokens[idx]?.attrSet("tabindex", "0");
  return self.renderToken(tokens, idx, options);
};

/** Safe HTML for one markdown text (an empty string for blank text: callers say "(empty response)"). */
export function markdownToHtml(text: string): string {
  if (text.trim() === "") return "";
  return md.render(text);
}

// Items are shown to several annotators (overlap) and again on reload, undo and revision: keep recent
// renderings instead of parsing the same text on every lease. Bounded by total characters held.
const CACHE_CHARS = 8_000_000;
const cache = new Map<string, string>();
let cachedChars = 0;

/** markdownToHtml with a bounded cache (server side: the same texts are served many times). */
export function renderMarkdown(text: string): string {
  const hit = cache.get(text);
  if (hit !== undefined) {
    cache.delete(text); // re-insert: Map order is recency
    cache.set(text, hit);
    return hit;
  }
  const html = markdownToHtml(text);
  cache.set(text, html);
  cachedChars += text.length + html.length;
  for (const [k, v] of cache) {
    if (cachedChars <= CACHE_CHARS) break;
    cache.delete(k);
    cachedChars -= k.length + v.length;
  }
  return html;
}

/** A prompt or response rendered: one HTML string, or one per chat message (role kept, text replaced). */
export type ContentHtml = string | { role: "system" | "user" | "assistant"; html: string }[];

export function renderContent(content: Content): ContentHtml {
  if (typeof content === "string") return renderMarkdown(content);
  return content.map((m) => ({ role: m.role, html: renderMarkdown(m.content) }));
}

/** An annotator item with its prompt and responses also rendered (raw text stays for excerpts and rewrites). */
export function withHtml<T extends { prompt: Content; responses: { content: Content }[] }>(
  item: T,
): Omit<T, "responses"> & { promptHtml: ContentHtml; responses: (T["responses"][number] & { html: ContentHtml })[] } {
  return {
    ...item,
    promptHtml: renderContent(item.prompt),
    responses: item.responses.map((r) => ({ ...r, html: renderContent(r.content) })),
  };
}

/** A lease as the annotate screen receives it: the item with its text rendered. */
export function renderLease<I extends { prompt: Content; responses: { content: Content }[] }>(
  lease: { status: "item"; item: I } | { status: "empty" },
) {
  return lease.status === "item" ? { status: "item" as const, item: withHtml(lease.item) } : lease;
}

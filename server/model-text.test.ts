/**
 * Model text rendered as the annotate screen renders it (app/_components/markdown.tsx): it must not
 * make the reader's browser request anything, same-origin URLs included (security round 2).
 */
import { createElement } from "react";
import { renderToStaticMarkup } from "react-dom/server";
import { describe, expect, it } from "vitest";
import { Markdown } from "@/app/_components/markdown";

const render = (text: string) => renderToStaticMarkup(createElement(Markdown, { text }));

describe("model text in markdown", () => {
  it("loads no image, whatever the URL: an image shows as its alt text", () => {
    for (const text of [
      "![i](/api/trpc/annotate.next?input=%7B%22projectId%22%3A1%7D)",
      "![pixel](https://tracker.example/p.gif)",
      '![x](/api/exports/1 "title")',
      "[![badge](/api/health)](https://example.org)",
      "![data](data:image/png;base64,iVBORw0KGgo=)",
      '<img src="/api/health">',
    ]) {
      const html = render(text);
      expect(html, text).not.toMatch(/<img/i);
      expect(html, text).not.toMatch(/<[^>]+\ssrc=/i);
      expect(html, text).not.toMatch(/rel="preload"/i);
    }
    expect(render("![a chart](/x.png)")).toContain("[image: a chart]");
  });

  it("still renders ordinary markdown and shows raw HTML as text", () => {
    const html = render("**bold** and `code`\n\n<script>alert(1)</script>");
    expect(html).toContain("<strong>bold</strong>");
    expect(html).toContain("&lt;script&gt;");
  });
});

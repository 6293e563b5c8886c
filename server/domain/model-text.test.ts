/**
 * Model text as the annotate screen shows it (rendered on the server, inserted as HTML): nothing in it
 * may run, load or link anywhere dangerous, and it must read as written.
 */
import { describe, expect, it } from "vitest";
import { markdownToHtml, renderContent, renderLease, renderMarkdown, withHtml } from "./model-text";

describe("model text in markdown", () => {
  it("loads no image, whatever the URL: an image shows as its alt text", () => {
    for (const text of [
      "![i](/api/trpc/annotate.next?input=%7B%22projectId%22%3A1%7D)",
      "![pixel](https://tracker.example/p.gif)",
      '![x](/api/exports/1 "title")',
      "[![badge](/api/health)](https://example.org)",
      "![data](data:image/png;base64,iVBORw0KGgo=)",
      '<img src="/api/health">',
      "<picture><source srcset=/x></picture>",
    ]) {
      const html = markdownToHtml(text);
      expect(html, text).not.toMatch(/<img|<picture|<source/i);
      expect(html, text).not.toMatch(/<[^>]+\s(src|srcset)=/i);
    }
    expect(markdownToHtml("![a chart](/x.png)")).toContain("[image: a chart]");
    expect(markdownToHtml("![a <b>bold</b> alt](/x.png)")).toContain("[image: a &lt;b&gt;bold&lt;/b&gt; alt]");
  });

  it("shows raw HTML as text and runs nothing", () => {
    for (const text of [
      "<script>alert(1)</script>",
      "before <script>alert(1)</script> after",
      '<a href="javascript:alert(1)">x</a>',
      "<div onmouseover=alert(1)>hover</div>",
      "<iframe src=//evil.example></iframe>",
      '<svg onload="alert(1)">',
      "<style>body{display:none}</style>",
    ]) {
      const html = markdownToHtml(text);
      expect(html, text).not.toMatch(/<(script|iframe|svg|style|div)\b/i);
      expect(html, text).not.toMatch(/<[^>]+\son\w+=/i);
      expect(html, text).toContain("&lt;");
    }
  });

  it("links only to safe schemes", () => {
    for (const text of [
      "[x](javascript:alert(1))",
      "[x](JAVASCRIPT:alert(1))",
      "[x](vbscript:msgbox)",
      "[x](data:text/html,<script>)",
      "<javascript:alert(1)>",
    ]) {
      expect(markdownToHtml(text), text).not.toMatch(/href="(javascript|vbscript|data):/i);
    }
    expect(markdownToHtml("[docs](https://example.org/a?b=1&c=2)")).toContain('<a href="https://example.org/a?b=1&amp;c=2">docs</a>');
    expect(markdownToHtml("see https://example.org")).toContain('<a href="https://example.org">https://example.org</a>');
  });

  it("keeps text as written: single newlines break lines, code keeps its lines and scrolls by keyboard", () => {
    expect(markdownToHtml("Solve the system:\n5x + 3y = 61\n5x − 2y = 26")).toBe(
      "<p>Solve the system:<br>\n5x + 3y = 61<br>\n5x − 2y = 26</p>\n",
    );
    const code = markdownToHtml("```python\ndef f(x):\n    return x\n```");
    expect(code).toBe('<pre tabindex="0"><code class="language-python">def f(x):\n    return x\n</code></pre>\n');
    expect(markdownToHtml("    indented\n    code")).toMatch(/^<pre tabindex="0"><code>indented\ncode\n<\/code><\/pre>/);
    expect(markdownToHtml("| a | b |\n|---|---|\n| 1 | 2 |")).toMatch(/^<table tabindex="0">[\s\S]*<td>2<\/td>/);
    expect(markdownToHtml("**bold**, `code`, ~~gone~~")).toBe("<p><strong>bold</strong>, <code>code</code>, <s>gone</s></p>\n");
  });

  it("blank text renders to nothing (the screen says it is empty)", () => {
    expect(markdownToHtml("")).toBe("");
    expect(markdownToHtml("  \n\t")).toBe("");
  });

  it("renders chat transcripts per message and items without dropping the raw text", () => {
    expect(renderContent([{ role: "user", content: "hi\nthere" }])).toEqual([{ role: "user", html: "<p>hi<br>\nthere</p>\n" }]);
    const item = {
      assignmentId: 1,
      deadline: 5,
      prompt: "*p*",
      responses: [
        { position: 0, content: "a" },
        { position: 1, content: "" },
      ],
    };
    expect(withHtml(item)).toEqual({
      ...item,
      promptHtml: "<p><em>p</em></p>\n",
      responses: [
        { position: 0, content: "a", html: "<p>a</p>\n" },
        { position: 1, content: "", html: "" },
      ],
    });
    expect(renderLease({ status: "empty" })).toEqual({ status: "empty" });
    expect(renderLease({ status: "item", item })).toEqual({ status: "item", item: withHtml(item) });
  });

  it("the server's cache returns the same rendering as a fresh one", () => {
    const text = `cached ${Math.random()}\nline`;
    expect(renderMarkdown(text)).toBe(markdownToHtml(text));
    expect(renderMarkdown(text)).toBe(markdownToHtml(text));
  });
});

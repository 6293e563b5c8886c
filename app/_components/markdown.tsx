"use client";
/**
 * Model text as sanitized markdown. Raw HTML in the text is turned into plain text before
 * rendering (so `<script>` shows as the characters `<script>`), and rehype-sanitize strips anything
 * dangerous that markdown itself could produce (javascript: links and the like). A single newline
 * is a line break, as in every chat UI: "5x + 3y = 61\n5x − 2y = 26" and poems keep their lines,
 * which changes what annotators judge. Code blocks keep theirs anyway and scroll inside their box.
 */
import type { Break, Html, Root, Text } from "mdast";
import ReactMarkdown, { type Components } from "react-markdown";
import rehypeSanitize from "rehype-sanitize";
import remarkGfm from "remark-gfm";
import { visit } from "unist-util-visit";

function remarkHtmlAsText() {
  return (tree: Root) => {
    visit(tree, "html", (node: Html, index, parent) => {
      if (!parent || index === undefined) return;
      const text: Text = { type: "text", value: node.value, position: node.position };
      parent.children.splice(index, 1, text);
    });
  };
}

/** Every newline inside a paragraph's text becomes a hard break (what remark-breaks does). */
function remarkNewlineBreaks() {
  return (tree: Root) => {
    visit(tree, "text", (node: Text, index, parent) => {
      if (!parent || index === undefined || !/\r?\n/.test(node.value)) return;
      const parts = node.value.split(/\r?\n/);
      const nodes: (Text | Break)[] = [];
      parts.forEach((value, i) => {
        if (i > 0) nodes.push({ type: "break" });
        if (value !== "") nodes.push({ type: "text", value });
      });
      parent.children.splice(index, 1, ...nodes);
      return index + nodes.length;
    });
  };
}

/**
 * Images in model text are never loaded: `![x](/api/…)` would make the reader's browser request a URL
 * of the model's choosing, with the reader's cookies. An image shows as its alt text.
 */
function ImageAsText({ alt }: { alt?: string }) {
  return <span className="text-slate-500">[image{alt ? `: ${alt}` : ""}]</span>;
}

// Boxes that scroll sideways take focus, so keyboard users can scroll them too (axe's
// scrollable-region-focusable, WCAG 2.1.1).
const COMPONENTS: Components = {
  img: ({ alt }) => <ImageAsText alt={alt} />,
  // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrolling code block must be reachable by keyboard
  pre: ({ node: _node, ...props }) => <pre tabIndex={0} {...props} />,
  // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrolling table must be reachable by keyboard
  table: ({ node: _node, ...props }) => <table tabIndex={0} {...props} />,
};

export function Markdown({ text }: { text: string }) {
  if (text.trim() === "") return <p className="text-sm italic text-slate-400">(empty response)</p>;
  return (
    <div className="md">
      <ReactMarkdown
        remarkPlugins={[remarkGfm, remarkHtmlAsText, remarkNewlineBreaks]}
        rehypePlugins={[rehypeSanitize]}
        components={COMPONENTS}
      >
        {text}
      </ReactMarkdown>
    </div>
  );
}

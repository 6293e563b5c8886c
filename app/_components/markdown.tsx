"use client";
/**
 * Model text as sanitized markdown. Raw HTML in the text is turned into plain text before
 * rendering (so `<script>` shows as the characters `<script>`), and rehype-sanitize strips anything
 * dangerous that markdown itself could produce (javascript: links and the like).
 */
import type { Html, Root, Text } from "mdast";
import ReactMarkdown from "react-markdown";
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

export function Markdown({ text }: { text: string }) {
  if (text.trim() === "") return <p className="text-sm italic text-slate-400">(empty response)</p>;
  return (
    <div className="md">
      <ReactMarkdown remarkPlugins={[remarkGfm, remarkHtmlAsText]} rehypePlugins={[rehypeSanitize]}>
        {text}
      </ReactMarkdown>
    </div>
  );
}

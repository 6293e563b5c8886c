/** Every prompt template, across all categories. */
import type { Template } from "../types";
import { adviceTemplates } from "./advice";
import { chatTemplates } from "./chat";
import { codingTemplates } from "./coding";
import { dataMlTemplates } from "./data-ml";
import { factualTemplates } from "./factual";
import { mathTemplates, reasoningTemplates } from "./math";
import { multilingualTemplates } from "./multilingual";
import { safetyTemplates } from "./safety";
import { summarizationTemplates } from "./summarization";
import { writingTemplates } from "./writing";

export const ALL_TEMPLATES: readonly Template[] = [
  ...codingTemplates,
  ...mathTemplates,
  ...reasoningTemplates,
  ...writingTemplates,
  ...summarizationTemplates,
  ...factualTemplates,
  ...adviceTemplates,
  ...dataMlTemplates,
  ...safetyTemplates,
  ...multilingualTemplates,
  ...chatTemplates,
];

export function templateByKey(key: string): Template {
  const t = ALL_TEMPLATES.find((x) => x.key === key);
  if (!t) throw new Error(`unknown demo template: ${key}`);
  return t;
}

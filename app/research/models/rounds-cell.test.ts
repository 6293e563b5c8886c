import { NextIntlClientProvider } from "next-intl";
import { createElement } from "react";
import { renderToStaticMarkup } from "react-dom/server";
import { describe, expect, it } from "vitest";
import { loadMessages } from "@/i18n/messages";
import { type ModelRounds, RoundsCell } from "./rounds-cell";

async function render(locale: "en" | "zh-CN", rounds: ModelRounds | null, projectId = 1) {
  const messages = await loadMessages(locale);
  const children = createElement(RoundsCell, { rounds, projectId, testId: "r" });
  const html = renderToStaticMarkup(createElement(NextIntlClientProvider, { locale, messages, timeZone: "UTC", children }));
  return html.replace(/<[^>]+>/g, "");
}

const rounds: ModelRounds = {
  roundFilter: [1, 3],
  trainedOn: [
    { round: 1, judgments: 1 },
    { round: 3, judgments: 12 },
  ],
  outsideRounds: 5,
  recorded: true,
  generated: [
    { projectId: 1, round: 4, role: "reward-model" },
    { projectId: 2, round: 1, role: "generator" },
  ],
};

describe("RoundsCell", () => {
  it("says which rounds a model trained on and generated, in English", async () => {
    expect(await render("en", rounds)).toBe(
      "trained on: round 1 (1 judgment), round 3 (12 judgments), and 5 judgments on imported items · --round 1,3" +
        "generated: round 4 as reward model and round 1 of project #2 as generator",
    );
  });

  it("says it in Simplified Chinese", async () => {
    expect(await render("zh-CN", rounds)).toBe(
      "训练数据：第 1 轮（1 条判断）、第 3 轮（12 条判断）和导入条目上的 5 条判断 · --round 1,3" +
        "参与生成：第 4 轮（作为奖励模型）和项目 #2 的第 1 轮（作为生成器）",
    );
  });

  it("says when a job recorded no split, and shows a dash without rounds data", async () => {
    const none: ModelRounds = { roundFilter: null, trainedOn: [], outsideRounds: 0, recorded: false, generated: [] };
    expect(await render("en", none)).toBe("trained on: not recorded (trained before splits were recorded)");
    expect(await render("en", null)).toBe("–");
  });
});

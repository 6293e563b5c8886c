import { describe, expect, it } from "vitest";
import { negotiateLocale, resolveLocale } from "./locale";

describe("negotiateLocale", () => {
  it("defaults to English without a header or a supported language", () => {
    expect(negotiateLocale(undefined)).toBe("en");
    expect(negotiateLocale("")).toBe("en");
    expect(negotiateLocale("fr-FR,de;q=0.8")).toBe("en");
  });
  it("maps any Chinese to Simplified Chinese", () => {
    expect(negotiateLocale("zh-CN,zh;q=0.9")).toBe("zh-CN");
    expect(negotiateLocale("zh-TW")).toBe("zh-CN");
    expect(negotiateLocale("zh")).toBe("zh-CN");
  });
  it("honours q-values and header order", () => {
    expect(negotiateLocale("en;q=0.5,zh-CN;q=0.9")).toBe("zh-CN");
    expect(negotiateLocale("fr,en-US;q=0.9,zh;q=0.8")).toBe("en");
    expect(negotiateLocale("zh;q=0,en;q=0.1")).toBe("en");
  });
});

describe("resolveLocale", () => {
  it("prefers a valid cookie choice over the browser", () => {
    expect(resolveLocale("en", "zh-CN")).toBe("en");
    expect(resolveLocale("zh-CN", "en-US")).toBe("zh-CN");
  });
  it("ignores an unknown cookie value", () => {
    expect(resolveLocale("xx", "zh-CN")).toBe("zh-CN");
  });
});

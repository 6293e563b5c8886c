/**
 * bench:annotate, browser part — what an annotator feels: in Chromium (Playwright, Debian's
 * chromium) on the production build, N keyboard judgments in a row, each timed from the Enter
 * keydown to the next item painted (the item's assignment changed in the DOM, then two animation
 * frames: the frame that shows it has been drawn), plus the annotate page's first-load JavaScript
 * (every script the page loads, gzip-compressed as a server would send it).
 */
import zlib from "node:zlib";
import { chromium } from "@playwright/test";
import { openDb } from "@/server/db";
import { createUser } from "@/server/domain/users";
import { freshCopy, log, startServer, stop } from "./harness";

export type BrowserResult = { judgments: number; p50: number; p95: number; max: number; firstLoadJsKbGzip: number; scripts: number };

const EMAIL = "browser-bench@bench.local";
const PASSWORD = "keyboard-timing-pass-2026";

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

export async function benchBrowser(projectId: number, judgments = 50, port = 3413): Promise<BrowserResult> {
  const file = freshCopy("browser");
  const db = openDb(file);
  await createUser(db, { email: EMAIL, password: PASSWORD, role: "annotator" });
  db.$client.close();
  const server = await startServer("server/main.ts", file, port);
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    const base = `http://localhost:${port}`;
    await page.goto(`${base}/login?callbackUrl=${encodeURIComponent(`/annotate/${projectId}`)}`);
    await page.getByTestId("login-email").fill(EMAIL);
    await page.getByTestId("login-password").fill(PASSWORD);
    await page.getByTestId("login-submit").click();
    await page.waitForURL(`**/annotate/${projectId}`);
    await page.getByTestId("item").waitFor();

    // First-load JS of the annotate page: a fresh context (empty cache), every script response.
    const context = await browser.newContext({ storageState: await page.context().storageState() });
    const fresh = await context.newPage();
    const scripts: Promise<number>[] = [];
    fresh.on("response", (r) => {
      if (r.request().resourceType() === "script")
        scripts.push(
          r.body().then(
            (b) => zlib.gzipSync(b, { level: 9 }).length,
            () => 0,
          ),
        );
    });
    await fresh.goto(`${base}/annotate/${projectId}`, { waitUntil: "networkidle" });
    const sizes = await Promise.all(scripts);
    const firstLoadJsKbGzip = sizes.reduce((a, b) => a + b, 0) / 1024;
    await context.close();

    log(`browser: ${judgments} keyboard judgments, Enter → next item painted…`);
    const times: number[] = [];
    for (let i = 0; i < judgments; i++) {
      const item = page.getByTestId("item");
      await item.waitFor();
      const before = await item.getAttribute("data-assignment");
      const ranked = (await page.getByTestId("response-C").count()) > 0;
      // Armed in the page before the key: the Enter keydown's timestamp, then two frames after the new item.
      await page.evaluate((previous) => {
        const w = window as unknown as { __painted?: Promise<number> };
        w.__painted = new Promise<number>((resolve) => {
          let start = 0;
          window.addEventListener(
            "keydown",
            (e) => {
              if (e.key === "Enter") start = e.timeStamp;
            },
            { capture: true },
          );
          const observer = new MutationObserver(() => {
            const el = document.querySelector('[data-testid="item"]');
            if (el && el.getAttribute("data-assignment") !== previous) {
              observer.disconnect();
              requestAnimationFrame(() => requestAnimationFrame(() => resolve(performance.now() - start)));
            }
          });
          observer.observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ["data-assignment"] });
        });
      }, before);
      if (ranked) {
        // K > 2: move C to the top (a touched ranking submits without the "left as shown?" question).
        await page.keyboard.press("c");
        await page.keyboard.press("ArrowUp");
      } else await page.keyboard.press("1");
      await page.keyboard.press("Enter");
      times.push(await page.evaluate(() => (window as unknown as { __painted: Promise<number> }).__painted));
    }
    times.sort((a, b) => a - b);
    return {
      judgments: times.length,
      p50: percentile(times, 50),
      p95: percentile(times, 95),
      max: times[times.length - 1] ?? Number.NaN,
      firstLoadJsKbGzip,
      scripts: sizes.length,
    };
  } finally {
    await browser.close();
    await stop(server);
  }
}

/**
 * What the browser benches share: Chromium and the playground server started once, fresh pages of
 * the test page (`tests/browser/webgpu.entry.ts`, served from http://127.0.0.1), the render loop
 * run in a page, and the median. Not a bench itself.
 */
import type { Page } from 'playwright-core';
import { startServer } from '../scripts/serve';
import { HAS_CHROMIUM, NO_CHROMIUM_MESSAGE, launchChromium } from '../tests/browser/chromium';
import type { RenderRequest, RenderResult } from '../tests/browser/webgpu.entry';

/** Median (mean of the middle two for an even count). */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** Opens a fresh page of the test page and waits until it is ready. */
export type OpenPage = () => Promise<Page>;

/**
 * Runs `body` with Chromium (extra `chromiumArgs`) and the server, closing both afterwards; prints
 * a skip line when /usr/bin/chromium is missing, and sets a failing exit code on errors.
 */
export function runBrowserBench(chromiumArgs: string[], body: (openPage: OpenPage) => Promise<void>): void {
  const main = async (): Promise<void> => {
    if (!HAS_CHROMIUM) {
      console.log(`skipped: ${NO_CHROMIUM_MESSAGE}`);
      return;
    }
    const [server, browser] = await Promise.all([startServer({ testEntries: true, defaultModel: false }), launchChromium(chromiumArgs)]);
    try {
      await body(async () => {
        const page = await browser.context.newPage();
        await page.goto(`${server.url}test/webgpu.html`);
        await page.waitForFunction(() => (window as unknown as { __ready?: boolean }).__ready === true, null, { timeout: 30_000 });
        return page;
      });
    } finally {
      await browser.close();
      await server.close();
    }
  };
  main().catch((e: unknown) => {
    console.error(e);
    process.exitCode = 1;
  });
}

/** The library's render loop in the page (`renderSteps` of the test page). */
export function renderSteps(page: Page, req: RenderRequest): Promise<RenderResult> {
  return page.evaluate((q) => (window as unknown as { __webgpu: { renderSteps(q: RenderRequest): Promise<RenderResult> } }).__webgpu.renderSteps(q), req);
}

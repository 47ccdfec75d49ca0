import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { startServer, type PlaygroundServer } from '../../scripts/serve';
import { HAS_CHROMIUM, IN_CI, NO_CHROMIUM_MESSAGE, launchChromium, type Chromium } from './chromium';
import type { GradcheckRequest, GradcheckResult } from './gradcheck.entry';

if (!HAS_CHROMIUM && !IN_CI) console.warn(`[skip] tests/browser/gradcheck.test.ts: ${NO_CHROMIUM_MESSAGE}`);

describe.skipIf(!HAS_CHROMIUM && !IN_CI)('webgl gradients in Chromium agree with cpu', () => {
  let server: PlaygroundServer | undefined;
  let browser: Chromium | undefined;
  let page: Page;

  beforeAll(async () => {
    if (!HAS_CHROMIUM) throw new Error(NO_CHROMIUM_MESSAGE);
    server = await startServer({ testEntries: true });
    browser = await launchChromium();
    page = await browser.context.newPage();
    await page.goto(`${server.url}test/gradcheck.html`);
    await page.waitForFunction(() => (window as unknown as { __ready?: boolean }).__ready === true, null, { timeout: 30_000 });
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('layers fixture: input gradients of every kind of layer match cpu to 1e-3 (relative)', async () => {
    const req: GradcheckRequest = { backend: 'webgl', layers: ['pool1', 'sep3', 'logits'], size: 32, seed: 3 };
    const res = await page.evaluate((r) => (window as unknown as { __gradcheck(r: GradcheckRequest): Promise<GradcheckResult[]> }).__gradcheck(r), req);
    console.log(res);
    expect(res.map((r) => r.layer)).toEqual(req.layers);
    for (const r of res) {
      expect(r.backendUsed).toBe('webgl');
      expect(r.finite, r.layer).toBe(true);
      expect(r.maxAbsRef, `${r.layer}: reference gradient is zero`).toBeGreaterThan(0);
      expect(r.maxAbsDiff / r.maxAbsRef, r.layer).toBeLessThan(1e-3);
    }
  });
});

/**
 * The playground's layer view in Debian's Chromium: pick the fixture model's files, render four
 * channels of a layer in batches of two on wasm; the grid fills with one non-flat canvas per
 * channel, captioned with the channel and its objective value. Skipped with a message without
 * Chromium (a failure in CI).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type PlaygroundServer } from '../../scripts/serve';
import { pickedModelFiles } from '../fixtures/pickedFiles';
import { HAS_CHROMIUM, IN_CI, NO_CHROMIUM_MESSAGE, launchChromium, type Chromium } from '../browser/chromium';

if (!HAS_CHROMIUM && !IN_CI) console.warn(`[skip] tests/gallery/playground.test.ts: ${NO_CHROMIUM_MESSAGE}`);

describe.runIf(HAS_CHROMIUM || IN_CI)('playground layer view (Chromium, wasm)', () => {
  let server: PlaygroundServer | undefined;
  let browser: Chromium | undefined;
  beforeAll(async () => {
    if (!HAS_CHROMIUM) throw new Error(NO_CHROMIUM_MESSAGE);
    [server, browser] = await Promise.all([startServer({ defaultModel: false }), launchChromium()]);
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('fills a grid with one rendered channel per tile', async () => {
    const page = await browser!.context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${server!.url}?backend=wasm`);
    await page.waitForFunction(() => document.body.dataset.state === 'idle', undefined, { timeout: 60_000 });
    await page.selectOption('#range', '-1,1');
    await page.setInputFiles('#files', await pickedModelFiles(1));
    await page.waitForFunction(() => document.body.dataset.state === 'ready', undefined, { timeout: 60_000 });
    await page.selectOption('#layer', 'conv4_relu');
    await page.fill('#size', '32');
    await page.fill('#steps', '3');
    await page.fill('#layer-channels', '0-3');
    await page.fill('#layer-batch', '2');
    await page.click('#render-layer');
    await page.waitForFunction(() => ['done', 'error'].includes(document.body.dataset.state ?? ''), undefined, { timeout: 120_000 });
    expect(await page.evaluate(() => document.body.dataset.state), await page.textContent('#error') ?? '').toBe('done');
    const tiles = await page.$$eval('#layer-grid figure', (figs) =>
      figs.map((f) => {
        const c = f.querySelector('canvas') as HTMLCanvasElement;
        const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
        const v: number[] = [];
        for (let i = 0; i < d.length; i += 4) v.push(d[i], d[i + 1], d[i + 2]);
        const mean = v.reduce((a, b) => a + b, 0) / v.length;
        const std = Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / v.length);
        return { channel: f.dataset.channel, done: f.dataset.done, caption: f.querySelector('figcaption')!.textContent, size: c.width, std };
      }),
    );
    expect(tiles.map((t) => t.channel)).toEqual(['0', '1', '2', '3']);
    for (const t of tiles) {
      expect(t.done).toBe('true');
      expect(t.caption).toMatch(new RegExp(`^${t.channel} · -?\\d`));
      expect(t.size).toBe(32);
      expect(t.std, `channel ${t.channel} is flat`).toBeGreaterThan(1);
    }
    expect(await page.textContent('#readout')).toMatch(/^4\/4 channels {2}\d+\.\d channels\/min {2}wasm$/);
    const shot = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'optvis-gallery-pg-')), 'layer-view.png');
    await page.screenshot({ path: shot, fullPage: true });
    console.log(`layer view screenshot: ${shot}`);
    expect(errors).toEqual([]);
    await page.close();
  });
});

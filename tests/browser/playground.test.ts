/**
 * End-to-end: the playground page in Debian's Chromium (headless, WebGL through SwiftShader),
 * driven through its UI with playwright-core. One server and one browser for the whole file.
 *
 * - webgl: the user picks the fixture model's files, renders a few steps; the canvas changes and is
 *   not flat;
 * - wasm: the default model served by the dev server, same checks, plus a screenshot;
 * - Stop ends a long render; bad files give a clear error;
 * - a test-only page compares input gradients on webgl with cpu in the same page.
 *
 * Without /usr/bin/chromium the file is skipped with a message, except in CI (CI=true) where it fails.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { ROOT, startServer, type PlaygroundServer } from '../../scripts/serve';
import { makeTestGraphModelArtifacts } from '../fixtures/models';
import { pickedModelFiles } from '../fixtures/pickedFiles';
import { HAS_CHROMIUM, IN_CI, NO_CHROMIUM_MESSAGE, launchChromium, type Chromium } from './chromium';
import { recordSkip } from '../helpers/skips';
import type { AvgPoolGradcheckResult, GradcheckRequest, GradcheckResult } from './gradcheck.entry';

const ARTIFACTS = path.join(ROOT, 'test-artifacts');

if (!HAS_CHROMIUM && !IN_CI) recordSkip('tests/browser/playground.test.ts (Chromium)', NO_CHROMIUM_MESSAGE);

/** The GraphModel fixture's artifacts with base64 weights, to pass into the page. */
function graphArtifacts(seed: number): NonNullable<GradcheckRequest['graph']> {
  const a = makeTestGraphModelArtifacts(seed);
  return {
    modelTopology: a.modelTopology,
    weightSpecs: a.weightSpecs ?? [],
    weightData: Buffer.from(a.weightData as ArrayBuffer).toString('base64'),
  };
}

/** Canvas pixels (RGBA bytes) and their spread. */
interface CanvasShot {
  width: number;
  height: number;
  data: number[];
  std: number;
}

async function readCanvas(page: Page): Promise<CanvasShot> {
  return page.evaluate(() => {
    const c = document.getElementById('canvas') as HTMLCanvasElement;
    const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
    const rgb: number[] = [];
    for (let i = 0; i < d.length; i += 4) rgb.push(d[i], d[i + 1], d[i + 2]);
    const mean = rgb.reduce((a, b) => a + b, 0) / rgb.length;
    const std = Math.sqrt(rgb.reduce((a, b) => a + (b - mean) ** 2, 0) / rgb.length);
    return { width: c.width, height: c.height, data: Array.from(d), std };
  });
}

const state = (page: Page): Promise<string | undefined> => page.evaluate(() => document.body.dataset.state);

async function waitForState(page: Page, states: readonly string[], timeout = 60_000): Promise<string> {
  await page.waitForFunction((s) => s.includes(document.body.dataset.state ?? ''), states, { timeout }).catch(async (e: unknown) => {
    const now = await state(page);
    const error = await page.textContent('#error');
    throw new Error(`page state is ${now} (error: ${error || 'none'}), expected one of ${states.join(', ')}: ${(e as Error).message}`);
  });
  return (await state(page))!;
}

/**
 * Clicks Render without waiting for the page to become idle afterwards (playwright's click waits
 * for possible navigations, and the page's main thread is busy optimizing right after the click).
 */
async function clickRender(page: Page): Promise<void> {
  expect(await page.isEnabled('#render')).toBe(true);
  await page.$eval('#render', (b) => (b as HTMLButtonElement).click());
}

/** A redraw of the canvas during a render, as the page records it. */
interface DrawRecord {
  step: number;
  checksum: number;
}

/** Sets the render options, clicks Render, waits for the end; returns the draws, the final canvas, steps and loss. */
async function renderThroughUi(
  page: Page,
  opts: { layer: string; channel: number; size: number; steps: number; transforms?: string; alpha?: boolean },
): Promise<{ draws: DrawRecord[]; last: CanvasShot; alphaMin: number; steps: number; loss: number }> {
  await page.selectOption('#layer', opts.layer);
  await page.fill('#channel', String(opts.channel));
  await page.fill('#size', String(opts.size));
  await page.fill('#steps', String(opts.steps));
  await page.selectOption('#transforms', opts.transforms ?? 'standard');
  await page.setChecked('#alpha', opts.alpha ?? false);
  await clickRender(page);
  expect(await waitForState(page, ['done', 'error'], 100_000)).toBe('done');
  const last = await readCanvas(page);
  let alphaMin = 255;
  for (let i = 3; i < last.data.length; i += 4) alphaMin = Math.min(alphaMin, last.data[i]);
  const draws = await page.evaluate(() => (window as unknown as { __playground: { draws: DrawRecord[] } }).__playground.draws);
  const steps = await page.evaluate(() => Number(document.body.dataset.step));
  const loss = await page.evaluate(() => Number(document.body.dataset.loss));
  return { draws, last, alphaMin, steps, loss };
}

/** The image was redrawn while optimizing (first draw after step 1, last after the final step) and changed. */
function expectLiveUpdates(draws: readonly DrawRecord[], steps: number): void {
  expect(draws.length, 'the canvas must be redrawn during the render').toBeGreaterThanOrEqual(2);
  expect(draws[0].step).toBe(1);
  expect(draws[draws.length - 1].step).toBe(steps);
  expect(draws[draws.length - 1].checksum, 'canvas did not change while optimizing').not.toBe(draws[0].checksum);
}

describe.skipIf(!HAS_CHROMIUM && !IN_CI)('playground in Chromium', () => {
  let server: PlaygroundServer | undefined;
  let browser: Chromium | undefined;
  const pageErrors: string[] = [];

  async function openPage(url: string): Promise<Page> {
    const page = await browser!.context.newPage();
    page.on('pageerror', (e) => pageErrors.push(`${url}: ${e.message}`));
    page.on('console', (m) => {
      if (m.type() === 'error') pageErrors.push(`${url}: console.error: ${m.text()}`);
    });
    await page.goto(`${server!.url}${url}`);
    return page;
  }

  beforeAll(async () => {
    if (!HAS_CHROMIUM) throw new Error(NO_CHROMIUM_MESSAGE);
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    [server, browser] = await Promise.all([startServer({ testEntries: true }), launchChromium()]);
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  // Lucid's standard transforms on webgl: shapes are uniforms (the playground sets the flag) and the
  // jitter gradient no longer compiles its offsets into shaders, so the programs stop growing once the
  // 11 scale sizes have been seen (bench/webglSteps.bench.ts); the first steps still compile them.
  it('webgl: renders a picked LayersModel (model.json + shard) with alpha and the standard transforms; the canvas changes and is not flat', async () => {
    const page = await openPage('?backend=webgl');
    await waitForState(page, ['idle']);
    expect(await page.inputValue('#backend')).toBe('webgl');
    await page.selectOption('#range', '-1,1');
    await page.setInputFiles('#files', await pickedModelFiles(5, 'fixture.weights.bin'));
    await waitForState(page, ['ready']);
    const layers = await page.$$eval('#layer option', (os) => os.map((o) => (o as HTMLOptionElement).value));
    expect(layers).toEqual(expect.arrayContaining(['conv1', 'sep3', 'conv4_relu']));
    expect(layers).not.toContain('logits'); // 2-D, not offered

    const r = await renderThroughUi(page, { layer: 'sep3', channel: 1, size: 48, steps: 8, transforms: 'standard', alpha: true });
    expect(await page.evaluate(() => document.getElementById('readout')!.textContent)).toMatch(/step 8\/8 .*loss -?\d/s);
    expect(r.steps).toBe(8);
    expect(Number.isFinite(r.loss)).toBe(true);
    expect([r.last.width, r.last.height]).toEqual([48, 48]);
    expect(r.last.std, 'final image is flat').toBeGreaterThan(2);
    expectLiveUpdates(r.draws, 8);
    expect(r.alphaMin, 'alpha channel: some pixels must be transparent-ish').toBeLessThan(250);
    await page.screenshot({ path: path.join(ARTIFACTS, 'playground-webgl-fixture.png') });
    await page.close();
  });

  it('wasm: renders the default model served by the dev server; screenshot in test-artifacts/', async () => {
    const page = await openPage('?backend=wasm');
    await waitForState(page, ['idle']);
    await page.click('#load-default');
    expect(await waitForState(page, ['ready', 'error'], 90_000)).toBe('ready');
    const r = await renderThroughUi(page, { layer: 'block_6_expand_relu', channel: 40, size: 64, steps: 6 });
    expect(r.steps).toBe(6);
    expect([r.last.width, r.last.height]).toEqual([64, 64]);
    expect(r.last.std, 'final image is flat').toBeGreaterThan(2);
    expectLiveUpdates(r.draws, 6);
    expect(r.alphaMin, 'no alpha: the image is opaque').toBe(255);
    expect(await page.textContent('#error')).toBe('');
    await page.screenshot({ path: path.join(ARTIFACTS, 'playground-wasm-default.png') });
    await page.close();
  });

  it('Stop ends a long render early; picking files without model.json shows a clear error', async () => {
    const page = await openPage('?backend=cpu');
    await waitForState(page, ['idle']);
    const files = await pickedModelFiles(6, 'fixture.weights.bin');
    await page.setInputFiles('#files', files.slice(1));
    await page.waitForFunction(() => (document.getElementById('error')!.textContent ?? '') !== '');
    expect(await page.textContent('#error')).toMatch(/Pick exactly one model\.json .* but got 0 \.json files among 1/);

    await page.setInputFiles('#files', files);
    await waitForState(page, ['ready']);
    await page.fill('#size', '32');
    await page.fill('#steps', '5000');
    await clickRender(page);
    await page.waitForFunction(() => Number(document.body.dataset.step ?? 0) >= 2, null, { timeout: 60_000 });
    await page.click('#stop');
    expect(await waitForState(page, ['stopped', 'done', 'error'])).toBe('stopped');
    const steps = await page.evaluate(() => Number(document.body.dataset.step));
    expect(steps).toBeGreaterThanOrEqual(2);
    expect(steps).toBeLessThan(5000);
    expect(await page.textContent('#status')).toMatch(new RegExp(`Stopped after ${steps} steps`));
    expect(await page.isEnabled('#render')).toBe(true);
    await page.close();
  });

  /**
   * Runs the gradcheck page's requests on `backend` and checks each layer's input gradient against
   * cpu's in the same page (relative `tol`), the objective's value, finiteness and leaks.
   */
  async function gradcheckAgainstCpu(backend: 'webgl' | 'wasm', requests: GradcheckRequest[], tol: number): Promise<GradcheckResult[]> {
    const page = await openPage('test/gradcheck.html');
    await page.waitForFunction(() => (window as unknown as { __ready?: boolean }).__ready === true, null, { timeout: 30_000 });
    const all: GradcheckResult[] = [];
    for (const req of requests) {
      const res = await page.evaluate((r) => (window as unknown as { __gradcheck(r: GradcheckRequest): Promise<GradcheckResult[]> }).__gradcheck(r), req);
      expect(res.map((r) => r.layer)).toEqual(req.layers);
      for (const r of res) {
        const what = `${req.fixture} ${r.layer}`;
        expect(r.backendUsed, what).toBe(backend);
        expect(r.finite, what).toBe(true);
        expect(r.leaked, `${what}: tensors leaked`).toBe(0);
        expect(r.maxAbsRef, `${what}: reference gradient is zero`).toBeGreaterThan(0);
        expect(r.maxAbsDiff / r.maxAbsRef, what).toBeLessThan(tol);
        expect(Math.abs(r.value - r.valueRef), what).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(r.valueRef)));
      }
      all.push(...res);
    }
    await page.close();
    return all;
  }

  it('webgl input gradients through both fixtures (LayersModel, fused GraphModel) match cpu to 1e-3, in the same page', async () => {
    await gradcheckAgainstCpu(
      'webgl',
      [
        // the logits' gradient flows back through every layer: dense, pooling, conv, depthwise, separable, BN
        { backend: 'webgl', fixture: 'layers', layers: ['pool1', 'logits'], size: 32, seed: 3 },
        // fused conv/depthwise/matmul nodes, max pool, relu6
        { backend: 'webgl', fixture: 'graph', layers: ['logits'], size: 32, seed: 4, graph: graphArtifacts(4) },
      ],
      1e-3,
    );
  });

  it('wasm input gradients (the library fixes, the SIMD max-pool gradient kernel) match cpu to 1e-4, in the same page', async () => {
    const res = await gradcheckAgainstCpu(
      'wasm',
      [
        { backend: 'wasm', fixture: 'layers', layers: ['pool1', 'logits'], size: 32, seed: 5 },
        { backend: 'wasm', fixture: 'graph', layers: ['logits'], size: 32, seed: 6, graph: graphArtifacts(6) },
      ],
      1e-4,
    );
    for (const r of res) expect(r.simdMaxPoolGrad, `${r.layer}: SIMD max-pool gradient kernel instantiated`).toBe(true);
  });

  it("the AvgPoolGrad fix makes 'same' average-pool gradients on webgl and wasm equal cpu's (tfjs's own kernels are off at the borders)", async () => {
    const page = await openPage('test/gradcheck.html');
    await page.waitForFunction(() => (window as unknown as { __ready?: boolean }).__ready === true, null, { timeout: 30_000 });
    for (const backend of ['webgl', 'wasm'] as const) {
      const r = await page.evaluate((b) => (window as unknown as { __avgPoolGradcheck(b: string): Promise<AvgPoolGradcheckResult> }).__avgPoolGradcheck(b), backend);
      expect(r.backendUsed).toBe(backend);
      expect(r.leaked, `${backend}: tensors leaked`).toBe(0);
      expect(r.maxAbsRef, `${backend}: reference gradient is zero`).toBeGreaterThan(0);
      expect(r.maxAbsDiff / r.maxAbsRef, `${backend}: fixed`).toBeLessThan(1e-5);
      expect(r.stockMaxAbsDiff / r.maxAbsRef, `${backend}: tfjs's own kernel`).toBeGreaterThan(1e-2);
    }
    await page.close();
  });

  it('no page errors', () => {
    expect(pageErrors).toEqual([]);
  });
});

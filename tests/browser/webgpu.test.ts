/**
 * End-to-end: the tfjs webgpu backend in Debian's Chromium (headless), on the test-only page
 * `tests/browser/webgpu.entry.ts` served from http://127.0.0.1 (WebGPU needs a secure context).
 *
 * Chromium on Linux exposes a WebGPU adapter (here SwiftShader, CPU-emulated) only with
 * `--enable-unsafe-webgpu`; `--enable-features=Vulkan --use-vulkan=swiftshader` keep tfjs's
 * synchronous reads working (see WEBGPU_ARGS). The flags are passed to this file's browser only.
 * Checks, on webgpu:
 * - tensors read back exactly, with `data()` and with `dataSync()` (which `session.step()` uses);
 * - 10 steps of the library's render loop on the fixture model: the objective rises and equals the
 *   cpu backend's step by step (1e-3), and `tf.memory().numTensors` is back to its start value;
 *   the standard transforms (new sizes every step, host-pass rotation) run without leaks;
 * - input gradients through the fixture (conv, pooling, depthwise, separable, BN, dense) match the
 *   cpu backend in the same page to 1e-3 (relative to max |g_cpu|), as the webgl gradient test;
 * - the playground page offers webgpu (`?backend=webgpu`) and renders a picked model through its UI.
 *
 * Without /usr/bin/chromium the file is skipped with a message, except in CI (CI=true) where it
 * fails; a Chromium without a WebGPU adapter fails with the reason.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { startServer, type PlaygroundServer } from '../../scripts/serve';
import { HAS_CHROMIUM, IN_CI, NO_CHROMIUM_MESSAGE, launchChromium, type Chromium } from './chromium';
import { recordSkip } from '../helpers/skips';
import { pickedModelFiles } from '../fixtures/pickedFiles';
import type { AdapterReport, GradRequest, GradResult, PageBackend, RenderRequest, RenderResult } from './webgpu.entry';
import type { AvgPoolGradcheckResult } from './avgPoolCheck';

/**
 * `--enable-unsafe-webgpu` turns WebGPU on (off by default on Linux); Vulkan on SwiftShader is needed
 * as well: with Chromium's default WebGPU setup the first synchronous read (`dataSync`, done by tfjs
 * through a webgpu canvas) loses the WebGPU instance ("A valid external Instance reference no longer
 * exists") and every later call fails.
 */
const WEBGPU_ARGS = ['--enable-unsafe-webgpu', '--enable-features=Vulkan', '--use-vulkan=swiftshader'] as const;

if (!HAS_CHROMIUM && !IN_CI) recordSkip('tests/browser/webgpu.test.ts (Chromium)', NO_CHROMIUM_MESSAGE);

type Api = {
  adapterInfo(): Promise<AdapterReport>;
  renderSteps(r: RenderRequest): Promise<RenderResult>;
  gradients(r: GradRequest): Promise<GradResult[]>;
  readBack(b: PageBackend): Promise<{ sync: number[]; async: number[]; expected: number[]; syncExact: boolean; asyncExact: boolean }>;
  avgPoolGradcheck(b: 'webgpu'): Promise<AvgPoolGradcheckResult>;
};

describe.skipIf(!HAS_CHROMIUM && !IN_CI)('webgpu backend in Chromium', () => {
  let server: PlaygroundServer | undefined;
  let browser: Chromium | undefined;
  let page: Page | undefined;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    if (!HAS_CHROMIUM) throw new Error(NO_CHROMIUM_MESSAGE);
    [server, browser] = await Promise.all([startServer({ testEntries: true, defaultModel: false }), launchChromium(WEBGPU_ARGS)]);
    page = await browser.context.newPage();
    page.on('pageerror', (e) => pageErrors.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error') pageErrors.push(`console.error: ${m.text()}`);
    });
    await page.goto(`${server.url}test/webgpu.html`);
    await page.waitForFunction(() => (window as unknown as { __ready?: boolean }).__ready === true, null, { timeout: 30_000 });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  const api = <K extends keyof Api>(name: K, arg?: Parameters<Api[K]>[0]): Promise<Awaited<ReturnType<Api[K]>>> =>
    page!.evaluate(
      ([n, a]) => (window as unknown as { __webgpu: Record<string, (x: unknown) => unknown> }).__webgpu[n as string](a),
      [name, arg] as const,
    ) as Promise<Awaited<ReturnType<Api[K]>>>;

  /** Fails every test with the reason when the browser has no WebGPU adapter. */
  async function requireAdapter(): Promise<AdapterReport> {
    const info = await api('adapterInfo');
    expect(info.secureContext, 'the test page must be a secure context (http://127.0.0.1)').toBe(true);
    if (!info.ok) {
      throw new Error(
        `No WebGPU adapter in ${process.env.OPTVIS_CHROMIUM ?? '/usr/bin/chromium'} with ${WEBGPU_ARGS.join(' ')}: ${info.reason}. ` +
          'The webgpu backend cannot run in this browser.',
      );
    }
    return info;
  }

  it('Chromium offers a WebGPU adapter on http://127.0.0.1; tfjs reads webgpu tensors back, synchronously too', async () => {
    const info = await requireAdapter();
    expect(info.ok).toBe(true);
    const r = await api('readBack', 'webgpu');
    expect(r.asyncExact, `data(): ${r.async.join(', ')} vs ${r.expected.join(', ')}`).toBe(true);
    expect(r.syncExact, `dataSync(): ${r.sync.join(', ')} vs ${r.expected.join(', ')}`).toBe(true);
  });

  it('renders 10 steps of the render loop on webgpu: the objective rises, no tensor is left behind', async () => {
    await requireAdapter();
    const req: RenderRequest = { backend: 'webgpu', layer: 'sep3', channel: 1, size: 48, steps: 10, transforms: 'jitter', alpha: false, seed: 7 };
    const r = await api('renderSteps', req);
    expect(r.backendUsed).toBe('webgpu');
    expect(r.values).toHaveLength(10);
    for (const v of r.values) expect(Number.isFinite(v)).toBe(true);
    const first = (r.values[0] + r.values[1]) / 2;
    const last = (r.values[8] + r.values[9]) / 2;
    expect(last, `objective did not rise: ${r.values.map((v) => v.toFixed(4)).join(', ')}`).toBeGreaterThan(first);
    expect(r.imageStd, 'final image is flat').toBeGreaterThan(1e-3);
    expect(r.tensorsAfter, 'tensors leaked by the render loop').toBe(r.tensorsBefore);
    // the same seeded render on cpu: the same objective values, step by step
    const ref = await api('renderSteps', { ...req, backend: 'cpu' });
    expect(ref.backendUsed).toBe('cpu');
    const scale = Math.max(...ref.values.map(Math.abs));
    const maxDiff = Math.max(...r.values.map((v, i) => Math.abs(v - ref.values[i])));
    expect(maxDiff / scale, `webgpu ${r.values.join(', ')} vs cpu ${ref.values.join(', ')}`).toBeLessThan(1e-3);
  });

  it('the standard transforms (scale, rotate via a host pass) run on webgpu too; no leak', async () => {
    await requireAdapter();
    const r = await api('renderSteps', { backend: 'webgpu', layer: 'sep3', channel: 1, size: 32, steps: 3, transforms: 'standard', alpha: true, seed: 8 });
    expect(r.backendUsed).toBe('webgpu');
    for (const v of r.values) expect(Number.isFinite(v)).toBe(true);
    expect(r.tensorsAfter, 'tensors leaked by the render loop').toBe(r.tensorsBefore);
  });

  it('input gradients through the fixture on webgpu match cpu to 1e-3, in the same page', async () => {
    await requireAdapter();
    const res = await api('gradients', { backend: 'webgpu', layers: ['pool1', 'sep3', 'logits'], size: 32, seed: 3 });
    expect(res.map((r) => r.layer)).toEqual(['pool1', 'sep3', 'logits']);
    for (const r of res) {
      expect(r.backendUsed, r.layer).toBe('webgpu');
      expect(r.finite, r.layer).toBe(true);
      expect(r.leaked, `${r.layer}: tensors leaked`).toBe(0);
      expect(r.maxAbsRef, `${r.layer}: reference gradient is zero`).toBeGreaterThan(0);
      expect(r.maxAbsDiff / r.maxAbsRef, r.layer).toBeLessThan(1e-3);
      expect(Math.abs(r.value - r.valueRef), r.layer).toBeLessThanOrEqual(1e-3 * Math.max(1, Math.abs(r.valueRef)));
    }
  });

  it("the AvgPoolGrad fix makes a 'same' average-pool gradient on webgpu equal cpu's (tfjs's own kernel is off at the borders)", async () => {
    await requireAdapter();
    const r = await api('avgPoolGradcheck', 'webgpu');
    expect(r.backendUsed).toBe('webgpu');
    expect(r.leaked, 'tensors leaked').toBe(0);
    expect(r.maxAbsRef, 'reference gradient is zero').toBeGreaterThan(0);
    expect(r.maxAbsDiff / r.maxAbsRef, 'fixed').toBeLessThan(1e-5);
    expect(r.stockMaxAbsDiff / r.maxAbsRef, "tfjs's own kernel").toBeGreaterThan(1e-2);
  });

  it('the playground offers webgpu: ?backend=webgpu renders a picked model through the UI', async () => {
    await requireAdapter();
    const ui = await browser!.context.newPage();
    ui.on('pageerror', (e) => pageErrors.push(`playground: ${e.message}`));
    ui.on('console', (m) => {
      if (m.type() === 'error') pageErrors.push(`playground: console.error: ${m.text()}`);
    });
    try {
      await ui.goto(`${server!.url}?backend=webgpu`);
      const state = () => ui.evaluate(() => document.body.dataset.state);
      await ui.waitForFunction(() => ['idle', 'error'].includes(document.body.dataset.state ?? ''), null, { timeout: 30_000 });
      expect(await ui.textContent('#status'), `error: ${await ui.textContent('#error')}`).toMatch(/Backend webgpu ready/);
      expect(await ui.inputValue('#backend')).toBe('webgpu');
      await ui.selectOption('#range', '-1,1');
      await ui.setInputFiles('#files', await pickedModelFiles(5));
      await ui.waitForFunction(() => document.body.dataset.state === 'ready', null, { timeout: 30_000 });
      await ui.selectOption('#layer', 'sep3');
      await ui.fill('#channel', '1');
      await ui.fill('#size', '32');
      await ui.fill('#steps', '4');
      await ui.selectOption('#transforms', 'jitter');
      await ui.$eval('#render', (b) => (b as HTMLButtonElement).click());
      await ui.waitForFunction(() => ['done', 'error'].includes(document.body.dataset.state ?? ''), null, { timeout: 60_000 });
      expect(await state(), `error: ${await ui.textContent('#error')}`).toBe('done');
      expect(await ui.textContent('#readout')).toMatch(/step 4\/4 .*loss -?\d.*webgpu/s);
    } finally {
      await ui.close();
    }
  });

  it('no page errors', () => {
    expect(pageErrors).toEqual([]);
  });
});

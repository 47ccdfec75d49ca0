/**
 * Smoke test of the examples: each of the five runs end to end with `--quick` on the embedded
 * default model, writing into a fresh temp directory, and its PNGs decode, have the expected size
 * and are not flat. The five run concurrently (each is a separate tsx process) to keep the file
 * short. Skipped when the default model's package (`nsfwjs`) is not installed.
 */
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { io } from 'tfjs-optvis/node';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const hasDefaultModel = (() => {
  try {
    createRequire(import.meta.url).resolve('nsfwjs');
    return true;
  } catch {
    return false;
  }
})();

let tmp = '';

async function runExample(name: string, args: string[]): Promise<{ stdout: string; out: string }> {
  const out = await fs.mkdtemp(path.join(tmp, `${name}-`));
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [path.join(root, 'node_modules', 'tsx', 'dist', 'cli.mjs'), path.join(root, 'examples', `${name}.ts`), '--quick', '--out', out, ...args],
    { cwd: root, timeout: 230_000 },
  );
  return { stdout, out };
}

/** Decodes `<dir>/<file>` and checks its size [h, w] and that it is not flat. */
async function expectPng(dir: string, file: string, hw: [number, number]): Promise<void> {
  const img = io.fromPng(await fs.readFile(path.join(dir, file)));
  expect(img.shape.slice(0, 2), file).toEqual(hw);
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of img.data) {
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  expect(hi - lo, `${file} is flat`).toBeGreaterThan(0.1);
}

describe.skipIf(!hasDefaultModel)('examples --quick (default model; skipped without nsfwjs)', () => {
  beforeAll(async () => {
    tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'optvis-examples-'));
  });
  afterAll(async () => {
    if (tmp) await fs.rm(tmp, { recursive: true, force: true });
  });

  it.concurrent('quickstart', { timeout: 240_000 }, async () => {
    const { out } = await runExample('quickstart', []);
    await expectPng(out, 'quickstart.png', [32, 32]);
  });

  it.concurrent('diversity: 4 images side by side', { timeout: 240_000 }, async () => {
    const { out } = await runExample('diversity', []);
    await expectPng(out, 'diversity.png', [32, 4 * 32 + 3 * 4]);
  });

  it.concurrent('neuron-interaction: 4 renders and a 6-frame interpolation', { timeout: 240_000 }, async () => {
    const { out } = await runExample('neuron-interaction', []);
    await expectPng(out, 'neuron-interaction.png', [32, 4 * 32 + 3 * 4]);
    await expectPng(out, 'neuron-interaction-interpolation.png', [32, 6 * 32 + 5 * 4]);
  });

  it.concurrent("transparency-backgrounds: the image_sample grid, the opening run, test()'s 7 rows", { timeout: 240_000 }, async () => {
    const { stdout, out } = await runExample('transparency-backgrounds', ['--model', 'mobilenet-v2', '--size', '24']);
    expect(stdout).toMatch(/Adverserial Background Color: .*mean alpha/);
    expect(stdout).toMatch(/Allied Background Image Full: .*\n  activation over 16 random backgrounds: real alpha -?\d/);
    await expectPng(out, 'transparency-image-sample.png', [6 * 16 + 5 * 2, 10 * 16 + 9 * 2]);
    await expectPng(out, 'transparency-opening.png', [48, 96]);
    // 7 rows (foreground on white | background) of 24 px, 4 px apart
    await expectPng(out, 'transparency-block_6_expand_BN-40.png', [7 * 24 + 6 * 4, 48]);
    await expectPng(out, 'transparency-block_6_expand_BN-40-noise.png', [24, 48]);
    const lines = (await fs.readFile(path.join(out, 'transparency-results.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => l.background)).toEqual(['noise', 'adv-image-full', 'adv-image-offset', 'adv-color', 'noise', 'allied-color', 'allied-image-offset', 'allied-image-full']);
  });

  it.concurrent('transparency-backgrounds on its default model (the embedded InceptionV3): one test() row', { timeout: 240_000 }, async () => {
    const { stdout, out } = await runExample('transparency-backgrounds', ['--part', 'test', '--backgrounds', '5']);
    expect(stdout).toMatch(/test\("batch_normalization_40", 100\)/);
    expect(stdout).toMatch(/Allied Background Color: .*mean alpha/);
    await expectPng(out, 'transparency-batch_normalization_40-100-allied-color.png', [80, 160]);
  });

  it.concurrent('transparency-shared: run 3 (8 foregrounds, batch 16) on its default model (the embedded InceptionV3)', { timeout: 240_000 }, async () => {
    const { stdout, out } = await runExample('transparency-shared', ['--runs', '3']);
    expect(stdout).toMatch(/alpha_experiment_2\("batch_normalization_31", 100, shared_param_coef=0.5\)/);
    expect(stdout.match(/real wins \d+\/16/g)?.length).toBe(8);
    // 3 rows (composites, foregrounds on white, backgrounds) of 8 images of 80 px
    await expectPng(out, 'transparency-shared-3.png', [3 * 80 + 2 * 4, 8 * 80 + 7 * 2]);
  });
});

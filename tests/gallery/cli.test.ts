/**
 * `tfjs-optvis gallery` end to end through the real command (`bin/tfjs-optvis.js gallery …` as its own
 * process, or `runCli(['gallery', …])` in this one) on the fixture model (saved to a temp
 * directory), 32 px, 4 steps:
 * - layout independence: one process (1 worker, batch 1), two shard processes into one directory
 *   (batch 3), and 2 workers × batch 2 give the same PNG, index.html and contact-sheet bytes;
 * - resume (skips finished channels, re-renders a deleted one identically), refusal of other
 *   settings, Ctrl-C (exit 130, finished channels kept, nothing partial);
 * - the command line shared with `render`: unknown flag with the closest one, repeated flag,
 *   --model rules (a directory needs --input-range, embedded names), exit codes, --help;
 * - the page in Chromium from file:// (skipped with a message when Chromium is absent).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/run';
import { buildGallery } from '../../src/gallery/node/index';
import { modelLabel } from '../../src/gallery/node/model';
import { EMBEDDED_MODELS } from '../../src/model/embeddedModels';
import { fromPng } from '../../src/io/index';
import type { GalleryManifest } from '../../src/gallery/index';
import { makeTestLayersModel } from '../fixtures/models';
import { HAS_CHROMIUM, IN_CI, NO_CHROMIUM_MESSAGE, launchChromium } from '../browser/chromium';

const ROOT = resolve(__dirname, '../..');
const BIN = resolve(ROOT, 'bin/tfjs-optvis.js');
const tmp = mkdtempSync(join(tmpdir(), 'optvis-gallery-'));
const modelDir = join(tmp, 'model');
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const CHANNELS = [0, 1, 2, 3, 4, 5];
const common = (dir: string) => ['--model', modelDir, '--input-range', '-1,1', '--layer', 'conv4', '--channels', '0-5', '--size', '32', '--steps', '4', '--seed', '3', '-o', dir];

/** Runs `tfjs-optvis gallery …` as its own process, through the package's bin. */
function gallery(args: string[]): { done: Promise<{ code: number | null; stderr: string }>; kill(sig: NodeJS.Signals): void } {
  const child = spawn(process.execPath, [BIN, 'gallery', ...args], { cwd: ROOT, env: { ...process.env, TFJS_OPTVIS_DEBUG: '' } });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  child.stdout.resume();
  return { done: new Promise((r) => child.on('close', (code) => r({ code, stderr }))), kill: (sig) => child.kill(sig) };
}

/** Runs `tfjs-optvis gallery …` in this process through the CLI's dispatch (worker threads still do the rendering). */
async function inProcess(args: string[], command: string[] = ['gallery']): Promise<{ code: number; stderr: string; stdout: string }> {
  let stderr = '';
  let stdout = '';
  const code = await runCli([...command, ...args], { stdout: { write: (s: string | Uint8Array) => (stdout += String(s)) }, stderr: { write: (s: string) => (stderr += s) } });
  return { code, stderr, stdout };
}

const read = (dir: string, f: string) => readFileSync(join(dir, f));
const manifest = (dir: string) => JSON.parse(read(dir, 'manifest.json').toString()) as GalleryManifest;
const leftovers = (dir: string) =>
  [...readdirSync(dir), ...readdirSync(join(dir, 'channels'))].filter((f) => f.endsWith('.tmp') || f === '.lock');
const png = (c: number) => `channels/${String(c).padStart(4, '0')}.png`;

/** Asserts two gallery directories hold byte-identical PNGs, page and contact sheet, and equal objective values. */
function expectSameGallery(a: string, b: string): void {
  for (const c of CHANNELS) expect(read(b, png(c)).equals(read(a, png(c))), `channel ${c}`).toBe(true);
  expect(read(b, 'index.html').toString()).toBe(read(a, 'index.html').toString());
  expect(read(b, 'contact-sheet.png').equals(read(a, 'contact-sheet.png'))).toBe(true);
  const values = (d: string) => Object.values(manifest(d).channels).map((r) => [r.channel, r.objective]);
  expect(values(b)).toEqual(values(a));
}

beforeAll(async () => {
  await tf.setBackend('cpu');
  const net = makeTestLayersModel(1);
  mkdirSync(modelDir);
  await net.save(
    tf.io.withSaveHandler(async (art) => {
      const json = { format: 'layers-model', modelTopology: art.modelTopology, weightsManifest: [{ paths: ['weights.bin'], weights: art.weightSpecs }] };
      writeFileSync(join(modelDir, 'model.json'), JSON.stringify(json));
      writeFileSync(join(modelDir, 'weights.bin'), Buffer.from(art.weightData as ArrayBuffer));
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  net.dispose();
});

describe('tfjs-optvis gallery', () => {
  const single = join(tmp, 'single');
  const sharded = join(tmp, 'sharded');

  it('renders the same bytes in one process, as two shard processes into one directory, and with 2 workers × batch 2', async () => {
    const [one, s0, s1] = await Promise.all([
      gallery([...common(single), '--workers', '1', '--batch', '1']).done,
      gallery([...common(sharded), '--workers', '1', '--batch', '3', '--shard', '0/2', '-q']).done,
      gallery([...common(sharded), '--workers', '1', '--batch', '3', '--shard', '1/2', '-q']).done,
    ]);
    expect(one.code, one.stderr).toBe(0);
    expect(s0.code, s0.stderr).toBe(0);
    expect(s1.code, s1.stderr).toBe(0);
    expect(s0.stderr + s1.stderr).toBe(''); // -q
    expect(one.stderr).toMatch(/conv4 \[=+\] 6\/6 channels {2}\d+\.\d ch\/min {2}ETA 0:00\n/);
    expect(one.stderr).toMatch(/rendered 6 channel\(s\), skipped 0 finished before; .* has 6 of 32 channels; open .*index\.html/);
    expectSameGallery(single, sharded);
    const m = manifest(single);
    expect(m).toMatchObject({ format: 'tfjs-optvis-gallery', model: modelDir, layer: 'conv4', depth: 32, options: { size: 32, steps: 4, seed: 3, alpha: false, backend: 'wasm', inputRange: [-1, 1] } });
    expect(Object.keys(m.channels)).toEqual(CHANNELS.map(String));
    expect(Object.values(m.channels).every((r) => Number.isFinite(r.objective) && r.seconds > 0 && !Number.isNaN(Date.parse(r.finishedAt)))).toBe(true);
    expect(fromPng(read(single, 'contact-sheet.png')).shape).toEqual([2 * 32 + 3 * 2, 3 * 32 + 4 * 2, 3]); // 2 rows × 3 columns of 32-px tiles, 2-px gaps
    expect(leftovers(single)).toEqual([]);
    expect(leftovers(sharded)).toEqual([]);

    const pooled = join(tmp, 'pooled');
    const r = await inProcess([...common(pooled), '--workers', '2', '--batch', '2', '-q']);
    expect(r.code, r.stderr).toBe(0);
    expectSameGallery(single, pooled);
  });

  it('resumes: skips finished channels, re-renders a deleted one identically, refuses other settings', async () => {
    const before = statSync(join(single, png(0))).mtimeMs;
    const again = await inProcess(common(single));
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toMatch(/rendered 0 channel\(s\), skipped 6 finished before/);
    expect(statSync(join(single, png(0))).mtimeMs).toBe(before);

    const kept = read(single, png(2));
    rmSync(join(single, png(2)));
    rmSync(join(single, 'channels/0002.json'));
    const redo = await inProcess([...common(single), '--workers', '1', '-q']);
    expect(redo.code, redo.stderr).toBe(0);
    expect(read(single, png(2)).equals(kept)).toBe(true);
    expect(Object.keys(manifest(single).channels)).toHaveLength(6);

    const other = await inProcess(common(single).map((a) => (a === '4' ? '5' : a))); // --steps 5
    expect(other.code).toBe(1);
    expect(other.stderr).toMatch(/^tfjs-optvis: the directory ".*single" must hold a gallery with the same settings to resume it, but it has steps 4 \(asked 5\)\. Use another output directory/m);
  });

  it('--native (backend wasm-native): native convolutions in every worker, the same bytes for any --workers and --batch, recorded in the manifest', async () => {
    const one = join(tmp, 'native-one');
    const two = join(tmp, 'native-two');
    const r1 = await inProcess([...common(one), '--native', '--workers', '1', '--batch', '1', '-q']);
    const r2 = await inProcess([...common(two), '--native', '--workers', '2', '--batch', '2', '-q']);
    expect(r1.code, r1.stderr).toBe(0);
    expect(r2.code, r2.stderr).toBe(0);
    expectSameGallery(one, two);
    expect(manifest(one).options).toMatchObject({ backend: 'wasm-native', size: 32, steps: 4 });
    // Close to the wasm gallery (float32 rounding, amplified by 3 Adam updates), not the same settings.
    let maxDiff = 0;
    for (const c of CHANNELS) {
      const a = fromPng(read(single, png(c))).data;
      const b = fromPng(read(one, png(c))).data;
      for (let i = 0; i < a.length; i++) maxDiff = Math.max(maxDiff, Math.abs(a[i] - b[i]));
    }
    expect(maxDiff).toBeLessThan(0.25);
    const mixed = await inProcess([...common(single), '--native']);
    expect(mixed.code).toBe(1);
    expect(mixed.stderr).toMatch(/must hold a gallery with the same settings to resume it, but it has backend "wasm" \(asked "wasm-native"\)/);
    const { nativeKernelsState } = await import('../../src/backends/nativeKernels');
    expect(nativeKernelsState().active, 'the main thread keeps tfjs\'s kernels (workers render)').toBe(false);
  });

  it('stops on Ctrl-C (exit 130), keeping finished channels and leaving nothing partial; a rerun completes the job', async () => {
    const dir = join(tmp, 'interrupted');
    const args = [...common(dir).map((a) => (a === '0-5' ? '0-7' : a)), '--workers', '1', '--batch', '1'];
    const run = gallery(args);
    const deadline = Date.now() + 60_000;
    while (!(existsSync(join(dir, 'channels')) && readdirSync(join(dir, 'channels')).some((f) => f.endsWith('.json'))) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
    }
    run.kill('SIGINT');
    const r = await run.done;
    expect(r.code, r.stderr).toBe(130);
    expect(r.stderr).toMatch(/interrupted: stopping \(finished channels are kept; Ctrl-C again to quit at once\)\n/);
    expect(r.stderr).toMatch(/tfjs-optvis: the gallery was aborted: \d+ channels? finished in this run, \d+ in flight lost\. Run the same command again to resume\.\n$/);
    const done = readdirSync(join(dir, 'channels')).filter((f) => f.endsWith('.json'));
    expect(done.length).toBeGreaterThan(0);
    expect(done.length).toBeLessThan(8);
    expect(leftovers(dir)).toEqual([]);
    expect(Object.keys(manifest(dir).channels).length).toBe(done.length);
    for (const f of done) expect(existsSync(join(dir, 'channels', f.replace('.json', '.png')))).toBe(true);

    const rest = await inProcess([...args, '-q']);
    expect(rest.code, rest.stderr).toBe(0);
    expect(Object.keys(manifest(dir).channels)).toHaveLength(8);
    for (const c of CHANNELS) expect(read(dir, png(c)).equals(read(single, png(c))), `channel ${c}`).toBe(true);
  });

  it('rebuilds the page on demand, and reports command-line mistakes in one line with render\'s parser, rules and exit codes', async () => {
    rmSync(join(single, 'index.html'));
    const rebuilt = await inProcess(['--rebuild', '-o', single]);
    expect(rebuilt.code, rebuilt.stderr).toBe(0);
    expect(rebuilt.stderr).toBe(`rebuilt ${single}: 6 of 32 channels of conv4\n`);
    expect(read(single, 'index.html').toString()).toBe(read(sharded, 'index.html').toString());
    const x = join(tmp, 'x');
    const cases: [string[], RegExp, number][] = [
      [[...common(x), '--shard', '2/2'], /^tfjs-optvis: --shard must be i\/n with 0 <= i < n \(e\.g\. 0\/4 … 3\/4\), but got "2\/2"\.\n$/, 2],
      [['-o', x], /^tfjs-optvis: --layer must name the layer to render, but it is missing/, 2],
      [['--layer', 'conv4'], /^tfjs-optvis: -o\/--output must name the gallery directory, but it is missing\.\n$/, 2],
      [['--rebuild', '-o', join(tmp, 'empty')], /^tfjs-optvis: -o\/--output must be a gallery directory \(holding manifest\.json\), but ".*empty" has none\.\n$/, 2],
      [['--rebuild', '--steps', '4', '-o', single], /^tfjs-optvis: --rebuild takes only -o <dir> \(and -q\), but got --steps\.\n$/, 2],
      [[...common(join(tmp, 'y')), '--workers', '0'], /^tfjs-optvis: --workers must be a positive integer, but got "0"\.\n$/, 2],
      // the shared parser: unknown flag with the closest one, a flag given twice, a switch with a value
      [[...common(x), '--worker', '1'], /^tfjs-optvis: unknown flag "--worker"; did you mean --workers\? Run "tfjs-optvis gallery --help" for the flags\.\n$/, 2],
      [[...common(x), '--chanels', '0-3'], /^tfjs-optvis: unknown flag "--chanels"; did you mean --channels\?/, 2],
      [[...common(x), '--steps', '9'], /^tfjs-optvis: --steps was given twice \(--steps "4" and --steps "9"\); give it once\.\n$/, 2],
      [[...common(x), '--alpha=yes'], /^tfjs-optvis: --alpha takes no value, but got "--alpha=yes"\.\n$/, 2],
      [common(x).map((a) => (a === '32' ? '5000' : a)), /^tfjs-optvis: --size must be at most 2048, but got 5000: /, 2],
      [common(x).map((a) => (a === '0-5' ? '0-3;5' : a)), /^tfjs-optvis: --channels must be all or a list such as 0-63 or 0-15,32,40-47, but got "0-3;5"\.\n$/, 2],
      [[...common(x), 'extra'], /^tfjs-optvis: unexpected argument "extra"\. Run "tfjs-optvis gallery --help" for usage\.\n$/, 2],
      // render's --model rules
      [['--model', modelDir, '--layer', 'conv4', '-o', x], /^tfjs-optvis: --input-range is required with --model ".*model": the pixel range the model was trained on \(e\.g\. 0,1 or -1,1 or 0,255\) is not stored in its files/, 2],
      [['--input-range', '0,1', '--layer', 'conv4', '-o', x], /^tfjs-optvis: --input-range applies to model directories; the embedded model mobilenet-v2 has its own \(0,1\)\.\n$/, 2],
      [['--model', 'inception-v3', '--size', '32', '--layer', 'mixed4', '-o', x], /^tfjs-optvis: --size must be at least 75 for the embedded model inception-v3 \(its convolutions shrink the image\), but got 32\.\n$/, 2],
      [['--model', 'inceptoin-v3', '--layer', 'mixed4', '-o', x], /^tfjs-optvis: --model must be a model directory, a model\.json file or an embedded model \(mobilenet-v2, inception-v3\), but "inceptoin-v3" does not exist\. Did you mean inception-v3\?\n$/, 2],
      [['--model', join(tmp, 'nope'), '--input-range', '0,1', '--layer', 'conv4', '-o', x], /^tfjs-optvis: --model must be a model directory, .* but ".*nope" does not exist\.\n$/, 2],
      // a layer or channels the model lacks: usage errors too, as in render
      [[...common(join(tmp, 'z')).map((a) => (a === 'conv4' ? 'conv44' : a)), '--workers', '1', '-q'], /^tfjs-optvis: --layer "conv44" is not a layer of --model ".*model"\. Did you mean .*'conv4'.*\? List them with "tfjs-optvis layers --model .*model"\.\n$/, 2],
      [[...common(join(tmp, 'w')).map((a) => (a === '0-5' ? '30-40' : a)), '--workers', '1', '-q'], /^tfjs-optvis: --channels "30-40": channels must be in \[0, 31\] \(the layer has 32 channels\), but got "30-40"\.\n$/, 2],
    ];
    for (const [args, message, code] of cases) {
      const r = await inProcess(args);
      expect(r.stderr, args.join(' ')).toMatch(message);
      expect(r.code, args.join(' ')).toBe(code);
    }
    expect(existsSync(x), 'a refused command line leaves no directory').toBe(false);
    expect(existsSync(join(tmp, 'z')), 'a failed start leaves no directory').toBe(false);
  });

  it('buildGallery refuses a channel list the layer lacks before creating the directory (no empty folder left)', async () => {
    const base = { model: modelDir, inputRange: [-1, 1] as const, layer: 'conv4', size: 32, steps: 4, workers: 1 };
    const ranged = join(tmp, 'refused-range');
    await expect(buildGallery({ ...base, dir: ranged, channels: '30-40' })).rejects.toThrow(
      /^Error in gallery\.parseChannels: channels must be in \[0, 31\] \(the layer has 32 channels\), but got "30-40"\.$/,
    );
    expect(existsSync(ranged), 'a refused channel spec leaves no directory').toBe(false);
    const listed = join(tmp, 'refused-list');
    await expect(buildGallery({ ...base, dir: listed, channels: [0, 32] })).rejects.toThrow(
      /^Error in buildGallery: channels must hold integers in \[0, 31\] \(the layer has 32 channels\), but got 32\.$/,
    );
    expect(existsSync(listed), 'a refused channel list leaves no directory').toBe(false);
  });

  it('is a command of tfjs-optvis: listed in --help, with its own help, found after leading flags', async () => {
    const help = await inProcess(['--help'], []);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^ {2}tfjs-optvis gallery --layer <name> -o <dir> /m);
    expect(help.stdout).toMatch(/tfjs-optvis gallery --help/);
    for (const argv of [['gallery', '--help'], ['help', 'gallery'], ['-q', 'gallery', '-h']]) {
      const r = await inProcess(argv, []);
      expect(r.code, argv.join(' ')).toBe(0);
      expect(r.stdout, argv.join(' ')).toMatch(/^Usage:\n {2}tfjs-optvis gallery --layer <name> -o <dir> \[options\]\n {2}tfjs-optvis gallery --rebuild -o <dir>\n/);
      expect(r.stdout).toMatch(/--input-range <lo,hi> .*required with a model\n +directory/);
      expect(r.stdout).toMatch(/embedded model: mobilenet-v2 \(the default\) or inception-v3/);
    }
    const typo = await inProcess(['galery', '--layer', 'conv4', '-o', join(tmp, 'x')], []);
    expect(typo.stderr).toBe('tfjs-optvis: unknown command "galery"; did you mean "gallery"? The commands are "render", "layers" and "gallery".\n');
    expect(typo.code).toBe(2);
    // flags before the command: the gallery's flags are known there too
    const early = await inProcess(['-q', '--workers', '0', 'gallery', '--layer', 'conv4', '-o', join(tmp, 'x')], []);
    expect(early.stderr).toBe('tfjs-optvis: --workers must be a positive integer, but got "0".\n');
    expect(early.code).toBe(2);
    // the real bin (npm run cli -- gallery …) answers the same, with the same exit code
    const bin = await gallery(['--model', modelDir, '--layer', 'conv4', '-o', join(tmp, 'x')]).done;
    expect(bin.stderr).toMatch(/^tfjs-optvis: --input-range is required with --model /);
    expect(bin.code).toBe(2);
  });

  it('renders an embedded model named by --model (inception-v3, loaded in the worker by loadDefaultModel({ name }))', async () => {
    const dir = join(tmp, 'inception');
    const r = await inProcess(['--model', 'inception-v3', '--layer', 'mixed4', '--channels', '100', '--size', '75', '--steps', '1', '--workers', '1', '--batch', '1', '--backend', 'wasm', '-o', dir]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/^gallery of mixed4, channels 100, on inception-v3, 75px, 1 steps, wasm, into /);
    const m = manifest(dir);
    expect(m).toMatchObject({ model: EMBEDDED_MODELS['inception-v3'].name, layer: 'mixed4', depth: 768, options: { size: 75, steps: 1, inputRange: null } });
    expect(Object.keys(m.channels)).toEqual(['100']);
    expect(fromPng(read(dir, png(100))).shape).toEqual([75, 75, 3]);
  }, 120_000);

  it('names embedded models as loadDefaultModel does (mobilenet-v2 = the default, so galleries resume across both spellings)', () => {
    expect(modelLabel({})).toBe(EMBEDDED_MODELS['mobilenet-v2'].name);
    expect(modelLabel({ source: 'mobilenet-v2' })).toBe(EMBEDDED_MODELS['mobilenet-v2'].name);
    expect(modelLabel({ source: 'inception-v3' })).toBe(EMBEDDED_MODELS['inception-v3'].name);
    expect(modelLabel({ source: modelDir })).toBe(modelDir);
  });
});

if (!HAS_CHROMIUM && !IN_CI) console.warn(`[skip] tests/gallery/cli.test.ts (page in Chromium): ${NO_CHROMIUM_MESSAGE}`);

describe.runIf(HAS_CHROMIUM || IN_CI)('the gallery page in Chromium (file://)', () => {
  it('shows one lazily loaded tile per channel with its number and value, and enlarges on click', async () => {
    const dir = join(tmp, 'single');
    const browser = await launchChromium();
    try {
      const page = await browser.context.newPage();
      await page.goto(pathToFileURL(join(dir, 'index.html')).href);
      const tiles = await page.$$eval('.tile', (ts) =>
        ts.map((t) => ({ channel: t.querySelector('.ch')?.textContent, value: t.querySelector('.val')?.textContent, lazy: t.querySelector('img')?.getAttribute('loading') })),
      );
      const m = manifest(dir);
      expect(tiles.map((t) => Number(t.channel))).toEqual(CHANNELS);
      expect(tiles.every((t) => t.lazy === 'lazy')).toBe(true);
      expect(tiles.map((t) => Number(t.value))).toEqual(CHANNELS.map((c) => Number(m.channels[String(c)].objective.toPrecision(4))));
      await page.waitForFunction(() => Array.from(document.images).filter((i) => i.closest('.tile')).every((i) => i.complete && i.naturalWidth === 32));
      await page.click('.tile[data-channel="3"]');
      const viewer = await page.evaluate(() => ({
        open: getComputedStyle(document.getElementById('viewer')!).display !== 'none',
        src: (document.getElementById('big') as HTMLImageElement).getAttribute('src'),
        caption: document.getElementById('caption')!.textContent,
      }));
      expect(viewer).toEqual({ open: true, src: 'channels/0003.png', caption: `channel 3 · objective ${Number(m.channels['3'].objective.toPrecision(4))}` });
      await page.waitForFunction(() => (document.getElementById('big') as HTMLImageElement).naturalWidth === 32);
      const box = await page.locator('#big').boundingBox();
      expect(box!.width).toBeGreaterThan(300); // enlarged from the 32-px thumbnail
      await page.keyboard.press('ArrowRight');
      expect(await page.getAttribute('#big', 'src')).toBe('channels/0004.png');
      await page.keyboard.press('Escape');
      expect(await page.evaluate(() => getComputedStyle(document.getElementById('viewer')!).display)).toBe('none');
    } finally {
      await browser.close();
    }
  });
});

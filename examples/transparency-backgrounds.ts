/**
 * Experiment 1 of Lucid's "semi-transparent feature visualization" notebook: an RGBA feature
 * visualization composited over different backgrounds — random, adversarial (optimized against
 * the unit) or allied (optimized for it).
 *
 * Parts (`--part`, default `opening,test,grid`):
 * - `opening`: the notebook's first run ("Let's make sure these two work together"): w = 256,
 *   `jitter_n` 1, a pure-noise allied background (noise ratio 1, decay 1.5, base sd 0.4) and its
 *   own transforms (jitter 8 ×3, random scale 0.95/0.98/1/1.02/1.05, jitter 8), on the first unit;
 * - `test`: the notebook's `test()` on each unit: its 7 backgrounds in its order with its exact
 *   `make_bg_func` arguments, objective `channel(batch 0) ∓ channel(batch 1)` (− adversarial,
 *   + allied) + `1e4 · −(mean α − 0.25)²`, 128 px, 512 steps, `jitter_n` 2, standard transforms,
 *   Adam 0.05, no ReLU gradient override (`make_vis_T`);
 * - `grid`: the notebook's `image_sample` grid (decorrelate false/true × decay power 1, 1.5, 2 ×
 *   10 standard deviations `20^(1−decay)·n/20`, 64 px);
 * - `search`: how the default units were chosen (not in the notebook): each `--units` candidate at
 *   64 px / 128 steps (or `--size` / `--steps`) on the allied colour background, scored by how
 *   concentrated the final alpha is.
 *
 * Every finished foreground is also measured (not in the notebook): its unit's activation over 16
 * fresh random backgrounds with its alpha, against the same with the alpha shuffled spatially.
 *
 * Writes (to `--out`, default examples/output): `transparency-<unit>.png` (7 rows: foreground on
 * white | background), `transparency-<unit>-<background>.png` per row, `transparency-opening.png`,
 * `transparency-image-sample.png`, and one JSON line per run in `transparency-results.jsonl`.
 *
 *   npm run example:transparency-backgrounds -- --part test --units block_13_expand_BN:100
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { io, param, transform, type ImageArray, type VisModel } from 'tfjs-optvis/node';
import { initBackend, openModel, parseExampleArgs, run, save, usageError, type ExampleOptions } from './lib/common';
import {
  TEST_BACKGROUNDS,
  alphaConcentration,
  alphaExperiment,
  alphaMean,
  alphaMeaning,
  meaningText,
  notebookRow,
  parseUnits,
  unitName,
  type ExperimentSettings,
  type Unit,
} from './lib/transparency';
import { INCEPTION_V3_UNITS, MOBILENET_V2_UNITS, searchCandidatesFor, TRANSPARENCY_MODEL, unitsFor } from './lib/units';

const HELP =
  'transparency-backgrounds: experiment 1 of the semi-transparent feature visualization notebook\n' +
  '(7 backgrounds per unit, the opening w=256 run, the image_sample grid)';

const PARTS = ['opening', 'test', 'grid', 'search'] as const;
type Part = (typeof PARTS)[number];

const slug = (u: Unit): string => `${u.layer}-${u.n}`;

async function record(opts: ExampleOptions, entry: Record<string, unknown>): Promise<void> {
  await fs.mkdir(opts.out, { recursive: true });
  await fs.appendFile(path.join(opts.out, 'transparency-results.jsonl'), `${JSON.stringify(entry)}\n`);
}

async function testUnit(vm: VisModel, unit: Unit, opts: ExampleOptions, settings: Omit<ExperimentSettings, 'seed'>, only?: readonly number[]): Promise<void> {
  process.stdout.write(`\n== test("${unit.layer}", ${unit.n}) — ${settings.w} px, ${settings.steps} steps ==\n`);
  const rows: ImageArray[] = [];
  for (const [i, bg] of TEST_BACKGROUNDS.entries()) {
    // Each background's seed depends on its place in the list only, so a subset renders the same images.
    if (only !== undefined && !only.includes(i + 1)) continue;
    const r = await alphaExperiment(vm, unit, bg, { ...settings, seed: opts.seed + i });
    const m = alphaMeaning(vm, unit, r.rgba, 0, 'channel', opts.seed + 100 + i);
    const conc = alphaConcentration(r.rgba);
    process.stdout.write(
      `${bg.title}: ${r.seconds.toFixed(1)} s, objective ${r.loss.toFixed(3)}, mean alpha ${alphaMean(r.rgba).toFixed(3)}, ` +
        `alpha concentration ${conc.toFixed(3)}\n  ${meaningText(m)}\n`,
    );
    const row = notebookRow(r);
    rows.push(row);
    await save(opts, `transparency-${slug(unit)}-${bg.key}.png`, row);
    await record(opts, {
      experiment: 1, unit: unitName(unit), background: bg.key, title: bg.title, w: settings.w, steps: settings.steps,
      seconds: r.seconds, objective: r.loss, alphaMean: alphaMean(r.rgba), concentration: conc, meaning: m,
    });
  }
  if (rows.length === TEST_BACKGROUNDS.length) await save(opts, `transparency-${slug(unit)}.png`, io.vstack(rows, { padding: 4, background: [1] }));
}

async function opening(vm: VisModel, unit: Unit, opts: ExampleOptions): Promise<void> {
  const w = opts.quick ? 2 * opts.size : 256;
  process.stdout.write(`\n== opening run on ${unitName(unit)} — ${w} px, ${opts.steps} steps ==\n`);
  const r = await alphaExperiment(
    vm,
    unit,
    {
      title: 'Noise background (allied), the opening run',
      key: 'opening',
      adversarial: false,
      options: { noiseRatio: 1.0, decayPower: 1.5, baseSd: 0.4, decorrelate: true },
    },
    {
      w,
      steps: opts.steps,
      jitterN: 1,
      alphaLossCoef: 1e4,
      transforms: [transform.jitter(8), transform.jitter(8), transform.jitter(8), transform.randomScale([0.95, 0.98, 1.0, 1.02, 1.05]), transform.jitter(8)],
      seed: opts.seed,
    },
  );
  const m = alphaMeaning(vm, unit, r.rgba, 0, 'channel', opts.seed + 99);
  process.stdout.write(`opening: ${r.seconds.toFixed(1)} s, objective ${r.loss.toFixed(3)}, mean alpha ${alphaMean(r.rgba).toFixed(3)}\n  ${meaningText(m)}\n`);
  await save(opts, 'transparency-opening.png', notebookRow(r));
  await record(opts, {
    experiment: 'opening', unit: unitName(unit), background: 'noise', w, steps: opts.steps, seconds: r.seconds, objective: r.loss,
    alphaMean: alphaMean(r.rgba), concentration: alphaConcentration(r.rgba), meaning: m,
  });
}

async function grid(opts: ExampleOptions): Promise<void> {
  const w = opts.quick ? 16 : 64;
  const rows: ImageArray[] = [];
  for (const decorrelate of [false, true]) {
    for (const decayPower of [1, 1.5, 2]) {
      const reg = 20 ** (1 - decayPower);
      const images: ImageArray[] = [];
      for (let n = 0; n < 10; n++) {
        const sample = param.imageSample([1, w, w, 3], { sd: (reg * n) / 20, decayPower, decorrelate, seed: opts.seed + n });
        const t = sample.image();
        images.push({ shape: [...t.shape], data: new Float32Array(t.dataSync()) });
        t.dispose();
        sample.dispose();
      }
      rows.push(io.hstack(images, { padding: 2, background: [1] }));
    }
  }
  process.stdout.write('image_sample grid: rows = decorrelate false (decay 1, 1.5, 2), then true; columns sd = 20^(1-decay)·n/20, n = 0..9\n');
  await save(opts, 'transparency-image-sample.png', io.vstack(rows, { padding: 2, background: [1] }));
}

async function search(vm: VisModel, units: readonly Unit[], opts: ExampleOptions): Promise<void> {
  const allied = TEST_BACKGROUNDS.find((b) => b.key === 'allied-color');
  if (!allied) throw new Error('no allied colour background');
  // 64 px (96 on InceptionV3, whose stem needs at least 75) / 128 steps unless --size / --steps are given.
  const w = opts.quick || process.argv.includes('--size') ? opts.size : opts.model === 'inception-v3' ? 96 : 64;
  const steps = opts.quick || process.argv.includes('--steps') ? opts.steps : 128;
  process.stdout.write(`\n== unit search: allied colour background, ${w} px, ${steps} steps ==\n`);
  const rows: ImageArray[] = [];
  for (const unit of units) {
    const r = await alphaExperiment(vm, unit, allied, { w, steps, jitterN: 2, alphaLossCoef: 1e4, seed: opts.seed });
    const conc = alphaConcentration(r.rgba);
    const m = alphaMeaning(vm, unit, r.rgba, 0, 'channel', opts.seed + 7);
    process.stdout.write(`${unitName(unit).padEnd(26)} concentration ${conc.toFixed(3)}  mean alpha ${alphaMean(r.rgba).toFixed(3)}  ${r.seconds.toFixed(1)} s\n  ${meaningText(m)}\n`);
    await record(opts, { experiment: 'search', unit: unitName(unit), w, steps, seconds: r.seconds, concentration: conc, alphaMean: alphaMean(r.rgba), meaning: m });
    rows.push(notebookRow(r));
  }
  await save(opts, 'transparency-unit-search.png', io.vstack(rows, { padding: 4, background: [1] }));
}

run(async () => {
  const first = INCEPTION_V3_UNITS[0];
  const opts = parseExampleArgs(
    'transparency-backgrounds',
    HELP,
    { model: TRANSPARENCY_MODEL, layer: first.layer, channel: first.n, steps: 512, size: 128, quick: { steps: 1, size: 80 } },
    [
      { name: 'units', help: `layer:n[,layer:n...] (default ${INCEPTION_V3_UNITS.map(unitName).join(',')}; with --model mobilenet-v2 ${MOBILENET_V2_UNITS.map(unitName).join(',')}; --layer/--channel = one unit)` },
      { name: 'backgrounds', help: `test() only: comma-separated background numbers 1-${TEST_BACKGROUNDS.length} in the notebook's order (default all)` },
      { name: 'part', help: `comma-separated parts: ${PARTS.join(', ')} (default opening,test,grid)` },
    ],
  );
  const partText = opts.extra.part ?? 'opening,test,grid';
  const parts = partText.split(',') as Part[];
  for (const p of parts) if (!PARTS.includes(p)) usageError('transparency-backgrounds', `--part must list ${PARTS.join(', ')}, but got ${JSON.stringify(p)}.`);
  const only = opts.extra.backgrounds?.split(',').map(Number);
  if (only?.some((b) => !Number.isInteger(b) || b < 1 || b > TEST_BACKGROUNDS.length)) {
    usageError('transparency-backgrounds', `--backgrounds must list numbers 1-${TEST_BACKGROUNDS.length}, but got ${JSON.stringify(opts.extra.backgrounds)}.`);
  }
  let units: Unit[];
  try {
    if (opts.extra.units !== undefined) units = parseUnits(opts.extra.units);
    else if (process.argv.includes('--layer') || process.argv.includes('--channel')) units = [{ layer: opts.layer, n: opts.channel }];
    else units = parts.includes('search') ? [...searchCandidatesFor(opts.model)] : opts.quick ? [unitsFor(opts.model)[0]] : [...unitsFor(opts.model)];
  } catch (e) {
    usageError('transparency-backgrounds', (e as Error).message);
  }
  await initBackend(opts);
  if (parts.includes('grid')) await grid(opts);
  const needsModel = parts.some((p) => p !== 'grid');
  if (!needsModel) return;
  const vm = await openModel(opts);
  try {
    if (parts.includes('search')) await search(vm, units, opts);
    if (parts.includes('opening')) await opening(vm, units[0], opts);
    if (parts.includes('test')) {
      for (const unit of units) {
        await testUnit(vm, unit, opts, { w: opts.size, steps: opts.steps, jitterN: 2, alphaLossCoef: 1e4 }, only);
      }
    }
  } finally {
    vm.dispose();
  }
});

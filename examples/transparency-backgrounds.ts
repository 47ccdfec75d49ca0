/**
 * Transparency against backgrounds: what does a semi-transparent feature visualization look like
 * when the background it is composited over is an enemy, a friend, or noise?
 *
 * An RGBA image (`param.image(size, {alpha: true})`) is composited over a background. The batch
 * holds two copies of the composite, split with `stopGradient`:
 *   item 0 = α·rgb + (1 − α)·sg(background)   — the foreground learns against a frozen background,
 *   item 1 = sg(α)·sg(rgb) + (1 − sg(α))·background — the background learns under a frozen foreground.
 * The objective is `channel(batch 0) ∓ channel(batch 1)`: "adversarial" backgrounds minimise the
 * channel (−), "allied" ones maximise it too (+), plus the alpha-mean penalty
 * `1e4 · −(mean α − 0.25)²` that keeps a quarter of the image opaque. Each step, rgb, alpha and the
 * background are jittered independently (a few pixels), so the foreground cannot rely on an exact
 * alignment with the background, then Lucid's standard transforms are applied and alpha is dropped
 * before the model.
 *
 * Seven backgrounds, one optimization each (rows of the output, top to bottom):
 *   1. adversarial image, full (aligned with the foreground)
 *   2. adversarial image, random offset (a larger image, cropped at a random offset each step)
 *   3. adversarial colour (one optimized colour)
 *   4. noise (a fresh `param.imageSample` every step; nothing to optimize)
 *   5. allied colour
 *   6. allied image, random offset
 *   7. allied image, full
 * Each row: the foreground composited on white, then the background.
 *
 * Settings: 64 px and 48 steps by default on the embedded MobileNetV2 (7 runs of a batch of 2).
 * The settings of Lucid's transparency notebooks are 320 px (cropped to 160) and 1000 steps;
 * `--size 128 --steps 512` already gives clean results.
 *
 *   npm run example:transparency-backgrounds -- --layer block_10_expand_relu --channel 50
 */
import * as tf from '@tensorflow/tfjs-core';
import { hstack, vstack } from '../src/io/index';
import type { ImageArray } from '../src/io/types';
import type { VisModel } from '../src/model/types';
import { channel, type Objective } from '../src/objectives/index';
import { Rng } from '../src/ops/random';
import { stopGradient } from '../src/ops/stopGradient';
import { custom, image, imageSample } from '../src/param/index';
import type { Param } from '../src/param/types';
import { visSession } from '../src/render/index';
import { jitter, standardTransforms } from '../src/transform/index';
import { openModel, parseExampleArgs, run, runSteps, save, type ExampleOptions } from './lib/common';
import { alphaMeanPenalty, dropAlpha, over, splitRgba } from './lib/transparency';

const HELP =
  'transparency-backgrounds: an RGBA visualization optimized over 7 kinds of background (adversarial,\n' +
  'noise, allied); writes examples/output/transparency-backgrounds.png (one row per background:\n' +
  'foreground on white | background)';

/** Pixels of the independent jitter of rgb, alpha and background. */
const PART_JITTER = 4;
/** How much larger the random-offset backgrounds are than the image. */
const OFFSET_MARGIN = 0.5;

type Kind = 'image' | 'offset' | 'colour' | 'noise';
interface Background {
  readonly label: string;
  readonly kind: Kind;
  /** −1 adversarial, +1 allied, 0 not optimized. */
  readonly sign: -1 | 0 | 1;
}

const BACKGROUNDS: readonly Background[] = [
  { label: 'adversarial image (full)', kind: 'image', sign: -1 },
  { label: 'adversarial image (random offset)', kind: 'offset', sign: -1 },
  { label: 'adversarial colour', kind: 'colour', sign: -1 },
  { label: 'noise', kind: 'noise', sign: 0 },
  { label: 'allied colour', kind: 'colour', sign: 1 },
  { label: 'allied image (random offset)', kind: 'offset', sign: 1 },
  { label: 'allied image (full)', kind: 'image', sign: 1 },
];

/** The background's own param: an image, a larger image, a single colour, or noise. */
function backgroundParam(kind: Kind, size: number, seed: number): Param {
  switch (kind) {
    case 'image':
      return image(size, { seed });
    case 'offset':
      return image(Math.round(size * (1 + OFFSET_MARGIN)), { seed });
    case 'colour':
      return image(1, { fft: false, seed });
    case 'noise':
      return imageSample([1, size, size, 3], { sd: 0.2, decayPower: 1.5, seed });
  }
}

/** The composite param: batch of 2 split by stopGradient, jittered parts, alpha as channel 3. */
function compositeParam(bg: Background, size: number, seed: number): Param {
  const rng = new Rng(seed + 1000);
  const fg = image(size, { alpha: true, seed });
  const back = backgroundParam(bg.kind, size, seed + 1);
  const j = jitter(PART_JITTER);
  return custom([fg, back], ([rgba, b]) => {
    let full: tf.Tensor4D = b;
    // Broadcasting (not tf.tile, whose gradient is one slice per repetition) spreads the colour.
    if (bg.kind === 'colour') full = tf.add(tf.zeros([1, size, size, 3]), b) as tf.Tensor4D;
    if (bg.kind === 'offset') {
      const m = b.shape[1] - size;
      full = tf.slice(b, [0, rng.intBetween(0, m), rng.intBetween(0, m), 0], [1, size, size, 3]);
    }
    const [rgb, alpha] = splitRgba(rgba);
    const rgbJ = j(rgb, rng);
    const alphaJ = j(alpha, rng);
    const backJ = j(full, rng);
    const fgItem = tf.concat([over(rgbJ, alphaJ, stopGradient(backJ)), alphaJ], 3);
    const frozenAlpha = stopGradient(alphaJ);
    const bgItem = tf.concat([over(stopGradient(rgbJ), frozenAlpha, backJ), frozenAlpha], 3);
    return {
      image: tf.concat([fgItem, bgItem], 0) as tf.Tensor4D,
      onWhite: over(rgb, alpha, 1),
      background: bg.kind === 'offset' ? tf.slice(b, [0, 0, 0, 0], [1, size, size, 3]) : full,
    };
  });
}

function toArray(t: tf.Tensor): ImageArray {
  return { shape: [...t.shape], data: new Float32Array(t.dataSync()) };
}

async function renderRow(vm: VisModel, bg: Background, opts: ExampleOptions, index: number): Promise<ImageArray> {
  const c0 = channel(opts.layer, opts.channel, { batch: 0 });
  const c1 = channel(opts.layer, opts.channel, { batch: 1 });
  let objective: Objective = bg.sign === 0 ? c0 : bg.sign > 0 ? c0.add(c1) : c0.sub(c1);
  objective = objective.add(alphaMeanPenalty(0.25, 1e4, 0));
  const param = compositeParam(bg, opts.size, opts.seed + 10 * index);
  const session = visSession(vm, objective, {
    param,
    transforms: [...standardTransforms(), dropAlpha],
    reluGradientOverride: true,
    seed: opts.seed,
  });
  try {
    const { loss, stepsPerSecond } = await runSteps(session, opts.steps);
    process.stdout.write(`${bg.label.padEnd(34)} loss ${loss.toFixed(3)}  (${stepsPerSecond.toFixed(2)} steps/s)\n`);
    const onWhite = session.evaluate('onWhite');
    const background = session.evaluate('background');
    try {
      return hstack([toArray(onWhite), toArray(background)], { padding: 2, background: [1] });
    } finally {
      tf.dispose([onWhite, background]);
    }
  } finally {
    session.dispose();
    param.dispose();
  }
}

run(async () => {
  const opts = parseExampleArgs('transparency-backgrounds', HELP, { layer: 'block_10_expand_relu', channel: 50, steps: 48, size: 64 });
  const vm = await openModel(opts);
  try {
    process.stdout.write(`objective per row: channel(${opts.layer}:${opts.channel}, batch 0) ∓ channel(batch 1) + alpha penalty\n`);
    const rows: ImageArray[] = [];
    for (const [i, bg] of BACKGROUNDS.entries()) rows.push(await renderRow(vm, bg, opts, i));
    await save('transparency-backgrounds.png', vstack(rows, { padding: 4, background: [1] }));
  } finally {
    vm.dispose();
  }
});

/**
 * Transparency with a shared parameterization: eight semi-transparent foregrounds, each composited
 * over its own background, whose parameterization is partly shared.
 *
 * Each foreground is `unique_i + coef · shared`, where `unique_i` is its own FFT image (RGBA) and
 * `shared` is a sum of low-resolution tensors (1/2, 1/4 and 1/8 of the size) common to all eight
 * (Lucid's "aligned" trick from the interpolation experiments); colours are decorrelated and
 * sigmoid-squashed, alpha is a sigmoid. The objective is the channel on every composite plus the
 * alpha-mean penalty `1e4 · −(mean α − 0.25)²`; rgb, alpha and backgrounds are jittered
 * independently, then Lucid's standard transforms are applied.
 *
 * With `coef = 0` every foreground adapts to its own background; with `coef = 1` the shared part
 * pulls them towards one common image, so whatever differs between them is what each background
 * demands. Backgrounds: black, white, grey, a saturated colour and four `param.imageSample` noises.
 *
 * Output rows (top to bottom): the eight backgrounds, then for `coef` = 0, 0.5 and 1 two rows: the
 * eight foregrounds on white, and each composited over its own background.
 *
 * Settings: 48 px, 48 steps by default on the embedded MobileNetV2 (3 runs of a batch of 8).
 * Lucid-scale settings are `--size 128 --steps 512` (several minutes per run on 2 cores).
 *
 *   npm run example:transparency-shared -- --layer block_10_expand_relu --channel 50
 */
import * as tf from '@tensorflow/tfjs-core';
import { hstack, vstack } from '../src/io/index';
import type { ImageArray } from '../src/io/types';
import type { VisModel } from '../src/model/types';
import { channel } from '../src/objectives/index';
import { Rng } from '../src/ops/random';
import { custom, fftImage, imageSample, lowresTensor, toValidRgb } from '../src/param/index';
import type { Param } from '../src/param/types';
import { visSession } from '../src/render/index';
import { jitter, standardTransforms } from '../src/transform/index';
import { openModel, parseExampleArgs, run, runSteps, save, type ExampleOptions } from './lib/common';
import { alphaMeanPenalty, dropAlpha, over, splitRgba } from './lib/transparency';

const HELP =
  'transparency-shared: 8 RGBA foregrounds over 8 backgrounds with a shared low-resolution\n' +
  'parameterization (coef 0, 0.5, 1); writes examples/output/transparency-shared.png';

/** Weights of the shared part, one run each (the experiment's `sharedParamCoef`). */
const SHARED_PARAM_COEFS = [0, 0.5, 1] as const;
/** Number of foreground/background pairs. */
const COUNT = 8;
/** Pixels of the independent jitter of rgb, alpha and background. */
const PART_JITTER = 4;

/** Eight fixed backgrounds `[8, size, size, 3]`: four flat colours, four noise samples. The caller owns it. */
function makeBackgrounds(size: number, seed: number): tf.Tensor4D {
  const colours = [
    [0, 0, 0],
    [1, 1, 1],
    [0.5, 0.5, 0.5],
    [0.9, 0.2, 0.1],
  ];
  const noise = imageSample([4, size, size, 3], { sd: 0.2, decayPower: 1.5, seed });
  try {
    return tf.tidy(() => {
      const flat = tf.mul(tf.ones([4, size, size, 3]), tf.tensor4d(colours.flat(), [4, 1, 1, 3]));
      return tf.concat([flat, noise.image()], 0) as tf.Tensor4D;
    });
  } finally {
    noise.dispose();
  }
}

/** `toValidRgb(unique + coef · Σ lowres)` for RGBA, composited over `backgrounds` with jittered parts. */
function sharedParam(size: number, coef: number, backgrounds: tf.Tensor4D, seed: number): Param {
  const shape = [COUNT, size, size, 4];
  const lowres = (div: number, k: number) => {
    const s = Math.max(1, Math.floor(size / div));
    return lowresTensor(shape, [1, s, s, 4], { seed: seed + k });
  };
  const rng = new Rng(seed + 1000);
  const j = jitter(PART_JITTER);
  return custom([fftImage(shape, { seed }), lowres(2, 1), lowres(4, 2), lowres(8, 3)], ([unique, ...shared]) => {
    const raw = tf.add(unique, tf.mul(tf.addN(shared), coef)) as tf.Tensor4D;
    const [rawRgb, rawAlpha] = splitRgba(raw);
    const rgb = toValidRgb(rawRgb, { decorrelate: true });
    const alpha = tf.sigmoid(rawAlpha);
    const alphaJ = j(alpha, rng);
    const composite = over(j(rgb, rng), alphaJ, j(backgrounds, rng));
    return {
      image: tf.concat([composite, alphaJ], 3) as tf.Tensor4D,
      onWhite: over(rgb, alpha, 1),
      onBackground: over(rgb, alpha, backgrounds),
    };
  });
}

async function renderRow(vm: VisModel, coef: number, backgrounds: tf.Tensor4D, opts: ExampleOptions): Promise<ImageArray> {
  const objective = channel(opts.layer, opts.channel).add(alphaMeanPenalty(0.25, 1e4));
  const param = sharedParam(opts.size, coef, backgrounds, opts.seed);
  const session = visSession(vm, objective, {
    param,
    transforms: [...standardTransforms(), dropAlpha],
    reluGradientOverride: true,
    seed: opts.seed,
  });
  try {
    const { loss, stepsPerSecond } = await runSteps(session, opts.steps);
    process.stdout.write(`sharedParamCoef ${coef.toFixed(1)}  loss ${loss.toFixed(3)}  (${stepsPerSecond.toFixed(2)} steps/s)\n`);
    const onWhite = session.evaluate('onWhite');
    const onBackground = session.evaluate('onBackground');
    try {
      const row = (t: tf.Tensor) => hstack([{ shape: [...t.shape], data: new Float32Array(t.dataSync()) }], { padding: 2, background: [1] });
      return vstack([row(onWhite), row(onBackground)], { padding: 2, background: [1] });
    } finally {
      tf.dispose([onWhite, onBackground]);
    }
  } finally {
    session.dispose();
    param.dispose();
  }
}

run(async () => {
  const opts = parseExampleArgs('transparency-shared', HELP, { layer: 'block_10_expand_relu', channel: 50, steps: 48, size: 48 });
  const vm = await openModel(opts);
  const backgrounds = makeBackgrounds(opts.size, opts.seed + 7);
  try {
    const rows: ImageArray[] = [hstack([backgrounds], { padding: 2, background: [1] })];
    for (const coef of SHARED_PARAM_COEFS) rows.push(await renderRow(vm, coef, backgrounds, opts));
    await save('transparency-shared.png', vstack(rows, { padding: 6, background: [1] }));
  } finally {
    backgrounds.dispose();
    vm.dispose();
  }
});

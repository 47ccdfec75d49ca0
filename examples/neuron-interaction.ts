/**
 * Interaction between neurons (Lucid's `notebooks/feature-visualization/neuron_interaction.ipynb`,
 * "Feature Visualization", section "Interaction between Neurons"):
 *  1. two channels alone and their sum (`C(n1) + C(n2)`): the sum is a blend, not a juxtaposition;
 *  2. a random direction in the layer's activation space;
 *  3. an aligned interpolation from channel n1 to channel n2 over 6 frames, with a parameterization
 *     shared across the frames (a per-frame FFT image plus six low-resolution tensors common to
 *     all frames or to halves of them), so that neighbouring frames stay visually aligned.
 *
 * Lucid:   128 px, 512 steps for each render, standard transforms; neuron1 = mixed4b_pre_relu:111,
 *          neuron2 = mixed4a_pre_relu:476.
 * Here:    the embedded MobileNetV2, neuron1 = `--layer`:`--channel`, neuron2 = the same layer,
 *          channel `(channel + depth/3) mod depth`; 64 px and 64 steps by default (the interpolation
 *          is a batch of 6). Lucid's full settings are `--size 128 --steps 512`.
 *
 *   npm run example:neuron-interaction -- --layer block_10_expand_relu --channel 50
 */
import * as tf from '@tensorflow/tfjs-core';
import { io, objectives, param, renderVis, Rng, type ImageArray, type Objective, type Param, type VisModel } from 'tfjs-optvis/node';
import { openModel, parseExampleArgs, progress, run, save, type ExampleOptions } from './lib/common';

const HELP =
  'neuron-interaction: two channels, their sum, a random direction and an aligned interpolation;\n' +
  'writes examples/output/neuron-interaction.png and examples/output/neuron-interaction-interpolation.png';

/** Frames of Lucid's aligned interpolation. */
const FRAMES = 6;

/** Lucid's `interpolate_param_f`: unique FFT image per frame + shared low-resolution tensors. */
function interpolationParam(size: number, seed: number): Param {
  const shape = [FRAMES, size, size, 3];
  const low = (b: number, div: number, k: number) =>
    param.lowresTensor(shape, [b, Math.max(1, Math.floor(size / div)), Math.max(1, Math.floor(size / div)), 3], { seed: seed + k });
  const unique = param.fftImage(shape, { seed });
  const shared = [low(1, 2, 1), low(1, 4, 2), low(1, 8, 3), low(2, 8, 4), low(1, 16, 5), low(2, 16, 6)];
  return param.custom([unique, ...shared], ([u, ...s]) => param.toValidRgb(tf.addN([u, ...s]) as tf.Tensor4D, { decorrelate: true }));
}

async function render(vm: VisModel, objective: Objective, p: Param, opts: ExampleOptions, label: string): Promise<ImageArray> {
  try {
    const { images } = await renderVis(vm, objective, { param: p, thresholds: [opts.steps - 1], seed: opts.seed, onProgress: progress(label) });
    return images[0];
  } finally {
    p.dispose();
  }
}

run(async () => {
  const opts = parseExampleArgs('neuron-interaction', HELP, { layer: 'block_10_expand_relu', channel: 50, steps: 64, size: 64, quick: { steps: 1, size: 32 } });
  const vm = await openModel(opts);
  try {
    const depth = vm.layer(opts.layer).depth;
    if (depth === null) throw new Error(`layer ${opts.layer} has an unknown number of channels`);
    const n1 = opts.channel;
    const n2 = (opts.channel + Math.floor(depth / 3)) % depth;
    const C = (n: number) => objectives.channel(opts.layer, n);
    const img = () => param.image(opts.size, { seed: opts.seed });

    const row: ImageArray[] = [];
    row.push(await render(vm, C(n1), img(), opts, `channel ${n1}`));
    row.push(await render(vm, C(n2), img(), opts, `channel ${n2}`));
    row.push(await render(vm, C(n1).add(C(n2)), img(), opts, `channel ${n1} + channel ${n2}`));
    // A random direction (Lucid: np.random.randn(528)); seeded here.
    const rng = new Rng(opts.seed);
    const vec = Array.from({ length: depth }, () => rng.normal());
    row.push(await render(vm, objectives.direction(opts.layer, vec), img(), opts, 'random direction'));
    await save(opts, 'neuron-interaction.png', io.hstack(row, { padding: 4, background: [1] }));

    const frames = await render(
      vm,
      objectives.channelInterpolate(opts.layer, n1, opts.layer, n2),
      interpolationParam(opts.size, opts.seed),
      opts,
      'aligned interpolation',
    );
    await save(opts, 'neuron-interaction-interpolation.png', io.hstack([frames], { padding: 4, background: [1] }));
  } finally {
    vm.dispose();
  }
});

/**
 * Quickstart: visualize one channel with Lucid's defaults (Lucid's tutorial, first cell:
 * `render.render_vis(model, "mixed4a_pre_relu:476")`).
 *
 * Defaults here: 128 px, 256 steps on the embedded MobileNetV2. Lucid's full settings are
 * 128 px and 512 steps (`--steps 512`); everything else — the decorrelated FFT image,
 * the standard transforms, Adam(0.05), the redirected ReLU gradient — is already Lucid's default.
 *
 *   npm run example:quickstart -- --layer block_6_expand_relu --channel 40
 */
import { DEFAULT_TARGET, param, renderVis } from 'tfjs-optvis/node';
import { openModel, parseExampleArgs, progress, run, save } from './lib/common';

const HELP = 'quickstart: render one channel with Lucid\'s default settings; writes examples/output/quickstart.png';

run(async () => {
  const opts = parseExampleArgs('quickstart', HELP, { ...DEFAULT_TARGET, steps: 256, size: 128, quick: { steps: 2, size: 32 } });
  const vm = await openModel(opts);
  // Lucid's default param (a decorrelated FFT image); we pass it only to choose the size and seed.
  // A param we pass stays ours: we dispose it.
  const p = param.image(opts.size, { seed: opts.seed });
  try {
    const objective = `${opts.layer}:${opts.channel}`;
    const { images, losses } = await renderVis(vm, objective, {
      param: p,
      thresholds: [opts.steps - 1],
      seed: opts.seed,
      onProgress: progress(objective),
    });
    process.stdout.write(`final loss ${losses[losses.length - 1].toFixed(4)}\n`);
    await save(opts, 'quickstart.png', images[0]);
  } finally {
    p.dispose();
    vm.dispose();
  }
});

/**
 * Diversity: four different images of one channel, pushed apart by a penalty on the similarity of
 * their Gram matrices (Lucid's `notebooks/feature-visualization/neuron_diversity.ipynb`,
 * "Feature Visualization", section "Diversity").
 *
 * Lucid:   param.image(128, batch=4);
 *          objectives.channel("mixed5a_pre_relu", 9) - 1e2 * objectives.diversity("mixed5a")
 *          render_vis(...) with 512 steps.
 * Here:    the same objective on the embedded MobileNetV2, 80 px and 96 steps by default; Lucid's
 *          full settings are `--size 128 --steps 512`.
 *
 *   npm run example:diversity -- --layer block_13_expand_relu --channel 100
 */
import { io, objectives, param, renderVis } from 'tfjs-optvis/node';
import { openModel, parseExampleArgs, progress, run, save } from './lib/common';

const HELP =
  'diversity: a batch of 4 images of one channel with Lucid\'s diversity penalty (weight 1e2);\n' +
  'writes examples/output/diversity.png (the 4 images side by side)';

/** Lucid's weight of the diversity penalty. */
const DIVERSITY_WEIGHT = 1e2;
/** Lucid's batch size. */
const BATCH = 4;

run(async () => {
  const opts = parseExampleArgs('diversity', HELP, { layer: 'block_13_expand_relu', channel: 100, steps: 96, size: 80, quick: { steps: 2, size: 32 } });
  const vm = await openModel(opts);
  const p = param.image(opts.size, { batch: BATCH, seed: opts.seed });
  try {
    const objective = objectives.channel(opts.layer, opts.channel).sub(objectives.diversity(opts.layer).mul(DIVERSITY_WEIGHT));
    process.stdout.write(`objective: ${objective.description}\n`);
    const { images } = await renderVis(vm, objective, {
      param: p,
      thresholds: [opts.steps - 1],
      seed: opts.seed,
      onProgress: progress('diversity'),
    });
    await save(opts, 'diversity.png', io.hstack([images[0]], { padding: 4, background: [1] }));
  } finally {
    p.dispose();
    vm.dispose();
  }
});

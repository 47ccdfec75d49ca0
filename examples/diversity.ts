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
import { channel, diversity } from '../src/objectives/index';
import { image } from '../src/param/index';
import { renderVis } from '../src/render/index';
import { hstack } from '../src/io/index';
import { openModel, parseExampleArgs, progress, run, save } from './lib/common';

const HELP =
  'diversity: a batch of 4 images of one channel with Lucid\'s diversity penalty (weight 1e2);\n' +
  'writes examples/output/diversity.png (the 4 images side by side)';

/** Lucid's weight of the diversity penalty. */
const DIVERSITY_WEIGHT = 1e2;
/** Lucid's batch size. */
const BATCH = 4;

run(async () => {
  const opts = parseExampleArgs('diversity', HELP, { layer: 'block_13_expand_relu', channel: 100, steps: 96, size: 80 });
  const vm = await openModel(opts);
  const param = image(opts.size, { batch: BATCH, seed: opts.seed });
  try {
    const objective = channel(opts.layer, opts.channel).sub(diversity(opts.layer).mul(DIVERSITY_WEIGHT));
    process.stdout.write(`objective: ${objective.description}\n`);
    const { images } = await renderVis(vm, objective, {
      param,
      thresholds: [opts.steps - 1],
      seed: opts.seed,
      onProgress: progress('diversity'),
    });
    await save('diversity.png', hstack([images[0]], { padding: 4, background: [1] }));
  } finally {
    param.dispose();
    vm.dispose();
  }
});

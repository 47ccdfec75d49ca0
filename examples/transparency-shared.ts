/**
 * Experiment 2 of Lucid's "semi-transparent feature visualization" notebook (`alpha_experiment_2`):
 * eight RGBA foregrounds, one per background of the notebook's `bg_list` (5 adversarial, 3 allied),
 * optimized in one batch of 16 with a partly shared parameterization so that they stay aligned.
 *
 * Each foreground is `sharedParamCoef · shared + ownₙ`, where every part is
 * `Σ_{k ∈ 1,2,4,8} lowres([w, w, 4] from [w/k, w/k, 4]) / 4` (`transparency.sharedForegrounds`);
 * rgb through `toValidRgb(decorrelate)`, alpha through a sigmoid. Pair n is composited with the
 * stop-gradient split (`transparency.composite`, `jitter_n` 2); objective per pair
 * `neuron(batch 2n) + sign · (neuron(batch 2n+1) + channel(batch 2n+1))` (sign −1 for adversarial
 * backgrounds) plus `1e4 · Σₙ −(mean αₙ − 0.25)²`; 128 px, 512 steps, standard transforms, Adam
 * 0.05, no ReLU gradient override.
 *
 * The notebook's five runs (`--runs`, default all): unit 2 with sharedParamCoef 0 and 0.5; unit 3
 * with 0.5, 0 and 1 (units 2 and 3 of `--units`, in the roles of the notebook's
 * mixed4b_pool_reduce_pre_relu:16 and mixed4d_pre_relu:426).
 *
 * Writes `transparency-shared-<run>.png` per run: three rows of eight, as the notebook shows them —
 * the composites the model saw (item 2n), the foregrounds on white, the backgrounds — and one JSON
 * line per run in `transparency-results.jsonl`. Every foreground is also measured: its neuron's
 * activation over 16 random backgrounds with its alpha vs the alpha shuffled.
 *
 *   npm run example:transparency-shared -- --runs 1
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { io, type ImageArray } from 'tfjs-optvis/node';
import { openModel, parseExampleArgs, run, save, usageError } from './lib/common';
import {
  BG_LIST,
  alphaConcentration,
  alphaExperiment2,
  alphaMean,
  alphaMeaning,
  item,
  padTo,
  parseUnits,
  unitName,
  type Unit,
} from './lib/transparency';
import { INCEPTION_V3_UNITS, MOBILENET_V2_UNITS, TRANSPARENCY_MODEL, unitsFor } from './lib/units';

const HELP =
  'transparency-shared: experiment 2 of the semi-transparent feature visualization notebook\n' +
  '(8 foregrounds with a shared parameterization over the 8 backgrounds of bg_list, batch 16)';

/** The notebook's five runs: which of the three units, and shared_param_coef. */
const RUNS: readonly { readonly unit: 1 | 2; readonly coef: number }[] = [
  { unit: 1, coef: 0.0 },
  { unit: 1, coef: 0.5 },
  { unit: 2, coef: 0.5 },
  { unit: 2, coef: 0 },
  { unit: 2, coef: 1 },
];

run(async () => {
  const opts = parseExampleArgs(
    'transparency-shared',
    HELP,
    { model: TRANSPARENCY_MODEL, layer: INCEPTION_V3_UNITS[1].layer, channel: INCEPTION_V3_UNITS[1].n, steps: 512, size: 128, quick: { steps: 1, size: 80 } },
    [
      { name: 'units', help: `three units layer:n,... (default ${INCEPTION_V3_UNITS.map(unitName).join(',')}; with --model mobilenet-v2 ${MOBILENET_V2_UNITS.map(unitName).join(',')}); runs use the 2nd and 3rd` },
      { name: 'runs', help: 'comma-separated run numbers 1-5 (default all, in the notebook order)' },
    ],
  );
  let units: Unit[];
  try {
    units = opts.extra.units !== undefined ? parseUnits(opts.extra.units) : [...unitsFor(opts.model)];
  } catch (e) {
    usageError('transparency-shared', (e as Error).message);
  }
  if (units.length !== 3) usageError('transparency-shared', `--units must list 3 units, but got ${units.length}.`);
  const runs = (opts.extra.runs ?? '1,2,3,4,5').split(',').map(Number);
  for (const r of runs) if (!Number.isInteger(r) || r < 1 || r > 5) usageError('transparency-shared', `--runs must list numbers 1-5, but got ${JSON.stringify(opts.extra.runs)}.`);

  const vm = await openModel(opts);
  try {
    for (const r of runs) {
      const { unit: k, coef } = RUNS[r - 1];
      const unit = units[k];
      process.stdout.write(`\n== run ${r}: alpha_experiment_2("${unit.layer}", ${unit.n}, shared_param_coef=${coef}) — ${opts.size} px, ${opts.steps} steps, batch ${2 * BG_LIST.length} ==\n`);
      const res = await alphaExperiment2(vm, unit, BG_LIST, {
        w: opts.size, steps: opts.steps, jitterN: 2, alphaLossCoef: 1e4, seed: opts.seed + r, sharedParamCoef: coef,
      });
      process.stdout.write(`run ${r}: ${res.seconds.toFixed(1)} s, objective ${res.loss.toFixed(3)}\n`);
      const perBackground = BG_LIST.map((bg, n) => {
        const m = alphaMeaning(vm, unit, res.rgba, n, 'neuron', opts.seed + 200 + n);
        const entry = { background: bg.key, adversarial: bg.adversarial, alphaMean: alphaMean(res.rgba, n), concentration: alphaConcentration(res.rgba, n), meaning: m };
        process.stdout.write(
          `  ${bg.title.padEnd(34)} mean alpha ${entry.alphaMean.toFixed(3)}  concentration ${entry.concentration.toFixed(3)}  ` +
            `neuron over 16 random backgrounds: real ${m.real.toFixed(3)} vs shuffled ${m.shuffled.toFixed(3)} (real wins ${m.wins}/16)\n`,
        );
        return entry;
      });
      const row = (a: ImageArray) => io.hstack(BG_LIST.map((_, n) => item(a, n)), { padding: 2, background: [1] });
      await save(opts, `transparency-shared-${r}.png`, io.vstack([row(padTo(res.composites, opts.size)), row(res.onWhite), row(res.background)], { padding: 4, background: [1] }));
      await fs.mkdir(opts.out, { recursive: true });
      await fs.appendFile(
        path.join(opts.out, 'transparency-results.jsonl'),
        `${JSON.stringify({ experiment: 2, run: r, unit: unitName(unit), sharedParamCoef: coef, w: opts.size, steps: opts.steps, seconds: res.seconds, objective: res.loss, perBackground })}\n`,
      );
    }
  } finally {
    vm.dispose();
  }
});

import * as tf from '@tensorflow/tfjs-core';
import { fail, show } from '../errors';
import { checkFinite, checkOptions } from '../validate';
import { Objective } from '../objectives/objective';

/** Options of {@link alphaPenalty}. */
export interface AlphaPenaltyOptions {
  /** The mean opacity each foreground is pulled toward; default 0.25. */
  readonly target?: number;
  /** The weight of the penalty; default 1e4 (the notebook's `alpha_loss_coef`). */
  readonly weight?: number;
  /** The named param output holding the un-jittered alphas `[N, h, w, 1]`; default `'alpha'` ({@link composite}'s). */
  readonly name?: string;
}

/**
 * The notebook's alpha-mean penalty, one term per foreground:
 * `−weight · Σₙ (mean(αₙ) − target)²` over the un-jittered alphas.
 *
 * Why: without it the cheapest way to win is an opaque foreground that hides the background; with
 * it, each foreground may cover about `target` of the image, so its alpha must choose where the
 * feature is.
 *
 * The objective reads the param output `name` (the render session resolves names that are not
 * model layers to the param's `build()` outputs), so use it with a {@link composite} param.
 *
 * @example
 * ```ts
 * const obj = objectives.channel('block_13_expand_BN', 100, { batch: 0 }).add(transparency.alphaPenalty());
 * ```
 * @param options `{ target = 0.25, weight = 1e4, name = 'alpha' }`.
 * @returns an {@link Objective} (to maximise: it is ≤ 0); its value is a scalar owned by the caller.
 *
 * @remarks
 * Port of `alpha_loss_coef * Objective(lambda T: -tf.square(t_alpha_mean - 0.25))` and its sum
 * over foregrounds in Lucid's semi-transparent feature visualization notebook.
 */
export function alphaPenalty(options: AlphaPenaltyOptions = {}): Objective {
  const FN = 'transparency.alphaPenalty';
  checkOptions(FN, options, ['target', 'weight', 'name']);
  const target = checkFinite(FN, 'options.target', options.target ?? 0.25);
  const weight = checkFinite(FN, 'options.weight', options.weight ?? 1e4);
  const name = options.name ?? 'alpha';
  if (typeof name !== 'string' || name.length === 0) fail(FN, `options.name must be a non-empty string, but got ${show(name)}.`);
  return new Objective(
    (T) => {
      const a = T(name);
      if (a.rank !== 4 || a.shape[3] !== 1) {
        fail(FN, `the param output ${show(name)} must be alphas of shape [N, h, w, 1], but got [${a.shape.join(', ')}].`);
      }
      const means = tf.mean(a, [1, 2, 3]);
      return tf.mul(tf.sum(tf.square(tf.sub(means, target))), -weight);
    },
    `${-weight} * AlphaMean [${name}, ${target}]`,
    [name],
  );
}

import * as tf from '@tensorflow/tfjs-core';
import '../ops/registerGradients';
import { fail, show } from '../errors';
import type { Transform } from './types';
import { checkImage, checkNumberList, checkOptions, checkRng } from '../validate';

/** Options of {@link normalizeGradient}. */
export interface NormalizeGradientOptions {
  /** One factor per batch item multiplying its normalised gradient. Default: all 1. */
  gradScales?: readonly number[];
}

/**
 * Identity on the forward pass; on the backward pass divides each batch item's gradient by its L2
 * norm (over H, W and C), then multiplies it by `gradScales[n]` when given.
 *
 * Why: when several images are optimized in one batch (e.g. the diversity or interaction
 * experiments), one item with a large gradient would dominate a shared parameterization or the
 * learning-rate schedule; normalising gives each item an equal-sized step.
 *
 * Deliberate difference: an all-zero gradient stays zero (Lucid divides by a zero norm and gets NaN).
 *
 * Port of `lucid.optvis.transform.normalize_gradient`.
 *
 * @example
 * ```ts
 * const t = normalizeGradient();
 * const g = tf.grad((x) => tf.sum(tf.mul(t(x as tf.Tensor4D, new Rng(0)), 3)))(tf.ones([1, 2, 2, 1]));
 * // g = 0.5 everywhere (3 / ‖[3, 3, 3, 3]‖ = 3 / 6)
 * ```
 * @param options `gradScales`: per-item factors, length N when given.
 * @returns a {@link Transform}; its output is a new tensor equal to the input, owned by the caller.
 */
export function normalizeGradient(options: NormalizeGradientOptions = {}): Transform {
  const fn = 'transform.normalizeGradient';
  checkOptions(fn, options, ['gradScales']);
  const scales = options.gradScales === undefined ? undefined : checkNumberList(fn, 'gradScales', options.gradScales);
  return (image, rng) => {
    const [n] = checkImage(fn, image);
    checkRng(fn, rng);
    if (scales !== undefined && scales.length !== n) {
      fail(fn, `gradScales must have one entry per batch item (${n}), but got ${show(scales)}.`);
    }
    const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
      const x = args[0] as tf.Tensor4D;
      const gradFunc = (dy: tf.Tensor) =>
        tf.tidy(() => {
          const norm = tf.sqrt(tf.sum(tf.square(dy), [1, 2, 3], true));
          const safe = tf.where(tf.greater(norm, 0), norm, tf.onesLike(norm));
          const g = tf.div(dy, safe);
          return scales === undefined ? g : tf.mul(g, tf.tensor4d(scales as number[], [n, 1, 1, 1]));
        });
      return { value: tf.clone(x), gradFunc };
    });
    return f(image) as tf.Tensor4D;
  };
}

import * as tf from '@tensorflow/tfjs-core';
import { fail } from '../errors';
import { imageSample } from '../param/random';
import type { Transform } from './types';
import { checkImage, checkNonNegative, checkOptions, checkRng } from '../validate';

/** Options of {@link collapseAlphaRandom}. */
export interface CollapseAlphaRandomOptions {
  /** Standard deviation of the random background's spectrum (`param.imageSample`'s `sd`). Default 0.5. */
  sd?: number;
}

/**
 * Composites an RGBA image over a fresh random natural-looking background: `α·rgb + (1 − α)·noise`,
 * turning `[N, H, W, 4]` into `[N, H, W, 3]`.
 *
 * Why: a model only sees RGB. Compositing over a background that changes every step means that
 * whatever is transparent cannot help the objective, so the optimization must put the feature into
 * the opaque part and the alpha channel ends up marking what matters (Lucid's
 * "Differentiable Image Parameterizations", section on transparency).
 *
 * The background is a new `param.imageSample([N, H, W, 3], {sd})` per call (a different `1/f`
 * spectrum per batch item, decorrelated colours, sigmoid to [0, 1]), seeded from `rng`. Gradients flow
 * to both the colours and the alpha channel.
 *
 * Port of `lucid.optvis.transform.collapse_alpha_random`.
 *
 * @example
 * ```ts
 * const rgb = collapseAlphaRandom()(tf.ones([1, 32, 32, 4]), new Rng(0)); // [1, 32, 32, 3]
 * ```
 * @param options `sd` (default 0.5).
 * @returns a {@link Transform} for RGBA input (`C = 4`, `W >= 2`); its output is a new tensor owned by the caller.
 */
export function collapseAlphaRandom(options: CollapseAlphaRandomOptions = {}): Transform {
  const fn = 'transform.collapseAlphaRandom';
  checkOptions(fn, options, ['sd']);
  const sd = checkNonNegative(fn, 'sd', options.sd ?? 0.5);
  return (image, rng) => {
    const [n, h, w, c] = checkImage(fn, image);
    checkRng(fn, rng);
    if (c !== 4) fail(fn, `image must have 4 channels (RGBA), but got ${c}.`);
    if (w < 2) fail(fn, `image width must be at least 2 px for the random background, but got ${w}.`);
    const background = imageSample([n, h, w, 3], { sd, seed: rng.seed() });
    try {
      return tf.tidy(() => {
        const rgb = tf.slice(image, [0, 0, 0, 0], [n, h, w, 3]);
        const alpha = tf.slice(image, [0, 0, 0, 3], [n, h, w, 1]);
        const noise = background.image();
        return tf.add(tf.mul(alpha, rgb), tf.mul(tf.sub(1, alpha), noise));
      });
    } finally {
      background.dispose();
    }
  };
}

import { fail } from '../errors';
import { cropWindow } from '../ops/cropWindow';
import type { Transform } from './types';
import { checkImage, checkNonNegative, checkRng } from '../validate';

/**
 * Randomly crops `d` pixels off the height and width: the image shrinks to `(H - d) x (W - d)`.
 *
 * Why: a feature visualization that only works at one exact pixel alignment is exploiting
 * high-frequency patterns; small random translations make the optimization find patterns that are
 * robust to them ("Feature Visualization", Olah et al. 2017, transformation robustness).
 *
 * The row and column offsets are drawn independently and uniformly from `{0, 1, ..., d}` (both ends
 * included, like `tf.random_crop`), the same for every image in the batch.
 *
 * Port of `lucid.optvis.transform.jitter`.
 *
 * @example
 * ```ts
 * const out = jitter(8)(tf.zeros([1, 64, 64, 3]), new Rng(0)); // [1, 56, 56, 3]
 * ```
 * @param d number of pixels to crop (a non-negative integer); the image must be larger than `d`.
 * @returns a {@link Transform}; its output is a new `[N, H - d, W - d, C]` tensor owned by the caller.
 */
export function jitter(d: number): Transform {
  const fn = 'transform.jitter';
  checkNonNegative(fn, 'd', d, true);
  return (image, rng) => {
    const [, h, w] = checkImage(fn, image);
    checkRng(fn, rng);
    if (h - d < 1 || w - d < 1) {
      fail(fn, `image height and width must be greater than d = ${d} (the crop would be ${h - d}x${w - d} px, below the 1 px limit), but got ${h}x${w}.`);
    }
    const oy = rng.intBetween(0, d);
    const ox = rng.intBetween(0, d);
    return cropWindow(image, oy, ox, d);
  };
}

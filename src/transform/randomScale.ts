import '../ops/registerGradients';
import { resizeBilinearTf1 } from '../ops/resizeBilinearTf1';
import { fail, show } from '../errors';
import type { Transform } from './types';
import { checkImage, checkNumberList, checkPositive, checkRng } from '../validate';

export { resizeBilinearTf1 };

/**
 * The output size of scaling `size` pixels by `scale`, as Lucid computes it: `floor(scale * size)`
 * with the product taken in float32 (`tf.cast(scale * tf.cast(shape, 'float32'), 'int32')`), so
 * sizes match Lucid's even where float64 rounding would differ.
 *
 * @example
 * ```ts
 * scaledSize(0.9, 64); // 57
 * ```
 * @param scale scale factor.
 * @param size side length in pixels.
 * @returns the scaled side length (may be 0 for tiny results; {@link randomScale} rejects those).
 */
export function scaledSize(scale: number, size: number): number {
  if (typeof scale !== 'number' || !Number.isFinite(scale) || scale <= 0) {
    fail('transform.scaledSize', `scale must be a finite number > 0, but got ${show(scale)}.`);
  }
  checkPositive('transform.scaledSize', 'size', size);
  return Math.floor(Math.fround(Math.fround(scale) * Math.fround(size)));
}

/**
 * Resizes the image by a scale drawn uniformly from `scales`: `[N, floor(s·H), floor(s·W), C]`.
 *
 * Why: features should not depend on one exact size; small random rescaling (Lucid's standard set
 * is 0.9–1.1) is part of the transformation robustness of "Feature Visualization" (Olah et al. 2017).
 *
 * Resizing is bilinear with TF1 `resize_bilinear` rules (no corner alignment, no half-pixel
 * centres: output pixel `i` reads source coordinate `i · H / floor(s·H)`, the last row/column
 * repeated past the edge): tfjs `resizeBilinear(x, size, false, false)`, through
 * {@link resizeBilinearTf1}, which repairs the cpu gradient of tfjs 4.22 for non-square images.
 *
 * Port of `lucid.optvis.transform.random_scale`.
 *
 * @example
 * ```ts
 * const out = randomScale([0.5])(tf.zeros([1, 64, 64, 3]), new Rng(0)); // [1, 32, 32, 3]
 * ```
 * @param scales candidate scale factors (positive finite numbers, at least one); copied.
 * @returns a {@link Transform}; its output is a new tensor owned by the caller.
 */
export function randomScale(scales: readonly number[]): Transform {
  const fn = 'transform.randomScale';
  const list = checkNumberList(fn, 'scales', scales);
  list.forEach((s, i) => {
    if (s <= 0) fail(fn, `scales[${i}] must be a positive number, but got ${s}.`);
  });
  return (image, rng) => {
    const [, h, w] = checkImage(fn, image);
    checkRng(fn, rng);
    const s = rng.choice(list);
    const nh = scaledSize(s, h);
    const nw = scaledSize(s, w);
    if (nh < 1 || nw < 1) {
      fail(fn, `scale ${s} must keep the image at least 1x1 px, but got ${h}x${w} scaled to ${nh}x${nw}.`);
    }
    return resizeBilinearTf1(image, nh, nw);
  };
}

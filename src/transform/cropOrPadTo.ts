import * as tf from '@tensorflow/tfjs-core';
import type { Transform } from './types';
import { checkImage, checkPositive, checkRng } from '../validate';

/**
 * Centre-crops and/or zero-pads the image to exactly `height x width`.
 *
 * Why: some architectures insist on one input size; Lucid uses this as the last transform for them.
 * Semantics of TensorFlow's `resize_image_with_crop_or_pad`: along each axis, a larger image is
 * cropped starting at `floor((size - target) / 2)`, a smaller one padded with zeros with
 * `floor((target - size) / 2)` pixels before it (so an odd difference puts the extra pixel after).
 * Deterministic: `rng` is not used.
 *
 * Port of `lucid.optvis.transform.crop_or_pad_to`.
 *
 * @example
 * ```ts
 * const out = cropOrPadTo(224, 224)(tf.zeros([1, 240, 200, 3]), new Rng(0)); // [1, 224, 224, 3]
 * ```
 * @param height target height (a positive integer).
 * @param width target width (a positive integer).
 * @returns a {@link Transform}; its output is a new `[N, height, width, C]` tensor owned by the caller.
 */
export function cropOrPadTo(height: number, width: number): Transform {
  const fn = 'transform.cropOrPadTo';
  checkPositive(fn, 'height', height);
  checkPositive(fn, 'width', width);
  return (image, rng) => {
    const [n, h, w, c] = checkImage(fn, image);
    checkRng(fn, rng);
    return tf.tidy(() => {
      const cropY = Math.max(Math.floor((h - height) / 2), 0);
      const cropX = Math.max(Math.floor((w - width) / 2), 0);
      const ch = Math.min(h, height);
      const cw = Math.min(w, width);
      const cropped = tf.slice(image, [0, cropY, cropX, 0], [n, ch, cw, c]);
      const padY = Math.max(Math.floor((height - h) / 2), 0);
      const padX = Math.max(Math.floor((width - w) / 2), 0);
      return tf.pad(cropped, [[0, 0], [padY, height - ch - padY], [padX, width - cw - padX], [0, 0]]);
    });
  };
}

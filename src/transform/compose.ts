import * as tf from '@tensorflow/tfjs-core';
import { fail, show } from '../errors';
import type { Transform } from './types';
import { checkImage, checkRng } from '../validate';

/**
 * Chains transforms left to right into one: `compose([a, b])(x, rng) = b(a(x, rng), rng)`.
 *
 * The list is copied, so changing the caller's array afterwards does not change the composite.
 * Intermediate tensors are freed; the output is a new tensor (a copy of the input for an empty list)
 * owned by the caller.
 *
 * Port of `lucid.optvis.transform.compose`.
 *
 * @example
 * ```ts
 * const t = compose([pad(4), jitter(4)]);
 * const out = t(tf.zeros([1, 32, 32, 3]), new Rng(0)); // [1, 36, 36, 3]
 * ```
 * @param transforms the transforms to apply, in order.
 * @returns a {@link Transform}.
 */
export function compose(transforms: readonly Transform[]): Transform {
  const fn = 'transform.compose';
  if (!Array.isArray(transforms)) fail(fn, `transforms must be an array of transforms, but got ${show(transforms)}.`);
  transforms.forEach((t, i) => {
    if (typeof t !== 'function') fail(fn, `transforms[${i}] must be a transform function, but got ${show(t)}.`);
  });
  const list: readonly Transform[] = Object.freeze([...transforms]);
  return (image, rng) => {
    checkImage(fn, image);
    checkRng(fn, rng);
    if (list.length === 0) return tf.clone(image);
    return tf.tidy(() => list.reduce((x, t) => t(x, rng), image));
  };
}

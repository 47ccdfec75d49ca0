/**
 * Pieces shared by the transparency examples: an RGBA-aware last transform, the alpha-mean penalty
 * and compositing helpers. Plain functions over the library's public types.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Objective } from '../../src/objectives/index';
import type { Transform } from '../../src/transform/types';

/**
 * The last transform of the transparency examples: keeps the three colour channels. The param's
 * image (what objectives read as `T('input')`) carries alpha as a 4th channel, so the alpha
 * penalty can read it, while the model only ever sees RGB.
 */
export const dropAlpha: Transform = (image) => {
  const [n, h, w] = image.shape;
  return tf.slice(image, [0, 0, 0, 0], [n, h, w, 3]);
};

/**
 * `weight · −(mean α − target)²`: keeps the mean opacity near `target` so the foreground cannot
 * simply cover the whole background. Reads α from channel 3 of `T('input')`, of batch item `batch`
 * (default: the whole batch).
 */
export function alphaMeanPenalty(target = 0.25, weight = 1e4, batch?: number): Objective {
  return new Objective(
    (T) => {
      const x = T('input');
      const [n, h, w, c] = x.shape;
      if (c !== 4) throw new Error(`alphaMeanPenalty needs an RGBA input, but got ${c} channels`);
      const alpha = batch === undefined ? tf.slice(x, [0, 0, 0, 3], [n, h, w, 1]) : tf.slice(x, [batch, 0, 0, 3], [1, h, w, 1]);
      return tf.mul(tf.square(tf.sub(tf.mean(alpha), target)), -weight);
    },
    `${-weight} * (mean(alpha${batch === undefined ? '' : `[batch ${batch}]`}) - ${target})^2`,
    [],
  );
}

/** Splits `[N, H, W, 4]` into rgb `[N, H, W, 3]` and alpha `[N, H, W, 1]`. */
export function splitRgba(rgba: tf.Tensor4D): [tf.Tensor4D, tf.Tensor4D] {
  const [n, h, w] = rgba.shape;
  return [tf.slice(rgba, [0, 0, 0, 0], [n, h, w, 3]), tf.slice(rgba, [0, 0, 0, 3], [n, h, w, 1])];
}

/** `α·rgb + (1 − α)·background` (background broadcast: a tensor or a number). */
export function over(rgb: tf.Tensor4D, alpha: tf.Tensor4D, background: tf.Tensor | number): tf.Tensor4D {
  return tf.add(tf.mul(alpha, rgb), tf.mul(tf.sub(1, alpha), background));
}

import * as tf from '@tensorflow/tfjs-core';
import '../ops/registerGradients';
import { constrainLInf } from '../ops/constrainLInf';
import { fail } from '../errors';
import { checkBool, checkOptions, checkTensor } from '../validate';

/**
 * Square root of the empirical colour correlation matrix of ImageNet (from its SVD), rows = RGB.
 *
 * @remarks
 * Port of `lucid.optvis.param.color.color_correlation_svd_sqrt`.
 */
export const COLOR_CORRELATION_SVD_SQRT: readonly (readonly number[])[] = Object.freeze([
  Object.freeze([0.26, 0.09, 0.02]),
  Object.freeze([0.27, 0.0, -0.05]),
  Object.freeze([0.27, -0.09, 0.03]),
]);

/** Largest column (L2) norm of {@link COLOR_CORRELATION_SVD_SQRT} (≈ 0.4620). Port of `max_norm_svd_sqrt`. */
export const MAX_NORM_SVD_SQRT: number = Math.max(
  ...[0, 1, 2].map((j) => Math.hypot(...COLOR_CORRELATION_SVD_SQRT.map((row) => row[j]))),
);

/**
 * {@link COLOR_CORRELATION_SVD_SQRT} divided by {@link MAX_NORM_SVD_SQRT}: decorrelated → RGB is
 * `rgb = M · c` (its largest column has unit norm, so no colour direction is amplified).
 *
 * @example
 * ```ts
 * const [r, g, b] = COLOR_CORRELATION_NORMALIZED.map((row) => row[0] * 1); // RGB of the first axis
 * ```
 */
export const COLOR_CORRELATION_NORMALIZED: readonly (readonly number[])[] = Object.freeze(
  COLOR_CORRELATION_SVD_SQRT.map((row) => Object.freeze(row.map((v) => v / MAX_NORM_SVD_SQRT))),
);

/** Mean ImageNet colour, added when decorrelating without a sigmoid. Port of `color_mean`. */
export const COLOR_MEAN: readonly number[] = Object.freeze([0.48, 0.46, 0.41]);

/** Options of {@link toValidRgb}. */
export interface ToValidRgbOptions {
  /** Interpret the innermost dimension as decorrelated colours and map them to RGB. Default `false`. */
  readonly decorrelate?: boolean;
  /** Squash with a sigmoid (`true`) or with Lucid's L∞-constrained clip (`false`). Default `true`. */
  readonly sigmoid?: boolean;
}

/**
 * Maps the innermost dimension of `t` to valid RGB values in [0, 1].
 *
 * Why (Olah et al., "Feature Visualization", 2017): optimizing in a decorrelated colour space, where
 * each axis has the same variance in natural images, equalises the effective learning rate across
 * colour directions; multiplying by the square root of ImageNet's colour correlation brings the
 * colours back to RGB. The result is then squashed into [0, 1] by a sigmoid, or, with
 * `sigmoid: false`, by `constrainLInf(2t − 1)/2 + 0.5` (a clip whose gradient keeps moving pixels
 * that are inside the range or heading back into it); the ImageNet mean colour is added first in
 * that case when decorrelating.
 *
 * @example
 * ```ts
 * const rgb = toValidRgb(tf.randomNormal([1, 32, 32, 3]), { decorrelate: true });
 * ```
 * @param t float32 tensor of rank ≥ 1; its last dimension must be 3 when `decorrelate` is true.
 * @param options see {@link ToValidRgbOptions} (defaults stated there).
 * @returns a new tensor of `t`'s shape with values in [0, 1], owned by the caller.
 *
 * @remarks
 * Port of `lucid.optvis.param.color.to_valid_rgb`.
 */
export function toValidRgb<T extends tf.Tensor>(t: T, options: ToValidRgbOptions = {}): T {
  const FN = 'param.toValidRgb';
  const o = checkOptions(FN, options, ['decorrelate', 'sigmoid']);
  checkTensor(FN, 't', t);
  if (t.dtype !== 'float32') fail(FN, `t must be float32, but got ${t.dtype}.`);
  if (t.rank < 1) fail(FN, `t must have rank ≥ 1, but got a scalar.`);
  const decorrelate = checkBool(FN, 'options.decorrelate', o.decorrelate, false);
  const sigmoid = checkBool(FN, 'options.sigmoid', o.sigmoid, true);
  if (decorrelate && t.shape[t.rank - 1] !== 3) {
    fail(FN, `t must have 3 channels (last dimension) when decorrelate is true, but got shape [${t.shape.join(', ')}].`);
  }
  return tf.tidy(() => {
    let x: tf.Tensor = t;
    if (decorrelate) x = linearDecorrelateColor(x);
    if (decorrelate && !sigmoid) x = tf.add(x, tf.tensor1d(COLOR_MEAN as number[]));
    if (sigmoid) return tf.sigmoid(x);
    return tf.add(tf.div(constrainLInf(tf.sub(tf.mul(x, 2), 1)), 2), 0.5);
  }) as T;
}

/**
 * `t · Mᵀ` over the last dimension (3), M = {@link COLOR_CORRELATION_NORMALIZED}, with a gradient
 * `dy · M` that uses a second constant instead of `matMul`'s transpose flag (≈10× slower on wasm).
 * Runs in the caller's tidy.
 */
function linearDecorrelateColor(t: tf.Tensor): tf.Tensor {
  // The 3×3 constants are made inside each pass: the forward pass is tidied, and the gradient runs
  // after the caller's tidy has ended.
  const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const x = args[0] as tf.Tensor;
    const mT = tf.tensor2d(transpose3(COLOR_CORRELATION_NORMALIZED), [3, 3]);
    return {
      value: tf.reshape(tf.matMul(tf.reshape(x, [-1, 3]), mT), x.shape),
      gradFunc: (dy: tf.Tensor) =>
        tf.tidy(() => {
          const m = tf.tensor2d(COLOR_CORRELATION_NORMALIZED as number[][], [3, 3]);
          return tf.reshape(tf.matMul(tf.reshape(dy, [-1, 3]), m), dy.shape);
        }),
    };
  });
  return f(t);
}

function transpose3(m: readonly (readonly number[])[]): number[][] {
  return [0, 1, 2].map((i) => [0, 1, 2].map((j) => m[j][i]));
}

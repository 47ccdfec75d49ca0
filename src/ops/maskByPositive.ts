/**
 * `dy · step(y)`: the ReLU mask of an input gradient (src/ops/convBiasRelu.ts), as one kernel where
 * a backend has one, else tfjs's `Step` and `Multiply`. Internal. Not in Lucid.
 *
 * The kernel is not a tfjs kernel: `installGradientFixes('wasm')` registers it under
 * {@link MASK_BY_POSITIVE_KERNEL} (one SIMD pass in the wasm heap instead of two kernels and their
 * dispatch, 21 pairs per InceptionV1 step). Its values are the two kernels' values bit for bit on
 * wasm: `dy · 1` or `dy · 0` (so `±0`, and NaN for an infinite or NaN `dy`), and NaN where `y` is
 * NaN, as tfjs's `Step` gives.
 */
import * as tf from '@tensorflow/tfjs-core';

/** The name the one-pass kernel is registered under (inputs `dy`, `y`; no attributes). */
export const MASK_BY_POSITIVE_KERNEL = 'OptvisMaskByPositive';

/** `dy · step(y)` for two tensors of one shape; call inside a tidy. */
export function maskByPositive(dy: tf.Tensor, y: tf.Tensor): tf.Tensor {
  if (tf.getKernel(MASK_BY_POSITIVE_KERNEL, tf.getBackend()) !== undefined) {
    return tf.engine().runKernel(MASK_BY_POSITIVE_KERNEL, { dy, y }) as tf.Tensor;
  }
  return tf.mul(dy, tf.step(y));
}

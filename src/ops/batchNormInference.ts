import * as tf from '@tensorflow/tfjs-core';

/**
 * Inference-mode batch normalization over the last axis, `(x - mean) · k + offset` with
 * `k = rsqrt(variance + ε) · scale`, with a gradient for `x` only: `dy · k` (one broadcast multiply).
 *
 * Why: tfjs's own `batchNorm` gradient fails when there is no `scale` (Keras `scale: false`) and
 * computes the gradients of all five inputs; as taped plain ops the layer records three ops and
 * three saved tensors, and runs three kernels backward. tfjs's `batchNorm` kernel itself is no
 * faster forward: on wasm it takes about 2.5× the subtract, multiply and add together (measured on
 * MobileNetV2), so those run forward, off the tape.
 *
 * `mean`, `variance`, `offset` and `scale` are `[channels]` tensors (`offset`, `scale` optional),
 * read and not differentiated: they must stay allocated until the backward pass is done (model
 * weights do). Internal to the model adapter; arguments are checked by the caller. Not in Lucid.
 */
export function batchNormInference(
  x: tf.Tensor,
  mean: tf.Tensor,
  variance: tf.Tensor,
  offset: tf.Tensor | undefined,
  scale: tf.Tensor | undefined,
  epsilon: number,
): tf.Tensor {
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const input = args[0] as tf.Tensor;
    const factor = (): tf.Tensor => {
      const inv = tf.rsqrt(tf.add(variance, epsilon));
      return scale ? tf.mul(inv, scale) : inv;
    };
    const value = tf.tidy(() => {
      const y = tf.mul(tf.sub(input, mean), factor());
      return offset ? tf.add(y, offset) : y;
    });
    const gradFunc = (dy: tf.Tensor): tf.Tensor => tf.tidy(() => tf.mul(dy, factor()));
    return { value, gradFunc };
  });
  return op(x);
}

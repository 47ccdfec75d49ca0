import * as tf from '@tensorflow/tfjs-core';

/** A batch norm's statistics and parameters (each broadcastable against the input) and its epsilon. */
export interface BatchNormParams {
  readonly mean: tf.Tensor;
  readonly variance: tf.Tensor;
  readonly gamma?: tf.Tensor;
  readonly beta?: tf.Tensor;
  readonly epsilon: number;
}

/**
 * Inference-mode batch normalization, `(x - mean) · k + offset` with `k = rsqrt(variance + ε) ·
 * scale`, with a gradient for `x` only: `dy · k` (one broadcast multiply).
 *
 * Why: tfjs's own `batchNorm` gradient fails when there is no `scale` (Keras `scale: false`) and
 * computes the gradients of all five inputs; as taped plain ops the layer records three ops and
 * three saved tensors, and runs three kernels backward. tfjs's `batchNorm` kernel itself is no
 * faster forward: on wasm it takes about 2.5× the subtract, multiply and add together (measured on
 * MobileNetV2), so those run forward, off the tape.
 *
 * The parameters broadcast against `x` (`[channels]` for the last axis, `[1, c, 1, 1]` for axis 1;
 * `gamma`, `beta` optional); they are read, not differentiated, and need not outlive the call.
 * Internal to the model adapter; arguments are checked by the caller. Not in Lucid.
 */
export function batchNormInference(x: tf.Tensor, bn: BatchNormParams): tf.Tensor {
  const { mean, variance, gamma: scale, beta: offset, epsilon } = bn;
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const input = args[0] as tf.Tensor;
    const save = args[1] as tf.GradSaveFunc;
    const k = tf.tidy(() => {
      const inv = tf.rsqrt(tf.add(variance, epsilon));
      return scale ? tf.mul(inv, scale) : inv;
    });
    // k is kept for the backward pass (the parameters need not outlive this call).
    save([k]);
    const value = tf.tidy(() => {
      const y = tf.mul(tf.sub(input, mean), k);
      return offset ? tf.add(y, offset) : y;
    });
    k.dispose();
    const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]): tf.Tensor => tf.mul(dy, saved[0]);
    return { value, gradFunc };
  });
  return op(x);
}

import * as tf from '@tensorflow/tfjs-core';

/** The convolution settings of {@link convBiasRelu} (NHWC, dilation 1). */
export interface ConvBiasReluConfig {
  readonly strides: readonly [number, number];
  readonly pad: 'same' | 'valid';
  /** `'relu'` applies `max(0, ·)` after the bias; `'linear'` applies nothing. */
  readonly activation: 'relu' | 'linear';
}

/**
 * `activation(conv2d(x, filter) + bias)` as one op: tfjs's `FusedConv2D` kernel forward (bias and
 * ReLU done inside the convolution, on wasm by XNNPACK on every thread), and a gradient for `x`
 * only: `conv2dTranspose(dy · [y > 0], filter)`.
 *
 * Why: tfjs's own `fused.conv2d` falls back to three ops under a gradient tape (conv, add, relu),
 * each recorded with its saved tensors, and with a linear activation stays fused but then always
 * computes the filter and bias gradients too. A visualization only needs the input gradient; one
 * op instead of three removes two element-wise passes forward, two kernels backward and three of
 * the tape's saved-tensor copies per convolution.
 *
 * Same values as the unfused ops up to float32 summation order (the bias joins the accumulator);
 * the ReLU mask `y > 0` is the stock gradient's `step(preact)`. The filter and bias are read, not
 * differentiated: they must stay allocated until the backward pass is done (model weights do).
 * Internal to the model adapter; arguments are checked by the caller. Not in Lucid.
 */
export function convBiasRelu(x: tf.Tensor4D, filter: tf.Tensor4D, bias: tf.Tensor | undefined, cfg: ConvBiasReluConfig): tf.Tensor4D {
  const { strides, pad, activation } = cfg;
  const attrs = { strides: [...strides], pad, dataFormat: 'NHWC', dilations: [1, 1], activation };
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const input = args[0] as tf.Tensor4D;
    const save = args[1] as tf.GradSaveFunc;
    const inputs: tf.NamedTensorMap = bias ? { x: input, filter, bias } : { x: input, filter };
    const y = tf.engine().runKernel(tf.FusedConv2D, inputs, attrs as unknown as tf.NamedAttrMap) as tf.Tensor4D;
    if (activation === 'relu') save([y]);
    const inputShape = input.shape;
    const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]): tf.Tensor4D =>
      tf.tidy(() => {
        const g = activation === 'relu' ? tf.mul(dy, tf.step(saved[0])) : dy;
        return tf.conv2dTranspose(g as tf.Tensor4D, filter, inputShape, [...strides] as [number, number], pad);
      });
    return { value: y, gradFunc };
  });
  return op(x) as tf.Tensor4D;
}

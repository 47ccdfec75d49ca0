import * as tf from '@tensorflow/tfjs-core';
import { maskByPositive } from './maskByPositive';

/** The convolution settings of {@link convBiasRelu} (NHWC, dilation 1). */
export interface ConvBiasReluConfig {
  /** `'conv'`: `conv2d`, filter `[kh, kw, in, out]`; `'depthwise'`: `depthwiseConv2d`, filter `[kh, kw, in, multiplier]`. */
  readonly kind: 'conv' | 'depthwise';
  readonly strides: readonly [number, number];
  readonly pad: 'same' | 'valid';
  /** `'relu'` applies `max(0, ·)` after the bias; `'linear'` applies nothing. */
  readonly activation: 'relu' | 'linear';
}

/**
 * `activation(conv2d(x, filter) + bias)` (or `depthwiseConv2d`) as one op: tfjs's `FusedConv2D` /
 * `FusedDepthwiseConv2D` kernel forward (bias and ReLU done inside the convolution, on wasm by
 * XNNPACK), and a gradient for `x` only: the transposed convolution of `dy · [y > 0]`.
 *
 * Why: tfjs's own `fused.conv2d` falls back to three ops under a gradient tape (conv, add, relu),
 * each recorded with its saved tensors, and with a linear activation stays fused but then always
 * computes the filter and bias gradients too. A visualization only needs the input gradient; one
 * op instead of three removes two element-wise passes forward, two kernels backward and three of
 * the tape's saved-tensor copies per convolution.
 *
 * Same values as the unfused ops up to float32 summation order (the bias joins the accumulator);
 * the ReLU mask `y > 0` is the stock gradient's `step(preact)`. The filter and bias are read, not
 * differentiated; the tape keeps the filter for the backward pass. On a backend without the fused
 * kernel, the separate ops run instead.
 * Internal to the model adapter; arguments are checked by the caller. Not in Lucid.
 */
export function convBiasRelu(x: tf.Tensor4D, filter: tf.Tensor4D, bias: tf.Tensor | undefined, cfg: ConvBiasReluConfig): tf.Tensor4D {
  const { kind, strides, pad, activation } = cfg;
  const kernel = kind === 'conv' ? tf.FusedConv2D : tf.FusedDepthwiseConv2D;
  if (tf.getKernel(kernel, tf.getBackend()) === undefined) {
    // A backend without the fused kernel: the same ops, separate and taped (tfjs's own gradients).
    return tf.tidy(() => {
      const s = [...strides] as [number, number];
      let y: tf.Tensor4D = kind === 'conv' ? tf.conv2d(x, filter, s, pad) : tf.depthwiseConv2d(x, filter, s, pad);
      if (bias) y = tf.add(y, bias);
      return activation === 'relu' ? tf.relu(y) : y;
    });
  }
  const attrs = { strides: [...strides], pad, dataFormat: 'NHWC', dilations: [1, 1], activation };
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const input = args[0] as tf.Tensor4D;
    const save = args[1] as tf.GradSaveFunc;
    const inputs: tf.NamedTensorMap = bias ? { x: input, filter, bias } : { x: input, filter };
    const y = tf.engine().runKernel(kernel, inputs, attrs as unknown as tf.NamedAttrMap) as tf.Tensor4D;
    // The filter is saved too: it may be a view that its caller disposes before the backward pass.
    save(activation === 'relu' ? [filter, y] : [filter]);
    const inputShape = input.shape;
    const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]): tf.Tensor4D =>
      tf.tidy(() => {
        const [f, y] = saved as [tf.Tensor4D, tf.Tensor?];
        const g = y ? maskByPositive(dy, y) : dy;
        if (kind === 'conv') return tf.conv2dTranspose(g as tf.Tensor4D, f, inputShape, [...strides] as [number, number], pad);
        const backAttrs = { strides: [...strides], pad, dilations: [1, 1], inputShape };
        return tf.engine().runKernel(tf.DepthwiseConv2dNativeBackpropInput, { dy: g, filter: f }, backAttrs as unknown as tf.NamedAttrMap) as tf.Tensor4D;
      });
    return { value: y, gradFunc };
  });
  return op(x) as tf.Tensor4D;
}

/**
 * A convolution followed by an inference-mode batch norm, as one convolution with a folded filter
 * and bias (internal to the LayersModel adapter).
 */
import * as tf from '@tensorflow/tfjs-core';
import { heldDerived, type HeldEntry } from '../ops/heldData';
import type { BatchNormParams } from '../ops/batchNormInference';

const folded = new WeakMap<object, HeldEntry>();

/**
 * The filter and bias of `bn(conv(x, filter) + bias)` as one convolution: with
 * `k = gamma / sqrt(variance + ε)` per output channel, `filter · k` and `(bias − mean) · k + beta`,
 * computed in float64 and rounded once. Held per filter (src/ops/heldData.ts): computed on the first
 * call and again only when a weight changes, so the folded filter keeps one data id across steps (on
 * wasm XNNPACK packs it once) and costs no kernels per step. The same values as the convolution
 * and the batch norm in sequence, up to float32 rounding (a relative 1e-6).
 *
 * @param kind `'conv'` (filter `[kh, kw, in, out]`) or `'depthwise'` (`[kh, kw, in, multiplier]`, output
 *   channel `c · multiplier + j`).
 * @returns new tensors `[filter, bias]` over the held values, owned by the caller.
 */
export function foldBatchNorm(kind: 'conv' | 'depthwise', filter: tf.Tensor4D, bias: tf.Tensor | undefined, bn: BatchNormParams): [tf.Tensor4D, tf.Tensor1D] {
  const [kh, kw, ci, co] = filter.shape;
  const outC = kind === 'conv' ? co : ci * co;
  const [f, b] = heldDerived(folded, 'folded batch norms', filter, [bias, bn.mean, bn.variance, bn.gamma, bn.beta], () => {
    const read = (t: tf.Tensor | undefined): ArrayLike<number> | undefined => t?.dataSync();
    const [w, b0, mean, variance, gamma, beta] = [filter, bias, bn.mean, bn.variance, bn.gamma, bn.beta].map(read);
    const k = new Float64Array(outC);
    const fb = new Float32Array(outC);
    for (let o = 0; o < outC; o++) {
      k[o] = (gamma ? gamma[o] : 1) / Math.sqrt((variance as ArrayLike<number>)[o] + bn.epsilon);
      fb[o] = ((b0 ? b0[o] : 0) - (mean as ArrayLike<number>)[o]) * k[o] + (beta ? beta[o] : 0);
    }
    const fw = new Float32Array(filter.size);
    const src = w as ArrayLike<number>;
    for (let i = 0; i < fw.length; i++) fw[i] = src[i] * k[i % outC];
    return [
      { values: fw, shape: [kh, kw, ci, co] },
      { values: fb, shape: [outC] },
    ];
  });
  return [f as tf.Tensor4D, b as tf.Tensor1D];
}

import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { BACKENDS, expectNoLeak, useBackend } from '../helpers/tf';
import { gradientFixes, installGradientFixes, uninstallGradientFixes } from '../../src/backends/index';
import { Rng } from '../../src/ops/random';

type S4 = [number, number, number, number];
type Pad = 'same' | 'valid' | number;

/**
 * Float64 reference of d sum(avgPool(x) · r) / dx with TensorFlow's rule: each window's mean is over
 * the taps inside the input (padding excluded), so each tap receives r / taps. Also returns the
 * forward pool, to check that the rule is the forward's.
 */
function reference(x: Float32Array, shape: S4, k: [number, number], s: [number, number], pad: Pad, r: Float32Array, rShape: S4): { y: Float64Array; g: Float64Array } {
  const [n, h, w, c] = shape;
  const [, oh, ow] = rShape;
  const info = tf.backend_util.computePool2DInfo(shape, k, s, 1, pad);
  const { top, left } = info.padInfo;
  const y = new Float64Array(n * oh * ow * c), g = new Float64Array(x.length);
  for (let b = 0; b < n; b++) {
    for (let oy = 0; oy < oh; oy++) {
      for (let ox = 0; ox < ow; ox++) {
        const taps: number[] = [];
        for (let i = 0; i < k[0]; i++) {
          for (let j = 0; j < k[1]; j++) {
            const yy = oy * s[0] - top + i, xx = ox * s[1] - left + j;
            if (yy >= 0 && yy < h && xx >= 0 && xx < w) taps.push(((b * h + yy) * w + xx) * c);
          }
        }
        for (let ch = 0; ch < c; ch++) {
          const o = ((b * oh + oy) * ow + ox) * c + ch;
          let sum = 0;
          for (const t of taps) sum += x[t + ch];
          y[o] = sum / taps.length;
          for (const t of taps) g[t + ch] += r[o] / taps.length;
        }
      }
    }
  }
  return { y, g };
}

const CASES: [S4, [number, number], [number, number], Pad][] = [
  [[1, 5, 6, 2], [3, 3], [1, 1], 'same'], // Keras InceptionV3's branch pools
  [[2, 7, 7, 3], [3, 3], [1, 1], 'same'],
  [[1, 6, 7, 9], [3, 3], [1, 1], 'same'], // 9 channels: two SIMD groups of 4 and one scalar on wasm
  [[1, 7, 5, 2], [2, 2], [2, 2], 'same'], // odd sizes: the last window is cut
  [[1, 8, 9, 2], [3, 2], [2, 3], 'same'],
  [[1, 6, 6, 2], [3, 3], [1, 1], 1], // explicit padding
  [[1, 8, 8, 2], [2, 2], [2, 2], 'valid'], // every window inside: the stock kernel is already right
];

const maxAbs = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
};

describe.each(BACKENDS)('AvgPoolGrad fix on %s', (backend) => {
  it('makes tf.grad of avgPool the gradient of tfjs forward pool (TensorFlow rule: the taps inside the input) on every padding form', async () => {
    await useBackend(backend);
    uninstallGradientFixes(backend);
    const stockErr: number[] = [];
    const fixedErr: number[] = [];
    for (const [i, [shape, k, s, pad]] of CASES.entries()) {
      const rng = new Rng(40 + i);
      const x = Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.uniform() * 2 - 1);
      const run = (): { y: Float32Array; g: Float32Array; r: Float32Array; rShape: S4 } =>
        tf.tidy(() => {
          const xt = tf.tensor4d(x, shape);
          const yt = tf.avgPool(xt, k, s, pad);
          const r = Float32Array.from({ length: yt.size }, () => rng.uniform() * 2 - 1);
          const rt = tf.tensor4d(r, yt.shape as S4);
          const g = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(tf.avgPool(v as tf.Tensor4D, k, s, pad), rt)))(xt);
          return { y: yt.dataSync() as Float32Array, g: g.dataSync() as Float32Array, r, rShape: yt.shape as S4 };
        });
      const stock = await expectNoLeak(run);
      const ref = reference(x, shape, k, s, pad, stock.r, stock.rShape);
      expect(maxAbs(stock.y, ref.y), `case ${i}: forward`).toBeLessThan(1e-6);
      stockErr.push(maxAbs(stock.g, ref.g));
      installGradientFixes(backend);
      try {
        const fixed = await expectNoLeak(() =>
          tf.tidy(() => {
            const xt = tf.tensor4d(x, shape);
            const rt = tf.tensor4d(stock.r, stock.rShape);
            return tf.grad((v: tf.Tensor) => tf.sum(tf.mul(tf.avgPool(v as tf.Tensor4D, k, s, pad), rt)))(xt).dataSync() as Float32Array;
          }),
        );
        fixedErr.push(maxAbs(fixed, ref.g));
      } finally {
        uninstallGradientFixes(backend);
      }
    }
    // tfjs's own kernel is off along the borders of every padded case, right on 'valid'; the fix is right everywhere.
    for (const [i, e] of stockErr.entries()) {
      if (CASES[i][3] === 'valid') expect(e, `case ${i}: stock, valid`).toBeLessThan(1e-6);
      else expect(e, `case ${i}: stock`).toBeGreaterThan(1e-2);
    }
    for (const [i, e] of fixedErr.entries()) expect(e, `case ${i}: fixed`).toBeLessThan(1e-6);
    installGradientFixes(backend);
    expect(gradientFixes(backend).find((f) => f.kernelName === 'AvgPoolGrad')?.installed).toBe(true);
  });
});

import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { constrainLInf } from '../../src/ops/constrainLInf';
import { Rng } from '../../src/ops/random';
import {
  COLOR_CORRELATION_NORMALIZED,
  COLOR_CORRELATION_SVD_SQRT,
  COLOR_MEAN,
  MAX_NORM_SVD_SQRT,
  toValidRgb,
} from '../../src/param/index';
import { BACKENDS, expectNoLeak, maxAbsDiff, useBackend } from '../helpers/tf';
import { randn } from './reference';

// Lucid's constants, typed in again here (not read from the library).
const SVD_SQRT = [
  [0.26, 0.09, 0.02],
  [0.27, 0.0, -0.05],
  [0.27, -0.09, 0.03],
];
const MAX_NORM = Math.max(...[0, 1, 2].map((j) => Math.sqrt(SVD_SQRT.reduce((s, r) => s + r[j] * r[j], 0))));
const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

/** float64 reference of to_valid_rgb on flat [..., 3] data. */
function refValidRgb(x: ArrayLike<number>, decorrelate: boolean, useSigmoid: boolean): Float64Array {
  const out = new Float64Array(x.length);
  for (let i = 0; i < x.length; i += 3) {
    for (let r = 0; r < 3; r++) {
      let v = x[i + r];
      if (decorrelate) {
        v = 0;
        for (let c = 0; c < 3; c++) v += (SVD_SQRT[r][c] / MAX_NORM) * x[i + c];
        if (!useSigmoid) v += [0.48, 0.46, 0.41][r];
      }
      if (useSigmoid) out[i + r] = sigmoid(v);
      else {
        const y = 2 * v - 1;
        out[i + r] = y / Math.max(1, Math.abs(y)) / 2 + 0.5;
      }
    }
  }
  return out;
}

describe('colour constants', () => {
  it('are Lucid\'s, with the matrix normalised by its largest column norm', () => {
    expect(COLOR_CORRELATION_SVD_SQRT).toEqual(SVD_SQRT);
    expect(COLOR_MEAN).toEqual([0.48, 0.46, 0.41]);
    expect(MAX_NORM_SVD_SQRT).toBeCloseTo(Math.sqrt(0.26 ** 2 + 0.27 ** 2 + 0.27 ** 2), 12);
    expect(maxAbsDiff(COLOR_CORRELATION_NORMALIZED.flat(), SVD_SQRT.flat().map((v) => v / MAX_NORM))).toBeLessThan(1e-15);
  });
});

describe.each(BACKENDS)('toValidRgb on %s', (backend) => {
  it.each([
    [false, true],
    [true, true],
    [true, false],
    [false, false],
  ])('matches float64 (decorrelate=%s, sigmoid=%s)', async (decorrelate, useSigmoid) => {
    await useBackend(backend);
    const x = randn(new Rng(1), 2 * 3 * 4 * 3, 1.5);
    await expectNoLeak(() => {
      const t = tf.tensor(x, [2, 3, 4, 3]);
      const y = toValidRgb(t, { decorrelate, sigmoid: useSigmoid });
      expect(y.shape).toEqual([2, 3, 4, 3]);
      expect(maxAbsDiff(y.dataSync(), refValidRgb(x, decorrelate, useSigmoid))).toBeLessThan(2e-6);
      tf.dispose([t, y]);
    });
  });

  it('defaults to no decorrelation and a sigmoid, and works for other channel counts then', async () => {
    await useBackend(backend);
    await expectNoLeak(() => {
      const t = tf.tensor([[0, 2, -1, 5]]);
      const y = toValidRgb(t);
      expect(maxAbsDiff(y.dataSync(), [0, 2, -1, 5].map(sigmoid))).toBeLessThan(1e-6);
      tf.dispose([t, y]);
    });
  });

  it('rejects bad input', async () => {
    await useBackend(backend);
    await expectNoLeak(() => {
      const t = tf.zeros([1, 2, 2, 4]);
      expect(() => toValidRgb(t, { decorrelate: true })).toThrow(
        /Error in param\.toValidRgb: t must have 3 channels \(last dimension\) when decorrelate is true, but got shape \[1, 2, 2, 4\]\./,
      );
      expect(() => toValidRgb(t, { sigmoid: 'yes' as unknown as boolean })).toThrow(/options\.sigmoid must be a boolean, but got "yes"\./);
      expect(() => toValidRgb([1, 2, 3] as unknown as tf.Tensor)).toThrow(/t must be a tf\.Tensor, but got \[1, 2, 3\]\./);
      t.dispose();
    });
  });
});

describe.each(BACKENDS)('constrainLInf on %s', (backend) => {
  it('clips to the unit ball', async () => {
    await useBackend(backend);
    await expectNoLeak(() => {
      const x = tf.tensor([-3, -1, -0.5, 0, 0.25, 1, 2.5]);
      const y = constrainLInf(x);
      expect(maxAbsDiff(y.dataSync(), [-1, -1, -0.5, 0, 0.25, 1, 1])).toBeLessThan(1e-7);
      tf.dispose([x, y]);
    });
  });

  it('has Lucid\'s projected gradient: dy, zeroed where |x| ≥ 1 and x·dy > 0', async () => {
    await useBackend(backend);
    const xs = [-3, -3, -1, -1, -0.5, 0.5, 1, 1, 2, 2, 0];
    const dys = [1, -1, 1, -1, 2, -2, 3, -3, 0.5, -0.5, 4];
    // rule by hand: at edge & outward → 0
    const want = xs.map((x, i) => (Math.abs(x) >= 1 && x * dys[i] > 0 ? 0 : dys[i]));
    expect(want).toEqual([1, 0, 1, 0, 2, -2, 0, -3, 0, -0.5, 4]);
    await expectNoLeak(() => {
      const x = tf.tensor(xs);
      const dy = tf.tensor(dys);
      const g = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(constrainLInf(v), dy)))(x);
      expect(Array.from(g.dataSync())).toEqual(want);
      tf.dispose([x, dy, g]);
    });
  });

  it('gives toValidRgb(sigmoid=false) the same projected gradient (scaled by the chain rule)', async () => {
    await useBackend(backend);
    await expectNoLeak(() => {
      // y = c(2t − 1)/2 + 0.5: dy/dt through the custom gradient is dy (2·½) = dy inside, 0 outward at the edge.
      const t = tf.tensor([[0.5, 1.2, -0.3]]);
      const g = tf.grad((v: tf.Tensor) => tf.sum(toValidRgb(v, { sigmoid: false })))(t);
      // 2t−1 = [0, 1.4, −1.6]; dy = 1 > 0: zero only at 1.4 (outward); −1.6·1 < 0 keeps it.
      expect(maxAbsDiff(g.dataSync(), [1, 0, 1])).toBeLessThan(1e-7);
      tf.dispose([t, g]);
    });
  });

  it('rejects non-tensors and integer tensors', async () => {
    await useBackend(backend);
    await expectNoLeak(() => {
      expect(() => constrainLInf(3 as unknown as tf.Tensor)).toThrow(/Error in ops\.constrainLInf: x must be a tf\.Tensor, but got 3\./);
      const i = tf.tensor([1, 2], [2], 'int32');
      expect(() => constrainLInf(i)).toThrow(/x must be a float32 tensor, but got int32\./);
      i.dispose();
    });
  });
});

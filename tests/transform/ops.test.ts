import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { bilinearSample } from '../../src/ops/bilinearSample';
import { mirrorPad } from '../../src/ops/mirrorPad';
import { BACKENDS, expectNoLeak, maxAbsDiff, useBackend } from '../helpers/tf';
import { adjointMap, applyMap, mirrorPadMap, rotateMap, values } from './reference';

/** `tf.grad` for a function of a rank-4 tensor. */
const grad4 = (f: (v: tf.Tensor4D) => tf.Tensor) => tf.grad((v: tf.Tensor) => f(v as tf.Tensor4D));

describe.each(BACKENDS)('transform ops on %s', (backend) => {
  it('bilinearSample: values and exact gradient vs a float64 reference (rotation by 0.3 rad, fill 0.25)', async () => {
    await useBackend(backend);
    const [n, h, w, c] = [2, 9, 11, 3];
    const theta = 0.3;
    const map = rotateMap(h, w, theta, 0.25);
    const ys = new Float64Array(h * w);
    const xs = new Float64Array(h * w);
    for (let i = 0; i < h; i++) {
      for (let j = 0; j < w; j++) {
        const cy = (h - 1) / 2, cx = (w - 1) / 2;
        xs[i * w + j] = Math.cos(theta) * (j - cx) - Math.sin(theta) * (i - cy) + cx;
        ys[i * w + j] = Math.sin(theta) * (j - cx) + Math.cos(theta) * (i - cy) + cy;
      }
    }
    const xv = values(n * h * w * c, 3);
    const rv = values(n * h * w * c, 4);
    await expectNoLeak(() => {
      const x = tf.tensor4d(xv, [n, h, w, c]);
      const r = tf.tensor4d(rv, [n, h, w, c]);
      const out = bilinearSample(x, { height: h, width: w, ys, xs }, 0.25);
      expect(out.shape).toEqual([n, h, w, c]);
      expect(maxAbsDiff(out.dataSync(), applyMap(map, xv, n, c))).toBeLessThan(1e-5);
      const g = grad4((v) => tf.sum(tf.mul(bilinearSample(v, { height: h, width: w, ys, xs }, 0.25), r)))(x);
      expect(maxAbsDiff(g.dataSync(), adjointMap(map, rv, n, c))).toBeLessThan(1e-5);
      tf.dispose([x, r, out, g]);
    });
  });

  it('bilinearSample: fully outside gives the fill value and a zero gradient', async () => {
    await useBackend(backend);
    await expectNoLeak(() => {
      const x = tf.ones([1, 2, 2, 1]) as tf.Tensor4D;
      const grid = { height: 1, width: 2, ys: [-5, 10], xs: [0, 0] };
      const out = bilinearSample(x, grid, 0.5);
      expect(Array.from(out.dataSync())).toEqual([0.5, 0.5]);
      const g = grad4((v) => tf.sum(bilinearSample(v, grid)))(x);
      expect(Array.from(g.dataSync())).toEqual([0, 0, 0, 0]);
      tf.dispose([x, out, g]);
    });
  });

  it('bilinearSample: bad grids are rejected without allocating', async () => {
    await useBackend(backend);
    await expectNoLeak(() => {
      const x = tf.ones([1, 2, 2, 1]) as tf.Tensor4D;
      expect(() => bilinearSample(x, { height: 2, width: 2, ys: [0], xs: [0] })).toThrow(
        /^Error in ops\.bilinearSample: grid\.ys and grid\.xs must have height \* width = 4 entries, but got 1 and 1\.$/,
      );
      expect(() => bilinearSample(x, { height: 0, width: 2, ys: [], xs: [] })).toThrow(/grid size must be positive integers, but got 0x2/);
      x.dispose();
    });
  });

  it.each(['reflect', 'symmetric'] as const)('mirrorPad %s: values and gradient vs a float64 reference', async (mode) => {
    await useBackend(backend);
    const [n, h, w, c, p] = [1, 4, 5, 2, mode === 'reflect' ? 3 : 4];
    const map = mirrorPadMap(h, w, p, mode);
    const xv = values(n * h * w * c, 5);
    const rv = values(n * (h + 2 * p) * (w + 2 * p) * c, 6);
    await expectNoLeak(() => {
      const x = tf.tensor4d(xv, [n, h, w, c]);
      const r = tf.tensor4d(rv, [n, h + 2 * p, w + 2 * p, c]);
      const pads: [number, number][] = [[0, 0], [p, p], [p, p], [0, 0]];
      const out = mirrorPad(x, pads, mode);
      expect(out.shape).toEqual([n, h + 2 * p, w + 2 * p, c]);
      expect(maxAbsDiff(out.dataSync(), applyMap(map, xv, n, c))).toBeLessThan(1e-6);
      const g = grad4((v) => tf.sum(tf.mul(mirrorPad(v, pads, mode), r)))(x);
      expect(maxAbsDiff(g.dataSync(), adjointMap(map, rv, n, c))).toBeLessThan(1e-5);
      tf.dispose([x, r, out, g]);
    });
  });

  it('mirrorPad: 1-D hand-computed cases and limits', async () => {
    await useBackend(backend);
    await expectNoLeak(() => {
      const x = tf.tensor1d([1, 2, 3]);
      const a = mirrorPad(x, [[2, 1]], 'reflect');
      const b = mirrorPad(x, [[3, 2]], 'symmetric');
      expect(Array.from(a.dataSync())).toEqual([3, 2, 1, 2, 3, 2]);
      expect(Array.from(b.dataSync())).toEqual([3, 2, 1, 1, 2, 3, 3, 2]);
      expect(() => mirrorPad(x, [[3, 0]], 'reflect')).toThrow(/paddings\[0\] must be integers in \[0, 2\] for mode 'reflect'/);
      tf.dispose([x, a, b]);
    });
  });
});

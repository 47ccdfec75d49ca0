import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { rotate } from '../../src/transform/index';
import { expectNoLeak, maxAbsDiff, useBackend } from '../helpers/tf';
import { adjointMap, applyMap, rotateMap, values } from './reference';

/**
 * On wasm, `rotate` samples on the host (src/transform/randomRotate.ts, `sampleOnHost`); elsewhere
 * it uses the gather-based `bilinearSample`. Both must equal the float64 reference map, forward and
 * adjoint, and each other within the cpu-vs-wasm tolerance.
 */
describe('rotate: host-side sampling on wasm', () => {
  const cases: { n: number; h: number; w: number; c: number; deg: number; fill: number }[] = [
    { n: 2, h: 9, w: 11, c: 3, deg: 7, fill: 0.5 },
    { n: 1, h: 16, w: 13, c: 2, deg: -10, fill: 0 },
    { n: 1, h: 6, w: 6, c: 4, deg: 45, fill: -1.25 },
    { n: 1, h: 12, w: 10, c: 3, deg: -5, fill: 0 }, // RGB without fill (the unrolled path's other branch)
  ];
  for (const k of cases) {
    it(`${k.n}x${k.h}x${k.w}x${k.c}, ${k.deg}°, fill ${k.fill}: values and gradient = float64 reference, wasm = cpu`, async () => {
      const theta = (k.deg * Math.PI) / 180;
      const map = rotateMap(k.h, k.w, theta, k.fill);
      const xv = values(k.n * k.h * k.w * k.c, 21);
      const rv = values(k.n * k.h * k.w * k.c, 22);
      const run = (): { out: Float32Array; g: Float32Array } =>
        tf.tidy(() => {
          const x = tf.tensor4d(xv, [k.n, k.h, k.w, k.c]);
          const r = tf.tensor4d(rv, [k.n, k.h, k.w, k.c]);
          const out = rotate(x, theta, k.fill);
          const g = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(rotate(v as tf.Tensor4D, theta, k.fill), r)))(x);
          return { out: out.dataSync() as Float32Array, g: g.dataSync() as Float32Array };
        });
      const res: Record<string, { out: Float32Array; g: Float32Array }> = {};
      for (const backend of ['wasm', 'cpu'] as const) {
        await useBackend(backend);
        res[backend] = await expectNoLeak(run);
        expect(maxAbsDiff(res[backend].out, applyMap(map, xv, k.n, k.c)), `${backend} forward`).toBeLessThan(1e-5);
        expect(maxAbsDiff(res[backend].g, adjointMap(map, rv, k.n, k.c)), `${backend} gradient`).toBeLessThan(1e-5);
      }
      expect(maxAbsDiff(res.wasm.out, res.cpu.out)).toBeLessThan(1e-5);
      expect(maxAbsDiff(res.wasm.g, res.cpu.g)).toBeLessThan(1e-5);
    });
  }
});

import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/ops/random';
import { imageSample } from '../../src/param/random';
import { collapseAlphaRandom } from '../../src/transform/index';
import { BACKENDS, expectNoLeak, maxAbsDiff, useBackend } from '../helpers/tf';
import { values } from './reference';

describe('collapseAlphaRandom (host side)', () => {
  it('rejects bad options', () => {
    expect(() => collapseAlphaRandom({ sd: -1 })).toThrow(
      /^Error in transform\.collapseAlphaRandom: sd must be a non-negative number, but got -1\.$/,
    );
    expect(() => collapseAlphaRandom({ sd: NaN })).toThrow(/sd must be a non-negative number, but got NaN/);
  });
});

describe.each(BACKENDS)('collapseAlphaRandom on %s', (backend) => {
  it('composites α·rgb + (1−α)·noise over a seeded imageSample, with the right gradients', async () => {
    await useBackend(backend);
    const [n, h, w] = [2, 8, 10];
    const rgbv = values(n * h * w * 3, 21);
    const av = values(n * h * w, 22);
    const rgba = new Float32Array(n * h * w * 4);
    for (let p = 0; p < n * h * w; p++) {
      for (let c = 0; c < 3; c++) rgba[p * 4 + c] = rgbv[p * 3 + c];
      rgba[p * 4 + 3] = av[p];
    }
    await expectNoLeak(() => {
      const x = tf.tensor4d(rgba, [n, h, w, 4]);
      const t = collapseAlphaRandom({ sd: 0.5 });
      const out = t(x, new Rng(9));
      expect(out.shape).toEqual([n, h, w, 3]);
      // the background the transform must have used: imageSample seeded with the rng's first seed
      const bg = imageSample([n, h, w, 3], { sd: 0.5, seed: new Rng(9).seed() });
      const noise = bg.image();
      const nv = noise.dataSync();
      bg.dispose();
      const expected = new Float64Array(n * h * w * 3);
      for (let p = 0; p < n * h * w; p++) {
        for (let c = 0; c < 3; c++) expected[p * 3 + c] = av[p] * rgbv[p * 3 + c] + (1 - av[p]) * nv[p * 3 + c];
      }
      expect(maxAbsDiff(out.dataSync(), expected)).toBeLessThan(1e-5);
      // the noise is not flat and the two batch items differ
      const half = h * w * 3;
      expect(maxAbsDiff(nv.slice(0, half), nv.slice(half))).toBeGreaterThan(0.01);
      // seeded determinism
      const again = t(x, new Rng(9));
      const other = t(x, new Rng(10));
      expect(Array.from(again.dataSync())).toEqual(Array.from(out.dataSync()));
      expect(maxAbsDiff(other.dataSync(), out.dataSync())).toBeGreaterThan(0.01);
      // d sum(out) / d rgb = α, d sum(out) / d α = Σ_c (rgb_c − noise_c)
      const g = tf.grad((v: tf.Tensor) => tf.sum(t(v as tf.Tensor4D, new Rng(9))))(x);
      const gv = g.dataSync();
      let err = 0;
      for (let p = 0; p < n * h * w; p++) {
        for (let c = 0; c < 3; c++) err = Math.max(err, Math.abs(gv[p * 4 + c] - av[p]));
        let da = 0;
        for (let c = 0; c < 3; c++) da += rgbv[p * 3 + c] - nv[p * 3 + c];
        err = Math.max(err, Math.abs(gv[p * 4 + 3] - da));
      }
      expect(err).toBeLessThan(1e-5);
      expect(Array.from(x.dataSync())).toEqual(Array.from(rgba));
      const rgb = tf.zeros([1, 4, 4, 3]) as tf.Tensor4D;
      expect(() => t(rgb, new Rng(0))).toThrow(/^Error in transform\.collapseAlphaRandom: image must have 4 channels \(RGBA\), but got 3\.$/);
      tf.dispose([x, out, noise, again, other, g, rgb]);
    });
  });
});

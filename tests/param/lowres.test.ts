import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { laplacianPyramid, lowresTensor } from '../../src/param/index';
import { BACKENDS, expectNoLeak, maxAbsDiff, useBackend } from '../helpers/tf';
import { checkGradFd, refResizeBilinear, refResizeNd, refSymmetricShift } from './reference';

describe.each(BACKENDS)('lowresTensor on %s', (backend) => {
  it.each([
    [[1, 12, 10, 3], [1, 3, 4, 3]],
    [[2, 9, 7, 2], [2, 4, 3, 2]],
    [[16, 16, 3], [5, 4, 3]],
    [[3, 8, 8, 6], [1, 3, 2, 2]], // resizes batch and channels too (pairs of dims, as Lucid)
    [[8, 6, 3], [8, 6, 3]], // no resize
  ])('upsamples %j from %j like TF1 resize_bilinear (float64 reference)', async (shape, under) => {
    await useBackend(backend);
    await expectNoLeak(() => {
      const p = lowresTensor(shape, under, { sd: 1, seed: 2 });
      const [v] = p.variables;
      expect(v.shape).toEqual(under);
      const t = p.image();
      expect(t.shape).toEqual(shape);
      const ref = refResizeNd(v.dataSync(), under, shape);
      expect(maxAbsDiff(t.dataSync(), ref)).toBeLessThan(1e-5);
      t.dispose();
      p.dispose();
    });
  });

  it('agrees with tfjs resizeBilinear(alignCorners=false, halfPixelCenters=false) in 2-D', async () => {
    await useBackend(backend);
    await expectNoLeak(() => {
      const p = lowresTensor([2, 11, 13, 3], [2, 4, 5, 3], { sd: 1, seed: 5 });
      const t = p.image();
      const tfjs = tf.image.resizeBilinear(p.variables[0] as tf.Tensor4D, [11, 13], false, false);
      expect(maxAbsDiff(t.dataSync(), tfjs.dataSync())).toBeLessThan(1e-5);
      // and the 2-D reference agrees with tfjs too (the reference is right)
      expect(maxAbsDiff(refResizeBilinear(p.variables[0].dataSync(), [2, 4, 5, 3], 11, 13), tfjs.dataSync())).toBeLessThan(1e-5);
      tf.dispose([t, tfjs]);
      p.dispose();
    });
  });

  it.each([[true], [[0, 3, 3, 0]], [[0, 2.9, false, 0]]] as const)('applies Lucid offset %j (symmetric pad, then slice)', async (offset) => {
    await useBackend(backend);
    const shape = [1, 12, 10, 3], under = [1, 3, 4, 3];
    const resolved =
      offset === true
        ? shape.map((s, i) => Math.trunc(s / under[i] / 2))
        : typeof offset === 'number'
          ? shape.map(() => offset)
          : (offset as readonly (number | boolean)[]).map((o) => Math.trunc(Number(o)));
    await expectNoLeak(() => {
      const p = lowresTensor(shape, under, { offset: offset as never, sd: 1, seed: 8 });
      const t = p.image();
      const up = refResizeNd(p.variables[0].dataSync(), under, shape);
      const ref = refSymmetricShift(up, shape, resolved);
      expect(maxAbsDiff(t.dataSync(), ref)).toBeLessThan(1e-5);
      // the offset actually moved something
      if (resolved.some((r) => r > 0)) expect(maxAbsDiff(t.dataSync(), up)).toBeGreaterThan(1e-3);
      t.dispose();
      p.dispose();
    });
  });

  it('resolves offset true as trunc(shape / underlying / 2)', async () => {
    await useBackend(backend);
    // 12/3/2 = 2, 10/4/2 = 1.25 → 1, 3/3/2 = 0.5 → 0
    const shape = [1, 12, 10, 3], under = [1, 3, 4, 3];
    await expectNoLeak(() => {
      const p = lowresTensor(shape, under, { offset: true, sd: 1, seed: 1 });
      const q = lowresTensor(shape, under, { offset: [0, 2, 1, 0], sd: 1, seed: 1 });
      const a = p.image(), b = q.image();
      expect(Array.from(a.dataSync())).toEqual(Array.from(b.dataSync()));
      tf.dispose([a, b]);
      p.dispose();
      q.dispose();
    });
  });

  it('has exact gradients (finite differences), including the mirrored offset part', async () => {
    await useBackend(backend);
    await expectNoLeak(() => {
      const p = lowresTensor([1, 10, 9, 3], [1, 3, 4, 3], { offset: [0, 4, 3, 0], sd: 0.5, seed: 6 });
      const [an, num] = checkGradFd(p, 2);
      expect(Math.abs(an - num)).toBeLessThan(1e-3 * Math.abs(an) + 1e-6);
      p.dispose();
    });
  });

  it('rejects bad arguments', async () => {
    await useBackend(backend);
    await expectNoLeak(() => {
      expect(() => lowresTensor([8, 8], [4, 4])).toThrow(/Error in param\.lowresTensor: shape must be an array of 3 or 4 positive integers, but got \[8, 8\]\./);
      expect(() => lowresTensor([1, 8, 8, 3], [4, 4, 3])).toThrow(/underlyingShape must be an array of 4 positive integers, but got \[4, 4, 3\]\./);
      expect(() => lowresTensor([1, 8, 8, 3], [1, 4, -4, 3])).toThrow(/underlyingShape\[2\] must be a positive integer, but got -4\./);
      expect(() => lowresTensor([1, 8, 8, 3], [1, 4, 4, 3], { offset: [1, 2] })).toThrow(/options\.offset must have one entry per dimension \(4\), but got \[1, 2\]\./);
      expect(() => lowresTensor([1, 8, 8, 3], [1, 4, 4, 3], { offset: 9 })).toThrow(/options\.offset\[0\] must truncate to an integer in \[0, 1\]/);
      expect(() => lowresTensor([1, 8, 8, 3], [1, 4, 4, 3], { offset: NaN })).toThrow(/options\.offset must be a number, a boolean or a list of them, but got NaN/);
      expect(() => lowresTensor([1, 8, 8, 3], [1, 4, 4, 3], { sd: -0.1 })).toThrow(/options\.sd must be a non-negative number, but got -0\.1\./);
    });
  });
});

describe.each(BACKENDS)('laplacianPyramid on %s', (backend) => {
  it('is the sum of bilinearly upsampled levels at 1/2ⁿ resolution', async () => {
    await useBackend(backend);
    await expectNoLeak(() => {
      const shape = [1, 16, 12, 3];
      // levels is Lucid's n_levels: laplacian_pyramid_image(shape, n_levels=3) sums k = 2**n for n in range(3).
      const p = laplacianPyramid(shape, { levels: 3, sd: 1, seed: 4 });
      expect(p.variables.map((v) => v.shape)).toEqual([
        [1, 16, 12, 3],
        [1, 8, 6, 3],
        [1, 4, 3, 3],
      ]);
      const ref = new Float64Array(16 * 12 * 3);
      for (const v of p.variables) {
        const up = refResizeNd(v.dataSync(), v.shape, shape);
        for (let i = 0; i < ref.length; i++) ref[i] += up[i];
      }
      const t = p.image();
      expect(maxAbsDiff(t.dataSync(), ref)).toBeLessThan(1e-5);
      t.dispose();
      const [an, num] = checkGradFd(p, 3);
      expect(Math.abs(an - num)).toBeLessThan(1e-3 * Math.abs(an) + 1e-6);
      p.dispose();
    });
  });

  it('rejects too many levels for the size', async () => {
    await useBackend(backend);
    await expectNoLeak(() => {
      expect(() => laplacianPyramid([1, 8, 8, 3], { levels: 5 })).toThrow(/Error in param\.laplacianPyramid: options\.levels must leave the coarsest level at least 1×1/);
      expect(() => laplacianPyramid([1, 8, 8, 3], { levels: 0 })).toThrow(/options\.levels must be a positive integer, but got 0\./);
    });
  });
});

import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/ops/random';
import {
  compose,
  cropOrPadTo,
  jitter,
  normalizeGradient,
  pad,
  randomRotate,
  randomScale,
  rotate,
  scaledSize,
  standardTransforms,
  STANDARD_ANGLES,
  STANDARD_SCALES,
  type Transform,
} from '../../src/transform/index';
import { BACKENDS, expectNoLeak, maxAbsDiff, useBackend } from '../helpers/tf';
import { adjointMap, applyMap, mirrorIndex, rotateMap, tf1ResizeMap, values } from './reference';

/** `tf.grad` for a function of a rank-4 tensor. */
const grad4 = (f: (v: tf.Tensor4D) => tf.Tensor) => tf.grad((v: tf.Tensor) => f(v as tf.Tensor4D));

/** A [n, h, w, c] test image with distinct values. */
function img(n: number, h: number, w: number, c: number, seed = 1): tf.Tensor4D {
  return tf.tensor4d(values(n * h * w * c, seed), [n, h, w, c]);
}

describe('transform factories (host side)', () => {
  it('standardTransforms returns a fresh list of five with Lucid constants', () => {
    const a = standardTransforms();
    const b = standardTransforms();
    expect(a).toHaveLength(5);
    expect(a).not.toBe(b);
    a.pop();
    expect(standardTransforms()).toHaveLength(5);
    expect(STANDARD_SCALES).toHaveLength(11);
    expect(STANDARD_SCALES[0]).toBeCloseTo(0.9, 12);
    expect(STANDARD_SCALES[5]).toBe(1);
    expect(STANDARD_SCALES[10]).toBeCloseTo(1.1, 12);
    expect(STANDARD_ANGLES).toHaveLength(26);
    expect(STANDARD_ANGLES.filter((x) => x === 0)).toHaveLength(6);
    expect(Math.min(...STANDARD_ANGLES)).toBe(-10);
    expect(Math.max(...STANDARD_ANGLES)).toBe(10);
    expect(Object.isFrozen(STANDARD_SCALES)).toBe(true);
  });

  it('scaledSize floors the float32 product as Lucid does', () => {
    expect(scaledSize(0.9, 64)).toBe(57);
    expect(scaledSize(1.1, 248)).toBe(272);
    expect(scaledSize(1, 37)).toBe(37);
    expect(scaledSize(0.5, 1)).toBe(0);
  });

  it('rejects bad arguments naming the argument', () => {
    expect(() => jitter(-1)).toThrow(/^Error in transform\.jitter: d must be a non-negative integer, but got -1\.$/);
    expect(() => jitter(NaN)).toThrow(/transform\.jitter: d must be a non-negative integer, but got NaN/);
    expect(() => jitter(1.5)).toThrow(/d must be a non-negative integer, but got 1\.5/);
    expect(() => pad(-2)).toThrow(/^Error in transform\.pad: w must be a non-negative integer, but got -2\.$/);
    expect(() => pad(2, { mode: 'wrap' as 'reflect' })).toThrow(
      /^Error in transform\.pad: mode must be one of 'reflect', 'constant', 'symmetric', but got "wrap"\.$/,
    );
    expect(() => pad(2, { mode: 'constant', constantValue: NaN })).toThrow(/constantValue must be a finite number or 'uniform', but got NaN/);
    expect(() => pad(2, { modes: 'reflect' } as unknown as { mode: 'reflect' })).toThrow(/unknown option "modes"/);
    expect(() => randomScale([])).toThrow(/^Error in transform\.randomScale: scales must be a non-empty array of finite numbers, but got \[\]\.$/);
    expect(() => randomScale([1, NaN])).toThrow(/scales\[1\] must be a finite number, but got NaN/);
    expect(() => randomScale([1, -0.5])).toThrow(/scales\[1\] must be a positive number, but got -0\.5/);
    expect(() => randomRotate([])).toThrow(/^Error in transform\.randomRotate: angles must be a non-empty array/);
    expect(() => randomRotate([0, Infinity])).toThrow(/angles\[1\] must be a finite number, but got Infinity/);
    expect(() => randomRotate([0], { units: 'turns' as 'degrees' })).toThrow(
      /^Error in transform\.randomRotate: units must be one of 'degrees', 'radians', but got "turns"\.$/,
    );
    expect(() => compose([jitter(1), 3 as unknown as Transform])).toThrow(
      /^Error in transform\.compose: transforms\[1\] must be a transform function, but got 3\.$/,
    );
    expect(() => cropOrPadTo(0, 4)).toThrow(/^Error in transform\.cropOrPadTo: height must be a positive integer, but got 0\.$/);
    expect(() => normalizeGradient({ gradScales: [] })).toThrow(/gradScales must be a non-empty array/);
  });

  it('copies the lists it is given', async () => {
    await useBackend('cpu');
    const list: Transform[] = [jitter(2)];
    const t = compose(list);
    list.push(jitter(100));
    const scales = [0.5];
    const s = randomScale(scales);
    scales[0] = 2;
    await expectNoLeak(() => {
      const x = img(1, 8, 8, 1);
      const a = t(x, new Rng(0));
      const b = s(x, new Rng(0));
      expect(a.shape).toEqual([1, 6, 6, 1]);
      expect(b.shape).toEqual([1, 4, 4, 1]);
      tf.dispose([x, a, b]);
    });
  });
});

describe.each(BACKENDS)('transforms on %s', (backend) => {
  it('jitter crops d pixels at an offset in [0, d], every offset reachable', async () => {
    await useBackend(backend);
    const [h, w, d] = [6, 7, 2];
    const xv = values(h * w, 2);
    await expectNoLeak(() => {
      const x = tf.tensor4d(xv, [1, h, w, 1]);
      const seen = new Set<string>();
      const rng = new Rng(3);
      for (let k = 0; k < 60; k++) {
        const out = jitter(d)(x, rng);
        expect(out.shape).toEqual([1, h - d, w - d, 1]);
        const o = out.dataSync();
        // find the offset that reproduces the crop
        let found = '';
        for (let oy = 0; oy <= d; oy++) {
          for (let ox = 0; ox <= d; ox++) {
            let ok = true;
            for (let i = 0; i < h - d && ok; i++) for (let j = 0; j < w - d && ok; j++) ok = o[i * (w - d) + j] === xv[(i + oy) * w + j + ox];
            if (ok) found = `${oy},${ox}`;
          }
        }
        expect(found).not.toBe('');
        seen.add(found);
        out.dispose();
      }
      expect(seen.size).toBe((d + 1) * (d + 1));
      x.dispose();
    });
  });

  it('jitter\'s gradient puts dy back at the crop offset and zero elsewhere, for every offset (a fixed-margin pad, then a slice)', async () => {
    await useBackend(backend);
    const [n, h, w, c, d] = [2, 7, 6, 3, 3];
    const dyv = values(n * (h - d) * (w - d) * c, 5);
    await expectNoLeak(() => {
      const x = img(n, h, w, c, 4);
      const dy = tf.tensor4d(dyv, [n, h - d, w - d, c]);
      const rng = new Rng(11);
      const twin = new Rng(11); // the same stream: the transform draws oy, then ox
      const seen = new Set<string>();
      for (let k = 0; k < 60; k++) {
        const oy = twin.intBetween(0, d);
        const ox = twin.intBetween(0, d);
        seen.add(`${oy},${ox}`);
        const g = grad4((v) => tf.mul(jitter(d)(v, rng), dy))(x);
        const gv = g.dataSync();
        // independent reference: dx[b, i, j, ch] = dy[b, i - oy, j - ox, ch] inside the window, else 0
        let worst = 0;
        for (let b = 0; b < n; b++) for (let i = 0; i < h; i++) for (let j = 0; j < w; j++) for (let ch = 0; ch < c; ch++) {
          const inside = i >= oy && i < oy + h - d && j >= ox && j < ox + w - d;
          const want = inside ? dyv[((b * (h - d) + i - oy) * (w - d) + j - ox) * c + ch] : 0;
          worst = Math.max(worst, Math.abs(gv[((b * h + i) * w + j) * c + ch] - want));
        }
        expect(worst, `offset ${oy},${ox}`).toBe(0);
        g.dispose();
      }
      expect(seen.size).toBe((d + 1) * (d + 1));
      x.dispose();
      dy.dispose();
    });
  });

  it('pad: constant, uniform, reflect and symmetric values', async () => {
    await useBackend(backend);
    await expectNoLeak(() => {
      const x = tf.tensor4d([1, 2, 3, 4, 5, 6], [1, 2, 3, 1]);
      const c = pad(1, { mode: 'constant', constantValue: 0.5 })(x, new Rng(0));
      expect(c.shape).toEqual([1, 4, 5, 1]);
      expect(Array.from(c.dataSync())).toEqual([0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 1, 2, 3, 0.5, 0.5, 4, 5, 6, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5]);
      const u1 = pad(1, { mode: 'constant', constantValue: 'uniform' })(x, new Rng(7));
      const expected = new Rng(7).next();
      const u = u1.dataSync();
      expect(u[0]).toBeCloseTo(expected, 6);
      expect(u[19]).toBeCloseTo(expected, 6);
      expect(u[6]).toBe(1);
      // reflect: rows [1 2 3],[4 5 6] padded by 1 -> rows mirrored without the edge
      const r = pad(1)(x, new Rng(0));
      expect(Array.from(r.dataSync())).toEqual([5, 4, 5, 6, 5, 2, 1, 2, 3, 2, 5, 4, 5, 6, 5, 2, 1, 2, 3, 2]);
      const s = pad(2, { mode: 'symmetric' })(x, new Rng(0));
      expect(s.shape).toEqual([1, 6, 7, 1]);
      const sv = s.dataSync();
      const xs = [1, 2, 3, 4, 5, 6];
      for (let i = 0; i < 6; i++) {
        for (let j = 0; j < 7; j++) expect(sv[i * 7 + j]).toBe(xs[mirrorIndex(i - 2, 2, 'symmetric') * 3 + mirrorIndex(j - 2, 3, 'symmetric')]);
      }
      tf.dispose([x, c, u1, r, s]);
    });
  });

  it('randomScale matches TF1 resize_bilinear (float64 reference), values and gradient', async () => {
    await useBackend(backend);
    const [n, h, w, c] = [1, 10, 13, 2];
    for (const s of [0.7, 1.3]) {
      const nh = Math.floor(s * h), nw = Math.floor(s * w);
      const map = tf1ResizeMap(h, w, nh, nw);
      const xv = values(n * h * w * c, 8);
      const rv = values(n * nh * nw * c, 9);
      await expectNoLeak(() => {
        const x = tf.tensor4d(xv, [n, h, w, c]);
        const r = tf.tensor4d(rv, [n, nh, nw, c]);
        const out = randomScale([s])(x, new Rng(0));
        expect(out.shape).toEqual([n, nh, nw, c]);
        expect(maxAbsDiff(out.dataSync(), applyMap(map, xv, n, c))).toBeLessThan(1e-5);
        const g = grad4((v) => tf.sum(tf.mul(randomScale([s])(v, new Rng(0)), r)))(x);
        expect(maxAbsDiff(g.dataSync(), adjointMap(map, rv, n, c))).toBeLessThan(1e-4);
        tf.dispose([x, r, out, g]);
      });
    }
  });

  it('randomRotate: 0° is the identity, 90° a transpose-flip, 7° the bilinear reference', async () => {
    await useBackend(backend);
    const n = 9;
    const xv = values(n * n * 2, 10);
    await expectNoLeak(() => {
      const x = tf.tensor4d(xv, [1, n, n, 2]);
      const id = randomRotate([0])(x, new Rng(0));
      expect(Array.from(id.dataSync())).toEqual(Array.from(xv));
      expect(id).not.toBe(x);
      const q = randomRotate([90])(x, new Rng(0));
      const qv = q.dataSync();
      // counter-clockwise quarter turn (numpy rot90): out[i][j] = in[j][n-1-i]
      for (let i = 1; i < n - 1; i++) {
        for (let j = 1; j < n - 1; j++) {
          for (let ch = 0; ch < 2; ch++) expect(qv[(i * n + j) * 2 + ch]).toBeCloseTo(xv[(j * n + (n - 1 - i)) * 2 + ch], 5);
        }
      }
      const rq = randomRotate([Math.PI / 2], { units: 'radians' })(x, new Rng(0));
      expect(maxAbsDiff(rq.dataSync(), qv)).toBeLessThan(1e-6);
      const theta = (7 * Math.PI) / 180;
      const seven = randomRotate([7], { fillValue: 0.5 })(x, new Rng(0));
      expect(maxAbsDiff(seven.dataSync(), applyMap(rotateMap(n, n, theta, 0.5), xv, 1, 2))).toBeLessThan(1e-5);
      // corners come from outside: default fill is 0
      const ones = tf.onesLike(x);
      const corner = rotate(ones, Math.PI / 4);
      expect(corner.dataSync()[0]).toBe(0);
      expect(corner.dataSync()[(4 * n + 4) * 2]).toBeCloseTo(1, 6);
      tf.dispose([x, id, q, rq, seven, ones, corner]);
    });
  });

  it('cropOrPadTo follows resize_image_with_crop_or_pad (centre crop, centred zero pad)', async () => {
    await useBackend(backend);
    const xv = Float32Array.from({ length: 5 * 4 }, (_, i) => i + 1);
    await expectNoLeak(() => {
      const x = tf.tensor4d(xv, [1, 5, 4, 1]);
      // height 5 -> 2: crop from floor(3/2) = 1; width 4 -> 7: pad floor(3/2) = 1 before, 2 after
      const out = cropOrPadTo(2, 7)(x, new Rng(0));
      expect(out.shape).toEqual([1, 2, 7, 1]);
      expect(Array.from(out.dataSync())).toEqual([0, 5, 6, 7, 8, 0, 0, 0, 9, 10, 11, 12, 0, 0]);
      const same = cropOrPadTo(5, 4)(x, new Rng(0));
      expect(Array.from(same.dataSync())).toEqual(Array.from(xv));
      tf.dispose([x, out, same]);
    });
  });

  it('normalizeGradient is the identity forward and normalises each item gradient', async () => {
    await useBackend(backend);
    await expectNoLeak(() => {
      const x = img(2, 3, 3, 2, 11);
      const wv = values(2 * 3 * 3 * 2, 12);
      const wt = tf.tensor4d(wv, [2, 3, 3, 2]);
      const t = normalizeGradient({ gradScales: [1, 3] });
      const y = t(x, new Rng(0));
      expect(Array.from(y.dataSync())).toEqual(Array.from(x.dataSync()));
      const g = grad4((v) => tf.sum(tf.mul(t(v, new Rng(0)), wt)))(x);
      const gv = g.dataSync();
      const per = 18;
      for (let b = 0; b < 2; b++) {
        let norm = 0;
        for (let k = 0; k < per; k++) norm += wv[b * per + k] ** 2;
        norm = Math.sqrt(norm);
        for (let k = 0; k < per; k++) expect(gv[b * per + k]).toBeCloseTo(([1, 3][b] * wv[b * per + k]) / norm, 5);
      }
      // a zero gradient stays zero (not NaN)
      const z = grad4((v) => tf.sum(tf.mul(t(v, new Rng(0)), 0)))(x);
      expect(Array.from(z.dataSync()).every((v) => v === 0)).toBe(true);
      const three = img(3, 2, 2, 1);
      expect(() => t(three, new Rng(0))).toThrow(
        /^Error in transform\.normalizeGradient: gradScales must have one entry per batch item \(3\), but got \[1, 3\]\.$/,
      );
      tf.dispose([x, wt, y, g, z, three]);
    });
  });

  it('gradients flow through every transform and the standard set (non-zero, finite, input shape)', async () => {
    await useBackend(backend);
    const cases: [string, Transform][] = [
      ['jitter', jitter(3)],
      ['pad reflect', pad(3)],
      ['pad symmetric', pad(3, { mode: 'symmetric' })],
      ['pad constant', pad(3, { mode: 'constant' })],
      ['randomScale', randomScale([0.9, 1.1])],
      ['randomRotate', randomRotate([-10, 10])],
      ['cropOrPadTo', cropOrPadTo(14, 20)],
      ['normalizeGradient', normalizeGradient()],
      ['standardTransforms', compose(standardTransforms())],
    ];
    await expectNoLeak(() => {
      const x = img(1, 16, 16, 3, 13);
      for (const [name, t] of cases) {
        const g = grad4((v) => tf.sum(tf.square(t(v, new Rng(5)))))(x);
        expect(g.shape, name).toEqual([1, 16, 16, 3]);
        const gv = g.dataSync();
        expect(gv.every(Number.isFinite), name).toBe(true);
        expect(gv.some((v) => v !== 0), name).toBe(true);
        g.dispose();
      }
      x.dispose();
    });
  });

  it('standardTransforms: seeded determinism, expected shapes, input untouched, no leak', async () => {
    await useBackend(backend);
    await expectNoLeak(() => {
      const x = img(2, 32, 32, 3, 14);
      const before = Array.from(x.dataSync());
      const t = compose(standardTransforms());
      const a = t(x, new Rng(42));
      const b = t(x, new Rng(42));
      const c = t(x, new Rng(43));
      expect(a.shape).toEqual(b.shape);
      expect(Array.from(a.dataSync())).toEqual(Array.from(b.dataSync()));
      const differs = a.shape.join() !== c.shape.join() || maxAbsDiff(a.dataSync(), c.dataSync()) > 0;
      expect(differs).toBe(true);
      // 32 + 24 - 8 = 48, scaled by s in [0.9, 1.1], minus 4
      const side = a.shape[1];
      expect(STANDARD_SCALES.map((s) => scaledSize(s, 48) - 4)).toContain(side);
      expect(a.shape[0]).toBe(2);
      expect(a.shape[3]).toBe(3);
      expect(x.isDisposed).toBe(false);
      expect(Array.from(x.dataSync())).toEqual(before);
      tf.dispose([x, a, b, c]);
    });
  });

  it('rejects images the transform would shrink below 1 px, and bad images, leaving nothing allocated', async () => {
    await useBackend(backend);
    await expectNoLeak(() => {
      const x = img(1, 4, 6, 1);
      expect(() => jitter(4)(x, new Rng(0))).toThrow(
        /^Error in transform\.jitter: image height and width must be greater than d = 4 \(the crop would be 0x2 px, below the 1 px limit\), but got 4x6\.$/,
      );
      expect(() => randomScale([0.2])(x, new Rng(0))).toThrow(
        /^Error in transform\.randomScale: scale 0\.2 must keep the image at least 1x1 px, but got 4x6 scaled to 0x1\.$/,
      );
      expect(() => pad(4)(x, new Rng(0))).toThrow(/^Error in transform\.pad: image height and width must be greater than w = 4 for mode 'reflect', but got 4x6\.$/);
      expect(() => pad(5, { mode: 'symmetric' })(x, new Rng(0))).toThrow(/must be at least w = 5 for mode 'symmetric', but got 4x6/);
      expect(() => compose([pad(1), jitter(2), jitter(4)])(x, new Rng(0))).toThrow(/transform\.jitter: .*but got 4x6\./);
      const flat = tf.ones([4, 4]);
      expect(() => jitter(1)(flat as unknown as tf.Tensor4D, new Rng(0))).toThrow(
        /^Error in transform\.jitter: image must be a rank-4 \[N, H, W, C\] tensor, but got shape \[4, 4\]\.$/,
      );
      expect(() => jitter(1)(x, 3 as unknown as Rng)).toThrow(/rng must be an Rng \(new Rng\(seed\)\), but got 3/);
      expect(() => rotate(x, NaN)).toThrow(/^Error in transform\.rotate: radians must be a finite number, but got NaN\.$/);
      expect(() => rotate(flat as unknown as tf.Tensor4D, 1)).toThrow(/^Error in transform\.rotate: image must be a rank-4 \[N, H, W, C\] tensor, but got shape \[4, 4\]\.$/);
      tf.dispose([x, flat]);
    });
  });
});

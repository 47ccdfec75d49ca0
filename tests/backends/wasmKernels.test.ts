import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectNoLeak, useBackend } from '../helpers/tf';
import {
  gradientFixes,
  installGradientFixes,
  maxPoolBackpropByTaps,
  uninstallGradientFixes,
} from '../../src/backends/index';
import { Rng } from '../../src/ops/random';
import { conv2dGradsRef, depthwiseGradsRef, maxPoolGradRef, relErr, type Arr4 } from './convReference';

type S4 = [number, number, number, number];

/** Seeded float values (optionally rounded to create ties). */
function values(shape: S4, seed: number, round = false): Float32Array {
  const r = new Rng(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  return Float32Array.from({ length: n }, () => (round ? Math.round(r.normal(0, 1.5)) : r.normal()));
}
const arr = (data: Float32Array, shape: S4): Arr4 => ({ data, shape });

/** Gradients of sum(f(x, w) · r) w.r.t. x and w on the current backend, as plain arrays. */
function grads(f: (x: tf.Tensor4D, w: tf.Tensor4D) => tf.Tensor4D, x: Arr4, w: Arr4, r: Float32Array): [Float32Array, Float32Array] {
  return tf.tidy(() => {
    const xt = tf.tensor4d(Float32Array.from(x.data), x.shape);
    const wt = tf.tensor4d(Float32Array.from(w.data), w.shape);
    const [dx, dw] = tf.grads((a: tf.Tensor, b: tf.Tensor) => {
      const y = f(a as tf.Tensor4D, b as tf.Tensor4D);
      return tf.sum(tf.mul(y, tf.tensor(r, y.shape)));
    })([xt, wt]);
    return [dx.dataSync() as Float32Array, dw.dataSync() as Float32Array];
  });
}

const CONV_CASES: { s: number; pad: 'same' | 'valid'; x: S4; w: S4 }[] = [
  { s: 1, pad: 'same', x: [2, 9, 8, 3], w: [3, 3, 3, 4] },
  { s: 2, pad: 'same', x: [1, 9, 10, 3], w: [3, 3, 3, 5] },
  { s: 2, pad: 'valid', x: [1, 10, 9, 2], w: [3, 2, 2, 4] },
  { s: 3, pad: 'same', x: [1, 11, 7, 2], w: [5, 5, 2, 3] },
];

describe('wasm gradient fixes', () => {
  beforeAll(async () => {
    await useBackend('wasm');
    uninstallGradientFixes('wasm');
  });
  afterAll(() => {
    installGradientFixes('wasm');
  });

  it('installs idempotently, restores the stock kernels, never switches the backend', async () => {
    await useBackend('cpu');
    const stockInput = tf.getKernel('Conv2DBackpropInput', 'wasm');
    expect(tf.getKernel('Conv2DBackpropFilter', 'wasm')).toBeUndefined();
    const added = installGradientFixes('wasm');
    expect(tf.getBackend()).toBe('cpu');
    expect(added.sort()).toEqual(
      [
        'AvgPoolGrad',
        'Conv2DBackpropFilter',
        'Conv2DBackpropInput',
        'DepthwiseConv2dNativeBackpropFilter',
        'DepthwiseConv2dNativeBackpropInput',
        'Identity',
        'MaxPoolGrad',
        'OneHot',
        'OptvisMaskByPositive',
        'Slice',
        'SplitV',
        'UnsortedSegmentSum',
      ].sort(),
    );
    expect(installGradientFixes('wasm')).toEqual([]);
    expect(gradientFixes('wasm').every((f) => f.installed)).toBe(true);
    expect(tf.getKernel('Conv2DBackpropInput', 'wasm')).not.toBe(stockInput);
    uninstallGradientFixes('cpu');
    expect(installGradientFixes('cpu').sort()).toEqual(['AvgPoolGrad', 'MaxPoolGrad', 'Slice', 'SplitV']);
    expect(installGradientFixes('cpu')).toEqual([]);
    expect(uninstallGradientFixes('wasm').length).toBe(12);
    expect(tf.getKernel('Conv2DBackpropInput', 'wasm')).toBe(stockInput);
    expect(tf.getKernel('Conv2DBackpropFilter', 'wasm')).toBeUndefined();
    expect(gradientFixes('wasm').some((f) => f.installed)).toBe(false);
    await useBackend('wasm');
  });

  it('rejects bad backend names', () => {
    expect(() => installGradientFixes('')).toThrow(/^Error in backends\.installGradientFixes: backendName must be a backend name such as 'wasm', 'cpu' or 'webgl', but got ""\.$/);
    expect(() => uninstallGradientFixes(3 as unknown as string)).toThrow(/Error in backends\.uninstallGradientFixes: backendName must be .*, but got 3\./);
  });

  it('Conv2DBackpropFilter: missing on stock wasm; fixed = float64 reference', async () => {
    const c = CONV_CASES[0];
    const x = arr(values(c.x, 1), c.x);
    const w = arr(values(c.w, 2), c.w);
    const f = (a: tf.Tensor4D, b: tf.Tensor4D): tf.Tensor4D => tf.conv2d(a, b, c.s, c.pad);
    const before = tf.memory().numTensors;
    expect(() => grads(f, x, w, new Float32Array(2 * 9 * 8 * 4))).toThrow(/Conv2DBackpropFilter' not registered for backend 'wasm'/);
    // a throwing tf.grad leaks its forward tensors; that is tfjs, not us — just note it happened
    expect(tf.memory().numTensors).toBeGreaterThanOrEqual(before);
    installGradientFixes('wasm');
    for (const cc of CONV_CASES) {
      const xx = arr(values(cc.x, 3), cc.x);
      const ww = arr(values(cc.w, 4), cc.w);
      const [oh, ow] = [Math.ceil, Math.ceil].map((_, i) =>
        cc.pad === 'same' ? Math.ceil(cc.x[i + 1] / cc.s) : Math.floor((cc.x[i + 1] - cc.w[i]) / cc.s) + 1,
      );
      const rShape: S4 = [cc.x[0], oh, ow, cc.w[3]];
      const r = values(rShape, 5);
      const ref = conv2dGradsRef(xx, ww, arr(r, rShape), cc.s, cc.pad);
      const [dx, dw] = await expectNoLeak(() => grads((a, b) => tf.conv2d(a, b, cc.s, cc.pad), xx, ww, r));
      expect(relErr(dx, ref.dx), `dx ${JSON.stringify(cc)}`).toBeLessThan(1e-5);
      expect(relErr(dw, ref.dw), `dw ${JSON.stringify(cc)}`).toBeLessThan(1e-5);
    }
    uninstallGradientFixes('wasm');
  });

  it('Depthwise backprop kernels: missing on stock wasm; fixed = float64 reference', async () => {
    const cases: { s: number; pad: 'same' | 'valid'; x: S4; w: S4 }[] = [
      { s: 1, pad: 'same', x: [2, 8, 9, 3], w: [3, 3, 3, 2] },
      { s: 2, pad: 'same', x: [1, 9, 10, 4], w: [3, 3, 4, 1] },
      { s: 2, pad: 'valid', x: [1, 10, 9, 2], w: [3, 3, 2, 3] },
    ];
    const c0 = cases[0];
    expect(() =>
      grads((a, b) => tf.depthwiseConv2d(a, b, 1, 'same'), arr(values(c0.x, 1), c0.x), arr(values(c0.w, 2), c0.w), new Float32Array(2 * 8 * 9 * 6)),
    ).toThrow(/DepthwiseConv2dNativeBackprop(Input|Filter)' not registered for backend 'wasm'/);
    installGradientFixes('wasm');
    for (const c of cases) {
      const x = arr(values(c.x, 6), c.x);
      const w = arr(values(c.w, 7), c.w);
      const [oh, ow] = [1, 2].map((i) => (c.pad === 'same' ? Math.ceil(c.x[i] / c.s) : Math.floor((c.x[i] - c.w[i - 1]) / c.s) + 1));
      const rShape: S4 = [c.x[0], oh, ow, c.w[2] * c.w[3]];
      const r = values(rShape, 8);
      const ref = depthwiseGradsRef(x, w, arr(r, rShape), c.s, c.pad);
      const [dx, dw] = await expectNoLeak(() => grads((a, b) => tf.depthwiseConv2d(a, b, c.s, c.pad), x, w, r));
      expect(relErr(dx, ref.dx), `dx ${JSON.stringify(c)}`).toBeLessThan(1e-5);
      expect(relErr(dw, ref.dw), `dw ${JSON.stringify(c)}`).toBeLessThan(1e-5);
    }
    uninstallGradientFixes('wasm');
  });

  it('MaxPoolGrad: stock wasm drops windows of values <= 0 and breaks ties differently; fixed = TF semantics', async () => {
    const cases: { k: number; s: number; pad: 'same' | 'valid'; x: S4 }[] = [
      { k: 2, s: 2, pad: 'same', x: [1, 7, 8, 3] },
      { k: 3, s: 2, pad: 'same', x: [2, 9, 8, 2] },
      { k: 3, s: 1, pad: 'valid', x: [1, 7, 6, 2] },
      { k: 3, s: 3, pad: 'same', x: [1, 10, 11, 2] },
    ];
    const run = (c: (typeof cases)[number], x: Float32Array, r: Float32Array): Float32Array =>
      tf.tidy(() => {
        const xt = tf.tensor4d(x, c.x);
        const g = tf.grad((v: tf.Tensor) => {
          const y = tf.maxPool(v as tf.Tensor4D, c.k, c.s, c.pad);
          return tf.sum(tf.mul(y, tf.tensor(r, y.shape)));
        })(xt);
        return g.dataSync() as Float32Array;
      });
    const rShapeOf = (c: (typeof cases)[number]): S4 => {
      const [oh, ow] = [1, 2].map((i) => (c.pad === 'same' ? Math.ceil(c.x[i] / c.s) : Math.floor((c.x[i] - c.k) / c.s) + 1));
      return [c.x[0], oh, ow, c.x[3]];
    };
    // All-negative input: the stock kernel loses most of the gradient.
    const c0 = cases[0];
    const neg = values(c0.x, 9).map((v) => -Math.abs(v) - 0.1);
    const r0 = values(rShapeOf(c0), 10);
    const ref0 = maxPoolGradRef(arr(neg, c0.x), c0.k, c0.s, c0.pad, arr(r0, rShapeOf(c0)));
    expect(relErr(run(c0, neg, r0), ref0)).toBeGreaterThan(0.5);
    installGradientFixes('wasm');
    expect(relErr(await expectNoLeak(() => run(c0, neg, r0)), ref0)).toBeLessThan(1e-6);
    for (const c of cases) {
      const x = values(c.x, 11, true); // integers: many ties and many windows <= 0
      const r = values(rShapeOf(c), 12);
      const ref = maxPoolGradRef(arr(x, c.x), c.k, c.s, c.pad, arr(r, rShapeOf(c)));
      expect(relErr(await expectNoLeak(() => run(c, x, r)), ref), JSON.stringify(c)).toBeLessThan(1e-6);
    }
    uninstallGradientFixes('wasm');
  });

  it('MaxPoolGrad on cpu: the installed host pass = float64 reference (ties, windows <= 0) and the stock cpu kernel without ties', async () => {
    await useBackend('cpu');
    uninstallGradientFixes('cpu');
    const grad = (x: Float32Array, shape: S4, r: Float32Array, k: number, s: number, pad: 'same' | 'valid'): Float32Array =>
      tf.tidy(() => {
        const g = tf.grad((v: tf.Tensor) => {
          const y = tf.maxPool(v as tf.Tensor4D, k, s, pad);
          return tf.sum(tf.mul(y, tf.tensor(r, y.shape)));
        })(tf.tensor4d(x, shape));
        return g.dataSync() as Float32Array;
      });
    for (const [k, s, pad, shape] of [[3, 2, 'same', [2, 9, 8, 5]], [3, 1, 'same', [1, 7, 6, 8]], [2, 2, 'valid', [1, 8, 7, 3]]] as const) {
      const [oh, ow] = [1, 2].map((i) => (pad === 'same' ? Math.ceil(shape[i] / s) : Math.floor((shape[i] - k) / s) + 1));
      const rShape: S4 = [shape[0], oh, ow, shape[3]];
      const r = values(rShape, 14);
      const distinct = values([...shape], 13); // continuous values: no ties
      const ints = values([...shape], 15, true); // many ties, many windows <= 0
      const stockDistinct = grad(distinct, [...shape], r, k, s, pad);
      installGradientFixes('cpu');
      const fixedDistinct = await expectNoLeak(() => grad(distinct, [...shape], r, k, s, pad));
      const fixedInts = await expectNoLeak(() => grad(ints, [...shape], r, k, s, pad));
      uninstallGradientFixes('cpu');
      // (Where windows overlap, an input's terms are added in another order: float32 rounding.)
      expect(relErr(fixedDistinct, stockDistinct), `${k} ${s} ${pad} vs stock`).toBeLessThan(1e-6);
      expect(Math.max(...fixedDistinct.map(Math.abs))).toBeGreaterThan(0);
      expect(relErr(fixedInts, maxPoolGradRef(arr(ints, [...shape]), k, s, pad, arr(r, rShape))), `${k} ${s} ${pad}`).toBeLessThan(1e-6);
    }
    await useBackend('wasm');
  });

  it('maxPoolBackpropByTaps (the fallback without a stock kernel) = float64 reference', async () => {
    await useBackend('cpu');
    for (const [k, s, pad] of [[2, 2, 'same'], [3, 2, 'same'], [3, 1, 'valid'], [2, 3, 'valid']] as const) {
      const shape: S4 = [1, 9, 10, 2];
      const x = values(shape, 13, true);
      const out = await expectNoLeak(() =>
        tf.tidy(() => {
          const xt = tf.tensor4d(x, shape);
          const y = tf.maxPool(xt, k, s, pad);
          const r = tf.tensor4d(values(y.shape as S4, 14), y.shape);
          const dx = maxPoolBackpropByTaps(r, xt, y, k, s, pad);
          return { dx: dx.dataSync() as Float32Array, r: r.dataSync() as Float32Array, rs: y.shape as S4 };
        }),
      );
      const ref = maxPoolGradRef(arr(x, shape), k, s, pad, arr(out.r, out.rs));
      expect(relErr(out.dx, ref), `${k} ${s} ${pad}`).toBeLessThan(1e-6);
    }
    await useBackend('wasm');
  });

  it('UnsortedSegmentSum (gradient of tf.gather): missing on stock wasm; fixed = float64 reference', async () => {
    const shape: S4 = [1, 4, 5, 6];
    const x = values(shape, 15);
    const idx = [4, 1, 4, 0]; // repeated index: its gradients add up
    const r = values([1, 4, 5, 4], 16);
    const run = (): Float32Array =>
      tf.tidy(() => {
        const g = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(tf.gather(v, idx, 3), tf.tensor(r, [1, 4, 5, 4]))))(tf.tensor4d(x, shape));
        return g.dataSync() as Float32Array;
      });
    expect(run).toThrow(/UnsortedSegmentSum' not registered for backend 'wasm'/);
    installGradientFixes('wasm');
    const got = await expectNoLeak(run);
    const ref = new Float64Array(x.length);
    for (let p = 0; p < 20; p++) idx.forEach((c, k) => (ref[p * 6 + c] += r[p * 4 + k]));
    expect(relErr(got, ref)).toBeLessThan(1e-6);
    // int32 values and ids out of range (dropped) through the kernel directly
    const seg = await expectNoLeak(() =>
      tf.tidy(() => Array.from(tf.unsortedSegmentSum(tf.tensor1d([1, 2, 3, 4], 'int32'), tf.tensor1d([0, 2, 0, 7], 'int32'), 3).dataSync())),
    );
    expect(seg).toEqual([4, 0, 2]);
    uninstallGradientFixes('wasm');
  });

  it("OneHot: stock wasm ignores dtype 'float32'; fixed gives the values asked for", async () => {
    const run = (): number[] =>
      tf.tidy(() => Array.from(tf.oneHot(tf.tensor1d([0, 2, 5], 'int32'), 3, 2, -1, 'float32').dataSync()));
    const want = [2, -1, -1, -1, -1, 2, -1, -1, -1];
    expect(run()).not.toEqual(want);
    installGradientFixes('wasm');
    expect(await expectNoLeak(run)).toEqual(want);
    expect(tf.tidy(() => Array.from(tf.oneHot(tf.tensor1d([1], 'int32'), 2).dataSync()))).toEqual([0, 1]);
    uninstallGradientFixes('wasm');
  });

  it('Identity: the fix shares the data (no copy); clones stay valid after the original is disposed; gradients unchanged', async () => {
    installGradientFixes('wasm');
    const backend = tf.backend() as unknown as { refCount(id: object): number };
    await expectNoLeak(() => {
      const x = tf.tensor2d([1.5, -2, 3, 4], [2, 2]);
      const y = tf.clone(x);
      expect(y.dataId).toBe(x.dataId);
      expect(backend.refCount(x.dataId)).toBe(2);
      x.dispose();
      expect(Array.from(y.dataSync())).toEqual([1.5, -2, 3, 4]);
      expect(backend.refCount(y.dataId)).toBe(1);
      y.dispose();
      // int32, bool and strings (strings keep the stock kernel)
      for (const t of [tf.tensor1d([7, -8], 'int32'), tf.tensor1d([1, 0], 'bool'), tf.tensor1d(['a', 'bc'])]) {
        const c = tf.clone(t);
        t.dispose();
        expect(Array.from(c.dataSync() as ArrayLike<unknown>)).toEqual(c.dtype === 'string' ? ['a', 'bc'] : c.dtype === 'int32' ? [7, -8] : [1, 0]);
        c.dispose();
      }
    });
    // The tape clones saved tensors: a gradient through relu(x)·x (saved input and output) = 2x on x > 0, else 0.
    const g = await expectNoLeak(() => tf.tidy(() => Array.from(tf.grad((v: tf.Tensor) => tf.sum(tf.mul(tf.relu(v), v)))(tf.tensor1d([-1, 2, 3])).dataSync())));
    expect(g).toEqual([0, 4, 6]);
    uninstallGradientFixes('wasm');
  });

  // The same run-copying Slice / SplitV fixes on wasm (heap) and cpu (arrays).
  for (const backend of ['wasm', 'cpu'] as const) {
    it(`Slice on ${backend}: the fix = an index reference for ranks 1-5, numeric dtypes, empty slices; gradient unchanged`, async () => {
      await useBackend(backend);
      const rng = new Rng(21);
      const int = (lo: number, hi: number): number => rng.intBetween(lo, hi);
      type Case = { shape: number[]; begin: number[]; size: number[]; dtype: 'float32' | 'int32' | 'bool' };
      const cases: Case[] = [
        { shape: [1, 152, 152, 3], begin: [0, 5, 2, 0], size: [1, 144, 144, 3], dtype: 'float32' }, // jitter crop: long runs
        { shape: [2, 9, 9, 40], begin: [0, 0, 0, 7], size: [2, 9, 9, 1], dtype: 'float32' }, // one channel: runs of 1
        { shape: [3, 4, 5], begin: [1, 0, 0], size: [2, 4, 5], dtype: 'int32' }, // only the outer axis cut
        { shape: [3, 4, 5], begin: [0, 0, 0], size: [3, 4, 5], dtype: 'bool' }, // whole tensor
        { shape: [4, 6], begin: [1, 2], size: [0, 3], dtype: 'float32' }, // empty
      ];
      for (let i = 0; i < 40; i++) {
        const rank = int(1, 5);
        const shape = Array.from({ length: rank }, () => int(1, 6));
        const begin = shape.map((d) => int(0, d - 1));
        const size = shape.map((d, a) => int(1, d - begin[a]));
        cases.push({ shape, begin, size, dtype: (['float32', 'int32', 'bool'] as const)[i % 3] });
      }
      const run = (c: Case): number[] =>
        tf.tidy(() => {
          const n = c.shape.reduce((a, b) => a * b, 1);
          const vals = Array.from({ length: n }, (_, k) => (c.dtype === 'bool' ? k % 3 === 0 : c.dtype === 'int32' ? k - 7 : k * 0.25 - 3));
          return Array.from(tf.slice(tf.tensor(vals as number[], c.shape, c.dtype), c.begin, c.size).dataSync());
        });
      const stock = tf.getKernel('Slice', backend)?.kernelFunc;
      installGradientFixes(backend);
      expect(tf.getKernel('Slice', backend)?.kernelFunc).not.toBe(stock);
      for (const c of cases) {
        const got = await expectNoLeak(() => run(c));
        // Reference: walk the output index space and read the input at begin + index.
        const strides = c.shape.map((_, a) => c.shape.slice(a + 1).reduce((p, q) => p * q, 1));
        const total = c.size.reduce((a, b) => a * b, 1);
        const ref: number[] = [];
        for (let o = 0; o < total; o++) {
          let rest = o;
          let at = 0;
          for (let a = c.shape.length - 1; a >= 0; a--) {
            at += (c.begin[a] + (rest % c.size[a])) * strides[a];
            rest = Math.floor(rest / c.size[a]);
          }
          ref.push(c.dtype === 'bool' ? (at % 3 === 0 ? 1 : 0) : c.dtype === 'int32' ? at - 7 : at * 0.25 - 3);
        }
        expect(got, JSON.stringify(c)).toEqual(ref);
      }
      // Gradient of a crop (tfjs pads dy back): ones inside the crop, zeros outside.
      const g = await expectNoLeak(() => tf.tidy(() => tf.grad((v: tf.Tensor) => tf.sum(tf.slice(v, [0, 1, 2, 0], [1, 2, 1, 2])))(tf.zeros([1, 4, 4, 2])).dataSync()));
      const want = new Float32Array(32);
      for (const [y, x] of [[1, 2], [2, 2]]) for (let ch = 0; ch < 2; ch++) want[(y * 4 + x) * 2 + ch] = 1;
      expect(Array.from(g)).toEqual(Array.from(want));
      uninstallGradientFixes(backend);
      await useBackend('wasm');
    });

    it(`SplitV on ${backend}: the fix = plain index arithmetic for every axis, sizes with -1, int32; concat gradient unchanged`, async () => {
      await useBackend(backend);
      const stock = tf.getKernel('SplitV', backend)?.kernelFunc;
      installGradientFixes(backend);
      expect(tf.getKernel('SplitV', backend)?.kernelFunc).not.toBe(stock);
      const shape = [2, 3, 4, 5];
      const n = 120;
      const strides = [60, 20, 5, 1];
      for (const [axis, sizes, dtype] of [
        [3, [2, 1, 2], 'float32'],
        [3, [1, -1], 'int32'],
        [2, [1, 3], 'float32'],
        [1, [3], 'float32'],
        [0, [1, 1], 'int32'],
      ] as [number, number[], 'float32' | 'int32'][]) {
        const pieces = await expectNoLeak(() =>
          tf.tidy(() => tf.split(tf.tensor(Array.from({ length: n }, (_, k) => k - 40), shape, dtype), sizes, axis).map((t) => ({ shape: t.shape, v: Array.from(t.dataSync()) }))),
        );
        const resolved = sizes.map((s) => (s === -1 ? shape[axis] - sizes.reduce((a, b) => (b === -1 ? a : a + b), 0) : s));
        let start = 0;
        pieces.forEach((p, i) => {
          const want: number[] = [];
          for (let k = 0; k < n; k++) {
            const at = Math.floor(k / strides[axis]) % shape[axis];
            if (at >= start && at < start + resolved[i]) want.push(k - 40);
          }
          expect(p.shape[axis]).toBe(resolved[i]);
          expect(p.v, `axis ${axis} piece ${i}`).toEqual(want);
          start += resolved[i];
        });
      }
      // Gradient of a channel concat: each input receives its own channels of dy.
      const [ga, gb] = await expectNoLeak(() =>
        tf.tidy(() => {
          const dy = tf.tensor4d(Array.from({ length: 2 * 2 * 5 }, (_, k) => k), [1, 2, 2, 5]);
          const g = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(tf.concat([a, b], 3), dy)))([tf.zeros([1, 2, 2, 2]), tf.zeros([1, 2, 2, 3])]);
          return g.map((t) => Array.from(t.dataSync()));
        }),
      );
      expect(ga).toEqual([0, 1, 5, 6, 10, 11, 15, 16]);
      expect(gb).toEqual([2, 3, 4, 7, 8, 9, 12, 13, 14, 17, 18, 19]);
      uninstallGradientFixes(backend);
      await useBackend('wasm');
    });
  }

  it('Conv2DBackpropInput: the fix replaces the stock kernel and gives the same values', () => {
    // Speed is measured side by side in bench/backends.bench.ts, not timed here (shared machines).
    // conv2dTranspose runs exactly the Conv2DBackpropInput kernel (the input gradient of conv2d).
    const dy = tf.randomNormal([1, 48, 48, 32], 0, 1, 'float32', 1) as tf.Tensor4D;
    const w = tf.randomNormal([3, 3, 32, 32], 0, 0.1, 'float32', 2) as tf.Tensor4D;
    const g = (): Float32Array => tf.tidy(() => tf.conv2dTranspose(dy, w, [1, 48, 48, 32], 1, 'same').dataSync() as Float32Array);
    uninstallGradientFixes('wasm');
    const stockKernel = tf.getKernel('Conv2DBackpropInput', 'wasm')?.kernelFunc;
    const stockVals = g();
    installGradientFixes('wasm');
    const fixedKernel = tf.getKernel('Conv2DBackpropInput', 'wasm')?.kernelFunc;
    const fixedVals = g();
    uninstallGradientFixes('wasm');
    const restoredKernel = tf.getKernel('Conv2DBackpropInput', 'wasm')?.kernelFunc;
    tf.dispose([dy, w]);
    expect(stockKernel).toBeTypeOf('function');
    expect(fixedKernel).toBeTypeOf('function');
    expect(fixedKernel).not.toBe(stockKernel);
    expect(restoredKernel).toBe(stockKernel);
    expect(relErr(fixedVals, stockVals)).toBeLessThan(1e-5);
  });
});

import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/ops/random';
import {
  cppn,
  custom,
  fftImage,
  grayscaleImage,
  image,
  imageFromPixels,
  imageSample,
  pixelImage,
} from '../../src/param/index';
import type { Param } from '../../src/param/types';
import { BACKENDS, expectNoLeak, maxAbsDiff, useBackend } from '../helpers/tf';
import { checkGradFd, randn, refFftImage } from './reference';

const SVD_SQRT = [
  [0.26, 0.09, 0.02],
  [0.27, 0.0, -0.05],
  [0.27, -0.09, 0.03],
];
const MAX_NORM = Math.sqrt(0.26 ** 2 + 0.27 ** 2 + 0.27 ** 2);
const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

/** Lucid's image(): sigmoid(decorrelate(raw[..., :3])) (+ sigmoid(alpha)), float64 on flat NHWC data. */
function refSquash(raw: ArrayLike<number>, ch: number, decorrelate: boolean): Float64Array {
  const out = new Float64Array(raw.length);
  for (let i = 0; i < raw.length; i += ch) {
    for (let r = 0; r < 3; r++) {
      let v = raw[i + r];
      if (decorrelate) {
        v = 0;
        for (let c = 0; c < 3; c++) v += (SVD_SQRT[r][c] / MAX_NORM) * raw[i + c];
      }
      out[i + r] = sigmoid(v);
    }
    for (let r = 3; r < ch; r++) out[i + r] = sigmoid(raw[i + r]);
  }
  return out;
}

function expectFdMatch(p: Param<tf.Tensor>, seed: number, step?: number): void {
  const [an, num] = checkGradFd(p, seed, step);
  expect(Math.abs(an)).toBeGreaterThan(1e-6);
  expect(Math.abs(an - num)).toBeLessThan(2e-3 * Math.abs(an) + 1e-6);
}

describe.each(BACKENDS)('image on %s', (backend) => {
  it.each([
    [{ fft: true, decorrelate: true }, 3],
    [{ fft: true, decorrelate: false, alpha: true }, 4],
    [{ fft: false, decorrelate: true, alpha: true }, 4],
    [{ fft: false, decorrelate: false }, 3],
  ])('is Lucid\'s param.image for %j, with exact values and FD gradients', async (opts, ch) => {
    await useBackend(backend);
    await expectNoLeak(() => {
      const p = image(7, { h: 6, batch: 2, sd: 0.5, seed: 9, ...opts });
      expect(p.shape).toEqual([2, 6, 7, ch]);
      expect(p.variables.length).toBe(1);
      const [v] = p.variables;
      const raw = opts.fft ? refFftImage(v.dataSync(), [2, 6, 7, ch]) : Float64Array.from(v.dataSync());
      if (opts.fft) expect(v.shape).toEqual([2, 2, ch, 6, 5]);
      const img = p.image();
      expect(img.shape).toEqual([2, 6, 7, ch]);
      expect(maxAbsDiff(img.dataSync(), refSquash(raw, ch, opts.decorrelate))).toBeLessThan(2e-6);
      img.dispose();
      expectFdMatch(p, 21);
      expect(p.disposed).toBe(false);
      p.dispose();
      expect(p.disposed).toBe(true);
      p.dispose();
      expect(() => p.image()).toThrow(/^Error in param\.image: the param must not be disposed/);
    });
  });

  it('with channels: a plain sigmoid of every channel (no decorrelation)', async () => {
    await useBackend(backend);
    await expectNoLeak(() => {
      const p = image(6, { channels: 5, fft: false, sd: 1, seed: 1 });
      const img = p.image();
      expect(img.shape).toEqual([1, 6, 6, 5]);
      expect(maxAbsDiff(img.dataSync(), Array.from(p.variables[0].dataSync(), sigmoid))).toBeLessThan(1e-6);
      img.dispose();
      p.dispose();
    });
  });

  it('is reproducible per seed and differs across seeds', async () => {
    await useBackend(backend);
    await expectNoLeak(() => {
      const a = image(8, { seed: 5 }), b = image(8, { seed: 5 }), c = image(8, { seed: 6 });
      const [ia, ib, ic] = [a.image(), b.image(), c.image()];
      expect(Array.from(ia.dataSync())).toEqual(Array.from(ib.dataSync()));
      expect(maxAbsDiff(ia.dataSync(), ic.dataSync())).toBeGreaterThan(1e-4);
      tf.dispose([ia, ib, ic]);
      [a, b, c].forEach((p) => p.dispose());
    });
  });

  it('rejects bad arguments and leaks nothing', async () => {
    await useBackend(backend);
    await expectNoLeak(() => {
      expect(() => image(0)).toThrow(/Error in param\.image: w must be a positive integer, but got 0\./);
      expect(() => image(8, { h: 2.5 })).toThrow(/options\.h must be a positive integer, but got 2\.5\./);
      expect(() => image(8, { batch: NaN })).toThrow(/options\.batch must be a positive integer, but got NaN\./);
      expect(() => image(8, { channels: 0 })).toThrow(/options\.channels must be a positive integer, but got 0\./);
      expect(() => image(8, { sd: -2 })).toThrow(/options\.sd must be a non-negative number, but got -2\./);
      expect(() => image(1)).toThrow(/w must be at least 2 for the spectral parameterization/);
      expect(() => image(8, { fft: 1 as unknown as boolean })).toThrow(/options\.fft must be a boolean, but got 1\./);
      expect(() => image(8, 'big' as never)).toThrow(/options must be an object, but got "big"\./);
      expect(() => image(128, { decorelate: false } as never)).toThrow(
        /^Error in param\.image: options must only have known keys, but got unknown option "decorelate" \(allowed: "h", "batch", "sd", "decorrelate", "fft", "alpha", "channels", "seed"; did you mean "decorrelate"\?\)\.$/,
      );
    });
  });
});

describe.each(BACKENDS)('pixelImage on %s', (backend) => {
  it('copies init (tensor or nested array) and draws N(0, sd²) otherwise', async () => {
    await useBackend(backend);
    await expectNoLeak(() => {
      const init = [[[[0.1, 0.2], [0.3, 0.4]]]];
      const p = pixelImage([1, 1, 2, 2], { init });
      init[0][0][0][0] = 9; // copied, not referenced
      const t = tf.tensor(randn(new Rng(1), 4), [1, 2, 1, 2]);
      const q = pixelImage([1, 2, 1, 2], { init: t });
      t.dispose(); // copied, so still usable
      const a = p.image(), b = q.image();
      expect(maxAbsDiff(a.dataSync(), [0.1, 0.2, 0.3, 0.4])).toBeLessThan(1e-7);
      expect(b.shape).toEqual([1, 2, 1, 2]);
      tf.dispose([a, b]);
      const r = pixelImage([1, 16, 16, 3], { sd: 0.3, seed: 2 });
      const vals = Array.from(r.variables[0].dataSync());
      const rms = Math.sqrt(vals.reduce((s, x) => s + x * x, 0) / vals.length);
      expect(Math.abs(rms - 0.3)).toBeLessThan(0.03);
      expectFdMatch(r, 3);
      [p, q, r].forEach((x) => x.dispose());
    });
  });

  it('rejects an init of the wrong shape or with NaN', async () => {
    await useBackend(backend);
    await expectNoLeak(() => {
      expect(() => pixelImage([1, 2, 2, 3], { init: [[1, 2]] })).toThrow(/Error in param\.pixelImage: options\.init must have shape \[1, 2, 2, 3\], but got \[1, 2\]\./);
      expect(() => pixelImage([1, 1, 1, 2], { init: [[[[1, NaN]]]] })).toThrow(/options\.init must hold finite numbers, but got NaN at flat index 1\./);
      expect(() => pixelImage([1, 1, 2, 1], { init: [[[[1], [1, 2]]]] })).toThrow(/rectangular nested array/);
    });
  });
});

describe.each(BACKENDS)('grayscaleImage on %s', (backend) => {
  it('repeats one sigmoid channel three times, with gradients', async () => {
    await useBackend(backend);
    await expectNoLeak(() => {
      const p = grayscaleImage(6, { h: 5, sd: 0.5, seed: 2 });
      expect(p.variables[0].shape).toEqual([2, 1, 1, 5, 4]);
      const img = p.image();
      expect(img.shape).toEqual([1, 5, 6, 3]);
      const raw = refFftImage(p.variables[0].dataSync(), [1, 5, 6, 1]);
      const d = img.dataSync();
      for (let i = 0; i < raw.length; i++) for (let c = 0; c < 3; c++) expect(Math.abs(d[i * 3 + c] - sigmoid(raw[i]))).toBeLessThan(2e-6);
      img.dispose();
      expectFdMatch(p, 4);
      p.dispose();
      expect(() => grayscaleImage(6, { alpha: true } as never)).toThrow(
        /^Error in param\.grayscaleImage: options must only have known keys, but got unknown option "alpha" \(allowed: "h", "batch", "sd", "fft", "seed"\)\.$/,
      );
    });
  });
});

describe.each(BACKENDS)('imageSample on %s', (backend) => {
  it('draws a new image per call, seeded, with no variables', async () => {
    await useBackend(backend);
    await expectNoLeak(() => {
      const a = imageSample([2, 8, 9, 3], { sd: 0.5, seed: 3 });
      const b = imageSample([2, 8, 9, 3], { sd: 0.5, seed: 3 });
      expect(a.variables).toEqual([]);
      const [a1, a2, b1, b2] = [a.image(), a.image(), b.image(), b.image()];
      expect(a1.shape).toEqual([2, 8, 9, 3]);
      expect(maxAbsDiff(a1.dataSync(), a2.dataSync())).toBeGreaterThan(1e-3);
      expect(Array.from(a1.dataSync())).toEqual(Array.from(b1.dataSync()));
      expect(Array.from(a2.dataSync())).toEqual(Array.from(b2.dataSync()));
      for (const x of a1.dataSync()) expect(x > 0 && x < 1).toBe(true);
      // the two batch elements have independent spectra
      const half = 8 * 9 * 3;
      expect(maxAbsDiff(a1.dataSync().subarray(0, half), a1.dataSync().subarray(half))).toBeGreaterThan(1e-3);
      tf.dispose([a1, a2, b1, b2]);
      a.dispose();
      b.dispose();
      expect(() => a.image()).toThrow(/param must not be disposed/);
      expect(() => imageSample([1, 8, 8, 4])).toThrow(/Error in param\.imageSample: shape\[3\] \(channels\) must be 3 when decorrelate is true, but got 4\./);
      const g = imageSample([1, 8, 8, 4], { decorrelate: false, sd: 0 });
      const gi = g.image();
      expect(maxAbsDiff(gi.dataSync(), new Array(8 * 8 * 4).fill(0.5))).toBe(0);
      gi.dispose();
      g.dispose();
    });
  });

  it('has the 1/f spectrum of fftImage: larger sd gives proportionally larger raw images', async () => {
    await useBackend(backend);
    await expectNoLeak(() => {
      // with sd tiny, sigmoid is linear around 0: image − 0.5 ≈ raw/4; rms of raw from theory:
      // each pixel is a sum of independent N(0, (sd·scale)²/(h·n)²·a²) terms (see refFftImage).
      const p = imageSample([4, 16, 16, 3], { sd: 1e-3, decorrelate: false, seed: 1 });
      const img = p.image();
      const d = img.dataSync();
      let s2 = 0;
      for (const x of d) s2 += ((x - 0.5) * 4) ** 2;
      const rms = Math.sqrt(s2 / d.length);
      // float64 expected rms of the raw image for unit sd: var = Σ_k (scale_k/4)² · w_k / (h·n)², computed
      // through refFftImage on unit impulses would be slow; instead compare to fftImage with the same sd.
      const q = fftImage([64, 16, 16, 3], { sd: 1e-3, seed: 2 });
      const qi = q.image();
      let q2 = 0;
      for (const x of qi.dataSync()) q2 += (x * 4 * 0.25) ** 2; // sigmoid'(0) = 1/4
      const qrms = Math.sqrt(q2 / qi.size);
      expect(rms / qrms).toBeGreaterThan(0.85);
      expect(rms / qrms).toBeLessThan(1.15);
      tf.dispose([img, qi]);
      p.dispose();
      q.dispose();
    });
  });
});

/** float64 reference CPPN from the param's variables. */
function refCppn(vars: tf.Variable[], width: number, numLayers: number, activation: string, normalize: boolean): Float64Array {
  const r = Math.sqrt(3);
  const n = width * width;
  let net: number[][] = [];
  for (let i = 0; i < width; i++) {
    for (let j = 0; j < width; j++) {
      const c = (k: number): number => -r + (2 * r * k) / (width - 1);
      net.push([c(j), c(i)]);
    }
  }
  let vi = 0;
  const dense = (x: number[][], w: tf.Variable, b: tf.Variable): number[][] => {
    const W = w.dataSync(), B = b.dataSync();
    const [inC, outC] = w.shape;
    return x.map((row) => Array.from({ length: outC }, (_, o) => row.reduce((s, v, k) => s + v * W[k * outC + o], B[o])));
    void inC;
  };
  for (let l = 0; l < numLayers; l++) {
    let x = dense(net, vars[vi], vars[vi + 1]);
    vi += 2;
    if (normalize) {
      const beta = vars[vi++].dataSync();
      const C = x[0].length;
      for (let c = 0; c < C; c++) {
        const m = x.reduce((s, row) => s + row[c], 0) / n;
        const v = x.reduce((s, row) => s + (row[c] - m) ** 2, 0) / n;
        for (const row of x) row[c] = (row[c] - m) / Math.sqrt(v + 1e-6) + beta[c];
      }
    }
    if (activation === 'reluNormalizedActivation') net = x.map((row) => row.map((v) => (Math.max(v, 0) - 0.4) / 0.58));
    else {
      const [c0, c1, m1] = activation === 'compositeActivation' ? [0.67, 0.6, 0] : [0.67, 0.396, 0.45];
      net = x.map((row) => [...row.map((v) => Math.atan(v) / c0), ...row.map((v) => (Math.atan(v) ** 2 - m1) / c1)]);
    }
  }
  const out = dense(net, vars[vi], vars[vi + 1]);
  return Float64Array.from(out.flat().map(sigmoid));
}

describe.each(BACKENDS)('cppn on %s', (backend) => {
  it.each([
    ['compositeActivation', false],
    ['compositeActivationUnbiased', true],
    ['reluNormalizedActivation', false],
  ] as const)('matches a float64 reference network (%s, normalize=%s) and has FD gradients', async (activation, normalize) => {
    await useBackend(backend);
    await expectNoLeak(() => {
      const p = cppn(6, { batch: 2, numLayers: 2, numHiddenChannels: 4, activation, normalize, seed: 7 });
      expect(p.shape).toEqual([2, 6, 6, 3]);
      const expand = activation === 'reluNormalizedActivation' ? 1 : 2;
      expect(p.variables.map((v) => v.shape)).toEqual([
        [2, 4],
        [4],
        ...(normalize ? [[4]] : []),
        [4 * expand, 4],
        [4],
        ...(normalize ? [[4]] : []),
        [4 * expand, 3],
        [3],
      ]);
      // Lucid starts from a flat colour: zero output weights.
      const wOut = p.variables[p.variables.length - 2];
      expect(Array.from(wOut.dataSync()).every((x) => x === 0)).toBe(true);
      const t0 = tf.tensor(randn(new Rng(3), wOut.size, 0.5), wOut.shape);
      wOut.assign(t0);
      t0.dispose();
      if (normalize) {
        for (const v of p.variables.filter((_, i) => i === 2 || i === 5)) {
          const t = tf.tensor(randn(new Rng(4), v.size, 0.3), v.shape);
          v.assign(t);
          t.dispose();
        }
      }
      const img = p.image();
      const ref = refCppn(p.variables as tf.Variable[], 6, 2, activation, normalize);
      const d = img.dataSync();
      const half = 6 * 6 * 3;
      expect(maxAbsDiff(d.subarray(0, half), ref)).toBeLessThan(2e-5);
      expect(maxAbsDiff(d.subarray(half), ref)).toBeLessThan(2e-5);
      img.dispose();
      expectFdMatch(p, 5, 1e-3); // deep and curved: a small step keeps the O(ε²) error low
      p.dispose();
    });
  });

  it('initialises reproducibly with variance scaling and N(0, 0.1²) biases', async () => {
    await useBackend(backend);
    await expectNoLeak(() => {
      const a = cppn(8, { seed: 1 }), b = cppn(8, { seed: 1 });
      expect(a.variables.length).toBe(18);
      a.variables.forEach((v, i) => expect(Array.from(v.dataSync())).toEqual(Array.from(b.variables[i].dataSync())));
      // hidden weights: truncated normal with sd sqrt(1/fan_in)/0.8796 → actual sd ≈ sqrt(1/fan_in), |w| ≤ 2·sd'
      const w1 = Array.from(a.variables[2].dataSync()); // [48, 24]
      const sd = Math.sqrt(w1.reduce((s, x) => s + x * x, 0) / w1.length);
      expect(Math.abs(sd - Math.sqrt(1 / 48))).toBeLessThan(0.02);
      for (const x of w1) expect(Math.abs(x)).toBeLessThanOrEqual((2 * Math.sqrt(1 / 48)) / 0.87962566103423978 + 1e-6);
      const img = a.image();
      const d = img.dataSync();
      const bOut = a.variables[17].dataSync();
      for (let i = 0; i < d.length; i++) expect(Math.abs(d[i] - sigmoid(bOut[i % 3]))).toBeLessThan(1e-6);
      img.dispose();
      a.dispose();
      b.dispose();
      expect(() => cppn(8, { activation: 'tanh' as never })).toThrow(
        /Error in param\.cppn: options\.activation must be one of 'compositeActivation', 'compositeActivationUnbiased', 'reluNormalizedActivation', but got "tanh"\./,
      );
      expect(() => cppn(-1)).toThrow(/width must be a positive integer, but got -1\./);
    });
  });
});

describe.each(BACKENDS)('imageFromPixels on %s', (backend) => {
  it.each([
    [true, true, 9, 3],
    [true, false, 8, 4],
    [false, true, 7, 3],
    [false, false, 6, 4],
  ])('reproduces the pixels (fft=%s, decorrelate=%s, w=%i, ch=%i) and is trainable', async (fft, decorrelate, w, ch) => {
    await useBackend(backend);
    const rng = new Rng(w);
    const h = 5;
    const px = Float32Array.from({ length: 2 * h * w * ch }, () => rng.uniform(0, 1));
    px[0] = 0; // clamped to eps
    px[1] = 1;
    await expectNoLeak(() => {
      const t = tf.tensor(px, [2, h, w, ch]);
      const p = imageFromPixels(t, { fft, decorrelate, eps: 1e-3 });
      t.dispose();
      expect(p.shape).toEqual([2, h, w, ch]);
      const img = p.image();
      const want = Array.from(px, (x) => Math.min(Math.max(x, 1e-3), 1 - 1e-3));
      expect(maxAbsDiff(img.dataSync(), want)).toBeLessThan(fft ? 5e-5 : 2e-6);
      img.dispose();
      expectFdMatch(p, 6);
      p.dispose();
    });
  });

  it('accepts rank-3 nested arrays and rejects bad pixels', async () => {
    await useBackend(backend);
    await expectNoLeak(() => {
      const px = [
        [
          [0.2, 0.5, 0.9],
          [0.4, 0.1, 0.3],
        ],
      ];
      const p = imageFromPixels(px);
      const img = p.image();
      expect(img.shape).toEqual([1, 1, 2, 3]);
      expect(maxAbsDiff(img.dataSync(), px.flat(2))).toBeLessThan(5e-5);
      img.dispose();
      p.dispose();
      expect(() => imageFromPixels([[[[0.5, 2, 0.5]]]], { fft: false })).toThrow(/Error in param\.imageFromPixels: pixels must hold values in \[0, 1\], but got 2 at flat index 1\./);
      expect(() => imageFromPixels([[[[0.5, 0.5]]]], { fft: false })).toThrow(/pixels must have 3 \(RGB\) or 4 \(RGBA\) channels, but got 2\./);
      expect(() => imageFromPixels([0.5, 0.5])).toThrow(/pixels must have rank 3 or 4/);
      expect(() => imageFromPixels([[[[0.5, 0.5, 0.5]]]], { eps: 0 })).toThrow(/options\.eps must be a number in \(0, 0\.5\), but got 0\./);
    });
  });
});

describe.each(BACKENDS)('custom on %s', (backend) => {
  it('composites parts, exposes named outputs, unions variables and disposes parts', async () => {
    await useBackend(backend);
    await expectNoLeak(() => {
      const fg = image(8, { alpha: true, sd: 0.5, seed: 1 });
      const bg = imageSample([1, 8, 8, 3], { sd: 0.2, seed: 2 });
      const extra = pixelImage([1, 8, 8, 3], { sd: 0.5, seed: 3 });
      const p = custom([fg, bg, extra, fg], ([rgba, back, px]) => {
        const rgb = tf.slice(rgba, [0, 0, 0, 0], [-1, -1, -1, 3]);
        const a = tf.slice(rgba, [0, 0, 0, 3], [-1, -1, -1, 1]);
        const composite = tf.add(tf.mul(rgb, a), tf.mul(back, tf.sub(1, a))) as tf.Tensor4D;
        return { image: tf.add(composite, tf.mul(px, 0.01)) as tf.Tensor4D, rgba, alpha: a };
      });
      expect(p.variables.length).toBe(2); // fg's spectrum (once) + extra's pixels
      expect(p.variables).toContain(fg.variables[0]);
      expect(p.variables).toContain(extra.variables[0]);
      expect(p.shape).toEqual([1, 8, 8, 3]);
      const before = tf.memory().numTensors;
      const outs = p.build!();
      expect(Object.keys(outs).sort()).toEqual(['alpha', 'image', 'rgba']);
      expect(outs.rgba.shape).toEqual([1, 8, 8, 4]);
      expect(tf.memory().numTensors - before).toBe(3);
      tf.dispose(Object.values(outs));
      const img = p.image();
      expect(tf.memory().numTensors - before).toBe(1);
      img.dispose();
      // gradient flows to both variables through the composite
      const { grads, value } = tf.variableGrads(() => tf.sum(p.image()) as tf.Scalar, p.variables as tf.Variable[]);
      for (const v of p.variables) expect(maxAbsDiff(grads[v.name].dataSync(), new Float32Array(v.size))).toBeGreaterThan(0);
      tf.dispose([value, ...Object.values(grads)]);
      expect([p.disposed, fg.disposed, bg.disposed, extra.disposed]).toEqual([false, false, false, false]);
      p.dispose();
      p.dispose();
      // Ownership rule: a composite is made of its parts, so disposing it disposes them.
      expect([p.disposed, fg.disposed, bg.disposed, extra.disposed]).toEqual([true, true, true, true]);
      expect(fg.variables[0].isDisposed).toBe(true);
      expect(extra.variables[0].isDisposed).toBe(true);
      expect(() => p.image()).toThrow(/param must not be disposed/);
    });
  });

  it('has FD gradients and rejects bad arguments and outputs without leaking', async () => {
    await useBackend(backend);
    await expectNoLeak(() => {
      const a = pixelImage([1, 4, 4, 3], { sd: 0.5, seed: 1 });
      const b = fftImage([1, 4, 4, 3], { sd: 0.5, seed: 2 });
      const p = custom([a, b], ([x, y]) => tf.sigmoid(tf.add(tf.mul(x, y), y)) as tf.Tensor4D);
      expectFdMatch(p, 7);
      const bad = custom([a], () => ({ notImage: tf.zeros([1]) }) as never);
      expect(() => bad.image()).toThrow(/Error in param\.custom: fn must return a tensor or an object \{ image, \.\.\.named \} of tensors/);
      const bad2 = custom([a], ([x]) => ({ image: x, n: 3 }) as never);
      expect(() => bad2.image()).toThrow(/fn must return only tensors, but got 3 for "n"\./);
      const throwing = custom([a], () => {
        throw new Error('user bug');
      });
      expect(() => throwing.image()).toThrow(/user bug/);
      p.dispose();
      expect(() => custom([], () => tf.zeros([1]))).toThrow(/parts must be a non-empty array of params, but got \[\]\./);
      expect(() => custom([{} as never], () => tf.zeros([1]))).toThrow(/parts\[0\] must be a param/);
      expect(() => custom([a], 5 as never)).toThrow(/fn must be a function, but got 5\./);
    });
  });
});

describe.each(BACKENDS)('seeds on %s', (backend) => {
  it('reject bad seeds before allocating anything, for every constructor', async () => {
    await useBackend(backend);
    await expectNoLeak(() => {
      const bad = { seed: NaN };
      const cases: [string, () => unknown][] = [
        ['param.fftImage', () => fftImage([1, 8, 8, 3], bad)],
        ['param.pixelImage', () => pixelImage([1, 8, 8, 3], bad)],
        ['param.image', () => image(8, bad)],
        ['param.image', () => image(8, { ...bad, fft: false })],
        ['param.grayscaleImage', () => grayscaleImage(8, bad)],
        ['param.imageSample', () => imageSample([1, 8, 8, 3], bad)],
        ['param.cppn', () => cppn(8, bad)],
      ];
      for (const [fn, make] of cases) {
        expect(make).toThrow(new RegExp(`Error in ${fn.replace('.', '\\.')}: options\\.seed must be a finite number or an Rng, but got NaN\\.`));
      }
      expect(() => image(8, { seed: 'x' as never })).toThrow(/options\.seed must be a finite number or an Rng, but got "x"\./);
    });
  });

  it('accept a shared Rng, drawing successive values from it', async () => {
    await useBackend(backend);
    await expectNoLeak(() => {
      const r1 = new Rng(42), r2 = new Rng(42);
      const a = pixelImage([1, 4, 4, 3], { seed: r1, sd: 1 }), b = pixelImage([1, 4, 4, 3], { seed: r1, sd: 1 });
      const c = pixelImage([1, 4, 4, 3], { seed: r2, sd: 1 });
      expect(Array.from(a.variables[0].dataSync())).toEqual(Array.from(c.variables[0].dataSync()));
      expect(maxAbsDiff(a.variables[0].dataSync(), b.variables[0].dataSync())).toBeGreaterThan(0.1);
      [a, b, c].forEach((p) => p.dispose());
    });
  });
});

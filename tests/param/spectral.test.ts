import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { fftPlan } from '../../src/ops/complexFft';
import { irfft2dBasis } from '../../src/ops/irfft2d';
import { Rng } from '../../src/ops/random';
import { fftImage, rfft2dFreqs } from '../../src/param/index';
import { BACKENDS, expectNoLeak, maxAbsDiff, useBackend } from '../helpers/tf';
import { checkGradFd, dot, randn, refFftImage, refFreqs, refIrfft2d } from './reference';

describe('rfft2dFreqs', () => {
  it.each([
    [1, 1],
    [4, 4],
    [5, 7],
    [6, 3],
    [3, 8],
    [7, 2],
  ])('matches numpy fftfreq rules for h=%i, w=%i', (h, w) => {
    const got = rfft2dFreqs(h, w);
    const want = refFreqs(h, w);
    expect(got.length).toBe(h);
    expect(got[0].length).toBe(want[0].length);
    expect(maxAbsDiff(got.flat(), want.flat())).toBeLessThan(1e-15);
  });
  it('keeps w//2+2 columns for odd widths, the last one negative in numpy', () => {
    expect(rfft2dFreqs(1, 5)[0]).toEqual([0, 0.2, 0.4, 0.4]);
    expect(rfft2dFreqs(1, 6)[0].length).toBe(4);
  });
  it('rejects bad sizes', () => {
    expect(() => rfft2dFreqs(0, 4)).toThrow(/Error in param\.rfft2dFreqs: h must be a positive integer, but got 0\./);
    expect(() => rfft2dFreqs(4, 2.5)).toThrow(/w must be a positive integer, but got 2\.5/);
  });
});

describe('fftPlan (host FFT behind the spectral image on cpu and wasm)', () => {
  it.each([1, 2, 3, 4, 5, 6, 7, 8, 12, 16, 30, 49, 128])('equals a float64 DFT of length %i, both signs, several lines at once', (n) => {
    const lines = 3;
    const rng = new Rng(n);
    const xr = randn(rng, n * lines), xi = randn(rng, n * lines); // line l, element m at m·lines + l
    const plan = fftPlan(n);
    for (const sign of [1, -1] as const) {
      const re = new Float64Array(n * lines), im = new Float64Array(n * lines);
      for (let m = 0; m < n; m++) {
        for (let l = 0; l < lines; l++) {
          re[plan.perm[m] * lines + l] = xr[m * lines + l];
          im[plan.perm[m] * lines + l] = xi[m * lines + l];
        }
      }
      plan.runPermuted(re, im, lines, sign);
      let err = 0;
      for (let l = 0; l < lines; l++) {
        for (let k = 0; k < n; k++) {
          let sr = 0, si = 0;
          for (let m = 0; m < n; m++) {
            const a = (sign * 2 * Math.PI * ((k * m) % n)) / n;
            sr += xr[m * lines + l] * Math.cos(a) - xi[m * lines + l] * Math.sin(a);
            si += xr[m * lines + l] * Math.sin(a) + xi[m * lines + l] * Math.cos(a);
          }
          err = Math.max(err, Math.abs(re[k * lines + l] - sr), Math.abs(im[k * lines + l] - si));
        }
      }
      expect(err).toBeLessThan(1e-9 * n);
    }
  });
});

describe.each(BACKENDS)('irfft2dBasis on %s', (backend) => {
  // Host FFT lengths cover radix 4 (16, 12), 2 (8, 6), 3 (12, 9, 6), 5 (5, 10) and 1-point columns.
  it.each(
    (['matmul', 'host', 'auto'] as const).flatMap((method) =>
      [
        [6, 5, 8],
        [5, 4, 5],
        [4, 2, 2],
        [16, 9, 15],
        [12, 7, 12],
        [9, 6, 9],
        [1, 3, 3],
      ].map(([h, wf, width]) => [method, h, wf, width] as const),
    ),
  )('%s: matches a float64 TF-style irfft2d (h=%i, wf=%i, width=%i), including DC/Nyquist imaginary parts', async (method, h, wf, width) => {
    await useBackend(backend);
    const b = 2, ch = 3;
    const rng = new Rng(h * 100 + wf);
    const spec = randn(rng, 2 * b * ch * h * wf);
    await expectNoLeak(() => {
      const basis = irfft2dBasis(h, wf, { width, method });
      const x = tf.tensor(spec, [2, b, ch, h, wf]);
      const y = basis.toImage(x);
      expect(y.shape).toEqual([b, h, width, ch]);
      const got = y.dataSync();
      const half = b * ch * h * wf;
      let err = 0;
      for (let bi = 0; bi < b; bi++) {
        for (let c = 0; c < ch; c++) {
          const re: number[][] = [], im: number[][] = [];
          for (let i = 0; i < h; i++) {
            const o = ((bi * ch + c) * h + i) * wf;
            re.push(Array.from(spec.subarray(o, o + wf)));
            im.push(Array.from(spec.subarray(half + o, half + o + wf)));
          }
          const ref = refIrfft2d(re, im);
          for (let i = 0; i < h; i++) {
            for (let j = 0; j < width; j++) err = Math.max(err, Math.abs(got[((bi * h + i) * width + j) * ch + c] - ref[i][j]));
          }
        }
      }
      expect(err).toBeLessThan(2e-6);
      tf.dispose([x, y]);
      basis.dispose();
      basis.dispose();
      expect(basis.isDisposed).toBe(true);
    });
  });

  it.each(
    (['matmul', 'host'] as const).flatMap((method) =>
      [
        [5, 4, 5],
        [8, 9, 16],
        [7, 6, 9],
      ].map(([h, wf, width]) => [method, h, wf, width] as const),
    ),
  )('%s: has the adjoint as gradient: <A x, dy> = <x, grad> (h=%i, wf=%i, width=%i)', async (method, h, wf, width) => {
    await useBackend(backend);
    const rng = new Rng(7);
    const [b, ch] = [2, 2];
    const xs = randn(rng, 2 * b * ch * h * wf);
    const dys = randn(rng, b * h * width * ch);
    await expectNoLeak(() => {
      const basis = irfft2dBasis(h, wf, { width, method });
      const x = tf.tensor(xs, [2, b, ch, h, wf]);
      const dy = tf.tensor(dys, [b, h, width, ch]);
      const y = basis.toImage(x);
      const g = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(basis.toImage(v), dy)))(x);
      expect(g.shape).toEqual(x.shape);
      const lhs = dot(y.dataSync(), dys);
      const rhs = dot(xs, g.dataSync());
      expect(Math.abs(lhs - rhs)).toBeLessThan(1e-4 * Math.max(1, Math.abs(lhs)));
      // each gradient entry is the adjoint applied to dy: check one against a float64 basis vector probe
      const idx = 17;
      const e = new Float32Array(xs.length);
      e[idx] = 1;
      const ex = tf.tensor(e, x.shape);
      const ye = basis.toImage(ex);
      expect(Math.abs(g.dataSync()[idx] - dot(ye.dataSync(), dys))).toBeLessThan(1e-5);
      tf.dispose([x, dy, y, g, ex, ye]);
      basis.dispose();
    });
  });

  it('makes its matrix bases only when the matrix products run (none for the host FFTs), and frees them on dispose', async () => {
    await useBackend(backend);
    await expectNoLeak(() => {
      const x = tf.ones([2, 1, 3, 8, 5]);
      const start = tf.memory().numTensors;
      for (const [method, bases] of [['auto', 0], ['host', 0], ['matmul', 4]] as const) {
        const basis = irfft2dBasis(8, 5, { method });
        expect(tf.memory().numTensors, `${method}: after construction`).toBe(start);
        const y1 = basis.toImage(x);
        const y2 = basis.toImage(x); // the second call reuses the bases
        expect(tf.memory().numTensors, `${method}: after two images`).toBe(start + 2 + bases);
        tf.dispose([y1, y2]);
        basis.dispose();
        expect(tf.memory().numTensors, `${method}: after dispose`).toBe(start);
      }
      x.dispose();
    });
  });

  it('rejects bad arguments without allocating', async () => {
    await useBackend(backend);
    await expectNoLeak(() => {
      expect(() => irfft2dBasis(0, 4)).toThrow(/Error in ops\.irfft2dBasis: height must be a positive integer, but got 0\./);
      expect(() => irfft2dBasis(4, 1)).toThrow(/spectrumWidth must be at least 2, but got 1\./);
      expect(() => irfft2dBasis(4, 3, { width: 5 })).toThrow(/options\.width must be at most .* = 4, but got 5\./);
      expect(() => irfft2dBasis(4, 3, { method: 'fft' as 'host' })).toThrow(/options\.method must be 'auto', 'matmul' or 'host', but got "fft"\./);
      const basis = irfft2dBasis(4, 3);
      const bad = tf.zeros([2, 1, 3, 4, 4]);
      expect(() => basis.toImage(bad)).toThrow(/spectrum must have shape \[2, b, ch, 4, 3\], but got \[2, 1, 3, 4, 4\]\./);
      basis.dispose();
      expect(() => basis.toImage(bad)).toThrow(/must not be disposed/);
      bad.dispose();
    });
  });
});

describe.each(BACKENDS)('fftImage on %s', (backend) => {
  it.each([
    [[1, 8, 8, 3], 1],
    [[2, 7, 5, 3], 1],
    [[1, 6, 9, 2], 1.5],
    [[2, 5, 6, 1], 0.5],
  ])('matches a direct float64 inverse DFT for shape %j, decayPower %d', async (shape, decayPower) => {
    await useBackend(backend);
    await expectNoLeak(() => {
      const p = fftImage(shape, { sd: 0.5, decayPower, seed: 3 });
      const [v] = p.variables;
      const wf = refFreqs(shape[1], shape[2])[0].length;
      expect(v.shape).toEqual([2, shape[0], shape[3], shape[1], wf]);
      const img = p.image();
      expect(img.shape).toEqual(shape);
      const ref = refFftImage(v.dataSync(), shape, decayPower);
      let scale = 0;
      for (const r of ref) scale = Math.max(scale, Math.abs(r));
      expect(scale).toBeGreaterThan(0.1);
      expect(maxAbsDiff(img.dataSync(), ref) / scale).toBeLessThan(3e-6);
      img.dispose();
      p.dispose();
    });
  });

  it('draws the spectrum from N(0, sd²), reproducibly per seed', async () => {
    await useBackend(backend);
    await expectNoLeak(() => {
      const a = fftImage([1, 32, 32, 3], { sd: 0.2, seed: 11 });
      const b = fftImage([1, 32, 32, 3], { sd: 0.2, seed: 11 });
      const c = fftImage([1, 32, 32, 3], { sd: 0.2, seed: 12 });
      const va = a.variables[0].dataSync(), vb = b.variables[0].dataSync(), vc = c.variables[0].dataSync();
      expect(Array.from(va)).toEqual(Array.from(vb));
      expect(maxAbsDiff(va, vc)).toBeGreaterThan(0.1);
      let s2 = 0;
      for (const x of va) s2 += x * x;
      expect(Math.sqrt(s2 / va.length)).toBeCloseTo(0.2, 1);
      const z = fftImage([1, 8, 8, 3], { sd: 0 });
      expect(Array.from(z.variables[0].dataSync()).every((x) => x === 0)).toBe(true);
      expect(a.variables[0].trainable).toBe(true);
      [a, b, c, z].forEach((p) => p.dispose());
    });
  });

  it('has gradients matching finite differences', async () => {
    await useBackend(backend);
    await expectNoLeak(() => {
      const p = fftImage([2, 7, 6, 3], { sd: 0.1, decayPower: 1.2, seed: 4 });
      const [an, num] = checkGradFd(p, 1);
      expect(Math.abs(an - num)).toBeLessThan(1e-3 * Math.abs(an) + 1e-6);
      p.dispose();
    });
  });

  it('rejects bad arguments and leaks nothing', async () => {
    await useBackend(backend);
    await expectNoLeak(() => {
      expect(() => fftImage([1, 8, 8])).toThrow(/Error in param\.fftImage: shape must be an array of 4 positive integers, but got \[1, 8, 8\]\./);
      expect(() => fftImage([1, 0, 8, 3])).toThrow(/shape\[1\] must be a positive integer, but got 0\./);
      expect(() => fftImage([1, 8, 8, 3], { sd: -1 })).toThrow(/options\.sd must be a non-negative number, but got -1\./);
      expect(() => fftImage([1, 8, 8, 3], { sd: NaN })).toThrow(/options\.sd must be a non-negative number, but got NaN\./);
      expect(() => fftImage([1, 8, 1, 3])).toThrow(/width\) must be at least 2/);
      expect(() => fftImage([1, 8, 8, 3], { decayPower: Infinity })).toThrow(/options\.decayPower must be a finite number, but got Infinity\./);
      const p = fftImage([1, 4, 4, 3]);
      p.dispose();
      p.dispose();
      expect(() => p.image()).toThrow(/param must not be disposed/);
    });
  });
});

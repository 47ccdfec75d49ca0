/**
 * Float64 reference implementations for the param tests, written independently of the library
 * (direct sums, no shared bases), plus a finite-difference gradient check.
 */
import * as tf from '@tensorflow/tfjs-core';
import { expect } from 'vitest';
import { Rng } from '../../src/ops/random';
import type { Param } from '../../src/param/types';

/** numpy.fft.fftfreq(n) */
export function npFftfreq(n: number): number[] {
  const out: number[] = [];
  const half = Math.floor((n - 1) / 2) + 1;
  for (let i = 0; i < half; i++) out.push(i / n);
  for (let i = -Math.floor(n / 2); i < 0; i++) out.push(i / n);
  return out;
}

/** Lucid's rfft2d_freqs via numpy rules: fy[:, None], fx sliced, sqrt(fx² + fy²). */
export function refFreqs(h: number, w: number): number[][] {
  const fy = npFftfreq(h);
  const all = npFftfreq(w);
  const fx = all.slice(0, w % 2 === 1 ? Math.floor(w / 2) + 2 : Math.floor(w / 2) + 1);
  return fy.map((y) => fx.map((x) => Math.sqrt(x * x + y * y)));
}

/**
 * TensorFlow's irfft2d of one complex [h, wf] spectrum, done as TF's CPU kernel does: complex
 * inverse DFT along h, then the full length-n spectrum along w rebuilt by conjugate mirroring of
 * columns 1..n/2−1, then a complex inverse DFT along w and the real part. Returns [h][n].
 */
export function refIrfft2d(re: number[][], im: number[][]): number[][] {
  const h = re.length, wf = re[0].length, n = 2 * (wf - 1);
  // inverse DFT along h
  const yr: number[][] = [], yi: number[][] = [];
  for (let m = 0; m < h; m++) {
    yr.push(new Array(wf).fill(0));
    yi.push(new Array(wf).fill(0));
    for (let k = 0; k < h; k++) {
      const a = (2 * Math.PI * k * m) / h;
      for (let j = 0; j < wf; j++) {
        yr[m][j] += (re[k][j] * Math.cos(a) - im[k][j] * Math.sin(a)) / h;
        yi[m][j] += (re[k][j] * Math.sin(a) + im[k][j] * Math.cos(a)) / h;
      }
    }
  }
  const out: number[][] = [];
  for (let m = 0; m < h; m++) {
    const zr = new Array(n).fill(0), zi = new Array(n).fill(0);
    for (let k = 0; k <= n / 2; k++) {
      zr[k] = yr[m][k];
      zi[k] = yi[m][k];
    }
    for (let k = 1; k < n / 2; k++) {
      zr[n - k] = yr[m][k];
      zi[n - k] = -yi[m][k];
    }
    const row: number[] = [];
    for (let x = 0; x < n; x++) {
      let s = 0;
      for (let k = 0; k < n; k++) {
        const a = (2 * Math.PI * k * x) / n;
        s += zr[k] * Math.cos(a) - zi[k] * Math.sin(a);
      }
      row.push(s / n);
    }
    out.push(row);
  }
  return out;
}

/**
 * Lucid's fft_image in float64 from the spectrum variable values ([2, b, ch, h, wf] flat):
 * scale, irfft2d, transpose to NHWC, crop, /4. Returns flat NHWC [b, h, w, ch].
 */
export function refFftImage(spec: ArrayLike<number>, shape: number[], decayPower = 1): Float64Array {
  const [b, h, w, ch] = shape;
  const freqs = refFreqs(h, w);
  const wf = freqs[0].length;
  const out = new Float64Array(b * h * w * ch);
  const half = b * ch * h * wf;
  for (let bi = 0; bi < b; bi++) {
    for (let c = 0; c < ch; c++) {
      const re: number[][] = [], im: number[][] = [];
      for (let i = 0; i < h; i++) {
        re.push([]);
        im.push([]);
        for (let j = 0; j < wf; j++) {
          const s = (1 / Math.max(freqs[i][j], 1 / Math.max(w, h)) ** decayPower) * Math.sqrt(w * h);
          const idx = ((bi * ch + c) * h + i) * wf + j;
          re[i].push(spec[idx] * s);
          im[i].push(spec[half + idx] * s);
        }
      }
      const img = refIrfft2d(re, im);
      for (let i = 0; i < h; i++) for (let j = 0; j < w; j++) out[((bi * h + i) * w + j) * ch + c] = img[i][j] / 4;
    }
  }
  return out;
}

/**
 * TF1 resize_bilinear (align_corners=false, half_pixel_centers=false) of an [n, H, W, c] array to
 * [n, oh, ow, c], written as TF does it: top/bottom lerps then a vertical lerp.
 */
export function refResizeBilinear(x: ArrayLike<number>, shape: number[], oh: number, ow: number): Float64Array {
  const [n, H, W, c] = shape;
  const out = new Float64Array(n * oh * ow * c);
  const sy = H / oh, sx = W / ow;
  for (let b = 0; b < n; b++) {
    for (let y = 0; y < oh; y++) {
      const inY = y * sy, y0 = Math.floor(inY), y1 = Math.min(Math.ceil(inY), H - 1), ly = inY - y0;
      for (let xx = 0; xx < ow; xx++) {
        const inX = xx * sx, x0 = Math.floor(inX), x1 = Math.min(Math.ceil(inX), W - 1), lx = inX - x0;
        for (let k = 0; k < c; k++) {
          const at = (yy: number, xq: number): number => x[((b * H + yy) * W + xq) * c + k];
          const top = at(y0, x0) + (at(y0, x1) - at(y0, x0)) * lx;
          const bot = at(y1, x0) + (at(y1, x1) - at(y1, x0)) * lx;
          out[((b * oh + y) * ow + xx) * c + k] = top + (bot - top) * ly;
        }
      }
    }
  }
  return out;
}

/** Lucid's resize_bilinear_nd with the reference 2-D resize above (pairs of dimensions). */
export function refResizeNd(x: ArrayLike<number>, shape: number[], target: number[]): Float64Array {
  let t: Float64Array = Float64Array.from(x);
  let cur = shape.slice();
  let d = 0;
  const prod = (a: number[]): number => a.reduce((p, v) => p * v, 1);
  while (d < cur.length) {
    if (cur[d] === target[d]) {
      d++;
      continue;
    }
    const next = cur.slice();
    next[d] = target[d];
    if (d + 1 < cur.length) next[d + 1] = target[d + 1];
    const lead = prod(cur.slice(0, d));
    const a = cur[d], bb = d + 1 < cur.length ? cur[d + 1] : 1;
    const trail = prod(cur.slice(d + 2));
    t = refResizeBilinear(t, [lead, a, bb, trail], next[d], d + 1 < cur.length ? next[d + 1] : 1);
    cur = next;
    d += 2;
  }
  return t;
}

/** Symmetric pad of `offset[d]` at the start of each dimension then slice to `shape`. */
export function refSymmetricShift(x: ArrayLike<number>, shape: number[], offset: number[]): Float64Array {
  const total = shape.reduce((p, v) => p * v, 1);
  const out = new Float64Array(total);
  const strides = shape.map((_, i) => shape.slice(i + 1).reduce((p, v) => p * v, 1));
  for (let flat = 0; flat < total; flat++) {
    let src = 0;
    for (let d = 0; d < shape.length; d++) {
      const i = Math.floor(flat / strides[d]) % shape[d];
      const padded = offset[d];
      // padded tensor index i: mirrored part for i < pad (x[pad-1-i]), original x[i-pad] afterwards
      const j = i < padded ? padded - 1 - i : i - padded;
      src += j * strides[d];
    }
    out[flat] = x[src];
  }
  return out;
}

/** Float64 sum of a·b. */
export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

/** Host normal draws. */
export function randn(rng: Rng, n: number, sd = 1): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = rng.normal(0, sd);
  return out;
}

/**
 * Checks the param's gradient against central finite differences along a random direction D of all
 * its variables: loss = Σ image·R (R random), analytic Σ_v ⟨∂loss/∂v, D_v⟩ vs
 * (loss(v + εD) − loss(v − εD)) / 2ε with losses summed in float64 on the host. ε is chosen so the
 * image moves by about `step` per pixel. Returns [analytic, numeric].
 */
export function checkGradFd(p: Param<tf.Tensor>, seed: number, step = 0.01): [number, number] {
  const rng = new Rng(seed);
  const size = p.shape.reduce((a, b) => a * b, 1);
  const rHost = randn(rng, size);
  const vars = p.variables;
  const dirs = vars.map((v) => randn(rng, v.size));
  const init = vars.map((v) => Float32Array.from(v.dataSync()));
  const R = tf.tensor(rHost, p.shape as number[]);
  const { grads, value } = tf.variableGrads(() => tf.sum(tf.mul(p.image(), R)) as tf.Scalar, vars as tf.Variable[]);
  let analytic = 0;
  vars.forEach((v, i) => {
    const g = grads[v.name];
    expect(g, `gradient for variable ${i}`).toBeDefined();
    analytic += dot(g.dataSync(), dirs[i]);
  });
  tf.dispose([R, value, ...Object.values(grads)]);
  const imageAt = (eps: number): Float64Array => {
    vars.forEach((v, i) => {
      const t = tf.tensor(init[i].map((x, j) => x + eps * dirs[i][j]), v.shape);
      v.assign(t);
      t.dispose();
    });
    const img = p.image();
    const out = Float64Array.from(img.dataSync());
    img.dispose();
    return out;
  };
  const base = imageAt(0);
  const probe = imageAt(1e-3);
  let moved = 0;
  for (let i = 0; i < size; i++) moved = Math.max(moved, Math.abs(probe[i] - base[i]));
  expect(moved, 'the image depends on the variables').toBeGreaterThan(0);
  const eps = (1e-3 * step) / moved;
  const numeric = (dot(imageAt(eps), rHost) - dot(imageAt(-eps), rHost)) / (2 * eps);
  imageAt(0);
  return [analytic, numeric];
}

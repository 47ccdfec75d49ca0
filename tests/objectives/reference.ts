/**
 * Float64 reference implementations of Lucid's objectives, written directly from the formulas
 * (explicit loops, explicit kernels), independent of the library's tfjs code.
 */
import { Rng } from '../../src/ops/random';

/** A dense float64 array with a shape (row-major). */
export interface Arr {
  data: Float64Array;
  shape: number[];
}

/** Random float32-representable values (so float32 tensors hold exactly the same numbers). */
export function randomArr(shape: number[], seed: number, lo = -1, hi = 1): Arr {
  const rng = new Rng(seed);
  const size = shape.reduce((a, b) => a * b, 1);
  const data = new Float64Array(size);
  for (let i = 0; i < size; i++) data[i] = Math.fround(rng.uniform(lo, hi));
  return { data, shape };
}

export function idx4(shape: number[], n: number, i: number, j: number, c: number): number {
  return ((n * shape[1] + i) * shape[2] + j) * shape[3] + c;
}

/** Rank-2 `[N, C]` seen as `[N, 1, 1, C]`. */
export function asNHWC(a: Arr): Arr {
  return a.shape.length === 2 ? { data: a.data, shape: [a.shape[0], 1, 1, a.shape[1]] } : a;
}

/** Images `batch` only (or all). */
export function images(a: Arr, batch?: number): number[] {
  return batch === undefined ? Array.from({ length: a.shape[0] }, (_, i) => i) : [batch];
}

export function channelMean(a0: Arr, n: number, batch?: number): number {
  const a = asNHWC(a0);
  const [, h, w] = a.shape;
  let s = 0, cnt = 0;
  for (const b of images(a, batch))
    for (let i = 0; i < h; i++) for (let j = 0; j < w; j++) { s += a.data[idx4(a.shape, b, i, j, n)]; cnt++; }
  return s / cnt;
}

export function neuronValue(a: Arr, n: number, x: number, y: number, batch?: number): number {
  const bs = images(a, batch);
  let s = 0;
  for (const b of bs) s += a.data[idx4(a.shape, b, x, y, n)];
  return s / bs.length;
}

/** Lucid's `_dot_cossim` over a list of (activation vector, direction vector) pairs. */
export function dotCossim(pairs: [number[], number[]][], pow: number): number {
  let s = 0;
  for (const [x, y] of pairs) {
    let xy = 0, xx = 0, yy = 0;
    for (let k = 0; k < x.length; k++) { xy += x[k] * y[k]; xx += x[k] * x[k]; yy += y[k] * y[k]; }
    if (pow === 0) { s += xy; continue; }
    const cos = xy / (1e-4 + Math.sqrt(xx)) / (1e-4 + Math.sqrt(yy));
    s += xy * Math.max(0.1, cos) ** pow;
  }
  return s / pairs.length;
}

export function vecAt(a: Arr, b: number, i: number, j: number): number[] {
  const c = a.shape[3];
  const start = idx4(a.shape, b, i, j, 0);
  return Array.from(a.data.subarray(start, start + c));
}

export function directionValue(a0: Arr, vec: number[], pow: number, batch?: number): number {
  const a = asNHWC(a0);
  const pairs: [number[], number[]][] = [];
  for (const b of images(a, batch))
    for (let i = 0; i < a.shape[1]; i++) for (let j = 0; j < a.shape[2]; j++) pairs.push([vecAt(a, b, i, j), vec]);
  return dotCossim(pairs, pow);
}

/** `tf.image.total_variation` summed over the batch. */
export function totalVariation(a: Arr, batch?: number): number {
  const [, h, w, c] = a.shape;
  let s = 0;
  for (const b of images(a, batch))
    for (let i = 0; i < h; i++)
      for (let j = 0; j < w; j++)
        for (let k = 0; k < c; k++) {
          const v = a.data[idx4(a.shape, b, i, j, k)];
          if (i + 1 < h) s += Math.abs(a.data[idx4(a.shape, b, i + 1, j, k)] - v);
          if (j + 1 < w) s += Math.abs(a.data[idx4(a.shape, b, i, j + 1, k)] - v);
        }
  return s;
}

/** Lucid's `_tf_blur`: explicit w×w kernel (0.5 border, 1 inside), zero "SAME" padding, normalized by blur(ones). */
export function blur(a: Arr, w: number): Arr {
  const [N, H, W, C] = a.shape;
  const r = (w - 1) / 2;
  const kernel = (di: number, dj: number) => (Math.abs(di) === r || Math.abs(dj) === r ? 0.5 : 1.0);
  const out = new Float64Array(a.data.length);
  for (let n = 0; n < N; n++)
    for (let i = 0; i < H; i++)
      for (let j = 0; j < W; j++)
        for (let c = 0; c < C; c++) {
          let num = 0, den = 0;
          for (let di = -r; di <= r; di++)
            for (let dj = -r; dj <= r; dj++) {
              const ii = i + di, jj = j + dj;
              if (ii < 0 || ii >= H || jj < 0 || jj >= W) continue;
              num += kernel(di, dj) * a.data[idx4(a.shape, n, ii, jj, c)];
              den += kernel(di, dj);
            }
          out[idx4(a.shape, n, i, j, c)] = num / den;
        }
  return { data: out, shape: a.shape };
}

export function diversity(a0: Arr): number {
  const a = asNHWC(a0);
  const [N, H, W, C] = a.shape;
  const grams: number[][] = [];
  for (let n = 0; n < N; n++) {
    const g = new Array<number>(C * C).fill(0);
    for (let p = 0; p < C; p++)
      for (let q = 0; q < C; q++)
        for (let i = 0; i < H; i++)
          for (let j = 0; j < W; j++) g[p * C + q] += a.data[idx4(a.shape, n, i, j, p)] * a.data[idx4(a.shape, n, i, j, q)];
    const norm = Math.sqrt(Math.max(g.reduce((s, v) => s + v * v, 0), 1e-10));
    grams.push(g.map((v) => v / norm));
  }
  let s = 0;
  for (let i = 0; i < N; i++)
    for (let j = 0; j < N; j++) if (i !== j) for (let k = 0; k < C * C; k++) s += grams[i][k] * grams[j][k];
  return s / N;
}

export function alignment(a: Arr, decay: number): number {
  const N = a.shape[0];
  const per = a.data.length / N;
  let acc = 0;
  for (const d of [1, 2, 3, 4])
    for (let i = 0; i < N - d; i++) {
      let m = 0;
      for (let k = 0; k < per; k++) m += (a.data[i * per + k] - a.data[(i + d) * per + k]) ** 2;
      acc += m / per / decay ** d;
    }
  return -acc;
}

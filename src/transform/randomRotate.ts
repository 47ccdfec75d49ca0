import * as tf from '@tensorflow/tfjs-core';
import { fail, show } from '../errors';
import { bilinearCorners, bilinearSample } from '../ops/bilinearSample';
import type { Transform } from './types';
import { checkImage, checkNumberList, checkOneOf, checkOptions, checkRng } from '../validate';

/** Angle units accepted by {@link randomRotate}. */
export type AngleUnits = 'degrees' | 'radians';

/** The angle units {@link randomRotate} accepts. */
export const ANGLE_UNITS: readonly AngleUnits[] = Object.freeze(['degrees', 'radians'] as AngleUnits[]);

/** Options of {@link randomRotate}. */
export interface RandomRotateOptions {
  /** Units of `angles`. Default `'degrees'`. */
  units?: AngleUnits;
  /** Value of the corners that rotate in from outside the image. Default 0 (as Lucid's `tf.contrib.image.rotate`). */
  fillValue?: number;
}

/**
 * Rotates `image` counter-clockwise by `radians` about its centre `((H-1)/2, (W-1)/2)`, bilinearly,
 * with `fillValue` outside the image. Differentiable with respect to `image` on cpu, wasm and webgl.
 *
 * Output pixel `(y, x)` reads source `(cy + sin θ·(x-cx) + cos θ·(y-cy), cx + cos θ·(x-cx) - sin θ·(y-cy))`,
 * the mapping of `tf.contrib.image.rotate`.
 *
 * @example
 * ```ts
 * const out = rotate(tf.ones([1, 16, 16, 3]), Math.PI / 2); // same shape, a 90° turn
 * ```
 * @param image `[N, H, W, C]`; not disposed.
 * @param radians counter-clockwise angle.
 * @param fillValue value for pixels that come from outside the image. Default 0.
 * @returns a new `[N, H, W, C]` tensor owned by the caller.
 */
export function rotate(image: tf.Tensor4D, radians: number, fillValue = 0): tf.Tensor4D {
  const fn = 'transform.rotate';
  if (!(image instanceof tf.Tensor) || image.rank !== 4) {
    fail(fn, `image must be a rank-4 [N, H, W, C] tensor, but got ${image instanceof tf.Tensor ? `shape ${show(image.shape)}` : show(image)}.`);
  }
  if (typeof radians !== 'number' || !Number.isFinite(radians)) fail(fn, `radians must be a finite number, but got ${show(radians)}.`);
  if (typeof fillValue !== 'number' || !Number.isFinite(fillValue)) fail(fn, `fillValue must be a finite number, but got ${show(fillValue)}.`);
  if (radians === 0) return tf.clone(image);
  const [, h, w] = image.shape;
  const cy = (h - 1) / 2;
  const cx = (w - 1) / 2;
  const cos = Math.cos(radians);
  const sin = Math.sin(radians);
  const ys = new Float64Array(h * w);
  const xs = new Float64Array(h * w);
  for (let i = 0; i < h; i++) {
    for (let j = 0; j < w; j++) {
      const dy = i - cy;
      const dx = j - cx;
      ys[i * w + j] = cy + sin * dx + cos * dy;
      xs[i * w + j] = cx + cos * dx - sin * dy;
    }
  }
  if (tf.getBackend() === 'wasm') return sampleOnHost(image, ys, xs, fillValue);
  return bilinearSample(image, { height: h, width: w, ys, xs }, fillValue);
}

/**
 * The same bilinear sampling as `bilinearSample` (same corner weights, same fill rule), computed
 * on the host for the wasm backend, whose tensors live in host memory: one pass over the pixels
 * forward, its exact adjoint (a scatter-add) backward. On wasm this replaces two `GatherV2` kernels
 * that moved `[N, 4·H·W, C]` and `[N, k·H·W, C]` elements with index arithmetic per element and
 * took most of the standard transforms' time. Output and gradient are float32 sums of the same
 * products, so values agree with the gather formulation to float32 rounding.
 */
function sampleOnHost(image: tf.Tensor4D, ys: Float64Array, xs: Float64Array, fillValue: number): tf.Tensor4D {
  const [n, h, w, ch] = image.shape;
  const m = h * w;
  const { index, weight, fill } = bilinearCorners(h, w, { height: h, width: w, ys, xs });
  /**
   * The forward sampling: each output point is the weighted sum of its corner pixels of `from`
   * (plus its share of the fill value), accumulated in float32 in corner order, as a `+=` into a
   * Float32Array would (`Math.fround` after each add; the products of two float32 values are exact
   * in float64).
   */
  const gather = (from: Float32Array): Float32Array => {
    const to = new Float32Array(n * m * ch);
    for (let b = 0; b < n; b++) {
      const off = b * m * ch;
      if (ch === 3) {
        // RGB, unrolled (about twice as fast in V8 as the loop over channels below).
        for (let q = 0; q < m; q++) {
          let a0 = 0, a1 = 0, a2 = 0;
          for (let c = 0; c < 4; c++) {
            const v = weight[c * m + q];
            if (v === 0) continue;
            const p = off + index[c * m + q] * 3;
            a0 = Math.fround(a0 + v * from[p]);
            a1 = Math.fround(a1 + v * from[p + 1]);
            a2 = Math.fround(a2 + v * from[p + 2]);
          }
          const o = off + q * 3, f = fill[q] * fillValue;
          to[o] = fillValue !== 0 ? a0 + f : a0;
          to[o + 1] = fillValue !== 0 ? a1 + f : a1;
          to[o + 2] = fillValue !== 0 ? a2 + f : a2;
        }
        continue;
      }
      for (let q = 0; q < m; q++) {
        const o = off + q * ch;
        for (let k = 0; k < ch; k++) {
          let acc = 0;
          for (let c = 0; c < 4; c++) {
            const v = weight[c * m + q];
            if (v !== 0) acc = Math.fround(acc + v * from[off + index[c * m + q] * ch + k]);
          }
          to[o + k] = fillValue !== 0 ? acc + fill[q] * fillValue : acc;
        }
      }
    }
    return to;
  };
  /** The exact adjoint of {@link gather} (the gradient): each output point scattered onto its corners. */
  const scatter = (from: Float32Array): Float32Array => {
    const to = new Float32Array(n * m * ch);
    for (let b = 0; b < n; b++) {
      const off = b * m * ch;
      for (let q = 0; q < m; q++) {
        const o = off + q * ch;
        for (let c = 0; c < 4; c++) {
          const v = weight[c * m + q];
          if (v === 0) continue;
          const p = off + index[c * m + q] * ch;
          if (ch === 3) {
            to[p] += v * from[o];
            to[p + 1] += v * from[o + 1];
            to[p + 2] += v * from[o + 2];
          } else {
            for (let k = 0; k < ch; k++) to[p + k] += v * from[o + k];
          }
        }
      }
    }
    return to;
  };
  const sample = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const out = gather((args[0] as tf.Tensor4D).dataSync() as Float32Array);
    const gradFunc = (dy: tf.Tensor): tf.Tensor4D => tf.tensor4d(scatter(dy.dataSync() as Float32Array), [n, h, w, ch]);
    return { value: tf.tensor4d(out, [n, h, w, ch]), gradFunc };
  });
  return sample(image) as tf.Tensor4D;
}

/**
 * Rotates the image about its centre by an angle drawn uniformly from `angles`; the shape is kept.
 *
 * Why: small random rotations (Lucid's standard set is −10°..10°, with extra weight on 0°) make the
 * visualization robust to orientation jitter ("Feature Visualization", Olah et al. 2017).
 *
 * Deliberate differences from Lucid, whose `tf.contrib.image.rotate` samples the nearest neighbour:
 * - sampling is bilinear (`tf.contrib.image.rotate` rounds to the nearest pixel), so rotated images
 *   are smoother and the gradient reaches all four neighbours of every sample point; the gradient is
 *   built from `gather` so it works on every backend (tfjs has no gradient for `rotateWithOffset`
 *   or `image.transform`); on wasm the same sampling and its adjoint run on the host, which is
 *   several times faster than wasm's `GatherV2` (see docs/performance.md);
 * - corners that rotate in from outside are `fillValue` (default 0, black, as Lucid), and pixels
 *   along the border blend bilinearly towards it instead of switching abruptly;
 * - degrees are converted with `Math.PI` (Lucid multiplies by 3.14, 0.05% smaller angles).
 * An angle of exactly 0 returns a copy of the input.
 *
 * Port of `lucid.optvis.transform.random_rotate`.
 *
 * @example
 * ```ts
 * const out = randomRotate([-5, 0, 5])(tf.zeros([1, 64, 64, 3]), new Rng(0)); // [1, 64, 64, 3]
 * ```
 * @param angles candidate angles (finite numbers, at least one); copied.
 * @param options `units` (`'degrees'` default, or `'radians'`) and `fillValue` (default 0).
 * @returns a {@link Transform}; its output is a new tensor of the input's shape, owned by the caller.
 */
export function randomRotate(angles: readonly number[], options: RandomRotateOptions = {}): Transform {
  const fn = 'transform.randomRotate';
  const list = checkNumberList(fn, 'angles', angles);
  checkOptions(fn, options, ['units', 'fillValue']);
  const units = checkOneOf(fn, 'units', options.units ?? 'degrees', ANGLE_UNITS);
  const fillValue = options.fillValue ?? 0;
  if (typeof fillValue !== 'number' || !Number.isFinite(fillValue)) {
    fail(fn, `fillValue must be a finite number, but got ${show(fillValue)}.`);
  }
  return (image, rng) => {
    checkImage(fn, image);
    checkRng(fn, rng);
    const angle = rng.choice(list);
    const radians = units === 'degrees' ? (angle * Math.PI) / 180 : angle;
    return rotate(image, radians, fillValue);
  };
}

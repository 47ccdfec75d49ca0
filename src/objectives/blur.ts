import * as tf from '@tensorflow/tfjs-core';
import '../ops/registerGradients';
import { fail, show } from '../errors';
import { stopGradient } from '../ops/stopGradient';
import { INPUT, Objective } from './objective';
import { type ConstantLike, type HostTensor, checkBroadcastsTo, describeCall, hostTensor } from './util';
import { checkFinite, checkOptions, checkPositive, readNested, showShape } from '../validate';
import { lucidBlur } from '../ops/lucidBlur';

/** The input as NHWC, or an error naming `fn`. */
function inputNHWC(fn: string, T: (name: string) => tf.Tensor): tf.Tensor4D {
  const t = T(INPUT);
  if (t.rank !== 4) {
    fail(fn, `the input must have rank 4 ([batch, height, width, channels]), but got shape ${showShape(t.shape)}.`);
  }
  return t as tf.Tensor4D;
}

/** `0.5 · sum((x − stopGradient(blur3(x)))²)`: its gradient is `x − blur(x)`. */
function blurPull(x: tf.Tensor4D): tf.Scalar {
  const blurred = stopGradient(lucidBlur(x, 3));
  return tf.mul(tf.sum(tf.square(tf.sub(x, blurred))), 0.5);
}

/**
 * An objective whose gradient step blurs the input: MINIMISING it (adding `-k` times it to the
 * objective) is equivalent to `input ← (1 − k)·input + k·blur(input)` with plain gradient descent.
 *
 * Blurring the image every step was the regulariser of early feature visualization
 * (Nguyen et al., 2015, "Multifaceted Feature Visualization"). The value is
 * `0.5 · Σ (x − sg(blur(x)))²`, where `blur` is Lucid's 3×3 per-channel blur (weight 1 in the
 * centre, 0.5 around it, normalized at the borders) and `sg` stops its gradient, so the gradient
 * is exactly `x − blur(x)`. The whole batch counts.
 *
 * Port of `lucid.optvis.objectives.blur_input_each_step`.
 *
 * @example
 * ```ts
 * const obj = objectives.channel('mixed4a', 97).sub(objectives.blurInputEachStep().mul(0.5));
 * ```
 * @returns a new objective on `'input'` (needs no model layer).
 */
export function blurInputEachStep(): Objective {
  const fn = 'objectives.blurInputEachStep';
  return new Objective((T) => blurPull(inputNHWC(fn, T)), describeCall('BlurInputEachStep', []), []);
}

/**
 * Like {@link blurInputEachStep}, for the alpha channel only (channel 3 of an RGBA input).
 *
 * Used in Lucid's transparency experiments to keep the alpha mask smooth.
 *
 * Port of `lucid.optvis.objectives.blur_alpha_each_step`. Errors at evaluation when the input has
 * fewer than 4 channels.
 *
 * @example
 * ```ts
 * const obj = objectives.channel('mixed4a', 97).sub(objectives.blurAlphaEachStep().mul(0.5));
 * ```
 * @returns a new objective on `'input'` (needs no model layer).
 */
export function blurAlphaEachStep(): Objective {
  const fn = 'objectives.blurAlphaEachStep';
  return new Objective(
    (T) => {
      const x = inputNHWC(fn, T);
      if (x.shape[3] < 4) {
        fail(fn, `the input must have an alpha channel (RGBA, 4 channels), but got ${x.shape[3]} channels.`);
      }
      return blurPull(tf.slice(x, [0, 0, 0, 3], [-1, -1, -1, 1]));
    },
    describeCall('BlurAlphaEachStep', []),
    [],
  );
}

/** Options of {@link penalizeBoundaryComplexity}. */
export interface BoundaryOptions {
  /** Width of the penalized border in pixels (default 20); ignored when `mask` is given. */
  readonly w?: number;
  /**
   * Where to penalize, 1 = penalize, 0 = free (default: a border of width `w`). Any shape that
   * broadcasts to the input's, e.g. `[1, height, width, 1]`; copied, so a tensor stays the caller's.
   */
  readonly mask?: ConstantLike;
  /** Colour the border is pulled towards (default 0.5, grey). */
  readonly C?: number;
}

/**
 * Encourage the border of the image to be smooth and of colour `C`: returns
 * `−Σ mask · ((blur5(x) − x)² + 0.8·(x − C)²)`, already negated, so ADD it to the objective.
 *
 * Makes visualizations that fade into a plain background, which composes better (Lucid's
 * "Differentiable Image Parameterizations" experiments). `blur5` is Lucid's 5×5 blur (1 inside,
 * 0.5 on the kernel border, normalized at the image edges); unlike {@link blurInputEachStep} the
 * gradient flows through the blur too.
 *
 * The default mask is ones of `shape` with the interior `[w, H − w) × [w, W − w)` zeroed, as
 * Lucid's `mask[:, w:-w, w:-w] = 0` (so when `2w >= H` no row is interior).
 *
 * Port of `lucid.optvis.objectives.penalize_boundary_complexity`. Errors at evaluation when the
 * mask (or `shape`) does not broadcast to the input's shape.
 *
 * @example
 * ```ts
 * const obj = objectives.channel('mixed4a', 97).add(objectives.penalizeBoundaryComplexity([1, 64, 64, 3], { w: 8 }));
 * ```
 * @param shape shape of the input `[batch, height, width, channels]` (Lucid's `shp`).
 * @param options `w` border width (default 20), `mask` (default: the border), `C` (default 0.5).
 * @returns a new objective on `'input'` (needs no model layer); its value is <= 0.
 */
export function penalizeBoundaryComplexity(shape: readonly number[], options?: BoundaryOptions): Objective {
  const fn = 'objectives.penalizeBoundaryComplexity';
  if (
    !Array.isArray(shape) ||
    shape.length !== 4 ||
    !shape.every((d) => typeof d === 'number' && Number.isInteger(d) && d > 0)
  ) {
    fail(fn, `shape must be 4 positive integers [batch, height, width, channels], but got ${show(shape)}.`);
  }
  const { w = 20, mask, C = 0.5 } = checkOptions(fn, options, ['w', 'mask', 'C']);
  checkPositive(fn, 'w', w);
  checkFinite(fn, 'C', C);
  const m: HostTensor = mask === undefined ? borderMask(shape, w) : readNested(fn, 'mask', mask);
  return new Objective(
    (T) => {
      const x = inputNHWC(fn, T);
      checkBroadcastsTo(fn, mask === undefined ? 'shape' : 'mask', m.shape, x.shape, 'the input');
      const smooth = tf.square(tf.sub(lucidBlur(x, 5), x));
      const grey = tf.mul(tf.square(tf.sub(x, C)), 0.8);
      return tf.neg(tf.sum(tf.mul(tf.add(smooth, grey), hostTensor(m))));
    },
    describeCall('PenalizeBoundaryComplexity', [shape], { w: w === 20 ? undefined : w, mask, C: C === 0.5 ? undefined : C }),
    [],
  );
}

/** Ones of `shape` with rows and columns `[w, size − w)` zeroed (Lucid's `[:, w:-w, w:-w] = 0`). */
function borderMask(shape: readonly number[], w: number): HostTensor {
  const [b, h, wd, c] = shape;
  const data = new Float32Array(b * h * wd * c);
  for (let n = 0; n < b; n++) {
    for (let i = 0; i < h; i++) {
      for (let j = 0; j < wd; j++) {
        const interior = i >= w && i < h - w && j >= w && j < wd - w;
        data.fill(interior ? 0 : 1, ((n * h + i) * wd + j) * c, ((n * h + i) * wd + j + 1) * c);
      }
    }
  }
  return { data, shape: shape.slice() };
}

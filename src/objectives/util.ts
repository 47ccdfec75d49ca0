/**
 * Shared building blocks of the objective factories (internal; not re-exported).
 *
 * Every helper validates shapes on the host BEFORE it creates a tensor, so that an objective that
 * rejects its input throws without having put anything on a gradient tape. Generic checks
 * (options, indices, numbers, nested constants) come from `../validate`.
 */
import * as tf from '@tensorflow/tfjs-core';
import { fail, show } from '../errors';
import { type HostTensor, type NestedNumbers, showShape } from '../validate';

export type { HostTensor, NestedNumbers };

/** A constant the user passes to a factory: a tensor or (nested) numbers. */
export type ConstantLike = tf.Tensor | NestedNumbers;

/** Builds the tensor of a host constant (call inside the step's tidy). */
export function hostTensor(h: HostTensor): tf.Tensor {
  return tf.tensor(h.data, h.shape as number[], 'float32');
}

/** Asserts `value` is a non-empty layer name. */
export function checkLayer(fn: string, name: string, value: unknown): string {
  if (typeof value !== 'string' || value.length === 0) {
    fail(fn, `${name} must be a non-empty layer name, but got ${show(value)}.`);
  }
  return value;
}

/**
 * The NHWC shape a layer is read as: rank 4 as is, rank 2 (`[batch, channels]`, a dense layer)
 * as `[batch, 1, 1, channels]` (Lucid's `_T_force_NHWC`). Other ranks are an error.
 */
export function nhwcShape(fn: string, layer: string, t: tf.Tensor): [number, number, number, number] {
  const s = t.shape;
  if (s.length === 4) return [s[0], s[1], s[2], s[3]];
  if (s.length === 2) return [s[0], 1, 1, s[1]];
  return fail(
    fn,
    `layer "${layer}" must have rank 2 ([batch, channels]) or 4 ([batch, height, width, channels]), ` +
      `but got rank ${s.length} (shape ${showShape(s)}).`,
  );
}

/** `t` as NHWC (reshapes a rank-2 layer to `[batch, 1, 1, channels]`). */
export function toNHWC(t: tf.Tensor, shape: readonly [number, number, number, number]): tf.Tensor4D {
  return (t.rank === 4 ? t : tf.reshape(t, shape as [number, number, number, number])) as tf.Tensor4D;
}

/** Asserts `batch` (when given) indexes one of `size` images. */
export function checkBatch(fn: string, layer: string, batch: number | undefined, size: number): void {
  if (batch !== undefined && batch >= size) {
    fail(
      fn,
      `batch ${batch} is out of range for layer "${layer}" (batch of ${size} image${size === 1 ? '' : 's'}); ` +
        `batch must be an integer in [0, ${size - 1}].`,
    );
  }
}

/** Asserts channel `n` exists in a layer of `depth` channels. */
export function checkChannel(fn: string, layer: string, n: number, depth: number, what = 'channel'): void {
  if (n >= depth) {
    fail(
      fn,
      `${what} ${n} is out of range for layer "${layer}" (${depth} ${what}s); ` +
        `n must be an integer in [0, ${depth - 1}].`,
    );
  }
}

/** Asserts the layer tensor has at least one dimension (a batch axis). */
export function checkHasBatchAxis(fn: string, layer: string, t: tf.Tensor): number {
  if (t.rank === 0) fail(fn, `layer "${layer}" must have a batch dimension, but got a scalar.`);
  return t.shape[0];
}

/** Image `batch` of `t` as a batch of one (`t[batch:batch+1]`), or `t` when `batch` is undefined. */
export function selectBatch<T extends tf.Tensor>(t: T, batch: number | undefined): T {
  if (batch === undefined) return t;
  const begin = t.shape.map((_, i) => (i === 0 ? batch : 0));
  const size = t.shape.map((d, i) => (i === 0 ? 1 : d));
  return tf.slice(t, begin, size) as T;
}

/** Channel `n` of an NHWC tensor, keeping the channel axis (`x[..., n:n+1]`). */
export function sliceChannel(x: tf.Tensor4D, n: number): tf.Tensor4D {
  return tf.slice(x, [0, 0, 0, n], [-1, -1, -1, 1]);
}

/** Asserts row `x` / column `y` (when given) exist; returns the defaults `H // 2`, `W // 2` otherwise. */
export function position(
  fn: string,
  layer: string,
  shape: readonly [number, number, number, number],
  x: number | undefined,
  y: number | undefined,
): [number, number] {
  const [, h, w] = shape;
  const px = x ?? Math.floor(h / 2);
  const py = y ?? Math.floor(w / 2);
  if (px >= h) {
    fail(fn, `x ${px} is out of range for layer "${layer}" (height ${h}); x (the row) must be an integer in [0, ${h - 1}].`);
  }
  if (py >= w) {
    fail(fn, `y ${py} is out of range for layer "${layer}" (width ${w}); y (the column) must be an integer in [0, ${w - 1}].`);
  }
  return [px, py];
}

/** The activations at one position, `acts[:, x:x+1, y:y+1, :]` (Lucid's `_extract_act_pos`). */
export function extractPosition(acts: tf.Tensor4D, x: number, y: number): tf.Tensor4D {
  return tf.slice(acts, [0, x, y, 0], [-1, 1, 1, -1]);
}

/** Floor of the squared norm under the square root in {@link dotCossim} (see there). */
const MIN_SQUARED_NORM = 1e-12;

/**
 * Lucid's `_dot_cossim`: the mean over positions of `x·y`, weighted by
 * `max(0.1, cossim(x, y)) ** cossimPow` when `cossimPow > 0`. The dot product is over the last axis.
 *
 * Deliberate difference: `|x|` is computed as `sqrt(max(|x|², 1e-12))` so that a position whose
 * activation vector is exactly zero yields a zero gradient instead of NaN (TensorFlow's and tfjs'
 * `sqrt` gradient at 0 is infinite, and `0 · ∞ = NaN` poisons the whole image). Values differ from
 * Lucid's only where `|x| < 1e-6`, where `x·y` itself is below `1e-6·|y|`.
 */
export function dotCossim(x: tf.Tensor, y: tf.Tensor, cossimPow: number): tf.Scalar {
  const xy = tf.sum(tf.mul(x, y), -1);
  if (cossimPow === 0) return tf.mean(xy);
  const eps = 1e-4;
  const xMag = tf.sqrt(tf.maximum(tf.sum(tf.square(x), -1), MIN_SQUARED_NORM));
  const yMag = tf.sqrt(tf.sum(tf.square(y), -1));
  const cossim = tf.div(tf.div(xy, tf.add(xMag, eps)), tf.add(yMag, eps));
  const floored = tf.maximum(cossim, 0.1);
  return tf.mean(tf.mul(xy, tf.pow(floored, cossimPow)));
}

/**
 * Lucid's `_make_arg_str`: an argument as it appears in a description, `...` when its text is
 * longer than 15 characters or spans lines.
 */
export function argString(arg: unknown): string {
  let s: string;
  if (typeof arg === 'string') s = arg;
  else if (arg instanceof tf.Tensor) s = `Tensor${showShape(arg.shape)}`;
  else if (Array.isArray(arg) || ArrayBuffer.isView(arg)) s = `[${Array.from(arg as ArrayLike<unknown>, (v) => argString(v)).join(', ')}]`;
  else s = show(arg);
  return s.length > 15 || s.includes('\n') ? '...' : s;
}

/**
 * A description like Lucid's `wrap_objective`: `Name [arg1, arg2, key=value]`. Options that are
 * `undefined` are left out.
 */
export function describeCall(name: string, args: readonly unknown[], options: Record<string, unknown> = {}): string {
  const parts = args.map(argString);
  for (const [k, v] of Object.entries(options)) if (v !== undefined) parts.push(`${k}=${argString(v)}`);
  return `${name} [${parts.join(', ')}]`;
}

/**
 * Asserts a constant of shape `constShape` broadcasts against `target` without enlarging it
 * (right-aligned, each dimension equal or 1).
 */
export function checkBroadcastsTo(
  fn: string,
  name: string,
  constShape: readonly number[],
  target: readonly number[],
  targetName: string,
): void {
  const ok =
    constShape.length <= target.length &&
    constShape.every((d, i) => d === 1 || d === target[target.length - constShape.length + i]);
  if (!ok) {
    fail(
      fn,
      `${name} must have a shape that broadcasts to the shape of ${targetName} ${showShape(target)}, ` +
        `but got ${showShape(constShape)}.`,
    );
  }
}


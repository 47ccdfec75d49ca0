/**
 * Shared building blocks of the objective factories (internal; not re-exported).
 *
 * Every helper validates shapes on the host BEFORE it creates a tensor, so that an objective that
 * rejects its input throws without having put anything on a gradient tape.
 */
import * as tf from '@tensorflow/tfjs-core';
import { fail, show } from '../errors';

/** Numbers, typed arrays or nested arrays of numbers (a constant given by the user). */
export type NestedNumbers = number | ArrayLike<number> | readonly NestedNumbers[];

/** A constant the user passes to a factory: a tensor or (nested) numbers. */
export type ConstantLike = tf.Tensor | NestedNumbers;

/**
 * A host-side copy of a constant. Objectives keep constants on the host and build the tensor
 * inside each step's tidy, so an objective owns no tensor and needs no `dispose()`.
 */
export interface HostTensor {
  readonly data: Float32Array;
  readonly shape: readonly number[];
}

/** Copies `value` (tensor or nested numbers) to the host; every entry must be finite. */
export function toHost(fn: string, name: string, value: unknown): HostTensor {
  let data: Float32Array;
  let shape: number[];
  if (value instanceof tf.Tensor) {
    if (value.isDisposed) fail(fn, `${name} must be a live tensor, but got a disposed tensor.`);
    if (value.dtype !== 'float32' && value.dtype !== 'int32') {
      fail(fn, `${name} must be a numeric tensor, but got dtype ${show(value.dtype)}.`);
    }
    data = Float32Array.from(value.dataSync() as ArrayLike<number>);
    shape = value.shape.slice();
  } else {
    shape = [];
    const flat: number[] = [];
    flatten(fn, name, value, 0, shape, flat);
    data = Float32Array.from(flat);
  }
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i])) {
      fail(fn, `${name} must contain only finite numbers, but entry ${i} is ${show(data[i])}.`);
    }
  }
  return { data, shape };
}

function isArrayLike(v: unknown): v is ArrayLike<unknown> {
  return Array.isArray(v) || ArrayBuffer.isView(v);
}

function flatten(fn: string, name: string, v: unknown, depth: number, shape: number[], out: number[]): void {
  if (typeof v === 'number') {
    if (depth !== shape.length) fail(fn, `${name} must be a rectangular array of numbers, but it is ragged.`);
    out.push(v);
    return;
  }
  if (!isArrayLike(v) || v instanceof DataView) {
    fail(fn, `${name} must be a tensor or a (nested) array of numbers, but got ${show(v)}.`);
  }
  if (depth === shape.length) {
    if (depth > 0 && out.length > 0) fail(fn, `${name} must be a rectangular array of numbers, but it is ragged.`);
    shape.push(v.length);
  } else if (shape[depth] !== v.length) {
    fail(fn, `${name} must be a rectangular array of numbers, but it is ragged.`);
  }
  for (let i = 0; i < v.length; i++) flatten(fn, name, v[i], depth + 1, shape, out);
}

/** Builds the tensor of a host constant (call inside the step's tidy). */
export function hostTensor(h: HostTensor): tf.Tensor {
  return tf.tensor(h.data, h.shape as number[], 'float32');
}

/** Formats a shape as `[1, 2, 3]`. */
export function showShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

/** Asserts `value` is an integer >= 0 (a channel, batch, row or column index). */
export function checkIndex(fn: string, name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
    fail(fn, `${name} must be a non-negative integer, but got ${show(value)}.`);
  }
  return value;
}

/** Asserts `value` is `undefined` or an integer >= 0. */
export function checkOptionalIndex(fn: string, name: string, value: unknown): number | undefined {
  return value === undefined ? undefined : checkIndex(fn, name, value);
}

/** Asserts `value` is a non-empty layer name. */
export function checkLayer(fn: string, name: string, value: unknown): string {
  if (typeof value !== 'string' || value.length === 0) {
    fail(fn, `${name} must be a non-empty layer name, but got ${show(value)}.`);
  }
  return value;
}

/** Asserts `options` is `undefined` or a plain object with only the `allowed` keys. */
export function checkOptions<O extends object>(fn: string, options: O | undefined, allowed: readonly string[]): Partial<O> {
  if (options === undefined) return {};
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    fail(fn, `options must be an object, but got ${show(options)}.`);
  }
  for (const key of Object.keys(options)) {
    if (!allowed.includes(key)) {
      const list = allowed.map((a) => `'${a}'`).join(', ');
      fail(fn, `options must only have the keys ${list}, but got ${show(key)}.`);
    }
  }
  return options;
}

/** Asserts `value` is a finite number. */
export function checkNumber(fn: string, name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    fail(fn, `${name} must be a finite number, but got ${show(value)}.`);
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

/** Asserts `cossimPow` is a finite number >= 0. */
export function checkCossimPow(fn: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    fail(fn, `cossimPow must be a non-negative number, but got ${show(value)}.`);
  }
  return value;
}

/**
 * Lucid's `_make_arg_str`: an argument as it appears in a description, `...` when its text is
 * longer than 15 characters or spans lines.
 */
export function argString(arg: unknown): string {
  let s: string;
  if (typeof arg === 'string') s = arg;
  else if (arg instanceof tf.Tensor) s = `Tensor${showShape(arg.shape)}`;
  else if (isArrayLike(arg)) s = `[${Array.from(arg as ArrayLike<unknown>, (v) => argString(v)).join(', ')}]`;
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

/** Number of rows or columns within `radius` of index `i` inside `[0, n)`. */
function validCount(i: number, n: number, radius: number): number {
  return Math.min(n - 1, i + radius) - Math.max(0, i - radius) + 1;
}

/** Sum over a `(2r+1)`-wide window along `axis` (1 = rows, 2 = columns) with zero padding. */
function windowSum(x: tf.Tensor4D, axis: 1 | 2, r: number): tf.Tensor4D {
  if (r === 0) return x;
  const n = x.shape[axis];
  const pads: [number, number][] = [
    [0, 0],
    [0, 0],
    [0, 0],
    [0, 0],
  ];
  pads[axis] = [r, r];
  const padded = tf.pad(x, pads);
  const parts: tf.Tensor4D[] = [];
  for (let k = 0; k <= 2 * r; k++) {
    const begin = [0, 0, 0, 0];
    begin[axis] = k;
    const size = [-1, -1, -1, -1];
    size[axis] = n;
    parts.push(tf.slice(padded, begin, size));
  }
  return tf.addN(parts);
}

/** Sum over a `(2r+1)×(2r+1)` box with zero padding ("SAME" convolution with a box of ones). */
function boxSum(x: tf.Tensor4D, r: number): tf.Tensor4D {
  return windowSum(windowSum(x, 1, r), 2, r);
}

/**
 * Lucid's `_tf_blur`: a per-channel `w×w` blur whose kernel is 1 inside and 0.5 on its border,
 * with "SAME" zero padding, normalized by the kernel mass that falls inside the image (so edges
 * are weighted averages of the pixels that exist).
 *
 * Built from slices and sums (the kernel is `0.5·box(w) + 0.5·box(w−2)`), not a convolution, so
 * its gradient runs on every backend (wasm has no depthwise-convolution backprop kernels).
 *
 * @param x `[batch, height, width, channels]`.
 * @param w odd kernel width >= 3.
 */
export function lucidBlur(x: tf.Tensor4D, w: number): tf.Tensor4D {
  const r = (w - 1) / 2;
  const [, h, wd] = x.shape;
  const unnormalized = tf.mul(tf.add(boxSum(x, r), boxSum(x, r - 1)), 0.5);
  return tf.div(unnormalized, tf.tensor4d(blurNorm(h, wd, r), [1, h, wd, 1])) as tf.Tensor4D;
}

/** Host-side normalizers of {@link lucidBlur} per size (no tensors: just reused numbers). */
const normCache = new Map<string, Float32Array>();

/** The kernel mass inside the image at each pixel, `blur(ones)`, for an `h×w` image and radius `r`. */
function blurNorm(h: number, wd: number, r: number): Float32Array {
  const key = `${h}x${wd}r${r}`;
  const hit = normCache.get(key);
  if (hit !== undefined) return hit;
  const norm = new Float32Array(h * wd);
  for (let i = 0; i < h; i++) {
    for (let j = 0; j < wd; j++) {
      const outer = validCount(i, h, r) * validCount(j, wd, r);
      const inner = validCount(i, h, r - 1) * validCount(j, wd, r - 1);
      norm[i * wd + j] = 0.5 * (outer + inner);
    }
  }
  if (normCache.size >= 16) normCache.clear();
  normCache.set(key, norm);
  return norm;
}

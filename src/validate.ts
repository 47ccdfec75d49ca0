/**
 * Argument validation for the whole library: ONE place for option bags, tensors, images, seeded
 * generators and (nested) number arrays. Not part of the public API.
 *
 * Conventions every check follows (and every new one must):
 * - `fn` is the PUBLIC path of the function the user called: `'<namespace>.<function>'`
 *   (`'param.image'`, `'render.visSession'`, `'model.fromGraphModel'`, `'objectives.Objective.sum'`),
 *   the bare name for root exports (`'Rng'`, `'stopGradient'`), and `'ops.<function>'` for the
 *   internal ops. It becomes {@link OptvisError.fn} and the `Error in <fn>:` prefix.
 * - `name` is the argument as the user wrote it (`'w'`, `'options.sd'`, `'vec'`), so a message reads
 *   `Error in <fn>: <name> must <expectation>, but got <actual>.`
 * - Checks run on the host BEFORE anything is allocated, so a rejected call leaks nothing.
 * - A check returns the validated (and narrowed) value, so callers write
 *   `const sd = checkNonNegative(fn, 'options.sd', options.sd ?? 0.01)`.
 *
 * Adopting it in a module: replace a local `checkOptions`/`checkImage`/nested-array reader by the
 * function of the same job here, and pass the allowed option keys, e.g.
 * ```ts
 * const o = checkOptions(FN, options, ['inputRange', 'labels'] as const); // unknown keys throw
 * checkImage(FN, image);                                                  // [b, h, w, c] float32
 * const host = readNested(FN, 'mean', options.mean);                    // { data, shape }
 * ```
 *
 * errors.ts holds only the error class and message helpers (`OptvisError`, `fail`, `show`, the
 * "did you mean" helpers); every check is here.
 *
 * @internal
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import { editDistance, fail, show } from './errors';
import { Rng } from './ops/random';

/** Asserts `value` is a finite number > 0 (an integer when `integer`). */
export function checkPositive(fn: string, name: string, value: unknown, integer = true): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value))) {
    fail(fn, `${name} must be a positive ${integer ? 'integer' : 'number'}, but got ${show(value)}.`);
  }
  return value;
}

/** Asserts `value` is a finite number >= 0. */
export function checkNonNegative(fn: string, name: string, value: unknown, integer = false): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || (integer && !Number.isInteger(value))) {
    fail(fn, `${name} must be a non-negative ${integer ? 'integer' : 'number'}, but got ${show(value)}.`);
  }
  return value;
}

/** Asserts `value` is one of `allowed`. */
export function checkOneOf<T extends string>(fn: string, name: string, value: unknown, allowed: readonly T[]): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    fail(fn, `${name} must be one of ${allowed.map((a) => `'${a}'`).join(', ')}, but got ${show(value)}.`);
  }
  return value as T;
}

/**
 * Asserts `value` is a live tfjs tensor (of rank `rank` when given). Uses duck typing on
 * `shape`/`dataId` so that tensors from another copy of tfjs-core are accepted too.
 */
export function checkTensor(fn: string, name: string, value: unknown, rank?: number): void {
  const t = value as { shape?: unknown; dataId?: unknown; isDisposed?: boolean; rank?: number } | null;
  const isTensor = typeof t === 'object' && t !== null && Array.isArray(t.shape) && t.dataId !== undefined;
  if (!isTensor) fail(fn, `${name} must be a tf.Tensor${rank === undefined ? '' : ` of rank ${rank}`}, but got ${show(value)}.`);
  if (t.isDisposed) fail(fn, `${name} must be a live tf.Tensor, but got a disposed tensor.`);
  if (rank !== undefined && t.rank !== rank) {
    fail(fn, `${name} must be a tf.Tensor of rank ${rank}, but got rank ${String(t.rank)} (shape ${show(t.shape)}).`);
  }
}

/**
 * Asserts `options` is `undefined` or a plain object whose keys are all in `allowed`, and returns it
 * (`{}` for `undefined`). An unknown key is an error naming the allowed keys and the closest one:
 * `Error in param.image: options must only have known keys, but got unknown option "decorelate"
 * (allowed: "h", "batch", …; did you mean "decorrelate"?).` Keys whose value is `undefined` count too.
 */
export function checkOptions<O extends object>(fn: string, options: O | undefined, allowed: readonly string[]): Partial<O> {
  if (options === undefined) return {};
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    fail(fn, `options must be an object, but got ${show(options)}.`);
  }
  for (const key of Object.keys(options)) {
    if (!allowed.includes(key)) {
      const list = allowed.map((a) => JSON.stringify(a)).join(', ');
      const hint = closestKey(key, allowed);
      fail(
        fn,
        `options must only have known keys, but got unknown option ${JSON.stringify(key)} ` +
          `(allowed: ${list || 'none'}${hint === undefined ? '' : `; did you mean ${JSON.stringify(hint)}?`}).`,
      );
    }
  }
  return options;
}

/** The allowed key nearest to a misspelt `key` (case-insensitive edit distance ≤ 1/3 of its length, at least 2). */
function closestKey(key: string, allowed: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Math.max(2, Math.floor(key.length / 3)) + 1;
  for (const a of allowed) {
    const d = editDistance(key.toLowerCase(), a.toLowerCase());
    if (d < bestD) {
      best = a;
      bestD = d;
    }
  }
  return best;
}

/** Asserts `value` is `undefined` (→ `dflt`) or a boolean. */
export function checkBool(fn: string, name: string, value: unknown, dflt: boolean): boolean {
  if (value === undefined) return dflt;
  if (typeof value !== 'boolean') fail(fn, `${name} must be a boolean, but got ${show(value)}.`);
  return value;
}

/** Asserts `value` is a finite number. */
export function checkFinite(fn: string, name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) fail(fn, `${name} must be a finite number, but got ${show(value)}.`);
  return value;
}

/** Asserts `value` is `undefined` or a non-negative integer (an optional index). */
export function checkOptionalIndex(fn: string, name: string, value: unknown): number | undefined {
  return value === undefined ? undefined : checkNonNegative(fn, name, value, true);
}

/** Asserts `value` is a function. */
export function checkFunction<F extends (...args: never[]) => unknown>(fn: string, name: string, value: unknown): F {
  if (typeof value !== 'function') fail(fn, `${name} must be a function, but got ${show(value)}.`);
  return value as F;
}

/**
 * Asserts `image` is a live float32 NHWC tensor `[N, H, W, C]` (with `channels` channels when
 * given) and returns its shape. The one image check of the library.
 */
export function checkImage(
  fn: string,
  image: unknown,
  options: { readonly name?: string; readonly channels?: readonly number[] } = {},
): [number, number, number, number] {
  const name = options.name ?? 'image';
  if (!(image instanceof tf.Tensor)) fail(fn, `${name} must be a tf.Tensor4D [N, H, W, C], but got ${show(image)}.`);
  if (image.isDisposed) fail(fn, `${name} must be a live tensor, but got a disposed tensor.`);
  if (image.rank !== 4) fail(fn, `${name} must be a rank-4 [N, H, W, C] tensor, but got shape ${show(image.shape)}.`);
  if (image.dtype !== 'float32') fail(fn, `${name} must have dtype float32, but got ${show(image.dtype)}.`);
  const c = image.shape[3];
  if (options.channels !== undefined && !options.channels.includes(c)) {
    fail(fn, `${name} must have ${options.channels.join(' or ')} channels, but got ${c} (shape ${show(image.shape)}).`);
  }
  return image.shape as [number, number, number, number];
}

/** Asserts `rng` is an {@link Rng}. */
export function checkRng(fn: string, rng: unknown): Rng {
  if (!(rng instanceof Rng)) fail(fn, `rng must be an Rng (new Rng(seed)), but got ${show(rng)}.`);
  return rng;
}

/** Asserts `list` is a non-empty array (or typed array) of finite numbers and returns a frozen copy. */
export function checkNumberList(fn: string, name: string, list: unknown): readonly number[] {
  if (!Array.isArray(list) && !ArrayBuffer.isView(list)) {
    fail(fn, `${name} must be a non-empty array of finite numbers, but got ${show(list)}.`);
  }
  const arr = Array.from(list as ArrayLike<unknown>);
  if (arr.length === 0) fail(fn, `${name} must be a non-empty array of finite numbers, but got [].`);
  arr.forEach((v, i) => checkFinite(fn, `${name}[${i}]`, v));
  return Object.freeze(arr as number[]);
}

/** Asserts `shape` is an array of positive integers with one of the lengths `ranks`; returns a copy. */
export function checkShape(fn: string, name: string, shape: unknown, ranks: readonly number[]): number[] {
  const rankText = ranks.join(' or ');
  if (!Array.isArray(shape) || !ranks.includes(shape.length)) {
    fail(fn, `${name} must be an array of ${rankText} positive integers, but got ${show(shape)}.`);
  }
  shape.forEach((s, i) => checkPositive(fn, `${name}[${i}]`, s));
  return shape.slice() as number[];
}

/** Numbers, typed arrays or nested arrays of numbers (a constant given by the user). */
export type NestedNumbers = number | ArrayLike<number> | readonly NestedNumbers[];

/** A host-side copy of a tensor or nested array: float32 values in row-major order and the shape. */
export interface HostTensor {
  readonly data: Float32Array;
  readonly shape: readonly number[];
}

/**
 * Reads a tensor, a number, a typed array or a rectangular nested array of numbers into a host
 * copy; every entry must be finite. The one nested-array reader of the library. With `shape`, the
 * value must have exactly that shape.
 */
export function readNested(fn: string, name: string, value: unknown, shape?: readonly number[]): HostTensor {
  let data: Float32Array;
  let got: number[];
  if (value instanceof tf.Tensor) {
    if (value.isDisposed) fail(fn, `${name} must be a live tensor, but got a disposed tensor.`);
    if (value.dtype !== 'float32' && value.dtype !== 'int32') {
      fail(fn, `${name} must be a numeric tensor, but got dtype ${show(value.dtype)}.`);
    }
    data = Float32Array.from(value.dataSync() as ArrayLike<number>);
    got = value.shape.slice();
  } else {
    got = [];
    const flat: number[] = [];
    flatten(fn, name, value, 0, got, flat);
    data = Float32Array.from(flat);
  }
  if (shape !== undefined && (got.length !== shape.length || got.some((s, i) => s !== shape[i]))) {
    fail(fn, `${name} must have shape ${show([...shape])}, but got ${show(got)}.`);
  }
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i])) fail(fn, `${name} must hold finite numbers, but got ${show(data[i])} at flat index ${i}.`);
  }
  return { data, shape: got };
}

function flatten(fn: string, name: string, v: unknown, depth: number, shape: number[], out: number[]): void {
  const ragged = (): never => fail(fn, `${name} must be a rectangular nested array of numbers, but got a ragged one.`);
  if (typeof v === 'number') {
    if (depth !== shape.length) ragged();
    out.push(v);
    return;
  }
  if (!(Array.isArray(v) || ArrayBuffer.isView(v)) || v instanceof DataView) {
    fail(fn, `${name} must be a tf.Tensor or a (nested) array of numbers, but got ${show(v)}.`);
  }
  const list = v as ArrayLike<unknown>;
  if (depth === shape.length) {
    if (depth > 0 && out.length > 0) ragged();
    shape.push(list.length);
  } else if (shape[depth] !== list.length) {
    ragged();
  }
  for (let i = 0; i < list.length; i++) flatten(fn, name, list[i], depth + 1, shape, out);
}

/** Formats a shape as `[1, 2, 3]`. */
export function showShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

import * as tf from '@tensorflow/tfjs-core';
import { fail, show } from '../errors';
import { checkOneOf, checkOptions, checkTensor } from '../validate';
import type { InputRange } from './types';

/** A validated input range as a per-channel affine map `model = image01 · scale + offset`. */
export interface AffineRange {
  /** Per-channel factor (model channel order). */
  readonly scale: readonly [number, number, number];
  /** Per-channel offset (model channel order). */
  readonly offset: readonly [number, number, number];
}

const EXPECTED =
  'a value range [lo, hi] with finite lo < hi (e.g. [-1, 1] for MobileNet, [0, 1] for Darknet, [-117, 138] for ' +
  "Lucid's InceptionV1), or per-channel { mean: [m0, m1, m2], std: [s0, s1, s2] } with finite means and std > 0";

const finite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

function describe(range: unknown): string {
  if (range !== null && typeof range === 'object' && !Array.isArray(range)) {
    const r = range as { mean?: unknown; std?: unknown };
    return `{ mean: ${show(r.mean)}, std: ${show(r.std)} }`;
  }
  return show(range);
}

/**
 * Validates `range` (see {@link InputRange}) and returns it as a per-channel affine map from
 * [0, 1] pixels to model pixels. Throws an `OptvisError` for `fn` naming the expected shape.
 *
 * Why required: a wrong input range is the most common silent failure of feature visualization
 * (Lucid's issues are full of gray or noisy images from models fed [0, 1] instead of [-117, 138]);
 * nothing in a tfjs model file states its range, so we make the caller say it.
 *
 * @param fn the public function name used in error messages.
 * @param range `[lo, hi]` or `{ mean: [3], std: [3] }`.
 * @example
 * ```ts
 * parseInputRange('f', [-1, 1]); // { scale: [2, 2, 2], offset: [-1, -1, -1] }
 * ```
 */
export function parseInputRange(fn: string, range: unknown): AffineRange {
  if (range === undefined || range === null) {
    fail(fn, `inputRange is required: it must be ${EXPECTED}, but got ${show(range)}.`);
  }
  if (Array.isArray(range)) {
    const [lo, hi] = range as unknown[];
    if (range.length !== 2 || !finite(lo) || !finite(hi) || !(lo < hi)) {
      fail(fn, `inputRange must be ${EXPECTED}, but got ${describe(range)}.`);
    }
    return { scale: [hi - lo, hi - lo, hi - lo], offset: [lo, lo, lo] };
  }
  if (typeof range === 'object') {
    const { mean, std } = range as { mean?: unknown; std?: unknown };
    const ok =
      Array.isArray(mean) && Array.isArray(std) && mean.length === 3 && std.length === 3 &&
      mean.every(finite) && std.every((s) => finite(s) && s > 0);
    if (!ok) fail(fn, `inputRange must be ${EXPECTED}, but got ${describe(range)}.`);
    const m = mean as number[];
    const s = std as number[];
    return {
      scale: [1 / s[0], 1 / s[1], 1 / s[2]],
      offset: [-m[0] / s[0], -m[1] / s[1], -m[2] / s[2]],
    };
  }
  return fail(fn, `inputRange must be ${EXPECTED}, but got ${describe(range)}.`);
}

/**
 * Maps RGB images with values in [0, 1] to what the model expects: channels reordered to
 * `channelOrder` first, then the per-channel affine map of {@link parseInputRange} (so per-channel
 * `mean`/`std` are given in the model's channel order, as model cards list them).
 *
 * @param image `[b, h, w, 3]`, values in [0, 1], RGB.
 * @param range the parsed range ({@link parseInputRange}).
 * @param channelOrder the model's channel order.
 * @example
 * ```ts
 * const x = toModelInput(image01, parseInputRange('f', [-1, 1]), 'RGB'); // image01 * 2 - 1
 * ```
 * @returns `[b, h, w, 3]` in the model's range and order; a new tensor owned by the caller.
 */
export function toModelInput(image: tf.Tensor4D, range: AffineRange, channelOrder: 'RGB' | 'BGR'): tf.Tensor4D {
  checkTensor('model.toModelInput', 'image', image, 4);
  return tf.tidy(() => {
    const ordered = channelOrder === 'BGR' ? tf.reverse(image, 3) : image;
    const [s0, s1, s2] = range.scale;
    const [o0, o1, o2] = range.offset;
    if (s0 === s1 && s1 === s2 && o0 === o1 && o1 === o2) {
      return tf.add(tf.mul(ordered, s0), o0) as tf.Tensor4D;
    }
    return tf.add(tf.mul(ordered, tf.tensor1d([...range.scale])), tf.tensor1d([...range.offset])) as tf.Tensor4D;
  });
}

/** Option keys of every model adapter (`fromLayersModel`; `fromGraphModel` adds {@link GRAPH_OPTION_KEYS}). */
export const VIS_OPTION_KEYS = ['inputRange', 'channelOrder', 'labels'] as const;
/** Option keys `fromGraphModel` takes beyond {@link VIS_OPTION_KEYS}. */
export const GRAPH_OPTION_KEYS = ['inputName', 'probeSize'] as const;

/**
 * Shared option checks of the model adapters: `options` is an object with only `allowed` keys
 * (unknown keys are an error naming the allowed ones), with a valid `inputRange`.
 */
export function parseCommonOptions(
  fn: string,
  options: unknown,
  allowed: readonly string[] = VIS_OPTION_KEYS,
): { range: AffineRange; inputRange: InputRange; channelOrder: 'RGB' | 'BGR'; labels?: readonly string[] } {
  if (options === null || options === undefined || typeof options !== 'object') {
    fail(fn, `options must be an object with at least { inputRange }, but got ${show(options)}.`);
  }
  const o = checkOptions(fn, options as { inputRange?: unknown; channelOrder?: unknown; labels?: unknown }, allowed);
  const range = parseInputRange(fn, o.inputRange);
  const channelOrder = checkOneOf(fn, 'channelOrder', o.channelOrder ?? 'RGB', ['RGB', 'BGR'] as const);
  let labels: readonly string[] | undefined;
  if (o.labels !== undefined) {
    if (!Array.isArray(o.labels) || !o.labels.every((l) => typeof l === 'string')) {
      fail(fn, `labels must be an array of class names (strings), but got ${show(o.labels)}.`);
    }
    labels = Object.freeze([...(o.labels as string[])]);
  }
  const r = o.inputRange as InputRange;
  const inputRange: InputRange = Array.isArray(r)
    ? (Object.freeze([r[0], r[1]]) as readonly [number, number])
    : Object.freeze({ mean: Object.freeze([...(r as { readonly mean: readonly number[] }).mean]), std: Object.freeze([...(r as { readonly std: readonly number[] }).std]) });
  return { range, inputRange, channelOrder, labels };
}

/** Checks `names` is a non-empty array of strings. */
export function checkNames(fn: string, names: unknown): asserts names is readonly string[] {
  if (!Array.isArray(names) || names.length === 0 || !names.every((n) => typeof n === 'string')) {
    fail(fn, `names must be a non-empty array of layer names, but got ${show(names)}.`);
  }
}

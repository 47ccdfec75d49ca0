/** Argument checks shared by the transforms (internal). */
import * as tf from '@tensorflow/tfjs-core';
import { fail, show } from '../errors';
import { Rng } from '../ops/random';

/** Asserts `image` is a rank-4 NHWC float tensor and `rng` an {@link Rng}; returns `[N, H, W, C]`. */
export function checkImage(fn: string, image: unknown, rng: unknown): [number, number, number, number] {
  if (!(image instanceof tf.Tensor)) fail(fn, `image must be a tf.Tensor4D, but got ${show(image)}.`);
  if (image.rank !== 4) fail(fn, `image must be a rank-4 [N, H, W, C] tensor, but got shape ${show(image.shape)}.`);
  if (image.dtype !== 'float32') fail(fn, `image must have dtype float32, but got ${show(image.dtype)}.`);
  if (!(rng instanceof Rng)) fail(fn, `rng must be an Rng (new Rng(seed)), but got ${show(rng)}.`);
  return image.shape as [number, number, number, number];
}

/** Asserts `list` is a non-empty array of finite numbers and returns a frozen copy. */
export function checkNumberList(fn: string, name: string, list: unknown): readonly number[] {
  if (!Array.isArray(list) && !ArrayBuffer.isView(list)) {
    fail(fn, `${name} must be a non-empty array of finite numbers, but got ${show(list)}.`);
  }
  const arr = Array.from(list as ArrayLike<unknown>);
  if (arr.length === 0) fail(fn, `${name} must be a non-empty array of finite numbers, but got [].`);
  arr.forEach((v, i) => {
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      fail(fn, `${name}[${i}] must be a finite number, but got ${show(v)}.`);
    }
  });
  return Object.freeze(arr as number[]);
}

/** Asserts `options` is undefined or a plain object with only the `allowed` keys. */
export function checkOptions(fn: string, options: unknown, allowed: readonly string[]): void {
  if (options === undefined) return;
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    fail(fn, `options must be an object, but got ${show(options)}.`);
  }
  for (const key of Object.keys(options)) {
    if (!allowed.includes(key)) {
      fail(fn, `options must only contain ${allowed.map((a) => `'${a}'`).join(', ')}, but got unknown option ${show(key)}.`);
    }
  }
}

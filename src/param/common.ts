/**
 * Internal helpers shared by the parameterizations: argument checks, variable creation and a
 * small disposable {@link Param} implementation. Not part of the public API.
 */
import * as tf from '@tensorflow/tfjs-core';
import '../ops/registerGradients';
import { fail, show } from '../errors';
import { checkNonNegative, checkOptions, checkShape } from '../validate';
import { Rng, type RandomSource } from '../ops/random';
import type { Param } from './types';

/** {@link checkShape} of validate.ts plus the {@link checkImageSize} limit: the shape of a param's tensor. */
export function checkParamShape(fn: string, name: string, shape: unknown, ranks: readonly number[]): number[] {
  const s = checkShape(fn, name, shape, ranks);
  checkImageSize(fn, s);
  return s;
}

/**
 * Largest image tensor a param may hold: 2²⁸ values (1.07 GB as float32). A render keeps several
 * tensors of this size (image, gradient, optimizer moments, transformed copies), so larger
 * requests are refused before anything is allocated instead of dying with "out of memory".
 */
export const MAX_IMAGE_VALUES = 2 ** 28;

/** Fails (before any allocation) when an image of `shape` would exceed {@link MAX_IMAGE_VALUES}. */
export function checkImageSize(fn: string, shape: readonly number[]): void {
  const values = shape.reduce((a, b) => a * b, 1);
  if (values <= MAX_IMAGE_VALUES) return;
  const gb = (n: number): string => (n >= 1e12 ? `${(n / 1e12).toPrecision(3)} TB` : `${(n / 1e9).toPrecision(3)} GB`);
  fail(
    fn,
    `the image must have at most ${MAX_IMAGE_VALUES} values (${gb(MAX_IMAGE_VALUES * 4)} as float32), but shape [${shape.join(', ')}] has ${values.toPrecision(4)}, which needs ${gb(values * 4)} for one float32 copy (a render keeps several); use a smaller size or batch.`,
  );
}

/**
 * The checks every param with a `shape` starts with, before anything is allocated: the option keys
 * (`keys`), `shape` (one of `ranks`, within {@link MAX_IMAGE_VALUES}), `options.sd` (default
 * 0.01) and `options.seed`.
 */
export function shapedParamArgs<O extends { readonly sd?: number; readonly seed?: RandomSource }>(
  fn: string,
  shape: unknown,
  ranks: readonly number[],
  options: O | undefined,
  keys: readonly string[],
): { readonly o: Partial<O>; readonly shape: number[]; readonly sd: number; readonly rng: Rng } {
  const o = checkOptions(fn, options, keys);
  const s = checkParamShape(fn, 'shape', shape, ranks);
  return { o, shape: s, sd: checkSd(fn, o.sd), rng: seededRng(fn, o.seed) };
}

/** The standard deviation option: a finite number ≥ 0, `defaultSd` when undefined. */
export function checkSd(fn: string, sd: unknown, defaultSd = 0.01): number {
  if (sd === undefined) return defaultSd;
  return checkNonNegative(fn, 'options.sd', sd);
}

/** The generator of `options.seed` (a number, an `Rng` or undefined), checked before anything is allocated. */
export function seededRng(fn: string, seed: unknown): Rng {
  if (seed instanceof Rng) return seed;
  if (seed !== undefined && (typeof seed !== 'number' || !Number.isFinite(seed))) {
    fail(fn, `options.seed must be a finite number or an Rng, but got ${show(seed)}.`);
  }
  return new Rng(seed as RandomSource as number | undefined);
}

/** A trainable variable of `shape` drawn from N(0, sd²) with a seed from `rng`. */
export function normalVariable(shape: readonly number[], sd: number, rng: Rng): tf.Variable {
  const seed = rng.seed();
  const init = tf.randomNormal(shape as number[], 0, sd, 'float32', seed);
  const v = tf.variable(init, true);
  init.dispose();
  return v;
}

/** A trainable variable holding a copy of `values`. */
export function variableFrom(values: Float32Array, shape: readonly number[]): tf.Variable {
  const init = tf.tensor(values, shape as number[], 'float32');
  const v = tf.variable(init, true);
  init.dispose();
  return v;
}

/** Disposes every tensor in `list`, ignoring ones already disposed. */
export function disposeAll(list: readonly (tf.Tensor | { dispose(): void })[]): void {
  for (const t of list) {
    if (t instanceof tf.Tensor) {
      if (!t.isDisposed) t.dispose();
    } else {
      t.dispose();
    }
  }
}

/** Parts of a {@link Param} built by {@link makeParam}. */
export interface ParamSpec<T extends tf.Tensor> {
  /** Public function name, for error messages. */
  readonly fn: string;
  readonly shape: readonly number[];
  readonly variables: readonly tf.Variable[];
  /** Constant tensors or disposable helpers owned by the param. */
  readonly owned: readonly (tf.Tensor | { dispose(): void })[];
  /** Builds the tensor; runs inside `tf.tidy`. */
  readonly build: () => T;
}

/** A disposable {@link Param} from its parts: `image()` runs `build` in a tidy and checks liveness. */
export function makeParam<T extends tf.Tensor>(spec: ParamSpec<T>): Param<T> {
  let disposed = false;
  const variables = Object.freeze(spec.variables.slice());
  return {
    shape: Object.freeze(spec.shape.slice()),
    variables,
    get disposed(): boolean {
      return disposed;
    },
    image(): T {
      if (disposed) fail(spec.fn, 'the param must not be disposed when image() is called, but it was disposed.');
      return tf.tidy(spec.build);
    },
    dispose(): void {
      if (disposed) return;
      disposed = true;
      disposeAll([...variables, ...spec.owned]);
    },
  };
}

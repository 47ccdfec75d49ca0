/**
 * Internal helpers shared by the parameterizations: argument checks, variable creation and a
 * small disposable {@link Param} implementation. Not part of the public API.
 */
import * as tf from '@tensorflow/tfjs-core';
import '../ops/registerGradients';
import { checkNonNegative, checkPositive, fail, show } from '../errors';
import { Rng, type RandomSource } from '../ops/random';
import type { Param } from './types';

/** Checks a shape of the given rank(s) made of positive integers and returns a copy. */
export function checkShape(fn: string, name: string, shape: unknown, ranks: readonly number[]): number[] {
  const rankText = ranks.length === 1 ? `${ranks[0]}` : ranks.join(' or ');
  if (!Array.isArray(shape) || !ranks.includes(shape.length)) {
    fail(fn, `${name} must be an array of ${rankText} positive integers, but got ${show(shape)}.`);
  }
  shape.forEach((s, i) => checkPositive(fn, `${name}[${i}]`, s));
  return shape.slice() as number[];
}

/** The standard deviation option: a finite number ≥ 0, `defaultSd` when undefined. */
export function checkSd(fn: string, sd: unknown, defaultSd = 0.01): number {
  if (sd === undefined) return defaultSd;
  return checkNonNegative(fn, 'options.sd', sd);
}

/** Checks an optional boolean option. */
export function checkBool(fn: string, name: string, value: unknown, dflt: boolean): boolean {
  if (value === undefined) return dflt;
  if (typeof value !== 'boolean') fail(fn, `${name} must be a boolean, but got ${show(value)}.`);
  return value;
}

/** Checks that `options` is undefined or a plain object. */
export function checkOptions(fn: string, options: unknown): void {
  if (options !== undefined && (options === null || typeof options !== 'object' || Array.isArray(options))) {
    fail(fn, `options must be an object, but got ${show(options)}.`);
  }
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

/** Validates `init` data (tensor or nested array) against `shape` and returns a float32 copy of it. */
export function readInit(fn: string, name: string, init: unknown, shape: readonly number[]): Float32Array {
  let values: Float32Array;
  let got: number[];
  if (init instanceof tf.Tensor) {
    if (init.isDisposed) fail(fn, `${name} must be a live tensor, but got a disposed tensor.`);
    got = init.shape.slice();
    values = Float32Array.from(init.dataSync() as ArrayLike<number>);
  } else if (Array.isArray(init)) {
    got = nestedShape(fn, name, init);
    values = Float32Array.from((init as unknown[]).flat(Infinity) as number[]);
  } else {
    return fail(fn, `${name} must be a tf.Tensor or a nested array, but got ${show(init)}.`);
  }
  if (got.length !== shape.length || got.some((s, i) => s !== shape[i])) {
    fail(fn, `${name} must have shape [${shape.join(', ')}], but got [${got.join(', ')}].`);
  }
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i])) fail(fn, `${name} must hold finite numbers, but got ${show(values[i])} at flat index ${i}.`);
  }
  return values;
}

function nestedShape(fn: string, name: string, a: unknown): number[] {
  const shape: number[] = [];
  let cur: unknown = a;
  while (Array.isArray(cur)) {
    shape.push(cur.length);
    cur = cur[0];
  }
  // Check the array is rectangular and holds numbers.
  const check = (x: unknown, d: number): void => {
    if (d === shape.length) {
      if (typeof x !== 'number') fail(fn, `${name} must hold numbers, but got ${show(x)}.`);
      return;
    }
    if (!Array.isArray(x) || x.length !== shape[d]) fail(fn, `${name} must be a rectangular nested array, but got a ragged one.`);
    for (const y of x) check(y, d + 1);
  };
  check(a, 0);
  return shape;
}

import * as tf from '@tensorflow/tfjs-core';
import { expect } from 'vitest';
import type { Lookup, Objective } from '../../src/objectives';
import type { Arr } from './reference';

/** A float32 tensor holding exactly `a`'s values. */
export function tensorOf(a: Arr): tf.Tensor {
  return tf.tensor(Float32Array.from(a.data), a.shape);
}

/** A lookup over a fixed set of tensors; unknown names throw (as a model would). */
export function makeT(entries: Record<string, tf.Tensor>, extra: { labels?: readonly string[]; step?: number } = {}): Lookup {
  const f = (name: string): tf.Tensor => {
    const t = entries[name];
    if (t === undefined) throw new Error(`stub T: unknown layer "${name}"`);
    return t;
  };
  return Object.assign(f, extra);
}

/** Evaluates `obj` on `T` inside a tidy and returns the value as a number. */
export function valueOf(obj: Objective, T: Lookup): number {
  const v = tf.tidy(() => obj.evaluate(T));
  expect(v.rank).toBe(0);
  const out = v.dataSync()[0];
  v.dispose();
  return out;
}

/** Gradient of `obj` with respect to the tensor named `name` in `entries`, as a Float64Array. */
export function gradOf(obj: Objective, entries: Record<string, tf.Tensor>, name: string, extra = {}): Float64Array {
  const g = tf.grad((x: tf.Tensor) => obj.evaluate(makeT({ ...entries, [name]: x }, extra)))(entries[name]);
  const out = Float64Array.from(g.dataSync());
  g.dispose();
  return out;
}

/** Asserts |a - b| <= atol + rtol * |b|. */
export function expectClose(actual: number, expected: number, rtol = 1e-5, atol = 1e-6): void {
  expect(Number.isFinite(actual), `value ${actual} is not finite`).toBe(true);
  expect(Math.abs(actual - expected), `got ${actual}, expected ${expected}`).toBeLessThanOrEqual(atol + rtol * Math.abs(expected));
}

/** Central finite difference of a float64 function at a few coordinates. */
export function finiteDiff(f: (a: Arr) => number, a: Arr, coords: number[], h = 1e-5): number[] {
  return coords.map((k) => {
    const plus = { data: Float64Array.from(a.data), shape: a.shape };
    const minus = { data: Float64Array.from(a.data), shape: a.shape };
    plus.data[k] += h;
    minus.data[k] -= h;
    return (f(plus) - f(minus)) / (2 * h);
  });
}

/** Evaluating `obj` throws `re` and leaves no tensor behind (plain and under `tf.grad`). */
export function expectEvalError(obj: Objective, T: Lookup, re: RegExp): void {
  const before = tf.memory().numTensors;
  expect(() => tf.tidy(() => obj.evaluate(T))).toThrow(re);
  expect(tf.memory().numTensors - before, 'tensor leak on error').toBe(0);
}

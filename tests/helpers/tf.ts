import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import '../../src/ops/registerGradients';
import { expect } from 'vitest';

/** The backends every numeric test runs on in Node. */
export const BACKENDS = ['cpu', 'wasm'] as const;
export type NodeBackend = (typeof BACKENDS)[number];

/** Switches tfjs to `name` and waits until it is ready. */
export async function useBackend(name: NodeBackend): Promise<void> {
  const ok = await tf.setBackend(name);
  if (!ok) throw new Error(`backend ${name} failed to initialise`);
  await tf.ready();
}

/** Runs `fn` and asserts it leaves `tf.memory().numTensors` unchanged. */
export async function expectNoLeak<T>(fn: () => T | Promise<T>): Promise<T> {
  const before = tf.memory().numTensors;
  const out = await fn();
  expect(tf.memory().numTensors - before, 'tensor leak').toBe(0);
  return out;
}

/** Max absolute difference between two arrays. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

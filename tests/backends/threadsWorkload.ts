import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../../src/ops/random';

/** A seeded conv → ReLU → max-pool → conv network on a 1×24×24×8 input: forward values and input gradient. */
export function threadsWorkload(): { y: Float32Array; g: Float32Array } {
  const r = new Rng(5);
  const arr = (n: number, sd: number): Float32Array => Float32Array.from({ length: n }, () => r.normal(0, sd));
  return tf.tidy(() => {
    const x = tf.tensor4d(arr(24 * 24 * 8, 1), [1, 24, 24, 8]);
    const w1 = tf.tensor4d(arr(3 * 3 * 8 * 32, 0.2), [3, 3, 8, 32]);
    const w2 = tf.tensor4d(arr(3 * 3 * 32 * 16, 0.1), [3, 3, 32, 16]);
    const f = (v: tf.Tensor4D): tf.Tensor4D => tf.conv2d(tf.maxPool(tf.relu(tf.conv2d(v, w1, 1, 'same')), 3, 2, 'same'), w2, 1, 'same');
    const y = f(x);
    const g = tf.grad((v: tf.Tensor) => tf.sum(tf.square(f(v as tf.Tensor4D))))(x);
    return { y: y.dataSync() as Float32Array, g: g.dataSync() as Float32Array };
  });
}

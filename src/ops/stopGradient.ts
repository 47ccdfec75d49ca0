import * as tf from '@tensorflow/tfjs-core';
import './registerGradients';
import { checkTensor } from '../validate';

/**
 * Returns `x`'s value with a zero gradient: `d stopGradient(x) / dx = 0`.
 *
 * TensorFlow's `tf.stop_gradient`; tfjs has none. Used for compositing experiments where one part
 * of an image must be optimized against a frozen other part (Lucid's alpha/background notebooks).
 * The value is a copy (`tf.clone`): a custom gradient that returned `x` itself would let the
 * gradient through.
 *
 * @example
 * ```ts
 * const g = tf.grad((x) => tf.sum(tf.mul(x, stopGradient(x))))(tf.tensor([1, 2]));
 * // g = [1, 2] (not [2, 4])
 * ```
 * @param x any tensor; it is neither disposed nor changed.
 * @returns a new tensor owned by the caller.
 */
export function stopGradient<T extends tf.Tensor>(x: T): T {
  checkTensor('stopGradient', 'x', x);
  const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const input = args[0] as tf.Tensor;
    return { value: tf.clone(input), gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy) };
  });
  return f(x) as T;
}

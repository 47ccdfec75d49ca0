import * as tf from '@tensorflow/tfjs-core';
import './registerGradients';
import { fail } from '../errors';
import { checkTensor } from '../validate';

/**
 * Squashes `x` into the L∞ unit ball, `x / max(1, |x|)` element-wise, with Lucid's projected gradient.
 *
 * Why: clipping has a zero gradient outside the box, so a pixel that overshoots can never come
 * back. Lucid's gradient instead passes the incoming gradient `dy` through unchanged, except where
 * the input is on or outside the boundary (`|x| ≥ 1`) AND the gradient points outward (`x·dy > 0`),
 * where it is zeroed. Note that this is NOT the derivative of the forward function (which is 0
 * outside the ball and `1` inside); it is the gradient Lucid's optimizers see (without the
 * sign preconditioning of `constrain_L_inf_precondition`).
 *
 * @example
 * ```ts
 * const y = constrainLInf(tf.tensor([-3, 0.5, 2])); // [-1, 0.5, 1]
 * ```
 * @param x any float32 tensor.
 * @returns a new tensor of `x`'s shape, owned by the caller.
 *
 * Port of `lucid.optvis.param.unit_balls.constrain_L_inf`.
 */
export function constrainLInf<T extends tf.Tensor>(x: T): T {
  checkTensor('ops.constrainLInf', 'x', x);
  if (x.dtype !== 'float32') fail('ops.constrainLInf', `x must be a float32 tensor, but got ${x.dtype}.`);
  const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const input = args[0] as tf.Tensor;
    const save = args[1] as tf.GradSaveFunc;
    save([input]);
    const value = tf.div(input, tf.maximum(1, tf.abs(input)));
    const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]): tf.Tensor =>
      tf.tidy(() => {
        const xs = saved[0];
        const atEdge = tf.greaterEqual(tf.abs(xs), 1);
        const outward = tf.greater(tf.mul(xs, dy), 0);
        return tf.where(tf.logicalAnd(atEdge, outward), tf.zerosLike(dy), dy);
      });
    return { value, gradFunc };
  });
  return f(x) as T;
}

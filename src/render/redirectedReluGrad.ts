import * as tf from '@tensorflow/tfjs-core';
import '../ops/registerGradients';
import { fail, show } from '../errors';
import { checkTensor } from '../validate';
import { whileReluRedirected } from '../ops/reluRedirect';
import { withGradients } from '../ops/gradientScope';

/**
 * Lucid keeps the redirected ReLU gradient for the updates whose global step (updates done before
 * the update) is at most this number: its code switches back when `global_step > 16`.
 */
export const RELU_OVERRIDE_LAST_STEP = 16;

/**
 * Lucid's redirected ReLU gradient: the gradient `dx` for `y = relu(x)` given `dy`, the gradient of
 * the MINIMISED loss with respect to `y`.
 *
 * Why: a ReLU neuron that never fires on the random starting image passes no gradient, so the
 * visualization never takes off. For every batch entry whose ordinary ReLU gradient is entirely
 * zero, this lets through the part of `dy` that pushes negative inputs UP (towards firing):
 *
 * - ordinary: `g = x < 0 ? 0 : dy` (Lucid's own form: the gradient passes at `x = 0`);
 * - redirected: `r = (x < 0 && dy > 0) ? 0 : dy` (a descent step moves against `dy`, so a positive
 *   `dy` at a negative input would push it further down);
 * - result, per batch entry b: `any(g[b] ≠ 0) ? g[b] : r[b]`.
 *
 * @param x the ReLU's input, `[b, ...]` (rank ≥ 2; a rank 0/1 tensor counts as one batch entry,
 *   where Lucid asserts rank > 1).
 * @param dy the incoming gradient, same shape as `x`.
 * @returns a new tensor shaped like `x`, owned by the caller.
 *
 * @remarks
 * Port of `lucid.misc.redirected_relu_grad.redirected_relu_grad` (without the global-step switch:
 * {@link withRedirectedReluGrad} is only installed for the steps that use it). Lucid tests
 * "anything got through" with the L2 norm of the gradient; this uses the max |g|, which is the
 * same test without float32 underflow of squares.
 *
 * @example
 * ```ts
 * const x = tf.tensor2d([[-1, -2]]), dy = tf.tensor2d([[-3, 4]]);
 * redirectedReluGrad(x, dy).print(); // [[-3, 0]]: only the push upwards passes
 * ```
 */
export function redirectedReluGrad(x: tf.Tensor, dy: tf.Tensor): tf.Tensor {
  checkTensor('render.redirectedReluGrad', 'x', x);
  checkTensor('render.redirectedReluGrad', 'dy', dy);
  return tf.tidy(() => {
    const blocked = tf.less(x, 0);
    return choosePerBatch(tf.where(blocked, tf.zerosLike(dy), dy), tf.where(tf.logicalAnd(blocked, tf.greater(dy, 0)), tf.zerosLike(dy), dy));
  });
}

/**
 * Lucid's redirected ReLU6 gradient: like {@link redirectedReluGrad}, and inputs above 6 let
 * through the gradient that pushes them DOWN.
 *
 * - ordinary: `g = (x < 0 || x > 6) ? 0 : dy`;
 * - redirected: `r = ((x < 0 && dy > 0) || (x > 6 && dy < 0)) ? 0 : dy`;
 * - result, per batch entry b: `any(g[b] ≠ 0) ? g[b] : r[b]`.
 *
 * @param x the ReLU6's input `[b, ...]`; @param dy the incoming gradient (same shape).
 * @returns a new tensor shaped like `x`, owned by the caller.
 *
 * @remarks
 * Port of `lucid.misc.redirected_relu_grad.redirected_relu6_grad`.
 *
 * @example
 * ```ts
 * const x = tf.tensor2d([[-1, 7]]), dy = tf.tensor2d([[-3, 4]]);
 * redirectedRelu6Grad(x, dy).print(); // [[-3, 4]]: both push back into [0, 6]
 * ```
 */
export function redirectedRelu6Grad(x: tf.Tensor, dy: tf.Tensor): tf.Tensor {
  checkTensor('render.redirectedRelu6Grad', 'x', x);
  checkTensor('render.redirectedRelu6Grad', 'dy', dy);
  return tf.tidy(() => {
    const below = tf.less(x, 0);
    const above = tf.greater(x, 6);
    const relu = tf.where(tf.logicalOr(below, above), tf.zerosLike(dy), dy);
    const wrongWay = tf.logicalOr(tf.logicalAnd(below, tf.greater(dy, 0)), tf.logicalAnd(above, tf.less(dy, 0)));
    return choosePerBatch(relu, tf.where(wrongWay, tf.zerosLike(dy), dy));
  });
}

/** Per batch entry: `relu` where any of its values is non-zero, `redirected` elsewhere. */
function choosePerBatch(relu: tf.Tensor, redirected: tf.Tensor): tf.Tensor {
  if (relu.rank < 2) return tf.where(tf.greater(tf.max(tf.abs(relu)), 0), relu, redirected);
  const batch = relu.shape[0];
  const passed = tf.greater(tf.max(tf.abs(tf.reshape(relu, [batch, -1])), 1), 0);
  const cond = tf.reshape(passed, [batch, ...relu.shape.slice(1).map(() => 1)]);
  return tf.where(cond, relu, redirected);
}

/**
 * Keras `ReLU(max_value=6)` runs in tfjs-layers as `Relu` followed by `ClipByValue(0, 6)` (TF's
 * Keras emits one `Relu6` op, which Lucid redirects). To apply Lucid's ReLU6 redirect to that
 * pattern, the clip's gradient (the ordinary one) is remembered here with the gradient that
 * reached the clip; when the Relu's gradient then receives exactly that tensor (the relu feeds
 * only the clip), it computes {@link redirectedRelu6Grad} from the Relu's input and the clip's
 * incoming gradient. Any other case (a relu with several consumers, a clip after something else)
 * falls back to the ordinary clip gradient and the ReLU redirect. Plain references: the backward
 * pass keeps these tensors alive until it ends, and the entries go with the tensors.
 */
const clipRelu6Gradients = new WeakMap<tf.Tensor, tf.Tensor>();

const redirectedConfigs: readonly tf.GradConfig[] = [
  {
    kernelName: 'Relu',
    inputsToSave: ['x'],
    gradFunc: (dy, saved) => {
      const [x] = saved;
      const afterClip = clipRelu6Gradients.get(dy as tf.Tensor);
      return { x: () => (afterClip ? redirectedRelu6Grad(x, afterClip) : redirectedReluGrad(x, dy as tf.Tensor)) };
    },
  },
  {
    kernelName: 'ClipByValue',
    inputsToSave: ['x'],
    gradFunc: (dy, saved, attrs) => {
      const [x] = saved;
      const { clipValueMin, clipValueMax } = attrs as unknown as { clipValueMin: number; clipValueMax: number };
      return {
        x: () => {
          const inside = tf.logicalAnd(tf.greaterEqual(x, clipValueMin), tf.lessEqual(x, clipValueMax));
          const g = tf.where(inside, dy as tf.Tensor, tf.zerosLike(dy as tf.Tensor));
          if (clipValueMin === 0 && clipValueMax === 6) clipRelu6Gradients.set(g, dy as tf.Tensor);
          return g;
        },
      };
    },
  },
  {
    kernelName: 'Relu6',
    inputsToSave: ['x'],
    gradFunc: (dy, saved) => {
      const [x] = saved;
      return { x: () => redirectedRelu6Grad(x, dy as tf.Tensor) };
    },
  },
];

/**
 * Runs `fn` with the gradients of tfjs's `Relu` and `Relu6` kernels replaced by Lucid's redirected
 * gradients ({@link redirectedReluGrad}, {@link redirectedRelu6Grad}), then restores the previous
 * gradients in `finally`, even when `fn` throws. Keras `ReLU(max_value=6)` layers, which
 * tfjs-layers runs as `Relu` + `ClipByValue(0, 6)` rather than one `Relu6`, get the ReLU6 redirect
 * too (the clip's gradient is overridden as well, with its ordinary value).
 *
 * Why: Lucid installs the override with `gradient_override_map` around `import_model`, so only
 * the model's ReLUs are affected. tfjs has one global gradient registry, and it binds a kernel's
 * gradient to an op when the forward op is recorded on the tape, so wrapping the model's forward
 * pass is enough: ReLUs recorded inside `fn` keep the redirected gradient through the backward
 * pass, everything recorded outside (the param, transforms, objective, other tfjs code) keeps the
 * stock one. Calls nest; `fn` must be synchronous (the registry is global, so it must never stay
 * swapped across an `await`).
 *
 * Only kernels named `Relu`/`Relu6` (and `Relu` + `ClipByValue(0, 6)`) are redirected: activations fused into another kernel
 * (`_FusedConv2D` with a ReLU) keep their ordinary gradient; the model adapters unfuse them (the
 * LayersModel adapter runs its fused convolution + ReLU as separate ops while `fn` runs).
 *
 * @param fn the synchronous work to run (the render session passes the model's forward pass).
 * @returns what `fn` returns.
 *
 * @remarks
 * Port of the `gradient_override_map({'Relu': redirected_relu_grad, 'Relu6': redirected_relu6_grad})`
 * block in `lucid.optvis.render.make_vis_T`.
 *
 * @example
 * ```ts
 * const x = tf.tensor2d([[-1, -2]]);
 * const g = withRedirectedReluGrad(() => tf.grad((v: tf.Tensor) => tf.neg(tf.sum(tf.relu(v))))(x));
 * // g = [[-1, -1]]: the minimised loss −relu(x) may push the dead inputs up
 * ```
 */
export function withRedirectedReluGrad<T>(fn: () => T): T {
  const fn0 = 'render.withRedirectedReluGrad';
  if (typeof fn !== 'function') fail(fn0, `fn must be a function, but got ${show(fn)}.`);
  return withGradients(redirectedConfigs, () => whileReluRedirected(fn), () => fail(fn0, 'fn must be synchronous, but got a function returning a Promise.'));
}

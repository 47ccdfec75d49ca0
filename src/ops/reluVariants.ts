/**
 * ReLU variants whose gradients are cheap, exact step masks (internal to the model adapter).
 *
 * tfjs's own gradients of these activations build their masks from comparisons, logical ops and
 * `where`, which tfjs's wasm backend runs about 14× slower than a multiply or a `step` (about
 * 0.6 ms each on a `[1, 64, 64, 96]` activation). The masks here come from `step` and
 * subtractions, which give the same numbers. For a NaN input the gradient is NaN (the stock one
 * routes it like a non-positive input). Not in Lucid.
 */
import * as tf from '@tensorflow/tfjs-core';
import { fail } from '../errors';
import { withGradients } from './gradientScope';

/**
 * `min(max(x, 0), cap)` with the gradient tfjs-layers gives it: `dy` where `0 < x <= cap` for a
 * Keras `ReLU(max_value=cap)` layer (`relu`, then `clipByValue(·, 0, cap)`, whose gradient passes at
 * the bounds: `passAtCap` true), `dy` where `0 < x < cap` for the `'relu6'` activation
 * (`minimum(6, relu(x))`, as TensorFlow's `Relu6Grad`: `passAtCap` false); 0 elsewhere.
 *
 * Why: that composite gradient is eight kernels on wasm, five of them slow comparisons, logical ops
 * and a select: two thirds of a MobileNetV2 step went there. Here `x - cap > 0` exactly when `x > cap` in
 * IEEE arithmetic, so `step(x) − step(x − cap)` is the indicator of `0 < x <= cap`, and
 * `step(x) · step(cap − x)` that of `0 < x < cap`.
 *
 * The forward values are tfjs's own (`relu`, then `clipByValue`, which equals `minimum(cap, ·)`;
 * one `relu6` kernel for a cap of 6).
 * `cap >= 0` is checked by the caller.
 */
export function cappedRelu(x: tf.Tensor, cap: number, passAtCap: boolean): tf.Tensor {
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const input = args[0] as tf.Tensor;
    const save = args[1] as tf.GradSaveFunc;
    save([input]);
    // relu6 is one kernel with the same values as relu + clip (both are min(max(x, 0), 6)).
    const value = cap === 6 ? tf.relu6(input) : tf.tidy(() => tf.clipByValue(tf.relu(input), 0, cap));
    const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]): tf.Tensor => tf.tidy(() => tf.mul(dy, capMask(saved[0], cap, passAtCap)));
    return { value, gradFunc };
  });
  return op(x);
}

/** The indicator of `0 < x <= cap` (`passAtCap`) or `0 < x < cap`, from `step` and subtractions (exact). */
function capMask(x: tf.Tensor, cap: number, passAtCap: boolean): tf.Tensor {
  // [x > 0] − [x > cap] is 1 exactly on 0 < x <= cap (cap >= 0: x > cap implies x > 0).
  if (passAtCap) return tf.sub(tf.step(x), tf.step(tf.sub(x, cap)));
  return tf.mul(tf.step(x), tf.step(tf.sub(cap, x)));
}

/**
 * `leakyRelu(x, alpha)` with tfjs's gradient `x > 0 ? dy : dy · alpha`, computed as
 * `dy · step(x, alpha)` (one `step` and one multiply instead of a comparison, a multiply and a
 * `where`). Same numbers: `step(x, alpha)` is 1 or `alpha`, and `dy · 1 = dy`.
 */
export function leakyRelu(x: tf.Tensor, alpha: number): tf.Tensor {
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const input = args[0] as tf.Tensor;
    (args[1] as tf.GradSaveFunc)([input]);
    const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]): tf.Tensor => tf.tidy(() => tf.mul(dy, tf.step(saved[0], alpha)));
    return { value: tf.leakyRelu(input, alpha), gradFunc };
  });
  return op(x);
}

/**
 * The gradients of tfjs's `Relu6` kernel (`dy` where `0 < x <= 6`, tfjs's own rule) and `LeakyRelu`
 * kernel, with the step masks above: the same numbers.
 */
const STEP_MASK_GRADIENTS: readonly tf.GradConfig[] = [
  { kernelName: tf.Relu6, inputsToSave: ['x'], gradFunc: (dy, saved) => ({ x: () => tf.mul(dy as tf.Tensor, capMask(saved[0], 6, true)) }) },
  {
    kernelName: tf.LeakyRelu,
    inputsToSave: ['x'],
    gradFunc: (dy, saved, attrs) => ({ x: () => tf.mul(dy as tf.Tensor, tf.step(saved[0], (attrs as unknown as { alpha: number }).alpha)) }),
  },
];

/**
 * Runs `fn` (a model's forward pass) with the `Relu6` and `LeakyRelu` kernels' gradients computed
 * from step masks: a GraphModel runs those kernels itself, so the adapter cannot swap in the ops
 * above. Synchronous only; see `withGradients` (src/ops/gradientScope.ts).
 */
export function withStepMaskGradients<T>(fn: () => T): T {
  return withGradients(STEP_MASK_GRADIENTS, fn, () => fail('model.withStepMaskGradients', 'fn must be synchronous, but got a function returning a Promise.'));
}

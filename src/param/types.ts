import type * as tf from '@tensorflow/tfjs-core';

/**
 * Named tensors a parameterization can produce in one call: the `image` the network sees plus any
 * intermediate tensors worth reading after optimization (e.g. the foreground, background and
 * flattened composite of Lucid's transparency notebooks).
 */
export type ParamOutputs<T extends tf.Tensor = tf.Tensor4D> = { readonly image: T } & Readonly<Record<string, tf.Tensor>>;

/**
 * An image parameterization: owns its trainable `tf.Variable`s and builds the image from them.
 *
 * `image()` is called inside each optimization step (inside `tf.tidy`); it returns a new tensor
 * owned by the caller, NHWC with values in [0, 1] for image params (rgb, or rgba with `alpha`).
 * `dispose()` frees the variables and any constant tensors the param owns (e.g. DFT bases).
 *
 * Ownership (the library's one rule, see docs/ownership.md): a param owns what it is made of —
 * its variables, its constants, and the params it was composed from with `param.custom`. You own
 * the params you create and dispose them, unless you hand them to `param.custom`; a render
 * session never disposes a param you pass it (it holds the result).
 */
export interface Param<T extends tf.Tensor = tf.Tensor4D> {
  /** Shape of the tensor `image()` returns. */
  readonly shape: readonly number[];
  /** The trainable variables the optimizer updates (empty for non-trainable params like `imageSample`). */
  readonly variables: readonly tf.Variable[];
  /** Builds the current tensor from the variables; the caller owns the result. */
  image(): T;
  /**
   * Optional: builds the image together with named intermediate tensors in one call (the caller
   * owns all of them). The render session uses it, when present, so that `session.evaluate(name)`
   * can read any intermediate tensor of a user-composed param.
   */
  build?(): ParamOutputs<T>;
  /**
   * Whether `dispose()` was called (then `image()` throws). Every param of the library has it;
   * it is optional for params you implement yourself.
   */
  readonly disposed?: boolean;
  /** Frees the variables and constants. Calling it twice is harmless. */
  dispose(): void;
}

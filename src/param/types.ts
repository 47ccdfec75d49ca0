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
  /** Frees the variables and constants. Calling it twice is harmless. */
  dispose(): void;
}

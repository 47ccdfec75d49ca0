import type * as tf from '@tensorflow/tfjs-core';

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
  /** Frees the variables and constants. Calling it twice is harmless. */
  dispose(): void;
}

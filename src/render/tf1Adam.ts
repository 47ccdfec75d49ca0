import * as tf from '@tensorflow/tfjs-core';

/**
 * Adam exactly as TensorFlow 1's `tf.train.AdamOptimizer`, which Lucid's `render_vis` uses:
 * the default optimizer of a render session. Internal.
 *
 * TF1 applies its epsilon to the square root of the raw second moment ("epsilon hat" of Kingma &
 * Ba): `x -= lr·√(1 − β₂ᵗ)/(1 − β₁ᵗ) · m / (√v + ε)`, with ε = 1e-8 by default. tfjs's
 * `tf.train.adam` applies it to the bias-corrected moment, `x -= lr · m̂ / (√v̂ + ε)`, with ε = 1e-7
 * by default. The two agree when tfjs's ε is `ε_TF1 / √(1 − β₂ᵗ)` at update t, so this subclass
 * sets exactly that before every update (3.2e-7 at the first update, → 1e-8 later). It matters
 * where gradients are small: the spectral gradients of `param.image` sit at 1e-5–1e-3, and at
 * |g| = 1e-7 the first update of plain `tf.train.adam(lr)` is ≈ 2× TF1's.
 *
 * It is a `tf.AdamOptimizer` (same slot variables, same `dispose()`); `getConfig()` reports the
 * epsilon of the last update.
 */
export class Tf1AdamOptimizer extends tf.AdamOptimizer {
  private readonly tf1Epsilon: number;

  /**
   * @param learningRate the step size.
   * @param beta1 decay of the first moment. Default 0.9.
   * @param beta2 decay of the second moment. Default 0.999.
   * @param epsilon TF1's epsilon ("epsilon hat"). Default 1e-8.
   */
  constructor(learningRate: number, beta1 = 0.9, beta2 = 0.999, epsilon = 1e-8) {
    super(learningRate, beta1, beta2, epsilon);
    this.tf1Epsilon = epsilon;
  }

  /** One Adam update with TF1's epsilon placement (see the class). */
  override applyGradients(variableGradients: Parameters<tf.AdamOptimizer['applyGradients']>[0]): void {
    const t = this.iterations + 1;
    this.epsilon = this.tf1Epsilon / Math.sqrt(1 - this.beta2 ** t);
    super.applyGradients(variableGradients);
  }
}

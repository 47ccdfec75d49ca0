import * as tf from '@tensorflow/tfjs-core';
import '../ops/registerGradients';

/**
 * `tf.variableGrads(f, varList)` that leaves nothing allocated when it throws.
 *
 * Why: tfjs keeps copies of the tensors each recorded op needs for its gradient ("saved" tensors,
 * marked `kept`, so `tf.tidy` does not free them) and frees them only at the end of a successful
 * backward pass. When `f` or a gradient function throws, they stay allocated: a leak even inside
 * `tf.tidy`. This frees the saved tensors of the abandoned tape (only when no outer gradient
 * computation is running) and rethrows. Tensors `f` created are freed by the caller's `tf.tidy`.
 *
 * @internal
 */
export function variableGradsOrCleanUp(f: () => tf.Scalar, varList: tf.Variable[]): { value: tf.Scalar; grads: tf.NamedTensorMap } {
  try {
    return tf.variableGrads(f, varList);
  } catch (error) {
    disposeAbandonedTape();
    throw error;
  }
}

/** Frees the saved tensors of a tape left behind by a gradient computation that threw. */
function disposeAbandonedTape(): void {
  const state = tf.engine().state;
  if (state.gradientDepth !== 0 || state.activeTape == null) return;
  for (const node of state.activeTape) {
    for (const t of node.saved ?? []) t.dispose();
  }
  state.activeTape = null as unknown as typeof state.activeTape;
}

import * as tf from '@tensorflow/tfjs-core';

/**
 * Gives every requested name its own tensor (internal). A model may return the same tensor object
 * for two names (two names of one node, or a layer such as Dropout that returns its input), or the
 * input image itself; those are cloned so that the caller can dispose each result independently.
 */
export function distinctOutputs(tensors: readonly tf.Tensor[], image: tf.Tensor): tf.Tensor[] {
  const seen = new Set<tf.Tensor>();
  return tensors.map((t) => {
    const own = t === image || seen.has(t) ? tf.clone(t) : t;
    seen.add(t);
    return own;
  });
}

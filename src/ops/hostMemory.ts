import * as tf from '@tensorflow/tfjs-core';

/**
 * Whether the current backend's tensors live in host memory (cpu, wasm), so that reading them is a
 * plain copy and a pass over their values on the host is cheap; on GPU backends (webgl, webgpu) a
 * read-back stalls the device. Internal: the one rule behind every host pass.
 */
export function tensorsOnHost(): boolean {
  const b = tf.getBackend();
  return b === 'wasm' || b === 'cpu';
}

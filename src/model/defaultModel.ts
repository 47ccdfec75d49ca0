/**
 * The embedded default model: the ImageNet-pretrained MobileNetV2 backbone shipped (as base64
 * weights inside JavaScript files) by the `nsfwjs` npm package, read from disk with no network.
 * Its constants, the reader, the checksums and the second embedded model (InceptionV3) live in
 * ./embeddedModels.ts; this module keeps the default model's names for existing importers.
 * Node-only; exported from `tfjs-optvis/node`.
 */
import type * as tf from '@tensorflow/tfjs-core';
import { embeddedModelArtifacts } from './embeddedModels';

export { DEFAULT_LAYERS, DEFAULT_MODEL_INFO, DEFAULT_TARGET } from './embeddedModels';

/**
 * Reads the default model's artifacts (topology + weights) from the installed nsfwjs package,
 * every file checked against its SHA-256.
 * @internal
 */
export function defaultModelArtifacts(fn = 'loadDefaultModel'): Promise<tf.io.ModelArtifacts> {
  return embeddedModelArtifacts(fn, 'mobilenet-v2');
}

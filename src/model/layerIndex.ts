import * as tf from '@tensorflow/tfjs-core';
import { didYouMean, fail, show } from '../errors';
import { checkImage } from '../validate';
import { checkNames } from './inputRange';
import type { LayerInfo, VisModel } from './types';

/**
 * Suffix of the entries holding a layer's value before its activation (Lucid's `..._pre_relu`
 * tensors), for layers whose activation tfjs fuses into the op: `'conv1/preact'`.
 */
export const PREACT_SUFFIX = '/preact';

/**
 * Name lookup over a model's visualizable layers (internal, shared by both adapters): `layer(name)`
 * returns the layer or throws an error listing the closest names, and `requestedLayers` validates
 * an `activations(image, names)` call and returns the distinct names asked for.
 */
export function layerIndex(layers: readonly LayerInfo[]) {
  const names = layers.map((l) => l.name);
  const byName = new Map(layers.map((l) => [l.name, l]));
  const layer = (name: string, where = 'VisModel.layer'): LayerInfo => {
    const info = typeof name === 'string' ? byName.get(name) : undefined;
    if (!info) fail(where, `layer must be one of the model's layers, but got ${show(name)}.${didYouMean(String(name), names)}`);
    return info;
  };
  const requestedLayers = (disposed: boolean, image: tf.Tensor4D, requested: readonly string[]): string[] => {
    const where = 'VisModel.activations';
    if (disposed) fail(where, 'the model must not be disposed, but got a disposed VisModel.');
    checkImage(where, image, { channels: [3] });
    checkNames(where, requested);
    const wanted = [...new Set(requested)];
    for (const n of wanted) layer(n, where);
    return wanted;
  };
  return { layer, requestedLayers };
}

/** A frozen {@link LayerInfo} (internal, shared by both adapters); `shape` is copied. */
export function frozenLayerInfo(name: string, shape: readonly (number | null)[], depth: number | null, kind: string): LayerInfo {
  return Object.freeze({ name, shape: Object.freeze([...shape]), depth, kind });
}

/**
 * The VisModel object both adapters return (internal): `fields`, `layer` from {@link layerIndex},
 * frozen, with a `dispose()` that runs `release` once.
 */
export function assembleVisModel(
  fields: Pick<VisModel, 'inputRange' | 'imageShape' | 'channelOrder' | 'labels' | 'layers' | 'activations'>,
  layer: (name: string) => LayerInfo,
  release: () => void,
): VisModel {
  let released = false;
  return Object.freeze({
    ...fields,
    layers: Object.freeze(fields.layers),
    layer: (name: string) => layer(name),
    dispose: () => {
      if (released) return;
      released = true;
      release();
    },
  });
}

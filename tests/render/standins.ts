/**
 * Small hand-written stand-ins for the render tests: a pixel Param, a tiny VisModel over a fixed
 * convolution, and simple objectives. Independent of the other modules so that the render loop's
 * own behaviour is tested in isolation.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Objective } from '../../src/objectives/objective';
import type { Param, ParamOutputs } from '../../src/param/types';
import type { LayerInfo, VisModel } from '../../src/model/types';
import { Rng } from '../../src/ops/random';

/** A pixel param: image = sigmoid(v), v ~ N(0, sd²) from `seed`. */
export function pixelParam(size: number, seed = 0, sd = 0.5, batch = 1): Param {
  const rng = new Rng(seed);
  const shape = [batch, size, size, 3];
  const n = batch * size * size * 3;
  const v = asVariable(tf.tensor(Float32Array.from({ length: n }, () => rng.normal(0, sd)), shape));
  let disposed = false;
  return {
    shape,
    variables: [v],
    image: () => tf.sigmoid(v) as tf.Tensor4D,
    dispose: () => {
      if (!disposed) v.dispose();
      disposed = true;
    },
  };
}

/** A param with named outputs: fg = sigmoid(v), bg constant 0.25, image = (fg + bg) / 2. */
export function compositeParam(size: number, seed = 0): Param & { bgValue: number } {
  const inner = pixelParam(size, seed);
  const build = (): ParamOutputs => {
    const fg = inner.image();
    const t_bg = tf.fill(fg.shape, 0.25) as tf.Tensor4D;
    return { image: tf.div(tf.add(fg, t_bg), 2) as tf.Tensor4D, fg, t_bg };
  };
  return {
    shape: inner.shape,
    variables: inner.variables,
    bgValue: 0.25,
    image: () => tf.tidy(() => build().image),
    build,
    dispose: inner.dispose,
  };
}

export interface TinyModel extends VisModel {
  /** The model's weights, trainable variables (so a loop that forgot varList would change them). */
  readonly weights: tf.Variable[];
}

/**
 * A tiny VisModel: `conv` = conv3×3(2·x − 1, K) + bias (4 channels), `relu` = relu(conv),
 * `relu6` = relu6(conv · 4), `gap` = mean of relu over H, W (`[b, 4]`).
 * `bias` shifts every channel (e.g. −10 makes `relu` dead everywhere).
 */
export function tinyModel(options: { seed?: number; bias?: number; fixedSize?: number; minSize?: number } = {}): TinyModel {
  const { seed = 1, bias = 0, fixedSize, minSize = 1 } = options;
  const rng = new Rng(seed);
  const k = asVariable(tf.tensor4d(Float32Array.from({ length: 3 * 3 * 3 * 4 }, () => rng.normal(0, 0.3)), [3, 3, 3, 4]));
  const b = asVariable(tf.fill([4], bias));
  const layers: LayerInfo[] = [
    { name: 'conv', shape: [null, null, null, 4], depth: 4, kind: 'Conv2D' },
    { name: 'relu', shape: [null, null, null, 4], depth: 4, kind: 'Relu' },
    { name: 'relu6', shape: [null, null, null, 4], depth: 4, kind: 'Relu6' },
    { name: 'gap', shape: [null, 4], depth: 4, kind: 'Mean' },
  ];
  return {
    weights: [k, b],
    inputRange: [-1, 1],
    imageShape: [fixedSize ?? null, fixedSize ?? null, 3],
    channelOrder: 'RGB',
    labels: ['a', 'b', 'c', 'd'],
    layers,
    layer(name: string): LayerInfo {
      const l = layers.find((x) => x.name === name);
      if (!l) throw new Error(`no layer ${name}`);
      return l;
    },
    activations(image: tf.Tensor4D, names: readonly string[]): Map<string, tf.Tensor> {
      if (image.shape[1] < minSize || image.shape[2] < minSize) {
        // Like a real model whose strided layers run out of pixels: a raw tfjs-style error.
        throw new Error(`Conv2D: output would be empty for input ${image.shape[1]}x${image.shape[2]}`);
      }
      const list = tf.tidy(() => {
        const conv = tf.add(tf.conv2d(tf.sub(tf.mul(image, 2), 1) as tf.Tensor4D, k as tf.Tensor4D, 1, 'same'), b) as tf.Tensor4D;
        const all: Record<string, () => tf.Tensor> = {
          conv: () => conv,
          relu: () => tf.relu(conv),
          relu6: () => tf.relu6(tf.mul(conv, 4)),
          gap: () => tf.mean(tf.relu(conv), [1, 2]),
        };
        // tidy keeps only tensors it can see in the result (not inside a Map): return a list.
        return names.map((n) => all[n]());
      });
      return new Map(names.map((n, i) => [n, list[i]]));
    },
    dispose(): void {
      k.dispose();
      b.dispose();
    },
  };
}

/** A trainable variable initialised from `init` (which is disposed). */
function asVariable(init: tf.Tensor): tf.Variable {
  const v = tf.variable(init, true);
  init.dispose();
  return v;
}

/** Mean of channel `n` of `layer` (over batch and space), as Lucid's `channel`. */
export function channelMean(layer: string, n: number): Objective {
  // slice, not gather: gather's gradient needs UnsortedSegmentSum, which wasm lacks.
  return new Objective((T) => {
    const t = T(layer);
    const begin = t.shape.map((_, i) => (i === t.rank - 1 ? n : 0));
    const size = t.shape.map((_, i) => (i === t.rank - 1 ? 1 : -1));
    return tf.mean(tf.slice(t, begin, size));
  }, `channel(${layer}:${n})`, [layer]);
}

/** Reads every value of a tensor as a plain array (and leaves the tensor alone). */
export function values(t: tf.Tensor): number[] {
  return Array.from(t.dataSync());
}

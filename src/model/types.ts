import type * as tf from '@tensorflow/tfjs-core';

/** A layer that objectives can name. */
export interface LayerInfo {
  /** The name objectives use, e.g. `'conv_pw_5_relu'` or `'mixed4a'`. */
  readonly name: string;
  /** Output shape with the batch dimension, `null` where unknown (e.g. `[null, 28, 28, 256]`). */
  readonly shape: readonly (number | null)[];
  /** Number of channels (last dimension), or `null` if unknown. */
  readonly depth: number | null;
  /** The op or layer class, e.g. `'Conv2D'`, `'Relu'`. */
  readonly kind: string;
}

/**
 * The value range the network expects its input pixels in: `[lo, hi]` for all channels, or
 * per-channel `{ mean, std }` (pixel01 → (pixel01·255 − mean)/std style is expressed as
 * `input = (x − mean) / std` with x in [0, 1]).
 */
export type InputRange = readonly [number, number] | { readonly mean: readonly number[]; readonly std: readonly number[] };

/**
 * A tfjs model seen as something to visualize.
 *
 * `activations(image, names)` takes images with values in [0, 1] (NHWC, RGB), maps them to the
 * model's input range and channel order, runs ONE forward pass and returns the named layers.
 * The returned tensors are owned by the caller.
 */
export interface VisModel {
  /** Declared input value range. */
  readonly inputRange: InputRange;
  /** Expected image size `[h, w, c]` (`null` where the model accepts any). */
  readonly imageShape: readonly [number | null, number | null, number];
  /** Channel order the model expects; images are always given as RGB. */
  readonly channelOrder: 'RGB' | 'BGR';
  /** Class names of the output layer, when known (for `objectives.classLogit` by name). */
  readonly labels?: readonly string[];
  /** Layers that can be visualized, in graph order. */
  readonly layers: readonly LayerInfo[];
  /** Looks a layer up by name; throws an error listing close names when it does not exist. */
  layer(name: string): LayerInfo;
  /** Activations of the named layers on `image` (values in [0, 1]) in one forward pass. */
  activations(image: tf.Tensor4D, names: readonly string[]): Map<string, tf.Tensor>;
  /** Frees what the wrapper allocated (not the user's model). */
  dispose(): void;
}

/**
 * A tfjs-layers `LayersModel` as the library's signatures name it: every `tf.LayersModel` (from
 * `@tensorflow/tfjs-layers` or `@tensorflow/tfjs`: `tf.loadLayersModel`, `tf.model`, `tf.sequential`)
 * is one.
 *
 * Why structural: naming tfjs-layers' class in the library's declarations would make every
 * application's type-check read tfjs-layers' own `.d.ts` files, which do not compile under `strict`
 * without `skipLibCheck`. The functions taking a model still check at run time that it is a real
 * `LayersModel` of the tfjs-layers copy the library uses.
 */
export interface LayersModelLike {
  /** The model's name. */
  readonly name: string;
  /** The model's layers, in graph order. */
  readonly layers: readonly unknown[];
  /** Runs the model forward (tfjs-layers' `LayersModel.predict`). */
  predict(x: tf.Tensor | tf.Tensor[], args?: object): tf.Tensor | tf.Tensor[];
  /** Frees the model's weights. */
  dispose(): unknown;
}

/**
 * A tfjs-converter `GraphModel` as the library's signatures name it: every `tf.GraphModel` (from
 * `@tensorflow/tfjs-converter` or `@tensorflow/tfjs`: `tf.loadGraphModel`) is one. Structural for
 * the same reason as {@link LayersModelLike}; checked at run time.
 */
export interface GraphModelLike {
  /** The TensorFlow version the graph was converted from. */
  readonly modelVersion: string;
  /** Runs the graph up to the named nodes (tfjs-converter's `GraphModel.execute`). */
  execute(inputs: tf.Tensor | tf.Tensor[] | tf.NamedTensorMap, outputs?: string | string[]): tf.Tensor | tf.Tensor[];
  /** Frees the model's weights. */
  dispose(): void;
}

import * as tf from '@tensorflow/tfjs-core';
import '../ops/registerGradients';
import { checkNonNegative, checkOptionalIndex, checkOptions } from '../validate';
import type { Objective } from './objective';
import { layerObjective } from './custom';
import { checkChannel, extractPosition, position, sliceChannel } from './util';

/** Options of {@link channel}. */
export interface ChannelOptions {
  /** Only image `batch` of the batch counts (default: the mean over the whole batch). */
  readonly batch?: number;
}

/**
 * Visualize a single channel: the mean activation of channel `n` of `layer`.
 *
 * The workhorse of feature visualization: the image that maximises a channel's mean activation
 * over all positions shows what the channel responds to, wherever it appears. Dense layers
 * (`[batch, channels]`) are read as `[batch, 1, 1, channels]`, as Lucid's `_T_force_NHWC`.
 *
 * Over a batch the value is the MEAN over images and positions, as Lucid (each image gets `1/N`
 * of the gradient). With `batch`, only that image counts, which lets objectives pit images
 * against each other: `channel(l, n, {batch: 0}).sub(channel(l, n, {batch: 1}))`.
 *
 * Port of `lucid.optvis.objectives.channel`. Errors are thrown at evaluation when `n` or `batch`
 * is out of range for the layer, or the layer is not rank 2 or 4.
 *
 * @example
 * ```ts
 * const obj = objectives.channel('mixed4a', 97);            // "Channel [mixed4a, 97]"
 * const adv = objectives.channel('mixed4a', 97, { batch: 0 })
 *   .sub(objectives.channel('mixed4a', 97, { batch: 1 }));
 * ```
 * @param layer name of a layer with activations `[batch, height, width, channels]` or `[batch, channels]`.
 * @param n channel index, an integer in `[0, channels)`.
 * @param options `batch`: image index (default: all images).
 * @returns a new objective; its scalar value (when evaluated) is owned by the caller.
 */
export function channel(layer: string, n: number, options?: ChannelOptions): Objective {
  const fn = 'objectives.channel';
  checkNonNegative(fn, 'n', n, true);
  const { batch } = checkOptions(fn, options, ['batch']);
  return layerObjective(fn, 'Channel', layer, [n], { batch }, (acts) => {
    checkChannel(fn, layer, n, acts.shape[3]);
    return tf.mean(sliceChannel(acts, n));
  });
}

/** Options of {@link neuron}. */
export interface NeuronOptions {
  /** Row index (Lucid's `x`); default the centre row `height // 2`. */
  readonly x?: number;
  /** Column index (Lucid's `y`); default the centre column `width // 2`. */
  readonly y?: number;
  /** Only image `batch` of the batch counts (default: the mean over the whole batch). */
  readonly batch?: number;
}

/**
 * Visualize a single neuron: channel `n` of `layer` at ONE position (row `x`, column `y`).
 *
 * Where {@link channel} shows a feature wherever it occurs, a neuron shows it at one place, so the
 * image shows the neuron's receptive field around it. The default is the centre neuron; when the
 * height or width is even, it is the one below/right of the centre (index `size // 2`):
 *
 * ```text
 *  odd 3×3         even 4×4
 *  . . .           . . . .
 *  . X .           . . . .
 *  . . .           . . X .
 *                  . . . .
 * ```
 *
 * As in Lucid, `x` indexes ROWS (the height axis) and `y` COLUMNS. Over a batch the value is the
 * mean over images; `batch` selects one image.
 *
 * Port of `lucid.optvis.objectives.neuron`. Errors at evaluation when `n`, `x`, `y` or `batch` is
 * out of range.
 *
 * @example
 * ```ts
 * const centre = objectives.neuron('mixed4a', 97);
 * const corner = objectives.neuron('mixed4a', 97, { x: 0, y: 0 });
 * ```
 * @param layer name of a layer with activations `[batch, height, width, channels]` or `[batch, channels]`.
 * @param n channel index in `[0, channels)`.
 * @param options `x` row (default `height // 2`), `y` column (default `width // 2`), `batch` image index.
 * @returns a new objective.
 */
export function neuron(layer: string, n: number, options?: NeuronOptions): Objective {
  const fn = 'objectives.neuron';
  checkNonNegative(fn, 'n', n, true);
  const o = checkOptions(fn, options, ['x', 'y', 'batch']);
  const x = checkOptionalIndex(fn, 'x', o.x);
  const y = checkOptionalIndex(fn, 'y', o.y);
  return layerObjective(fn, 'Neuron', layer, [n], { x, y, batch: o.batch }, (acts) => {
    checkChannel(fn, layer, n, acts.shape[3]);
    const [px, py] = position(fn, layer, acts.shape, x, y);
    return tf.mean(sliceChannel(extractPosition(acts, px, py), n));
  });
}

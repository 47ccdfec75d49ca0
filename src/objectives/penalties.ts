import * as tf from '@tensorflow/tfjs-core';
import '../ops/registerGradients';
import { fail } from '../errors';
import { INPUT, Objective } from './objective';
import { type ConstantLike, checkBroadcastsTo, checkLayer, describeCall, hostTensor } from './util';
import { checkFinite, checkNonNegative, checkOptionalIndex, checkOptions, readNested, showShape } from '../validate';
import { onLayer, restrictBatch } from './custom';

/** Options of the objectives that can focus on one image of the batch. */
export interface BatchOptions {
  /** Only image `batch` of the batch counts (default: the whole batch). */
  readonly batch?: number;
}

/**
 * Maximise "interestingness" at a layer: the mean of the squared activations.
 *
 * DeepDream (Mordvintsev et al., 2015) amplifies whatever a layer already sees, which turns
 * textures into the patterns the layer detects. Over a batch the value is the mean over all
 * images, as Lucid.
 *
 * Port of `lucid.optvis.objectives.deepdream`. Addition: `batch` restricts it to one image.
 *
 * @example
 * ```ts
 * const obj = objectives.deepdream('mixed4c');
 * ```
 * @param layer any layer (any rank).
 * @param options `batch` image index (default: all images).
 * @returns a new objective.
 */
export function deepdream(layer: string, options?: BatchOptions): Objective {
  const fn = 'objectives.deepdream';
  const { batch } = checkOptions(fn, options, ['batch']);
  return onLayer(fn, 'Deepdream', layer, [], { batch }, (t) => tf.mean(tf.square(t)));
}

/**
 * Total variation of the image (or of a layer's activations): the sum of absolute differences
 * between vertically and horizontally neighbouring values, summed over channels — one value per
 * image, as TensorFlow's `tf.image.total_variation` (its `value()` is `[batch]`; `evaluate()` sums
 * it). As in Lucid, combining it with a scalar objective broadcasts the scalar over the images:
 * over a batch of N, `channel(...).sub(totalVariation().mul(k))` weighs the channel N times.
 *
 * Used as a penalty (`obj.sub(objectives.totalVariation().mul(k))`) to reduce high-frequency
 * noise; see Mahendran & Vedaldi, 2015, "Understanding Deep Image Representations by Inverting
 * Them".
 *
 * Port of `lucid.optvis.objectives.total_variation`. Addition: `batch` restricts it to one image.
 *
 * @example
 * ```ts
 * const obj = objectives.channel('mixed4a', 97).sub(objectives.totalVariation().mul(1e-3));
 * ```
 * @param layer `'input'` (default, the parameterization's image) or a layer, shape
 *   `[batch, height, width, channels]` (or one image `[height, width, channels]`).
 * @param options `batch` image index (default: all images).
 * @returns a new objective (its value is >= 0; subtract it to penalize).
 */
export function totalVariation(layer: string = INPUT, options?: BatchOptions): Objective {
  const fn = 'objectives.totalVariation';
  checkLayer(fn, 'layer', layer);
  const { batch } = checkOptions(fn, options, ['batch']);
  checkOptionalIndex(fn, 'batch', batch);
  return new Objective(
    (T) => {
      let t = T(layer);
      const oneImage = t.rank === 3;
      if (t.rank !== 4 && t.rank !== 3) {
        fail(
          fn,
          `layer "${layer}" must have rank 4 ([batch, height, width, channels]) or 3 ([height, width, channels]), ` +
            `but got shape ${showShape(t.shape)}.`,
        );
      }
      if (t.rank === 3) t = tf.expandDims(t, 0);
      const x = restrictBatch(fn, layer, t, batch);
      const [n, h, w] = x.shape;
      // One value per image, as TensorFlow's total_variation (a scalar for one [h, w, c] image).
      // Sums over an empty axis are left out (wasm's reduction of an empty tensor is not 0).
      const terms: tf.Tensor[] = [tf.zeros([n])];
      if (h > 1) {
        const dRows = tf.sub(tf.slice(x, [0, 1, 0, 0], [-1, h - 1, -1, -1]), tf.slice(x, [0, 0, 0, 0], [-1, h - 1, -1, -1]));
        terms.push(tf.sum(tf.abs(dRows), [1, 2, 3]));
      }
      if (w > 1) {
        const dCols = tf.sub(tf.slice(x, [0, 0, 1, 0], [-1, -1, w - 1, -1]), tf.slice(x, [0, 0, 0, 0], [-1, -1, w - 1, -1]));
        terms.push(tf.sum(tf.abs(dCols), [1, 2, 3]));
      }
      const perImage = tf.addN(terms);
      return oneImage ? tf.sum(perImage) : perImage;
    },
    describeCall('TotalVariation', [layer], { batch }),
    [layer],
  );
}

/** Options of {@link L1}. */
export interface L1Options extends BatchOptions {
  /** Value the distance is measured from (default 0). */
  readonly constant?: number;
}

/**
 * L1 norm of the image (or a layer): `sum(|T(layer) − constant|)` over all values of the batch.
 *
 * Generally used as a penalty (subtract it) that pulls the image towards `constant`, e.g. 0.5
 * for a grey background.
 *
 * Port of `lucid.optvis.objectives.L1`. Addition: `batch` restricts it to one image.
 *
 * @example
 * ```ts
 * const obj = objectives.channel('mixed4a', 97).sub(objectives.L1('input', { constant: 0.5 }).mul(0.05));
 * ```
 * @param layer `'input'` (default) or a layer of any rank.
 * @param options `constant` (default 0), `batch` image index (default: all images).
 * @returns a new objective (its value is >= 0; subtract it to penalize).
 */
export function L1(layer: string = INPUT, options?: L1Options): Objective {
  const fn = 'objectives.L1';
  const { constant = 0, batch } = checkOptions(fn, options, ['constant', 'batch']);
  checkFinite(fn, 'constant', constant);
  return onLayer(fn, 'L1', layer, [], { constant: constant || undefined, batch }, (t) => tf.sum(tf.abs(tf.sub(t, constant))));
}

/** Options of {@link L2}. */
export interface L2Options extends L1Options {
  /** Added under the square root so the gradient stays finite at 0 (default 1e-6). */
  readonly epsilon?: number;
}

/**
 * L2 norm of the image (or a layer): `sqrt(epsilon + sum((T(layer) − constant)²))` over all
 * values of the batch.
 *
 * Generally used as a penalty (subtract it) that keeps the image close to `constant`.
 *
 * Port of `lucid.optvis.objectives.L2`. Addition: `batch` restricts it to one image.
 *
 * @example
 * ```ts
 * const obj = objectives.channel('mixed4a', 97).sub(objectives.L2().mul(0.01));
 * ```
 * @param layer `'input'` (default) or a layer of any rank.
 * @param options `constant` (default 0), `epsilon` (default 1e-6, >= 0), `batch` image index.
 * @returns a new objective (its value is >= 0; subtract it to penalize).
 */
export function L2(layer: string = INPUT, options?: L2Options): Objective {
  const fn = 'objectives.L2';
  const { constant = 0, epsilon = 1e-6, batch } = checkOptions(fn, options, ['constant', 'epsilon', 'batch']);
  checkFinite(fn, 'constant', constant);
  checkNonNegative(fn, 'epsilon', epsilon);
  const described = { constant: constant || undefined, epsilon: epsilon === 1e-6 ? undefined : epsilon, batch };
  return onLayer(fn, 'L2', layer, [], described, (t) => tf.sqrt(tf.add(tf.sum(tf.square(tf.sub(t, constant))), epsilon)));
}

/** Floor of the mean squared difference under the square root in {@link inputDiff}. */
const MIN_MEAN_SQUARE = 1e-12;

/**
 * Root-mean-square difference between the optimized image and `image`.
 *
 * Usually subtracted (times a weight) to keep an adversarial or edited image close to the
 * original while another objective changes what the model sees.
 *
 * Port of `lucid.optvis.objectives.input_diff`. Deliberate difference: the mean square is floored
 * at 1e-12 under the root, so the gradient is 0 rather than NaN when the image equals `image`
 * exactly (as when the parameterization starts from it); values differ only below 1e-6.
 *
 * @example
 * ```ts
 * const obj = objectives.classLogit('logits', 'tabby').sub(objectives.inputDiff(photo).mul(10));
 * ```
 * @param image the reference image: `[height, width, channels]` or `[batch, height, width, channels]`,
 *   or any shape that broadcasts to the input's; values in [0, 1] like the input. A tensor is
 *   copied, so the caller keeps ownership and may dispose it.
 * @returns a new objective (its value is >= 0; subtract it to penalize).
 */
export function inputDiff(image: ConstantLike): Objective {
  const fn = 'objectives.inputDiff';
  const ref = readNested(fn, 'image', image);
  return new Objective(
    (T) => {
      const input = T(INPUT);
      checkBroadcastsTo(fn, 'image', ref.shape, input.shape, 'the input');
      const d = tf.sub(input, hostTensor(ref));
      return tf.sqrt(tf.maximum(tf.mean(tf.square(d)), MIN_MEAN_SQUARE));
    },
    describeCall('InputDiff', [image]),
    [],
  );
}

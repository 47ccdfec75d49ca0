import * as tf from '@tensorflow/tfjs-core';
import '../ops/registerGradients';
import { fail } from '../errors';
import { Objective } from './objective';
import { checkChannel, checkHasBatchAxis, checkLayer, describeCall, nhwcShape, sliceChannel, toNHWC } from './util';
import { checkNonNegative, checkOptions, checkPositive, showShape } from '../validate';

/**
 * Interpolate between two channels across the batch: image 0 maximises channel `n1` of `layer1`,
 * the last image channel `n2` of `layer2`, and image `i` of `N` the convex combination with weight
 * `i / (N − 1)` on the second: `Σᵢ (1 − wᵢ)·mean(layer1[i, ..., n1]) + wᵢ·mean(layer2[i, ..., n2])`.
 *
 * Shows how two features blend (Distill's "Feature Visualization", interaction section); works
 * best with a parameterization shared across the batch and with {@link alignment}.
 *
 * Port of `lucid.optvis.objectives.channel_interpolate`. Errors at evaluation when the batch has
 * fewer than 2 images (Lucid divides by `N − 1`), the two layers' batches differ, or a channel is
 * out of range.
 *
 * @example
 * ```ts
 * const obj = objectives.channelInterpolate('mixed4a', 476, 'mixed4a', 460)
 *   .sub(objectives.alignment('mixed4a').mul(1e-2)); // with a batch of 5 images
 * ```
 * @param layer1 layer optimized 100% at image 0 (`[batch, h, w, c]` or `[batch, c]`).
 * @param n1 channel of `layer1`.
 * @param layer2 layer optimized 100% at the last image.
 * @param n2 channel of `layer2`.
 * @returns a new objective.
 */
export function channelInterpolate(layer1: string, n1: number, layer2: string, n2: number): Objective {
  const fn = 'objectives.channelInterpolate';
  checkLayer(fn, 'layer1', layer1);
  checkNonNegative(fn, 'n1', n1, true);
  checkLayer(fn, 'layer2', layer2);
  checkNonNegative(fn, 'n2', n2, true);
  return new Objective(
    (T) => {
      const t1 = T(layer1);
      const t2 = T(layer2);
      const s1 = nhwcShape(fn, layer1, t1);
      const s2 = nhwcShape(fn, layer2, t2);
      checkChannel(fn, layer1, n1, s1[3]);
      checkChannel(fn, layer2, n2, s2[3]);
      const batch = s1[0];
      if (batch < 2) fail(fn, `the batch of layer "${layer1}" must hold at least 2 images, but got ${batch}.`);
      if (s2[0] !== batch) {
        fail(fn, `layer "${layer2}" must have the same batch size as layer "${layer1}" (${batch}), but got ${s2[0]}.`);
      }
      const weights = Array.from({ length: batch }, (_, i) => i / (batch - 1));
      // Per-image channel means, [batch].
      const m1 = tf.mean(sliceChannel(toNHWC(t1, s1), n1), [1, 2, 3]);
      const m2 = tf.mean(sliceChannel(toNHWC(t2, s2), n2), [1, 2, 3]);
      const w2 = tf.tensor1d(weights);
      const w1 = tf.tensor1d(weights.map((w) => 1 - w));
      return tf.add(tf.sum(tf.mul(m1, w1)), tf.sum(tf.mul(m2, w2)));
    },
    describeCall('ChannelInterpolate', [layer1, n1, layer2, n2]),
    [layer1, layer2],
  );
}

/** Options of {@link alignment}. */
export interface AlignmentOptions {
  /** How fast the penalty decays with the distance `d` in the batch: weight `decayRatio^−d` (default 2). */
  readonly decayRatio?: number;
}

/**
 * Encourage neighbouring images of the batch to be similar at `layer`: returns
 * `−Σ_{d=1..4} Σᵢ mean((acts[i] − acts[i+d])²) / decayRatio^d`, already negated, so ADD it.
 *
 * When interpolating between objectives ({@link channelInterpolate}) this makes analogous objects
 * appear at the same place, so the images are comparable. Lucid notes that a parameterization
 * shared across the batch does much of this by itself.
 *
 * Port of `lucid.optvis.objectives.alignment`. A batch of one image gives 0.
 *
 * @example
 * ```ts
 * const obj = objectives.channelInterpolate('mixed4a', 476, 'mixed4a', 460)
 *   .add(objectives.alignment('mixed3b').mul(1e-1));
 * ```
 * @param layer layer to compare images at (any rank >= 1; axis 0 is the batch).
 * @param options `decayRatio` (default 2, > 0).
 * @returns a new objective (its value is <= 0).
 */
export function alignment(layer: string, options?: AlignmentOptions): Objective {
  const fn = 'objectives.alignment';
  checkLayer(fn, 'layer', layer);
  const { decayRatio = 2 } = checkOptions(fn, options, ['decayRatio']);
  checkPositive(fn, 'decayRatio', decayRatio, false);
  return new Objective(
    (T) => {
      const t = T(layer);
      const batch = checkHasBatchAxis(fn, layer, t);
      const perImage = t.size / Math.max(batch, 1);
      const terms: tf.Scalar[] = [];
      for (let d = 1; d <= 4 && d < batch; d++) {
        const rest = t.shape.slice(1).map(() => 0);
        const a = tf.slice(t, [0, ...rest], [batch - d, ...t.shape.slice(1)]);
        const b = tf.slice(t, [d, ...rest], [batch - d, ...t.shape.slice(1)]);
        // Σ over pairs of the per-pair mean = (Σ all squared differences) / values per image.
        terms.push(tf.div(tf.sum(tf.square(tf.sub(a, b))), perImage * decayRatio ** d));
      }
      return terms.length === 0 ? tf.scalar(0) : tf.neg(tf.addN(terms));
    },
    describeCall('Alignment', [layer], { decayRatio: decayRatio === 2 ? undefined : decayRatio }),
    [layer],
  );
}

/**
 * Encourage the images of the batch to differ: the mean over images of the summed cosine
 * similarity between its Gram matrix at `layer` and every other image's.
 *
 * A feature often responds to several things, but plain optimization shows one. For each image
 * the channel-correlation (Gram) matrix `Fᵀ F` of its `[positions, channels]` activations is
 * L2-normalized; the value is `Σ_{i≠j} ⟨Ĝᵢ, Ĝⱼ⟩ / N` — style similarity, as in style transfer,
 * here to be PENALIZED: subtract it (`obj.sub(objectives.diversity(l).mul(1e2))`).
 *
 * Port of `lucid.optvis.objectives.diversity` (the normalization uses Lucid's `l2_normalize`
 * epsilon, 1e-10 under the root). A batch of one image gives 0.
 *
 * @example
 * ```ts
 * const obj = objectives.channel('mixed4a', 97).sub(objectives.diversity('mixed4a').mul(1e2));
 * ```
 * @param layer `[batch, height, width, channels]` or `[batch, channels]`.
 * @returns a new objective (its value is in `[−(N−1), N−1]`).
 */
export function diversity(layer: string): Objective {
  const fn = 'objectives.diversity';
  checkLayer(fn, 'layer', layer);
  return new Objective(
    (T) => {
      const t = T(layer);
      const shape = nhwcShape(fn, layer, t);
      const [batch, h, w, c] = shape;
      if (batch === 0) fail(fn, `layer "${layer}" must hold at least one image, but got shape ${showShape(t.shape)}.`);
      const flat = tf.reshape(t, [batch, h * w, c]);
      const grams = tf.matMul(tf.transpose(flat, [0, 2, 1]), flat); // [batch, c, c]
      const norms = tf.sqrt(tf.maximum(tf.sum(tf.square(grams), [1, 2], true), 1e-10));
      const unit = tf.div(grams, norms);
      // Σ_{i≠j} <g_i, g_j> = |Σ_i g_i|² − Σ_i |g_i|².
      const total = tf.sum(tf.square(tf.sum(unit, 0)));
      const self = tf.sum(tf.square(unit));
      return tf.div(tf.sub(total, self), batch);
    },
    describeCall('Diversity', [layer]),
    [layer],
  );
}

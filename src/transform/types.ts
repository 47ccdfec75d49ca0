import type * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '../ops/random';

/**
 * A random image transform: maps an NHWC image to a (possibly resized) NHWC image.
 *
 * Random choices are drawn from `rng` on the host and passed to ops as numbers, so a seeded run is
 * reproducible. A transform never disposes or mutates its input; the caller owns the output.
 */
export type Transform = (image: tf.Tensor4D, rng: Rng) => tf.Tensor4D;

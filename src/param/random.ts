import * as tf from '@tensorflow/tfjs-core';
import '../ops/registerGradients';
import { fail } from '../errors';
import { checkBool } from '../validate';
import { type RandomSource } from '../ops/random';
import { toValidRgb } from './color';
import { makeParam, shapedParamArgs } from './common';
import { spectralCore } from './spatial';
import type { Param } from './types';

/** Options of {@link imageSample}. */
export interface ImageSampleOptions {
  /** Standard deviation of the random spectrum; default 0.01. */
  readonly sd?: number;
  /** Exponent of the `1/frequency` scaling; default 1. */
  readonly decayPower?: number;
  /** Map from the decorrelated colour space to RGB; default `true`. */
  readonly decorrelate?: boolean;
  /** Seed (or seeded generator): the sequence of samples is then reproducible. */
  readonly seed?: RandomSource;
}

/**
 * Random natural-looking images: every `image()` call draws a NEW random `1/f` spectrum and returns
 * its image squashed into [0, 1]. There are no variables.
 *
 * Why: random images with the statistics of the spectral parameterization are useful as
 * backgrounds (Lucid's transparency notebooks composite an optimized RGBA image over such samples
 * so that the alpha channel must carry the meaning) and as baselines.
 *
 * @example
 * ```ts
 * const bg = imageSample([1, 64, 64, 3], { sd: 0.2, seed: 5 });
 * const a = bg.image(), b = bg.image(); // two different images
 * ```
 * @param shape `[batch, h, w, channels]` (`channels` must be 3 when `decorrelate`), `w ≥ 2`.
 * @param options see {@link ImageSampleOptions} (defaults stated there).
 * @returns a {@link Param} with no variables that owns its constant DFT bases; each image is owned
 *   by the caller.
 *
 * @remarks
 * Port of `lucid.optvis.param.random.image_sample` (`rand_fft_image` + `to_valid_rgb`); each batch
 * element gets its own spectrum as in Lucid. Random draws come from tfjs's seeded normal generator
 * with seeds from the param's seeded `Rng`.
 */
export function imageSample(shape: readonly number[], options: ImageSampleOptions = {}): Param<tf.Tensor4D> {
  const FN = 'param.imageSample';
  const { o, shape: s, sd, rng } = shapedParamArgs(FN, shape, [4], options, ['sd', 'decayPower', 'decorrelate', 'seed']);
  const decorrelate = checkBool(FN, 'options.decorrelate', o.decorrelate, true);
  if (decorrelate && s[3] !== 3) fail(FN, `shape[3] (channels) must be 3 when decorrelate is true, but got ${s[3]}.`);
  const core = spectralCore(FN, s, o.decayPower ?? 1);
  return makeParam<tf.Tensor4D>({
    fn: FN,
    shape: s,
    variables: [],
    owned: [core],
    build: () => {
      const spectrum = tf.randomNormal(core.spectrumShape as unknown as number[], 0, sd, 'float32', rng.seed());
      return toValidRgb(core.toImage(spectrum), { decorrelate, sigmoid: true });
    },
  });
}

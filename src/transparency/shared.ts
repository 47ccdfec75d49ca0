import * as tf from '@tensorflow/tfjs-core';
import '../ops/registerGradients';
import { fail, show } from '../errors';
import { type RandomSource } from '../ops/random';
import { toValidRgb } from '../param/color';
import { checkOptions, checkPositive } from '../validate';
import { seededRng } from '../param/common';
import { custom } from '../param/custom';
import { lowresTensor } from '../param/lowres';
import type { Param } from '../param/types';

/** Options of {@link sharedForegrounds}. */
export interface SharedForegroundsOptions {
  /** Weight of the part shared by all foregrounds (the notebook's `shared_param_coef`); default 0.5. */
  readonly sharedParamCoef?: number;
  /** Downscaling factors of the low-resolution tensors summed in each part; default `[1, 2, 4, 8]`. */
  readonly scales?: readonly number[];
  /** Seed (or seeded generator) of the initial values. */
  readonly seed?: RandomSource;
}

/**
 * The RGBA parameterization of the notebook's experiment 2: `count` foregrounds that share part of
 * their parameters, so that they stay aligned (landmarks in the same places) while each adapts to
 * its own background.
 *
 * Exactly, with `part() = Σ_{k ∈ scales} lowres([w, w, 4] from [w // k, w // k, 4]) / scales.length`
 * (a {@link lowresTensor} each, bilinear upsampling):
 * `rawₙ = sharedParamCoef · shared + ownₙ`, `rgbₙ = toValidRgb(rawₙ[..., :3], { decorrelate: true })`,
 * `αₙ = sigmoid(rawₙ[..., 3])`, where `shared` and each `ownₙ` are independent `part()`s.
 *
 * @example
 * ```ts
 * const fgs = transparency.sharedForegrounds(128, 8, { sharedParamCoef: 0.5, seed: 0 });
 * const rgba = fgs.image(); // [8, 128, 128, 4]
 * ```
 * @param w width and height in pixels; `w // max(scales)` must be ≥ 1.
 * @param count number of foregrounds N.
 * @param options `{ sharedParamCoef = 0.5, scales = [1, 2, 4, 8], seed }`.
 * @returns a {@link Param} of `[count, w, w, 4]` RGBA images in [0, 1] with `2·scales.length`
 *   variables (the shared ones first); the caller owns each returned image.
 *
 * @remarks
 * Port of `make_param`, `shared_param` and the foreground construction of `alpha_experiment_2` in
 * Lucid's semi-transparent feature visualization notebook (one batched tensor per scale instead of
 * one per foreground: the same values' distribution and gradients).
 */
export function sharedForegrounds(w: number, count: number, options: SharedForegroundsOptions = {}): Param<tf.Tensor4D> {
  const FN = 'transparency.sharedForegrounds';
  checkOptions(FN, options, ['sharedParamCoef', 'scales', 'seed']);
  checkPositive(FN, 'w', w);
  checkPositive(FN, 'count', count);
  const coef = options.sharedParamCoef ?? 0.5;
  if (typeof coef !== 'number' || !Number.isFinite(coef)) fail(FN, `options.sharedParamCoef must be a finite number, but got ${show(coef)}.`);
  const scales = options.scales ?? [1, 2, 4, 8];
  if (!Array.isArray(scales) || scales.length === 0) fail(FN, `options.scales must be a non-empty array of positive integers, but got ${show(scales)}.`);
  scales.forEach((k, i) => checkPositive(FN, `options.scales[${i}]`, k));
  const coarsest = Math.max(...scales);
  if (Math.floor(w / coarsest) < 1) fail(FN, `w // ${coarsest} (the coarsest scale) must be at least 1, but got w = ${show(w)}.`);
  const rng = seededRng(FN, options.seed);

  const made: Param<tf.Tensor>[] = [];
  try {
    const part = (b: number) => scales.map((k) => {
      const u = Math.floor(w / k);
      const p = lowresTensor([b, w, w, 4], [b, u, u, 4], { seed: rng.seed() });
      made.push(p);
      return p;
    });
    const shared = part(1);
    const own = part(count);
    const m = scales.length;
    return custom([...shared, ...own], (imgs) => {
      const sharedRaw = tf.div(tf.addN(imgs.slice(0, m)), m);
      const ownRaw = tf.div(tf.addN(imgs.slice(m)), m);
      const raw = tf.add(tf.mul(sharedRaw, coef), ownRaw) as tf.Tensor4D;
      const rgb = toValidRgb(tf.slice(raw, [0, 0, 0, 0], [count, w, w, 3]), { decorrelate: true });
      const alpha = tf.sigmoid(tf.slice(raw, [0, 0, 0, 3], [count, w, w, 1]));
      return tf.concat([rgb, alpha], 3) as tf.Tensor4D;
    });
  } catch (e) {
    for (const p of made) p.dispose();
    throw e;
  }
}

import * as tf from '@tensorflow/tfjs-core';
import '../ops/registerGradients';
import { fail, show } from '../errors';
import { type RandomSource } from '../ops/random';
import { checkBool, checkNonNegative, checkOneOf, checkOptions, checkPositive } from '../validate';
import { seededRng } from '../param/common';
import { image } from '../param/images';
import { imageSample } from '../param/random';
import { custom } from '../param/custom';
import type { Param } from '../param/types';
import { jitter } from '../transform/jitter';

/** How the trainable part of a {@link background} is parameterized (Lucid's `var_mode`). */
export type BackgroundMode = 'image' | 'color';

/** Options of {@link background}: the keyword arguments of the notebook's `make_bg_func`. */
export interface BackgroundOptions {
  /** Share of the random noise in the mix `(1 − r)·var + r·noise`, in [0, 1]; default 0.5. */
  readonly noiseRatio?: number;
  /** Decay power of the noise spectrum; default 1.5. */
  readonly decayPower?: number;
  /** Base standard deviation of the noise; the sample uses `baseSd · 20^(1 − decayPower)`. Default 0.8. */
  readonly baseSd?: number;
  /** Decorrelated colours for both parts; default `true`. */
  readonly decorrelate?: boolean;
  /** `'image'` (a full trainable image) or `'color'` (one trainable colour); default `'image'`. */
  readonly varMode?: BackgroundMode;
  /**
   * `'image'` mode only: the trainable image is `w + varImageJitter` px wide and a random
   * `w`-px crop of it is used at every call (the notebook's "random offset"). Default 0.
   */
  readonly varImageJitter?: number;
  /** Seed (or seeded generator) of the initial values, the crops and the noise draws. */
  readonly seed?: RandomSource;
}

/**
 * A background for semi-transparent feature visualization, as the notebook's
 * `make_bg_func(...)(w)` builds it: a trainable part mixed with fresh random noise,
 * `(1 − noiseRatio) · var + noiseRatio · noise`.
 *
 * Why: compositing an RGBA visualization over a background that keeps changing (or that fights
 * the objective) forces the alpha channel to say which pixels matter. The trainable part is
 * optimized together with the foreground: in an "adversarial" setup it minimises the objective,
 * in an "allied" one it maximises it (the sign lives in the objective; see {@link composite}).
 *
 * Exactly:
 * - `varMode: 'image'`: `var = jitter(varImageJitter)(param.image(w + varImageJitter))`, a fresh
 *   random `w × w` crop at every call;
 * - `varMode: 'color'`: `var = param.image(5)[:, 3:4, 3:4, :]`, the pixel (3, 3) of a 5×5
 *   decorrelated spectral image, broadcast to `w × w`;
 * - `noise = param.imageSample([1, w, w, 3], { sd: baseSd · 20^(1 − decayPower), decayPower })`,
 *   drawn anew at every call.
 * When `noiseRatio` is 0 the noise is not drawn, and when it is 1 no trainable part is created
 * (their weight is exactly 0, so the values are the notebook's; the notebook's unused variable only
 * ever receives zero gradients).
 *
 * @example
 * ```ts
 * // the notebook's "Allied Background Color"
 * const bg = transparency.background(128, { noiseRatio: 0, baseSd: 0.3, varMode: 'color', seed: 1 });
 * const b = bg.image(); // [1, 128, 128, 3] in [0, 1]
 * b.dispose();
 * bg.dispose();
 * ```
 * @param w width and height of the background in pixels (≥ 2).
 * @param options `{ noiseRatio = 0.5, decayPower = 1.5, baseSd = 0.8, decorrelate = true, varMode = 'image', varImageJitter = 0, seed }`.
 * @returns a {@link Param} of `[1, w, w, 3]` images in [0, 1]; it owns its variables (none when
 *   `noiseRatio` is 1) and constants; the caller owns each returned image.
 *
 * @remarks
 * Port of `make_bg_func` from Lucid's semi-transparent feature visualization notebook.
 */
export function background(w: number, options: BackgroundOptions = {}): Param<tf.Tensor4D> {
  const FN = 'transparency.background';
  checkOptions(FN, options, ['noiseRatio', 'decayPower', 'baseSd', 'decorrelate', 'varMode', 'varImageJitter', 'seed']);
  checkPositive(FN, 'w', w);
  if (w < 2) fail(FN, `w must be at least 2 (the noise is a spectral image), but got ${show(w)}.`);
  const noiseRatio = options.noiseRatio ?? 0.5;
  if (typeof noiseRatio !== 'number' || !(noiseRatio >= 0 && noiseRatio <= 1)) {
    fail(FN, `options.noiseRatio must be a number in [0, 1], but got ${show(noiseRatio)}.`);
  }
  const decayPower = options.decayPower ?? 1.5;
  if (typeof decayPower !== 'number' || !Number.isFinite(decayPower)) {
    fail(FN, `options.decayPower must be a finite number, but got ${show(decayPower)}.`);
  }
  const baseSd = checkNonNegative(FN, 'options.baseSd', options.baseSd ?? 0.8);
  const decorrelate = checkBool(FN, 'options.decorrelate', options.decorrelate, true);
  const varMode = checkOneOf<BackgroundMode>(FN, 'options.varMode', options.varMode ?? 'image', ['image', 'color']);
  const varImageJitter = checkNonNegative(FN, 'options.varImageJitter', options.varImageJitter ?? 0, true);
  if (varMode === 'color' && options.varImageJitter !== undefined && varImageJitter !== 0) {
    fail(FN, `options.varImageJitter must be 0 (or unset) when varMode is 'color', but got ${show(varImageJitter)}.`);
  }
  const rng = seededRng(FN, options.seed);

  const parts: Param<tf.Tensor4D>[] = [];
  try {
    const hasVar = noiseRatio < 1;
    const hasNoise = noiseRatio > 0;
    if (hasVar) {
      const size = varMode === 'image' ? w + varImageJitter : 5;
      parts.push(image(size, { decorrelate, seed: rng.seed() }));
    }
    if (hasNoise) {
      parts.push(imageSample([1, w, w, 3], { sd: baseSd * 20 ** (1 - decayPower), decayPower, decorrelate, seed: rng.seed() }));
    }
    const crop = jitter(varImageJitter);
    const cropRng = rng.fork();
    return custom(parts, (imgs) => {
      let k = 0;
      const terms: tf.Tensor4D[] = [];
      if (hasVar) {
        const v = imgs[k++];
        const varImg = varMode === 'image' ? crop(v, cropRng) : tf.slice(v, [0, 3, 3, 0], [1, 1, 1, 3]);
        // Broadcasting against zeros (not tf.tile) keeps one gradient path for the colour.
        const full = varMode === 'color' ? tf.add(tf.zeros([1, w, w, 3]), varImg) : varImg;
        terms.push(tf.mul(full, 1 - noiseRatio));
      }
      if (hasNoise) terms.push(tf.mul(imgs[k++], noiseRatio));
      return (terms.length === 1 ? terms[0] : tf.add(terms[0], terms[1])) as tf.Tensor4D;
    });
  } catch (e) {
    for (const p of parts) p.dispose();
    throw e;
  }
}

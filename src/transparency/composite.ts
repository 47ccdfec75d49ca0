import * as tf from '@tensorflow/tfjs-core';
import '../ops/registerGradients';
import { fail, show } from '../errors';
import { type RandomSource } from '../ops/random';
import { stopGradient } from '../ops/stopGradient';
import { checkNonNegative, checkOptions } from '../validate';
import { seededRng } from '../param/common';
import { custom } from '../param/custom';
import type { Param, ParamOutputs } from '../param/types';
import { jitter } from '../transform/jitter';

/** Options of {@link composite}. */
export interface CompositeOptions {
  /**
   * Pixels of the random crop applied independently to the rgb, the alpha and the background of
   * every pair at every step (the notebook's `jitter_n`); default 2.
   */
  readonly jitter?: number;
  /** Seed (or seeded generator) of the crops. */
  readonly seed?: RandomSource;
}

/**
 * The named outputs of a {@link composite} param (all owned by the caller of `build()`):
 * - `image`: `[2N, h − j, w − j, 3]`, the composites the model sees, pair `n` at items `2n`
 *   (foreground learns) and `2n + 1` (background learns);
 * - `foreground`: `[N, h, w, 4]`, the un-jittered RGBA foregrounds;
 * - `alpha`: `[N, h, w, 1]`, their un-jittered alpha (what {@link alphaPenalty} reads);
 * - `background`: `[N, h, w, 3]`, this call's backgrounds (un-jittered);
 * - `onWhite`: `[N, h, w, 3]`, the foregrounds composited over white, `rgb·α + 1 − α`.
 */
export type CompositeOutputs = ParamOutputs<tf.Tensor4D> & {
  readonly foreground: tf.Tensor4D;
  readonly alpha: tf.Tensor4D;
  readonly background: tf.Tensor4D;
  readonly onWhite: tf.Tensor4D;
};

/**
 * `rgb·α + (1 − α)·background` for an RGBA tensor: the foreground composited over a background.
 *
 * @example
 * ```ts
 * const onWhite = transparency.over(rgba, 1); // rgb·α + 1 − α
 * ```
 * @param rgba `[b, h, w, 4]` float32, values in [0, 1].
 * @param backgroundImage a number, or a tensor broadcastable to `[b, h, w, 3]`.
 * @returns a new `[b, h, w, 3]` tensor owned by the caller.
 */
export function over(rgba: tf.Tensor4D, backgroundImage: tf.Tensor | number): tf.Tensor4D {
  const FN = 'transparency.over';
  if (!(rgba instanceof tf.Tensor) || rgba.isDisposed) fail(FN, `rgba must be a live tf.Tensor4D, but got ${show(rgba)}.`);
  if (rgba.rank !== 4 || rgba.shape[3] !== 4) fail(FN, `rgba must have shape [b, h, w, 4], but got [${rgba.shape.join(', ')}].`);
  if (typeof backgroundImage === 'number') {
    if (!Number.isFinite(backgroundImage)) fail(FN, `backgroundImage must be a finite number or a tensor, but got ${show(backgroundImage)}.`);
  } else if (!(backgroundImage instanceof tf.Tensor) || backgroundImage.isDisposed) {
    fail(FN, `backgroundImage must be a finite number or a live tf.Tensor, but got ${show(backgroundImage)}.`);
  }
  return tf.tidy(() => {
    const [b, h, w] = rgba.shape;
    const rgb = tf.slice(rgba, [0, 0, 0, 0], [b, h, w, 3]);
    const a = tf.slice(rgba, [0, 0, 0, 3], [b, h, w, 1]);
    return tf.add(tf.mul(rgb, a), tf.mul(tf.sub(1, a), backgroundImage)) as tf.Tensor4D;
  });
}

/**
 * The notebook's stop-gradient split composite of RGBA foregrounds over backgrounds, for any
 * number N of foreground/background pairs in one batch.
 *
 * Why: the foreground and the background are optimized together but must not cheat through each
 * other. For each pair, with `rgb`, `α` and `bg` each randomly cropped by `jitter` px
 * (independently, anew at every step), the batch gets two items:
 * - item `2n`     = `rgb·α + (1 − α)·sg(bg)` — only the foreground receives gradients;
 * - item `2n + 1` = `sg(rgb·α) + sg(1 − α)·bg` — only the background receives gradients;
 * (`sg` = {@link stopGradient}). An objective such as `channel(batch 2n) ∓ channel(batch 2n + 1)`
 * then makes the background adversarial (−) or allied (+); see the transparency examples.
 *
 * @example
 * ```ts
 * const fg = param.image(128, { alpha: true, seed: 0 });
 * const bg = transparency.background(128, { noiseRatio: 0, baseSd: 0.3, varMode: 'color', seed: 1 });
 * const p = transparency.composite(fg, [bg], { jitter: 2, seed: 2 });
 * const obj = objectives.channel('block_13_expand_BN', 100, { batch: 0 })
 *   .add(objectives.channel('block_13_expand_BN', 100, { batch: 1 }))
 *   .add(transparency.alphaPenalty());
 * const session = render.visSession(vm, obj, { param: p });
 * ```
 * @param foreground a param of `[N, h, w, 4]` RGBA images in [0, 1] (e.g. `param.image(w, { alpha: true })`,
 *   or {@link sharedForegrounds}).
 * @param backgrounds one param per foreground (each `[1, h, w, 3]`, e.g. {@link background}), or
 *   params whose batches add up to N.
 * @param options `{ jitter = 2, seed }`; `h` and `w` must be larger than `jitter`.
 * @returns a {@link Param} whose `image()` is `[2N, h − jitter, w − jitter, 3]` and whose `build()`
 *   returns {@link CompositeOutputs}. It takes ownership of `foreground` and `backgrounds`
 *   (`dispose()` disposes them); its variables are theirs. Note: `build()` draws new crops (and new
 *   noise in noisy backgrounds), so reading outputs between steps changes the later random draws.
 *
 * @remarks
 * Port of the composition in `alpha_experiment` / `alpha_experiment_2` of Lucid's semi-transparent
 * feature visualization notebook.
 */
export function composite(
  foreground: Param<tf.Tensor4D>,
  backgrounds: Param<tf.Tensor4D> | readonly Param<tf.Tensor4D>[],
  options: CompositeOptions = {},
): Param<tf.Tensor4D> {
  const FN = 'transparency.composite';
  checkOptions(FN, options, ['jitter', 'seed']);
  checkParam(FN, 'foreground', foreground);
  const bgs = Array.isArray(backgrounds) ? backgrounds : [backgrounds as Param<tf.Tensor4D>];
  if (bgs.length === 0) fail(FN, 'backgrounds must be a param or a non-empty array of params, but got [].');
  bgs.forEach((b, i) => checkParam(FN, `backgrounds[${i}]`, b));
  if (bgs.includes(foreground)) fail(FN, 'backgrounds must not contain the foreground param itself.');
  const j = checkNonNegative(FN, 'options.jitter', options.jitter ?? 2, true);
  const rng = seededRng(FN, options.seed);

  const fs = foreground.shape;
  if (fs.length !== 4 || fs[3] !== 4) fail(FN, `foreground must produce [N, h, w, 4] RGBA images, but its shape is ${show(fs)}.`);
  const [n, h, w] = fs;
  if (h <= j || w <= j) fail(FN, `the foreground must be larger than options.jitter = ${j} px, but it is ${h}×${w}.`);
  let total = 0;
  bgs.forEach((b, i) => {
    const s = b.shape;
    if (s.length !== 4 || s[1] !== h || s[2] !== w || s[3] !== 3) {
      fail(FN, `backgrounds[${i}] must produce [b, ${h}, ${w}, 3] images (the foreground's size, RGB), but its shape is ${show(s)}.`);
    }
    total += s[0];
  });
  if (total !== n) fail(FN, `backgrounds must hold one image per foreground (${n} in all), but got ${total}.`);

  const crop = jitter(j);
  const parts: Param<tf.Tensor4D>[] = [foreground, ...bgs];
  return custom(parts, (imgs) => {
    const [fg, ...bgImages] = imgs as tf.Tensor4D[];
    const bg = bgImages.length === 1 ? bgImages[0] : (tf.concat(bgImages, 0) as tf.Tensor4D);
    const rgb = tf.slice(fg, [0, 0, 0, 0], [n, h, w, 3]);
    const alpha = tf.slice(fg, [0, 0, 0, 3], [n, h, w, 1]);
    const items: tf.Tensor4D[] = [];
    for (let k = 0; k < n; k++) {
      const pick = (t: tf.Tensor4D, c: number) => tf.slice(t, [k, 0, 0, 0], [1, h, w, c]);
      const rgbJ = crop(pick(rgb, 3), rng);
      const alphaJ = crop(pick(alpha, 1), rng);
      const bgJ = crop(pick(bg, 3), rng);
      const fgPart = tf.mul(rgbJ, alphaJ);
      const clear = tf.sub(1, alphaJ);
      items.push(tf.add(fgPart, tf.mul(clear, stopGradient(bgJ))) as tf.Tensor4D);
      items.push(tf.add(stopGradient(fgPart), tf.mul(stopGradient(clear), bgJ)) as tf.Tensor4D);
    }
    const outputs: CompositeOutputs = {
      image: tf.concat(items, 0) as tf.Tensor4D,
      foreground: fg,
      alpha,
      background: bg,
      onWhite: tf.add(tf.mul(rgb, alpha), tf.sub(1, alpha)) as tf.Tensor4D,
    };
    return outputs;
  });
}

function checkParam(fn: string, name: string, p: unknown): void {
  const q = p as Record<string, unknown> | null;
  if (q === null || typeof q !== 'object' || typeof q.image !== 'function' || !Array.isArray(q.variables) || typeof q.dispose !== 'function') {
    fail(fn, `${name} must be a Param (with image(), variables and dispose()), but got ${show(p)}.`);
  }
}

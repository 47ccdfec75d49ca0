import * as tf from '@tensorflow/tfjs-core';
import { fail, show } from '../errors';
import { mirrorPad } from '../ops/mirrorPad';
import type { Transform } from './types';
import { checkImage, checkNonNegative, checkOneOf, checkOptions, checkRng } from '../validate';

/** How {@link pad} fills the border (TensorFlow's `tf.pad` modes, lower case). */
export type PadMode = 'reflect' | 'constant' | 'symmetric';

/** The pad modes {@link pad} accepts. */
export const PAD_MODES: readonly PadMode[] = Object.freeze(['reflect', 'constant', 'symmetric'] as PadMode[]);

/** Options of {@link pad}. */
export interface PadOptions {
  /** Border mode. Default `'reflect'` (Lucid's default `"REFLECT"`). */
  mode?: PadMode;
  /**
   * Border value for `mode: 'constant'`: a number, or `'uniform'` for one value drawn uniformly from
   * [0, 1) per call (shared by the whole batch and all channels, as Lucid). Default 0.5.
   */
  constantValue?: number | 'uniform';
}

/**
 * Pads the image by `w` pixels on each side of its height and width: `[N, H + 2w, W + 2w, C]`.
 *
 * Why: padding before the random jitter/scale/rotate transforms lets the content move across the
 * border instead of being cut off, and a constant grey (0.5) border is what Lucid's standard
 * transforms use so that the network sees a neutral surround.
 *
 * `'reflect'` mirrors without repeating the edge pixel (needs `w < H` and `w < W`), `'symmetric'`
 * repeats it (needs `w <= H`, `w <= W`), `'constant'` fills with `constantValue`. Gradients of the
 * mirror modes include the mirrored border pixels (tfjs's own `mirrorPad` gradient drops them).
 *
 * Port of `lucid.optvis.transform.pad`; difference: mode names are lower case.
 *
 * @example
 * ```ts
 * const out = pad(12, { mode: 'constant', constantValue: 0.5 })(tf.zeros([1, 32, 32, 3]), new Rng(0)); // [1, 56, 56, 3]
 * ```
 * @param w pixels added on each side (a non-negative integer).
 * @param options `mode` (default `'reflect'`) and `constantValue` (default 0.5).
 * @returns a {@link Transform}; its output is a new tensor owned by the caller.
 */
export function pad(w: number, options: PadOptions = {}): Transform {
  const fn = 'transform.pad';
  checkNonNegative(fn, 'w', w, true);
  checkOptions(fn, options, ['mode', 'constantValue']);
  const mode = checkOneOf(fn, 'mode', options.mode ?? 'reflect', PAD_MODES);
  const constantValue = options.constantValue ?? 0.5;
  if (constantValue !== 'uniform' && (typeof constantValue !== 'number' || !Number.isFinite(constantValue))) {
    fail(fn, `constantValue must be a finite number or 'uniform', but got ${show(constantValue)}.`);
  }
  return (image, rng) => {
    const [, h, wd] = checkImage(fn, image);
    checkRng(fn, rng);
    if (mode === 'constant') {
      const value = constantValue === 'uniform' ? rng.next() : constantValue;
      return tf.pad(image, [[0, 0], [w, w], [w, w], [0, 0]], value);
    }
    const limit = mode === 'reflect' ? 1 : 0;
    if (h - limit < w || wd - limit < w) {
      const need = mode === 'reflect' ? `greater than w = ${w}` : `at least w = ${w}`;
      fail(fn, `image height and width must be ${need} for mode '${mode}', but got ${h}x${wd}.`);
    }
    return mirrorPad(image, [[0, 0], [w, w], [w, w], [0, 0]], mode);
  };
}

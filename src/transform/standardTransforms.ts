import { jitter } from './jitter';
import { pad } from './pad';
import { randomRotate } from './randomRotate';
import { randomScale } from './randomScale';
import type { Transform } from './types';

/** Scales of Lucid's standard transforms: `1 + (i - 5) / 50` for `i = 0..10`, i.e. 0.9, 0.92, …, 1.1. */
export const STANDARD_SCALES: readonly number[] = Object.freeze(Array.from({ length: 11 }, (_, i) => 1 + (i - 5) / 50));

/** Angles (degrees) of Lucid's standard transforms: −10..10 plus five extra 0s (0° has weight 6/26). */
export const STANDARD_ANGLES: readonly number[] = Object.freeze([...Array.from({ length: 21 }, (_, i) => i - 10), 0, 0, 0, 0, 0]);

/** Padding of Lucid's standard transforms (constant 0.5). */
export const STANDARD_PAD = 12;

/** First jitter of Lucid's standard transforms. */
export const STANDARD_JITTER = 8;

/** Last jitter of Lucid's standard transforms. */
export const STANDARD_FINAL_JITTER = 4;

/**
 * Lucid's default transformation-robustness pipeline, as a fresh list each call:
 * `pad(12, constant 0.5)`, `jitter(8)`, `randomScale(0.9..1.1)`, `randomRotate(−10..10°, extra 0s)`, `jitter(4)`.
 *
 * Why: "Feature Visualization" (Olah et al. 2017) shows that optimizing through these small random
 * transformations removes most high-frequency adversarial patterns. The net size change is
 * `floor(s·(H + 16)) − 4` per side length (e.g. 128 → 140 at scale 1).
 *
 * A fresh array is returned so callers can extend it (`[...standardTransforms(), myTransform]`)
 * or edit it without affecting anyone else.
 *
 * Port of `lucid.optvis.transform.standard_transforms` (a module-level list in Lucid).
 *
 * @example
 * ```ts
 * const out = compose(standardTransforms())(tf.zeros([1, 64, 64, 3]), new Rng(0));
 * ```
 * @returns a new array of five {@link Transform}s.
 */
export function standardTransforms(): Transform[] {
  return [
    pad(STANDARD_PAD, { mode: 'constant', constantValue: 0.5 }),
    jitter(STANDARD_JITTER),
    randomScale(STANDARD_SCALES),
    randomRotate(STANDARD_ANGLES),
    jitter(STANDARD_FINAL_JITTER),
  ];
}

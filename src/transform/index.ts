/**
 * Random transforms that make feature visualizations robust (Lucid's `lucid.optvis.transform`).
 *
 * A {@link Transform} is `(image, rng) => image`; factories validate their arguments eagerly and
 * draw every random choice from the seeded `rng`, so a seeded run is reproducible.
 * `standardTransforms()` is Lucid's default pipeline; `compose` chains transforms.
 *
 * Port of `lucid.optvis.transform`.
 *
 * @packageDocumentation
 */
export type { Transform } from './types';
export { jitter } from './jitter';
export { pad, PAD_MODES } from './pad';
export type { PadMode, PadOptions } from './pad';
export { randomScale, scaledSize, resizeBilinearTf1 } from './randomScale';
export { randomRotate, rotate, ANGLE_UNITS } from './randomRotate';
export type { AngleUnits, RandomRotateOptions } from './randomRotate';
export { compose } from './compose';
export {
  standardTransforms,
  STANDARD_SCALES,
  STANDARD_ANGLES,
  STANDARD_PAD,
  STANDARD_JITTER,
  STANDARD_FINAL_JITTER,
} from './standardTransforms';
export { cropOrPadTo } from './cropOrPadTo';
export { normalizeGradient } from './normalizeGradient';
export type { NormalizeGradientOptions } from './normalizeGradient';
export { collapseAlphaRandom } from './collapseAlphaRandom';
export type { CollapseAlphaRandomOptions } from './collapseAlphaRandom';

/**
 * Image parameterizations: how the optimized image is built from trainable variables
 * (Lucid's `lucid.optvis.param`).
 *
 * A {@link Param} owns its `tf.Variable`s, builds its tensor on every `image()` call (values in
 * [0, 1], NHWC) and frees everything in `dispose()`. `image(w)` is Lucid's default: a decorrelated,
 * 1/f-scaled Fourier image through a sigmoid; `fftImage`, `pixelImage`, `lowresTensor`,
 * `laplacianPyramid`, `cppn`, `imageSample` and `custom` are the building blocks.
 *
 * @example
 * ```ts
 * const p = param.image(128, { batch: 2, alpha: true, seed: 0 });
 * const img = p.image(); // [2, 128, 128, 4], caller owns it
 * img.dispose();
 * p.dispose();
 * ```
 * @module
 */
export type { Param, ParamOutputs } from './types';
export { rfft2dFreqs, pixelImage, fftImage } from './spatial';
export type { PixelImageOptions, FftImageOptions } from './spatial';
export {
  toValidRgb,
  COLOR_CORRELATION_SVD_SQRT,
  COLOR_CORRELATION_NORMALIZED,
  MAX_NORM_SVD_SQRT,
  COLOR_MEAN,
} from './color';
export type { ToValidRgbOptions } from './color';
export { image, grayscaleImage, imageFromPixels } from './images';
export type { ImageOptions, GrayscaleImageOptions, ImageFromPixelsOptions } from './images';
export { imageSample } from './random';
export type { ImageSampleOptions } from './random';
export { lowresTensor, laplacianPyramid } from './lowres';
export type { LowresOffset, LowresTensorOptions, LaplacianPyramidOptions } from './lowres';
export { cppn } from './cppn';
export type { CppnActivation, CppnOptions } from './cppn';
export { custom } from './custom';
export type { PartImages } from './custom';

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

/**
 * Images in and out: PNG bytes, browser canvases and layouts of several images. Browser-safe;
 * file helpers (`writePng`, `readImage`) live in `tfjs-optvis/node`.
 *
 * @packageDocumentation
 */
export type { ImageArray } from './types';
export { toPng, fromPng } from './png';
export type { ToPngOptions, FromPngOptions } from './png';
export { toImageData, drawToCanvas } from './canvas';
export type { CanvasOptions } from './canvas';
export { hstack, vstack, grid } from './stack';
export type { StackOptions, GridOptions } from './stack';

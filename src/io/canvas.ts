import type * as tf from '@tensorflow/tfjs-core';
import { fail, show } from '../errors';
import { checkOptions } from '../validate';
import { imageAt } from './image';
import { to8bit } from './png';
import type { ImageArray } from './types';

/** Options of {@link toImageData} and {@link drawToCanvas}. */
export interface CanvasOptions {
  /** Which image of a batch to use (negative counts from the end). Default `0`. */
  readonly index?: number;
}

/**
 * Converts an image to a browser `ImageData` (RGBA, 8-bit), ready for `putImageData`.
 *
 * Values are clipped to [0, 1] and rounded like {@link toPng}; grey is repeated into RGB and a
 * missing alpha channel becomes opaque. Where `ImageData` does not exist (Node, workers without
 * it) a plain object with the same fields (`width`, `height`, `data`, `colorSpace`) is returned.
 *
 * @example
 * ```ts
 * const data = io.toImageData(result.images); // result of render.renderVis
 * canvas.getContext('2d')!.putImageData(data, 0, 0);
 * ```
 * @param image `ImageArray` or tensor, `[b, h, w, c]` or `[h, w, c]`, c ∈ {1, 3, 4}, values in [0, 1]
 *   (a tensor is read, not disposed).
 * @param options `{ index = 0 }`.
 */
export function toImageData(image: ImageArray | tf.Tensor, options: CanvasOptions = {}): ImageData {
  const o = checkOptions('io.toImageData', options, ['index']);
  const view = imageAt('io.toImageData', 'image', image, o.index ?? 0);
  const n = view.width * view.height;
  const rgba = new Uint8ClampedArray(n * 4);
  const c = view.channels;
  for (let i = 0; i < n; i++) {
    const s = i * c;
    if (c === 1) {
      rgba[4 * i] = rgba[4 * i + 1] = rgba[4 * i + 2] = to8bit(view.data[s]);
    } else {
      rgba[4 * i] = to8bit(view.data[s]);
      rgba[4 * i + 1] = to8bit(view.data[s + 1]);
      rgba[4 * i + 2] = to8bit(view.data[s + 2]);
    }
    rgba[4 * i + 3] = c === 4 ? to8bit(view.data[s + 3]) : 255;
  }
  const Ctor = (globalThis as { ImageData?: typeof ImageData }).ImageData;
  if (typeof Ctor === 'function') return new Ctor(rgba, view.width, view.height);
  return { width: view.width, height: view.height, data: rgba, colorSpace: 'srgb' } as ImageData;
}

/**
 * Draws an image on a canvas, resizing the canvas to the image (1 image pixel = 1 canvas pixel;
 * scale it up with CSS, e.g. `image-rendering: pixelated`).
 *
 * @example
 * ```ts
 * io.drawToCanvas(result.images, document.querySelector('canvas')!);
 * ```
 * @param image `ImageArray` or tensor (read, not disposed), values in [0, 1].
 * @param canvas an `HTMLCanvasElement` or `OffscreenCanvas`.
 * @param options `{ index = 0 }`.
 */
export function drawToCanvas(
  image: ImageArray | tf.Tensor,
  canvas: HTMLCanvasElement | OffscreenCanvas,
  options: CanvasOptions = {},
): void {
  const fn = 'io.drawToCanvas';
  checkOptions(fn, options, ['index']);
  if (canvas === null || typeof canvas !== 'object' || typeof (canvas as HTMLCanvasElement).getContext !== 'function') {
    fail(fn, `canvas must be an HTMLCanvasElement or OffscreenCanvas, but got ${show(canvas)}.`);
  }
  const data = toImageData(image, options);
  const ctx = canvas.getContext('2d') as CanvasRenderingContext2D | OffscreenCanvasRenderingContext2D | null;
  if (ctx === null) fail(fn, `canvas must provide a 2d context, but got null from getContext('2d').`);
  canvas.width = data.width;
  canvas.height = data.height;
  ctx.putImageData(data, 0, 0);
}

import type * as tf from '@tensorflow/tfjs-core';
import { decode, encode } from 'fast-png';
import { fail, show } from '../errors';
import { checkOptions } from '../validate';
import { DEFAULT_MAX_PIXELS, checkPixelCount, imageAt, imageHeader } from './image';
import type { ImageArray } from './types';

/** Options of {@link toPng}. */
export interface ToPngOptions {
  /** Which image of a batch to encode (negative counts from the end). Default `0`. */
  readonly index?: number;
}

/**
 * Encodes an image as PNG bytes.
 *
 * Values are clipped to [0, 1], scaled by 255 and rounded to 8-bit; 1 channel gives a grey PNG,
 * 3 an RGB one, 4 an RGBA one (the alpha channel of a transparent render is kept).
 * The tensor, when one is given, is read but not disposed (the caller still owns it).
 *
 * Lucid shows and saves images through `lucid.misc.io.show`/`save` (PIL, clipping to [0, 1]);
 * this is the same conversion without PIL.
 *
 * @example
 * ```ts
 * const png = io.toPng({ shape: [1, 2, 2, 3], data: new Float32Array(12).fill(0.5) });
 * // png is a Uint8Array starting with the PNG signature 137 80 78 71
 * ```
 * @param image `ImageArray` or tensor, NHWC `[b, h, w, c]` or HWC `[h, w, c]`, c ∈ {1, 3, 4}, values in [0, 1].
 * @param options `{ index }`: the batch element to encode (default 0).
 * @returns PNG file bytes.
 */
export function toPng(image: ImageArray | tf.Tensor, options: ToPngOptions = {}): Uint8Array {
  return encodePng('io.toPng', image, options);
}

/** {@link toPng} reporting errors under `fn` (e.g. the Node `writePng`). @internal */
export function encodePng(fn: string, image: ImageArray | tf.Tensor, options: ToPngOptions = {}): Uint8Array {
  const view = imageAt(fn, 'image', image, checkOptions(fn, options, ['index']).index ?? 0);
  const bytes = new Uint8Array(view.data.length);
  for (let i = 0; i < bytes.length; i++) bytes[i] = to8bit(view.data[i]);
  return encode({ width: view.width, height: view.height, data: bytes, channels: view.channels, depth: 8 });
}

/** [0, 1] → 0..255, clipped and rounded; NaN becomes 0. @internal */
export function to8bit(v: number): number {
  if (!(v > 0)) return 0;
  if (v >= 1) return 255;
  return Math.round(v * 255);
}

/** Options of {@link fromPng}. */
export interface FromPngOptions {
  /**
   * Largest image accepted, in pixels (width × height), checked from the PNG header before
   * decoding. Default 40,000,000.
   */
  readonly maxPixels?: number;
}

/**
 * Decodes PNG bytes into an {@link ImageArray} of shape `[h, w, c]` with values in [0, 1].
 *
 * Grey PNGs give c = 1, RGB c = 3, RGBA c = 4; grey+alpha becomes RGBA and palette PNGs are expanded
 * to RGB(A). 16-bit PNGs are scaled by 1/65535, 8-bit ones by 1/255, so `fromPng(toPng(x))` returns
 * `round(255·clip(x))/255` exactly.
 *
 * @example
 * ```ts
 * const img = io.fromPng(io.toPng({ shape: [2, 2, 3], data: new Float32Array(12) }));
 * img.shape; // [2, 2, 3]
 * ```
 * The image size is read from the header first: an image of more than `maxPixels` pixels is
 * refused before anything is allocated for it.
 *
 * @param bytes the PNG file's bytes.
 * @param options `{ maxPixels = 40_000_000 }`.
 * @returns a new `ImageArray` (plain numbers, nothing to dispose).
 */
export function fromPng(bytes: Uint8Array | ArrayBuffer, options: FromPngOptions = {}): ImageArray {
  const fn = 'io.fromPng';
  if (!(bytes instanceof Uint8Array) && !(bytes instanceof ArrayBuffer)) {
    fail(fn, `bytes must be a Uint8Array or ArrayBuffer, but got ${show(bytes)}.`);
  }
  const u8 = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  const signature = [137, 80, 78, 71, 13, 10, 26, 10];
  if (u8.length < 8 || signature.some((b, i) => u8[i] !== b)) {
    fail(fn, `bytes must be a PNG file (starting with the PNG signature), but got ${u8.length} bytes without it.`);
  }
  if (options === null || typeof options !== 'object') fail(fn, `options must be an object, but got ${show(options)}.`);
  const maxPixels = options.maxPixels ?? DEFAULT_MAX_PIXELS;
  if (typeof maxPixels !== 'number' || !Number.isSafeInteger(maxPixels) || maxPixels < 1) {
    fail(fn, `options.maxPixels must be a positive integer, but got ${show(maxPixels)}.`);
  }
  const header = imageHeader(u8);
  if (header && header.width > 0 && header.height > 0) checkPixelCount(fn, 'the PNG', header, maxPixels, 'options.maxPixels');
  let png: ReturnType<typeof decode>;
  try {
    png = decode(u8);
  } catch (e) {
    return fail(fn, `bytes must be a valid PNG file, but decoding failed: ${(e as Error).message}.`);
  }
  const { width, height } = png;
  const n = width * height;
  if (png.palette) {
    const hasAlpha = png.palette.some((p) => p.length === 4 && p[3] !== 255);
    const c = hasAlpha ? 4 : 3;
    const out = new Float32Array(n * c);
    const src = png.data;
    const depth = png.depth;
    const perByte = 8 / depth;
    const rowBytes = Math.ceil((width * depth) / 8);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        let idx: number;
        if (depth === 8) idx = src[y * width + x];
        else {
          const byte = src[y * rowBytes + Math.floor(x / perByte)];
          const shift = 8 - depth * ((x % perByte) + 1);
          idx = (byte >> shift) & ((1 << depth) - 1);
        }
        const p = png.palette[idx] ?? [0, 0, 0, 255];
        const o = (y * width + x) * c;
        for (let k = 0; k < c; k++) out[o + k] = (k < 3 ? p[k] : (p[3] ?? 255)) / 255;
      }
    }
    return { shape: [height, width, c], data: out };
  }
  const scale = png.depth === 16 ? 65535 : (1 << png.depth) - 1;
  const inC = png.channels;
  if (png.depth < 8) {
    // Sub-byte grey: unpack the bits of each row.
    const out = new Float32Array(n);
    const perByte = 8 / png.depth;
    const rowBytes = Math.ceil((width * png.depth) / 8);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const byte = png.data[y * rowBytes + Math.floor(x / perByte)];
        const shift = 8 - png.depth * ((x % perByte) + 1);
        out[y * width + x] = ((byte >> shift) & scale) / scale;
      }
    }
    return { shape: [height, width, 1], data: out };
  }
  const outC = inC === 2 ? 4 : inC;
  const out = new Float32Array(n * outC);
  const src = png.data;
  for (let i = 0; i < n; i++) {
    if (inC === 2) {
      const g = src[2 * i] / scale;
      out[4 * i] = g;
      out[4 * i + 1] = g;
      out[4 * i + 2] = g;
      out[4 * i + 3] = src[2 * i + 1] / scale;
    } else {
      for (let k = 0; k < inC; k++) out[i * inC + k] = src[i * inC + k] / scale;
    }
  }
  return { shape: [height, width, outC], data: out };
}

import type * as tf from '@tensorflow/tfjs-core';
import { fail, show } from '../errors';
import { checkNonNegative, checkOptions, checkPositive } from '../validate';
import { describeImage, type ImageView } from './image';
import type { ImageArray } from './types';

/** Options shared by {@link hstack}, {@link vstack} and {@link grid}. */
export interface StackOptions {
  /** Pixels between neighbouring images (not around the border). Default `0`. */
  readonly padding?: number;
  /**
   * Background colour in [0, 1]: `[v]` (grey), `[r, g, b]`, or `[r, g, b, a]`. When given, images
   * with an alpha channel are composited over it (`a·rgb + (1 − a)·background`) and the result is
   * RGB; padding and empty cells are filled with it. When omitted, alpha is kept and padding is
   * white (transparent for RGBA).
   */
  readonly background?: readonly number[];
}

const STACK_KEYS = ['padding', 'background'] as const;

/** Options of {@link grid}. */
export interface GridOptions extends StackOptions {
  /** Images per row. Default `ceil(sqrt(n))`. */
  readonly columns?: number;
}

/**
 * Places images side by side, left to right (like `np.hstack` of HWC images in Lucid notebooks).
 *
 * Every input image is one tile; a batch `[b, h, w, c]` contributes its `b` images in order.
 * Heights must match. Grey, RGB and RGBA inputs can be mixed: all are promoted to the largest
 * channel count (grey → RGB by repetition, missing alpha = 1).
 *
 * @example
 * ```ts
 * const a = { shape: [2, 2, 3], data: new Float32Array(12).fill(0) };
 * const b = { shape: [2, 3, 3], data: new Float32Array(18).fill(1) };
 * io.hstack([a, b]).shape; // [2, 5, 3]
 * ```
 * @param images images or batches (`ImageArray` or tensors, which are read, not disposed).
 * @param options `{ padding = 0, background }`.
 * @returns a new HWC `ImageArray`.
 */
export function hstack(images: readonly (ImageArray | tf.Tensor)[], options: StackOptions = {}): ImageArray {
  return line('io.hstack', images, options, 'height');
}

/**
 * Places images one below the other (like `np.vstack` of HWC images). Widths must match.
 * See {@link hstack} for batches and channel promotion.
 *
 * @example
 * ```ts
 * const a = { shape: [2, 2, 3], data: new Float32Array(12) };
 * io.vstack([a, a], { padding: 1 }).shape; // [5, 2, 3]
 * ```
 * @param images images or batches (`ImageArray` or tensors, read, not disposed).
 * @param options `{ padding = 0, background }`.
 * @returns a new HWC `ImageArray`.
 */
export function vstack(images: readonly (ImageArray | tf.Tensor)[], options: StackOptions = {}): ImageArray {
  return line('io.vstack', images, options, 'width');
}

/** One row (`hstack`: equal heights) or one column (`vstack`: equal widths) of images. */
function line(fn: string, images: readonly (ImageArray | tf.Tensor)[], options: StackOptions, same: 'height' | 'width'): ImageArray {
  checkOptions(fn, options, STACK_KEYS);
  const views = unpack(fn, images);
  const size = views[0][same];
  views.forEach((v, i) => {
    if (v[same] !== size) fail(fn, `images must all have the same ${same}, but got ${size} (image 0) and ${v[same]} (image ${i}).`);
  });
  return layout(fn, views, same === 'height' ? views.length : 1, options);
}

/**
 * Lays images out in rows of `columns`, filling rows left to right (Lucid notebooks show channel
 * sweeps this way). Each column is as wide as its widest image and each row as tall as its tallest;
 * smaller images sit at the top-left of their cell and the rest is background.
 *
 * @example
 * ```ts
 * const tile = { shape: [8, 8, 3], data: new Float32Array(192).fill(0.5) };
 * io.grid([tile, tile, tile], { columns: 2, padding: 2, background: [1, 1, 1] }).shape; // [18, 18, 3]
 * ```
 * @param images images or batches (`ImageArray` or tensors, read, not disposed).
 * @param options `{ columns = ceil(sqrt(n)), padding = 0, background }`.
 * @returns a new HWC `ImageArray`.
 */
export function grid(images: readonly (ImageArray | tf.Tensor)[], options: GridOptions = {}): ImageArray {
  const views = unpack('io.grid', images);
  checkOptions('io.grid', options, [...STACK_KEYS, 'columns']);
  const columns = options.columns === undefined ? Math.ceil(Math.sqrt(views.length)) : checkPositive('io.grid', 'columns', options.columns);
  return layout('io.grid', views, Math.min(columns, views.length), options);
}

function unpack(fn: string, images: readonly (ImageArray | tf.Tensor)[]): ImageView[] {
  if (!Array.isArray(images) || images.length === 0) {
    fail(fn, `images must be a non-empty array of images, but got ${show(images)}.`);
  }
  const views: ImageView[] = [];
  images.forEach((img, i) => {
    const d = describeImage(fn, `images[${i}]`, img);
    const size = d.height * d.width * d.channels;
    for (let b = 0; b < d.batch; b++) {
      views.push({ height: d.height, width: d.width, channels: d.channels, data: d.data.subarray(b * size, (b + 1) * size) });
    }
  });
  return views;
}

function layout(fn: string, views: ImageView[], columns: number, options: StackOptions): ImageArray {
  const padding = checkNonNegative(fn, 'padding', options.padding ?? 0, true);
  const inC = Math.max(...views.map((v) => (v.channels === 1 ? 1 : v.channels)));
  const bg = options.background;
  if (bg !== undefined) {
    if (!Array.isArray(bg) || ![1, 3, 4].includes(bg.length) || bg.some((x) => typeof x !== 'number' || !(x >= 0 && x <= 1))) {
      fail(fn, `background must be an array of 1, 3 or 4 numbers in [0, 1], but got ${show(bg)}.`);
    }
  }
  // Output channels: alpha is flattened away when a background is given.
  const outC = bg !== undefined && inC === 4 ? (bg.length === 4 ? 4 : 3) : inC === 1 && bg !== undefined && bg.length > 1 ? bg.length : inC;
  const fill = backgroundPixel(bg, outC);
  const rows = Math.ceil(views.length / columns);
  const colW = new Array<number>(columns).fill(0);
  const rowH = new Array<number>(rows).fill(0);
  views.forEach((v, i) => {
    colW[i % columns] = Math.max(colW[i % columns], v.width);
    rowH[Math.floor(i / columns)] = Math.max(rowH[Math.floor(i / columns)], v.height);
  });
  const W = colW.reduce((s, x) => s + x, 0) + padding * (columns - 1);
  const H = rowH.reduce((s, x) => s + x, 0) + padding * (rows - 1);
  const out = new Float32Array(H * W * outC);
  for (let p = 0; p < H * W; p++) out.set(fill, p * outC);
  const colX = prefix(colW, padding);
  const rowY = prefix(rowH, padding);
  const px = new Float32Array(4);
  views.forEach((v, i) => {
    const x0 = colX[i % columns];
    const y0 = rowY[Math.floor(i / columns)];
    for (let y = 0; y < v.height; y++) {
      for (let x = 0; x < v.width; x++) {
        rgba(v, (y * v.width + x) * v.channels, px);
        const o = ((y0 + y) * W + x0 + x) * outC;
        writePixel(px, out, o, outC, bg, fill);
      }
    }
  });
  return { shape: [H, W, outC], data: out };
}

function prefix(sizes: number[], padding: number): number[] {
  const starts: number[] = [];
  let s = 0;
  for (const x of sizes) {
    starts.push(s);
    s += x + padding;
  }
  return starts;
}

/** Reads pixel `o` of `v` as RGBA (grey repeated, missing alpha = 1). */
function rgba(v: ImageView, o: number, px: Float32Array): void {
  const d = v.data;
  if (v.channels === 1) {
    px[0] = px[1] = px[2] = d[o];
    px[3] = 1;
  } else {
    px[0] = d[o];
    px[1] = d[o + 1];
    px[2] = d[o + 2];
    px[3] = v.channels === 4 ? d[o + 3] : 1;
  }
}

function writePixel(px: Float32Array, out: Float32Array, o: number, outC: number, bg: readonly number[] | undefined, fill: Float32Array): void {
  if (bg !== undefined && px[3] < 1) {
    // "over" compositing onto the background colour.
    const a = Math.min(Math.max(px[3], 0), 1);
    const bgA = outC === 4 ? fill[3] : 1;
    const outA = a + bgA * (1 - a);
    for (let k = 0; k < Math.min(outC, 3); k++) {
      const bk = outC === 1 ? fill[0] : fill[k];
      out[o + k] = outA > 0 ? (px[k] * a + bk * bgA * (1 - a)) / outA : 0;
    }
    if (outC === 4) out[o + 3] = outA;
    return;
  }
  if (outC === 1) out[o] = px[0];
  else {
    out[o] = px[0];
    out[o + 1] = px[1];
    out[o + 2] = px[2];
    if (outC === 4) out[o + 3] = px[3];
  }
}

function backgroundPixel(bg: readonly number[] | undefined, outC: number): Float32Array {
  const px = new Float32Array(outC);
  if (bg === undefined) {
    px.fill(1);
    if (outC === 4) px[3] = 0;
    return px;
  }
  const rgb = bg.length === 1 ? [bg[0], bg[0], bg[0]] : bg.slice(0, 3);
  if (outC === 1) px[0] = bg[0];
  else {
    px.set(rgb.slice(0, 3));
    if (outC === 4) px[3] = bg.length === 4 ? bg[3] : 1;
  }
  return px;
}

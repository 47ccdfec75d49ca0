import * as tf from '@tensorflow/tfjs-core';
import { fail, show } from '../errors';
import type { ImageArray } from './types';

/** One image of a batch, unpacked: `h × w × c` values in row-major HWC order. */
export interface ImageView {
  readonly height: number;
  readonly width: number;
  readonly channels: number;
  readonly data: Float32Array;
}

const CHANNELS = [1, 3, 4];

/**
 * Checks an {@link ImageArray} or tensor and returns its batch size and image size.
 * @internal
 */
export function describeImage(
  fn: string,
  name: string,
  image: ImageArray | tf.Tensor,
): { batch: number; height: number; width: number; channels: number; data: Float32Array } {
  let shape: readonly number[];
  let data: Float32Array;
  if (image instanceof tf.Tensor) {
    if (image.isDisposed) fail(fn, `${name} must be a live tensor, but got a disposed tensor.`);
    shape = image.shape;
    const values = image.dataSync();
    data = values instanceof Float32Array ? values : Float32Array.from(values as ArrayLike<number>);
  } else if (image !== null && typeof image === 'object' && Array.isArray(image.shape) && image.data instanceof Float32Array) {
    shape = image.shape;
    data = image.data;
  } else {
    return fail(fn, `${name} must be an ImageArray ({shape, data: Float32Array}) or a tf.Tensor, but got ${show(image)}.`);
  }
  if (shape.length !== 3 && shape.length !== 4) {
    fail(fn, `${name} must have shape [h, w, c] or [b, h, w, c], but got shape ${show([...shape])}.`);
  }
  const [batch, height, width, channels] = shape.length === 4 ? shape : [1, ...shape];
  if (!CHANNELS.includes(channels)) {
    fail(fn, `${name} must have 1, 3 or 4 channels, but got shape ${show([...shape])}.`);
  }
  if (!(batch > 0 && height > 0 && width > 0)) {
    fail(fn, `${name} must not be empty, but got shape ${show([...shape])}.`);
  }
  if (data.length !== batch * height * width * channels) {
    fail(fn, `${name}.data must hold ${batch * height * width * channels} values for shape ${show([...shape])}, but got ${data.length}.`);
  }
  return { batch, height, width, channels, data };
}

/**
 * Picks image `index` of a batch (an HWC image is a batch of one); negative indices count from the end.
 * @internal
 */
export function imageAt(fn: string, name: string, image: ImageArray | tf.Tensor, index = 0): ImageView {
  const d = describeImage(fn, name, image);
  if (!Number.isInteger(index) || index >= d.batch || index < -d.batch) {
    fail(fn, `index must be an integer in [${-d.batch}, ${d.batch - 1}] (batch of ${d.batch}), but got ${show(index)}.`);
  }
  const i = index < 0 ? d.batch + index : index;
  const size = d.height * d.width * d.channels;
  return { height: d.height, width: d.width, channels: d.channels, data: d.data.subarray(i * size, (i + 1) * size) };
}

/**
 * Default largest image `readImage` / `fromPng` decode: 40 megapixels (e.g. 8000 × 5000), at most
 * 640 MB as float32 RGBA.
 * @internal
 */
export const DEFAULT_MAX_PIXELS = 40_000_000;

/** `1.6 GB`, `640 MB`, `12 kB`: a byte count for messages (powers of 1000). @internal */
export function formatBytes(n: number): string {
  const units = ['bytes', 'kB', 'MB', 'GB', 'TB', 'PB', 'EB'];
  let v = n;
  let u = 0;
  while (v >= 1000 && u < units.length - 1) {
    v /= 1000;
    u++;
  }
  return u === 0 ? `${Math.round(v)} bytes` : `${v >= 100 ? Math.round(v) : v.toPrecision(2)} ${units[u]}`;
}

/** What an image file's header says, read without decoding. @internal */
export interface ImageHeader {
  readonly format: 'png' | 'jpeg';
  readonly width: number;
  readonly height: number;
  /** Channels of the decoded image (as returned by `fromPng` / `readImage`). */
  readonly channels: number;
  /** Bytes per decoded sample before conversion to float (1, or 2 for 16-bit PNGs). */
  readonly sampleBytes: number;
  /**
   * Fewest bytes a complete file of this size can have (Huffman-coded JPEGs spend at least one bit
   * per 8×8 block); undefined when there is no such bound.
   */
  readonly minBytes?: number;
}

const PNG_SIGNATURE = [137, 80, 78, 71, 13, 10, 26, 10];

/**
 * Reads the image size from PNG (IHDR) or JPEG (SOF marker) bytes; null when the bytes are neither.
 * Width and height are 0 when the header is missing or cut short.
 * @internal
 */
export function imageHeader(bytes: Uint8Array): ImageHeader | null {
  const u32 = (o: number): number => ((bytes[o] << 24) >>> 0) + (bytes[o + 1] << 16) + (bytes[o + 2] << 8) + bytes[o + 3];
  const u16 = (o: number): number => (bytes[o] << 8) + bytes[o + 1];
  if (bytes.length >= 8 && PNG_SIGNATURE.every((b, i) => bytes[i] === b)) {
    const ok = bytes.length >= 26 && String.fromCharCode(bytes[12], bytes[13], bytes[14], bytes[15]) === 'IHDR';
    if (!ok) return { format: 'png', width: 0, height: 0, channels: 4, sampleBytes: 1 };
    const depth = bytes[24];
    const colorType = bytes[25];
    const channels = colorType === 0 ? 1 : colorType === 2 ? 3 : 4;
    return { format: 'png', width: u32(16), height: u32(20), channels, sampleBytes: depth === 16 ? 2 : 1 };
  }
  if (bytes.length >= 2 && bytes[0] === 0xff && bytes[1] === 0xd8) {
    let o = 2;
    for (let segments = 0; segments < 100_000 && o + 4 <= bytes.length; segments++) {
      if (bytes[o] !== 0xff) break;
      let m = bytes[o + 1];
      while (m === 0xff && o + 2 < bytes.length) m = bytes[++o + 1]; // fill bytes
      o += 2;
      if (m === 0xd8 || m === 0x01 || (m >= 0xd0 && m <= 0xd7)) continue; // markers without a length
      if (m === 0xd9 || m === 0xda || o + 2 > bytes.length) break; // end of image / start of scan before a frame header
      const len = u16(o);
      const isSof = m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc;
      if (isSof && o + 7 <= bytes.length) {
        const height = u16(o + 3);
        const width = u16(o + 5);
        const huffman = m <= 0xc3; // SOF0–SOF3; arithmetic coding can spend less than a bit per block
        const blocks = Math.ceil(width / 8) * Math.ceil(height / 8);
        return { format: 'jpeg', width, height, channels: 3, sampleBytes: 1, minBytes: huffman ? Math.ceil(blocks / 8) : undefined };
      }
      if (len < 2) break;
      o += len;
    }
    return { format: 'jpeg', width: 0, height: 0, channels: 3, sampleBytes: 1 };
  }
  return null;
}

/**
 * Fails unless `width × height ≤ maxPixels`; the message says how much memory decoding would need.
 * @internal
 */
export function checkPixelCount(fn: string, what: string, header: Pick<ImageHeader, 'width' | 'height' | 'channels' | 'sampleBytes'>, maxPixels: number, option: string): void {
  const n = header.width * header.height;
  if (n <= maxPixels) return;
  const need = n * header.channels * (4 + header.sampleBytes);
  fail(
    fn,
    `the image must have at most ${maxPixels} pixels (${option}), but ${what} is ${header.width}×${header.height} = ${n} pixels, which needs about ${formatBytes(need)} to decode; pass a larger ${option} to read it.`,
  );
}

import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type * as tf from '@tensorflow/tfjs-core';
import jpeg from 'jpeg-js';
import { fail, show } from '../../errors';
import { fromPng, toPng, type ToPngOptions } from '../png';
import type { ImageArray } from '../types';

/**
 * Writes an image as a PNG file, atomically: the bytes go to a temporary file beside `file`,
 * which is then renamed, so a failed write never leaves a partial PNG behind.
 *
 * @example
 * ```ts
 * import { io, render } from 'tfjs-optvis/node';
 * await writePng('neuron.png', result.images);
 * ```
 * @param file destination path (its directory must exist).
 * @param image `ImageArray` or tensor, `[b, h, w, c]` or `[h, w, c]`, values in [0, 1]
 *   (a tensor is read, not disposed).
 * @param options `{ index = 0 }`: the batch element to write.
 */
export async function writePng(file: string, image: ImageArray | tf.Tensor, options: ToPngOptions = {}): Promise<void> {
  const fn = 'writePng';
  if (typeof file !== 'string' || file.length === 0) fail(fn, `file must be a non-empty path, but got ${show(file)}.`);
  const bytes = toPng(image, options);
  await writeFileAtomic(fn, file, bytes);
}

/** Writes `bytes` to `file` through a temporary file and a rename. @internal */
export async function writeFileAtomic(fn: string, file: string, bytes: Uint8Array): Promise<void> {
  const dir = path.dirname(path.resolve(file));
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${Date.now()}.tmp`);
  try {
    await fs.writeFile(tmp, bytes);
    await fs.rename(tmp, file);
  } catch (e) {
    await fs.rm(tmp, { force: true }).catch(() => undefined);
    const err = e as NodeJS.ErrnoException;
    const reason = err.code === 'ENOENT' ? 'its directory does not exist' : err.code === 'EACCES' || err.code === 'EPERM' ? 'permission denied' : err.code === 'EISDIR' ? 'it is a directory' : err.message;
    fail(fn, `file must be a writable path, but got ${show(file)} (${reason}).`);
  }
}

/**
 * Reads a PNG or JPEG file into an {@link ImageArray} `[h, w, c]` with values in [0, 1]
 * (PNG: c = 1, 3 or 4 as stored; JPEG: c = 3). Useful for image-initialised parameterizations
 * and for checking renders.
 *
 * @example
 * ```ts
 * const photo = await readImage('dog.jpg');
 * photo.shape; // [576, 768, 3]
 * ```
 * @param file path of a `.png`, `.jpg` or `.jpeg` file (detected from its bytes, not its name).
 * @returns a new `ImageArray` (nothing to dispose).
 */
export async function readImage(file: string): Promise<ImageArray> {
  const fn = 'readImage';
  if (typeof file !== 'string' || file.length === 0) fail(fn, `file must be a non-empty path, but got ${show(file)}.`);
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await fs.readFile(file));
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    return fail(fn, `file must be a readable image file, but got ${show(file)} (${err.code === 'ENOENT' ? 'no such file' : err.message}).`);
  }
  if (bytes[0] === 137 && bytes[1] === 80 && bytes[2] === 78 && bytes[3] === 71) return fromPng(bytes);
  if (bytes[0] === 0xff && bytes[1] === 0xd8) {
    let decoded: { width: number; height: number; data: Uint8Array };
    try {
      decoded = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: false });
    } catch (e) {
      return fail(fn, `file must be a valid JPEG, but decoding ${show(file)} failed: ${(e as Error).message}.`);
    }
    const data = new Float32Array(decoded.width * decoded.height * 3);
    for (let i = 0; i < data.length; i++) data[i] = decoded.data[i] / 255;
    return { shape: [decoded.height, decoded.width, 3], data };
  }
  return fail(fn, `file must be a PNG or JPEG image, but got ${show(file)} (unknown format).`);
}

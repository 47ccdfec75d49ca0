import { randomBytes } from 'node:crypto';
import { promises as fs, constants as fsConstants, type Stats } from 'node:fs';
import * as path from 'node:path';
import type * as tf from '@tensorflow/tfjs-core';
import jpeg from 'jpeg-js';
import { OptvisError, fail, show } from '../../errors';
import { checkOptions } from '../../validate';
import { DEFAULT_MAX_PIXELS, checkPixelCount, formatBytes, imageHeader, imageAt } from '../image';
import { encodePng, fromPng, to8bit, type ToPngOptions } from '../png';
import type { ImageArray } from '../types';

/**
 * Writes an image as a PNG file, the way `cp` or a shell redirection (`>`) would, but atomically
 * for regular files:
 *
 * - a new or existing regular file is replaced by a rename from a temporary file beside it
 *   (created exclusively, with an unpredictable name and mode 0600 until it is complete), so a
 *   failed write never leaves a partial PNG behind; an existing file keeps its permission bits
 *   (and, when allowed, its owner). The rename gives the path a new inode: hard links to the old
 *   file keep the old contents.
 * - a symbolic link is followed: its target is replaced (or created, for a dangling link), the
 *   link itself stays.
 * - a FIFO, character device or other special file is opened and written into, never replaced.
 * - a directory, or a path ending with `/`, is refused.
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
  checkOutputName(fn, file);
  const bytes = encodePng(fn, image, options);
  await writeOutputFile(fn, file, bytes);
}

/** Rejects `file` values that cannot name a file (empty, trailing slash). */
function checkOutputName(fn: string, file: unknown): asserts file is string {
  if (typeof file !== 'string' || file.length === 0) fail(fn, `file must be a non-empty path, but got ${show(file)}.`);
  if (/[/\\]$/.test(file) || /(^|[/\\])\.{1,2}$/.test(file)) {
    fail(fn, `file must name a file, but got ${show(file)} (a path ending with "/" or "." names a directory).`);
  }
}

/**
 * Where writing `file` lands: a regular file to replace (or create) atomically, or a special file
 * (FIFO, device) to write into. @internal
 */
export interface OutputTarget {
  readonly kind: 'new' | 'regular' | 'special';
  /** The path written: symlinks resolved for `new`/`regular`, the path as given for `special`. */
  readonly path: string;
  readonly stat?: Stats;
}

function reasonOf(err: NodeJS.ErrnoException): string {
  switch (err.code) {
    case 'ENOENT':
      return 'its directory does not exist';
    case 'ENOTDIR':
      return 'a parent of it is not a directory';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EROFS':
      return 'read-only file system';
    case 'EISDIR':
      return 'it is a directory';
    case 'ELOOP':
      return 'too many levels of symbolic links';
    case 'ENOSPC':
      return 'no space left on the device';
    case 'ENXIO':
      return 'nothing can be written to it (a socket or a device without a reader)';
    default:
      return err.message;
  }
}

/**
 * Resolves and checks the destination of a write without writing anything: fails (with
 * `Error in <fn>`) when `file` is a directory, ends with `/`, or its directory is missing or not
 * writable. Used by the CLI before a long render. @internal
 */
export async function resolveOutput(fn: string, file: string): Promise<OutputTarget> {
  checkOutputName(fn, file);
  const bad = (reason: string): never => fail(fn, `file must be a writable path, but got ${show(file)} (${reason}).`);
  let st: Stats | null = null;
  try {
    st = await fs.stat(file); // follows symbolic links (including /proc/self/fd/N)
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code !== 'ENOENT') bad(reasonOf(err));
  }
  let target: OutputTarget;
  if (st?.isDirectory()) return fail(fn, `file must name a file, but ${show(file)} is a directory.`);
  if (st && !st.isFile()) {
    target = { kind: 'special', path: file, stat: st };
    try {
      await fs.access(file, fsConstants.W_OK);
    } catch (e) {
      bad(reasonOf(e as NodeJS.ErrnoException));
    }
    return target;
  }
  if (st) target = { kind: 'regular', path: await fs.realpath(file), stat: st };
  else target = { kind: 'new', path: await danglingTarget(fn, file) };
  try {
    await fs.access(path.dirname(target.path), fsConstants.W_OK);
  } catch (e) {
    bad(reasonOf(e as NodeJS.ErrnoException));
  }
  return target;
}

/** The path a write to a missing `file` creates: `file` itself, or where its (dangling) symlinks lead. */
async function danglingTarget(fn: string, file: string): Promise<string> {
  let p = path.resolve(file);
  for (let hops = 0; hops < 40; hops++) {
    let st: Stats;
    try {
      st = await fs.lstat(p);
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      if (err.code === 'ENOENT') return p;
      return fail(fn, `file must be a writable path, but got ${show(file)} (${reasonOf(err)}).`);
    }
    if (!st.isSymbolicLink()) return p; // appeared in the meantime: the rename replaces it
    p = path.resolve(path.dirname(p), await fs.readlink(p));
  }
  return fail(fn, `file must be a writable path, but got ${show(file)} (too many levels of symbolic links).`);
}

let cachedUmask: number | undefined;
/** The process umask (read once; `process.umask()` without argument is only doc-deprecated). */
function umask(): number {
  if (cachedUmask === undefined) {
    const m = process.umask(0o022);
    process.umask(m);
    cachedUmask = m;
  }
  return cachedUmask;
}

/**
 * Writes `bytes` to `file` like `cp`/shell redirection (see {@link writePng}): regular files are
 * replaced atomically through an exclusive temporary file, special files are written into. @internal
 */
export async function writeOutputFile(fn: string, file: string, bytes: Uint8Array): Promise<void> {
  const target = await resolveOutput(fn, file);
  if (target.kind === 'special') {
    let fh: fs.FileHandle | undefined;
    try {
      // No O_CREAT: if the special file vanished meanwhile, nothing is created in its place.
      fh = await fs.open(target.path, fsConstants.O_WRONLY | fsConstants.O_TRUNC | fsConstants.O_NOCTTY);
      let off = 0;
      while (off < bytes.length) {
        const { bytesWritten } = await fh.write(bytes, off, bytes.length - off);
        off += bytesWritten;
      }
    } catch (e) {
      fail(fn, `file must be a writable path, but writing into ${show(file)} failed (${reasonOf(e as NodeJS.ErrnoException)}).`);
    } finally {
      await fh?.close().catch(() => undefined);
    }
    return;
  }
  const dest = target.path;
  const tmp = path.join(path.dirname(dest), `.${path.basename(dest)}.${randomBytes(12).toString('hex')}.tmp`);
  let created = false;
  try {
    // 'wx' = O_CREAT | O_EXCL | O_WRONLY: never follows or reuses an existing name.
    const fh = await fs.open(tmp, 'wx', 0o600);
    created = true;
    try {
      await fh.writeFile(bytes);
      const old = target.stat;
      if (old) await fh.chown(old.uid, old.gid).catch(() => undefined); // keeps the owner when allowed (root)
      await fh.chmod(old ? old.mode & 0o7777 : 0o666 & ~umask());
      await fh.datasync();
    } finally {
      await fh.close();
    }
    await fs.rename(tmp, dest);
  } catch (e) {
    if (created) await fs.rm(tmp, { force: true }).catch(() => undefined);
    fail(fn, `file must be a writable path, but got ${show(file)} (${reasonOf(e as NodeJS.ErrnoException)}).`);
  }
}

/**
 * Encodes image `index` as JPEG bytes (baseline, 4:4:4, `quality` 0–100). Grey images are written
 * as RGB; images with an alpha channel are refused (JPEG has none). @internal
 */
export function toJpeg(fn: string, image: ImageArray | tf.Tensor, options: { index?: number; quality?: number } = {}): Uint8Array {
  const view = imageAt(fn, 'image', image, checkOptions(fn, options, ['index', 'quality']).index ?? 0);
  if (view.channels === 4) fail(fn, 'image must have 1 or 3 channels for a JPEG (JPEG has no alpha channel), but got 4; write a PNG instead.');
  const n = view.width * view.height;
  const rgba = new Uint8Array(n * 4);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < 3; k++) rgba[4 * i + k] = to8bit(view.data[i * view.channels + (view.channels === 1 ? 0 : k)]);
    rgba[4 * i + 3] = 255;
  }
  return new Uint8Array(jpeg.encode({ width: view.width, height: view.height, data: rgba }, options.quality ?? 95).data);
}

/** Options of {@link readImage}. */
export interface ReadImageOptions {
  /**
   * Largest image accepted, in pixels (width × height), checked from the file's header before
   * anything is decoded. Default 40,000,000 (e.g. 8000 × 5000), which decodes to at most 640 MB of
   * float32 RGBA.
   */
  readonly maxPixels?: number;
}

/**
 * Reads a PNG or JPEG file into an {@link ImageArray} `[h, w, c]` with values in [0, 1]
 * (PNG: c = 1, 3 or 4 as stored; JPEG: c = 3). Useful for image-initialised parameterizations
 * and for checking renders.
 *
 * The image size is read from the file's header and checked against `maxPixels` before anything
 * is decoded; a JPEG whose header claims more pixels than its bytes can hold is refused as
 * truncated. Only regular files are read (not FIFOs or devices).
 *
 * @example
 * ```ts
 * const photo = await readImage('dog.jpg');
 * photo.shape; // [576, 768, 3]
 * ```
 * @param file path of a `.png`, `.jpg` or `.jpeg` file (detected from its bytes, not its name).
 * @param options `{ maxPixels = 40_000_000 }`.
 * @returns a new `ImageArray` (nothing to dispose).
 */
export async function readImage(file: string, options: ReadImageOptions = {}): Promise<ImageArray> {
  const fn = 'readImage';
  if (typeof file !== 'string' || file.length === 0) fail(fn, `file must be a non-empty path, but got ${show(file)}.`);
  if (options === null || typeof options !== 'object') fail(fn, `options must be an object, but got ${show(options)}.`);
  checkOptions(fn, options, ['maxPixels']);
  const maxPixels = options.maxPixels ?? DEFAULT_MAX_PIXELS;
  if (typeof maxPixels !== 'number' || !Number.isSafeInteger(maxPixels) || maxPixels < 1) {
    fail(fn, `options.maxPixels must be a positive integer, but got ${show(maxPixels)}.`);
  }
  // A compressed image never needs more than ~8 bytes per pixel (16-bit RGBA stored uncompressed).
  const maxFileBytes = maxPixels * 8 + (1 << 20);
  let bytes: Uint8Array;
  let fh: fs.FileHandle | undefined;
  try {
    fh = await fs.open(file, fsConstants.O_RDONLY | fsConstants.O_NONBLOCK); // O_NONBLOCK: a FIFO does not hang the open
    const st = await fh.stat();
    if (!st.isFile()) return fail(fn, `file must be a regular image file, but ${show(file)} is ${st.isDirectory() ? 'a directory' : 'a FIFO, device or socket'}.`);
    if (st.size > maxFileBytes) {
      return fail(fn, `file must be at most ${formatBytes(maxFileBytes)} for maxPixels ${maxPixels}, but ${show(file)} has ${formatBytes(st.size)}; pass a larger options.maxPixels to read it.`);
    }
    bytes = new Uint8Array(await fh.readFile());
  } catch (e) {
    if (e instanceof OptvisError) throw e;
    const err = e as NodeJS.ErrnoException;
    return fail(fn, `file must be a readable image file, but got ${show(file)} (${err.code === 'ENOENT' ? 'no such file' : err.code === 'EISDIR' ? 'it is a directory' : err.message}).`);
  } finally {
    await fh?.close().catch(() => undefined);
  }
  const header = imageHeader(bytes);
  if (header === null) return fail(fn, `file must be a PNG or JPEG image, but got ${show(file)} (unknown format).`);
  if (header.width === 0 || header.height === 0) {
    return fail(fn, `file must be a valid ${header.format.toUpperCase()} image, but ${show(file)} has no readable image size in its header.`);
  }
  checkPixelCount(fn, show(file), header, maxPixels, 'options.maxPixels');
  if (header.format === 'png') return fromPng(bytes, { maxPixels });
  if (header.minBytes !== undefined && bytes.length < header.minBytes) {
    return fail(fn, `file must be a complete JPEG, but ${show(file)} claims ${header.width}×${header.height} pixels, which needs at least ${header.minBytes} bytes of image data, and has only ${bytes.length} bytes (truncated or forged).`);
  }
  let decoded: { width: number; height: number; data: Uint8Array };
  try {
    decoded = jpeg.decode(bytes, {
      useTArray: true,
      formatAsRGBA: false,
      maxResolutionInMP: maxPixels / 1e6,
      maxMemoryUsageInMB: Math.ceil((maxPixels * 16) / 2 ** 20) + 64,
    });
  } catch (e) {
    return fail(fn, `file must be a valid JPEG, but decoding ${show(file)} failed: ${(e as Error).message}.`);
  }
  const data = new Float32Array(decoded.width * decoded.height * 3);
  for (let i = 0; i < data.length; i++) data[i] = decoded.data[i] / 255;
  return { shape: [decoded.height, decoded.width, 3], data };
}

import * as tf from '@tensorflow/tfjs-core';
import { decode, encode } from 'fast-png';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import jpeg from 'jpeg-js';
import { afterAll, describe, expect, it } from 'vitest';
import { fromPng, toImageData, toPng } from '../../src/io/index';
import { readImage, writePng } from '../../src/io/node/files';
import { expectNoLeak, useBackend } from '../helpers/tf';

function seeded(n: number, seed = 1, lo = 0, hi = 1): Float32Array {
  let s = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = lo + ((s / 2 ** 32) * (hi - lo));
  }
  return out;
}

/** Independent reference: clip to [0,1], ×255, round half up. */
const ref8 = (v: number) => (Number.isNaN(v) ? 0 : Math.round(Math.min(1, Math.max(0, v)) * 255));

const dir = mkdtempSync(join(tmpdir(), 'optvis-io-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('toPng / fromPng', () => {
  it.each([1, 3, 4])('round-trips %i-channel images exactly at 8-bit', (c) => {
    const h = 5, w = 7;
    const data = seeded(h * w * c, c);
    const png = toPng({ shape: [h, w, c], data });
    const raw = decode(png);
    expect([raw.width, raw.height, raw.channels, raw.depth]).toEqual([w, h, c, 8]);
    expect(Array.from(raw.data)).toEqual(Array.from(data, ref8));
    const back = fromPng(png);
    expect(back.shape).toEqual([h, w, c]);
    expect(Array.from(back.data)).toEqual(Array.from(data, (v) => Math.fround(ref8(v) / 255)));
    // A second round trip is the identity.
    expect(Array.from(toPng(back))).toEqual(Array.from(png));
  });

  it('clips values outside [0, 1] and maps NaN to 0', () => {
    const data = new Float32Array([-0.5, 0, 0.5, 1, 1.7, NaN]);
    const raw = decode(toPng({ shape: [1, 2, 3], data }));
    expect(Array.from(raw.data)).toEqual([0, 0, 128, 255, 255, 0]);
  });

  it('encodes the requested batch element of a tensor without disposing it', async () => {
    await useBackend('cpu');
    await expectNoLeak(() => {
      const t = tf.tensor4d([0, 0, 0, 1, 1, 1], [2, 1, 1, 3]);
      expect(Array.from(decode(toPng(t, { index: 1 })).data)).toEqual([255, 255, 255]);
      expect(Array.from(decode(toPng(t, { index: -2 })).data)).toEqual([0, 0, 0]);
      expect(t.isDisposed).toBe(false);
      t.dispose();
    });
  });

  it('decodes grey+alpha, 16-bit and palette PNGs', () => {
    const ga = fromPng(encode({ width: 1, height: 1, data: new Uint8Array([51, 102]), channels: 2, depth: 8 }));
    expect(ga.shape).toEqual([1, 1, 4]);
    expect(Array.from(ga.data)).toEqual([51, 51, 51, 102].map((v) => Math.fround(v / 255)));
    const d16 = fromPng(encode({ width: 1, height: 1, data: new Uint16Array([65535, 0, 32768]), channels: 3, depth: 16 }));
    expect(Array.from(d16.data)).toEqual([1, 0, Math.fround(32768 / 65535)]);
    const pal = fromPng(
      encode({ width: 2, height: 1, data: new Uint8Array([1, 0]), channels: 1, depth: 8, palette: [[255, 0, 0], [0, 0, 255]] }),
    );
    expect(pal.shape).toEqual([1, 2, 3]);
    expect(Array.from(pal.data)).toEqual([0, 0, 1, 1, 0, 0]);
  });

  it('rejects bad input with clear errors', () => {
    expect(() => toPng({ shape: [2, 2], data: new Float32Array(4) })).toThrow(
      /^Error in io\.toPng: image must have shape \[h, w, c\] or \[b, h, w, c\], but got shape \[2, 2\]\.$/,
    );
    expect(() => toPng({ shape: [2, 2, 2], data: new Float32Array(8) })).toThrow(/image must have 1, 3 or 4 channels, but got shape \[2, 2, 2\]/);
    expect(() => toPng({ shape: [2, 2, 3], data: new Float32Array(5) })).toThrow(/image\.data must hold 12 values for shape \[2, 2, 3\], but got 5/);
    expect(() => toPng({ shape: [2, 1, 1, 3], data: new Float32Array(6) }, { index: 2 })).toThrow(
      /index must be an integer in \[-2, 1\] \(batch of 2\), but got 2/,
    );
    expect(() => toPng('x' as never)).toThrow(/image must be an ImageArray .* or a tf\.Tensor, but got "x"/);
    expect(() => fromPng(new Uint8Array([1, 2, 3]))).toThrow(/^Error in io\.fromPng: bytes must be a PNG file/);
    const truncated = toPng({ shape: [4, 4, 3], data: seeded(48) }).slice(0, 40);
    expect(() => fromPng(truncated)).toThrow(/^Error in io\.fromPng: bytes must be a valid PNG file, but decoding failed/);
  });
});

describe('toImageData', () => {
  it('expands grey and RGB to opaque RGBA bytes', () => {
    const grey = toImageData({ shape: [1, 2, 1], data: new Float32Array([0.2, 2]) });
    expect([grey.width, grey.height]).toEqual([2, 1]);
    expect(Array.from(grey.data)).toEqual([51, 51, 51, 255, 255, 255, 255, 255]);
    const rgba = toImageData({ shape: [1, 1, 1, 4], data: new Float32Array([1, 0, 0.5, 0.25]) });
    expect(Array.from(rgba.data)).toEqual([255, 0, 128, 64]);
  });
});

describe('writePng / readImage (Node)', () => {
  it('writes a PNG file atomically and reads it back', async () => {
    const data = seeded(6 * 4 * 3, 9);
    const file = join(dir, 'a.png');
    await writePng(file, { shape: [6, 4, 3], data });
    const img = await readImage(file);
    expect(img.shape).toEqual([6, 4, 3]);
    expect(Array.from(img.data)).toEqual(Array.from(data, (v) => Math.fround(ref8(v) / 255)));
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('reads JPEG files (RGB, values in [0, 1])', async () => {
    const w = 8, h = 8;
    const rgba = new Uint8Array(w * h * 4).fill(200);
    const file = join(dir, 'b.jpg');
    writeFileSync(file, jpeg.encode({ width: w, height: h, data: rgba }, 95).data);
    const img = await readImage(file);
    expect(img.shape).toEqual([h, w, 3]);
    for (const v of img.data) expect(Math.abs(v - 200 / 255)).toBeLessThan(3 / 255);
  });

  it('fails clearly on unwritable paths and unreadable files, leaving no file', async () => {
    const bad = join(dir, 'missing-dir', 'x.png');
    await expect(writePng(bad, { shape: [1, 1, 3], data: new Float32Array(3) })).rejects.toThrow(
      /^Error in writePng: file must be a writable path, but got ".*x\.png" \(its directory does not exist\)\.$/,
    );
    await expect(readImage(join(dir, 'nope.png'))).rejects.toThrow(/^Error in readImage: file must be a readable image file, but got ".*nope\.png" \(no such file\)\.$/);
    writeFileSync(join(dir, 'text.png'), 'hello');
    await expect(readImage(join(dir, 'text.png'))).rejects.toThrow(/file must be a PNG or JPEG image/);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });
});

describe('imageHeader (size from the header, without decoding)', () => {
  it('reads PNG IHDR and JPEG SOF sizes, skipping APP segments', async () => {
    const { imageHeader } = await import('../../src/io/image');
    const png = encode({ width: 7, height: 5, data: new Uint8Array(7 * 5 * 4), channels: 4, depth: 8 });
    expect(imageHeader(png)).toMatchObject({ format: 'png', width: 7, height: 5, channels: 4, sampleBytes: 1 });
    const jpg = new Uint8Array(jpeg.encode({ width: 33, height: 17, data: new Uint8Array(33 * 17 * 4).fill(90) }, 80).data);
    // blocks = ceil(33/8)·ceil(17/8) = 5·3 = 15 → at least 2 bytes.
    expect(imageHeader(jpg)).toMatchObject({ format: 'jpeg', width: 33, height: 17, minBytes: 2 });
    // An APP1 segment of 3000 bytes inserted right after SOI is skipped.
    const app1 = new Uint8Array(3002 + 2);
    app1.set([0xff, 0xe1, (3002 >> 8) & 255, 3002 & 255]);
    const withApp = new Uint8Array(jpg.length + app1.length);
    withApp.set(jpg.subarray(0, 2));
    withApp.set(app1, 2);
    withApp.set(jpg.subarray(2), 2 + app1.length);
    expect(imageHeader(withApp)).toMatchObject({ width: 33, height: 17 });
    expect((await import('jpeg-js')).default.decode(withApp, { useTArray: true }).width).toBe(33); // still a valid JPEG
    expect(imageHeader(jpg.subarray(0, 20))).toMatchObject({ format: 'jpeg', width: 0, height: 0 }); // cut before the frame header
    expect(imageHeader(new TextEncoder().encode('hello'))).toBeNull();
  });

  it('readImage refuses a JPEG whose header is cut short', async () => {
    const jpg = new Uint8Array(jpeg.encode({ width: 8, height: 8, data: new Uint8Array(256) }, 80).data);
    const file = join(dir, 'cut.jpg');
    writeFileSync(file, jpg.subarray(0, 20));
    await expect(readImage(file)).rejects.toThrow(/^Error in readImage: file must be a valid JPEG image, but ".*cut\.jpg" has no readable image size in its header\.$/);
  });
});

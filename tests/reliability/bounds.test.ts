/**
 * Upper bounds checked before allocating (issue 11, item 6): the CLI's --size, the param image
 * constructors, and readImage / fromPng (image size read from the PNG / JPEG header, `maxPixels`).
 * Every refusal is fast, is an OptvisError (or a one-line CLI usage error) that says how much
 * memory the request would need, and leaves no tensor behind.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encode } from 'fast-png';
import jpeg from 'jpeg-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OptvisError } from '../../src/errors';
import { fromPng } from '../../src/io/index';
import { readImage } from '../../src/io/node/files';
import * as param from '../../src/param/index';
import { parseCommand } from '../../src/cli/args';
import { runCli } from '../../src/cli/run';
import { expectNoLeak, useBackend } from '../helpers/tf';

const dir = mkdtempSync(join(tmpdir(), 'optvis-bounds-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
beforeAll(() => useBackend('cpu'));

/** CRC-32 (PNG chunks), computed independently of any library. */
function crc32(bytes: Uint8Array): number {
  let c = ~0;
  for (const b of bytes) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return ~c >>> 0;
}

function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, data.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(data, 8);
  dv.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

/** A small PNG whose IHDR claims `w × h` 8-bit RGB pixels (its data is a few bytes of zlib). Decoding needs w·h·3 bytes + w·h·3 float32 = 15 bytes per pixel. */
function forgedPng(w: number, h: number): Uint8Array {
  const ihdr = new Uint8Array(13);
  const dv = new DataView(ihdr.buffer);
  dv.setUint32(0, w);
  dv.setUint32(4, h);
  ihdr.set([8, 2, 0, 0, 0], 8);
  const idat = new Uint8Array([0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01]); // empty zlib stream
  const parts = [new Uint8Array([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', ihdr), chunk('IDAT', idat), chunk('IEND', new Uint8Array())];
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** A real 8×8 JPEG with its frame header (SOF0) patched to claim `w × h`. */
function forgedJpeg(w: number, h: number): Uint8Array {
  const bytes = new Uint8Array(jpeg.encode({ width: 8, height: 8, data: new Uint8Array(256).fill(128) }, 90).data);
  for (let i = 2; i < bytes.length - 9; i++) {
    if (bytes[i] === 0xff && bytes[i + 1] === 0xc0) {
      bytes[i + 5] = h >> 8;
      bytes[i + 6] = h & 255;
      bytes[i + 7] = w >> 8;
      bytes[i + 8] = w & 255;
      return bytes;
    }
  }
  throw new Error('no SOF0 marker in the test JPEG');
}

const rssMB = (): number => process.memoryUsage().rss / 1e6;

describe('CLI --size is bounded', () => {
  it.each([
    ['999999999999', /^--size must be at most 2048, but got 999999999999: one 999999999999×999999999999 RGB image alone needs 12 YB as float32/],
    ['20000', /^--size must be at most 2048, but got 20000: one 20000×20000 RGB image alone needs 4\.8 GB as float32/],
  ])('--size %s is refused with the memory it would need', async (size, message) => {
    expect(() => parseCommand(['render', '--size', size, '-o', 'x.png'])).toThrow(message);
    let stderr = '';
    const t0 = Date.now();
    const code = await runCli(['render', '--size', size, '-o', join(dir, 'x.png')], { stdout: { write: () => true }, stderr: { write: (s: string) => (stderr += s) } });
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(code).toBe(2);
    expect(stderr.split('\n')).toHaveLength(2); // one line
  });

  it('--size 2048 (the documented maximum) is accepted by the parser and listed in --help', () => {
    expect(parseCommand(['render', '--size', '2048', '-o', 'x.png'])).toMatchObject({ size: 2048 });
    const help = spawnSync(process.execPath, [join(__dirname, '../../bin/tfjs-optvis.js'), '--help'], { encoding: 'utf8' });
    expect(help.stdout).toMatch(/--size <px> +image size, 1\.\.2048 \(default 128\)/);
  });
});

describe('param image constructors fail fast on huge sizes', () => {
  const cases: [string, () => unknown, RegExp][] = [
    ['param.image(1e6)', () => param.image(1e6), /^Error in param\.image: the image must have at most 268435456 values \(1\.07 GB as float32\), but shape \[1, 1000000, 1000000, 3\] has 3\.000e\+12, which needs 12\.0 TB for one float32 copy/],
    ['param.image(20000, { batch: 4 })', () => param.image(20000, { batch: 4 }), /^Error in param\.image: .*shape \[4, 20000, 20000, 3\] has 4\.800e\+9, which needs 19\.2 GB/],
    ['param.grayscaleImage(1e5)', () => param.grayscaleImage(1e5), /^Error in param\.grayscaleImage: the image must have at most 268435456 values/],
    ['param.fftImage([1, 1e5, 1e5, 3])', () => param.fftImage([1, 1e5, 1e5, 3]), /^Error in param\.fftImage: the image must have at most/],
    ['param.pixelImage([1, 1e5, 1e5, 3])', () => param.pixelImage([1, 1e5, 1e5, 3]), /^Error in param\.pixelImage: the image must have at most/],
    ['param.cppn(1e5)', () => param.cppn(1e5), /^Error in param\.cppn: the image must have at most/],
    ['param.lowresTensor([1, 1e5, 1e5, 3], [1, 8, 8, 3])', () => param.lowresTensor([1, 1e5, 1e5, 3], [1, 8, 8, 3]), /^Error in param\.lowresTensor: the image must have at most/],
    ['param.laplacianPyramid([1, 1e5, 1e5, 3])', () => param.laplacianPyramid([1, 1e5, 1e5, 3]), /^Error in param\.laplacianPyramid: the image must have at most/],
    ['param.imageSample([1, 1e5, 1e5, 3])', () => param.imageSample([1, 1e5, 1e5, 3]), /^Error in param\.imageSample: the image must have at most/],
  ];
  it.each(cases)('%s', async (_name, call, message) => {
    await expectNoLeak(() => {
      const t0 = Date.now();
      let err: unknown;
      try {
        call();
      } catch (e) {
        err = e;
      }
      expect(Date.now() - t0).toBeLessThan(1000);
      expect(err).toBeInstanceOf(OptvisError);
      expect((err as Error).message).toMatch(message);
    });
  });

  it('a large but allowed size still builds (param.image(512), 3 MB)', async () => {
    await expectNoLeak(() => {
      const p = param.image(512, { seed: 1 });
      expect(p.shape).toEqual([1, 512, 512, 3]);
      p.dispose();
    });
  });
});

describe('readImage / fromPng check the header against maxPixels before decoding', () => {
  it('refuses a PNG claiming 10000×10000 (100 MP) by default, from its header', async () => {
    const f = join(dir, 'huge.png');
    const bytes = forgedPng(10000, 10000);
    writeFileSync(f, bytes);
    const rss0 = rssMB();
    const t0 = Date.now();
    await expect(readImage(f)).rejects.toThrow(
      /^Error in readImage: the image must have at most 40000000 pixels \(options\.maxPixels\), but ".*huge\.png" is 10000×10000 = 100000000 pixels, which needs about 1\.5 GB to decode; pass a larger options\.maxPixels to read it\.$/,
    );
    expect(() => fromPng(bytes)).toThrow(/^Error in io\.fromPng: the image must have at most 40000000 pixels \(options\.maxPixels\), but the PNG is 10000×10000/);
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(rssMB() - rss0).toBeLessThan(100);
  });

  it('refuses a 600-byte JPEG claiming 6000×6000 as truncated, without decoding', async () => {
    const f = join(dir, 'forged.jpg');
    const bytes = forgedJpeg(6000, 6000);
    expect(bytes.length).toBeLessThan(1000);
    writeFileSync(f, bytes);
    const rss0 = rssMB();
    const t0 = Date.now();
    await expect(readImage(f)).rejects.toThrow(
      /^Error in readImage: file must be a complete JPEG, but ".*forged\.jpg" claims 6000×6000 pixels, which needs at least 70313 bytes of image data, and has only \d+ bytes \(truncated or forged\)\.$/,
    );
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(rssMB() - rss0).toBeLessThan(100);
  });

  it('applies options.maxPixels to real PNG and JPEG files, and reads them under the limit', async () => {
    const png = join(dir, 'p.png');
    writeFileSync(png, encode({ width: 100, height: 50, data: new Uint8Array(100 * 50 * 3).fill(7), channels: 3, depth: 8 }));
    const jpg = join(dir, 'p.jpg');
    writeFileSync(jpg, jpeg.encode({ width: 100, height: 50, data: new Uint8Array(100 * 50 * 4).fill(200) }, 90).data);
    await expect(readImage(png, { maxPixels: 4999 })).rejects.toThrow(/at most 4999 pixels \(options\.maxPixels\), but ".*p\.png" is 100×50 = 5000 pixels, which needs about 75 kB to decode/);
    await expect(readImage(jpg, { maxPixels: 4999 })).rejects.toThrow(/at most 4999 pixels \(options\.maxPixels\), but ".*p\.jpg" is 100×50 = 5000 pixels/);
    expect((await readImage(png, { maxPixels: 5000 })).shape).toEqual([50, 100, 3]);
    expect((await readImage(jpg, { maxPixels: 5000 })).shape).toEqual([50, 100, 3]);
    expect(() => fromPng(readFileSyncU8(png), { maxPixels: 10 })).toThrow(/at most 10 pixels/);
    await expect(readImage(png, { maxPixels: 0 })).rejects.toThrow(/^Error in readImage: options\.maxPixels must be a positive integer, but got 0\.$/);
  });

  it('refuses a FIFO instead of hanging on it', async () => {
    const fifo = join(dir, 'fifo.png');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    await expect(readImage(fifo)).rejects.toThrow(/^Error in readImage: file must be a regular image file, but ".*fifo\.png" is a FIFO, device or socket\.$/);
  });
});

function readFileSyncU8(f: string): Uint8Array {
  return new Uint8Array(readFileSync(f));
}

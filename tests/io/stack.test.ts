import { describe, expect, it } from 'vitest';
import { grid, hstack, vstack } from '../../src/io/index';
import type { ImageArray } from '../../src/io/types';

/** A solid h×w image of one colour. */
const solid = (h: number, w: number, px: number[]): ImageArray => {
  const data = new Float32Array(h * w * px.length);
  for (let i = 0; i < h * w; i++) data.set(px, i * px.length);
  return { shape: [h, w, px.length], data };
};
/** Pixel (y, x) of an HWC image. */
const at = (img: ImageArray, y: number, x: number): number[] => {
  const [, w, c] = img.shape;
  return Array.from(img.data.subarray((y * w + x) * c, (y * w + x + 1) * c));
};

describe('hstack / vstack', () => {
  it('concatenates like numpy (hstack: width, vstack: height)', () => {
    const a = { shape: [2, 2, 1], data: new Float32Array([1, 2, 3, 4]).map((v) => v / 10) };
    const b = { shape: [2, 1, 1], data: new Float32Array([5, 6]).map((v) => v / 10) };
    const h = hstack([a, b]);
    expect(h.shape).toEqual([2, 3, 1]);
    // np.hstack([[1,2],[3,4]], [[5],[6]]) = [[1,2,5],[3,4,6]]
    expect(Array.from(h.data)).toEqual([1, 2, 5, 3, 4, 6].map((v) => Math.fround(v / 10)));
    const v = vstack([a, { shape: [1, 2, 1], data: new Float32Array([0.7, 0.8]) }]);
    expect(v.shape).toEqual([3, 2, 1]);
    expect(Array.from(v.data)).toEqual([0.1, 0.2, 0.3, 0.4, 0.7, 0.8].map(Math.fround));
  });

  it('unpacks batches into tiles and pads with white between them', () => {
    const batch = { shape: [2, 1, 1, 3], data: new Float32Array([0, 0, 0, 0.5, 0.5, 0.5]) };
    const out = hstack([batch], { padding: 2 });
    expect(out.shape).toEqual([1, 4, 3]);
    expect([0, 1, 2, 3].map((x) => at(out, 0, x))).toEqual([[0, 0, 0], [1, 1, 1], [1, 1, 1], [0.5, 0.5, 0.5]]);
  });

  it('promotes grey and RGB to RGBA when mixed with RGBA', () => {
    const out = hstack([solid(1, 1, [0.5]), solid(1, 1, [0.1, 0.2, 0.3, 0.4])]);
    expect(out.shape).toEqual([1, 2, 4]);
    expect(at(out, 0, 0)).toEqual([0.5, 0.5, 0.5, 1]);
    expect(at(out, 0, 1)).toEqual([0.1, 0.2, 0.3, 0.4].map(Math.fround));
  });

  it('rejects mismatched sizes and empty lists', () => {
    expect(() => hstack([solid(2, 2, [0]), solid(3, 2, [0])])).toThrow(
      /^Error in io\.hstack: images must all have the same height, but got 2 \(image 0\) and 3 \(image 1\)\.$/,
    );
    expect(() => vstack([solid(2, 2, [0]), solid(2, 3, [0])])).toThrow(/images must all have the same width/);
    expect(() => hstack([])).toThrow(/^Error in io\.hstack: images must be a non-empty array of images, but got \[\]\.$/);
  });
});

describe('grid', () => {
  it('lays tiles out in rows with padding and background', () => {
    const tiles = [solid(2, 2, [0, 0, 0]), solid(2, 2, [1, 0, 0]), solid(2, 2, [0, 1, 0])];
    const out = grid(tiles, { columns: 2, padding: 1, background: [0, 0, 1] });
    expect(out.shape).toEqual([5, 5, 3]);
    const expected = (y: number, x: number): number[] => {
      if (y === 2 || x === 2) return [0, 0, 1]; // padding
      const cell = (y > 2 ? 2 : 0) + (x > 2 ? 1 : 0);
      return cell < 3 ? [[0, 0, 0], [1, 0, 0], [0, 1, 0]][cell] : [0, 0, 1]; // empty 4th cell
    };
    for (let y = 0; y < 5; y++) for (let x = 0; x < 5; x++) expect(at(out, y, x), `(${y},${x})`).toEqual(expected(y, x));
  });

  it('defaults to ceil(sqrt(n)) columns', () => {
    const tiles = Array.from({ length: 5 }, (_, i) => solid(1, 1, [i / 10]));
    const out = grid(tiles);
    expect(out.shape).toEqual([2, 3, 1]);
    expect(Array.from(out.data)).toEqual([0, 0.1, 0.2, 0.3, 0.4, 1].map(Math.fround));
  });

  it('composites alpha over the background colour', () => {
    const a = 0.25;
    const out = grid([solid(1, 1, [0.8, 0.4, 0, a])], { background: [0, 1, 0.5] });
    expect(out.shape).toEqual([1, 1, 3]);
    const ref = [0.8, 0.4, 0].map((v, k) => v * a + [0, 1, 0.5][k] * (1 - a));
    at(out, 0, 0).forEach((v, k) => expect(v).toBeCloseTo(ref[k], 6));
  });

  it('rejects bad options', () => {
    const t = [solid(1, 1, [0])];
    expect(() => grid(t, { columns: 0 })).toThrow(/^Error in io\.grid: columns must be a positive integer, but got 0\.$/);
    expect(() => grid(t, { padding: -1 })).toThrow(/padding must be a non-negative integer, but got -1/);
    expect(() => grid(t, { background: [2, 0, 0] })).toThrow(/background must be an array of 1, 3 or 4 numbers in \[0, 1\], but got \[2, 0, 0\]/);
  });
});

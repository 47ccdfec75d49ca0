/**
 * Determinism: the same seed on cpu gives a byte-identical PNG; different seeds give different
 * images. Runs the whole public path: `model.visModel` → `renderVis` (default seeded param,
 * standard transforms, ReLU override) → `io.toPng`.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectNoLeak, useBackend } from '../helpers/tf';
import { api, smallVisModel } from './api';

const { render, io, param } = api;
let small: Awaited<ReturnType<typeof smallVisModel>>;

const sha = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

async function renderPng(seed: number, p?: ReturnType<typeof param.image>): Promise<Uint8Array> {
  const { images } = await render.renderVis(small.vm, 'conv4:3', { seed, thresholds: [3], param: p });
  return io.toPng(images[0]);
}

describe('determinism (cpu)', () => {
  beforeAll(async () => {
    await useBackend('cpu');
    small = await smallVisModel(1);
  });
  afterAll(() => small?.dispose());

  it('same seed ⇒ byte-identical PNG; different seed ⇒ different PNG (default 128-px param)', async () => {
    await expectNoLeak(async () => {
      const a = await renderPng(11);
      const b = await renderPng(11);
      const c = await renderPng(12);
      expect(a.length).toBeGreaterThan(1000);
      expect(sha(b)).toBe(sha(a));
      expect(Buffer.from(b).equals(Buffer.from(a))).toBe(true);
      expect(sha(c)).not.toBe(sha(a));
    });
  });

  it('a seeded param plus a seeded render is reproducible too, and the optimization changed the image', async () => {
    const run = async (seed: number) => {
      const p = param.image(32, { seed });
      const img = p.image();
      const initial = io.toPng(img);
      img.dispose();
      const png = await renderPng(seed, p);
      p.dispose();
      return { initial, png };
    };
    const first = await run(5);
    const again = await run(5);
    expect(sha(again.png)).toBe(sha(first.png));
    expect(sha(first.png)).not.toBe(sha(first.initial));
  });
});

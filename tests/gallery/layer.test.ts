/**
 * Whole-layer rendering in one process: a channel's image must not depend on the batch it is
 * rendered in (batch 1 vs 3, cpu and wasm, with and without alpha), plus the pure helpers
 * (channel lists, shards, seeds, contact sheet, page) and the error paths, all leak-free.
 */
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { channelSeed, contactSheet, galleryHtml, parseChannels, renderLayer, shardChannels, type ChannelResult, type GalleryManifest } from '../../src/gallery/index';
import { toPng } from '../../src/io/index';
import { visModel } from '../../src/model/index';
import type { VisModel } from '../../src/model/types';
import { makeTestLayersModel } from '../fixtures/models';
import { BACKENDS, expectNoLeak, useBackend } from '../helpers/tf';

const hex = (b: Uint8Array) => Buffer.from(b).toString('base64');
const pngs = (rs: readonly ChannelResult[]) => rs.map((r) => hex(toPng(r.image)));

describe('channel lists, shards and seeds', () => {
  it('parses lists and ranges, and names bad parts', () => {
    expect(parseChannels('all', 4)).toEqual([0, 1, 2, 3]);
    expect(parseChannels('5, 0-2,2', 8)).toEqual([0, 1, 2, 5]);
    expect(() => parseChannels('0-8', 8)).toThrow(/Error in gallery\.parseChannels: channels must be in \[0, 7\] \(the layer has 8 channels\), but got "0-8"/);
    expect(() => parseChannels('3-1', 8)).toThrow(/range must go up/);
    expect(() => parseChannels('x', 8)).toThrow(/bad part "x"/);
  });

  it('cuts a list into balanced contiguous shards that cover it exactly once', () => {
    const list = Array.from({ length: 23 }, (_, i) => i * 2);
    for (const n of [1, 2, 3, 5, 23, 30]) {
      const shards = Array.from({ length: n }, (_, i) => shardChannels(list, i, n));
      expect(shards.flat()).toEqual(list);
      const sizes = shards.map((s) => s.length);
      expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
    }
    expect(shardChannels([0, 1, 2, 3, 4], 1, 2)).toEqual([3, 4]);
    expect(() => shardChannels(list, 2, 2)).toThrow(/index must be an integer in \[0, 1\], but got 2/);
  });

  it('derives a distinct, stable seed per (seed, channel)', () => {
    const seeds = new Set(Array.from({ length: 1000 }, (_, c) => channelSeed(0, c)));
    expect(seeds.size).toBe(1000);
    expect(channelSeed(3, 7)).toBe(channelSeed(3, 7));
    expect(channelSeed(3, 7)).not.toBe(channelSeed(4, 7));
    expect(() => channelSeed(0, -1)).toThrow(/channel must be a non-negative integer/);
  });
});

describe('contact sheet and page', () => {
  it('shrinks tiles by area averaging and lays them out row by row', () => {
    // Two 4×4 grey images; thumb 2 → each output pixel is the mean of a 2×2 block.
    const a = { shape: [4, 4, 1], data: Float32Array.from({ length: 16 }, (_, i) => (i * i) / 225) };
    const b = { shape: [1, 4, 4, 3], data: new Float32Array(48).fill(1) };
    const sheet = contactSheet([a, b], { thumb: 2, columns: 2, padding: 1 });
    expect(sheet.shape).toEqual([4, 7, 3]); // 2 rows of padding + 2, 3 paddings + 2 tiles of 2
    const px = (y: number, x: number) => Array.from(sheet.data.slice((y * 7 + x) * 3, (y * 7 + x) * 3 + 3));
    const mean = (idx: number[]) => idx.reduce((s, i) => s + (i * i) / 225, 0) / idx.length;
    expect(px(1, 1)[0]).toBeCloseTo(Math.round(255 * mean([0, 1, 4, 5])) / 255, 6);
    expect(px(2, 2)[1]).toBeCloseTo(Math.round(255 * mean([10, 11, 14, 15])) / 255, 6);
    expect(px(1, 4)).toEqual([1, 1, 1]);
    expect(px(0, 0)[0]).toBeCloseTo(34 / 255, 6); // background
    expect(() => contactSheet([a, { shape: [2, 2, 3], data: new Float32Array(12) }])).toThrow(/images must all be 4×4/);
  });

  it('writes a static page with one lazy tile per channel, values, and escaped names', () => {
    const m: GalleryManifest = {
      format: 'tfjs-optvis-gallery',
      version: 1,
      model: '<model & co>',
      layer: 'conv4',
      depth: 32,
      options: { size: 32, steps: 4, seed: 0, alpha: false, backend: 'cpu', inputRange: null },
      channels: {
        '10': { channel: 10, file: 'channels/0010.png', objective: 1.234567, seconds: 1, finishedAt: 'x' },
        '2': { channel: 2, file: 'channels/0002.png', objective: -0.5, seconds: 1, finishedAt: 'y' },
      },
    };
    const html = galleryHtml(m);
    expect(html).toContain('&lt;model &amp; co&gt;');
    expect(html.match(/<img loading="lazy"/g)).toHaveLength(2);
    expect(html.indexOf('data-channel="2"')).toBeLessThan(html.indexOf('data-channel="10"'));
    expect(html).toContain('data-value="1.235"');
    expect(html).not.toMatch(/finishedAt|\bx\b.*\by\b/);
    expect(galleryHtml({ ...m, channels: { ...m.channels, '2': { ...m.channels['2'], finishedAt: 'z', seconds: 9 } } })).toBe(html);
  });
});

/** The fixture model on `backend` for the describe block it is called in. */
function fixtureModel(backend: (typeof BACKENDS)[number]): () => VisModel {
  let vm: VisModel | undefined;
  let dispose = () => undefined as void;
  beforeAll(async () => {
    await useBackend(backend);
    const net = makeTestLayersModel(1);
    const m = await visModel(net, { inputRange: [-1, 1] });
    vm = m;
    dispose = () => {
      m.dispose();
      net.dispose();
    };
  });
  afterAll(() => dispose());
  return () => vm as VisModel;
}

const base = { channels: [3, 5, 7], size: 32, steps: 4, seed: 1 };

describe.each(BACKENDS)('renderLayer on %s', (backend) => {
  const model = fixtureModel(backend);

  it('gives every channel the same PNG bytes and objective in batches of 1 and of 3 (leak-free)', async () => {
    const vm = model();
    const one = await expectNoLeak(() => renderLayer(vm, 'conv4', { ...base, batch: 1 }));
    const three = await expectNoLeak(() => renderLayer(vm, 'conv4', { ...base, batch: 3 }));
    expect(three.map((r) => r.channel)).toEqual([3, 5, 7]);
    expect(pngs(three)).toEqual(pngs(one));
    expect(three.map((r) => r.objective)).toEqual(one.map((r) => r.objective));
    expect(new Set(pngs(one)).size).toBe(3); // channels differ
    expect(one.every((r) => Number.isFinite(r.objective) && r.image.shape.join() === '1,32,32,3')).toBe(true);
    // Reordering the list and another batch mate do not matter either; another seed does.
    const mixed = await renderLayer(vm, 'conv4', { ...base, channels: [7, 1, 3], batch: 2 });
    expect(pngs([mixed[0], mixed[2]])).toEqual([pngs(one)[2], pngs(one)[0]]);
    const other = await renderLayer(vm, 'conv4', { ...base, channels: [3], seed: 2 });
    expect(pngs(other)[0]).not.toBe(pngs(one)[0]);
  });
});

describe('renderLayer on wasm with alpha', () => {
  const model = fixtureModel('wasm');
  it('is layout independent with alpha too (RGBA, per-item backgrounds)', async () => {
    const vm = model();
    const opts = { ...base, channels: [2, 9], alpha: true };
    const one = await renderLayer(vm, 'conv4', { ...opts, batch: 1 });
    const two = await expectNoLeak(() => renderLayer(vm, 'conv4', { ...opts, batch: 2 }));
    expect(one[0].image.shape).toEqual([1, 32, 32, 4]);
    expect(pngs(two)).toEqual(pngs(one));
  });
});

describe('renderLayer on cpu: callbacks, abort, errors', () => {
  const model = fixtureModel('cpu');
  it('reports channels in order and stops on abort, leaking nothing', async () => {
    const vm = model();
    const seen: number[] = [];
    await renderLayer(vm, 'conv4', { ...base, steps: 2, batch: 2, onChannel: (r) => void seen.push(r.channel) });
    expect(seen).toEqual([3, 5, 7]);
    const ac = new AbortController();
    const got: number[] = [];
    await expectNoLeak(async () => {
      await expect(
        renderLayer(vm, 'conv4', {
          ...base, steps: 3, batch: 1,
          signal: ac.signal,
          onChannel: (r) => void got.push(r.channel),
          onProgress: (p) => p.channelsDone === 1 && p.step === 1 && ac.abort(),
        }),
      ).rejects.toThrow(/abort/i);
    });
    expect(got).toEqual([3]);
  });

  it('rejects bad arguments with clear messages before rendering', async () => {
    const vm = model();
    await expectNoLeak(async () => {
      await expect(renderLayer(vm, 'conv44', base)).rejects.toThrow(/conv44.*Did you mean.*conv4/s);
      await expect(renderLayer(vm, 'conv4', { ...base, channels: [32] })).rejects.toThrow(
        /Error in gallery\.renderLayer: channels must hold integers in \[0, 31\] \(the layer has 32 channels\), but got 32\./,
      );
      await expect(renderLayer(vm, 'conv4', { ...base, channels: [1, 1] })).rejects.toThrow(/must not repeat, but got 1 twice/);
      await expect(renderLayer(vm, 'conv4', { ...base, batch: 0 })).rejects.toThrow(/batch must be an integer >= 1, but got 0/);
      await expect(renderLayer(vm, 'conv4', { ...base, size: 1 })).rejects.toThrow(/size must be an integer >= 2, but got 1/);
    });
  });
});

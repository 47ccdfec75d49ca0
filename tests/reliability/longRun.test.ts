/**
 * Long run: 2000 optimization steps at 64×64 on the small fixture model (wasm, gradient fixes
 * installed by the session, no transforms): `tf.memory().numTensors` stays exactly flat after the first step,
 * RSS stays flat (bounded drift once warmed up), and no loss or pixel becomes NaN.
 */
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../helpers/tf';
import { api, smallVisModel } from './api';

const { render, param, objectives } = api;
const STEPS = 2000;
let small: Awaited<ReturnType<typeof smallVisModel>>;

describe('long run (wasm)', () => {
  beforeAll(async () => {
    await useBackend('wasm');
    small = await smallVisModel(1);
  });
  afterAll(async () => {
    small?.dispose();
    await useBackend('cpu');
  });

  it(`${STEPS} steps at 64×64: numTensors and RSS flat, no NaN`, async () => {
    const before = tf.memory().numTensors;
    const p = param.image(64, { seed: 3 });
    const objective = objectives.channel('conv4', 3).sub(objectives.L1().mul(1e-4));
    // No transforms: the long run is about the loop's memory, and the bilinear rotation would
    // triple the cost of a step on this tiny model.
    const session = render.visSession(small.vm, objective, { param: p, seed: 3, transforms: [] });
    session.step(); // the first update creates Adam's slot variables
    const afterFirst = tf.memory().numTensors;
    const tensorCounts: number[] = [];
    const rss: number[] = [];
    let nonFinite = 0;
    for (let i = 1; i < STEPS; i++) {
      const loss = session.step();
      if (!Number.isFinite(loss)) nonFinite++;
      if (i % 100 === 0) {
        tensorCounts.push(tf.memory().numTensors);
        rss.push(process.memoryUsage().rss / 2 ** 20);
        await new Promise((r) => setImmediate(r)); // let GC and timers run, as renderVis does
      }
    }
    const { data } = session.imageArray();
    session.dispose();
    p.dispose();

    expect(nonFinite, 'non-finite losses').toBe(0);
    expect(data.every((v) => Number.isFinite(v) && v >= 0 && v <= 1), 'pixels finite in [0, 1]').toBe(true);
    expect(new Set(tensorCounts), 'numTensors at every 100th step').toEqual(new Set([afterFirst]));
    expect(tf.memory().numTensors).toBe(before);
    // RSS: after the first quarter (allocator and JIT warmed up) it may only drift a little.
    const warm = rss[Math.floor(rss.length / 4)];
    const last = rss[rss.length - 1];
    expect(last - warm, `RSS drift in MB (samples: ${rss.map((r) => r.toFixed(0)).join(' ')})`).toBeLessThan(40);
  }, 600_000); // ~60 s on an idle 2-core machine; generous for a shared one
});

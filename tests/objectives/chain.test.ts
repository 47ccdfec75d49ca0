import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import * as objectives from '../../src/objectives';
import { Objective } from '../../src/objectives';
import { BACKENDS, expectNoLeak, useBackend } from '../helpers/tf';
import { makeT, tensorOf, valueOf } from './helpers';
import * as ref from './reference';

/**
 * A tiny "model": `conv = conv2d(input, K3x3, SAME)`, `dense = mean(conv) @ W`. Gradients must flow
 * from the objective back to the image through it.
 */
function forward(x: tf.Tensor4D, k: tf.Tensor4D, w: tf.Tensor2D): Record<string, tf.Tensor> {
  const conv = tf.conv2d(x, k, 1, 'same');
  const dense = tf.matMul(tf.mean(conv, [1, 2]), w);
  return { input: x, conv, dense };
}

describe.each(BACKENDS)('objectives through a model on %s', (backend) => {
  beforeAll(async () => {
    await useBackend(backend);
  });

  it('a neuron objective moves only the pixels in its 3×3 receptive field; a channel objective moves all', async () => {
    await expectNoLeak(() => {
      const k = tensorOf(ref.randomArr([3, 3, 3, 4], 60)) as tf.Tensor4D;
      const w = tensorOf(ref.randomArr([4, 5], 61)) as tf.Tensor2D;
      const img = tensorOf(ref.randomArr([2, 7, 6, 3], 62, 0, 1)) as tf.Tensor4D;
      const gradImage = (obj: Objective) => {
        const g = tf.grad((x: tf.Tensor) => obj.evaluate(makeT(forward(x as tf.Tensor4D, k, w))))(img);
        const out = Float64Array.from(g.dataSync());
        g.dispose();
        return out;
      };
      const gn = gradImage(objectives.neuron('conv', 2, { x: 1, y: 4, batch: 1 }));
      const shape = [2, 7, 6, 3];
      let inside = 0;
      for (let n = 0; n < 2; n++)
        for (let i = 0; i < 7; i++)
          for (let j = 0; j < 6; j++)
            for (let c = 0; c < 3; c++) {
              const v = gn[ref.idx4(shape, n, i, j, c)];
              const field = n === 1 && Math.abs(i - 1) <= 1 && Math.abs(j - 4) <= 1;
              if (!field) expect(v).toBe(0);
              else if (v !== 0) inside++;
            }
      expect(inside).toBeGreaterThan(20); // 27 weights, generic random values: all non-zero
      const gc = gradImage(objectives.channel('conv', 2));
      expect(gc.filter((v) => v !== 0).length).toBeGreaterThan(gc.length * 0.9);
      // classLogit through the dense head, only image 0, penalized by L1 on the input.
      const obj = objectives.classLogit('dense', 'd', { batch: 0 }).sub(objectives.L1().mul(0.01));
      const g = tf.grad((x: tf.Tensor) =>
        obj.evaluate(Object.assign(makeT(forward(x as tf.Tensor4D, k, w)), { labels: ['a', 'b', 'c', 'd', 'e'] })),
      )(img);
      const gd = g.dataSync();
      // Image 1 only feels the L1 penalty: −0.01·sign(x) = −0.01 (pixels are positive).
      for (let q = gd.length / 2; q < gd.length; q++) expect(gd[q]).toBeCloseTo(-0.01, 6);
      expect(Array.from(gd.slice(0, gd.length / 2)).some((v) => Math.abs(v + 0.01) > 1e-4)).toBe(true);
      tf.dispose([k, w, img, g]);
    });
  });
});

describe('custom objectives: wrapObjective and handleBatch', () => {
  beforeAll(async () => {
    await useBackend('cpu');
  });

  it('wrapObjective describes like Lucid and declares the layers', async () => {
    await expectNoLeak(() => {
      const channelMax = objectives.wrapObjective('ChannelMax', (layer: string, n: number) => ({
        layers: [layer, 'input'],
        fn: (T) => tf.max(tf.slice(T(layer), [0, 0, 0, n], [-1, -1, -1, 1])),
      }));
      const obj = channelMax('l', 1);
      expect(obj.description).toBe('ChannelMax [l, 1]');
      expect([...obj.layers]).toEqual(['l']);
      const l = tf.tensor4d([1, 9, 2, 3, 4, -1, 7, 0], [1, 2, 2, 2]);
      expect(valueOf(obj, makeT({ l }))).toBe(9);
      l.dispose();
      expect(() => objectives.wrapObjective('', () => ({ fn: () => tf.scalar(0), layers: [] }))).toThrow(
        /^Error in objectives\.wrapObjective: name must be a non-empty string, but got ""\.$/,
      );
      const broken = objectives.wrapObjective('Broken', () => ({ fn: 3 }) as never);
      expect(() => broken()).toThrow(/build for "Broken" must return \{ fn, layers \}/);
    });
  });

  it('handleBatch selects one image of every lookup and keeps labels and step', async () => {
    await expectNoLeak(() => {
      const l = tf.tensor2d([
        [1, 2],
        [3, 4],
        [5, 6],
      ]);
      const T = makeT({ l }, { labels: ['x', 'y'], step: 7 });
      const v = tf.tidy(() => {
        const T1 = objectives.handleBatch(T, 1);
        expect(T1.labels).toEqual(['x', 'y']);
        expect(T1.step).toBe(7);
        expect(objectives.handleBatch(T, undefined)).toBe(T);
        return T1('l');
      });
      expect(Array.from(v.dataSync())).toEqual([3, 4]);
      expect(v.shape).toEqual([1, 2]);
      expect(() => tf.tidy(() => objectives.handleBatch(T, 3)('l'))).toThrow(
        /^Error in objectives\.handleBatch: batch 3 is out of range for layer "l" \(batch of 3 images\)/,
      );
      tf.dispose([l, v]);
    });
  });
});

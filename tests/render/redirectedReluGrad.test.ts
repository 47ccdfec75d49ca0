import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { describe, expect, it } from 'vitest';
import { redirectedRelu6Grad, redirectedReluGrad, withRedirectedReluGrad } from '../../src/render/redirectedReluGrad';
import { Rng } from '../../src/ops/random';
import { BACKENDS, expectNoLeak, maxAbsDiff, useBackend } from '../helpers/tf';

/** Lucid's redirected_relu(6)_grad, written out in float64 from its definition. */
function lucidReference(x: number[], dy: number[], batch: number, relu6: boolean): number[] {
  const per = x.length / batch;
  const out: number[] = [];
  for (let b = 0; b < batch; b++) {
    const g: number[] = [];
    const r: number[] = [];
    for (let i = b * per; i < (b + 1) * per; i++) {
      const blocked = relu6 ? x[i] < 0 || x[i] > 6 : x[i] < 0;
      g.push(blocked ? 0 : dy[i]);
      const wrongWay = (x[i] < 0 && dy[i] > 0) || (relu6 && x[i] > 6 && dy[i] < 0);
      r.push(wrongWay ? 0 : dy[i]);
    }
    const norm = Math.sqrt(g.reduce((s, v) => s + v * v, 0));
    out.push(...(norm > 0 ? g : r));
  }
  return out;
}

/**
 * Batch of 4 entries of 2×2×3: entry 0 has inputs of both signs (ordinary gradient passes),
 * entries 1 and 3 are entirely negative (dead ReLU), entry 2 is entirely outside [0, 6] (dead
 * ReLU6, half above 6); gradients of both signs everywhere.
 */
function cases(seed: number): { x: number[]; dy: number[]; shape: [number, number, number, number] } {
  const rng = new Rng(seed);
  const per = 12;
  const x: number[] = [];
  const dy: number[] = [];
  for (let b = 0; b < 4; b++) {
    for (let i = 0; i < per; i++) {
      if (b === 0) x.push(rng.uniform(-3, 3));
      else if (b === 2) x.push(i % 2 === 0 ? rng.uniform(-3, -0.1) : rng.uniform(6.1, 9));
      else x.push(rng.uniform(-3, -0.1));
      dy.push(rng.uniform(-1, 1));
    }
  }
  x[0] = 0.5; // entry 0 surely passes something
  return { x, dy, shape: [4, 2, 2, 3] };
}

describe.each(BACKENDS)('redirected ReLU gradients on %s', (backend) => {
  it('match Lucid\'s formulas (ReLU and ReLU6, per batch entry)', async () => {
    await useBackend(backend);
    const { x, dy, shape } = cases(7);
    await expectNoLeak(() => {
      const xt = tf.tensor4d(x, shape), dyt = tf.tensor4d(dy, shape);
      const g = redirectedReluGrad(xt, dyt), g6 = redirectedRelu6Grad(xt, dyt);
      const ref = lucidReference(x, dy, 4, false), ref6 = lucidReference(x, dy, 4, true);
      expect(maxAbsDiff(g.dataSync(), ref)).toBeLessThan(1e-7);
      expect(maxAbsDiff(g6.dataSync(), ref6)).toBeLessThan(1e-7);
      // The cases exercise every branch: redirected values differ from the stock gradient.
      expect(ref.slice(12, 24).some((v) => v !== 0)).toBe(true);
      expect(ref.slice(12, 24).some((v, i) => v === 0 && dy[12 + i] !== 0)).toBe(true);
      expect(ref6.slice(24, 36).some((v) => v !== 0)).toBe(true);
      tf.dispose([xt, dyt, g, g6]);
    });
  });

  it('replace tfjs\'s Relu/Relu6 gradients inside withRedirectedReluGrad only', async () => {
    await useBackend(backend);
    const { x, dy, shape } = cases(11);
    const stockRelu = tf.getGradient('Relu'), stockRelu6 = tf.getGradient('Relu6');
    await expectNoLeak(() => {
      const xt = tf.tensor4d(x, shape), c = tf.tensor4d(dy, shape);
      const gradOf = (act: (v: tf.Tensor) => tf.Tensor) => tf.grad((v: tf.Tensor) => tf.sum(tf.mul(act(v), c)))(xt);
      const inside = withRedirectedReluGrad(() => [gradOf(tf.relu), gradOf(tf.relu6)]);
      expect(maxAbsDiff(inside[0].dataSync(), lucidReference(x, dy, 4, false))).toBeLessThan(1e-6);
      expect(maxAbsDiff(inside[1].dataSync(), lucidReference(x, dy, 4, true))).toBeLessThan(1e-6);
      // Afterwards: the stock gradient again (dy where 0 < x (≤ 6), else 0).
      const after = gradOf(tf.relu), after6 = gradOf(tf.relu6);
      expect(maxAbsDiff(after.dataSync(), x.map((v, i) => (v > 0 ? dy[i] : 0)))).toBeLessThan(1e-7);
      expect(maxAbsDiff(after6.dataSync(), x.map((v, i) => (v > 0 && v <= 6 ? dy[i] : 0)))).toBeLessThan(1e-7);
      tf.dispose([xt, c, ...inside, after, after6]);
    });
    expect(tf.getGradient('Relu')).toBe(stockRelu);
    expect(tf.getGradient('Relu6')).toBe(stockRelu6);
  });

  it('redirects Keras ReLU(max_value=6), which tfjs-layers runs as Relu + ClipByValue(0, 6), like a Relu6', async () => {
    await useBackend(backend);
    const { x, dy, shape } = cases(17);
    const stockClip = tf.getGradient('ClipByValue');
    const relu6Layer = tfl.layers.reLU({ maxValue: 6 });
    await expectNoLeak(() => {
      const xt = tf.tensor4d(x, shape), c = tf.tensor4d(dy, shape);
      const gradOf = (act: (v: tf.Tensor) => tf.Tensor) => tf.grad((v: tf.Tensor) => tf.sum(tf.mul(act(v), c)))(xt);
      const keras6 = (v: tf.Tensor) => relu6Layer.apply(v) as tf.Tensor;
      const clip5 = (v: tf.Tensor) => tf.clipByValue(tf.relu(v), 0, 5);
      const [g6, g5] = withRedirectedReluGrad(() => [gradOf(keras6), gradOf(clip5)]);
      const ref6 = lucidReference(x, dy, 4, true);
      expect(maxAbsDiff(g6.dataSync(), ref6)).toBeLessThan(1e-6);
      // Entry 2 (entirely outside [0, 6]) is where the ReLU6 redirect differs from ReLU's + clip's.
      const reluThenClip = lucidReference(x, x.map((v, i) => (v > 6 ? 0 : dy[i])), 4, false);
      expect(maxAbsDiff(ref6, reluThenClip)).toBeGreaterThan(0.1);
      // A clip to another bound is not a ReLU6 (Lucid only redirects Relu6): ReLU redirect + ordinary clip.
      const ref5 = lucidReference(x, x.map((v, i) => (v > 5 ? 0 : dy[i])), 4, false);
      expect(maxAbsDiff(g5.dataSync(), ref5)).toBeLessThan(1e-6);
      // Afterwards: the stock gradients (dy where 0 < x ≤ 6).
      const after = gradOf(keras6);
      expect(maxAbsDiff(after.dataSync(), x.map((v, i) => (v > 0 && v <= 6 ? dy[i] : 0)))).toBeLessThan(1e-7);
      tf.dispose([xt, c, g6, g5, after]);
    });
    expect(tf.getGradient('ClipByValue')).toBe(stockClip);
  });

  it('binds the gradient when the op is recorded: wrapping the forward pass is enough, ops outside keep the stock one', async () => {
    await useBackend(backend);
    const { x, dy, shape } = cases(13);
    await expectNoLeak(() => {
      const xt = tf.tensor4d(x, shape), c = tf.tensor4d(dy, shape);
      // d/dv sum(c·relu_redirected(v) + c·relu_stock(v)) = redirected + stock
      const g = tf.grad((v: tf.Tensor) =>
        tf.sum(tf.add(tf.mul(withRedirectedReluGrad(() => tf.relu(v)), c), tf.mul(tf.relu(v), c))),
      )(xt);
      const ref = lucidReference(x, dy, 4, false).map((r, i) => r + (x[i] > 0 ? dy[i] : 0));
      expect(maxAbsDiff(g.dataSync(), ref)).toBeLessThan(1e-6);
      tf.dispose([xt, c, g]);
    });
  });

  it('restores the stock gradients when the step throws, and nests', async () => {
    await useBackend(backend);
    const stockRelu = tf.getGradient('Relu');
    expect(() =>
      withRedirectedReluGrad(() => {
        expect(tf.getGradient('Relu')).not.toBe(stockRelu);
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(tf.getGradient('Relu')).toBe(stockRelu);
    withRedirectedReluGrad(() => {
      const redirected = tf.getGradient('Relu');
      withRedirectedReluGrad(() => undefined);
      expect(tf.getGradient('Relu')).toBe(redirected);
    });
    expect(tf.getGradient('Relu')).toBe(stockRelu);
    expect(() => withRedirectedReluGrad(() => Promise.resolve(1))).toThrow(/fn must be synchronous/);
    expect(tf.getGradient('Relu')).toBe(stockRelu);
  });
});

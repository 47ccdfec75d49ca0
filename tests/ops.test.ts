import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { stopGradient } from '../src/ops/stopGradient';
import { Rng } from '../src/ops/random';
import { BACKENDS, expectNoLeak, useBackend } from './helpers/tf';
import { OptvisError, closestNames, didYouMean } from '../src/errors';

describe.each(BACKENDS)('stopGradient on %s', (backend) => {
  it('passes the value and blocks the gradient', async () => {
    await useBackend(backend);
    await expectNoLeak(() => {
      const x = tf.tensor([1, 2, 3]);
      const g = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(v, stopGradient(v))))(x);
      // d/dv sum(v * sg(v)) = sg(v) = v
      expect(Array.from(g.dataSync())).toEqual([1, 2, 3]);
      const y = stopGradient(x);
      expect(Array.from(y.dataSync())).toEqual([1, 2, 3]);
      expect(y).not.toBe(x);
      tf.dispose([x, g, y]);
    });
  });
});

describe('Rng', () => {
  it('is deterministic per seed and differs across seeds', () => {
    const a = new Rng(1), b = new Rng(1), c = new Rng(2);
    const sa = Array.from({ length: 5 }, () => a.next());
    expect(Array.from({ length: 5 }, () => b.next())).toEqual(sa);
    expect(Array.from({ length: 5 }, () => c.next())).not.toEqual(sa);
    for (const v of sa) expect(v >= 0 && v < 1).toBe(true);
  });
  it('rejects bad seeds and empty lists with an OptvisError', () => {
    for (const [f, fn, re] of [
      [() => new Rng(NaN), 'Rng', /^Error in Rng: seed must be a finite number, but got NaN\.$/],
      [() => new Rng('1' as unknown as number), 'Rng', /seed must be a finite number, but got "1"/],
      [() => new Rng(0).choice([]), 'Rng.choice', /^Error in Rng\.choice: list must be a non-empty array, but got \[\]\.$/],
    ] as const) {
      let error: unknown;
      try {
        f();
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(OptvisError);
      expect((error as OptvisError).fn).toBe(fn);
      expect((error as OptvisError).message).toMatch(re);
    }
  });
  it('draws normals with mean 0 and sd 1', () => {
    const r = new Rng(3);
    const xs = Array.from({ length: 20000 }, () => r.normal());
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
    const sd = Math.sqrt(xs.reduce((s, x) => s + (x - mean) ** 2, 0) / xs.length);
    expect(Math.abs(mean)).toBeLessThan(0.03);
    expect(Math.abs(sd - 1)).toBeLessThan(0.03);
  });
});

describe('name suggestions', () => {
  it('suggests the closest layer names', () => {
    const names = ['mixed3a', 'mixed3b', 'mixed4a', 'mixed4b', 'conv2d0'];
    expect(closestNames('mixed4x', names, 2)).toEqual(['mixed4a', 'mixed4b']);
    expect(didYouMean('mixd4a', names, 1)).toBe(" Did you mean 'mixed4a'?");
  });
});

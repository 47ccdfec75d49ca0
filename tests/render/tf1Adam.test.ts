/**
 * The session's default optimizer is TF1's Adam (Lucid's `tf.train.AdamOptimizer(0.05)`), checked
 * against a float64 transcription of TF1's update rule, at gradients small enough for epsilon to
 * matter (|g| = 1e-7, the regime the issue measured; spectral gradients sit at 1e-5–1e-3).
 */
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { Objective } from '../../src/objectives/objective';
import { pixelImage } from '../../src/param/spatial';
import { visSession } from '../../src/render/session';
import { Tf1AdamOptimizer } from '../../src/render/tf1Adam';
import { expectNoLeak, useBackend } from '../helpers/tf';
import { tinyModel } from './standins';

/** TF1 `AdamOptimizer` (epsilon hat) in float64: parameter after `steps` updates with gradient `g(t)`. */
function tf1Adam(x0: number, g: (t: number) => number, steps: number, lr = 0.05, b1 = 0.9, b2 = 0.999, eps = 1e-8): number {
  let x = x0, m = 0, v = 0;
  for (let t = 1; t <= steps; t++) {
    const gt = g(t);
    m = b1 * m + (1 - b1) * gt;
    v = b2 * v + (1 - b2) * gt * gt;
    const lrT = (lr * Math.sqrt(1 - b2 ** t)) / (1 - b1 ** t);
    x -= (lrT * m) / (Math.sqrt(v) + eps);
  }
  return x;
}

/** tfjs's `tf.train.adam` rule (epsilon on the bias-corrected moment) in float64, for contrast. */
function tfjsAdam(x0: number, g: (t: number) => number, steps: number, eps: number, lr = 0.05, b1 = 0.9, b2 = 0.999): number {
  let x = x0, m = 0, v = 0;
  for (let t = 1; t <= steps; t++) {
    const gt = g(t);
    m = b1 * m + (1 - b1) * gt;
    v = b2 * v + (1 - b2) * gt * gt;
    x -= (lr * (m / (1 - b1 ** t))) / (Math.sqrt(v / (1 - b2 ** t)) + eps);
  }
  return x;
}

describe('default optimizer: TF1 Adam (cpu)', () => {
  it('a session without optimizer follows TF1 AdamOptimizer(0.05) at |g| = 1e-7', async () => {
    await useBackend('cpu');
    const k = 1e-7;
    const steps = 20;
    await expectNoLeak(() => {
      const model = tinyModel();
      const param = pixelImage([1, 4, 4, 3], { sd: 0 }); // starts at 0
      // objective = k · Σ input, so the minimised loss −objective has gradient −k on every pixel.
      const objective = new Objective((T) => tf.mul(tf.sum(T('input')), k), 'k·sum(input)', []);
      const s = visSession(model, objective, { param, transforms: [] });
      for (let i = 0; i < steps; i++) s.step();
      const got = param.variables[0].dataSync();
      s.dispose();
      param.dispose();
      model.dispose();
      const want = tf1Adam(0, () => -k, steps);
      for (const v of got) expect(Math.abs(v - want) / Math.abs(want)).toBeLessThan(1e-4);
      // The test can fail: tfjs's own defaults give a clearly different parameter.
      const tfjsDefault = tfjsAdam(0, () => -k, steps, 1e-7);
      const tfjsEps8 = tfjsAdam(0, () => -k, steps, 1e-8);
      // Measured: tf.train.adam(0.05) is 4.5 % off TF1 here; tfjs's rule with epsilon 1e-8 is 90 % off
      // (TF1's epsilon sits on the raw second moment, worth 3.2e-7 on the corrected one at update 1).
      expect(Math.abs(tfjsDefault - want) / Math.abs(want)).toBeGreaterThan(0.03);
      expect(Math.abs(tfjsEps8 - want) / Math.abs(want)).toBeGreaterThan(0.5);
    });
  });

  it('matches TF1 with a varying gradient, for any beta/epsilon', async () => {
    await useBackend('cpu');
    await expectNoLeak(() => {
      const opt = new Tf1AdamOptimizer(0.01, 0.8, 0.99, 1e-6);
      const x0 = tf.scalar(0.3);
      const x = tf.variable(x0);
      x0.dispose();
      const g = (t: number): number => 3e-6 * Math.cos(t) + 1e-6;
      for (let t = 1; t <= 30; t++) {
        const grad = tf.scalar(g(t));
        opt.applyGradients([{ name: x.name, tensor: grad }]);
        grad.dispose();
      }
      const got = x.dataSync()[0];
      const want = tf1Adam(0.3, g, 30, 0.01, 0.8, 0.99, 1e-6);
      expect(Math.abs(got - want)).toBeLessThan(1e-6 * Math.abs(0.3 - want) + 1e-7);
      expect(Math.abs(tfjsAdam(0.3, g, 30, 1e-6, 0.01, 0.8, 0.99) - want)).toBeGreaterThan(1e-4);
      opt.dispose();
      x.dispose();
    });
  });
});

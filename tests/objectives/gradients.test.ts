import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import * as objectives from '../../src/objectives';
import { BACKENDS, expectNoLeak, useBackend } from '../helpers/tf';
import { finiteDiff, gradOf, tensorOf } from './helpers';
import * as ref from './reference';

/** Compares the tfjs gradient with float64 central differences at `count` spread coordinates. */
function expectGradMatches(g: Float64Array, f: (a: ref.Arr) => number, a: ref.Arr, count = 12, tol = 2e-3): void {
  const coords = Array.from({ length: count }, (_, i) => Math.floor(((i + 0.5) * a.data.length) / count));
  const fd = finiteDiff(f, a, coords);
  const scale = Math.max(1e-3, ...fd.map(Math.abs));
  coords.forEach((k, i) => {
    expect(Math.abs(g[k] - fd[i]), `coordinate ${k}: tfjs ${g[k]} vs finite difference ${fd[i]}`).toBeLessThanOrEqual(tol * scale);
  });
  expect(g.every(Number.isFinite)).toBe(true);
}

describe.each(BACKENDS)('objective gradients on %s', (backend) => {
  beforeAll(async () => {
    await useBackend(backend);
  });

  it('channel: 1/(N·H·W) on channel n, 1/(H·W) on image `batch` only, 0 elsewhere', async () => {
    await expectNoLeak(() => {
      const shape = [2, 3, 4, 5];
      const t = tensorOf(ref.randomArr(shape, 30));
      const g = gradOf(objectives.channel('l', 2), { l: t }, 'l');
      const gb = gradOf(objectives.channel('l', 4, { batch: 1 }), { l: t }, 'l');
      for (let k = 0; k < g.length; k++) {
        const c = k % 5, n = Math.floor(k / 60);
        expect(g[k]).toBeCloseTo(c === 2 ? 1 / 24 : 0, 7);
        expect(gb[k]).toBeCloseTo(c === 4 && n === 1 ? 1 / 12 : 0, 7);
      }
      t.dispose();
    });
  });

  it('neuron: non-zero only at (x, y, n)', async () => {
    await expectNoLeak(() => {
      const shape = [1, 4, 5, 3];
      const t = tensorOf(ref.randomArr(shape, 31));
      const g = gradOf(objectives.neuron('l', 1, { x: 3, y: 1 }), { l: t }, 'l');
      const hot = ref.idx4(shape, 0, 3, 1, 1);
      g.forEach((v, k) => expect(v).toBe(k === hot ? 1 : 0));
      t.dispose();
    });
  });

  it('direction with cossimPow matches finite differences; a zero activation vector gives a finite gradient', async () => {
    await expectNoLeak(() => {
      const a = ref.randomArr([2, 2, 3, 4], 32);
      // One position is exactly zero (as after a ReLU): Lucid's formula would give NaN there.
      a.data.fill(0, 0, 4);
      const vec = [1, -0.5, 0.25, 2];
      const t = tensorOf(a);
      const g = gradOf(objectives.direction('l', vec, { cossimPow: 2 }), { l: t }, 'l');
      expect(g.every(Number.isFinite)).toBe(true);
      // Away from the zero vector the gradient matches the float64 formula.
      const coords = [5, 9, 13, 20, 30, 40];
      const fd = finiteDiff((x) => ref.directionValue(x, vec, 2), a, coords);
      coords.forEach((k, i) => expect(Math.abs(g[k] - fd[i])).toBeLessThan(2e-3 * Math.max(1, Math.abs(fd[i]))));
      t.dispose();
    });
  });

  it('blurInputEachStep: the gradient is exactly x − blur(x) (the blur is stop-gradiented)', async () => {
    await expectNoLeak(() => {
      const img = ref.randomArr([1, 6, 5, 3], 33, 0, 1);
      const t = tensorOf(img);
      const g = gradOf(objectives.blurInputEachStep(), { input: t }, 'input');
      const b = ref.blur(img, 3);
      g.forEach((v, k) => expect(Math.abs(v - (img.data[k] - b.data[k]))).toBeLessThan(1e-5));
      // Alpha only: channels 0..2 get no gradient.
      const rgba = ref.randomArr([1, 4, 4, 4], 34, 0, 1);
      const t4 = tensorOf(rgba);
      const ga = gradOf(objectives.blurAlphaEachStep(), { input: t4 }, 'input');
      const ba = ref.blur(rgba, 3);
      ga.forEach((v, k) => {
        if (k % 4 !== 3) expect(v).toBe(0);
        else expect(Math.abs(v - (rgba.data[k] - ba.data[k]))).toBeLessThan(1e-5);
      });
      expect(ga.some((v) => v !== 0)).toBe(true);
      tf.dispose([t, t4]);
    });
  });

  it('penalizeBoundaryComplexity: matches finite differences; zero deep inside the free interior', async () => {
    await expectNoLeak(() => {
      const shape = [1, 12, 12, 2];
      const img = ref.randomArr(shape, 35, 0, 1);
      const t = tensorOf(img);
      const obj = objectives.penalizeBoundaryComplexity(shape, { w: 3 });
      const g = gradOf(obj, { input: t }, 'input');
      const f = (x: ref.Arr) => {
        const b = ref.blur(x, 5);
        let s = 0;
        for (let i = 0; i < 12; i++)
          for (let j = 0; j < 12; j++)
            for (let c = 0; c < 2; c++) {
              if (i >= 3 && i < 9 && j >= 3 && j < 9) continue;
              const k = ref.idx4(shape, 0, i, j, c);
              s += (b.data[k] - x.data[k]) ** 2 + 0.8 * (x.data[k] - 0.5) ** 2;
            }
        return -s;
      };
      expectGradMatches(g, f, img, 16);
      // Pixels more than 2 (the blur radius) inside the free interior do not affect the value.
      for (let i = 0; i < 12; i++)
        for (let j = 0; j < 12; j++) {
          const deep = i >= 5 && i < 7 && j >= 5 && j < 7;
          const v = g[ref.idx4(shape, 0, i, j, 0)];
          if (deep) expect(v).toBe(0);
          else if (i < 3 || j < 3) expect(v).not.toBe(0);
        }
      t.dispose();
    });
  });

  it('channel − k·totalVariation over a batch: Lucid\'s [N] loss, the channel weighing N times', async () => {
    await expectNoLeak(() => {
      const img = ref.randomArr([3, 4, 5, 2], 37, 0, 1);
      const t = tensorOf(img);
      const k = 0.01;
      const obj = objectives.channel('input', 1).sub(objectives.totalVariation().mul(k));
      // Lucid: loss_i = channel − k·tv_i for each of the N = 3 images; TF minimises Σ_i loss_i.
      const lucid = (x: ref.Arr): number => 3 * ref.channelMean(x, 1) - k * ref.totalVariation(x);
      const g = gradOf(obj, { input: t }, 'input');
      expectGradMatches(g, lucid, img, 24);
      // Summing each term first (channel − k·Σ tv, this library before) differs by 2·∂channel =
      // 2/60 on every channel-1 value.
      const gc = gradOf(objectives.channel('input', 1), { input: t }, 'input');
      const gtv = gradOf(objectives.totalVariation(), { input: t }, 'input');
      expect(gc[1]).toBeCloseTo(1 / 60, 6);
      expect(Math.abs(g[1] - (gc[1] - k * gtv[1]))).toBeGreaterThan(0.03);
      expect(Math.abs(g[1] - (3 * gc[1] - k * gtv[1]))).toBeLessThan(1e-5);
      t.dispose();
    });
  });

  it('totalVariation, diversity, alignment, inputDiff, L2 match finite differences', async () => {
    await expectNoLeak(() => {
      const img = ref.randomArr([2, 4, 3, 2], 36, 0, 1);
      const t = tensorOf(img);
      expectGradMatches(gradOf(objectives.totalVariation(), { input: t }, 'input'), (x) => ref.totalVariation(x), img);
      expectGradMatches(gradOf(objectives.diversity('l'), { l: t }, 'l'), (x) => ref.diversity(x), img);
      const a5 = ref.randomArr([5, 2, 2, 2], 37);
      const t5 = tensorOf(a5);
      expectGradMatches(gradOf(objectives.alignment('l'), { l: t5 }, 'l'), (x) => ref.alignment(x, 2), a5);
      const orig = ref.randomArr([4, 3, 2], 38, 0, 1);
      const rms = (x: ref.Arr) => {
        let s = 0;
        for (let k = 0; k < x.data.length; k++) s += (x.data[k] - orig.data[k % orig.data.length]) ** 2;
        return Math.sqrt(s / x.data.length);
      };
      expectGradMatches(gradOf(objectives.inputDiff(toNested(orig)), { input: t }, 'input'), rms, img);
      const l2 = (x: ref.Arr) => Math.sqrt(1e-6 + Array.from(x.data).reduce((s, v) => s + (v - 0.5) ** 2, 0));
      expectGradMatches(gradOf(objectives.L2('input', { constant: 0.5 }), { input: t }, 'input'), l2, img);
      tf.dispose([t, t5]);
    });
  });

  it('inputDiff at the reference image itself has a zero (not NaN) gradient', async () => {
    await expectNoLeak(() => {
      const img = ref.randomArr([1, 3, 3, 3], 39, 0, 1);
      const t = tensorOf(img);
      const g = gradOf(objectives.inputDiff(t), { input: t }, 'input');
      g.forEach((v) => expect(v).toBe(0));
      t.dispose();
    });
  });

  it('classLogit: gradient 1 on the class column of the selected image', async () => {
    await expectNoLeak(() => {
      const t = tensorOf(ref.randomArr([3, 4], 40));
      const g = gradOf(objectives.classLogit('logits', 'b', { batch: 2 }), { logits: t }, 'logits', { labels: ['a', 'b', 'c', 'd'] });
      g.forEach((v, k) => expect(v).toBe(k === 2 * 4 + 1 ? 1 : 0));
      t.dispose();
    });
  });

  it('adversarial background: + on image 0, − on image 1', async () => {
    await expectNoLeak(() => {
      const t = tensorOf(ref.randomArr([2, 2, 2, 3], 41));
      const obj = objectives.channel('l', 0, { batch: 0 }).sub(objectives.channel('l', 0, { batch: 1 }));
      const g = gradOf(obj, { l: t }, 'l');
      g.forEach((v, k) => {
        const n = Math.floor(k / 12);
        expect(v).toBeCloseTo(k % 3 !== 0 ? 0 : n === 0 ? 0.25 : -0.25, 7);
      });
      t.dispose();
    });
  });
});

function toNested(a: ref.Arr): number[][][] {
  const [h, w, c] = a.shape;
  return Array.from({ length: h }, (_, i) =>
    Array.from({ length: w }, (_, j) => Array.from(a.data.subarray((i * w + j) * c, (i * w + j + 1) * c))),
  );
}

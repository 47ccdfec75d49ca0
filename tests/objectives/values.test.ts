import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import * as objectives from '../../src/objectives';
import { BACKENDS, expectNoLeak, useBackend } from '../helpers/tf';
import { expectClose, makeT, tensorOf, valueOf } from './helpers';
import * as ref from './reference';

const RTOL = 1e-4;
const ATOL = 1e-5;

describe.each(BACKENDS)('objective values on %s', (backend) => {
  beforeAll(async () => {
    await useBackend(backend);
  });

  it('channel: mean of one channel over batch and positions; batch selects one image', async () => {
    await expectNoLeak(() => {
      const a = ref.randomArr([2, 5, 6, 4], 1);
      const d = ref.randomArr([3, 7], 2);
      const t = tensorOf(a), td = tensorOf(d);
      const T = makeT({ conv: t, dense: td });
      expectClose(valueOf(objectives.channel('conv', 2), T), ref.channelMean(a, 2), RTOL, ATOL);
      expectClose(valueOf(objectives.channel('conv', 3, { batch: 1 }), T), ref.channelMean(a, 3, 1), RTOL, ATOL);
      expectClose(valueOf(objectives.channel('dense', 6), T), ref.channelMean(d, 6), RTOL, ATOL);
      expectClose(valueOf(objectives.channel('dense', 0, { batch: 2 }), T), d.data[2 * 7 + 0], RTOL, ATOL);
      // The adversarial-background objective: image 0 up, image 1 down.
      const adv = objectives.channel('conv', 1, { batch: 0 }).sub(objectives.channel('conv', 1, { batch: 1 }));
      expectClose(valueOf(adv, T), ref.channelMean(a, 1, 0) - ref.channelMean(a, 1, 1), RTOL, ATOL);
      tf.dispose([t, td]);
    });
  });

  it('neuron: centre by default (row H//2, column W//2), x = row and y = column', async () => {
    await expectNoLeak(() => {
      const even = ref.randomArr([2, 4, 6, 3], 3); // centre (2, 3)
      const odd = ref.randomArr([1, 5, 3, 3], 4); // centre (2, 1)
      const te = tensorOf(even), to = tensorOf(odd);
      const T = makeT({ even: te, odd: to });
      expectClose(valueOf(objectives.neuron('even', 1), T), ref.neuronValue(even, 1, 2, 3), RTOL, ATOL);
      expectClose(valueOf(objectives.neuron('odd', 2), T), ref.neuronValue(odd, 2, 2, 1), RTOL, ATOL);
      // x indexes rows: (x=3, y=0) differs from (x=0, y=3) on a non-symmetric layer.
      expectClose(valueOf(objectives.neuron('even', 0, { x: 3, y: 0 }), T), ref.neuronValue(even, 0, 3, 0), RTOL, ATOL);
      expectClose(valueOf(objectives.neuron('even', 0, { x: 0, y: 5 }), T), ref.neuronValue(even, 0, 0, 5), RTOL, ATOL);
      expectClose(
        valueOf(objectives.neuron('even', 2, { x: 1, batch: 1 }), T),
        ref.neuronValue(even, 2, 1, 3, 1),
        RTOL,
        ATOL,
      );
      tf.dispose([te, to]);
    });
  });

  it('direction and directionCossim: dot product, cossim-power weighting, batch', async () => {
    await expectNoLeak(() => {
      const a = ref.randomArr([2, 3, 4, 5], 5);
      const vec = Array.from(ref.randomArr([5], 6).data);
      const t = tensorOf(a);
      const T = makeT({ l: t });
      for (const pow of [0, 1, 2.5]) {
        expectClose(valueOf(objectives.direction('l', vec, { cossimPow: pow }), T), ref.directionValue(a, vec, pow), RTOL, ATOL);
      }
      expectClose(
        valueOf(objectives.directionCossim('l', vec, { cossimPow: 1, batch: 1 }), T),
        ref.directionValue(a, vec, 1, 1),
        RTOL,
        ATOL,
      );
      // A tensor vector is copied: disposing it right away is fine.
      const vt = tf.tensor1d(vec);
      const obj = objectives.direction('l', vt);
      vt.dispose();
      expectClose(valueOf(obj, T), ref.directionValue(a, vec, 0), RTOL, ATOL);
      t.dispose();
    });
  });

  it('directionNeuron: the direction at one position', async () => {
    await expectNoLeak(() => {
      const a = ref.randomArr([2, 4, 5, 3], 7);
      const vec = [0.5, -1, 2];
      const t = tensorOf(a);
      const T = makeT({ l: t });
      const at = (x: number, y: number, pow: number, batch?: number) =>
        ref.dotCossim(ref.images(a, batch).map((b) => [ref.vecAt(a, b, x, y), vec] as [number[], number[]]), pow);
      expectClose(valueOf(objectives.directionNeuron('l', vec), T), at(2, 2, 0), RTOL, ATOL);
      expectClose(valueOf(objectives.directionNeuron('l', vec, { x: 3, y: 1, cossimPow: 2 }), T), at(3, 1, 2), RTOL, ATOL);
      expectClose(valueOf(objectives.directionNeuron('l', vec, { x: 0, y: 4, batch: 0 }), T), at(0, 4, 0, 0), RTOL, ATOL);
      t.dispose();
    });
  });

  it('tensorDirection: pattern against the central window', async () => {
    await expectNoLeak(() => {
      const a = ref.randomArr([2, 6, 5, 3], 8);
      const pat = ref.randomArr([3, 2, 3], 9); // window rows 1..3, columns 1..2
      const t = tensorOf(a);
      const T = makeT({ l: t });
      const nested = Array.from({ length: 3 }, (_, i) =>
        Array.from({ length: 2 }, (_, j) => Array.from(pat.data.subarray((i * 2 + j) * 3, (i * 2 + j + 1) * 3))),
      );
      const expected = (pow: number, batch?: number) => {
        const pairs: [number[], number[]][] = [];
        for (const b of ref.images(a, batch))
          for (let i = 0; i < 3; i++) for (let j = 0; j < 2; j++) pairs.push([ref.vecAt(a, b, 1 + i, 1 + j), nested[i][j]]);
        return ref.dotCossim(pairs, pow);
      };
      expectClose(valueOf(objectives.tensorDirection('l', nested), T), expected(0), RTOL, ATOL);
      expectClose(valueOf(objectives.tensorDirection('l', nested, { cossimPow: 1 }), T), expected(1), RTOL, ATOL);
      expectClose(valueOf(objectives.tensorDirection('l', [nested], { batch: 1 }), T), expected(0, 1), RTOL, ATOL);
      t.dispose();
    });
  });

  it('deepdream, totalVariation, L1, L2 (over the batch, or one image)', async () => {
    await expectNoLeak(() => {
      const img = ref.randomArr([2, 5, 4, 3], 10, 0, 1);
      const t = tensorOf(img);
      const T = makeT({ input: t, l: t });
      const all = Array.from(img.data);
      const second = all.slice(all.length / 2);
      const meanSq = all.reduce((s, v) => s + v * v, 0) / all.length;
      expectClose(valueOf(objectives.deepdream('l'), T), meanSq, RTOL, ATOL);
      expectClose(valueOf(objectives.deepdream('l', { batch: 1 }), T), second.reduce((s, v) => s + v * v, 0) / second.length, RTOL, ATOL);
      expectClose(valueOf(objectives.totalVariation(), T), ref.totalVariation(img), RTOL, ATOL);
      expectClose(valueOf(objectives.totalVariation('l', { batch: 1 }), T), ref.totalVariation(img, 1), RTOL, ATOL);
      expectClose(valueOf(objectives.L1(), T), all.reduce((s, v) => s + Math.abs(v), 0), RTOL, ATOL);
      expectClose(
        valueOf(objectives.L1('input', { constant: 0.5, batch: 1 }), T),
        second.reduce((s, v) => s + Math.abs(v - 0.5), 0),
        RTOL,
        ATOL,
      );
      expectClose(valueOf(objectives.L2(), T), Math.sqrt(1e-6 + all.reduce((s, v) => s + v * v, 0)), RTOL, ATOL);
      expectClose(
        valueOf(objectives.L2('l', { constant: 0.25, epsilon: 0.5 }), T),
        Math.sqrt(0.5 + all.reduce((s, v) => s + (v - 0.25) ** 2, 0)),
        RTOL,
        ATOL,
      );
      t.dispose();
    });
  });

  it('totalVariation: one-row images and single [H, W, C] images', async () => {
    await expectNoLeak(() => {
      const row = ref.randomArr([2, 1, 5, 2], 24);
      const img3 = ref.randomArr([1, 4, 3, 2], 25);
      const tr = tensorOf(row);
      const t3 = tf.tensor(Float32Array.from(img3.data), [4, 3, 2]);
      const T = makeT({ row: tr, img3: t3 });
      expectClose(valueOf(objectives.totalVariation('row'), T), ref.totalVariation(row), RTOL, ATOL);
      expectClose(valueOf(objectives.totalVariation('img3'), T), ref.totalVariation(img3), RTOL, ATOL);
      tf.dispose([tr, t3]);
    });
  });

  it('blurInputEachStep / blurAlphaEachStep: 0.5·Σ(x − blur3(x))²', async () => {
    await expectNoLeak(() => {
      const img = ref.randomArr([2, 6, 5, 4], 11, 0, 1);
      const t = tensorOf(img);
      const T = makeT({ input: t });
      const b = ref.blur(img, 3);
      let all = 0, alpha = 0;
      for (let k = 0; k < img.data.length; k++) {
        const d = (img.data[k] - b.data[k]) ** 2;
        all += d;
        if (k % 4 === 3) alpha += d;
      }
      expectClose(valueOf(objectives.blurInputEachStep(), T), 0.5 * all, RTOL, ATOL);
      expectClose(valueOf(objectives.blurAlphaEachStep(), T), 0.5 * alpha, RTOL, ATOL);
      t.dispose();
    });
  });

  it('penalizeBoundaryComplexity: −Σ mask·((blur5(x) − x)² + 0.8(x − C)²)', async () => {
    await expectNoLeak(() => {
      const shape = [1, 9, 8, 3];
      const img = ref.randomArr(shape, 12, 0, 1);
      const t = tensorOf(img);
      const T = makeT({ input: t });
      const b = ref.blur(img, 5);
      const expected = (mask: (i: number, j: number) => number, C: number) => {
        let s = 0;
        for (let i = 0; i < 9; i++)
          for (let j = 0; j < 8; j++)
            for (let c = 0; c < 3; c++) {
              const k = ref.idx4(shape, 0, i, j, c);
              s += mask(i, j) * ((b.data[k] - img.data[k]) ** 2 + 0.8 * (img.data[k] - C) ** 2);
            }
        return -s;
      };
      const border2 = (i: number, j: number) => (i >= 2 && i < 7 && j >= 2 && j < 6 ? 0 : 1);
      expectClose(valueOf(objectives.penalizeBoundaryComplexity(shape, { w: 2 }), T), expected(border2, 0.5), RTOL, ATOL);
      // Default w = 20 >= size: Lucid's empty interior slice leaves the whole image penalized.
      expectClose(valueOf(objectives.penalizeBoundaryComplexity(shape, { C: 0.2 }), T), expected(() => 1, 0.2), RTOL, ATOL);
      // A custom mask, broadcast over batch and channels.
      const mask = Array.from({ length: 9 }, (_, i) => Array.from({ length: 8 }, (_, j) => [(i + j) % 3 === 0 ? 1 : 0]));
      expectClose(
        valueOf(objectives.penalizeBoundaryComplexity(shape, { mask: [mask] }), T),
        expected((i, j) => ((i + j) % 3 === 0 ? 1 : 0), 0.5),
        RTOL,
        ATOL,
      );
      t.dispose();
    });
  });

  it('channelInterpolate: weights i/(N−1) across the batch', async () => {
    await expectNoLeak(() => {
      const a = ref.randomArr([4, 3, 3, 5], 13);
      const d = ref.randomArr([4, 6], 14);
      const ta = tensorOf(a), td = tensorOf(d);
      const T = makeT({ a: ta, d: td });
      let expected = 0;
      for (let n = 0; n < 4; n++) {
        const w = n / 3;
        expected += (1 - w) * ref.channelMean(a, 1, n) + w * ref.channelMean(d, 4, n);
      }
      expectClose(valueOf(objectives.channelInterpolate('a', 1, 'd', 4), T), expected, RTOL, ATOL);
      tf.dispose([ta, td]);
    });
  });

  it('alignment: −Σ_d Σ_i mean((a_i − a_{i+d})²)/decay^d, 0 for one image', async () => {
    await expectNoLeak(() => {
      const a = ref.randomArr([6, 3, 2, 4], 15);
      const one = ref.randomArr([1, 3, 2, 4], 16);
      const ta = tensorOf(a), t1 = tensorOf(one);
      const T = makeT({ a: ta, one: t1 });
      expectClose(valueOf(objectives.alignment('a'), T), ref.alignment(a, 2), RTOL, ATOL);
      expectClose(valueOf(objectives.alignment('a', { decayRatio: 3 }), T), ref.alignment(a, 3), RTOL, ATOL);
      expect(valueOf(objectives.alignment('one'), T)).toBe(0);
      tf.dispose([ta, t1]);
    });
  });

  it('diversity: Σ_{i≠j} ⟨Ĝ_i, Ĝ_j⟩ / N of L2-normalized Gram matrices', async () => {
    await expectNoLeak(() => {
      const a = ref.randomArr([3, 4, 3, 5], 17, 0, 1);
      const d = ref.randomArr([4, 6], 18);
      const one = ref.randomArr([1, 2, 2, 3], 19);
      const ta = tensorOf(a), td = tensorOf(d), t1 = tensorOf(one);
      const T = makeT({ a: ta, d: td, one: t1 });
      expectClose(valueOf(objectives.diversity('a'), T), ref.diversity(a), RTOL, ATOL);
      expectClose(valueOf(objectives.diversity('d'), T), ref.diversity(d), RTOL, ATOL);
      expectClose(valueOf(objectives.diversity('one'), T), 0, RTOL, ATOL);
      // Identical images are maximally similar: N − 1.
      const same = tf.tidy(() => tf.tile(tf.tensor(Float32Array.from(one.data), one.shape), [3, 1, 1, 1]));
      expectClose(valueOf(objectives.diversity('same'), makeT({ same })), 2, RTOL, ATOL);
      tf.dispose([ta, td, t1, same]);
    });
  });

  it('inputDiff: root-mean-square difference, broadcast reference image', async () => {
    await expectNoLeak(() => {
      const img = ref.randomArr([2, 4, 3, 3], 20, 0, 1);
      const orig = ref.randomArr([4, 3, 3], 21, 0, 1);
      const t = tensorOf(img);
      const T = makeT({ input: t });
      let s = 0;
      for (let k = 0; k < img.data.length; k++) s += (img.data[k] - orig.data[k % orig.data.length]) ** 2;
      const origT = tensorOf(orig);
      const obj = objectives.inputDiff(origT);
      origT.dispose(); // copied by the factory
      expectClose(valueOf(obj, T), Math.sqrt(s / img.data.length), RTOL, ATOL);
      t.dispose();
    });
  });

  it('classLogit: by index or label name, summed over the batch or one image', async () => {
    await expectNoLeak(() => {
      const logits = ref.randomArr([3, 5], 22);
      const t = tensorOf(logits);
      const t4 = tf.reshape(t, [3, 1, 1, 5]);
      const labels = ['cat', 'dog', 'tabby', 'tiger', 'bus'];
      const T = makeT({ logits: t, conv: t4 }, { labels });
      const col = (k: number) => [0, 1, 2].map((n) => logits.data[n * 5 + k]);
      expectClose(valueOf(objectives.classLogit('logits', 3), T), col(3).reduce((s, v) => s + v, 0), RTOL, ATOL);
      expectClose(valueOf(objectives.classLogit('logits', 'tabby'), T), col(2).reduce((s, v) => s + v, 0), RTOL, ATOL);
      expectClose(valueOf(objectives.classLogit('logits', 'bus', { batch: 2 }), T), col(4)[2], RTOL, ATOL);
      expectClose(valueOf(objectives.classLogit('conv', 1), T), col(1).reduce((s, v) => s + v, 0), RTOL, ATOL);
      tf.dispose([t, t4]);
    });
  });

  it('arithmetic composes values: sum, difference, scaling', async () => {
    await expectNoLeak(() => {
      const a = ref.randomArr([2, 3, 3, 4], 23, 0, 1);
      const t = tensorOf(a);
      const T = makeT({ input: t, l: t });
      const obj = objectives.Objective.sum([
        objectives.asObjective('l:2'),
        objectives.L1().mul(-0.05),
        objectives.totalVariation().div(4),
        1.5,
      ]);
      // As Lucid: totalVariation is one value per image ([2]); the scalar terms are broadcast over
      // the 2 images and the sum of the [2] loss is optimized, so they count twice.
      const scalars = ref.channelMean(a, 2) - 0.05 * Array.from(a.data).reduce((s, v) => s + Math.abs(v), 0) + 1.5;
      const expected = 2 * scalars + ref.totalVariation(a) / 4;
      expectClose(valueOf(obj, T), expected, RTOL, ATOL);
      t.dispose();
    });
  });
});

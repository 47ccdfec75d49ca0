import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import * as objectives from '../../src/objectives';
import { OptvisError } from '../../src/errors';
import { expectNoLeak, useBackend } from '../helpers/tf';
import { expectEvalError, makeT, tensorOf } from './helpers';
import * as ref from './reference';

const { Objective } = objectives;

describe('descriptions and layers', () => {
  it('read like Lucid: Name [args], options as key=value', () => {
    expect(objectives.channel('mixed4a', 97).description).toBe('Channel [mixed4a, 97]');
    expect(objectives.channel('mixed4a', 97, { batch: 1 }).description).toBe('Channel [mixed4a, 97, batch=1]');
    expect(objectives.neuron('mixed4a', 3, { x: 1, y: 2 }).description).toBe('Neuron [mixed4a, 3, x=1, y=2]');
    expect(objectives.direction('l', [1, 0]).description).toBe('Direction [l, [1, 0]]');
    expect(objectives.direction('l', new Array(100).fill(0), { cossimPow: 1 }).description).toBe('Direction [l, ..., cossimPow=1]');
    expect(objectives.totalVariation().description).toBe('TotalVariation [input]');
    expect(objectives.L1().description).toBe('L1 [input]');
    expect(objectives.L2('conv', { constant: 0.5 }).description).toBe('L2 [conv, constant=0.5]');
    expect(objectives.blurInputEachStep().description).toBe('BlurInputEachStep []');
    expect(objectives.classLogit('logits', 'tabby').description).toBe('ClassLogit [logits, tabby]');
    expect(objectives.channelInterpolate('a', 1, 'b', 2).description).toBe('ChannelInterpolate [a, 1, b, 2]');
    expect(objectives.asObjective('mixed4a:97').description).toBe('Channel [mixed4a, 97]');
    const sum = objectives.channel('a', 1).sub(objectives.L1().mul(0.05));
    expect(sum.description).toBe('Sum(Channel [a, 1], -0.05 * L1 [input])');
  });

  it('every factory declares the model layers it reads (never "input")', () => {
    const cases: [objectives.Objective, string[]][] = [
      [objectives.channel('a', 0), ['a']],
      [objectives.neuron('a', 0), ['a']],
      [objectives.direction('a', [1]), ['a']],
      [objectives.directionCossim('a', [1]), ['a']],
      [objectives.directionNeuron('a', [1]), ['a']],
      [objectives.tensorDirection('a', [[[1]]]), ['a']],
      [objectives.deepdream('a'), ['a']],
      [objectives.totalVariation(), []],
      [objectives.totalVariation('a'), ['a']],
      [objectives.L1(), []],
      [objectives.L2('a'), ['a']],
      [objectives.blurInputEachStep(), []],
      [objectives.blurAlphaEachStep(), []],
      [objectives.penalizeBoundaryComplexity([1, 8, 8, 3]), []],
      [objectives.channelInterpolate('a', 0, 'b', 1), ['a', 'b']],
      [objectives.channelInterpolate('a', 0, 'a', 1), ['a']],
      [objectives.alignment('a'), ['a']],
      [objectives.diversity('a'), ['a']],
      [objectives.inputDiff([0.5]), []],
      [objectives.classLogit('logits', 0), ['logits']],
      [objectives.asObjective('x/y:0:3'), ['x/y:0']],
      [objectives.channel('a', 0).add(objectives.diversity('b')).sub(objectives.L1()), ['a', 'b']],
    ];
    for (const [obj, layers] of cases) expect([...obj.layers], obj.description).toEqual(layers);
  });

  it('asObjective: passes objectives through, splits "layer:n" at the last colon, rejects the rest', () => {
    const o = objectives.channel('a', 1);
    expect(objectives.asObjective(o)).toBe(o);
    expect(objectives.asObjective(' block/conv:0 : 12 ').layers).toEqual(['block/conv:0']);
    expect(objectives.asObjective('block/conv:0:12').description).toBe('Channel [block/conv:0, 12]');
    const bad: unknown[] = ['mixed4a', 'mixed4a:', ':3', 'mixed4a:x', 'mixed4a:-1', 'mixed4a:1.5', 3, null, () => tf.scalar(0)];
    for (const b of bad) {
      expect(() => objectives.asObjective(b as string), String(b)).toThrow(
        /^Error in objectives\.asObjective: obj must be an Objective or a "layer:n" string/,
      );
    }
    expect(() => objectives.asObjective((() => tf.scalar(0)) as unknown as string)).toThrow(/new Objective\(fn, description, layers\)/);
  });
});

describe('argument errors (eager, in the factory)', () => {
  it('names the function, the argument and the value', () => {
    const cases: [() => unknown, RegExp][] = [
      [() => objectives.channel('', 1), /^Error in objectives\.channel: layer must be a non-empty layer name, but got ""\.$/],
      [() => objectives.channel('a', -1), /^Error in objectives\.channel: n must be a non-negative integer, but got -1\.$/],
      [() => objectives.channel('a', 1.5), /n must be a non-negative integer, but got 1\.5/],
      [() => objectives.channel('a', 1, { batch: -2 }), /batch must be a non-negative integer, but got -2/],
      [() => objectives.channel('a', 1, { bacth: 0 } as objectives.ChannelOptions), /^Error in objectives\.channel: options must only have known keys, but got unknown option "bacth" \(allowed: "batch"; did you mean "batch"\?\)\.$/],
      [() => objectives.neuron('a', 1, { x: 0.5 }), /^Error in objectives\.neuron: x must be a non-negative integer, but got 0\.5\.$/],
      [() => objectives.direction('a', []), /^Error in objectives\.direction: vec must be a non-empty 1-D vector .*but got shape \[0\]\.$/],
      [() => objectives.direction('a', [[1, 2]]), /vec must be a non-empty 1-D vector .*shape \[1, 2\]/],
      [() => objectives.direction('a', [1, NaN]), /vec must hold finite numbers, but got NaN at flat index 1/],
      [() => objectives.direction('a', [1, 2], { cossimPow: -1 }), /cossimPow must be a non-negative number, but got -1/],
      [() => objectives.tensorDirection('a', [1, 2]), /^Error in objectives\.tensorDirection: vec must have rank 3 .*but got shape \[2\]\.$/],
      [() => objectives.tensorDirection('a', [[[1, 2]], [[3]]]), /vec must be a rectangular nested array of numbers, but got a ragged one/],
      [() => objectives.L1('input', { constant: Infinity }), /^Error in objectives\.L1: constant must be a finite number, but got Infinity\.$/],
      [() => objectives.L2('input', { epsilon: -1 }), /^Error in objectives\.L2: epsilon must be a non-negative number, but got -1\.$/],
      [() => objectives.alignment('a', { decayRatio: 0 }), /^Error in objectives\.alignment: decayRatio must be a positive number, but got 0\.$/],
      [() => objectives.penalizeBoundaryComplexity([8, 8, 3]), /^Error in objectives\.penalizeBoundaryComplexity: shape must be 4 positive integers .*but got \[8, 8, 3\]\.$/],
      [() => objectives.penalizeBoundaryComplexity([1, 8, 8, 3], { w: 0 }), /w must be a positive integer, but got 0/],
      [() => objectives.classLogit('l', -3), /^Error in objectives\.classLogit: label must be a non-negative integer class index or a label name, but got -3\.$/],
      [() => objectives.inputDiff('cat' as unknown as number[]), /^Error in objectives\.inputDiff: image must be a tf\.Tensor or a \(nested\) array of numbers, but got "cat"\.$/],
      [() => objectives.channelInterpolate('a', 1, 'b', -1), /n2 must be a non-negative integer, but got -1/],
    ];
    for (const [f, re] of cases) {
      expect(f).toThrow(OptvisError);
      expect(f).toThrow(re);
    }
  });

  it('copying a disposed tensor is refused', async () => {
    await useBackend('cpu');
    const v = tf.tensor1d([1, 2]);
    v.dispose();
    expect(() => objectives.direction('a', v)).toThrow(/vec must be a live tensor, but got a disposed tensor/);
  });
});

describe('evaluation errors (model-dependent) leave nothing allocated', () => {
  beforeAll(async () => {
    await useBackend('cpu');
  });

  it('out-of-range indices, wrong vector lengths, wrong ranks, unknown labels', async () => {
    await expectNoLeak(() => {
      const big = tf.zeros([1, 2, 2, 512]);
      const l4 = tensorOf(ref.randomArr([2, 4, 6, 3], 50));
      const l3 = tf.zeros([4, 6, 3]);
      const dense = tf.zeros([2, 5]);
      const rgb = tf.zeros([1, 8, 8, 3]);
      const labels = ['tabby', 'tiger cat', 'Persian cat', 'bus'];
      const T = makeT({ mixed4d: big, l4, l3, dense, input: rgb }, { labels });
      expectEvalError(
        objectives.channel('mixed4d', 812),
        T,
        /^Error in objectives\.channel: channel 812 is out of range for layer "mixed4d" \(512 channels\); n must be an integer in \[0, 511\]\.$/,
      );
      expectEvalError(
        objectives.channel('l4', 0, { batch: 2 }),
        T,
        /^Error in objectives\.channel: batch 2 is out of range for layer "l4" \(batch of 2 images\); batch must be an integer in \[0, 1\]\.$/,
      );
      expectEvalError(objectives.channel('l3', 0), T, /layer "l3" must have rank 2 \(\[batch, channels\]\) or 4 .*but got rank 3 \(shape \[4, 6, 3\]\)/);
      expectEvalError(objectives.neuron('l4', 0, { x: 4 }), T, /^Error in objectives\.neuron: x 4 is out of range for layer "l4" \(height 4\); x \(the row\) must be an integer in \[0, 3\]\.$/);
      expectEvalError(objectives.neuron('l4', 0, { y: 6 }), T, /y 6 is out of range for layer "l4" \(width 6\); y \(the column\) must be an integer in \[0, 5\]/);
      expectEvalError(objectives.neuron('dense', 0, { x: 1 }), T, /x 1 is out of range for layer "dense" \(height 1\)/);
      expectEvalError(objectives.direction('l4', [1, 2]), T, /^Error in objectives\.direction: vec must have 3 entries to match the channels of layer "l4", but got 2\.$/);
      expectEvalError(objectives.directionNeuron('l4', [1, 2, 3], { y: 9 }), T, /y 9 is out of range/);
      expectEvalError(objectives.tensorDirection('l4', [[[1, 2, 3]], [[1, 2, 3]], [[1, 2, 3]], [[1, 2, 3]], [[1, 2, 3]]]), T, /vec must have shape \[1 or 2, ≤4, ≤6, 3\] to fit layer "l4"/);
      expectEvalError(objectives.totalVariation('dense'), T, /^Error in objectives\.totalVariation: layer "dense" must have rank 4 .*but got shape \[2, 5\]\.$/);
      expectEvalError(objectives.L1('dense', { batch: 5 }), T, /^Error in objectives\.L1: batch 5 is out of range for layer "dense" \(batch of 2 images\)/);
      expectEvalError(objectives.blurAlphaEachStep(), T, /^Error in objectives\.blurAlphaEachStep: the input must have an alpha channel \(RGBA, 4 channels\), but got 3 channels\.$/);
      expectEvalError(objectives.penalizeBoundaryComplexity([1, 16, 16, 3]), T, /shape must have a shape that broadcasts to the shape of the input \[1, 8, 8, 3\], but got \[1, 16, 16, 3\]/);
      expectEvalError(objectives.inputDiff([[1, 2, 3, 4]]), T, /^Error in objectives\.inputDiff: image must have a shape that broadcasts to the shape of the input \[1, 8, 8, 3\], but got \[1, 4\]\.$/);
      expectEvalError(objectives.channelInterpolate('mixed4d', 0, 'l4', 0), T, /the batch of layer "mixed4d" must hold at least 2 images, but got 1/);
      expectEvalError(objectives.channelInterpolate('l4', 0, 'dense', 9), T, /channel 9 is out of range for layer "dense" \(5 channels\)/);
      expectEvalError(objectives.diversity('l3'), T, /^Error in objectives\.diversity: layer "l3" must have rank 2/);
      expectEvalError(objectives.classLogit('dense', 5), T, /^Error in objectives\.classLogit: class 5 is out of range for layer "dense" \(5 classes\); label must be an integer in \[0, 4\]\.$/);
      expectEvalError(
        objectives.classLogit('dense', 'tabby cat'),
        T,
        /^Error in objectives\.classLogit: label must be one of the model's 4 labels, but got "tabby cat"\. Did you mean 'tabby', 'tiger cat' or 'Persian cat'\?$/,
      );
      expectEvalError(objectives.classLogit('dense', 'tabby'), makeT({ dense }), /label must be a class index because the model declares no labels, but got "tabby"/);
      expectEvalError(objectives.classLogit('l4', 0), T, /layer "l4" must have shape \[batch, classes\] \(or \[batch, 1, 1, classes\]\), but got \[2, 4, 6, 3\]/);
      // Unknown layers are the lookup's error (the render loop validates `layers` first).
      expectEvalError(objectives.channel('nope', 0), T, /stub T: unknown layer "nope"/);
      tf.dispose([big, l4, l3, dense, rgb]);
    });
  });

  it('errors under tf.grad also leave nothing behind when thrown before any op', async () => {
    await expectNoLeak(() => {
      const l4 = tf.zeros([1, 2, 2, 3]);
      expect(() => tf.grad((x: tf.Tensor) => objectives.channel('l', 7).evaluate(makeT({ l: x })))(l4)).toThrow(/channel 7 is out of range/);
      l4.dispose();
    });
  });

  it('objectives are immutable and reusable across evaluations and lookups', async () => {
    await expectNoLeak(() => {
      const obj = objectives.channel('l', 0);
      const a = tf.ones([1, 2, 2, 1]);
      const b = tf.fill([1, 2, 2, 1], 3);
      const va = tf.tidy(() => obj.evaluate(makeT({ l: a })));
      const vb = tf.tidy(() => obj.evaluate(makeT({ l: b })));
      expect([va.dataSync()[0], vb.dataSync()[0]]).toEqual([1, 3]);
      expect(Object.isFrozen(obj.layers)).toBe(true);
      tf.dispose([a, b, va, vb]);
    });
  });
});

describe('Objective constructor contract', () => {
  it('custom objectives compose with factories', async () => {
    await useBackend('cpu');
    await expectNoLeak(() => {
      const custom = new Objective((T) => tf.max(T('l')), 'Max [l]', ['l']);
      const l = tf.tensor4d([1, 5, 2, 3], [1, 2, 2, 1]);
      const v = tf.tidy(() => custom.add(objectives.channel('l', 0)).evaluate(makeT({ l })));
      expect(v.dataSync()[0]).toBeCloseTo(5 + 11 / 4, 6);
      tf.dispose([l, v]);
    });
  });
});

import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import * as tfc from '@tensorflow/tfjs-converter';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectNoLeak, useBackend, type NodeBackend } from '../helpers/tf';
import { fromGraphModel, fromLayersModel, visModel } from '../../src/model/index';
import { installGradientFixes } from '../../src/backends/index';
import type { VisModel } from '../../src/model/types';
import {
  makeTestGraphModel,
  makeTestLayersModel,
  TEST_GRAPH_MODEL_NODES,
  TEST_LAYERS_MODEL_LAYERS,
} from '../fixtures/models';

const SIZE = 24;
const RANGE: [number, number] = [-1, 1];

/** A seeded [0, 1] image. */
const testImage = (seed = 7, size = SIZE): tf.Tensor4D => tf.randomUniform([1, size, size, 3], 0, 1, 'float32', seed) as tf.Tensor4D;

/** max |a − b| / max |b|. */
function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    num = Math.max(num, Math.abs(a[i] - b[i]));
    den = Math.max(den, Math.abs(b[i]));
  }
  return num / (den || 1);
}

/** d mean(layer[..., channel]) / d image through `acts` (a function of the [0, 1] image). */
function channelGrad(acts: (img: tf.Tensor4D) => tf.Tensor, img: tf.Tensor4D, channel: number): Float32Array {
  return tf.tidy(() => {
    const g = tf.grad((v: tf.Tensor) => {
      const a = acts(v as tf.Tensor4D);
      const ch = tf.gather(a, [channel], a.rank - 1);
      return tf.mean(ch);
    })(img);
    return g.dataSync() as Float32Array;
  });
}

const vmActs = (vm: VisModel, name: string) => (img: tf.Tensor4D): tf.Tensor => vm.activations(img, [name]).get(name) as tf.Tensor;

describe('fromLayersModel on the layers fixture', () => {
  let model: tfl.LayersModel;
  beforeAll(async () => {
    await useBackend('cpu');
    model = makeTestLayersModel(1);
  });
  afterAll(() => model.dispose());

  it('lists layers in graph order with shapes, depths, kinds and /preact entries for fused activations', async () => {
    const vm = await fromLayersModel(model, { inputRange: RANGE, labels: ['a', 'b'] });
    const expectedNames = TEST_LAYERS_MODEL_LAYERS.flatMap((n) => (n === 'conv1' || n === 'sep3' ? [`${n}/preact`, n] : [n]));
    expect(vm.layers.map((l) => l.name)).toEqual(expectedNames);
    expect(vm.layer('conv1')).toEqual({ name: 'conv1', shape: [null, null, null, 8], depth: 8, kind: 'Conv2D' });
    expect(vm.layer('conv1/preact').depth).toBe(8);
    expect(vm.layer('dw2')).toMatchObject({ depth: 16, kind: 'DepthwiseConv2D' });
    expect(vm.layer('logits')).toEqual({ name: 'logits', shape: [null, 10], depth: 10, kind: 'Dense' });
    expect(vm.imageShape).toEqual([null, null, 3]);
    expect(vm.channelOrder).toBe('RGB');
    expect(vm.inputRange).toEqual([-1, 1]);
    expect(vm.labels).toEqual(['a', 'b']);
    expect(() => vm.layer('conv_1')).toThrow(/^Error in VisModel\.layer: layer must be one of the model's layers, but got "conv_1"\. Did you mean 'conv1'/);
  });

  it('computes the same activations as the stock (fused) model, and preact = value before the activation', async () => {
    const vm = await fromLayersModel(model, { inputRange: RANGE });
    const img = testImage();
    await expectNoLeak(() => {
      const names = [...TEST_LAYERS_MODEL_LAYERS];
      const mine = vm.activations(img, [...names, 'conv1/preact', 'sep3/preact']);
      expect([...mine.keys()]).toEqual([...names, 'conv1/preact', 'sep3/preact']);
      const stock = tf.tidy(() => {
        const sub = tfl.model({ inputs: model.inputs, outputs: names.map((n) => model.getLayer(n).output as tfl.SymbolicTensor) });
        return sub.predict(tf.sub(tf.mul(img, 2), 1)) as tf.Tensor[];
      });
      names.forEach((n, i) => {
        expect(mine.get(n)?.shape, n).toEqual(stock[i].shape);
        expect(relErr(mine.get(n)!.dataSync(), stock[i].dataSync()), n).toBeLessThan(1e-5);
      });
      const relu = tf.relu(mine.get('conv1/preact')!);
      expect(relErr(relu.dataSync(), mine.get('conv1')!.dataSync())).toBeLessThan(1e-6);
      expect(Math.min(...mine.get('conv1/preact')!.dataSync())).toBeLessThan(0);
      const relu6 = tf.relu6(mine.get('sep3/preact')!);
      expect(relErr(relu6.dataSync(), mine.get('sep3')!.dataSync())).toBeLessThan(1e-6);
      tf.dispose([...mine.values(), ...stock, relu, relu6]);
    });
    img.dispose();
  });

  it('allocates nothing itself and leaves the user model unchanged', async () => {
    const before = tf.memory().numTensors;
    const w0 = model.getWeights().map((w) => Array.from(w.dataSync()));
    const vm = await fromLayersModel(model, { inputRange: RANGE });
    expect(tf.memory().numTensors).toBe(before);
    const img = testImage();
    tf.dispose([...vm.activations(img, ['probs']).values()]);
    vm.dispose();
    expect(model.getWeights().map((w) => Array.from(w.dataSync()))).toEqual(w0);
    expect(model.layers.find((l) => l.name === 'conv1')?.getConfig().activation).toBe('relu');
    expect(() => vm.activations(img, ['probs'])).toThrow(/^Error in VisModel\.activations: the model must not be disposed, but got a disposed VisModel\.$/);
    img.dispose();
  });

  it('rejects bad arguments clearly, leaving nothing allocated', async () => {
    const vm = await fromLayersModel(model, { inputRange: RANGE });
    const img = testImage();
    await expectNoLeak(() => {
      expect(() => vm.activations(img, ['pool_1'])).toThrow(/^Error in VisModel\.activations: layer must be one of the model's layers, but got "pool_1"\. Did you mean 'pool1'/);
      expect(() => vm.activations(img, [])).toThrow(/^Error in VisModel\.activations: names must be a non-empty array of layer names, but got \[\]\.$/);
      const gray = tf.zeros([1, 8, 8, 1]);
      expect(() => vm.activations(gray as tf.Tensor4D, ['conv1'])).toThrow(
        /^Error in VisModel\.activations: image must have 3 channels, but got 1 \(shape \[1, 8, 8, 1\]\)\.$/,
      );
      gray.dispose();
    });
    // Async like fromGraphModel: a bad argument is a rejected Promise, never a synchronous throw.
    const bad = fromLayersModel({} as tfl.LayersModel, { inputRange: RANGE });
    expect(bad).toBeInstanceOf(Promise);
    await expect(bad).rejects.toThrow(/^Error in model\.fromLayersModel: model must be a tf\.LayersModel/);
    await expect(visModel('model' as unknown as tfl.LayersModel, { inputRange: RANGE })).rejects.toThrow(
      /^Error in model\.visModel: model must be a tf\.LayersModel or a tf\.GraphModel, but got "model"\.$/,
    );
    img.dispose();
  });

  it('says which image size a fixed-size model needs when a layer cannot take another size', async () => {
    const input = tfl.input({ shape: [8, 8, 3], name: 'in' });
    const f = tfl.layers.flatten({ name: 'flat' }).apply(input) as tfl.SymbolicTensor;
    const d = tfl.layers.dense({ units: 2, name: 'fc' }).apply(f) as tfl.SymbolicTensor;
    const m = tfl.model({ inputs: input, outputs: d });
    const vm = await fromLayersModel(m, { inputRange: RANGE });
    expect(vm.imageShape).toEqual([8, 8, 3]);
    const ok = testImage(1, 8);
    tf.dispose([...vm.activations(ok, ['fc']).values()]);
    const big = testImage(1, 16);
    await expectNoLeak(() => {
      expect(() => vm.activations(big, ['fc'])).toThrow(/^Error in VisModel\.activations: image must be 8×8 pixels \(the model's input size; layer "fc" cannot take other sizes\), but got 16×16\./);
    });
    tf.dispose([ok, big]);
    m.dispose();
  });

  it('works on a Sequential model, with Dropout in inference mode (identity)', async () => {
    const m = tfl.sequential({
      layers: [
        tfl.layers.conv2d({ inputShape: [null, null, 3] as unknown as number[], filters: 4, kernelSize: 3, activation: 'relu', name: 's1' }),
        tfl.layers.dropout({ rate: 0.5, name: 'drop' }),
        tfl.layers.conv2d({ filters: 5, kernelSize: 3, name: 's2', activation: 'tanh' }),
      ],
    });
    const vm = await fromLayersModel(m, { inputRange: [0, 1] });
    expect(vm.layers.map((l) => l.name)).toEqual(['s1/preact', 's1', 'drop', 's2/preact', 's2']);
    const x = testImage(5, 10);
    await expectNoLeak(() => {
      const a = vm.activations(x, ['s2', 'drop', 's1']);
      const ref = m.predict(x) as tf.Tensor;
      expect(relErr(a.get('s2')!.dataSync(), ref.dataSync())).toBeLessThan(1e-6);
      expect(Array.from(a.get('drop')!.dataSync())).toEqual(Array.from(a.get('s1')!.dataSync()));
      expect(a.get('drop')).not.toBe(a.get('s1')); // each name owns its tensor
      tf.dispose([...a.values(), ref]);
    });
    x.dispose();
    m.dispose();
  });

  it('handles BatchNormalization(scale: false) under gradients (stock tfjs-layers fails there)', async () => {
    const noScale = makeTestLayersModel(3, { bnScaleFalse: true });
    // The equivalent model with scale = true and gamma = 1 (stock path works there): the reference.
    const withScale = makeTestLayersModel(3);
    const byName = new Map(noScale.weights.map((w, i) => [w.originalName, noScale.getWeights()[i]]));
    const ones = tf.ones([16]);
    withScale.setWeights(withScale.weights.map((w) => (w.originalName === 'bn3/gamma' ? ones : (byName.get(w.originalName) as tf.Tensor))));
    ones.dispose();
    const img = testImage(4);
    const stockSub = (m: tfl.LayersModel) => tfl.model({ inputs: m.inputs, outputs: m.getLayer('bn3').output as tfl.SymbolicTensor });
    const broken = stockSub(noScale);
    expect(() => channelGrad((v) => broken.apply(tf.sub(tf.mul(v, 2), 1)) as tf.Tensor, img, 3)).toThrow(/dataId/);
    const vm = await fromLayersModel(noScale, { inputRange: RANGE });
    const mine = await expectNoLeak(() => channelGrad(vmActs(vm, 'bn3'), img, 3));
    const ref = stockSub(withScale);
    const want = channelGrad((v) => ref.apply(tf.sub(tf.mul(v, 2), 1)) as tf.Tensor, img, 3);
    expect(Math.max(...want.map(Math.abs))).toBeGreaterThan(0);
    expect(relErr(mine, want)).toBeLessThan(1e-4);
    img.dispose();
    noScale.dispose();
    withScale.dispose();
  });
});

describe('fromGraphModel on the graph fixture', () => {
  let gm: tfc.GraphModel;
  beforeAll(async () => {
    await useBackend('cpu');
    gm = await makeTestGraphModel(1);
  });
  afterAll(() => gm.dispose());

  it('lists nodes in graph order with /preact for fused activations, shapes from a probe run', async () => {
    // The wrapper owns an unfused copy of the weights: creating it allocates, dispose frees exactly that.
    const before = tf.memory().numTensors;
    const v2 = await fromGraphModel(gm, { inputRange: RANGE });
    expect(tf.memory().numTensors).toBeGreaterThan(before);
    v2.dispose();
    expect(tf.memory().numTensors).toBe(before);
    // ... and the user's model still runs (its fused graph untouched).
    tf.tidy(() => {
      expect((gm.execute(tf.zeros([1, 8, 8, 3]), 'probs') as tf.Tensor).shape).toEqual([1, 10]);
    });
    const v = await fromGraphModel(gm, { inputRange: RANGE });
    const expected = TEST_GRAPH_MODEL_NODES.flatMap((n) => (['conv1/Relu', 'dw2/Relu6', 'conv5/Relu'].includes(n) ? [`${n}/preact`, n] : [n]));
    expect(v.layers.map((l) => l.name)).toEqual(expected);
    expect(v.layer('dw2/Relu6')).toEqual({ name: 'dw2/Relu6', shape: [null, null, null, 16], depth: 16, kind: 'Relu6' });
    expect(v.layer('conv1/Relu/preact').kind).toBe('BiasAdd');
    expect(v.layer('logits')).toMatchObject({ shape: [null, 10], depth: 10 });
    expect(v.imageShape).toEqual([null, null, 3]);
    expect(() => v.layer('conv5/relu')).toThrow(/Did you mean 'conv5\/Relu'/);
    v.dispose();
  });

  it('computes the same activations as the fused graph; preact = value before the activation', async () => {
    const vm = await fromGraphModel(gm, { inputRange: RANGE });
    const img = testImage();
    await expectNoLeak(() => {
      const names = [...TEST_GRAPH_MODEL_NODES];
      const mine = vm.activations(img, [...names, 'conv1/Relu/preact', 'dw2/Relu6/preact']);
      const stock = tf.tidy(() => gm.execute(tf.sub(tf.mul(img, 2), 1), names) as tf.Tensor[]);
      names.forEach((n, i) => {
        expect(mine.get(n)?.shape, n).toEqual(stock[i].shape);
        expect(relErr(mine.get(n)!.dataSync(), stock[i].dataSync()), n).toBeLessThan(1e-5);
      });
      const r = tf.relu(mine.get('conv1/Relu/preact')!);
      const r6 = tf.relu6(mine.get('dw2/Relu6/preact')!);
      expect(relErr(r.dataSync(), mine.get('conv1/Relu')!.dataSync())).toBeLessThan(1e-6);
      expect(relErr(r6.dataSync(), mine.get('dw2/Relu6')!.dataSync())).toBeLessThan(1e-6);
      expect(Math.min(...mine.get('dw2/Relu6/preact')!.dataSync())).toBeLessThan(0);
      tf.dispose([...mine.values(), ...stock, r, r6]);
    });
    img.dispose();
    vm.dispose();
  });

  it('rejects bad inputName and unknown nodes clearly', async () => {
    await expect(fromGraphModel(gm, { inputRange: RANGE, inputName: 'inptu' })).rejects.toThrow(
      /^Error in model\.fromGraphModel: inputName must be one of the model's inputs \('input'\), but got "inptu"\. Did you mean 'input'\?$/,
    );
    await expect(fromGraphModel(gm, { inputRange: [2, 1] })).rejects.toThrow(/^Error in model\.fromGraphModel: inputRange must be/);
    const vm = await fromGraphModel(gm, { inputRange: RANGE });
    const img = testImage();
    await expectNoLeak(() => {
      expect(() => vm.activations(img, ['conv1/weights'])).toThrow(/^Error in VisModel\.activations: layer must be one of the model's layers, but got "conv1\/weights"\./);
    });
    img.dispose();
    vm.dispose();
  });
});

describe('unfused gradients compute no filter gradients (fused linear convs do)', () => {
  it('profiles the kernels of an input gradient: stock paths run Conv2DBackpropFilter, ours do not', async () => {
    await useBackend('cpu');
    const lm = makeTestLayersModel(1);
    const gm = await makeTestGraphModel(1);
    const img = testImage(3, 16);
    const kernelsOf = async (f: (v: tf.Tensor4D) => tf.Tensor): Promise<Set<string>> => {
      const info = await tf.profile(() => tf.grad((v: tf.Tensor) => tf.mean(f(v as tf.Tensor4D)))(img));
      tf.dispose(info.result as tf.Tensor);
      return new Set(info.kernels.map((k) => k.name));
    };
    const x = (v: tf.Tensor4D): tf.Tensor => tf.sub(tf.mul(v, 2), 1);
    const sub = tfl.model({ inputs: lm.inputs, outputs: lm.getLayer('conv4').output as tfl.SymbolicTensor });
    expect((await kernelsOf((v) => sub.apply(x(v)) as tf.Tensor)).has('Conv2DBackpropFilter')).toBe(true);
    expect((await kernelsOf((v) => gm.execute(x(v), 'conv3/Relu') as tf.Tensor)).has('Conv2DBackpropFilter')).toBe(true);
    const vl = await fromLayersModel(lm, { inputRange: RANGE });
    const vg = await fromGraphModel(gm, { inputRange: RANGE });
    const ours = [await kernelsOf(vmActs(vl, 'conv4')), await kernelsOf(vmActs(vg, 'conv3/Relu'))];
    for (const k of ours) {
      expect(k.has('Conv2DBackpropInput')).toBe(true);
      expect(k.has('Conv2DBackpropFilter')).toBe(false);
      expect(k.has('DepthwiseConv2dNativeBackpropFilter')).toBe(false);
    }
    vg.dispose();
    img.dispose();
    lm.dispose();
    gm.dispose();
  });
});

describe('input gradients agree across backends and with the stock fused path', () => {
  const results: Record<string, Float32Array> = {};
  const cases = [
    { model: 'layers', layer: 'conv4_relu', channel: 5 },
    { model: 'layers', layer: 'sep3/preact', channel: 2 },
    { model: 'graph', layer: 'conv5/Relu', channel: 7 },
    { model: 'graph', layer: 'dw2/Relu6/preact', channel: 3 },
  ] as const;

  for (const backend of ['cpu', 'wasm'] as NodeBackend[]) {
    it(`computes channel-mean gradients on ${backend} without leaks`, async () => {
      await useBackend(backend);
      installGradientFixes(backend);
      const lm = makeTestLayersModel(2);
      const gm = await makeTestGraphModel(2);
      const vms = { layers: await fromLayersModel(lm, { inputRange: RANGE }), graph: await fromGraphModel(gm, { inputRange: RANGE }) };
      const img = testImage(9);
      for (const c of cases) {
        results[`${backend}:${c.model}:${c.layer}`] = await expectNoLeak(() => channelGrad(vmActs(vms[c.model], c.layer), img, c.channel));
      }
      if (backend === 'cpu') {
        // The stock fused path (tfjs-layers' fused conv, the converter's _FusedConv2D) on cpu.
        const x = (v: tf.Tensor4D): tf.Tensor => tf.sub(tf.mul(v, 2), 1);
        const sub = tfl.model({ inputs: lm.inputs, outputs: lm.getLayer('conv4_relu').output as tfl.SymbolicTensor });
        results['stock:layers:conv4_relu'] = channelGrad((v) => sub.apply(x(v)) as tf.Tensor, img, 5);
        results['stock:graph:conv5/Relu'] = channelGrad((v) => gm.execute(x(v), 'conv5/Relu') as tf.Tensor, img, 7);
      }
      img.dispose();
      vms.layers.dispose();
      vms.graph.dispose();
      lm.dispose();
      gm.dispose();
    });
  }

  it('cpu and wasm agree to 1e-4 relative, and both match the stock fused cpu path', () => {
    for (const c of cases) {
      const cpu = results[`cpu:${c.model}:${c.layer}`];
      const wasm = results[`wasm:${c.model}:${c.layer}`];
      expect(Math.max(...cpu.map(Math.abs)), `${c.layer} gradient is not zero`).toBeGreaterThan(1e-6);
      expect(relErr(wasm, cpu), `${c.model} ${c.layer}`).toBeLessThan(1e-4);
    }
    expect(relErr(results['cpu:layers:conv4_relu'], results['stock:layers:conv4_relu'])).toBeLessThan(1e-4);
    expect(relErr(results['wasm:layers:conv4_relu'], results['stock:layers:conv4_relu'])).toBeLessThan(1e-4);
    expect(relErr(results['cpu:graph:conv5/Relu'], results['stock:graph:conv5/Relu'])).toBeLessThan(1e-4);
    expect(relErr(results['wasm:graph:conv5/Relu'], results['stock:graph:conv5/Relu'])).toBeLessThan(1e-4);
  });
});

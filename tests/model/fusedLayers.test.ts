/**
 * The LayersModel adapter's fused ops: a convolution with its bias and ReLU as one `FusedConv2D`
 * (src/ops/convBiasRelu.ts) and capped ReLUs as one op with a cheap exact gradient
 * (src/ops/cappedRelu.ts). Checked against float64 references written here, against tfjs-layers'
 * own layers under `tf.grad`, and by the kernels they run.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { describe, expect, it } from 'vitest';
import { BACKENDS, expectNoLeak, useBackend } from '../helpers/tf';
import { conv2dGradsRef, outSize, relErr, type Arr4 } from '../backends/convReference';
import { convBiasRelu } from '../../src/ops/convBiasRelu';
import { cappedRelu, leakyRelu, withStepMaskGradients } from '../../src/ops/reluVariants';
import { fromGraphModel, fromLayersModel } from '../../src/model/index';
import { makeTestGraphModel } from '../fixtures/models';
import { installGradientFixes } from '../../src/backends/index';
import { batchNormInference } from '../../src/ops/batchNormInference';
import { foldBatchNorm } from '../../src/model/foldBatchNorm';
import { withRedirectedReluGrad } from '../../src/render/index';

/** Seeded values in [-1, 1) from a small LCG (independent of tfjs's random ops). */
function values(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = (s / 2 ** 32) * 2 - 1;
  }
  return out;
}

/** Float64 `conv2d(x, w) + bias` (NHWC), as plain loops. */
function convRef(x: Arr4, w: Arr4, bias: Float32Array | undefined, s: number, pad: 'same' | 'valid'): Float64Array {
  const [B, H, W, C] = x.shape;
  const [KH, KW, , O] = w.shape;
  const [oh, ow] = outSize(H, W, KH, KW, s, pad);
  const before = (inSize: number, k: number, out: number): number => (pad === 'valid' ? 0 : Math.floor(Math.max((out - 1) * s + k - inSize, 0) / 2));
  const top = before(H, KH, oh);
  const left = before(W, KW, ow);
  const y = new Float64Array(B * oh * ow * O);
  for (let b = 0; b < B; b++)
    for (let i = 0; i < oh; i++)
      for (let j = 0; j < ow; j++)
        for (let o = 0; o < O; o++) {
          let acc = bias ? bias[o] : 0;
          for (let di = 0; di < KH; di++) {
            const ih = i * s + di - top;
            if (ih < 0 || ih >= H) continue;
            for (let dj = 0; dj < KW; dj++) {
              const iw = j * s + dj - left;
              if (iw < 0 || iw >= W) continue;
              for (let c = 0; c < C; c++) acc += x.data[((b * H + ih) * W + iw) * C + c] * w.data[((di * KW + dj) * C + c) * O + o];
            }
          }
          y[((b * oh + i) * ow + j) * O + o] = acc;
        }
  return y;
}


describe.each(BACKENDS)('convBiasRelu on %s', (backend) => {
  const cases = [
    { s: 1, pad: 'same', bias: true, activation: 'relu' },
    { s: 2, pad: 'same', bias: true, activation: 'relu' },
    { s: 1, pad: 'valid', bias: false, activation: 'relu' },
    { s: 2, pad: 'valid', bias: true, activation: 'linear' },
  ] as const;
  for (const c of cases) {
    it(`stride ${c.s}, '${c.pad}', ${c.bias ? 'bias' : 'no bias'}, ${c.activation}: value and input gradient match float64 loops`, async () => {
      await useBackend(backend);
      installGradientFixes(backend);
      const xShape: [number, number, number, number] = [2, 9, 8, 3];
      const wShape: [number, number, number, number] = [3, 3, 3, 5];
      const xd = values(2 * 9 * 8 * 3, 1);
      const wd = values(3 * 3 * 3 * 5, 2);
      const bd = c.bias ? values(5, 3).map((v) => v * 0.5) : undefined;
      const [oh, ow] = outSize(9, 8, 3, 3, c.s, c.pad);
      const rd = values(2 * oh * ow * 5, 4);
      await expectNoLeak(() => {
        const x = tf.tensor4d(xd, xShape);
        const w = tf.tensor4d(wd, wShape);
        const b = bd && tf.tensor1d(bd);
        const r = tf.tensor4d(rd, [2, oh, ow, 5]);
        const cfg = { kind: 'conv' as const, strides: [c.s, c.s] as [number, number], pad: c.pad, activation: c.activation };
        const y = convBiasRelu(x, w, b, cfg);
        const dx = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(convBiasRelu(v as tf.Tensor4D, w, b, cfg), r)))(x);
        const yv = y.dataSync();
        const pre = convRef({ data: xd, shape: xShape }, { data: wd, shape: wShape }, bd, c.s, c.pad);
        const expected = c.activation === 'relu' ? pre.map((v) => Math.max(v, 0)) : pre;
        expect(relErr(yv, expected)).toBeLessThan(1e-5);
        // The ReLU mask as the op sees it (its own float32 output), then the float64 conv gradient.
        const masked = new Float64Array(rd.length);
        for (let i = 0; i < rd.length; i++) masked[i] = c.activation === 'relu' && !(yv[i] > 0) ? 0 : rd[i];
        if (c.activation === 'relu') expect(masked.some((v, i) => v === 0 && rd[i] !== 0), 'some units are off').toBe(true);
        const ref = conv2dGradsRef({ data: xd, shape: xShape }, { data: wd, shape: wShape }, { data: masked, shape: [2, oh, ow, 5] }, c.s, c.pad);
        expect(dx.shape).toEqual(xShape);
        expect(relErr(dx.dataSync(), ref.dx)).toBeLessThan(1e-5);
        tf.dispose([x, w, b, r, y, dx].filter((t): t is tf.Tensor => t !== undefined));
      });
    });
  }
});

describe.each(BACKENDS)('convBiasRelu without the fused kernels on %s', (backend) => {
  it('runs the separate ops instead, with the same values and input gradient (conv and depthwise)', async () => {
    await useBackend(backend);
    installGradientFixes(backend);
    const x = tf.tensor4d(values(1 * 7 * 6 * 4, 31), [1, 7, 6, 4]);
    const dy = tf.tensor4d(values(1 * 4 * 3 * 8, 32), [1, 4, 3, 8]);
    const cases = [
      { kind: 'conv' as const, f: tf.tensor4d(values(3 * 3 * 4 * 8, 33), [3, 3, 4, 8]) },
      { kind: 'depthwise' as const, f: tf.tensor4d(values(3 * 3 * 4 * 2, 34), [3, 3, 4, 2]) },
    ];
    const b = tf.tensor1d(values(8, 35));
    const run = (kind: 'conv' | 'depthwise', f: tf.Tensor4D): number[][] =>
      tf.tidy(() => {
        const cfg = { kind, strides: [2, 2] as [number, number], pad: 'same' as const, activation: 'relu' as const };
        const y = convBiasRelu(x, f, b, cfg);
        const g = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(convBiasRelu(v as tf.Tensor4D, f, b, cfg), dy)))(x);
        return [Array.from(y.dataSync()), Array.from(g.dataSync())];
      });
    for (const c of cases) {
      const kernelName = c.kind === 'conv' ? 'FusedConv2D' : 'FusedDepthwiseConv2D';
      const fused = run(c.kind, c.f);
      const config = tf.getKernel(kernelName, backend) as tf.KernelConfig;
      tf.unregisterKernel(kernelName, backend);
      try {
        const info = await tf.profile(() => tf.tensor(run(c.kind, c.f)[1]));
        expect(info.kernels.map((k) => k.name), kernelName).not.toContain(kernelName);
        const separate = await expectNoLeak(() => run(c.kind, c.f));
        expect(relErr(separate[0], fused[0]), `${c.kind} value`).toBeLessThan(1e-5);
        expect(relErr(separate[1], fused[1]), `${c.kind} gradient`).toBeLessThan(1e-5);
        tf.dispose(info.result as tf.Tensor);
      } finally {
        tf.registerKernel(config);
      }
    }
    tf.dispose([x, dy, b, ...cases.map((c) => c.f)]);
  });
});

describe.each(BACKENDS)('cappedRelu on %s', (backend) => {
  it('has the values of relu + clip and the gradients of tfjs-layers\' ReLU(max_value) and relu6, boundaries included, exactly', async () => {
    await useBackend(backend);
    for (const cap of [6, 1.5, 0]) {
      const xs = [-Infinity, -7, -1, -0, 0, 1e-30, 0.5, 1.5, 1.5000001, 3, 6, 6.0000005, 7, Infinity, cap, -cap];
      const dys = xs.map((_, i) => (i % 3) - 1.25);
      await expectNoLeak(() => {
        const x = tf.tensor1d(xs);
        const dy = tf.tensor1d(dys);
        const gradOf = (f: (v: tf.Tensor) => tf.Tensor): number[] =>
          // (+ 0 turns −0 into 0: the gradients multiply by masks, so a blocked negative dy gives −0 in places.)
          tf.tidy(() => Array.from(tf.grad((v: tf.Tensor) => tf.sum(tf.mul(f(v), dy)))(x).dataSync(), (g) => g + 0));
        const f32 = Float32Array.from(xs);
        const y = cappedRelu(x, cap, true);
        expect(Array.from(y.dataSync())).toEqual(Array.from(f32, (v) => Math.min(Math.max(v, 0), cap)));
        y.dispose();
        const inclusive = Array.from(f32, (v, i) => (v > 0 && v <= cap ? Math.fround(dys[i]) : 0));
        const exclusive = Array.from(f32, (v, i) => (v > 0 && v < cap ? Math.fround(dys[i]) : 0));
        expect(gradOf((v) => cappedRelu(v, cap, true)), `cap ${cap}, passing at the cap`).toEqual(inclusive);
        expect(gradOf((v) => cappedRelu(v, cap, false)), `cap ${cap}, blocked at the cap`).toEqual(exclusive);
        // tfjs-layers' own: ReLU(max_value) is relu + clipByValue, relu6 is minimum(6, relu(x)).
        // (clipByValue(·, 0, 0) is a constant fill in tfjs, with no gradient at all.)
        if (cap > 0) expect(gradOf((v) => tf.clipByValue(tf.relu(v), 0, cap)), `stock clip, cap ${cap}`).toEqual(inclusive);
        expect(gradOf((v) => tf.minimum(cap, tf.relu(v))), `stock minimum, cap ${cap}`).toEqual(exclusive);
        tf.dispose([x, dy]);
      });
    }
  });
});

describe.each(BACKENDS)('leakyRelu and batchNormInference on %s', (backend) => {
  it('leakyRelu: tfjs\'s values, and the gradient x > 0 ? dy : dy·alpha exactly (as tfjs\'s own)', async () => {
    await useBackend(backend);
    const xs = [-Infinity, -3, -1e-30, -0, 0, 1e-30, 0.5, 2, Infinity];
    const dys = xs.map((_, i) => i - 4.5);
    for (const alpha of [0.1, 0.3, 0, 1.5]) {
      await expectNoLeak(() => {
        const x = tf.tensor1d(xs);
        const dy = tf.tensor1d(dys);
        const gradOf = (f: (v: tf.Tensor) => tf.Tensor): number[] =>
          tf.tidy(() => Array.from(tf.grad((v: tf.Tensor) => tf.sum(tf.mul(f(v), dy)))(x).dataSync()));
        const a32 = Math.fround(alpha);
        const want = Array.from(Float32Array.from(xs), (v, i) => (v > 0 ? Math.fround(dys[i]) : Math.fround(Math.fround(dys[i]) * a32)));
        expect(gradOf((v) => leakyRelu(v, alpha)), `alpha ${alpha}`).toEqual(want);
        expect(gradOf((v) => tf.leakyRelu(v, alpha)), `stock, alpha ${alpha}`).toEqual(want);
        const y = leakyRelu(x, alpha);
        const stockY = tf.leakyRelu(x, alpha);
        expect(Array.from(y.dataSync())).toEqual(Array.from(stockY.dataSync()));
        tf.dispose([x, dy, y, stockY]);
      });
    }
  });

  it('batchNormInference: values and input gradient match float64 loops, with and without scale and offset', async () => {
    await useBackend(backend);
    const C = 5;
    const xd = values(2 * 3 * 4 * C, 7);
    const dyd = values(xd.length, 8);
    const mean = values(C, 9);
    const variance = values(C, 10).map((v) => v + 1.5);
    const offset = values(C, 11);
    const scale = values(C, 12).map((v) => v * 2);
    const eps = 1e-3;
    for (const [useOffset, useScale] of [[true, true], [false, true], [true, false], [false, false]]) {
      await expectNoLeak(() => {
        const x = tf.tensor4d(xd, [2, 3, 4, C]);
        const dy = tf.tensor4d(dyd, [2, 3, 4, C]);
        const p = [mean, variance, offset, scale].map((a) => tf.tensor1d(a));
        const bn = (v: tf.Tensor): tf.Tensor => batchNormInference(v, { mean: p[0], variance: p[1], beta: useOffset ? p[2] : undefined, gamma: useScale ? p[3] : undefined, epsilon: eps });
        const y = bn(x);
        const g = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(bn(v), dy)))(x);
        const k = (c: number): number => (useScale ? scale[c] : 1) / Math.sqrt(variance[c] + eps);
        const yRef = Array.from(xd, (v, i) => (v - mean[i % C]) * k(i % C) + (useOffset ? offset[i % C] : 0));
        const gRef = Array.from(dyd, (v, i) => v * k(i % C));
        expect(relErr(y.dataSync(), yRef), `value, offset ${useOffset}, scale ${useScale}`).toBeLessThan(1e-6);
        expect(relErr(g.dataSync(), gRef), `gradient, offset ${useOffset}, scale ${useScale}`).toBeLessThan(1e-6);
        tf.dispose([x, dy, ...p, y, g]);
      });
    }
  });
});

describe.each(BACKENDS)('BatchNormalization over another axis in fromLayersModel on %s', (backend) => {
  it('(axis 1 of NHWC) = float64 loops, value and input gradient (tfjs-layers\' own inference path gets this case wrong)', async () => {
    await useBackend(backend);
    const init = (s: number) => tfl.initializers.randomNormal({ mean: 0, stddev: 0.5, seed: s });
    const input = tfl.input({ shape: [6, 5, 3] });
    const bn = tfl.layers.batchNormalization({ name: 'bnh', axis: 1, movingMeanInitializer: init(1), movingVarianceInitializer: init(4), gammaInitializer: init(2), betaInitializer: init(3) });
    const lm = tfl.model({ inputs: input, outputs: bn.apply(input) as tfl.SymbolicTensor });
    const vm = await fromLayersModel(lm, { inputRange: [0, 1] });
    const xd = values(2 * 6 * 5 * 3, 41).map((v) => (v + 1) / 2);
    const wd = values(2 * 6 * 5 * 3, 42);
    const img = tf.tensor4d(xd, [2, 6, 5, 3]);
    const w = tf.tensor4d(wd, [2, 6, 5, 3]);
    const p = Object.fromEntries(bn.weights.map((v) => [(v.originalName ?? v.name).split('/').pop(), Array.from(v.read().dataSync())]));
    const variance = p.moving_variance.map((v: number) => v * v + 0.5); // positive variances
    const weights = [p.gamma, p.beta, p.moving_mean, variance].map((a) => tf.tensor1d(a));
    lm.getLayer('bnh').setWeights(weights); // (copied into the layer's variables)
    tf.dispose(weights);
    const k = (h: number): number => p.gamma[h] / Math.sqrt(variance[h] + 1e-3);
    const row = (i: number): number => Math.floor(i / 15) % 6; // the H index of element i of [2, 6, 5, 3]
    await expectNoLeak(() => {
      const y = vm.activations(img, ['bnh']).get('bnh') as tf.Tensor;
      const g = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(vm.activations(v as tf.Tensor4D, ['bnh']).get('bnh') as tf.Tensor, w)))(img);
      expect(relErr(y.dataSync(), Array.from(xd, (v, i) => (v - p.moving_mean[row(i)]) * k(row(i)) + p.beta[row(i)]))).toBeLessThan(1e-5);
      expect(relErr(g.dataSync(), Array.from(wd, (v, i) => v * k(row(i))))).toBeLessThan(1e-5);
      tf.dispose([y, g]);
    });
    tf.dispose([img, w]);
    vm.dispose();
    lm.dispose();
  });
});

describe.each(BACKENDS)('foldBatchNorm on %s', (backend) => {
  it('gives the filter and bias of conv + batch norm (float64 reference), held across calls, remade when a weight changes', async () => {
    await useBackend(backend);
    const C = 4;
    const [mean, variance, gamma, beta, bias] = [20, 21, 22, 23, 24].map((seed) => values(C * 2, seed));
    variance.forEach((v, i) => (variance[i] = v + 1.2));
    for (const kind of ['conv', 'depthwise'] as const) {
      // conv: [3, 3, 1, 8]; depthwise: [3, 3, 4, 2] (multiplier 2): 8 output channels either way.
      const shape: [number, number, number, number] = kind === 'conv' ? [3, 3, 1, 8] : [3, 3, C, 2];
      const wd = values(72, 25);
      for (const [useBias, useGamma, useBeta] of [[true, true, true], [false, false, false], [false, true, false]]) {
        await expectNoLeak(() => {
          const t = (a: Float32Array): tf.Tensor1D => tf.tensor1d(a);
          const w = tf.tensor4d(wd, shape);
          const p = { mean: t(mean), variance: t(variance), gamma: useGamma ? t(gamma) : undefined, beta: useBeta ? t(beta) : undefined, epsilon: 1e-3 };
          const b = useBias ? t(bias) : undefined;
          const [f, fb] = foldBatchNorm(kind, w, b, p);
          const [f2, fb2] = foldBatchNorm(kind, w, b, p);
          expect(f2.dataId, 'held: the same data on the second call').toBe(f.dataId);
          const k = Array.from({ length: 8 }, (_, o) => (useGamma ? gamma[o] : 1) / Math.sqrt(variance[o] + 1e-3));
          expect(relErr(f.dataSync(), Array.from(wd, (v, i) => v * k[i % 8]))).toBeLessThan(1e-6);
          expect(relErr(fb.dataSync(), k.map((ko, o) => ((useBias ? bias[o] : 0) - mean[o]) * ko + (useBeta ? beta[o] : 0)))).toBeLessThan(1e-6);
          // A changed batch norm statistic makes it again.
          const mean2 = t(mean.map((v) => v + 1));
          const [f3, fb3] = foldBatchNorm(kind, w, b, { ...p, mean: mean2 });
          expect(fb3.dataId).not.toBe(fb.dataId);
          expect(relErr(fb3.dataSync(), k.map((ko, o) => ((useBias ? bias[o] : 0) - mean[o] - 1) * ko + (useBeta ? beta[o] : 0)))).toBeLessThan(1e-6);
          tf.dispose([w, b, p.mean, p.variance, p.gamma, p.beta, mean2, f, fb, f2, fb2, f3, fb3].filter((x) => x !== undefined) as tf.Tensor[]);
        });
      }
    }
  });
});

/**
 * conv(linear, bias) → ReLU → conv(relu) → conv(linear, no bias) → ReLU(max 6) →
 * conv(linear, bias) → Activation(relu6) → conv(linear, bias) → ReLU, added to that conv's output:
 * → conv(no bias) → BatchNormalization → LeakyReLU → depthwise conv(bias) → BatchNormalization →
 * ReLU: every pattern the adapter fuses or computes with its own gradients, and one it must not
 * fuse (a ReLU whose convolution has two readers).
 */
function fusionModel(seed: number): tfl.LayersModel {
  const init = (s: number) => tfl.initializers.randomNormal({ mean: 0, stddev: 0.35, seed: seed + s });
  const input = tfl.input({ shape: [null, null, 3] });
  const conv = (name: string, filters: number, extra: Record<string, unknown>, s: number) =>
    tfl.layers.conv2d({ name, filters, kernelSize: 3, padding: 'same', kernelInitializer: init(s), biasInitializer: init(s + 50), ...extra });
  let x = conv('c1', 6, { useBias: true }, 1).apply(input) as tfl.SymbolicTensor;
  x = tfl.layers.reLU({ name: 'r1' }).apply(x) as tfl.SymbolicTensor;
  x = conv('c2', 8, { strides: 2, activation: 'relu' }, 2).apply(x) as tfl.SymbolicTensor;
  x = conv('c3', 8, { useBias: false }, 3).apply(x) as tfl.SymbolicTensor;
  x = tfl.layers.reLU({ name: 'r3', maxValue: 6 }).apply(x) as tfl.SymbolicTensor;
  x = conv('c4', 8, {}, 4).apply(x) as tfl.SymbolicTensor;
  x = tfl.layers.activation({ name: 'r4', activation: 'relu6' }).apply(x) as tfl.SymbolicTensor;
  const c5 = conv('c5', 4, {}, 5).apply(x) as tfl.SymbolicTensor;
  const r5 = tfl.layers.reLU({ name: 'r5' }).apply(c5) as tfl.SymbolicTensor;
  x = tfl.layers.add({ name: 'sum5' }).apply([c5, r5]) as tfl.SymbolicTensor;
  x = conv('c6', 6, { useBias: false }, 6).apply(x) as tfl.SymbolicTensor;
  const bn = tfl.layers.batchNormalization({ name: 'bn6', movingMeanInitializer: init(7), movingVarianceInitializer: 'ones', gammaInitializer: init(8), betaInitializer: init(9) });
  x = bn.apply(x) as tfl.SymbolicTensor;
  x = tfl.layers.leakyReLU({ name: 'r6', alpha: 0.2 }).apply(x) as tfl.SymbolicTensor;
  x = tfl.layers.depthwiseConv2d({ name: 'd7', kernelSize: 3, depthMultiplier: 2, strides: 2, padding: 'same', depthwiseInitializer: init(10), biasInitializer: init(11) }).apply(x) as tfl.SymbolicTensor;
  x = tfl.layers.batchNormalization({ name: 'bn7', movingMeanInitializer: init(12), movingVarianceInitializer: 'ones', gammaInitializer: init(13), betaInitializer: init(14) }).apply(x) as tfl.SymbolicTensor;
  x = tfl.layers.activation({ name: 'r7', activation: 'relu' }).apply(x) as tfl.SymbolicTensor;
  return tfl.model({ inputs: input, outputs: x });
}

describe.each(BACKENDS)('fused layers in fromLayersModel on %s', (backend) => {
  it('give the values and input gradients of tfjs-layers itself, run fused kernels, and unfuse what is asked for', async () => {
    await useBackend(backend);
    installGradientFixes(backend);
    const lm = fusionModel(11);
    const vm = await fromLayersModel(lm, { inputRange: [0, 1] });
    const img = tf.tensor4d(values(1 * 20 * 18 * 3, 5).map((v) => (v + 1) / 2), [1, 20, 18, 3]);
    const names = ['r1', 'c2', 'r3', 'r4', 'sum5', 'r6', 'r7'];
    const objective = (acts: tf.Tensor[]): tf.Scalar => tf.addN(acts.map((a, i) => tf.mul(tf.mean(tf.square(a)), i + 1))) as tf.Scalar;
    const ours = (v: tf.Tensor4D, layers = names): tf.Scalar => {
      const acts = vm.activations(v, layers);
      return objective(layers.map((n) => acts.get(n) as tf.Tensor));
    };
    const stockModel = tfl.model({ inputs: lm.inputs, outputs: names.map((n) => lm.getLayer(n).output as tfl.SymbolicTensor) });
    const stock = (v: tf.Tensor4D): tf.Scalar => objective(stockModel.apply(v) as tf.Tensor[]);

    await expectNoLeak(async () => {
      const gOurs = tf.grad((v: tf.Tensor) => ours(v as tf.Tensor4D))(img);
      const gStock = tf.grad((v: tf.Tensor) => stock(v as tf.Tensor4D))(img);
      expect(Math.max(...Array.from(gStock.dataSync(), Math.abs)), 'gradient is not zero').toBeGreaterThan(1e-4);
      expect(relErr(gOurs.dataSync(), gStock.dataSync())).toBeLessThan(1e-4);
      const acts = vm.activations(img, names);
      const stockActs = stockModel.predict(img) as tf.Tensor[];
      names.forEach((n, i) => expect(relErr((acts.get(n) as tf.Tensor).dataSync(), stockActs[i].dataSync()), n).toBeLessThan(1e-5));
      tf.dispose([gOurs, gStock, ...acts.values(), ...stockActs]);

      const kernelsOf = async (f: () => tf.Tensor): Promise<string[]> => {
        const info = await tf.profile(f);
        tf.dispose(info.result as tf.Tensor);
        return info.kernels.map((k) => k.name);
      };
      const count = (ks: string[], name: string): number => ks.filter((k) => k === name).length;
      const fused = await kernelsOf(() => tf.grad((v: tf.Tensor) => ours(v as tf.Tensor4D, ['r7']))(img));
      // c1 + r1, c2 (relu), c4 and c5 (bias) and c6 + bn6 run as FusedConv2D, d7 + bn7 + r7 as one
      // FusedDepthwiseConv2D; c3 (no bias, before a capped ReLU) is a plain Conv2D; r5 stays a Relu
      // (c5's output has a second reader). The capped ReLUs r3 and r4 (cap 6) run one Relu6 kernel
      // forward, and their gradients use none of the slow comparison kernels.
      expect(count(fused, 'FusedConv2D')).toBe(5);
      expect(count(fused, 'FusedDepthwiseConv2D')).toBe(1);
      expect(count(fused, 'Relu')).toBe(1);
      expect(count(fused, 'Relu6')).toBe(2);
      // Folded batch norms run no kernel; the leaky ReLU records one op, with a one-multiply gradient.
      for (const k of ['LessEqual', 'GreaterEqual', 'Greater', 'Select', 'LogicalAnd', 'FusedBatchNorm', 'Rsqrt']) expect(fused, k).not.toContain(k);
      expect(count(fused, 'LeakyRelu')).toBe(1);
      // Asking for c1's own output (before r1) keeps c1 and r1 apart; c2's preact unfuses c2; asking
      // for bn7 keeps r7 apart, for c6 keeps bn6 apart (then a batch norm op: its Rsqrt).
      const apart = await kernelsOf(() => tf.grad((v: tf.Tensor) => ours(v as tf.Tensor4D, ['c1', 'c2/preact', 'c6', 'bn7', 'r7']))(img));
      expect(count(apart, 'FusedConv2D')).toBe(3);
      expect(count(apart, 'FusedDepthwiseConv2D')).toBe(1);
      expect(count(apart, 'Relu')).toBe(4);
      expect(count(apart, 'Relu6')).toBe(2);
      expect(count(apart, 'Rsqrt')).toBeGreaterThan(0);
      // Lucid's redirected ReLU gradient needs the Relu / ClipByValue kernels: nothing with a ReLU is fused then.
      const redirected = await kernelsOf(() => withRedirectedReluGrad(() => tf.grad((v: tf.Tensor) => ours(v as tf.Tensor4D, ['r7']))(img)));
      // (c1, c4, c5, c6 + bn6 and d7 + bn7 stay fused: no ReLU in them; r4 is then tfjs-layers' minimum(6, relu(x)).)
      expect(count(redirected, 'FusedConv2D')).toBe(4);
      expect(count(redirected, 'FusedDepthwiseConv2D')).toBe(1);
      expect(count(redirected, 'Relu')).toBe(6);
      expect(count(redirected, 'Minimum')).toBe(1);
      expect(count(redirected, 'ClipByValue')).toBe(1);
    });
    img.dispose();
    vm.dispose();
    lm.dispose();
  });
});

describe.each(BACKENDS)('step-mask Relu6 / LeakyRelu gradients in fromGraphModel on %s', (backend) => {
  it('give the stock gradients, without the comparison kernels, and step aside for the redirected ReLU', async () => {
    await useBackend(backend);
    installGradientFixes(backend);
    const gm = await makeTestGraphModel(3);
    const vm = await fromGraphModel(gm, { inputRange: [-1, 1] });
    const img = tf.tensor4d(values(1 * 16 * 16 * 3, 17).map((v) => (v + 1) / 2), [1, 16, 16, 3]);
    const loss = (a: tf.Tensor): tf.Scalar => tf.mean(tf.square(a));
    const ours = (v: tf.Tensor): tf.Scalar => loss(vm.activations(v as tf.Tensor4D, ['conv5/Relu']).get('conv5/Relu') as tf.Tensor);
    // The stock path: the converter's own graph (fused ops unfused by tfjs under the tape), on [-1, 1].
    const stock = (v: tf.Tensor): tf.Scalar => loss(gm.execute(tf.sub(tf.mul(v, 2), 1), 'conv5/Relu') as tf.Tensor);
    const kernelsOf = async (f: () => tf.Tensor): Promise<string[]> => {
      const info = await tf.profile(f);
      tf.dispose(info.result as tf.Tensor);
      return info.kernels.map((k) => k.name);
    };
    await expectNoLeak(async () => {
      const g = tf.grad(ours)(img);
      const gs = tf.grad(stock)(img);
      expect(Math.max(...Array.from(gs.dataSync(), Math.abs))).toBeGreaterThan(1e-5);
      expect(relErr(g.dataSync(), gs.dataSync())).toBeLessThan(1e-5);
      tf.dispose([g, gs]);
      const k = await kernelsOf(() => tf.grad(ours)(img));
      expect(k).toContain('Relu6');
      expect(k).not.toContain('LessEqual');
      expect(await kernelsOf(() => tf.grad(stock)(img))).toContain('LessEqual');
      // Under the redirect, Relu6 keeps Lucid's redirected gradient (its comparisons included).
      expect(await kernelsOf(() => withRedirectedReluGrad(() => tf.grad(ours)(img)))).toContain('Less');
      // LeakyRelu (not in the fixture): the swapped gradient against tfjs's own, exactly.
      const x = tf.tensor1d([-2, -0, 0, 1e-30, 3]);
      const dy = tf.tensor1d([1.5, -2, 3, -4, 5]);
      const f = (v: tf.Tensor): tf.Scalar => tf.sum(tf.mul(tf.leakyRelu(v, 0.3), dy));
      const swapped = withStepMaskGradients(() => tf.grad(f)(x));
      const plain = tf.grad(f)(x);
      expect(Array.from(swapped.dataSync())).toEqual(Array.from(plain.dataSync()));
      tf.dispose([x, dy, swapped, plain]);
    });
    img.dispose();
    vm.dispose();
    gm.dispose();
  });
});

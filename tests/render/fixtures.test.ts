import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { renderVis } from '../../src/render/index';
import { visModel } from '../../src/model/index';
import { gradientFixes, uninstallGradientFixes } from '../../src/backends/index';
import { visSession } from '../../src/render/index';
import { image } from '../../src/param/index';
import { cropOrPadTo, jitter } from '../../src/transform/index';
import type { VisModel } from '../../src/model/types';
import { makeTestGraphModel, makeTestLayersModel } from '../fixtures/models';
import { expectNoLeak, useBackend, type NodeBackend } from '../helpers/tf';

/** Mean of channel n of `layer` on the param's current image (no transforms). */
function channelActivation(vm: VisModel, img: tf.Tensor4D, layer: string, n: number): number {
  return tf.tidy(() => {
    const t = vm.activations(img, [layer]).get(layer);
    if (!t) throw new Error(`no activation for ${layer}`);
    return tf.mean(tf.slice(t, [0, 0, 0, n], [-1, -1, -1, 1])).dataSync()[0];
  });
}

/**
 * Renders `layer:n` from a seeded 32-px image for 40 updates (Adam 0.05, ReLU override, no
 * transforms: at 32 px the standard transforms' 12-px padding dilutes the objective, and the
 * activation is measured on the untransformed image) and returns the channel's mean before and after.
 */
async function riseOf(vm: VisModel, layer: string, n: number): Promise<{ start: number; end: number; losses: number[] }> {
  const param = image(32, { seed: 1 });
  const measure = () => {
    const img = param.image();
    const v = channelActivation(vm, img, layer, n);
    img.dispose();
    return v;
  };
  const start = measure();
  const result = await renderVis(vm, `${layer}:${n}`, { param, thresholds: [39], seed: 2, transforms: [] });
  const end = measure();
  param.dispose();
  return { start, end, losses: result.losses };
}

describe('renderVis on the fixture models (cpu)', () => {
  it('LayersModel: the channel rises well above its start; the model weights are untouched', async () => {
    await useBackend('cpu');
    const lm = makeTestLayersModel(1);
    const vm = await visModel(lm, { inputRange: [-1, 1] });
    const before = lm.getWeights().map((w) => Array.from(w.dataSync()));
    await expectNoLeak(async () => {
      const { start, end, losses } = await riseOf(vm, 'conv4_relu', 5);
      console.info(`LayersModel conv4_relu:5 mean activation ${start.toFixed(3)} -> ${end.toFixed(3)}`);
      expect(end).toBeGreaterThan(Math.max(3 * Math.abs(start), start + 0.5));
      expect(losses[39]).toBeGreaterThan(losses[0]);
    });
    lm.getWeights().forEach((w, i) => expect(Array.from(w.dataSync())).toEqual(before[i]));
    vm.dispose();
    lm.dispose();
  });

  it('GraphModel with fused convolutions and max-pooling: the channel rises well above its start', async () => {
    await useBackend('cpu');
    const gm = await makeTestGraphModel(1);
    const vm = await visModel(gm, { inputRange: [-1, 1] });
    await expectNoLeak(async () => {
      const { start, end, losses } = await riseOf(vm, 'conv5/Relu', 3);
      console.info(`GraphModel conv5/Relu:3 mean activation ${start.toFixed(3)} -> ${end.toFixed(3)}`);
      expect(end).toBeGreaterThan(Math.max(3 * Math.abs(start), start + 0.5));
      expect(losses[39]).toBeGreaterThan(losses[0]);
    });
    vm.dispose();
    gm.dispose();
  });

  it('installs the backend\'s gradient fixes itself: wasm follows cpu step for step (LayersModel with max-pooling)', async () => {
    const losses = async (backend: NodeBackend) => {
      await useBackend(backend);
      if (backend === 'wasm') {
        uninstallGradientFixes('wasm'); // e.g. stock wasm MaxPoolGrad is wrong for windows of values <= 0 (after a ReLU)
        expect(gradientFixes('wasm').some((f) => f.installed)).toBe(false);
      }
      const lm = makeTestLayersModel(1);
      const vm = await visModel(lm, { inputRange: [-1, 1] });
      const param = image(32, { seed: 1 });
      const s = visSession(vm, 'conv4_relu:5', { param, transforms: [], seed: 2 });
      if (backend === 'wasm') expect(gradientFixes('wasm').every((f) => f.installed)).toBe(true);
      expect(tf.getBackend()).toBe(backend); // never switches backends
      const out = Array.from({ length: 6 }, () => s.step());
      s.dispose();
      param.dispose();
      vm.dispose();
      lm.dispose();
      return out;
    };
    const cpu = await losses('cpu');
    const wasm = await losses('wasm');
    console.info(`cpu losses ${cpu.map((x) => x.toFixed(5)).join(' ')}; wasm ${wasm.map((x) => x.toFixed(5)).join(' ')}`);
    expect(cpu[5]).toBeGreaterThan(cpu[0]);
    wasm.forEach((l, i) => expect(Math.abs(l - cpu[i])).toBeLessThan(1e-3 * Math.max(1, Math.abs(cpu[i]))));
  });

  it('a fixed-size model: a clear error for other sizes, and the suggested cropOrPadTo fixes it', async () => {
    await useBackend('cpu');
    const lm = makeTestLayersModel(1, { inputShape: [32, 32, 3] });
    const vm = await visModel(lm, { inputRange: [-1, 1] });
    await expectNoLeak(() => {
      const param = image(24, { seed: 1 });
      expect(() => visSession(vm, 'conv4_relu:1', { param, transforms: [jitter(2)] })).toThrow(
        /Error in render\.visSession: the param image must be 32×32 px after transforms \(the model's fixed input size\), but got 22×22 \(param image 24×24\)\. .*transform\.cropOrPadTo\(32, 32\)/,
      );
      const s = visSession(vm, 'conv4_relu:1', { param, transforms: [jitter(2), cropOrPadTo(32, 32)] });
      expect(Number.isFinite(s.step())).toBe(true);
      s.dispose();
      param.dispose();
    });
    vm.dispose();
    lm.dispose();
  });
});

/**
 * Renders on real pretrained networks and checks that the optimized channel fires far more on the
 * rendered image than on random images: the whole pipeline (loader, wrapper, param, transforms,
 * objective, render) works on real weights, not just on fixtures.
 */
import * as tf from '@tensorflow/tfjs-core';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadDefaultModel, loadModel } from '../../src/model/loadNode';
import type { VisModel } from '../../src/model/types';
import { channel } from '../../src/objectives/index';
import { renderVis } from '../../src/render/index';
import { image } from '../../src/param/index';
import { useBackend } from '../helpers/tf';
import { recordSkip } from '../helpers/skips';

const SHARED = resolve(__dirname, '../../../shared/models');
const hasShared = existsSync(resolve(SHARED, 'darknet_tiny/model.json'));
if (!hasShared) recordSkip('tests/realmodels/activation.test.ts (Darknet-tiny, MobileNet v1)', `${SHARED} is absent`);

/** Mean activation of `layer[:, :, :, ch]` on an image batch with values in [0, 1]. */
function channelMean(vm: VisModel, images: tf.Tensor4D, layer: string, ch: number): number {
  return tf.tidy(() => {
    const a = vm.activations(images, [layer]).get(layer) as tf.Tensor4D;
    const depth = a.shape[3];
    const sel = tf.slice(a, [0, 0, 0, ch], [-1, -1, -1, 1]);
    expect(ch).toBeLessThan(depth);
    return tf.mean(sel).dataSync()[0];
  });
}

async function activationRatio(vm: VisModel, layer: string, ch: number, size: number, steps: number): Promise<{ rendered: number; random: number }> {
  const param = image(size, { seed: 0 });
  const r = await renderVis(vm, channel(layer, ch), { param, seed: 0, thresholds: [steps - 1] }).finally(() => param.dispose());
  const img = r.images[0];
  const rendered = tf.tidy(() => {
    const t = tf.tensor4d(img.data, img.shape as [number, number, number, number]);
    return channelMean(vm, t, layer, ch);
  });
  const random = tf.tidy(() => {
    const noise = tf.randomUniform([4, size, size, 3], 0, 1, 'float32', 123) as tf.Tensor4D;
    return channelMean(vm, noise, layer, ch);
  });
  expect(img.shape).toEqual([1, size, size, 3]);
  console.log(`${layer}:${ch} mean activation: rendered ${rendered.toFixed(3)}, random ${random.toFixed(3)} (${(rendered / random).toFixed(1)}×)`);
  return { rendered, random };
}

describe('real networks', () => {
  it('default model (nsfwjs MobileNetV2): the rendered channel fires > 3× more than on random images', async () => {
    await useBackend('wasm');
    const before = tf.memory().numTensors;
    const vm = await loadDefaultModel({ cutAt: 'block_6_expand_relu' });
    try {
      const { rendered, random } = await activationRatio(vm, 'block_6_expand_relu', 40, 64, 40);
      expect(rendered).toBeGreaterThan(3 * Math.max(random, 1e-3));
    } finally {
      vm.dispose();
    }
    expect(tf.memory().numTensors).toBe(before);
  });

  it.skipIf(!hasShared)('Darknet-tiny from ../shared: the rendered channel fires > 3× more than on random images', async () => {
    await useBackend('wasm');
    const before = tf.memory().numTensors;
    const vm = await loadModel(resolve(SHARED, 'darknet_tiny'), { inputRange: [0, 1], cutAt: 'leaky_re_lu_8' });
    try {
      const { rendered, random } = await activationRatio(vm, 'leaky_re_lu_8', 7, 64, 40);
      expect(rendered).toBeGreaterThan(3 * Math.max(random, 1e-3));
    } finally {
      vm.dispose();
    }
    expect(tf.memory().numTensors).toBe(before);
  });

  it.skipIf(!hasShared)('MobileNet v1 from ../shared loads without its missing shard when cut at conv_pw_12_relu', async () => {
    await useBackend('cpu');
    const dir = resolve(SHARED, 'mobilenet_v1_1.0_224');
    await expect(loadModel(dir, { inputRange: [-1, 1] })).rejects.toThrow(/weight shard "group37-shard1of1" must hold 4194304 bytes/);
    await expect(loadModel(dir, { inputRange: [-1, 1], strict: false })).rejects.toThrow(
      /weight shard "group37-shard1of1" must be present for the layers kept.*Cut the model before "conv_pw_13" with cutAt/,
    );
    const vm = await loadModel(dir, { inputRange: [-1, 1], strict: false, cutAt: 'conv_pw_12_relu' });
    try {
      const names = vm.layers.map((l) => l.name);
      expect(names).toContain('conv_pw_12_relu');
      expect(names).not.toContain('conv_pw_13');
      expect(vm.layer('conv_pw_12_relu').depth).toBe(1024);
    } finally {
      vm.dispose();
    }
  });
});

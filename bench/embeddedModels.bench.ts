/**
 * The two embedded models side by side: time per step on wasm, interleaved (MobileNetV2,
 * InceptionV3, MobileNetV2, …), batch 1, 128 px, a channel objective at each model's CLI target
 * (`block_13_expand_relu:100`, `mixed4:100`). Prints the per-round ratio; see docs/models.md.
 *
 * Run: `npx tsx bench/embeddedModels.bench.ts [rounds=2] [steps=12]` (needs nsfwjs installed).
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import { installGradientFixes } from '../src/backends/index';
import { EMBEDDED_MODELS } from '../src/model/embeddedModels';
import { loadDefaultModel } from '../src/model/loadNode';
import { image } from '../src/param/index';
import { renderVis } from '../src/render/index';

(async () => {
  const rounds = Number(process.argv[2] ?? 2);
  const steps = Number(process.argv[3] ?? 12);
  tf.env().set('PROD', true);
  await tf.setBackend('wasm');
  await tf.ready();
  installGradientFixes('wasm');
  const names = ['mobilenet-v2', 'inception-v3'] as const;
  const vms = await Promise.all(names.map((name) => loadDefaultModel({ name })));
  const times: Record<string, number[]> = { 'mobilenet-v2': [], 'inception-v3': [] };
  for (let r = 0; r < rounds; r++) {
    for (let k = 0; k < 2; k++) {
      const name = names[k];
      const { layer, channel } = EMBEDDED_MODELS[name].target;
      const param = image(128, { seed: r });
      const per: number[] = [];
      let last = Date.now();
      await renderVis(vms[k], `${layer}:${channel}`, {
        param,
        thresholds: [steps - 1],
        seed: r,
        onProgress: () => {
          const now = Date.now();
          per.push(now - last);
          last = now;
        },
      });
      param.dispose();
      const med = per.slice(2).sort((a, b) => a - b)[Math.floor((per.length - 2) / 2)];
      times[name].push(med);
      console.log(`round ${r} ${name} ${layer}:${channel}: median ${med} ms/step`);
    }
  }
  const median = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
  const m = median(times['mobilenet-v2']);
  const i = median(times['inception-v3']);
  const ratios = times['inception-v3'].map((t, r) => (t / times['mobilenet-v2'][r]).toFixed(2));
  console.log(`median ms/step: mobilenet-v2 ${m}, inception-v3 ${i}; per-round ratio inception/mobilenet ${ratios.join(', ')}`);
  vms.forEach((v) => v.dispose());
})();

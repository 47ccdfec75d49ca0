/**
 * tfjs-optvis side of bench/torch.bench.ts: one feature-visualization session on wasm, driven over
 * stdin/stdout with the same line protocol as bench/torch_inception.py (`run K` → one JSON line
 * `{"times": [...], "loss", "tensors", "rssMB"}`; `quit`). Same workload as
 * bench/inception.bench.ts: InceptionV1 (tests/fixtures/inception.ts, seeded random weights) up to
 * `--layer`, `channel(layer, --channel)`, `param.image(--size, { batch })` (decorrelated FFT),
 * standard transforms, Adam(0.05), gradient fixes installed.
 *
 * `--threads N` (N ≥ 1) runs the wasm backend on N threads through `useWasmThreads`; `--threads 0`
 * runs tfjs's stock single-threaded wasm.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import '../src/ops/registerGradients';
import { createInterface } from 'node:readline';
import { inceptionV1, INCEPTION_INPUT_RANGE } from '../tests/fixtures/inception';
import { image as imageParam } from '../src/param/index';
import { standardTransforms } from '../src/transform/index';
import { channel } from '../src/objectives/index';
import { visSession } from '../src/render/index';
import { visModel } from '../src/model/index';
import { installGradientFixes } from '../src/backends/index';
import { useWasmThreads, wasmThreadsState } from '../src/backends/wasmThreads';

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : dflt;
}
const THREADS = Number(arg('threads', '0'));
const BATCH = Number(arg('batch', '1'));
const SIZE = Number(arg('size', '128'));
const LAYER = arg('layer', 'mixed4a');
const CHANNEL = Number(arg('channel', '97'));

async function main(): Promise<void> {
  if (THREADS > 0) useWasmThreads({ threads: THREADS });
  await tf.setBackend('wasm');
  await tf.ready();
  installGradientFixes('wasm');
  const net = inceptionV1({ seed: 1, upTo: LAYER });
  const vm = await visModel(net, { inputRange: INCEPTION_INPUT_RANGE });
  const param = imageParam(SIZE, { batch: BATCH, seed: 1 });
  const session = visSession(vm, channel(LAYER, CHANNEL), { param, seed: 1, transforms: standardTransforms() });
  let peak = 0;
  let base = -1;
  const out = (o: unknown): void => void process.stdout.write(`${JSON.stringify(o)}\n`);
  out({ ready: true, tfjs: tf.version_core, ...wasmThreadsState() });
  const rl = createInterface({ input: process.stdin });
  for await (const line of rl) {
    const [cmd, n] = line.trim().split(/\s+/);
    if (cmd === 'quit' || cmd === undefined) break;
    if (cmd === 'run') {
      const times: number[] = [];
      let loss = NaN;
      for (let i = 0; i < Number(n); i++) {
        const t0 = performance.now();
        loss = session.step();
        times.push(performance.now() - t0);
        peak = Math.max(peak, process.memoryUsage().rss / 2 ** 20);
      }
      // Tensor growth counted from the end of the first block (Adam's slots exist by then).
      if (base < 0) base = tf.memory().numTensors;
      out({ times, loss, tensorGrowth: tf.memory().numTensors - base, rssMB: peak });
    }
  }
  rl.close();
  session.dispose();
  param.dispose();
  vm.dispose();
  net.dispose();
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});

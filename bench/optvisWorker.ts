/**
 * tfjs-optvis side of bench/torch.bench.ts: one feature-visualization session on wasm, driven over
 * stdin/stdout with the same line protocol as bench/torch_inception.py (`run K` → one JSON line
 * `{"times": [...], "loss", "tensorGrowth", "rssMB"}`; `quit`). The first line it writes is
 * `{"ready": true, "model", "layer", "channel", "outputShape", ...}`: what it actually runs.
 *
 * `--model inception-v1` (default): the workload of bench/inception.bench.ts, InceptionV1
 * (tests/fixtures/inception.ts, seeded random weights) up to `--layer` (default mixed4a), channel
 * `--channel` (default 97). `--model mobilenet-v2`: the project's default model as a user gets it,
 * `loadDefaultModel()` (the embedded Keras MobileNetV2, ImageNet weights, input [0, 1]), at
 * `DEFAULT_TARGET` (block_13_expand_relu, channel 100) unless `--layer`/`--channel` say otherwise.
 * Both: `channel(layer, channel)`, `param.image(--size, { batch: --batch, seed: 1 })` (decorrelated
 * FFT), standard transforms, one `visSession` (Adam(0.05)), wasm, gradient fixes installed.
 *
 * `--threads N` (N ≥ 1) runs the wasm backend on N threads through `useWasmThreads`; `--threads 0`
 * runs tfjs's stock single-threaded wasm. `--native N` (N ≥ 1) adds the native convolutions
 * (`useNativeKernels({ threads: N })`, src/backends/nativeKernels.ts) to single-threaded wasm.
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
import { visModel, type VisModel } from '../src/model/index';
import { installGradientFixes } from '../src/backends/index';
import { useWasmThreads, wasmThreadsState } from '../src/backends/wasmThreads';

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : dflt;
}
const THREADS = Number(arg('threads', '0'));
const NATIVE = Number(arg('native', '0'));
const BATCH = Number(arg('batch', '1'));
const SIZE = Number(arg('size', '128'));
const MODEL = arg('model', 'inception-v1');

/** The model, the layer and channel to render, and what frees the model. */
async function setUp(): Promise<{ vm: VisModel; layer: string; channel: number; dispose: () => void }> {
  if (MODEL === 'inception-v1') {
    const layer = arg('layer', 'mixed4a');
    const net = inceptionV1({ seed: 1, upTo: layer });
    const vm = await visModel(net, { inputRange: INCEPTION_INPUT_RANGE });
    return { vm, layer, channel: Number(arg('channel', '97')), dispose: () => (vm.dispose(), net.dispose()) };
  }
  if (MODEL === 'mobilenet-v2') {
    // Imported here so that this file still runs in an older checkout (--baseline) for InceptionV1.
    const { loadDefaultModel } = await import('../src/model/loadNode');
    const { DEFAULT_TARGET } = await import('../src/model/embeddedModels');
    const vm = await loadDefaultModel();
    return { vm, layer: arg('layer', DEFAULT_TARGET.layer), channel: Number(arg('channel', String(DEFAULT_TARGET.channel))), dispose: () => vm.dispose() };
  }
  throw new Error(`optvisWorker: --model must be inception-v1 or mobilenet-v2, but got ${JSON.stringify(MODEL)}`);
}

async function main(): Promise<void> {
  if (THREADS > 0) useWasmThreads({ threads: THREADS });
  await tf.setBackend('wasm');
  await tf.ready();
  installGradientFixes('wasm');
  if (NATIVE > 0) {
    const { useNativeKernels } = await import('../src/backends/nativeKernels');
    useNativeKernels({ threads: NATIVE });
  }
  const { vm, layer, channel: ch, dispose } = await setUp();
  // The objective's layer on an untransformed --size image (NHWC), to check against the other side.
  const outputShape = tf.tidy(() => vm.activations(tf.zeros([BATCH, SIZE, SIZE, 3]), [layer]).get(layer)?.shape);
  const param = imageParam(SIZE, { batch: BATCH, seed: 1 });
  const session = visSession(vm, channel(layer, ch), { param, seed: 1, transforms: standardTransforms() });
  let peak = 0;
  let base = -1;
  const out = (o: unknown): void => void process.stdout.write(`${JSON.stringify(o)}\n`);
  out({ ready: true, tfjs: tf.version_core, model: MODEL, layer, channel: ch, outputShape, ...wasmThreadsState(), native: NATIVE });
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
  dispose();
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});

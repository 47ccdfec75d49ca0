/**
 * Child process of tests/backends/wasmMaxPoolGrad.test.ts: on tfjs's threaded wasm binary
 * (`useWasmThreads`, 2 threads; its memory is shared), compares the SIMD max-pool gradient with the
 * JavaScript pass on values with ties, NaN and ±Infinity. Prints one JSON line.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import { useWasmThreads, wasmThreadsState } from '../../src/backends/wasmThreads';
import { maxPoolBackpropOnHost } from '../../src/backends/convGrads';
import { wasmMaxPoolGradKernel } from '../../src/backends/wasmMaxPoolGrad';
import { Rng } from '../../src/ops/random';

useWasmThreads({ threads: 2 });
await tf.setBackend('wasm');
await tf.ready();
const rng = new Rng(5);
const shape: [number, number, number, number] = [2, 13, 11, 10];
const x = Float32Array.from({ length: 2 * 13 * 11 * 10 }, () => {
  const r = rng.uniform();
  return r < 0.03 ? NaN : r < 0.05 ? -Infinity : Math.round((rng.uniform() - 0.6) * 6) / 2;
});
const before = tf.memory().numTensors;
const [simd, js] = tf.tidy(() => {
  const xt = tf.tensor4d(x, shape);
  const ys = tf.maxPool(xt, 3, 2, 'same').shape;
  const dy = tf.tensor4d(Float32Array.from({ length: ys.reduce((a, b) => a * b, 1) }, () => rng.uniform() - 0.5), ys);
  return [
    maxPoolBackpropOnHost(dy, xt, 3, 2, 'same', undefined, true).dataSync(),
    maxPoolBackpropOnHost(dy, xt, 3, 2, 'same', undefined, false).dataSync(),
  ];
});
let differing = 0;
for (let i = 0; i < simd.length; i++) if (!Object.is(simd[i], js[i])) differing++;
const memory = (tf.backend() as unknown as { wasm: { wasmMemory?: WebAssembly.Memory } }).wasm.wasmMemory;
console.log(
  JSON.stringify({
    state: wasmThreadsState(),
    sharedMemory: memory !== undefined && memory.buffer instanceof SharedArrayBuffer,
    kernel: wasmMaxPoolGradKernel(tf.backend()) !== null,
    elements: simd.length,
    differing,
    nonzero: simd.filter((v) => v !== 0).length,
    tensorGrowth: tf.memory().numTensors - before,
  }),
);
process.exit(0);

/**
 * Child process of tests/backends/wasmHeapKernels.test.ts: on tfjs's threaded wasm binary
 * (`useWasmThreads`, 2 threads; its memory is shared), compares the SIMD max-pool gradient (on
 * values with ties, NaN and ±Infinity), col2im and the average-pool gradient with the JavaScript
 * passes. Prints one JSON line.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import { useWasmThreads, wasmThreadsState } from '../../src/backends/wasmThreads';
import { avgPoolBackpropOnHost, conv2dBackpropInputByMatMul, maxPoolBackpropOnHost } from '../../src/backends/convGrads';
import { wasmHeapKernels } from '../../src/backends/wasmHeapKernels';
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
const [c2Simd, c2Js] = tf.tidy(() => {
  const filter = tf.tensor4d(Float32Array.from({ length: 7 * 7 * 3 * 8 }, () => rng.uniform() - 0.5), [7, 7, 3, 8]);
  const dy = tf.tensor4d(Float32Array.from({ length: 10 * 10 * 8 }, () => rng.uniform() - 0.5), [1, 10, 10, 8]);
  return [
    conv2dBackpropInputByMatMul(dy, filter, [1, 20, 20, 3], 2, 'same', undefined, true).dataSync(),
    conv2dBackpropInputByMatMul(dy, filter, [1, 20, 20, 3], 2, 'same', undefined, false).dataSync(),
  ];
});
const [avgSimd, avgJs] = tf.tidy(() => {
  const xt = tf.zeros(shape) as tf.Tensor4D;
  const dy = tf.tensor4d(Float32Array.from({ length: 2 * 13 * 11 * 10 }, () => rng.uniform() - 0.5), shape);
  return [avgPoolBackpropOnHost(dy, xt, 3, 1, 'same', undefined, true).dataSync(), avgPoolBackpropOnHost(dy, xt, 3, 1, 'same', undefined, false).dataSync()];
});
let avgDiffering = 0;
for (let i = 0; i < avgSimd.length; i++) if (!Object.is(avgSimd[i], avgJs[i])) avgDiffering++;
let col2imDiffering = 0;
for (let i = 0; i < c2Simd.length; i++) if (!Object.is(c2Simd[i], c2Js[i])) col2imDiffering++;
const memory = (tf.backend() as unknown as { wasm: { wasmMemory?: WebAssembly.Memory } }).wasm.wasmMemory;
console.log(
  JSON.stringify({
    state: wasmThreadsState(),
    sharedMemory: memory !== undefined && memory.buffer instanceof SharedArrayBuffer,
    kernel: wasmHeapKernels(tf.backend()) !== null,
    elements: simd.length,
    differing,
    nonzero: simd.filter((v) => v !== 0).length,
    col2imDiffering,
    avgDiffering,
    col2imElements: c2Simd.length,
    tensorGrowth: tf.memory().numTensors - before,
  }),
);
process.exit(0);

/**
 * Child process of tests/backends/nativeKernels.test.ts: the wasm backend on tfjs's threaded binary
 * (`useWasmThreads`, 2 threads: a shared heap, which has to be chosen before wasm starts), then
 * `useNativeKernels`, which must refuse it and change nothing. Prints one JSON line.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import { useWasmThreads, wasmThreadsState } from '../../src/backends/wasmThreads';
import { nativeKernelsState, useNativeKernels } from '../../src/backends/nativeKernels';

if (process.argv.includes('--native-first')) {
  // The other order: the native kernels installed before the threaded backend starts. Their
  // convolutions must then run the kernels registered before (the heap is shared).
  const stockConv = tf.getKernel('Conv2D', 'wasm') as tf.KernelConfig;
  const stockMatMul = tf.getKernel('BatchMatMul', 'wasm') as tf.KernelConfig;
  const calls = { conv: 0, matMul: 0 };
  const countConv = stockConv.kernelFunc;
  const countMatMul = stockMatMul.kernelFunc;
  stockConv.kernelFunc = (a) => (calls.conv++, countConv(a));
  stockMatMul.kernelFunc = (a) => (calls.matMul++, countMatMul(a));
  useNativeKernels({ threads: 2 });
  useWasmThreads({ threads: 2 });
  await tf.setBackend('wasm');
  await tf.ready();
  const tensors = tf.memory().numTensors;
  const y = tf.tidy(() => {
    const x = tf.tensor4d(Array.from({ length: 2 * 6 * 6 * 3 }, (_, i) => Math.sin(i)), [2, 6, 6, 3]);
    const w = tf.tensor4d(Array.from({ length: 3 * 3 * 3 * 4 }, (_, i) => Math.cos(i)), [3, 3, 3, 4]);
    const m = tf.matMul(tf.reshape(x, [12, 18]), tf.ones([18, 5]));
    return [tf.sum(tf.conv2d(x, w, 1, 'same')).dataSync()[0], tf.sum(m).dataSync()[0]];
  });
  console.log(JSON.stringify({ threads: wasmThreadsState(), state: nativeKernelsState().active, calls, finite: y.every(Number.isFinite), tensorGrowth: tf.memory().numTensors - tensors }));
  process.exit(0);
}
useWasmThreads({ threads: 2 });
await tf.setBackend('wasm');
await tf.ready();
const conv = tf.getKernel('Conv2D', 'wasm');
const fused = tf.getKernel('FusedConv2D', 'wasm');
const tensors = tf.memory().numTensors;
const buffers = tf.engine().backend.numDataIds();
let error: { name: string; fn?: string; message: string } | undefined;
try {
  useNativeKernels({ threads: 2 });
} catch (e) {
  error = { name: (e as Error).name, fn: (e as { fn?: string }).fn, message: (e as Error).message };
}
const memory = (tf.backend() as unknown as { wasm: { wasmMemory?: WebAssembly.Memory } }).wasm.wasmMemory;
console.log(
  JSON.stringify({
    threads: wasmThreadsState(),
    sharedMemory: memory !== undefined && memory.buffer instanceof SharedArrayBuffer,
    error,
    state: nativeKernelsState(),
    kernelsUnchanged: tf.getKernel('Conv2D', 'wasm') === conv && tf.getKernel('FusedConv2D', 'wasm') === fused,
    tensorGrowth: tf.memory().numTensors - tensors,
    bufferGrowth: tf.engine().backend.numDataIds() - buffers,
  }),
);
process.exit(0);

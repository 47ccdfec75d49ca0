/**
 * Child process of tests/backends/hostKernels.test.ts: runs the wasm backend on 2 threads
 * (`useWasmThreads`) and prints, as one JSON line, the thread state and the values of a small
 * network's forward pass and input gradient (convolution, max-pool, ReLU), for comparison with
 * the stock single-threaded backend in the parent.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import '../../src/ops/registerGradients';
import { useWasmThreads, wasmThreadsState } from '../../src/backends/wasmThreads';
import { installGradientFixes } from '../../src/backends/index';
import { threadsWorkload } from './threadsWorkload';

useWasmThreads({ threads: Number(process.argv[2] ?? '2') });
await tf.setBackend('wasm');
await tf.ready();
installGradientFixes('wasm');
const before = tf.memory().numTensors;
const { y, g } = threadsWorkload();
process.stdout.write(`${JSON.stringify({ state: wasmThreadsState(), backend: tf.getBackend(), y: Array.from(y), g: Array.from(g), growth: tf.memory().numTensors - before })}\n`);

/**
 * Child process of the leak suite (tests/reliability/leak.test.ts, block "threads
 * (useWasmThreads)"): `useWasmThreads` must run before the wasm backend starts, which the suite's
 * own process has long done, so this fresh process does it through the public Node entry, runs the
 * render loop on the threaded backend (visSession steps, renderVis, an aborted renderVis, a
 * renderVis that throws), twice, and prints one JSON line: the thread state before and after the
 * backend started, the backend, and numTensors around the second run.
 *
 * Usage: `node --import tsx tests/reliability/wasmThreadsLeakChild.ts [threads] [timeoutMs]`.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import { model, render, useWasmThreads, wasmThreadsState } from '../../src/node';
import { makeTestLayersModel, TEST_LABELS } from '../fixtures/models';

const threads = Number(process.argv[2] ?? '2');
const timeoutMs = process.argv[3] === undefined ? undefined : Number(process.argv[3]);
useWasmThreads({ threads, timeoutMs });
const stateBefore = wasmThreadsState();
tf.env().set('PROD', true);
if (!(await tf.setBackend('wasm'))) throw new Error('the wasm backend failed to initialise');
await tf.ready();
const net = makeTestLayersModel(1);
const vm = await model.visModel(net, { inputRange: [-1, 1], labels: TEST_LABELS });

async function run(): Promise<void> {
  const session = render.visSession(vm, 'conv4:3', { seed: 2 });
  session.step();
  session.step();
  session.dispose();
  await render.renderVis(vm, 'conv4:3', { thresholds: [3], seed: 2 });
  const ac = new AbortController();
  const aborted = await render
    .renderVis(vm, 'conv4:3', { thresholds: [9], signal: ac.signal, onProgress: (p) => p.step === 1 && ac.abort() })
    .then(() => false, (e: unknown) => e instanceof render.RenderAbortError);
  if (!aborted) throw new Error('the aborted renderVis did not reject with RenderAbortError');
  const threw = await render.renderVis(vm, 'conv4:999', { thresholds: [1] }).then(() => false, () => true);
  if (!threw) throw new Error('renderVis on an out-of-range channel did not throw');
}

// A first run may create lazily cached, owned constants: warm up once, then measure.
await run();
const before = tf.memory().numTensors;
await run();
const after = tf.memory().numTensors;
vm.dispose();
net.dispose();
process.stdout.write(`${JSON.stringify({ stateBefore, state: wasmThreadsState(), backend: tf.getBackend(), before, after })}\n`);

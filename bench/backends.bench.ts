/**
 * Stock vs fixed wasm gradient kernels, side by side.
 *
 * Run: `npx tsx bench/backends.bench.ts [size=64]` (Node 20, single-threaded wasm). Prints the median CPU time
 * of input gradients (and filter gradients where the stock kernel exists) with tfjs's own wasm
 * kernels and with `installGradientFixes('wasm')`, plus the cpu time for reference.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import '../src/ops/registerGradients';
import { installGradientFixes, uninstallGradientFixes } from '../src/backends/index';
import { fromGraphModel, fromLayersModel } from '../src/model/index';
import { makeTestGraphModel, makeTestLayersModel } from '../tests/fixtures/models';
import type { VisModel } from '../src/model/types';

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/**
 * Median process CPU time in ms of `f` (after a warm-up call), or the error message when it
 * throws. CPU time rather than wall time: on a shared machine it is far less noisy, and the wasm
 * backend is single-threaded.
 */
function time(f: () => tf.Tensor | tf.Tensor[], reps = 5): string {
  try {
    tf.dispose(f());
    const ts: number[] = [];
    for (let i = 0; i < reps; i++) {
      const t0 = process.cpuUsage();
      const out = f();
      for (const t of Array.isArray(out) ? out : [out]) t.dataSync();
      tf.dispose(out);
      const u = process.cpuUsage(t0);
      ts.push((u.user + u.system) / 1000);
    }
    return `${median(ts).toFixed(1)} ms`;
  } catch (e) {
    return `fails (${String((e as Error).message).split('\n')[0].slice(0, 60)})`;
  }
}

interface Case {
  name: string;
  run: () => tf.Tensor | tf.Tensor[];
}

function opCases(size: number): Case[] {
  const x = tf.keep(tf.randomNormal([1, size, size, 32], 0, 1, 'float32', 1)) as tf.Tensor4D;
  const w = tf.keep(tf.randomNormal([3, 3, 32, 32], 0, 0.1, 'float32', 2)) as tf.Tensor4D;
  const dw = tf.keep(tf.randomNormal([3, 3, 32, 1], 0, 0.1, 'float32', 3)) as tf.Tensor4D;
  const b = tf.keep(tf.randomNormal([32], 0, 0.1, 'float32', 5)) as tf.Tensor1D;
  return [
    { name: `conv2d 3x3 32->32 s1 ${size}px, d/dx`, run: () => tf.grad((v: tf.Tensor) => tf.sum(tf.conv2d(v as tf.Tensor4D, w, 1, 'same')))(x) },
    { name: `conv2d 3x3 32->32 s2 ${size}px, d/dx`, run: () => tf.grad((v: tf.Tensor) => tf.sum(tf.conv2d(v as tf.Tensor4D, w, 2, 'same')))(x) },
    { name: `conv2d 3x3 32->32 s1 ${size}px, d/dw`, run: () => tf.grad((v: tf.Tensor) => tf.sum(tf.conv2d(x, v as tf.Tensor4D, 1, 'same')))(w) },
    // tfjs keeps a fused conv fused under gradients only when its activation is linear (bias only).
    { name: `fused conv2d+bias ${size}px, d/dx`, run: () => tf.grad((v: tf.Tensor) => tf.sum(tf.fused.conv2d({ x: v as tf.Tensor4D, filter: w, bias: b, strides: 1, pad: 'same' })))(x) },
    { name: `depthwise 3x3 s1 ${size}px, d/dx`, run: () => tf.grad((v: tf.Tensor) => tf.sum(tf.depthwiseConv2d(v as tf.Tensor4D, dw, 1, 'same')))(x) },
    { name: `depthwise 3x3 s1 ${size}px, d/dw`, run: () => tf.grad((v: tf.Tensor) => tf.sum(tf.depthwiseConv2d(x, v as tf.Tensor4D, 1, 'same')))(dw) },
    { name: `maxPool 2x2 s2 ${size}px, d/dx`, run: () => tf.grad((v: tf.Tensor) => tf.sum(tf.maxPool(v as tf.Tensor4D, 2, 2, 'same')))(x) },
  ];
}

function modelCase(name: string, model: VisModel, layer: string, size: number): Case {
  const img = tf.keep(tf.randomUniform([1, size, size, 3], 0, 1, 'float32', 4)) as tf.Tensor4D;
  return {
    name: `${name} mean(${layer}) ${size}px, d/dinput`,
    run: () => tf.grad((v: tf.Tensor) => tf.tidy(() => {
      const acts = model.activations(v as tf.Tensor4D, [layer]);
      return tf.mean(acts.get(layer) as tf.Tensor);
    }))(img),
  };
}

async function main(): Promise<void> {
  const size = Number(process.argv[2] ?? 64);
  const rows: [string, string, string, string][] = [];
  await tf.setBackend('cpu');
  const lm = makeTestLayersModel(1);
  const gm = await makeTestGraphModel(1);
  const build = async (): Promise<Case[]> => [
    ...opCases(size),
    modelCase('layers fixture', await fromLayersModel(lm, { inputRange: [-1, 1] }), 'conv4_relu', size),
    modelCase('graph fixture', await fromGraphModel(gm, { inputRange: [-1, 1] }), 'conv5/Relu', size),
  ];
  const cpu = (await build()).map((c) => time(c.run, 1)); // tfjs-cpu is slow: one timed run
  await tf.setBackend('wasm');
  uninstallGradientFixes('wasm');
  const cases = await build();
  const stock = cases.map((c) => time(c.run));
  installGradientFixes('wasm');
  const fixed = cases.map((c) => time(c.run));
  cases.forEach((c, i) => rows.push([c.name, cpu[i], stock[i], fixed[i]]));
  const header: [string, string, string, string] = ['case', 'cpu', 'wasm stock', 'wasm fixed'];
  const widths = header.map((h, j) => Math.max(h.length, ...rows.map((r) => r[j].length)));
  for (const r of [header, ...rows]) console.log(r.map((v, j) => v.padEnd(widths[j])).join('  '));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});

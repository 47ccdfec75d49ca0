/**
 * Benchmark: the native convolutions (`useNativeKernels`, native/) against tfjs's own wasm
 * kernels, per operation, on InceptionV1's convolution shapes at a 128 px render (network input
 * ≈ 140 px) and the matrix product of conv2d0's input gradient. Interleaved: each round times every
 * shape on tfjs's kernels, then natively on 1 thread, then on `--threads` threads; medians over the
 * rounds, and the ratios. Forward convolutions run as the network runs them (`tf.fused.conv2d`
 * with bias and ReLU).
 *
 * Run: `npm run bench:native -- [--rounds 7] [--reps 20] [--threads 2]`.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import os from 'node:os';
import { nativeKernelsState, releaseNativeKernels, useNativeKernels } from '../src/backends/nativeKernels';

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : dflt;
}
const ROUNDS = Number(arg('rounds', '7'));
const REPS = Number(arg('reps', '20'));
const THREADS = Number(arg('threads', String(os.availableParallelism())));

type Case = { name: string; make: () => tf.Tensor[]; run: (t: tf.Tensor[]) => tf.Tensor };
const conv = (name: string, x: number[], f: number[], stride = 1): Case => ({
  name: `${name} [${x.join(',')}] ⊛ ${f[0]}×${f[1]}×${f[2]}→${f[3]}${stride > 1 ? ` /${stride}` : ''}`,
  make: () => [tf.randomNormal(x), tf.randomNormal(f, 0, 0.1), tf.randomNormal([f[3]])],
  run: ([xt, ft, bt]) => tf.fused.conv2d({ x: xt as tf.Tensor4D, filter: ft as tf.Tensor4D, strides: stride, pad: 'same', bias: bt, activation: 'relu' }),
});
const CASES: Case[] = [
  conv('conv2d0', [1, 140, 140, 3], [7, 7, 3, 64], 2),
  conv('conv2d2', [1, 35, 35, 64], [3, 3, 64, 192]),
  conv('mixed3a 1×1', [1, 18, 18, 192], [1, 1, 192, 64]),
  conv('mixed3a 3×3', [1, 18, 18, 96], [3, 3, 96, 128]),
  conv('mixed3a 5×5', [1, 18, 18, 16], [5, 5, 16, 32]),
  conv('mixed3b 3×3', [1, 18, 18, 128], [3, 3, 128, 192]),
  conv('mixed4a 1×1', [1, 9, 9, 480], [1, 1, 480, 192]),
  conv('mixed4a 3×3', [1, 9, 9, 96], [3, 3, 96, 204]),
  {
    // As conv2dBackpropInputByMatMul computes it: the filter transposed beforehand (tfjs's wasm
    // matMul with a transpose flag is ~40× slower here).
    name: "conv2d0's input-gradient patches [4900,64]·[64,147]",
    make: () => [tf.randomNormal([1, 4900, 64]), tf.randomNormal([64, 147])],
    run: ([a, b]) => tf.matMul(a, b),
  },
];

function time(c: Case, inputs: tf.Tensor[]): number {
  tf.dispose(c.run(inputs)); // warm-up (tfjs's XNNPACK operator, the addon's pool)
  const t0 = performance.now();
  for (let i = 0; i < REPS; i++) tf.dispose(c.run(inputs));
  return (performance.now() - t0) / REPS;
}

const median = (a: number[]): number => [...a].sort((p, q) => p - q)[Math.floor(a.length / 2)];

async function main(): Promise<void> {
  await tf.setBackend('wasm');
  await tf.ready();
  const modes = [
    { label: "tfjs's wasm", native: 0 },
    { label: 'native, 1 thread', native: 1 },
    ...(THREADS > 1 ? [{ label: `native, ${THREADS} threads`, native: THREADS }] : []),
  ];
  const inputs = CASES.map((c) => c.make());
  const times = CASES.map(() => modes.map(() => [] as number[]));
  const tensors = tf.memory().numTensors;
  for (let r = 0; r < ROUNDS; r++) {
    for (const [m, mode] of modes.entries()) {
      if (mode.native > 0) useNativeKernels({ threads: mode.native });
      else releaseNativeKernels();
      CASES.forEach((c, i) => times[i][m].push(time(c, inputs[i])));
    }
  }
  const avx2 = (useNativeKernels({ threads: 1 }), nativeKernelsState().avx2);
  releaseNativeKernels();
  const growth = tf.memory().numTensors - tensors;
  inputs.forEach((t) => tf.dispose(t));
  console.log(
    `${os.cpus().length} cores (${os.cpus()[0]?.model ?? '?'}), load average ${os.loadavg()[0].toFixed(1)}; ${ROUNDS} interleaved rounds × ${REPS} calls; ` +
      `native micro-kernels: ${avx2 ? 'AVX2/FMA' : 'portable C++'}; numTensors growth ${growth}.\n`,
  );
  console.log(`| operation | ${modes.map((m) => m.label).join(' | ')} | ${modes.slice(1).map((m) => `÷ by ${m.label}`).join(' | ')} |`);
  console.log(`|---|${modes.map(() => '---:').join('|')}|${modes.slice(1).map(() => '---:').join('|')}|`);
  CASES.forEach((c, i) => {
    const med = times[i].map(median);
    console.log(`| ${c.name} | ${med.map((t) => `${t.toFixed(2)} ms`).join(' | ')} | ${med.slice(1).map((t) => `${(med[0] / t).toFixed(2)}×`).join(' | ')} |`);
  });
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});

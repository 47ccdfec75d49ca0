/**
 * Benchmark of the spectral image's inverse real 2-D DFT (src/ops/irfft2d.ts), forward + gradient:
 * the two ways it is computed, interleaved in one run — `method: 'matmul'` (two matrix products
 * with constant bases, used on webgl/webgpu) and `method: 'host'` (float64 host FFTs, the default on
 * cpu and wasm) — at several sizes and batches. Prints medians, their ratio, the largest relative
 * difference of the two images and the growth of `tf.memory().numTensors` (should be 0).
 *
 * Run: `npx tsx bench/irfft2d.bench.ts [--backend wasm|cpu] [--reps N]` (a plain script, not a
 * vitest file; not part of `npm test`).
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import '../src/ops/registerGradients';
import { irfft2dBasis, type Irfft2dBasis } from '../src/ops/irfft2d';

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : dflt;
}
const BACKEND = arg('backend', 'wasm');
const REPS = Number(arg('reps', '9'));
const CASES: [batch: number, size: number][] = [[1, 128], [2, 128], [16, 128], [1, 256], [1, 512]];
const METHODS = ['matmul', 'host'] as const;

const median = (a: number[]): number => {
  const s = [...a].sort((p, q) => p - q);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

async function main(): Promise<void> {
  await tf.setBackend(BACKEND);
  await tf.ready();
  console.log(`${BACKEND}: irfft2d forward + gradient, 3 channels, medians of ${REPS} interleaved runs (after a warm-up)\n`);
  console.log('| batch | size | matmul | host | matmul ÷ host | max rel. difference | numTensors growth |');
  console.log('|---:|---:|---:|---:|---:|---:|---:|');
  for (const [b, size] of CASES) {
    const wf = size / 2 + 1;
    const x = tf.variable(tf.randomNormal([2, b, 3, size, wf], 0, 1, 'float32', 1));
    const w = tf.randomNormal([b, size, size, 3], 0, 1, 'float32', 2);
    const bases = new Map<string, Irfft2dBasis>(METHODS.map((m) => [m, irfft2dBasis(size, wf, { width: size, method: m })]));
    const run = (basis: Irfft2dBasis) => (): void =>
      tf.tidy(() => {
        const { grads } = tf.variableGrads(() => tf.sum(tf.mul(basis.toImage(x), w)) as tf.Scalar, [x]);
        grads[x.name].dataSync();
      });
    const diff = tf.tidy(() => {
      const [a, c] = METHODS.map((m) => bases.get(m)!.toImage(x));
      return tf.max(tf.abs(tf.sub(a, c))).dataSync()[0] / tf.max(tf.abs(a)).dataSync()[0];
    });
    const times = new Map<string, number[]>(METHODS.map((m) => [m, []]));
    for (const m of METHODS) run(bases.get(m)!)();
    const before = tf.memory().numTensors;
    const reps = b * size * size > 2 ** 18 ? Math.max(3, Math.ceil(REPS / 3)) : REPS;
    for (let r = 0; r < reps; r++) {
      for (const m of METHODS) {
        const t0 = performance.now();
        run(bases.get(m)!)();
        times.get(m)!.push(performance.now() - t0);
      }
    }
    const growth = tf.memory().numTensors - before;
    const [mm, host] = METHODS.map((m) => median(times.get(m)!));
    console.log(`| ${b} | ${size} | ${mm.toFixed(1)} ms | ${host.toFixed(1)} ms | ${(mm / host).toFixed(2)} | ${diff.toExponential(1)} | ${growth} |`);
    bases.forEach((q) => q.dispose());
    tf.dispose([x, w]);
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});

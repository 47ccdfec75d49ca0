/**
 * Benchmark: the standard transforms' rotation on wasm, gather-based `bilinearSample` (used on cpu
 * and webgl) vs the host-side sampler `rotate` uses on wasm, forward + gradient, interleaved; also
 * the whole standard transforms. Run: `npx tsx bench/rotate.bench.ts [--reps 15] [--size 150] [--batch 1]`.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import '../src/ops/registerGradients';
import { bilinearSample } from '../src/ops/bilinearSample';
import { rotate, standardTransforms, compose } from '../src/transform/index';
import { installGradientFixes } from '../src/backends/index';
import { Rng } from '../src/ops/random';

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : dflt;
}
const REPS = Number(arg('reps', '15'));
const SIZE = Number(arg('size', '150'));
const BATCH = Number(arg('batch', '1'));

await tf.setBackend('wasm');
installGradientFixes('wasm');
const theta = (7 * Math.PI) / 180;
const [h, w] = [SIZE, SIZE];
const ys = new Float64Array(h * w);
const xs = new Float64Array(h * w);
for (let i = 0; i < h; i++) {
  for (let j = 0; j < w; j++) {
    const dy = i - (h - 1) / 2;
    const dx = j - (w - 1) / 2;
    ys[i * w + j] = (h - 1) / 2 + Math.sin(theta) * dx + Math.cos(theta) * dy;
    xs[i * w + j] = (w - 1) / 2 + Math.cos(theta) * dx - Math.sin(theta) * dy;
  }
}
const x = tf.randomUniform([BATCH, h, w, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
const standard = compose(standardTransforms());
const rng = new Rng(3);
const fwdBwd = (f: (v: tf.Tensor4D) => tf.Tensor): void => {
  const g = tf.tidy(() => tf.grad((v: tf.Tensor) => tf.sum(f(v as tf.Tensor4D)))(x));
  g.dataSync();
  g.dispose();
};
const cases: [string, () => void][] = [
  ['gather (bilinearSample)', () => fwdBwd((v) => bilinearSample(v, { height: h, width: w, ys, xs }, 0))],
  ['host (rotate on wasm)', () => fwdBwd((v) => rotate(v, theta, 0))],
  ['standard transforms (all five)', () => fwdBwd((v) => standard(v, rng))],
];
const times = new Map<string, number[]>(cases.map(([n]) => [n, []]));
for (const [, f] of cases) f();
const before = tf.memory().numTensors;
for (let r = 0; r < REPS; r++) {
  for (const [n, f] of cases) {
    const t0 = performance.now();
    f();
    times.get(n)?.push(performance.now() - t0);
  }
}
const med = (a: number[]): number => [...a].sort((p, q) => p - q)[Math.floor(a.length / 2)];
console.log(`wasm, [${BATCH}, ${h}, ${w}, 3], 7° rotation, forward + gradient, median of ${REPS} interleaved; numTensors growth ${tf.memory().numTensors - before}`);
for (const [n, t] of times) console.log(`| ${n} | ${med(t).toFixed(1)} ms |`);

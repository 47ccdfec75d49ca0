/**
 * Benchmark: the library's host-side passes on wasm, before (another checkout, `--baseline DIR`, e.g.
 * a `git archive` of an older commit with a `node_modules` link) vs now, interleaved, with the
 * ratio before ÷ now; every pair's results are compared bit for bit.
 *
 * - `MaxPoolGrad` host pass (`maxPoolBackpropOnHost`): the six max-pools of an InceptionV1 step to
 *   `mixed4a` at a ~140 px input, on ReLU-like inputs (half zeros), summed;
 * - `conv2d0`'s input gradient (`conv2dBackpropInputByMatMul`: matrix product + host col2im),
 *   `dy [1, 70, 70, 64]`, filter 7×7×3×64, stride 2, 'same';
 * - a stride-1 input gradient (`conv2dBackpropInputByConv`, 3×3, 128 → 192 channels at 18×18),
 *   whose flipped, transposed filter is cached on wasm now;
 * - the jitter crop (`jitter(8)` on `[1, 152, 152, 3]`), forward + gradient, with the stock wasm
 *   `Slice` kernel vs the installed fix (src/backends/sliceRuns.ts);
 * - the gradient of a concat (`tf.split` of `[1, 18, 18, 480]` into 4 channel groups), stock wasm
 *   `SplitV` vs the installed fix;
 * - `tf.clone` (the `Identity` kernel, run for every tensor the gradient tape saves) of the 25 largest
 *   tensors of a step's shapes: the stock wasm kernel (a copy) vs the installed fix (shared data).
 *
 * Run: `npx tsx bench/hostPasses.bench.ts --baseline /tmp/old [--reps 15]`.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { conv2dBackpropInputByConv, conv2dBackpropInputByMatMul, maxPoolBackpropOnHost } from '../src/backends/convGrads';
import { installGradientFixes } from '../src/backends/index';
import { jitter } from '../src/transform/index';
import { Rng } from '../src/ops/random';

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : dflt;
}
const REPS = Number(arg('reps', '15'));
const BASELINE = arg('baseline', '');

type ConvGrads = typeof import('../src/backends/convGrads');

async function main(): Promise<void> {
  if (BASELINE === '') {
    console.log('hostPasses: pass --baseline DIR (a checkout of the older commit with node_modules linked) to compare against.');
    return;
  }
  const imp = async <T>(rel: string): Promise<T> => (await import(pathToFileURL(path.resolve(BASELINE, rel)).href)) as T;
  const old = await imp<ConvGrads>('src/backends/convGrads.ts');
  await tf.setBackend('wasm');
  await tf.ready();
  const stock = { Identity: tf.getKernel('Identity', 'wasm'), Slice: tf.getKernel('Slice', 'wasm'), SplitV: tf.getKernel('SplitV', 'wasm') };
  installGradientFixes('wasm');
  const fixed = { Identity: tf.getKernel('Identity', 'wasm'), Slice: tf.getKernel('Slice', 'wasm'), SplitV: tf.getKernel('SplitV', 'wasm') };
  /** `f` with `kernel` registered for `name` on wasm. */
  const withKernel = (name: string, kernel: tf.KernelConfig | undefined, f: () => Float32Array[]) => (): Float32Array[] => {
    if (kernel === undefined) throw new Error(`no ${name} kernel`);
    tf.unregisterKernel(name, 'wasm');
    tf.registerKernel(kernel);
    return f();
  };

  const relu = (shape: number[], seed: number): tf.Tensor4D => tf.relu(tf.randomNormal(shape, 0, 1, 'float32', seed) as tf.Tensor) as tf.Tensor4D;
  // Max-pools of InceptionV1 to mixed4a at a 140 px input: maxpool0, maxpool1, mixed3a/3b pool
  // branches, maxpool4, mixed4a pool branch.
  const pools = ([[[1, 70, 70, 64], 2], [[1, 35, 35, 192], 2], [[1, 18, 18, 192], 1], [[1, 18, 18, 256], 1], [[1, 18, 18, 480], 2], [[1, 9, 9, 480], 1]] as [number[], number][]).map(
    ([shape, s], i) => {
      const x = relu(shape, 10 + i);
      const y = tf.maxPool(x, 3, s, 'same');
      const dy = tf.randomNormal(y.shape, 0, 1, 'float32', 20 + i) as tf.Tensor4D;
      y.dispose();
      return { x, dy, s };
    },
  );
  const poolAll = (f: ConvGrads['maxPoolBackpropOnHost']) => (): Float32Array[] =>
    pools.map(({ x, dy, s }) => {
      const d = f(dy, x, 3, s, 'same', undefined);
      const v = d.dataSync() as Float32Array;
      d.dispose();
      return v;
    });
  const dy0 = tf.randomNormal([1, 70, 70, 64], 0, 1, 'float32', 3) as tf.Tensor4D;
  const w0 = tf.randomNormal([7, 7, 3, 64], 0, 0.1, 'float32', 4) as tf.Tensor4D;
  const col2im = (f: ConvGrads['conv2dBackpropInputByMatMul']) => (): Float32Array[] => {
    const d = f(dy0, w0, [1, 140, 140, 3], 2, 'same');
    const v = d.dataSync() as Float32Array;
    d.dispose();
    return [v];
  };
  // A stride-1 3×3 input gradient (mixed3b's 3×3 branch): the filter flip + transpose, cached on wasm now.
  const dy1 = tf.randomNormal([1, 18, 18, 192], 0, 1, 'float32', 8) as tf.Tensor4D;
  const w1 = tf.randomNormal([3, 3, 128, 192], 0, 0.1, 'float32', 9) as tf.Tensor4D;
  const byConv = (f: ConvGrads['conv2dBackpropInputByConv']) => (): Float32Array[] => {
    const d = f(dy1, w1, [1, 18, 18, 128], 1, 'same');
    const v = d.dataSync() as Float32Array;
    d.dispose();
    return [v];
  };
  const img = tf.randomUniform([1, 152, 152, 3], 0, 1, 'float32', 5) as tf.Tensor4D;
  const weights = tf.randomNormal([1, 144, 144, 3], 0, 1, 'float32', 6);
  const crop = (): Float32Array[] => {
    const t = jitter(8);
    const rng = new Rng(7);
    const g = tf.tidy(() => tf.grad((v: tf.Tensor) => tf.sum(tf.mul(t(v as tf.Tensor4D, rng), weights)))(img));
    const v = g.dataSync() as Float32Array;
    g.dispose();
    return [v];
  };
  // The gradient of mixed3b's concat: [1, 18, 18, 480] split into its four branches' channels.
  const cat = tf.randomNormal([1, 18, 18, 480], 0, 1, 'float32', 11);
  const split = (): Float32Array[] => {
    const parts = tf.split(cat, [128, 192, 96, 64], 3);
    const v = parts.map((t) => t.dataSync() as Float32Array);
    tf.dispose(parts);
    return v;
  };
  // The 25 largest tensors a step saves for backward (activations of conv2d0..mixed4a).
  const cloneShapes: number[][] = [
    ...Array<number[]>(3).fill([1, 140, 140, 3]),
    ...Array<number[]>(4).fill([1, 70, 70, 64]),
    ...Array<number[]>(6).fill([1, 35, 35, 192]),
    ...Array<number[]>(6).fill([1, 18, 18, 256]),
    ...Array<number[]>(6).fill([1, 18, 18, 480]),
  ];
  const cloneInputs = cloneShapes.map((s, i) => tf.randomNormal(s, 0, 1, 'float32', 30 + i));
  const clones = (): Float32Array[] => {
    const outs = cloneInputs.map((x) => tf.clone(x));
    const last = outs[outs.length - 1].dataSync() as Float32Array;
    tf.dispose(outs);
    return [last];
  };

  const cases: [string, () => Float32Array[], () => Float32Array[]][] = [
    ['MaxPoolGrad host pass (6 pools of a step)', poolAll(old.maxPoolBackpropOnHost), poolAll(maxPoolBackpropOnHost)],
    ['conv2d0 input gradient (matMul + host col2im)', col2im(old.conv2dBackpropInputByMatMul), col2im(conv2dBackpropInputByMatMul)],
    ['3×3 stride-1 input gradient, [1, 18, 18, 192] → 128 channels (filter flip + transpose)', byConv(old.conv2dBackpropInputByConv), byConv(conv2dBackpropInputByConv)],
    ['jitter(8) crop, forward + gradient (Slice: stock → fix)', withKernel('Slice', stock.Slice, crop), withKernel('Slice', fixed.Slice, crop)],
    ['concat gradient: split [1, 18, 18, 480] into 4 (SplitV: stock → fix)', withKernel('SplitV', stock.SplitV, split), withKernel('SplitV', fixed.SplitV, split)],
    ['tf.clone ×25 (Identity: stock copy → fix, shared data)', withKernel('Identity', stock.Identity, clones), withKernel('Identity', fixed.Identity, clones)],
  ];
  const before = tf.memory().numTensors;
  const rows: string[] = [];
  for (const [name, a, b] of cases) {
    const ra = a();
    const rb = b();
    const same = ra.length === rb.length && ra.every((v, i) => v.length === rb[i].length && v.every((x, j) => Object.is(x, rb[i][j])));
    const ta: number[] = [];
    const tb: number[] = [];
    for (let r = 0; r < REPS; r++) {
      for (const [f, t] of (r % 2 === 0 ? [[a, ta], [b, tb]] : [[b, tb], [a, ta]]) as [() => Float32Array[], number[]][]) {
        const t0 = performance.now();
        f();
        t.push(performance.now() - t0);
      }
    }
    const med = (v: number[]): number => [...v].sort((p, q) => p - q)[Math.floor(v.length / 2)];
    const min = (v: number[]): number => Math.min(...v);
    rows.push(
      `| ${name} | ${med(ta).toFixed(2)} ms (min ${min(ta).toFixed(2)}) | ${med(tb).toFixed(2)} ms (min ${min(tb).toFixed(2)}) | ` +
        `**${(med(ta) / med(tb)).toFixed(2)}×** (min ${(min(ta) / min(tb)).toFixed(2)}×) | ${same ? 'yes' : 'NO'} |`,
    );
  }
  const growth = tf.memory().numTensors - before;
  // Leave the fixes registered, as installGradientFixes had them.
  for (const [name, k] of Object.entries(fixed)) {
    tf.unregisterKernel(name, 'wasm');
    if (k) tf.registerKernel(k);
  }
  tf.dispose([...pools.flatMap((p) => [p.x, p.dy]), dy0, w0, dy1, w1, img, cat, weights, ...cloneInputs]);
  console.log(`wasm, medians of ${REPS} interleaved runs each (order alternates); load average at end ${(await import('node:os')).loadavg()[0].toFixed(1)}; numTensors growth ${growth}`);
  console.log('| pass | before: median (min) | now: median (min) | before ÷ now: medians (mins) | bit-identical |');
  console.log('|---|---|---|---|---|');
  for (const r of rows) console.log(r);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});

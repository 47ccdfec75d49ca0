/**
 * The native convolution addon (native/src/optvis_native.cc) and its tfjs kernels on 'wasm'
 * (src/backends/nativeKernels.ts): values against float64 references, NaN/Infinity, thread
 * invariance, input gradients against the cpu backend, fallbacks to the stock kernels, the kernel
 * registry and state, option errors, the addon's own bounds checks, and leaks.
 *
 * The addon must be built (`npm run build:native`): without it this file fails, it does not skip.
 */
import * as tf from '@tensorflow/tfjs-core';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectNoLeak, useBackend } from '../helpers/tf';
import { nativeKernelsBuilt, nativeKernelsState, releaseNativeKernels, useNativeKernels } from '../../src/node';
import { installGradientFixes } from '../../src/backends/index';
import { OptvisError } from '../../src/errors';
import { Rng } from '../../src/ops/random';
import { conv2dRef, relErr, type RefPad } from './convReference';

const ADDON = fileURLToPath(new URL('../../native/build/Release/optvis_native.node', import.meta.url));
if (!existsSync(ADDON)) {
  throw new Error(`the native addon ${ADDON} does not exist: run \`npm run build:native\` (needs make and a C++ compiler) before these tests.`);
}

interface Addon {
  conv2d(heap: unknown, args: unknown): void;
  setThreads(n: unknown): void;
  info(): { threads: number; avx2: boolean; cores: number };
}
/** The addon itself (Node's require cache: the same module the kernels use). */
const addon = createRequire(import.meta.url)(ADDON) as Addon;

type S4 = [number, number, number, number];
type Act = 'linear' | 'relu' | 'relu6';

function rand(n: number, seed: number, lo = -1, hi = 1): Float32Array {
  const rng = new Rng(seed);
  return Float32Array.from({ length: n }, () => rng.uniform(lo, hi));
}
const size = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);

/** tfjs's pad argument for a reference padding. */
const tfPad = (pad: RefPad): 'same' | 'valid' | tf.backend_util.ExplicitPadding =>
  typeof pad === 'string' ? pad : [[0, 0], pad[0], pad[1], [0, 0]];

/** The wasm backend's data buffers (the engine's numTensors does not see kernel-internal outputs). */
const numDataIds = (): number => tf.engine().backend.numDataIds();

/**
 * Runs `f` with the `kernelFunc` of each config wrapped by a call counter (the engine reads
 * `kernelFunc` at each call), and restores them.
 */
function countCalls<T>(configs: readonly tf.KernelConfig[], f: () => T): [T, number[]] {
  const originals = configs.map((c) => c.kernelFunc);
  const counts = configs.map(() => 0);
  configs.forEach((c, i) => {
    c.kernelFunc = (args) => {
      counts[i]++;
      return originals[i](args);
    };
  });
  try {
    return [f(), counts];
  } finally {
    configs.forEach((c, i) => {
      c.kernelFunc = originals[i];
    });
  }
}

/**
 * The values of the tensor `f` makes, in a tidy scope (not returned from tf.tidy, which walks a
 * returned typed array element by element).
 */
function valuesOf(f: () => tf.Tensor): Float32Array {
  const y = tf.tidy(f);
  try {
    return y.dataSync() as Float32Array;
  } finally {
    y.dispose();
  }
}

/** Element-wise Object.is, with the first difference in the failure message. */
function expectBitIdentical(a: ArrayLike<number>, b: ArrayLike<number>, what: string): void {
  expect(a.length, what).toBe(b.length);
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) expect.fail(`${what}: element ${i}: ${a[i]} vs ${b[i]}`);
}

/** The stock kernels (registered by tfjs-backend-wasm), captured before any useNativeKernels. */
let stock: { conv: tf.KernelConfig; fused: tf.KernelConfig };

beforeAll(async () => {
  await useBackend('wasm');
  releaseNativeKernels();
  const conv = tf.getKernel('Conv2D', 'wasm');
  const fused = tf.getKernel('FusedConv2D', 'wasm');
  if (!conv || !fused) throw new Error('tfjs-backend-wasm registers no Conv2D / FusedConv2D kernel');
  stock = { conv, fused };
});
afterAll(() => releaseNativeKernels());

/** The native kernel configs now registered (after useNativeKernels). */
function nativeConfigs(): tf.KernelConfig[] {
  const c = tf.getKernel('Conv2D', 'wasm');
  const f = tf.getKernel('FusedConv2D', 'wasm');
  expect(c).not.toBe(stock.conv);
  expect(f).not.toBe(stock.fused);
  return [c as tf.KernelConfig, f as tf.KernelConfig];
}

// [name, x shape, filter shape, strides, pad, dilations]
const GEOMETRIES: [string, S4, S4, [number, number], RefPad, [number, number]][] = [
  ['1x1 direct, 35 rows, co 5', [1, 5, 7, 8], [1, 1, 8, 5], [1, 1], 'valid', [1, 1]],
  ['1x1 direct, batch 2, 40 rows, co 17', [2, 4, 5, 19], [1, 1, 19, 17], [1, 1], 'same', [1, 1]],
  ['1x1 direct, 63 rows, co 33', [1, 7, 9, 16], [1, 1, 16, 33], [1, 1], 'valid', [1, 1]],
  ['1x1 with explicit bottom/right padding (output larger than the input)', [1, 4, 5, 3], [1, 1, 3, 4], [1, 1], [[0, 1], [0, 2]], [1, 1]],
  ['1x1 stride 2', [1, 9, 8, 6], [1, 1, 6, 7], [2, 2], 'same', [1, 1]],
  ['3x3 same', [1, 9, 11, 6], [3, 3, 6, 20], [1, 1], 'same', [1, 1]],
  ['3x3 valid', [1, 9, 11, 6], [3, 3, 6, 20], [1, 1], 'valid', [1, 1]],
  ['5x5 same', [1, 12, 10, 4], [5, 5, 4, 9], [1, 1], 'same', [1, 1]],
  ['7x7 stride 2 same, 3 input channels', [1, 23, 21, 3], [7, 7, 3, 16], [2, 2], 'same', [1, 1]],
  ['3x3 strides [2, 1]', [1, 11, 10, 5], [3, 3, 5, 7], [2, 1], 'same', [1, 1]],
  ['3x2 strides [1, 2] valid', [1, 8, 11, 3], [3, 2, 3, 6], [1, 2], 'valid', [1, 1]],
  ['3x2 explicit padding', [1, 8, 9, 4], [3, 2, 4, 6], [1, 1], [[1, 2], [0, 3]], [1, 1]],
  ['3x3 dilation 2 same', [1, 10, 12, 3], [3, 3, 3, 8], [1, 1], 'same', [2, 2]],
  ['3x3 dilations [2, 1] valid', [1, 10, 9, 2], [3, 3, 2, 5], [1, 1], 'valid', [2, 1]],
  ['4x4 same (asymmetric padding)', [1, 9, 8, 3], [4, 4, 3, 5], [1, 1], 'same', [1, 1]],
  ['3x3 valid, batch 2, co 18', [2, 6, 7, 5], [3, 3, 5, 18], [1, 1], 'valid', [1, 1]],
  ['3x3 same, height 1', [1, 1, 13, 4], [3, 3, 4, 6], [1, 1], 'same', [1, 1]],
  ['3x1 valid, width 1, batch 3', [3, 9, 1, 2], [3, 1, 2, 7], [1, 1], 'valid', [1, 1]],
  ['1x1 input 1x1', [1, 1, 1, 7], [1, 1, 7, 3], [1, 1], 'valid', [1, 1]],
];

describe('native convolutions on wasm: heap growth', () => {
  // first in this file: the heap is still small (16 MB), the output stays small too
  it('an output larger than the wasm heap grows it (new buffer) and is computed in the new one', async () => {
    await useBackend('wasm');
    useNativeKernels({ threads: 2 });
    const wasm = (tf.backend() as unknown as { wasm: { HEAPU8: Uint8Array } }).wasm;
    const heapBefore = wasm.HEAPU8.buffer;
    // 1x1 convolution of a [1, 32, 32, 2] input to co channels: an output of more bytes than the heap has
    const co = Math.ceil(heapBefore.byteLength / 4 / 1024) + 16;
    expect(co, 'heap unexpectedly large for this test').toBeLessThan(20_000);
    const x = rand(32 * 32 * 2, 600);
    const w = rand(2 * co, 601);
    const [got, counts] = await expectNoLeak(() =>
      countCalls([...nativeConfigs(), stock.conv], () => valuesOf(() => tf.conv2d(tf.tensor4d(x, [1, 32, 32, 2]), tf.tensor4d(w, [1, 1, 2, co]), 1, 'valid'))),
    );
    expect(counts, '[native Conv2D, native FusedConv2D, stock Conv2D] calls').toEqual([1, 0, 0]);
    expect(wasm.HEAPU8.buffer, 'the heap grew').not.toBe(heapBefore);
    expect(wasm.HEAPU8.buffer.byteLength).toBeGreaterThan(heapBefore.byteLength);
    const ref = conv2dRef({ data: x, shape: [1, 32, 32, 2] }, { data: w, shape: [1, 1, 2, co] }, [1, 1], 'valid');
    expect(relErr(got, ref.data)).toBeLessThanOrEqual(1e-5);
  });
});

describe('native convolutions on wasm: values', () => {
  it.each(GEOMETRIES.map((g) => [g[0], g] as const))('%s: conv2d and fused conv2d (bias; linear, relu, relu6) within 1e-5 of float64', async (_, g) => {
    const [, xShape, wShape, strides, pad, dil] = g;
    await useBackend('wasm');
    useNativeKernels({ threads: 2 });
    const x = rand(size(xShape), 11 + size(xShape));
    const w = rand(size(wShape), 12 + size(wShape));
    const bias = rand(wShape[3], 13, -2, 2);
    const cases: [string, Act | undefined, number][] = [
      ['conv2d', undefined, 1],
      ['fused linear', 'linear', 1],
      ['fused relu', 'relu', 1],
      ['fused relu6', 'relu6', 8], // x scaled by 8: outputs above 6 too
    ];
    let clamped6 = 0;
    let clamped0 = 0;
    for (const [what, act, scale] of cases) {
      const xs = x.map((v) => v * scale);
      const ref = conv2dRef({ data: xs, shape: xShape }, { data: w, shape: wShape }, strides, pad, dil, act ? bias : undefined, act ?? 'linear');
      const [[got, shape], counts] = await expectNoLeak(() =>
        countCalls([...nativeConfigs(), stock.conv, stock.fused], () =>
          tf.tidy(() => {
            const xt = tf.tensor4d(xs, xShape);
            const wt = tf.tensor4d(w, wShape);
            const y = act
              ? tf.fused.conv2d({ x: xt, filter: wt, strides, pad: tfPad(pad), dilations: dil, bias: tf.tensor1d(bias), activation: act })
              : tf.conv2d(xt, wt, strides, tfPad(pad), 'NHWC', dil);
            return [y.dataSync() as Float32Array, y.shape] as const;
          }),
        ),
      );
      const k = act ? 1 : 0; // [native Conv2D, native FusedConv2D, stock Conv2D, stock FusedConv2D]
      expect(counts[k], `${what}: native kernel called`).toBe(1);
      expect(counts[k + 2], `${what}: no fallback to the stock kernel`).toBe(0);
      expect(shape, what).toEqual(ref.shape);
      expect(ref.data.some((v) => v !== 0), `${what}: reference not all zero`).toBe(true);
      expect(relErr(got, ref.data), what).toBeLessThanOrEqual(1e-5);
      if (act === 'relu6') clamped6 += ref.data.filter((v) => v === 6).length;
      if (act === 'relu' || act === 'relu6') clamped0 += ref.data.filter((v) => v === 0).length;
    }
    expect(clamped0, 'some outputs clamped at 0').toBeGreaterThan(0);
    if (size(xShape) * wShape[0] * wShape[1] > 64) expect(clamped6, 'some outputs clamped at 6').toBeGreaterThan(0);
  });

  it('NaN and ±Infinity in the input propagate as on the cpu backend (Object.is at non-finite positions; linear also as stock wasm)', async () => {
    // `rate`: the share of NaN, +Infinity and -Infinity each (a window sees ~kh·kw·ci inputs)
    const specials = (n: number, seed: number, rate: number): Float32Array => {
      const rng = new Rng(seed);
      return Float32Array.from({ length: n }, () => {
        const r = rng.uniform();
        return r < rate ? NaN : r < 2 * rate ? Infinity : r < 3 * rate ? -Infinity : rng.uniform(-2, 2);
      });
    };
    const geoms: [S4, S4, number, RefPad, number][] = [
      [[1, 9, 10, 5], [1, 1, 5, 19], 1, 'valid', 0.02], // direct path
      [[2, 8, 9, 4], [3, 3, 4, 7], 1, 'same', 0.005],
      [[1, 11, 10, 3], [5, 5, 3, 6], 2, 'same', 0.002],
    ];
    let nonFinite = 0;
    let nanCount = 0;
    for (const [i, [xShape, wShape, s, pad, rate]] of geoms.entries()) {
      const x = specials(size(xShape), 40 + i, rate);
      const w = rand(size(wShape), 50 + i);
      const bias = rand(wShape[3], 60 + i);
      for (const act of ['conv2d', 'linear', 'relu', 'relu6'] as const) {
        const run = (): Float32Array =>
          tf.tidy(() => {
            const xt = tf.tensor4d(x, xShape);
            const wt = tf.tensor4d(w, wShape);
            const y =
              act === 'conv2d'
                ? tf.conv2d(xt, wt, s, tfPad(pad))
                : tf.fused.conv2d({ x: xt, filter: wt, strides: s, pad: tfPad(pad), bias: tf.tensor1d(bias), activation: act });
            return y.dataSync() as Float32Array;
          });
        await useBackend('cpu');
        const cpu = await expectNoLeak(run);
        await useBackend('wasm');
        releaseNativeKernels();
        const stockWasm = await expectNoLeak(run);
        useNativeKernels({ threads: 2 });
        const native = await expectNoLeak(run);
        const what = `geometry ${i}, ${act}`;
        const finite: number[] = [];
        for (let j = 0; j < cpu.length; j++) {
          if (Number.isFinite(cpu[j]) && Number.isFinite(native[j])) {
            finite.push(j);
            continue;
          }
          nonFinite++;
          if (Number.isNaN(cpu[j])) nanCount++;
          if (!Object.is(native[j], cpu[j])) expect.fail(`${what}: element ${j}: native ${native[j]} vs cpu ${cpu[j]}`);
          // stock wasm's fused relu/relu6 turn NaN into 0 on some XNNPACK paths and not on others
          if ((act === 'conv2d' || act === 'linear') && !Object.is(native[j], stockWasm[j])) expect.fail(`${what}: element ${j}: native ${native[j]} vs stock wasm ${stockWasm[j]}`);
        }
        expect(finite.length, what).toBeGreaterThan(0);
        expect(relErr(finite.map((j) => native[j]), finite.map((j) => cpu[j])), what).toBeLessThanOrEqual(1e-5);
      }
    }
    expect(nanCount, 'some NaN outputs').toBeGreaterThan(0);
    expect(nonFinite - nanCount, 'some ±Infinity outputs').toBeGreaterThan(0);
  });
});

describe('native convolutions on wasm: threads', () => {
  it('give bit-identical results on 1 and 2 threads (convolutions large enough to be split)', async () => {
    await useBackend('wasm');
    // [x, filter, strides, pad, activation]: each ≥ 2^22 multiply-adds (the addon's threshold for threads)
    const cases: [S4, S4, number, 'same' | 'valid', Act | undefined][] = [
      [[1, 31, 29, 20], [3, 3, 20, 40], 1, 'same', undefined], // 899 rows: not a multiple of 6
      [[2, 31, 33, 64], [1, 1, 64, 37], 1, 'valid', 'relu'], // direct path
      [[1, 47, 45, 3], [7, 7, 3, 64], 2, 'same', 'relu6'],
    ];
    for (const [i, [xShape, wShape, s, pad, act]] of cases.entries()) {
      const x = rand(size(xShape), 70 + i, -2, 2);
      const w = rand(size(wShape), 80 + i);
      const bias = rand(wShape[3], 90 + i);
      const run = (): Float32Array =>
        valuesOf(() => {
          const xt = tf.tensor4d(x, xShape);
          const wt = tf.tensor4d(w, wShape);
          return act ? tf.fused.conv2d({ x: xt, filter: wt, strides: s, pad, bias: tf.tensor1d(bias), activation: act }) : tf.conv2d(xt, wt, s, pad);
        });
      expect(useNativeKernels({ threads: 1 }).threads).toBe(1);
      const one = await expectNoLeak(run);
      expect(useNativeKernels({ threads: 2 }).threads).toBe(2);
      const two = await expectNoLeak(run);
      const again = await expectNoLeak(run);
      expect(one.some((v) => v !== 0), `case ${i}: not all zero`).toBe(true);
      expectBitIdentical(two, one, `case ${i}: 2 threads vs 1`);
      expectBitIdentical(again, two, `case ${i}: repeated on 2 threads`);
    }
  });
});

describe('native convolutions: concurrent callers', () => {
  it('JavaScript worker threads each load the addon and convolve at the same time (own thread counts), bit-identical to the main thread', async () => {
    // x [1, 40, 40, 16] ⊛ [3, 3, 16, 32] 'valid' + bias, relu: 1444 rows · 144 · 32 ≈ 6.7 M multiply-adds
    const X = 0, F = 25_600, B = F + 4608, OUT = B + 32, OS = 38 * 38 * 32;
    const heap = new Float32Array(OUT + OS);
    heap.set(rand(25_600, 500, -2, 2), X);
    heap.set(rand(4608, 501), F);
    heap.set(rand(32, 502), B);
    const args = [X, 1, 40, 40, 16, F, 3, 3, 32, B, OUT, 38, 38, 1, 1, 0, 0, 1, 1, 1];
    const { Worker } = await import('node:worker_threads');
    const code = `
      const { parentPort, workerData } = require('node:worker_threads');
      const addon = require(workerData.addon);
      addon.setThreads(workerData.threads);
      const heap = new Float32Array(workerData.heap);
      for (let i = 0; i < 3; i++) addon.conv2d(heap, new Int32Array(workerData.args));
      parentPort.postMessage({ out: heap.slice(${OUT}), threads: addon.info().threads });`;
    const inWorker = (threads: number): Promise<{ out: Float32Array; threads: number }> =>
      new Promise((resolve, reject) => {
        const w = new Worker(code, { eval: true, workerData: { addon: ADDON, threads, heap, args } });
        w.once('message', resolve);
        w.once('error', reject);
        w.once('exit', (c) => c !== 0 && reject(new Error(`worker exited with ${c}`)));
      });
    addon.setThreads(3); // no worker uses 3
    const workers = Promise.all([inWorker(2), inWorker(1), inWorker(2)]);
    const mainHeap = heap.slice();
    addon.conv2d(mainHeap, new Int32Array(args));
    const got = await workers;
    const ref = conv2dRef({ data: heap.subarray(X, F), shape: [1, 40, 40, 16] }, { data: heap.subarray(F, B), shape: [3, 3, 16, 32] }, [1, 1], 'valid', [1, 1], heap.subarray(B, OUT), 'relu');
    expect(relErr(mainHeap.subarray(OUT), ref.data)).toBeLessThanOrEqual(1e-5);
    expect(got.map((g) => g.threads)).toEqual([2, 1, 2]);
    for (const [i, g] of got.entries()) expectBitIdentical(g.out, mainHeap.subarray(OUT), `worker ${i}`);
    expect(addon.info().threads, "the workers' setThreads did not change the main thread's").toBe(3);
  });
});

describe('native convolutions on wasm: input gradients', () => {
  it('tf.grad of conv2d → relu → conv2d (and of a fused conv with bias → relu → conv2d) matches the cpu backend to 1e-4', async () => {
    const xShape: S4 = [2, 10, 11, 3];
    const w1Shape: S4 = [3, 3, 3, 16];
    const w2Shape: S4 = [3, 3, 16, 5];
    const x = rand(size(xShape), 101);
    const w1 = rand(size(w1Shape), 102);
    const w2 = rand(size(w2Shape), 103);
    const b1 = rand(16, 104, -0.3, 0.3);
    const r = rand(2 * 10 * 11 * 5, 105);
    const grad = (fused: boolean): Float32Array =>
      tf.tidy(() => {
        const k1 = tf.tensor4d(w1, w1Shape);
        const k2 = tf.tensor4d(w2, w2Shape);
        const rt = tf.tensor4d(r, [2, 10, 11, 5]);
        const bt = tf.tensor1d(b1);
        const net = (v: tf.Tensor): tf.Scalar => {
          // (tfjs unfuses a fused conv with an activation under tf.grad: linear keeps FusedConv2D)
          const h = tf.relu(
            fused ? tf.fused.conv2d({ x: v as tf.Tensor4D, filter: k1, strides: 1, pad: 'same', bias: bt, activation: 'linear' }) : tf.conv2d(v as tf.Tensor4D, k1, 1, 'same'),
          );
          return tf.sum(tf.mul(tf.conv2d(h, k2, 1, 'same'), rt));
        };
        return tf.grad(net)(tf.tensor4d(x, xShape)).dataSync() as Float32Array;
      });
    for (const fused of [false, true]) {
      await useBackend('cpu');
      const cpu = await expectNoLeak(() => grad(fused));
      await useBackend('wasm');
      installGradientFixes('wasm');
      useNativeKernels({ threads: 2 });
      const [wasm, counts] = await expectNoLeak(() => countCalls([...nativeConfigs(), stock.conv, stock.fused], () => grad(fused)));
      // forward convolutions, and the input gradients that the gradient fixes compute as forward convolutions
      expect(counts[0], `fused ${fused}: native Conv2D calls`).toBeGreaterThanOrEqual(3);
      expect(counts[1], `fused ${fused}: native FusedConv2D calls`).toBe(fused ? 1 : 0);
      expect([counts[2], counts[3]], `fused ${fused}: stock kernels`).toEqual([0, 0]);
      expect(cpu.some((v) => v !== 0)).toBe(true);
      expect(relErr(wasm, cpu), `fused ${fused}`).toBeLessThanOrEqual(1e-4);
    }
  });
});

describe('native convolutions on wasm: fallbacks to the kernels registered before', () => {
  type Outcome = { values: number[]; dtype: string; shape: number[] } | { error: string };
  const outcome = (f: () => tf.Tensor): Outcome => {
    try {
      return tf.tidy(() => {
        const y = f();
        return { values: Array.from(y.dataSync()), dtype: y.dtype, shape: y.shape };
      });
    } catch (e) {
      return { error: String((e as Error).message) };
    }
  };
  const xs = rand(2 * 5 * 6 * 3, 200);
  const ws = rand(3 * 3 * 3 * 4, 201);
  const x = (): tf.Tensor4D => tf.tensor4d(xs, [2, 5, 6, 3]);
  const w = (): tf.Tensor4D => tf.tensor4d(ws, [3, 3, 3, 4]);
  const bias = (): tf.Tensor1D => tf.tensor1d([0.1, -0.2, 0.3, -0.4]);
  const CASES: [string, 'conv' | 'fused', () => tf.Tensor][] = [
    ['fused elu', 'fused', () => tf.fused.conv2d({ x: x(), filter: w(), strides: 1, pad: 'same', bias: bias(), activation: 'elu' })],
    ['fused leakyrelu', 'fused', () => tf.fused.conv2d({ x: x(), filter: w(), strides: 1, pad: 'same', bias: bias(), activation: 'leakyrelu', leakyreluAlpha: 0.3 })],
    ['fused sigmoid', 'fused', () => tf.fused.conv2d({ x: x(), filter: w(), strides: 2, pad: 'valid', activation: 'sigmoid' })],
    ['fused prelu', 'fused', () => tf.fused.conv2d({ x: x(), filter: w(), strides: 1, pad: 'same', activation: 'prelu', preluActivationWeights: tf.tensor1d([0.1, 0.2, 0.3, 0.4]) })],
    ['fused relu, bias of 1 value (broadcast)', 'fused', () => tf.fused.conv2d({ x: x(), filter: w(), strides: 1, pad: 'same', bias: tf.tensor1d([0.5]), activation: 'relu' })],
    ['int32 input and filter (runKernel: the op refuses int32)', 'conv', () =>
      tf.engine().runKernel('Conv2D', { x: tf.tensor4d([1, 2, 3, 4, 5, 6], [1, 2, 3, 1], 'int32'), filter: tf.tensor4d([2, -1], [1, 2, 1, 1], 'int32') }, {
        strides: 1, pad: 'same', dataFormat: 'NHWC', dilations: 1,
      }) as tf.Tensor],
    ['empty batch', 'conv', () => tf.conv2d(tf.zeros([0, 5, 6, 3]) as tf.Tensor4D, w(), 1, 'same')],
    ['NCHW conv2d (stock wasm refuses it too)', 'conv', () => tf.conv2d(tf.tensor4d(xs, [2, 3, 5, 6]), w(), 1, 'same', 'NCHW')],
  ];

  it.each(CASES.map((c) => [c[0], c] as const))('%s: same outcome as stock, through the stock kernel, no leak', async (_, [, kind, f]) => {
    await useBackend('wasm');
    releaseNativeKernels();
    const before = numDataIds();
    const expected = await expectNoLeak(() => outcome(f));
    useNativeKernels({ threads: 2 });
    const target = kind === 'conv' ? 0 : 1;
    const [got, counts] = await expectNoLeak(() => countCalls([...nativeConfigs(), stock.conv, stock.fused], () => outcome(f)));
    expect(counts[target], 'native kernel entered').toBe(1);
    expect(counts[target + 2], 'stock kernel ran').toBe(1);
    if ('values' in expected && 'values' in got) {
      expect(got.shape).toEqual(expected.shape);
      expect(got.dtype).toBe(expected.dtype);
      expectBitIdentical(got.values, expected.values, 'native-installed vs stock');
    } else {
      expect(got).toEqual(expected);
    }
    expect(numDataIds(), 'wasm data buffers').toBe(before);
  });
});

describe('native convolutions: state and kernel registry', () => {
  it('use/release swap the Conv2D and FusedConv2D kernels, restore the exact configs, are idempotent, report their state', async () => {
    await useBackend('wasm');
    releaseNativeKernels();
    expect(nativeKernelsState()).toEqual({ active: false, threads: 0, avx2: false });
    expect(nativeKernelsBuilt()).toBe(true);
    const registry = (): Map<string, tf.KernelConfig> => new Map(tf.getKernelsForBackend('wasm').map((k) => [k.kernelName, k]));
    const before = registry();
    const dataIds = numDataIds();
    const s1 = useNativeKernels({ threads: 1 });
    const cpuinfo = existsSync('/proc/cpuinfo') ? readFileSync('/proc/cpuinfo', 'utf8') : '';
    const avx2 = /\bavx2\b/.test(cpuinfo) && /\bfma\b/.test(cpuinfo);
    expect(s1).toEqual({ active: true, threads: 1, avx2: addon.info().avx2, addonPath: ADDON });
    if (process.arch === 'x64') expect(s1.avx2, 'AVX2/FMA micro-kernels iff /proc/cpuinfo has avx2 and fma').toBe(avx2);
    expect(nativeKernelsState()).toEqual(s1);
    const [c1, f1] = nativeConfigs();
    expect(c1.backendName).toBe('wasm');
    expect(numDataIds(), 'the shared-heap probe is freed').toBe(dataIds);
    // a second call only sets threads
    const s2 = useNativeKernels({ threads: 2 });
    expect(s2).toEqual({ ...s1, threads: 2 });
    expect(tf.getKernel('Conv2D', 'wasm')).toBe(c1);
    expect(tf.getKernel('FusedConv2D', 'wasm')).toBe(f1);
    const sDefault = useNativeKernels();
    expect(sDefault.threads).toBe(os.availableParallelism());
    expect(useNativeKernels({}).threads).toBe(os.availableParallelism());
    // the state is a copy
    (sDefault as { threads: number }).threads = 99;
    expect(nativeKernelsState().threads).toBe(os.availableParallelism());
    releaseNativeKernels();
    expect(tf.getKernel('Conv2D', 'wasm')).toBe(stock.conv);
    expect(tf.getKernel('FusedConv2D', 'wasm')).toBe(stock.fused);
    // every wasm kernel is the config registered before (whatever else useNativeKernels replaces)
    const after = registry();
    expect([...after.keys()].sort()).toEqual([...before.keys()].sort());
    for (const [name, config] of before) expect(after.get(name), name).toBe(config);
    expect(nativeKernelsState()).toEqual({ active: false, threads: 0, avx2: false });
    releaseNativeKernels();
    expect(tf.getKernel('Conv2D', 'wasm')).toBe(stock.conv);
    expect(tf.getKernel('FusedConv2D', 'wasm')).toBe(stock.fused);
    // again after a release: new native configs, released to the same stock ones
    expect(useNativeKernels({ threads: 1 }).active).toBe(true);
    expect(tf.getKernel('Conv2D', 'wasm')).not.toBe(stock.conv);
    releaseNativeKernels();
    expect(tf.getKernel('Conv2D', 'wasm')).toBe(stock.conv);
    expect(numDataIds()).toBe(dataIds);
  });
});

describe('native convolutions: a package without a working addon', () => {
  it('useNativeKernels says to run `npm run build:native` when the addon is missing, and names the file when it does not load; nativeKernelsBuilt (child process on a temp copy)', () => {
    const root = fileURLToPath(new URL('../..', import.meta.url));
    const dir = mkdtempSync(path.join(os.tmpdir(), 'optvis-native-'));
    try {
      // the module and what it imports, in a package folder with native/binding.gyp and no build
      for (const f of ['errors.ts', 'validate.ts', 'ops/random.ts', 'backends/sliceRuns.ts', 'backends/nativeKernels.ts']) {
        mkdirSync(path.dirname(path.join(dir, 'src', f)), { recursive: true });
        copyFileSync(path.join(root, 'src', f), path.join(dir, 'src', f));
      }
      mkdirSync(path.join(dir, 'native'));
      writeFileSync(path.join(dir, 'native', 'binding.gyp'), '{}');
      writeFileSync(path.join(dir, 'package.json'), '{"type":"module"}');
      symlinkSync(path.join(root, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
      writeFileSync(
        path.join(dir, 'child.ts'),
        [
          "import { mkdirSync, writeFileSync } from 'node:fs';",
          "import { useNativeKernels, nativeKernelsBuilt, nativeKernelsState } from './src/backends/nativeKernels.ts';",
          'const messages: string[] = [];',
          'const built = [nativeKernelsBuilt()];',
          'const attempt = () => { try { useNativeKernels({ threads: 1 }); messages.push("no error"); } catch (e) { messages.push(`${(e as Error).name}: ${(e as Error).message}`); } };',
          'attempt();',
          "mkdirSync('native/build/Release', { recursive: true });",
          "writeFileSync('native/build/Release/optvis_native.node', 'not a shared object');",
          'built.push(nativeKernelsBuilt());',
          'attempt();',
          'console.log(JSON.stringify({ messages, built, state: nativeKernelsState() }));',
        ].join('\n'),
      );
      const child = spawnSync(process.execPath, ['--import', 'tsx', 'child.ts'], { cwd: dir, encoding: 'utf8', timeout: 60_000 });
      expect(child.status, child.stderr.slice(-2000)).toBe(0);
      const got = JSON.parse(child.stdout.trim().split('\n').pop() as string) as { messages: string[]; built: boolean[]; state: unknown };
      expect(got.built, 'nativeKernelsBuilt: no file, then a file (that does not load)').toEqual([false, true]);
      expect(got.messages[0]).toMatch(
        /^OptvisError: Error in useNativeKernels: the native addon must be built, but native\/build\/Release\/optvis_native\.node does not exist in the tfjs-optvis package; run `npm run build:native`/,
      );
      expect(got.messages[1]).toMatch(/^OptvisError: Error in useNativeKernels: the native addon ".*optvis_native\.node" must load, but it failed: .*; rebuild it with `npm run build:native`\.$/);
      expect(got.state).toEqual({ active: false, threads: 0, avx2: false });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('native convolutions: wasm on a shared heap', () => {
  it('useNativeKernels refuses the threaded wasm backend (useWasmThreads) and changes nothing (child process)', () => {
    const child = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./nativeKernelsChild.ts', import.meta.url))], {
      cwd: fileURLToPath(new URL('../..', import.meta.url)),
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(child.status, child.stderr.slice(-2000)).toBe(0);
    const got = JSON.parse(child.stdout.trim().split('\n').pop() as string) as Record<string, unknown>;
    expect(got).toEqual({
      threads: { threads: 2 },
      sharedMemory: true,
      error: {
        name: 'OptvisError',
        fn: 'useNativeKernels',
        message: expect.stringMatching(/^Error in useNativeKernels: the wasm backend must run on its own heap, but it runs threaded on a shared one \(useWasmThreads\);/),
      },
      state: { active: false, threads: 0, avx2: false },
      kernelsUnchanged: true,
      tensorGrowth: 0,
      bufferGrowth: 0,
    });
  });
});

describe('native convolutions: wasm on a shared heap started after useNativeKernels', () => {
  it("the kernels fall back to the ones registered before when the heap is shared (child process)", () => {
    const child = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./nativeKernelsChild.ts', import.meta.url)), '--native-first'], {
      cwd: fileURLToPath(new URL('../..', import.meta.url)),
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(child.status, child.stderr.slice(-2000)).toBe(0);
    const got = JSON.parse(child.stdout.trim().split('\n').pop() as string) as Record<string, unknown>;
    expect(got).toEqual({ threads: { threads: 2 }, state: true, calls: { conv: 1, matMul: 1 }, finite: true, tensorGrowth: 0 });
  });
});

/** float64 reference of `a · b` per batch entry (b broadcast when it has one), with transposes. */
function matMulRef(a: Float32Array, sa: readonly number[], b: Float32Array, sb: readonly number[], ta: boolean, tb: boolean): Float64Array {
  const ra = sa.length;
  const rb = sb.length;
  const [m, k] = ta ? [sa[ra - 1], sa[ra - 2]] : [sa[ra - 2], sa[ra - 1]];
  const n = tb ? sb[rb - 2] : sb[rb - 1];
  const batch = size(sa.slice(0, -2));
  const bBatch = size(sb.slice(0, -2));
  const out = new Float64Array(batch * m * n);
  for (let i = 0; i < batch; i++) {
    const ao = i * m * k;
    const bo = (bBatch === 1 ? 0 : i) * k * n;
    for (let r = 0; r < m; r++)
      for (let c = 0; c < n; c++) {
        let acc = 0;
        for (let j = 0; j < k; j++) acc += a[ao + (ta ? j * m + r : r * k + j)] * b[bo + (tb ? c * k + j : j * n + c)];
        out[(i * m + r) * n + c] = acc;
      }
  }
  return out;
}

describe('native matrix products on wasm (BatchMatMul)', () => {
  // [a shape, b shape, transposeA, transposeB]
  const CASES: [number[], number[], boolean, boolean][] = [
    [[5, 7], [7, 3], false, false],
    [[2, 13, 7], [2, 7, 17], false, false],
    [[2, 5, 7], [2, 3, 7], false, true],
    [[3, 7, 5], [7, 19], true, false],
    [[2, 3, 7, 5], [2, 3, 19, 7], true, true],
    [[3, 4, 33], [1, 33, 16], false, false], // b broadcast over the batch
    [[1, 4096, 64], [147, 64], false, true], // conv2d0's input-gradient patches (split over threads)
  ];
  it.each(CASES.map((c) => [JSON.stringify(c), c] as const))('%s within 1e-5 of float64, on the native kernel, bit-identical on 1 and 2 threads', async (_, c) => {
    const [sa, sb, ta, tb] = c;
    await useBackend('wasm');
    const a = rand(size(sa), 500 + size(sa));
    const b = rand(size(sb), 501 + size(sb));
    const ref = matMulRef(a, sa, b, sb, ta, tb);
    const stockMatMul = tf.getKernel('BatchMatMul', 'wasm') as tf.KernelConfig;
    const run = (threads: number): [Float32Array, number[]] => {
      useNativeKernels({ threads });
      const native = tf.getKernel('BatchMatMul', 'wasm') as tf.KernelConfig;
      expect(native).not.toBe(stockMatMul);
      return countCalls([native, stockMatMul], () => valuesOf(() => tf.matMul(tf.tensor(a, sa), tf.tensor(b, sb), ta, tb)));
    };
    const [one, counts] = await expectNoLeak(() => run(1));
    const [two] = await expectNoLeak(() => run(2));
    releaseNativeKernels();
    expect(counts, '[native, stock] calls').toEqual([1, 0]);
    expect(relErr(one, ref)).toBeLessThanOrEqual(1e-5);
    expectBitIdentical(one, two, 'BatchMatMul on 1 and 2 threads');
  });

  it('a rank-2 a against a [1, k, n] b (the output gains a batch dimension) runs the stock kernel, same shape and values', async () => {
    await useBackend('wasm');
    const a = rand(2 * 3, 520);
    const b = rand(3 * 5, 521);
    const product = (): [Float32Array, number[]] => tf.tidy(() => {
      const y = tf.matMul(tf.tensor(a, [2, 3]), tf.tensor(b, [1, 3, 5]));
      return [Float32Array.from(y.dataSync()), y.shape];
    });
    const [stockValues, stockShape] = product();
    useNativeKernels({ threads: 2 });
    const [values, shape] = await expectNoLeak(product);
    releaseNativeKernels();
    expect(stockShape).toEqual([1, 2, 5]);
    expect(shape).toEqual(stockShape);
    expectBitIdentical(values, stockValues, 'fallback');
  });

  it('a batch of b against a single a (not a broadcast the addon does) runs the stock kernel, same values', async () => {
    await useBackend('wasm');
    const a = rand(2 * 3, 510);
    const b = rand(4 * 3 * 5, 511);
    const stockValues = valuesOf(() => tf.matMul(tf.tensor(a, [1, 2, 3]), tf.tensor(b, [4, 3, 5])));
    useNativeKernels({ threads: 2 });
    const native = tf.getKernel('BatchMatMul', 'wasm') as tf.KernelConfig;
    const stockMatMul = [...(tf.getKernelsForBackend('wasm') as tf.KernelConfig[])].find((k) => k.kernelName === 'BatchMatMul');
    expect(stockMatMul).toBe(native);
    const [got] = await expectNoLeak(() => countCalls([native], () => valuesOf(() => tf.matMul(tf.tensor(a, [1, 2, 3]), tf.tensor(b, [4, 3, 5])))));
    releaseNativeKernels();
    expectBitIdentical(got, stockValues, 'fallback');
    expect(got.length).toBe(4 * 2 * 5);
  });
});

describe('native convolutions: errors', () => {
  const BAD: [string, unknown, RegExp][] = [
    ['threads 0', { threads: 0 }, /^Error in useNativeKernels: threads must be an integer from 1 to 256, but got 0\.$/],
    ['threads 1.5', { threads: 1.5 }, /^Error in useNativeKernels: threads must be an integer from 1 to 256, but got 1\.5\.$/],
    ['threads "x"', { threads: 'x' }, /^Error in useNativeKernels: threads must be an integer from 1 to 256, but got "x"\.$/],
    ['threads 257', { threads: 257 }, /^Error in useNativeKernels: threads must be an integer from 1 to 256, but got 257\.$/],
    ['threads NaN', { threads: NaN }, /^Error in useNativeKernels: threads must be an integer from 1 to 256, but got NaN\.$/],
    ['unknown option', { foo: 1 }, /^Error in useNativeKernels: options must only have known keys, but got unknown option "foo" \(allowed: "threads"\)\.$/],
    ['misspelt option', { thread: 2 }, /^Error in useNativeKernels: options must only have known keys, but got unknown option "thread" \(allowed: "threads"; did you mean "threads"\?\)\.$/],
    ['options null', null, /^Error in useNativeKernels: options must be an object, but got null\.$/],
  ];

  it.each(BAD)('useNativeKernels with %s: OptvisError naming the value, nothing changed (inactive and active)', async (_, options, re) => {
    await useBackend('wasm');
    const use = useNativeKernels as (o: unknown) => unknown;
    for (const active of [false, true]) {
      releaseNativeKernels();
      if (active) useNativeKernels({ threads: 1 });
      const state = nativeKernelsState();
      const conv = tf.getKernel('Conv2D', 'wasm');
      const fused = tf.getKernel('FusedConv2D', 'wasm');
      await expectNoLeak(() => {
        let error: unknown;
        try {
          use(options);
        } catch (e) {
          error = e;
        }
        expect(error).toBeInstanceOf(OptvisError);
        expect((error as OptvisError).fn).toBe('useNativeKernels');
        expect((error as Error).message).toMatch(re);
      });
      expect(nativeKernelsState()).toEqual(state);
      expect(tf.getKernel('Conv2D', 'wasm')).toBe(conv);
      expect(tf.getKernel('FusedConv2D', 'wasm')).toBe(fused);
    }
    releaseNativeKernels();
  });

  describe('the addon called directly: bounds and argument checks', () => {
    // A 1x3x3x2 input, 2x2x2x3 filter, 3 biases, 'valid' output 1x2x2x3, laid out in a 128-element view.
    const X = 0, F = 20, B = 50, OUT = 60;
    const valid = (): Int32Array => new Int32Array([X, 1, 3, 3, 2, F, 2, 2, 3, B, OUT, 2, 2, 1, 1, 0, 0, 1, 1, 0]);
    const heapOf = (): Float32Array => rand(128, 300);

    it('computes the convolution in place for valid arguments (reference check of the layout)', () => {
      const heap = heapOf();
      const before = heap.slice();
      addon.conv2d(heap, valid());
      const ref = conv2dRef({ data: before.subarray(X, X + 18), shape: [1, 3, 3, 2] }, { data: before.subarray(F, F + 24), shape: [2, 2, 2, 3] }, [1, 1], 'valid', [1, 1], before.subarray(B, B + 3));
      expect(relErr(heap.subarray(OUT, OUT + 12), ref.data)).toBeLessThanOrEqual(1e-6);
      // nothing else written
      expectBitIdentical(heap.subarray(0, OUT), before.subarray(0, OUT), 'below the output');
      expectBitIdentical(heap.subarray(OUT + 12), before.subarray(OUT + 12), 'above the output');
    });

    const BAD_ARGS: [string, (heap: Float32Array) => unknown[], RegExp][] = [
      ['input offset outside the heap', (h) => [h, Object.assign(valid(), { 0: 120 })], /outside the heap/],
      ['negative input offset', (h) => [h, Object.assign(valid(), { 0: -1 })], /outside the heap/],
      ['filter past the end', (h) => [h, Object.assign(valid(), { 5: 110 })], /outside the heap/],
      ['bias offset outside', (h) => [h, Object.assign(valid(), { 9: 127 })], /outside the heap/],
      ['bias offset -2', (h) => [h, Object.assign(valid(), { 9: -2 })], /outside the heap/],
      ['output past the end', (h) => [h, Object.assign(valid(), { 10: 117 })], /outside the heap/],
      ['output larger than the view', (h) => [h, Object.assign(valid(), { 11: 40 })], /outside the heap/],
      ['negative batch', (h) => [h, Object.assign(valid(), { 1: -1 })], /must be positive/],
      ['zero channels', (h) => [h, Object.assign(valid(), { 4: 0 })], /must be positive/],
      ['negative output channels', (h) => [h, Object.assign(valid(), { 8: -3 })], /must be positive/],
      ['zero stride', (h) => [h, Object.assign(valid(), { 13: 0 })], /must be positive/],
      ['negative dilation', (h) => [h, Object.assign(valid(), { 18: -1 })], /must be positive/],
      ['activation 3', (h) => [h, Object.assign(valid(), { 19: 3 })], /unknown activation/],
      ['activation -1', (h) => [h, Object.assign(valid(), { 19: -1 })], /unknown activation/],
      ['output overlapping the input', (h) => [h, Object.assign(valid(), { 10: 10 })], /overlaps/],
      ['output overlapping the filter', (h) => [h, Object.assign(valid(), { 10: 35 })], /overlaps/],
      ['output overlapping the bias', (h) => [h, Object.assign(valid(), { 10: 45 })], /overlaps/],
      ['huge sizes (int64 range arithmetic)', (h) => [h, Object.assign(valid(), { 1: 2 ** 31 - 1, 2: 2 ** 31 - 1 })], /outside the heap/],
      ['args of 19', (h) => [h, valid().subarray(0, 19)], /Int32Array of 20/],
      ['args of 21', (h) => [h, new Int32Array([...valid(), 0])], /Int32Array of 20/],
      ['args a Float32Array', (h) => [h, Float32Array.from(valid())], /Int32Array/],
      ['args a plain array', (h) => [h, Array.from(valid())], /Int32Array/],
      ['heap a Float64Array', (h) => [Float64Array.from(h), valid()], /Float32Array/],
      ['heap a plain array', (h) => [Array.from(h), valid()], /Float32Array/],
      ['heap an ArrayBuffer', (h) => [h.buffer, valid()], /Float32Array/],
      ['one argument', (h) => [h], /^optvis_native\.conv2d: /],
      ['no arguments', () => [], /^optvis_native\.conv2d: /],
    ];

    it.each(BAD_ARGS)('%s: throws a JS error, heap unchanged', (_, make, re) => {
      const heap = heapOf();
      const before = heap.slice();
      expect(() => (addon.conv2d as (...a: unknown[]) => void)(...make(heap))).toThrow(re);
      expectBitIdentical(heap, before, 'heap');
    });

    it('a view inside a larger buffer: offsets count from the view and nothing outside it is read or written', () => {
      // A 1x1 convolution whose output (4x5, explicit bottom/right padding) is larger than its input
      // (2x2): output pixels outside the input are bias only. Sentinels fill the buffer around the view.
      const buffer = new Float32Array(4096).fill(12345);
      const view = buffer.subarray(1000, 1000 + 64);
      const x = [1, 2, 3, 4];
      view.set(x, 60); // input at the end of the view
      view[0] = 0.5; // filter
      view[1] = 0.25; // bias
      const args = new Int32Array([60, 1, 2, 2, 1, 0, 1, 1, 1, 1, 10, 4, 5, 1, 1, 0, 0, 1, 1, 0]);
      addon.conv2d(view, args);
      const ref = conv2dRef({ data: Float32Array.from(x), shape: [1, 2, 2, 1] }, { data: Float32Array.of(0.5), shape: [1, 1, 1, 1] }, [1, 1], [[0, 2], [0, 3]], [1, 1], [0.25]);
      expect(ref.shape).toEqual([1, 4, 5, 1]);
      expectBitIdentical(view.subarray(10, 30), Float32Array.from(ref.data), 'output');
      expect(buffer.subarray(0, 1000).every((v) => v === 12345), 'before the view untouched').toBe(true);
      expect(buffer.subarray(1064).every((v) => v === 12345), 'after the view untouched').toBe(true);
    });

    it('setThreads refuses non-integers and values outside 1..256; info() reports the threads set', () => {
      for (const bad of [0, -1, 257, 'x', undefined]) expect(() => addon.setThreads(bad), String(bad)).toThrow(/optvis_native\.setThreads: expected an integer 1\.\.256/);
      addon.setThreads(2);
      expect(addon.info().threads).toBe(2);
      addon.setThreads(1);
      expect(addon.info().threads).toBe(1);
      expect(addon.info().cores).toBeGreaterThanOrEqual(1);
    });
  });
});

describe('native convolutions on wasm: leaks', () => {
  it('numTensors and wasm buffers unchanged across native calls, an addon error (fused conv with dilation 0), and its freed output', async () => {
    await useBackend('wasm');
    useNativeKernels({ threads: 2 });
    const x = tf.tensor4d(rand(1 * 8 * 8 * 3, 400), [1, 8, 8, 3]);
    const w = tf.tensor4d(rand(3 * 3 * 3 * 4, 401), [3, 3, 3, 4]);
    const b = tf.tensor1d([0.1, 0.2, 0.3, 0.4]);
    const tensors = tf.memory().numTensors;
    const bytes = tf.memory().numBytes;
    const ids = numDataIds();
    for (let i = 0; i < 3; i++) {
      tf.conv2d(x, w, 1, 'same').dispose();
      tf.fused.conv2d({ x, filter: w, strides: 2, pad: 'valid', bias: b, activation: 'relu6' }).dispose();
      tf.tidy(() => {
        tf.sum(tf.fused.conv2d({ x, filter: w, strides: 1, pad: 'same', bias: b, activation: 'relu' }));
      });
    }
    expect(tf.memory().numTensors).toBe(tensors);
    expect(tf.memory().numBytes).toBe(bytes);
    expect(numDataIds()).toBe(ids);
    // tfjs's fused op does not check dilations > 0: the addon refuses it, after the kernel made its output
    const [, [nativeCalls, stockCalls]] = countCalls([tf.getKernel('FusedConv2D', 'wasm') as tf.KernelConfig, stock.fused], () =>
      expect(() => tf.fused.conv2d({ x, filter: w, strides: 1, pad: 'valid', dilations: 0 as unknown as 1, bias: b, activation: 'relu' })).toThrow(
        /optvis_native\.conv2d: sizes, strides and dilations must be positive/,
      ),
    );
    expect([nativeCalls, stockCalls]).toEqual([1, 0]);
    expect(tf.memory().numTensors, 'numTensors after the error').toBe(tensors);
    expect(tf.memory().numBytes, 'numBytes after the error').toBe(bytes);
    expect(numDataIds(), 'the kernel output is freed').toBe(ids);
    // and the backend still works
    const after = tf.tidy(() => tf.conv2d(x, w, 1, 'same').dataSync() as Float32Array);
    const ref = conv2dRef({ data: x.dataSync() as Float32Array, shape: [1, 8, 8, 3] }, { data: w.dataSync() as Float32Array, shape: [3, 3, 3, 4] }, [1, 1], 'same');
    expect(relErr(after, ref.data)).toBeLessThanOrEqual(1e-5);
    tf.dispose([x, w, b]);
    releaseNativeKernels();
  });
});

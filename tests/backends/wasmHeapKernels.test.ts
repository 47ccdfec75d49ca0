import * as tf from '@tensorflow/tfjs-core';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { expectNoLeak, useBackend } from '../helpers/tf';
import { avgPoolBackpropOnHost, conv2dBackpropInputByMatMul, maskByPositiveOnHost, maxPoolBackpropOnHost } from '../../src/backends/convGrads';
import { MASK_BY_POSITIVE_KERNEL, maskByPositive } from '../../src/ops/maskByPositive';
import { installGradientFixes } from '../../src/backends/index';
import { wasmHeapKernels } from '../../src/backends/wasmHeapKernels';
import { HEAP_KERNELS_SHARED_WASM_BASE64, HEAP_KERNELS_WASM_BASE64 } from '../../src/backends/wasm/heapKernelsBinary';
import { Rng } from '../../src/ops/random';
import { binaryModule, compileWat } from '../../scripts/build-wasm';
import { maxPoolGradRef, relErr } from './convReference';

type S4 = [number, number, number, number];
type Pad = 'same' | 'valid' | number | tf.backend_util.ExplicitPadding;

/** Values with many ties (rounded to a few levels), negatives, and optionally NaN / ±Infinity. */
function values(n: number, seed: number, specials: boolean): Float32Array {
  const rng = new Rng(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const u = rng.uniform();
    out[i] = Math.round((u - 0.6) * 6) / 2; // ties and windows of values <= 0
    if (specials) {
      const r = rng.uniform();
      if (r < 0.03) out[i] = NaN;
      else if (r < 0.05) out[i] = -Infinity;
      else if (r < 0.06) out[i] = Infinity;
    }
  }
  return out;
}

const CASES: [S4, number | [number, number], number | [number, number], Pad][] = [
  [[2, 9, 10, 4], 3, 2, 'same'],
  [[1, 11, 7, 9], 3, 1, 'same'], // 8 channels by SIMD + 1 scalar
  [[2, 8, 8, 3], 2, 2, 'valid'], // scalar only
  [[1, 10, 9, 12], [3, 2], [3, 1], 'same'],
  [[1, 7, 7, 5], 3, 2, 1], // numeric padding
  [[1, 9, 6, 8], 3, 1, [[0, 0], [2, 1], [0, 2], [0, 0]]], // explicit padding, windows in the padding
  [[1, 5, 5, 16], 5, 5, 'valid'],
];

describe('wasm SIMD heap kernels: max-pool gradient', () => {
  it('the committed binaries are the compiled heapKernels.wat (run `npm run build:wasm` after editing it)', async () => {
    const dir = fileURLToPath(new URL('../../src/backends/wasm/', import.meta.url));
    const source = readFileSync(`${dir}heapKernels.wat`, 'utf8');
    const plain = await compileWat(source, 'heapKernels.wat');
    const shared = await compileWat(source, 'heapKernels.wat', true);
    expect(Buffer.from(HEAP_KERNELS_WASM_BASE64, 'base64').equals(Buffer.from(plain))).toBe(true);
    expect(Buffer.from(HEAP_KERNELS_SHARED_WASM_BASE64, 'base64').equals(Buffer.from(shared))).toBe(true);
    expect(readFileSync(`${dir}heapKernelsBinary.ts`, 'utf8')).toBe(binaryModule('heapKernels', plain, shared));
  });

  it('runs on the single-threaded wasm backend and nowhere else', async () => {
    await useBackend('wasm');
    const kernels = wasmHeapKernels(tf.backend());
    expect(kernels?.maxPoolGrad).toBeTypeOf('function');
    expect(kernels?.col2im).toBeTypeOf('function');
    expect(kernels?.avgPoolGrad).toBeTypeOf('function');
    expect(kernels?.maskByPositive).toBeTypeOf('function');
    await useBackend('cpu');
    expect(wasmHeapKernels(tf.backend())).toBeNull();
    expect(wasmHeapKernels(null)).toBeNull();
  });

  it('is bit-identical to the JavaScript pass (ties, windows <= 0, NaN, ±Infinity, every padding form, channel remainders)', async () => {
    await useBackend('wasm');
    let checked = 0;
    for (const [i, [shape, k, s, pad]] of CASES.entries()) {
      for (const specials of [false, true]) {
        const x = values(shape.reduce((a, b) => a * b, 1), 100 + i, specials);
        const [simd, js, r, ys] = await expectNoLeak(() =>
          tf.tidy(() => {
            const xt = tf.tensor4d(x, shape);
            const ysh = tf.maxPool(xt, k, s, pad as 'same').shape as S4;
            const rr = values(ysh.reduce((a, b) => a * b, 1), 200 + i, false);
            const dy = tf.tensor4d(rr, ysh);
            const a = maxPoolBackpropOnHost(dy, xt, k, s, pad, undefined, true).dataSync() as Float32Array;
            const b = maxPoolBackpropOnHost(dy, xt, k, s, pad, undefined, false).dataSync() as Float32Array;
            return [a, b, rr, ysh] as const;
          }),
        );
        expect(simd.length).toBe(x.length);
        for (let j = 0; j < simd.length; j++) {
          if (!Object.is(simd[j], js[j])) expect.fail(`case ${i} (specials ${specials}): element ${j}: SIMD ${simd[j]} vs JS ${js[j]}`);
        }
        if (!specials && typeof pad === 'string' && typeof k === 'number' && typeof s === 'number') {
          // and both equal the float64 reference (routing to the first maximum)
          const ref = maxPoolGradRef({ data: x, shape }, k, s, pad, { data: r, shape: ys });
          expect(relErr(simd, ref), `case ${i}`).toBeLessThan(1e-6);
        }
        checked++;
      }
    }
    expect(checked).toBe(2 * CASES.length);
  });

  it('refuses a dy whose shape is not the pool output shape (the kernel reads dy by that shape), allocating nothing', async () => {
    await useBackend('wasm');
    await expectNoLeak(() => {
      const x = tf.zeros([1, 8, 8, 4]) as tf.Tensor4D;
      const dy = tf.zeros([1, 4, 5, 4]) as tf.Tensor4D; // the pool gives [1, 4, 4, 4]
      expect(() => maxPoolBackpropOnHost(dy, x, 2, 2, 'valid', undefined)).toThrow(
        /^Error in backends\.maxPoolBackpropOnHost: dy must have the pool's output shape \[1, 4, 4, 4\], but got \[1, 4, 5, 4\]\.$/,
      );
      tf.dispose([x, dy]);
    });
  });

  it('through the installed MaxPoolGrad (which calls it on wasm), tf.grad of maxPool equals the JavaScript pass', async () => {
    await useBackend('wasm');
    installGradientFixes('wasm');
    const shape: S4 = [1, 12, 12, 8];
    const x = values(12 * 12 * 8, 7, false);
    const [viaGrad, js] = await expectNoLeak(() =>
      tf.tidy(() => {
        const xt = tf.tensor4d(x, shape);
        const g = tf.grad((v: tf.Tensor) => tf.sum(tf.maxPool(v as tf.Tensor4D, 3, 2, 'same')))(xt).dataSync() as Float32Array;
        const dy = tf.onesLike(tf.maxPool(xt, 3, 2, 'same')) as tf.Tensor4D;
        return [g, maxPoolBackpropOnHost(dy, xt, 3, 2, 'same', undefined, false).dataSync() as Float32Array] as const;
      }),
    );
    expect(Array.from(viaGrad)).toEqual(Array.from(js));
  });
});

describe('wasm SIMD heap kernels: col2im of strided input gradients', () => {
  // [input shape, filter [kh, kw, inC, outC], strides, padding]: runs with and without a SIMD
  // remainder (kw·inC not a multiple of 4), windows clipped by the padding on every side.
  const COL2IM_CASES: [S4, S4, number | [number, number], Pad][] = [
    [[1, 20, 20, 3], [7, 7, 3, 8], 2, 'same'], // InceptionV1's conv2d0 shape, scaled down
    [[2, 11, 9, 4], [3, 3, 4, 5], 2, 'valid'],
    [[1, 13, 10, 5], [3, 2, 5, 6], [2, 3], 'same'],
    [[1, 9, 9, 2], [5, 5, 2, 3], 3, 1],
    [[1, 12, 8, 8], [4, 4, 8, 4], 2, [[0, 0], [3, 1], [0, 2], [0, 0]]],
  ];

  it('is bit-identical to the JavaScript pass and equals tf.conv2dTranspose', async () => {
    await useBackend('wasm');
    for (const [i, [xShape, fShape, s, pad]] of COL2IM_CASES.entries()) {
      const rng = new Rng(300 + i);
      const [simd, js, ref] = await expectNoLeak(() =>
        tf.tidy(() => {
          const filter = tf.tensor4d(Float32Array.from({ length: fShape.reduce((a, b) => a * b, 1) }, () => rng.uniform() - 0.5), fShape);
          const yShape = tf.conv2d(tf.zeros(xShape) as tf.Tensor4D, filter, s, pad as 'same').shape as S4;
          const dy = tf.tensor4d(Float32Array.from({ length: yShape.reduce((a, b) => a * b, 1) }, () => rng.uniform() - 0.5), yShape);
          return [
            conv2dBackpropInputByMatMul(dy, filter, xShape, s, pad, undefined, true).dataSync() as Float32Array,
            conv2dBackpropInputByMatMul(dy, filter, xShape, s, pad, undefined, false).dataSync() as Float32Array,
            tf.conv2dTranspose(dy, filter, xShape, s, pad as 'same').dataSync() as Float32Array,
          ] as const;
        }),
      );
      expect(simd.length, `case ${i}`).toBe(xShape.reduce((a, b) => a * b, 1));
      for (let j = 0; j < simd.length; j++) {
        if (!Object.is(simd[j], js[j])) expect.fail(`case ${i}: element ${j}: SIMD ${simd[j]} vs JS ${js[j]}`);
      }
      let worst = 0, scale = 0;
      for (let j = 0; j < simd.length; j++) {
        worst = Math.max(worst, Math.abs(simd[j] - ref[j]));
        scale = Math.max(scale, Math.abs(ref[j]));
      }
      expect(scale, `case ${i}: reference not all zero`).toBeGreaterThan(0);
      expect(worst / scale, `case ${i}`).toBeLessThan(1e-5);
    }
  });
});

describe('wasm SIMD heap kernels: average-pool gradient', () => {
  it('is bit-identical to the JavaScript pass on every padding form and channel remainder', async () => {
    await useBackend('wasm');
    for (const [i, [shape, k, s, pad]] of CASES.entries()) {
      const [simd, js] = await expectNoLeak(() =>
        tf.tidy(() => {
          const xt = tf.zeros(shape) as tf.Tensor4D;
          const ysh = tf.avgPool(xt, k, s, pad as 'same').shape as S4;
          const dy = tf.tensor4d(values(ysh.reduce((a, b) => a * b, 1), 500 + i, true), ysh);
          return [
            avgPoolBackpropOnHost(dy, xt, k, s, pad, undefined, true).dataSync() as Float32Array,
            avgPoolBackpropOnHost(dy, xt, k, s, pad, undefined, false).dataSync() as Float32Array,
          ] as const;
        }),
      );
      expect(simd.length, `case ${i}`).toBe(shape.reduce((a, b) => a * b, 1));
      expect(simd.some((v) => v !== 0 && Number.isFinite(v)), `case ${i}: some gradient`).toBe(true);
      for (let j = 0; j < simd.length; j++) {
        if (!Object.is(simd[j], js[j])) expect.fail(`case ${i}: element ${j}: SIMD ${simd[j]} vs JS ${js[j]}`);
      }
    }
  });
});

describe('wasm SIMD heap kernels: the ReLU mask dy · step(y)', () => {
  it("equals tfjs's Step and Multiply bit for bit (±0, NaN, ±Infinity in dy and y; a SIMD remainder), and is what maskByPositive runs once the fixes are installed", async () => {
    await useBackend('wasm');
    const n = 4 * 37 + 3;
    const special = [0, -0, NaN, Infinity, -Infinity, 1e-30, -1e-30];
    const rng = new Rng(77);
    const pick = (): number => (rng.uniform() < 0.3 ? special[Math.floor(rng.uniform() * special.length)] : rng.uniform() * 4 - 2);
    const dyv = Float32Array.from({ length: n }, pick), yv = Float32Array.from({ length: n }, pick);
    const [simd, js, stock] = await expectNoLeak(() =>
      tf.tidy(() => {
        const dy = tf.tensor4d(dyv, [1, 1, n, 1]), y = tf.tensor4d(yv, [1, 1, n, 1]);
        return [
          maskByPositiveOnHost(dy, y, true).dataSync() as Float32Array,
          maskByPositiveOnHost(dy, y, false).dataSync() as Float32Array,
          tf.mul(dy, tf.step(y)).dataSync() as Float32Array,
        ] as const;
      }),
    );
    for (let j = 0; j < n; j++) {
      if (!Object.is(simd[j], stock[j]) || !Object.is(js[j], stock[j])) expect.fail(`element ${j} (dy ${dyv[j]}, y ${yv[j]}): SIMD ${simd[j]}, JS ${js[j]}, tfjs ${stock[j]}`);
    }
    installGradientFixes('wasm');
    expect(tf.getKernel(MASK_BY_POSITIVE_KERNEL, 'wasm')).toBeDefined();
    const viaOp = await expectNoLeak(() =>
      tf.tidy(() => maskByPositive(tf.tensor4d(dyv, [1, 1, n, 1]), tf.tensor4d(yv, [1, 1, n, 1])).dataSync() as Float32Array),
    );
    for (let j = 0; j < n; j++) if (!Object.is(viaOp[j], stock[j])) expect.fail(`maskByPositive element ${j}: ${viaOp[j]} vs ${stock[j]}`);
  });
});

describe('wasm SIMD heap kernels on the threaded binary (shared memory)', () => {
  it('run there too, bit-identical to the JavaScript passes (child process on 2 threads)', () => {
    const here = fileURLToPath(new URL('.', import.meta.url));
    const child = spawnSync(process.execPath, ['--import', 'tsx', `${here}wasmHeapKernelsThreadsChild.ts`], {
      cwd: fileURLToPath(new URL('../..', import.meta.url)),
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(child.status, child.stderr.slice(-2000)).toBe(0);
    const got = JSON.parse(child.stdout.trim().split('\n').pop() as string) as Record<string, unknown>;
    expect(got).toMatchObject({ state: { threads: 2 }, sharedMemory: true, kernel: true, elements: 2 * 13 * 11 * 10, differing: 0, col2imDiffering: 0, avgDiffering: 0, tensorGrowth: 0 });
    expect(got.nonzero as number).toBeGreaterThan(100);
    expect(got.col2imElements as number).toBeGreaterThan(100);
  });
});

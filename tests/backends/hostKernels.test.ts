import * as tf from '@tensorflow/tfjs-core';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BACKENDS, expectNoLeak, maxAbsDiff, useBackend } from '../helpers/tf';
import {
  conv2dBackpropInputByMatMul,
  flipDepthwiseFilter,
  flipFilter,
  flipTransposeFilter,
  maxPoolBackpropOnHost,
  releaseFlippedFilters,
} from '../../src/backends/convGrads';
import { installGradientFixes } from '../../src/backends/index';
import { useWasmThreads, wasmThreadsState } from '../../src/backends/wasmThreads';
import { Rng } from '../../src/ops/random';
import { conv2dGradsRef, maxPoolGradRef, relErr } from './convReference';
import { threadsWorkload } from './threadsWorkload';

type S4 = [number, number, number, number];
const seeded = (n: number, seed: number, round = false): Float32Array => {
  const r = new Rng(seed);
  return Float32Array.from({ length: n }, () => (round ? Math.round(r.normal(0, 1.5)) : r.normal()));
};

describe.each(BACKENDS)('host-side kernels on %s', (backend) => {
  it('flipFilter = reversing axes 0 and 1 (float64 index reference), 1×1 filters cloned', async () => {
    await useBackend(backend);
    for (const shape of [[3, 2, 4, 5], [1, 1, 3, 2], [5, 5, 2, 3], [7, 1, 1, 1]] as S4[]) {
      const v = seeded(shape.reduce((a, b) => a * b, 1), 3);
      const out = await expectNoLeak(() =>
        tf.tidy(() => {
          const f = tf.tensor4d(v, shape);
          const flipped = flipFilter(f);
          expect(flipped).not.toBe(f);
          return flipped.dataSync() as Float32Array;
        }),
      );
      const [kh, kw, ci, co] = shape;
      const ref = new Float64Array(v.length);
      for (let i = 0; i < kh; i++)
        for (let j = 0; j < kw; j++)
          for (let a = 0; a < ci * co; a++) ref[(i * kw + j) * ci * co + a] = v[((kh - 1 - i) * kw + (kw - 1 - j)) * ci * co + a];
      expect(maxAbsDiff(out, ref), JSON.stringify(shape)).toBe(0);
    }
  });

  it('flipTransposeFilter = flip of axes 0, 1 and swap of axes 2, 3 (index reference); repeated calls (cached on wasm) agree', async () => {
    await useBackend(backend);
    for (const shape of [[3, 2, 4, 5], [1, 1, 3, 2], [5, 5, 2, 3]] as S4[]) {
      const v = seeded(shape.reduce((a, b) => a * b, 1), 5);
      const f = tf.tensor4d(v, shape);
      const [kh, kw, ci, co] = shape;
      const ref = new Float64Array(v.length);
      for (let i = 0; i < kh; i++)
        for (let j = 0; j < kw; j++)
          for (let o = 0; o < co; o++)
            for (let c = 0; c < ci; c++) ref[((i * kw + j) * co + o) * ci + c] = v[(((kh - 1 - i) * kw + (kw - 1 - j)) * ci + c) * co + o];
      const ids: unknown[] = [];
      for (let rep = 0; rep < 2; rep++) {
        const out = await expectNoLeak(() =>
          tf.tidy(() => {
            const t = flipTransposeFilter(f);
            expect(t.shape).toEqual([kh, kw, co, ci]);
            ids.push(t.dataId);
            return t.dataSync() as Float32Array;
          }),
        );
        expect(maxAbsDiff(out, ref), `${JSON.stringify(shape)} call ${rep + 1}`).toBe(0);
      }
      // On wasm the flipped filter is made once and held (same data id: XNNPACK reuses its operator).
      if (backend === 'wasm') expect(ids[1]).toBe(ids[0]);
      else expect(ids[1]).not.toBe(ids[0]);
      // A clone shares the data (and, on wasm, the cache entry); other values give other results.
      const g = tf.clone(f);
      const h = tf.neg(f);
      const [a, b] = tf.tidy(() => [flipTransposeFilter(g as tf.Tensor4D).dataSync(), flipTransposeFilter(h as tf.Tensor4D).dataSync()]);
      expect(maxAbsDiff(a, ref)).toBe(0);
      expect(maxAbsDiff(b, ref.map((x) => -x))).toBe(0);
      tf.dispose([f, g, h]);
    }
    if (backend === 'wasm') {
      // Held copies are released on request (and by uninstallGradientFixes), leaving no tensors and
      // their heap memory freed; a later call makes the copy again.
      releaseFlippedFilters(); // those of the filters above
      const f = tf.tensor4d(seeded(2 * 2 * 3 * 4, 9), [2, 2, 3, 4]);
      const before = tf.memory();
      const first = tf.tidy(() => Array.from(flipTransposeFilter(f).dataSync()));
      expect(tf.memory().numDataBuffers).toBe(before.numDataBuffers + 1); // the held copy
      expect(releaseFlippedFilters()).toBe(1);
      expect(releaseFlippedFilters()).toBe(0);
      expect(tf.memory().numTensors).toBe(before.numTensors);
      expect(tf.memory().numDataBuffers).toBe(before.numDataBuffers);
      expect(tf.tidy(() => Array.from(flipTransposeFilter(f).dataSync()))).toEqual(first);
      expect(releaseFlippedFilters()).toBe(1);
      f.dispose();
    }
  });

  it('flipDepthwiseFilter = flip of axes 0, 1 seen as [kh, kw, c·m, 1] (index reference); held on wasm', async () => {
    await useBackend(backend);
    const shape: S4 = [3, 2, 4, 2];
    const v = seeded(48, 6);
    const f = tf.tensor4d(v, shape);
    const ref = new Float64Array(48);
    for (let i = 0; i < 3; i++) for (let j = 0; j < 2; j++) for (let a = 0; a < 8; a++) ref[(i * 2 + j) * 8 + a] = v[((2 - i) * 2 + (1 - j)) * 8 + a];
    const ids: unknown[] = [];
    for (let rep = 0; rep < 2; rep++) {
      const out = await expectNoLeak(() =>
        tf.tidy(() => {
          const t = flipDepthwiseFilter(f);
          expect(t.shape).toEqual([3, 2, 8, 1]);
          ids.push(t.dataId);
          return t.dataSync() as Float32Array;
        }),
      );
      expect(maxAbsDiff(out, ref)).toBe(0);
    }
    expect(ids[1] === ids[0]).toBe(backend === 'wasm');
    f.dispose();
    releaseFlippedFilters();
  });

  it('maxPoolBackpropOnHost = float64 reference (ties to the first maximum, windows <= 0, batch 2, 3/4/9 channels)', async () => {
    await useBackend(backend);
    // Channels go four at a time plus a remainder: 3 (remainder only), 4 (blocks only), 9 (both).
    for (const [k, s, pad, c] of [[3, 2, 'same', 3], [3, 1, 'same', 9], [2, 2, 'valid', 4], [3, 3, 'same', 3], [3, 2, 'same', 9], [3, 2, 'valid', 4]] as const) {
      const shape: S4 = [2, 9, 10, c];
      const x = seeded(shape.reduce((a, b) => a * b, 1), 13, true);
      const out = await expectNoLeak(() =>
        tf.tidy(() => {
          const xt = tf.tensor4d(x, shape);
          const ys = tf.maxPool(xt, k, s, pad).shape as S4;
          const r = seeded(ys.reduce((a, b) => a * b, 1), 14);
          const dx = maxPoolBackpropOnHost(tf.tensor4d(r, ys), xt, k, s, pad, undefined);
          return { dx: dx.dataSync() as Float32Array, r, ys };
        }),
      );
      const ref = maxPoolGradRef({ data: x, shape }, k, s, pad, { data: out.r, shape: out.ys });
      expect(relErr(out.dx, ref), `${k} ${s} ${pad} ${c}`).toBeLessThan(1e-6);
    }
  });
});

describe('useWasmThreads', () => {
  it('rejects bad options and a wasm backend that is already initialized, changing nothing', async () => {
    await useBackend('wasm');
    const factory = tf.findBackendFactory('wasm');
    expect(() => useWasmThreads({ threads: 0 })).toThrow(/^Error in useWasmThreads: threads must be an integer from 1 to 8, but got 0\.$/);
    expect(() => useWasmThreads({ threads: 2.5 })).toThrow(/threads must be an integer from 1 to 8, but got 2\.5/);
    expect(() => useWasmThreads({ threads: '2' as never })).toThrow(/threads must be an integer from 1 to 8, but got "2"/);
    expect(() => useWasmThreads({ threads: null as never })).toThrow(/threads must be an integer from 1 to 8, but got null/);
    expect(() => useWasmThreads({ threads: 9 })).toThrow(/^Error in useWasmThreads: threads must be at most 8 \(tfjs's threaded wasm binary has a pool of 8 pthread workers\), but got 9\.$/);
    expect(() => useWasmThreads({ timeoutMs: -1 })).toThrow(/^Error in useWasmThreads: timeoutMs must be a number of milliseconds in \(0, 2147483647\] \(Node's timer limit\), but got -1\.$/);
    expect(() => useWasmThreads({ timeoutMs: Infinity })).toThrow(/timeoutMs must be .*, but got Infinity\./);
    expect(() => useWasmThreads({ timeoutMs: NaN })).toThrow(/timeoutMs must be .*, but got NaN\./);
    expect(() => useWasmThreads([] as never)).toThrow(/^Error in useWasmThreads: options must be an object, but got \[\]\.$/);
    expect(() => useWasmThreads({ thread: 2 } as never)).toThrow(/^Error in useWasmThreads: options must only have known keys, but got unknown option "thread" \(allowed: "threads", "timeoutMs"; did you mean "threads"\?\)\.$/);
    expect(() => useWasmThreads({ threads: 2 })).toThrow(
      /^Error in useWasmThreads: useWasmThreads must be called before the wasm backend is initialized, but it already runs \(tfjs's stock single-threaded binary\); call it before tf\.setBackend\('wasm'\), tf\.ready\(\) or anything else that starts the backend \(threads 2 was not applied\)\.$/,
    );
    expect(tf.findBackendFactory('wasm')).toBe(factory);
    expect(tf.getBackend()).toBe('wasm');
    expect(wasmThreadsState()).toEqual({ threads: 0 });
  });

  it('2 threads in a child process: same values as stock single-threaded wasm, no tensor growth', async () => {
    const here = path.dirname(fileURLToPath(import.meta.url));
    const child = spawnSync(process.execPath, ['--import', 'tsx', path.join(here, 'wasmThreadsChild.ts'), '2'], {
      cwd: path.resolve(here, '..', '..'),
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(child.status, child.stderr.slice(-2000)).toBe(0);
    const got = JSON.parse(child.stdout.trim().split('\n').pop() as string) as {
      state: { threads: number; fallbackReason?: string };
      backend: string;
      y: number[];
      g: number[];
      growth: number;
    };
    expect(got.state).toEqual({ threads: 2 });
    expect(got.backend).toBe('wasm');
    expect(got.growth).toBe(0);
    await useBackend('wasm');
    installGradientFixes('wasm');
    const ref = await expectNoLeak(() => threadsWorkload());
    expect(relErr(Float32Array.from(got.y), ref.y)).toBeLessThan(1e-5);
    expect(relErr(Float32Array.from(got.g), ref.g)).toBeLessThan(1e-5);
  }, 180_000);
});

describe.each(BACKENDS)('conv2dBackpropInputByMatMul on %s', (backend) => {
  it('= float64 reference (strides 1, 2, 3; same and valid; batch 2)', async () => {
    await useBackend(backend);
    const cases: { s: number; pad: 'same' | 'valid'; x: S4; w: S4 }[] = [
      { s: 2, pad: 'same', x: [2, 14, 14, 3], w: [7, 7, 3, 5] },
      { s: 2, pad: 'valid', x: [1, 10, 9, 2], w: [3, 2, 2, 4] },
      { s: 3, pad: 'same', x: [1, 11, 7, 2], w: [5, 5, 2, 3] },
      { s: 1, pad: 'same', x: [1, 6, 5, 3], w: [3, 3, 3, 2] },
    ];
    for (const c of cases) {
      const [oh, ow] = [1, 2].map((i) => (c.pad === 'same' ? Math.ceil(c.x[i] / c.s) : Math.floor((c.x[i] - c.w[i - 1]) / c.s) + 1));
      const rShape: S4 = [c.x[0], oh, ow, c.w[3]];
      const xv = seeded(c.x.reduce((a, b) => a * b, 1), 31);
      const wv = seeded(c.w.reduce((a, b) => a * b, 1), 32);
      const rv = seeded(rShape.reduce((a, b) => a * b, 1), 33);
      const dx = await expectNoLeak(() =>
        tf.tidy(() => conv2dBackpropInputByMatMul(tf.tensor4d(rv, rShape), tf.tensor4d(wv, c.w), c.x, c.s, c.pad).dataSync() as Float32Array),
      );
      const ref = conv2dGradsRef({ data: xv, shape: c.x }, { data: wv, shape: c.w }, { data: rv, shape: rShape }, c.s, c.pad);
      expect(relErr(dx, ref.dx), JSON.stringify(c)).toBeLessThan(1e-5);
    }
  });
});

describe('a whole step on wasm = cpu', () => {
  it('InceptionV1 to mixed3b (7×7 stride-2 conv, max-pools), standard transforms incl. rotation: same gradient', async () => {
    const { inceptionV1, INCEPTION_INPUT_RANGE } = await import('../fixtures/inception');
    const { visModel } = await import('../../src/model/index');
    const { compose, standardTransforms, randomRotate } = await import('../../src/transform/index');
    const gradOn = async (backend: 'cpu' | 'wasm'): Promise<Float32Array> => {
      await useBackend(backend);
      installGradientFixes(backend);
      const net = inceptionV1({ seed: 3, upTo: 'mixed3b' });
      const vm = await visModel(net, { inputRange: INCEPTION_INPUT_RANGE });
      // A fixed, non-zero rotation so that the host-side sampler runs on wasm.
      const transform = compose([...standardTransforms().slice(0, 3), randomRotate([7]), standardTransforms()[4]]);
      const img = tf.tensor4d(seeded(1 * 40 * 40 * 3, 41).map((v) => 0.5 + 0.1 * v), [1, 40, 40, 3]);
      const g = await expectNoLeak(() =>
        tf.tidy(() => {
          const out = tf.grad((v: tf.Tensor) => {
            const acts = vm.activations(transform(v as tf.Tensor4D, new Rng(5)), ['mixed3b']).get('mixed3b') as tf.Tensor4D;
            return tf.mean(tf.slice(acts, [0, 0, 0, 7], [-1, -1, -1, 1]));
          })(img);
          return out.dataSync() as Float32Array;
        }),
      );
      img.dispose();
      vm.dispose();
      net.dispose();
      return g;
    };
    const cpu = await gradOn('cpu');
    const wasm = await gradOn('wasm');
    expect(Math.max(...cpu.map(Math.abs))).toBeGreaterThan(0);
    expect(relErr(wasm, cpu)).toBeLessThan(1e-4);
  }, 120_000);
});

describe('maxPoolBackpropViaStock (exported; its flips now run on the host on wasm)', () => {
  it('with the stock wasm MaxPoolGrad as the valid kernel = float64 reference', async () => {
    await useBackend('wasm');
    const { uninstallGradientFixes, maxPoolBackpropViaStock } = await import('../../src/backends/index');
    uninstallGradientFixes('wasm');
    const stock = tf.getKernel('MaxPoolGrad', 'wasm');
    installGradientFixes('wasm');
    expect(stock).toBeDefined();
    const valid = (d: tf.Tensor4D, xx: tf.Tensor4D, yy: tf.Tensor4D, fs: [number, number], st: [number, number]): tf.Tensor4D =>
      tf.engine().makeTensorFromTensorInfo(
        stock?.kernelFunc({ inputs: { dy: d, input: xx, output: yy }, attrs: { filterSize: fs, strides: st, pad: 'valid' }, backend: tf.backend() }) as tf.TensorInfo,
      ) as tf.Tensor4D;
    for (const [k, s, pad] of [[3, 2, 'same'], [3, 1, 'same'], [2, 2, 'valid']] as const) {
      const shape: S4 = [1, 9, 10, 3];
      const x = seeded(shape.reduce((a, b) => a * b, 1), 51, true);
      const out = await expectNoLeak(() =>
        tf.tidy(() => {
          const xt = tf.tensor4d(x, shape);
          const y = tf.maxPool(xt, k, s, pad);
          const r = seeded(y.size, 52);
          const dx = maxPoolBackpropViaStock(tf.tensor4d(r, y.shape as S4), xt, y as tf.Tensor4D, k, s, pad, undefined, valid);
          return { dx: dx.dataSync() as Float32Array, r, ys: y.shape as S4 };
        }),
      );
      const ref = maxPoolGradRef({ data: x, shape }, k, s, pad, { data: out.r, shape: out.ys });
      expect(relErr(out.dx, ref), `${k} ${s} ${pad}`).toBeLessThan(1e-6);
    }
  });
});

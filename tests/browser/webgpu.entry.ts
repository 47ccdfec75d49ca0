/**
 * Test-only page (bundled by the playground server with `testEntries: true`) for the tfjs webgpu
 * backend: the library's render loop on the fixture LayersModel, and input gradients against cpu,
 * on any of webgpu, webgl, wasm or cpu, in the same page. Used by `tests/browser/webgpu.test.ts`
 * and `bench/browserBackends.bench.ts` through `window.__webgpu`.
 *
 * WebGPU needs a secure context (this page is served from http://127.0.0.1) and, in Chromium on
 * Linux, the `--enable-unsafe-webgpu` flag; {@link adapterInfo} says what the browser offers.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-webgl';
import '@tensorflow/tfjs-backend-webgpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { model as optvisModel, objectives, param, render, transform, type Transform, type VisModel } from '../../src/index';
import { makeTestLayersModel } from '../fixtures/models';
import { Rng } from '../../src/ops/random';
import { gradDiff } from './gradDiff';
import { avgPoolGradcheck } from './avgPoolCheck';

setWasmPaths('/wasm/');

export type PageBackend = 'webgpu' | 'webgl' | 'wasm' | 'cpu';

/** What `navigator.gpu.requestAdapter()` gives, or why there is no adapter. */
export interface AdapterReport {
  ok: boolean;
  secureContext: boolean;
  reason?: string;
  vendor?: string;
  architecture?: string;
  description?: string;
  isFallbackAdapter?: boolean;
}

export interface RenderRequest {
  backend: PageBackend;
  layer: string;
  channel: number;
  size: number;
  steps: number;
  transforms: 'none' | 'jitter' | 'standard';
  alpha: boolean;
  seed: number;
  /** how the loss is read back each step: `session.step()` (`dataSync`, default) or `await session.stepAsync()` */
  read?: 'sync' | 'async';
  /** webgl only: tfjs's `WEBGL_USE_SHAPES_UNIFORMS` (default true, as the playground sets it) */
  shapesUniforms?: boolean;
  /** standard transforms with the jitter crops as plain `tf.slice` (tfjs's slice gradient: the library before its own crop gradient) */
  sliceJitter?: boolean;
}

export interface RenderResult {
  backendUsed: string;
  /** the objective before each update (`session.step()`'s return) */
  values: number[];
  /** wall time of each `session.step()` (ms), loss read back included */
  stepMs: number[];
  /** `tf.memory().numTensors` before the param was created, and after session and param were disposed */
  tensorsBefore: number;
  tensorsAfter: number;
  /** spread of the final image's values */
  imageStd: number;
  /** webgl only: shader programs in tfjs's program cache after each step (empty on other backends) */
  programs: number[];
}

export interface GradRequest {
  backend: PageBackend;
  layers: string[];
  size: number;
  seed: number;
}

export interface GradResult {
  layer: string;
  /** max |g_backend − g_cpu| and max |g_cpu| */
  maxAbsDiff: number;
  maxAbsRef: number;
  value: number;
  valueRef: number;
  finite: boolean;
  backendUsed: string;
  /** tensors alive after the backend's computation minus before (0: no leak) */
  leaked: number;
}

interface NavigatorGpu {
  gpu?: {
    requestAdapter(): Promise<{
      info?: { vendor?: string; architecture?: string; description?: string };
      isFallbackAdapter?: boolean;
    } | null>;
  };
}

async function adapterInfo(): Promise<AdapterReport> {
  const secureContext = globalThis.isSecureContext;
  const gpu = (navigator as unknown as NavigatorGpu).gpu;
  if (!gpu) return { ok: false, secureContext, reason: `navigator.gpu is undefined (secure context: ${secureContext})` };
  try {
    const a = await gpu.requestAdapter();
    if (!a) return { ok: false, secureContext, reason: 'navigator.gpu.requestAdapter() returned null' };
    const info = a.info ?? {}; // GPUAdapterInfo's fields are getters: read them one by one
    return { ok: true, secureContext, vendor: info.vendor, architecture: info.architecture, description: info.description, isFallbackAdapter: a.isFallbackAdapter };
  } catch (e) {
    return { ok: false, secureContext, reason: `navigator.gpu.requestAdapter() threw: ${(e as Error).message}` };
  }
}

let vm: VisModel | undefined;

async function useBackend(name: PageBackend, shapesUniforms = true): Promise<void> {
  if (name === 'webgl') tf.env().set('WEBGL_USE_SHAPES_UNIFORMS', shapesUniforms); // true: as the playground does
  if (!(await tf.setBackend(name))) throw new Error(`backend ${name} failed to initialise`);
  await tf.ready();
}

/** The fixture LayersModel wrapped by the library (built once, on cpu). */
async function fixture(): Promise<VisModel> {
  if (!vm) {
    await useBackend('cpu');
    vm = await optvisModel.visModel(makeTestLayersModel(3), { inputRange: [-1, 1] });
  }
  return vm;
}

/** Lucid's jitter as a plain `tf.slice` (same random draws as `transform.jitter`, tfjs's slice gradient). */
function sliceJitter(d: number): Transform {
  return (image, rng) => {
    const [n, h, w, c] = image.shape;
    const oy = rng.intBetween(0, d);
    const ox = rng.intBetween(0, d);
    return tf.slice(image, [0, oy, ox, 0], [n, h - d, w - d, c]);
  };
}

function transformsFor(kind: RenderRequest['transforms'], alpha: boolean, slice = false): Transform[] {
  const standard = slice
    ? [
        transform.pad(transform.STANDARD_PAD, { mode: 'constant', constantValue: 0.5 }),
        sliceJitter(transform.STANDARD_JITTER),
        transform.randomScale(transform.STANDARD_SCALES),
        transform.randomRotate(transform.STANDARD_ANGLES),
        sliceJitter(transform.STANDARD_FINAL_JITTER),
      ]
    : transform.standardTransforms();
  const chosen = kind === 'none' ? [] : kind === 'jitter' ? [transform.jitter(8)] : standard;
  return alpha ? [transform.collapseAlphaRandom(), ...chosen] : chosen;
}

/** The playground's render loop (`render.visSession`, one synchronous `step()` at a time). */
async function renderSteps(req: RenderRequest): Promise<RenderResult> {
  const m = await fixture();
  await useBackend(req.backend, req.shapesUniforms ?? true);
  const tensorsBefore = tf.memory().numTensors;
  const cache = req.backend === 'webgl' ? (tf.backend() as unknown as { binaryCache: Record<string, unknown> }).binaryCache : undefined;
  const programs: number[] = [];
  const p = param.image(req.size, { alpha: req.alpha, seed: req.seed });
  let session: render.VisSession | undefined;
  const values: number[] = [];
  const stepMs: number[] = [];
  let imageStd = 0;
  try {
    session = render.visSession(m, objectives.channel(req.layer, req.channel), {
      param: p,
      transforms: transformsFor(req.transforms, req.alpha, req.sliceJitter),
      reluGradientOverride: true,
      seed: req.seed,
    });
    for (let i = 0; i < req.steps; i++) {
      const t0 = performance.now();
      values.push(req.read === 'async' ? await session.stepAsync() : session.step());
      stepMs.push(performance.now() - t0);
      if (cache) programs.push(Object.keys(cache).length);
    }
    const img = session.imageArray().data;
    let mean = 0;
    for (const v of img) mean += v / img.length;
    for (const v of img) imageStd += (v - mean) ** 2 / img.length;
    imageStd = Math.sqrt(imageStd);
  } finally {
    session?.dispose();
    p.dispose();
  }
  const backendUsed = tf.getBackend();
  return { backendUsed, values, stepMs, tensorsBefore, tensorsAfter: tf.memory().numTensors, imageStd, programs };
}

/** Every channel with its own weight (1, 2, …, C), as in gradcheck.entry.ts. */
function weighted(a: tf.Tensor): tf.Scalar {
  const depth = a.shape[a.rank - 1]!;
  return tf.mean(tf.mul(a, tf.range(1, depth + 1)));
}

async function gradOn(backend: PageBackend, m: VisModel, layer: string, image: Float32Array, size: number) {
  await useBackend(backend);
  const before = tf.memory().numTensors;
  const { g, v } = tf.tidy(() => {
    const x = tf.tensor4d(image, [1, size, size, 3]);
    const f = (img: tf.Tensor): tf.Scalar => weighted(m.activations(img as tf.Tensor4D, [layer]).get(layer)!);
    const { value, grad } = tf.valueAndGrad(f)(x);
    return { g: grad, v: value };
  });
  const out = { g: (await g.data()) as Float32Array, v: (await v.data())[0], backendUsed: tf.getBackend() };
  g.dispose();
  v.dispose();
  return { ...out, leaked: tf.memory().numTensors - before };
}

/** Input gradients of the fixture on `backend` and on cpu, compared. */
async function gradients(req: GradRequest): Promise<GradResult[]> {
  const m = await fixture();
  const rng = new Rng(req.seed);
  const image = Float32Array.from({ length: req.size * req.size * 3 }, () => rng.uniform());
  const results: GradResult[] = [];
  for (const layer of req.layers) {
    const ref = await gradOn('cpu', m, layer, image, req.size);
    const got = await gradOn(req.backend, m, layer, image, req.size);
    const { maxAbsDiff, maxAbsRef, finite } = gradDiff(ref.g, got.g);
    results.push({ layer, maxAbsDiff, maxAbsRef, value: got.v, valueRef: ref.v, finite, backendUsed: got.backendUsed, leaked: got.leaked });
  }
  return results;
}

/**
 * A small computation on `backend`, read back synchronously (`dataSync`, what `session.step()`
 * uses for the loss) and asynchronously (`data()`).
 */
async function readBack(backend: PageBackend): Promise<{ sync: number[]; async: number[]; expected: number[]; syncExact: boolean; asyncExact: boolean }> {
  await useBackend(backend);
  // large enough (4096 values) that the webgpu backend computes on the GPU, not on its CPU hand-off path
  const input = Array.from({ length: 4096 }, (_, i) => (i % 7) - 3 + i / 4096);
  const expected = input.map((v) => Math.fround(v * 2));
  const t = tf.tidy(() => tf.mul(tf.tensor1d(input), 2));
  try {
    const sync = Array.from(t.dataSync());
    const t2 = tf.tidy(() => tf.mul(tf.tensor1d(input), 2));
    const later = Array.from(await t2.data());
    t2.dispose();
    return { sync: sync.slice(0, 8), async: later.slice(0, 8), expected: expected.slice(0, 8), syncExact: sync.every((v, i) => v === expected[i]), asyncExact: later.every((v, i) => v === expected[i]) };
  } finally {
    t.dispose();
  }
}

/**
 * Median ms to compute a scalar (`sum` of 4096 values) and read it back with `dataSync()` and with
 * `await data()`, as the loss is read each step (for the bench).
 */
async function readTiming(backend: PageBackend, reps = 9): Promise<{ syncMs: number; asyncMs: number }> {
  await useBackend(backend);
  const x = tf.tidy(() => tf.mul(tf.range(0, 4096), 1e-3));
  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const sync: number[] = [];
  const later: number[] = [];
  try {
    for (let i = 0; i < reps + 1; i++) {
      let t0 = performance.now();
      const a = tf.sum(x);
      a.dataSync();
      a.dispose();
      if (i > 0) sync.push(performance.now() - t0);
      t0 = performance.now();
      const b = tf.sum(x);
      await b.data();
      b.dispose();
      if (i > 0) later.push(performance.now() - t0);
    }
  } finally {
    x.dispose();
  }
  return { syncMs: median(sync), asyncMs: median(later) };
}

/** What `window.__webgpu` offers to the test and the bench. */
export interface WebgpuPage {
  adapterInfo: typeof adapterInfo;
  renderSteps: typeof renderSteps;
  gradients: typeof gradients;
  readBack: typeof readBack;
  readTiming: typeof readTiming;
  avgPoolGradcheck: typeof avgPoolGradcheck;
}

(window as unknown as { __webgpu: WebgpuPage }).__webgpu = { adapterInfo, renderSteps, gradients, readBack, readTiming, avgPoolGradcheck };
(window as unknown as { __ready: boolean }).__ready = true;

/**
 * Test-only page (bundled by the playground server with `testEntries: true`): the gradient of an
 * objective w.r.t. the input image, through the small fixture models wrapped by the library's
 * `model.visModel`, on the backend under test and on cpu, in the same page.
 * The end-to-end test calls `window.__gradcheck(request)` and compares.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-webgl';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { backends, model as optvisModel, type VisModel } from '../../src/index';
import { wasmHeapKernels } from '../../src/backends/wasmHeapKernels';
import { makeTestLayersModel } from '../fixtures/models';
import { Rng } from '../../src/ops/random';
import { gradDiff } from './gradDiff';

setWasmPaths('/wasm/');

export interface GradcheckRequest {
  backend: 'webgl' | 'wasm' | 'cpu';
  /**
   * Which fixture: the tfjs-layers model (built in the page), or the tfjs-converter GraphModel,
   * whose artifacts are built in Node (the fixture uses Node's Buffer) and passed as `graph`.
   */
  fixture: 'layers' | 'graph';
  /** The GraphModel fixture's artifacts, weights in base64 (for `fixture: 'graph'`). */
  graph?: { modelTopology: unknown; weightSpecs: tf.io.WeightsManifestEntry[]; weightData: string };
  layers: string[];
  size: number;
  seed: number;
}

export interface GradcheckResult {
  layer: string;
  /** max |g_backend − g_cpu| */
  maxAbsDiff: number;
  /** max |g_cpu| */
  maxAbsRef: number;
  /** objective value on the backend and on cpu */
  value: number;
  valueRef: number;
  ms: number;
  finite: boolean;
  /** `tf.getBackend()` while the gradient was computed */
  backendUsed: string;
  /** tensors alive after the backend's computation minus before (0: no leak) */
  leaked: number;
  /** on wasm: whether the WebAssembly SIMD max-pool gradient kernel runs in this browser */
  simdMaxPoolGrad?: boolean;
}

/** Every channel with its own weight (1, 2, …, C): a channel mix-up or a wrong sign shows. */
function objective(a: tf.Tensor): tf.Scalar {
  const depth = a.shape[a.rank - 1]!;
  return tf.mean(tf.mul(a, tf.range(1, depth + 1)));
}

async function gradOn(backend: string, vm: VisModel, layer: string, image: Float32Array, size: number) {
  if (!(await tf.setBackend(backend))) throw new Error(`backend ${backend} failed to initialise`);
  await tf.ready();
  // As a render session does: wasm needs the library's gradient fixes (e.g. its MaxPoolGrad).
  if (backend === 'wasm') backends.installGradientFixes('wasm');
  const before = tf.memory().numTensors;
  const t0 = performance.now();
  const { g, v } = tf.tidy(() => {
    const x = tf.tensor4d(image, [1, size, size, 3]);
    const f = (img: tf.Tensor): tf.Scalar => {
      const acts = vm.activations(img as tf.Tensor4D, [layer]);
      return objective(acts.get(layer)!);
    };
    const { value, grad } = tf.valueAndGrad(f)(x);
    return { g: grad, v: value };
  });
  const out = {
    g: (await g.data()) as Float32Array,
    v: (await v.data())[0],
    ms: performance.now() - t0,
    backendUsed: tf.getBackend(),
    simdMaxPoolGrad: backend === 'wasm' ? wasmHeapKernels(tf.backend()) !== null : undefined,
  };
  g.dispose();
  v.dispose();
  return { ...out, leaked: tf.memory().numTensors - before };
}

async function gradcheck(req: GradcheckRequest): Promise<GradcheckResult[]> {
  await tf.setBackend('cpu');
  let vm: VisModel;
  let raw: { dispose(): void } | undefined;
  if (req.fixture === 'layers') {
    const m = makeTestLayersModel(req.seed);
    raw = m;
    vm = await optvisModel.visModel(m, { inputRange: [-1, 1] });
  } else {
    if (!req.graph) throw new Error('gradcheck: fixture "graph" needs the artifacts in request.graph');
    const bytes = Uint8Array.from(atob(req.graph.weightData), (c) => c.charCodeAt(0));
    const artifacts: tf.io.ModelArtifacts = {
      format: 'graph-model',
      modelTopology: req.graph.modelTopology as tf.io.ModelArtifacts['modelTopology'],
      weightSpecs: req.graph.weightSpecs,
      weightData: bytes.buffer,
    };
    // the browser loader, as the playground uses it (the VisModel owns the GraphModel)
    vm = await optvisModel.loadModel(tf.io.fromMemory(artifacts), { inputRange: [-1, 1] });
  }
  const rng = new Rng(req.seed);
  const image = Float32Array.from({ length: req.size * req.size * 3 }, () => rng.uniform());
  const results: GradcheckResult[] = [];
  try {
    for (const layer of req.layers) {
      const ref = await gradOn('cpu', vm, layer, image, req.size);
      const got = await gradOn(req.backend, vm, layer, image, req.size);
      const { maxAbsDiff, maxAbsRef, finite } = gradDiff(ref.g, got.g);
      results.push({ layer, maxAbsDiff, maxAbsRef, value: got.v, valueRef: ref.v, ms: got.ms, finite, backendUsed: got.backendUsed, leaked: got.leaked, simdMaxPoolGrad: got.simdMaxPoolGrad });
    }
  } finally {
    await tf.setBackend('cpu');
    vm.dispose();
    raw?.dispose();
  }
  return results;
}

/** What {@link avgPoolGradcheck} measured on one backend. */
export interface AvgPoolGradcheckResult {
  backendUsed: string;
  /** max |g_backend − g_cpu|, both with the library's gradient fixes installed */
  maxAbsDiff: number;
  /** max |g_cpu| */
  maxAbsRef: number;
  /** the same on `backend` with tfjs's own AvgPoolGrad (no fix): how far off the stock kernel is */
  stockMaxAbsDiff: number;
  leaked: number;
}

/**
 * The input gradient of a 3×3 stride-1 'same' average pool (Keras InceptionV3's branch pools) on
 * `backend`, with and without the library's AvgPoolGrad fix, against cpu with the fix.
 */
async function avgPoolGradcheck(backend: 'webgl' | 'wasm'): Promise<AvgPoolGradcheckResult> {
  const rng = new Rng(9);
  const x = Float32Array.from({ length: 7 * 6 * 4 }, () => rng.uniform() * 2 - 1);
  const r = Float32Array.from({ length: 7 * 6 * 4 }, () => rng.uniform() * 2 - 1);
  const grad = async (): Promise<Float32Array> => {
    const g = tf.tidy(() => {
      const rt = tf.tensor4d(r, [1, 7, 6, 4]);
      return tf.grad((v: tf.Tensor) => tf.sum(tf.mul(tf.avgPool(v as tf.Tensor4D, 3, 1, 'same'), rt)))(tf.tensor4d(x, [1, 7, 6, 4]));
    });
    const out = (await g.data()) as Float32Array;
    g.dispose();
    return out;
  };
  await tf.setBackend('cpu');
  backends.installGradientFixes('cpu');
  const ref = await grad();
  await tf.setBackend(backend);
  await tf.ready();
  const before = tf.memory().numTensors;
  backends.uninstallGradientFixes(backend);
  const stock = await grad();
  backends.installGradientFixes(backend);
  const fixed = await grad();
  const backendUsed = tf.getBackend();
  const leaked = tf.memory().numTensors - before;
  await tf.setBackend('cpu');
  const d = gradDiff(ref, fixed);
  return { backendUsed, maxAbsDiff: d.maxAbsDiff, maxAbsRef: d.maxAbsRef, stockMaxAbsDiff: gradDiff(ref, stock).maxAbsDiff, leaked };
}

(window as unknown as { __gradcheck: typeof gradcheck }).__gradcheck = gradcheck;
(window as unknown as { __avgPoolGradcheck: typeof avgPoolGradcheck }).__avgPoolGradcheck = avgPoolGradcheck;
(window as unknown as { __ready: boolean }).__ready = true;

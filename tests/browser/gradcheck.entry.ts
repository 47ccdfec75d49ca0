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
import { avgPoolGradcheck } from './avgPoolCheck';

export type { AvgPoolGradcheckResult } from './avgPoolCheck';

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

(window as unknown as { __gradcheck: typeof gradcheck }).__gradcheck = gradcheck;
(window as unknown as { __avgPoolGradcheck: typeof avgPoolGradcheck }).__avgPoolGradcheck = avgPoolGradcheck;
(window as unknown as { __ready: boolean }).__ready = true;

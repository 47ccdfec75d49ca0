/**
 * Test-only page (bundled by the playground server with `testEntries: true`): computes the gradient
 * of a channel objective w.r.t. the input image through the small fixture models, on the backend
 * under test and on cpu, in the same page, and reports how far apart they are.
 * The end-to-end test calls `window.__gradcheck(request)`.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-webgl';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import * as tfl from '@tensorflow/tfjs-layers';
import '../../src/ops/registerGradients';
import { makeTestLayersModel } from '../fixtures/models';
import { Rng } from '../../src/ops/random';

setWasmPaths('/wasm/');

export interface GradcheckRequest {
  backend: 'webgl' | 'wasm' | 'cpu';
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
  /** objective value on both backends */
  value: number;
  valueRef: number;
  ms: number;
  finite: boolean;
  /** `tf.getBackend()` while the gradient was computed */
  backendUsed: string;
}

async function gradOn(backend: string, model: tfl.LayersModel, layer: string, image: Float32Array, size: number): Promise<{ g: Float32Array; v: number; ms: number; backendUsed: string }> {
  if (!(await tf.setBackend(backend))) throw new Error(`backend ${backend} failed to initialise`);
  await tf.ready();
  const t0 = performance.now();
  const sub = tfl.model({ inputs: model.inputs, outputs: model.getLayer(layer).output as tfl.SymbolicTensor });
  const { g, v } = tf.tidy(() => {
    const x = tf.tensor4d(image, [1, size, size, 3]);
    const f = (img: tf.Tensor): tf.Scalar => {
      const a = sub.apply(tf.sub(tf.mul(img, 2), 1)) as tf.Tensor;
      // every channel with its own weight (1, 2, ..., C): a sign or channel mix-up shows
      const depth = a.shape[a.rank - 1]!;
      return tf.mean(tf.mul(a, tf.range(1, depth + 1)));
    };
    const { value, grad } = tf.valueAndGrad(f)(x);
    return { g: grad, v: value };
  });
  const out = { g: (await g.data()) as Float32Array, v: (await v.data())[0], ms: performance.now() - t0, backendUsed: tf.getBackend() };
  g.dispose();
  v.dispose();
  return out;
}

async function gradcheck(req: GradcheckRequest): Promise<GradcheckResult[]> {
  await tf.setBackend('cpu');
  const model = makeTestLayersModel(req.seed);
  const rng = new Rng(req.seed);
  const image = Float32Array.from({ length: req.size * req.size * 3 }, () => rng.uniform());
  const results: GradcheckResult[] = [];
  try {
    for (const layer of req.layers) {
      const ref = await gradOn('cpu', model, layer, image, req.size);
      const got = await gradOn(req.backend, model, layer, image, req.size);
      let maxAbsDiff = 0;
      let maxAbsRef = 0;
      let finite = true;
      for (let i = 0; i < ref.g.length; i++) {
        if (!Number.isFinite(got.g[i])) finite = false;
        maxAbsDiff = Math.max(maxAbsDiff, Math.abs(got.g[i] - ref.g[i]));
        maxAbsRef = Math.max(maxAbsRef, Math.abs(ref.g[i]));
      }
      results.push({ layer, maxAbsDiff, maxAbsRef, value: got.v, valueRef: ref.v, ms: got.ms, finite, backendUsed: got.backendUsed });
    }
  } finally {
    await tf.setBackend('cpu');
    model.dispose();
  }
  return results;
}

(window as unknown as { __gradcheck: typeof gradcheck }).__gradcheck = gradcheck;
(window as unknown as { __ready: boolean }).__ready = true;

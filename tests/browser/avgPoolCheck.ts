/**
 * Test-page helper shared by gradcheck.entry.ts and webgpu.entry.ts: the input gradient of a 3×3
 * stride-1 'same' average pool on a backend, with tfjs's own AvgPoolGrad and with the library's fix,
 * against cpu with the fix.
 */
import * as tf from '@tensorflow/tfjs-core';
import { backends } from '../../src/index';
import { Rng } from '../../src/ops/random';
import { gradDiff } from './gradDiff';

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
export async function avgPoolGradcheck(backend: 'webgl' | 'wasm' | 'webgpu'): Promise<AvgPoolGradcheckResult> {
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

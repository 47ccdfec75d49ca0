/**
 * Benchmark of the matmul inverse real 2-D DFT used by `param.fftImage` (forward + backward), on
 * wasm and cpu, next to tfjs's own cpu FFT (`tf.spectral.ifft` along h + `tf.spectral.irfft` along
 * w, forward only: it has no gradient, and wasm has no FFT kernels).
 *
 * Run: `npx tsx bench/irfft2d.bench.ts` (plain script, not a vitest file).
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import '../src/ops/registerGradients';
import { irfft2dBasis } from '../src/ops/irfft2d';

const SIZES = [128, 224];
const CH = 3;
const REPS = Number(process.env.REPS ?? 5);

/** Minimum over `reps` runs after a warm-up (the minimum is the most robust on a shared machine). */
function timeIt(fn: () => void, reps: number): number {
  fn(); // warm-up
  let best = Infinity;
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    fn();
    best = Math.min(best, performance.now() - t0);
  }
  return best;
}

async function main(): Promise<void> {
  const rows: string[] = [];
  for (const backend of ['wasm', 'cpu'] as const) {
    await tf.setBackend(backend);
    await tf.ready();
    for (const size of SIZES) {
      const wf = size / 2 + 1;
      const basis = irfft2dBasis(size, wf, { width: size });
      const init = tf.randomNormal([2, 1, CH, size, wf], 0, 1, 'float32', 1);
      const spectrum = tf.variable(init);
      init.dispose();
      const reps = backend === 'cpu' ? Math.max(1, Math.floor(REPS / 2)) : REPS;
      const fwd = timeIt(() => {
        // (never return a typed array from tf.tidy: it would walk it as a tensor container)
        tf.tidy(() => {
          basis.toImage(spectrum).dataSync();
        });
      }, reps);
      const fwdBwd = timeIt(
        () =>
          void tf.tidy(() => {
            const { value, grads } = tf.variableGrads(() => tf.mean(basis.toImage(spectrum)) as tf.Scalar, [spectrum]);
            grads[spectrum.name].dataSync();
            value.dataSync();
          }),
        reps,
      );
      let fftFwd = NaN;
      if (backend === 'cpu') {
        fftFwd = timeIt(
          () =>
            void tf.tidy(() => {
              const re = tf.reshape(tf.slice(spectrum, [0, 0, 0, 0, 0], [1, 1, CH, size, wf]), [CH, size, wf]);
              const im = tf.reshape(tf.slice(spectrum, [1, 0, 0, 0, 0], [1, 1, CH, size, wf]), [CH, size, wf]);
              const c = tf.complex(tf.transpose(re, [0, 2, 1]), tf.transpose(im, [0, 2, 1]));
              const alongH = tf.transpose(tf.spectral.ifft(c), [0, 2, 1]); // complex ifft along h
              tf.spectral.irfft(alongH).dataSync(); // real inverse along w: [CH, size, size]
            }),
          reps,
        );
      }
      rows.push(
        `${backend.padEnd(5)} ${String(size).padStart(4)}  matmul fwd ${fwd.toFixed(1).padStart(7)} ms  fwd+bwd ${fwdBwd.toFixed(1).padStart(7)} ms` +
          (backend === 'cpu' ? `   tf.spectral fwd ${fftFwd.toFixed(1).padStart(7)} ms (no gradient)` : '   tf.spectral: no FFT kernels on wasm'),
      );
      spectrum.dispose();
      basis.dispose();
    }
  }
  console.log(`irfft2d, batch 1, ${CH} channels, best of ${REPS} runs (cpu: ${Math.max(1, Math.floor(REPS / 2))})`);
  for (const r of rows) console.log(r);
}

void main();

import * as tf from '@tensorflow/tfjs-core';
import '../ops/registerGradients';
import { fail, show } from '../errors';
import { checkPositive, readNested } from '../validate';
import { irfft2dBasis, type Irfft2dBasis } from '../ops/irfft2d';
import { type RandomSource } from '../ops/random';
import { makeParam, normalVariable, shapedParamArgs, variableFrom } from './common';
import type { Param } from './types';

/** numpy's `fftfreq(n)[i]`: `i/n` for the first `(n−1)//2 + 1` entries, `(i−n)/n` after. */
function fftfreq(n: number, i: number): number {
  return i <= Math.floor((n - 1) / 2) ? i / n : (i - n) / n;
}

/**
 * Frequencies (cycles per pixel) of the half spectrum of an `h × w` image: `sqrt(fx² + fy²)`.
 *
 * Why: the spectral parameterization scales every coefficient by `1/frequency` so that all
 * frequencies start with equal energy. Follows numpy's `fftfreq` rules; for odd `w` one extra
 * (negative) column is kept, `w//2 + 2` in total, because the inverse real transform then has an
 * even length `w + 1` and the extra pixel column is cropped.
 *
 * @example
 * ```ts
 * rfft2dFreqs(2, 3); // [[0, 1/3, 1/3], [0.5, 0.6009, 0.6009]]
 * ```
 * @param h image height (≥ 1).
 * @param w image width (≥ 1).
 * @returns `h` rows of `w//2 + 1` (even `w`) or `min(w, w//2 + 2)` (odd `w`) plain numbers.
 *
 * @remarks
 * Port of `lucid.optvis.param.spatial.rfft2d_freqs`.
 */
export function rfft2dFreqs(h: number, w: number): number[][] {
  checkPositive('param.rfft2dFreqs', 'h', h);
  checkPositive('param.rfft2dFreqs', 'w', w);
  const wf = Math.min(w, w % 2 === 1 ? Math.floor(w / 2) + 2 : Math.floor(w / 2) + 1);
  const out: number[][] = [];
  for (let i = 0; i < h; i++) {
    const fy = fftfreq(h, i);
    const row: number[] = [];
    for (let j = 0; j < wf; j++) {
      const fx = fftfreq(w, j);
      row.push(Math.sqrt(fx * fx + fy * fy));
    }
    out.push(row);
  }
  return out;
}

/** Options of {@link pixelImage}. */
export interface PixelImageOptions {
  /** Standard deviation of the random initialization. Default 0.01 (0 is allowed: all zeros). */
  readonly sd?: number;
  /** Initial values of the shape given (a tensor or nested array, copied); `sd` is then ignored. */
  readonly init?: tf.Tensor | readonly unknown[];
  /** Seed (or seeded generator) of the random initialization. */
  readonly seed?: RandomSource;
}

/**
 * The naive parameterization: one trainable variable per pixel and channel.
 *
 * Why: the baseline every other parameterization is compared against; usually combined with
 * {@link toValidRgb} and strong transforms, since per-pixel optimization produces high-frequency
 * noise otherwise.
 *
 * @example
 * ```ts
 * const p = pixelImage([1, 32, 32, 3], { seed: 1 });
 * const raw = p.image(); // [1, 32, 32, 3], unbounded values
 * ```
 * @param shape `[batch, h, w, channels]`.
 * @param options see {@link PixelImageOptions} (defaults stated there).
 * @returns a {@link Param} whose `image()` returns the raw variable values (not squashed to [0, 1]);
 *   the caller owns each returned tensor, the param owns its variable.
 *
 * @remarks
 * Port of `lucid.optvis.param.spatial.pixel_image`. Differences: `sd: 0` means zeros (Lucid's
 * `sd or 0.01` turns 0 into 0.01); giving both `init` and `sd` silently uses `init`.
 */
export function pixelImage(shape: readonly number[], options: PixelImageOptions = {}): Param<tf.Tensor4D> {
  const FN = 'param.pixelImage';
  const { o, shape: s, sd, rng } = shapedParamArgs(FN, shape, [4], options, ['sd', 'init', 'seed']);
  const v = o.init !== undefined ? variableFrom(readNested(FN, 'options.init', o.init, s).data, s) : normalVariable(s, sd, rng);
  return makeParam<tf.Tensor4D>({ fn: FN, shape: s, variables: [v], owned: [], build: () => tf.clone(v) as tf.Tensor4D });
}

/**
 * The constant parts of a spectral image: the irfft basis and the per-frequency scale (with the
 * final `/4` folded in). Internal; owned by the param that made it.
 */
export interface SpectralCore {
  readonly spectrumShape: readonly [2, number, number, number, number];
  readonly basis: Irfft2dBasis;
  /** `[h, wf]` float32 scale = `sqrt(w·h) / max(f, 1/max(w, h))^decayPower / 4`. */
  readonly scale: tf.Tensor2D;
  /** Host copy of the scale (float64) for initialising spectra from pixels. */
  readonly scaleHost: Float64Array;
  /** raw NHWC image of a `[2, b, ch, h, wf]` spectrum. Runs in the caller's tidy. */
  toImage(spectrum: tf.Tensor): tf.Tensor4D;
  dispose(): void;
}

/** Builds the spectral constants for `[b, h, w, ch]`; validates `decayPower`. */
export function spectralCore(fn: string, shape: readonly number[], decayPower: number): SpectralCore {
  const [b, h, w, ch] = shape;
  if (typeof decayPower !== 'number' || !Number.isFinite(decayPower)) {
    fail(fn, `options.decayPower must be a finite number, but got ${show(decayPower)}.`);
  }
  if (w < 2) fail(fn, `shape[2] (width) must be at least 2 for the spectral parameterization, but got ${w}.`);
  const freqs = rfft2dFreqs(h, w);
  const wf = freqs[0].length;
  const floor = 1 / Math.max(w, h);
  const scaleHost = new Float64Array(h * wf);
  for (let i = 0; i < h; i++) {
    for (let j = 0; j < wf; j++) {
      scaleHost[i * wf + j] = (Math.sqrt(w * h) / Math.max(freqs[i][j], floor) ** decayPower) / 4;
    }
  }
  const basis = irfft2dBasis(h, wf, { width: w });
  const scale = tf.tensor2d(Float32Array.from(scaleHost), [h, wf]);
  return {
    spectrumShape: [2, b, ch, h, wf],
    basis,
    scale,
    scaleHost,
    toImage: (spectrum) => basis.toImage(tf.mul(spectrum, scale)),
    dispose: () => {
      basis.dispose();
      scale.dispose();
    },
  };
}

/** Options of {@link fftImage}. */
export interface FftImageOptions {
  /** Standard deviation of the random spectrum. Default 0.01 (0 is allowed: all zeros). */
  readonly sd?: number;
  /** Exponent of the `1/frequency` scaling. Default 1. */
  readonly decayPower?: number;
  /** Seed (or seeded generator) of the random initialization. */
  readonly seed?: RandomSource;
}

/**
 * An image parameterized by its 2-D Fourier coefficients, each scaled by `1/frequency`.
 *
 * Why (Olah et al., "Feature Visualization", 2017; Mordvintsev et al., "Differentiable Image
 * Parameterizations", 2018): gradient steps on pixels are dominated by high frequencies; in a
 * scaled Fourier basis every frequency gets equal energy (a whitened, decorrelated space), so
 * gradient descent yields much cleaner visualizations. The variable is the spectrum
 * `[2, batch, channels, h, wf]` (real, imaginary) drawn from N(0, sd²); it is multiplied by
 * `sqrt(w·h) / max(f, 1/max(w, h))^decayPower` (normalised energy, then a unitary-like scale so
 * pixel-like learning rates work), inverse-transformed as TensorFlow's `irfft2d`, transposed to
 * NHWC, cropped to `w` (odd widths) and divided by 4.
 *
 * The inverse transform is `irfft2dBasis` in src/ops/irfft2d.ts (host FFTs on cpu and wasm, matrix products
 * on GPU backends, with its own gradient): it runs and differentiates on every backend, including wasm which
 * has no FFT.
 *
 * @example
 * ```ts
 * const p = fftImage([1, 64, 64, 3], { seed: 0 });
 * const raw = p.image(); // [1, 64, 64, 3], unbounded; see toValidRgb
 * p.dispose();
 * ```
 * @param shape `[batch, h, w, channels]`, `w ≥ 2`.
 * @param options see {@link FftImageOptions} (defaults stated there).
 * @returns a {@link Param} returning raw (unsquashed) images; it owns its variable and the constant
 *   DFT bases and scale (freed by `dispose()`); the caller owns each returned image.
 *
 * @remarks
 * Port of `lucid.optvis.param.spatial.fft_image`. Difference: `sd: 0` means a zero spectrum (Lucid's
 * `sd or 0.01` turns 0 into 0.01).
 */
export function fftImage(shape: readonly number[], options: FftImageOptions = {}): Param<tf.Tensor4D> {
  const FN = 'param.fftImage';
  const { o, shape: s, sd, rng } = shapedParamArgs(FN, shape, [4], options, ['sd', 'decayPower', 'seed']);
  const core = spectralCore(FN, s, o.decayPower ?? 1);
  const v = normalVariable(core.spectrumShape, sd, rng);
  return makeParam<tf.Tensor4D>({ fn: FN, shape: s, variables: [v], owned: [core], build: () => core.toImage(v) });
}

/** `cos` and `sin` of the DFT phases `2π·k·m/n` for `k < rows`, `m < n`, row-major (float64). */
function dftTable(rows: number, n: number): [Float64Array, Float64Array] {
  const cos = new Float64Array(rows * n), sin = new Float64Array(rows * n);
  for (let k = 0; k < rows; k++) {
    for (let m = 0; m < n; m++) {
      const ph = (2 * Math.PI * ((k * m) % n)) / n;
      cos[k * n + m] = Math.cos(ph);
      sin[k * n + m] = Math.sin(ph);
    }
  }
  return [cos, sin];
}

/**
 * Forward real 2-D DFT (unnormalised, TensorFlow's `rfft2d`) of `x` divided by the core's scale (which
 * includes the final `/4`, so this equals `rfft2d(4·x) / (1/f scale)`): the spectrum whose
 * {@link SpectralCore.toImage} is `x`. `x` is `[b, h, w, ch]` float64 NHWC data.
 * For odd `w` the image is extended to `w + 1` columns by repeating its last column before the
 * transform (any extension reproduces the first `w` columns; this one avoids a jump at the edge).
 */
export function spectrumFromImage(core: SpectralCore, shape: readonly number[], x: Float64Array): Float32Array {
  const [b, h, w, ch] = shape;
  const [, , , , wf] = core.spectrumShape;
  const n = core.basis.fftLength;
  const out = new Float32Array(2 * b * ch * h * wf);
  const [cosW, sinW] = dftTable(wf, n);
  const [cosH, sinH] = dftTable(h, h);
  const row = new Float64Array(n);
  const rRe = new Float64Array(h * wf), rIm = new Float64Array(h * wf);
  const half = b * ch * h * wf;
  for (let bi = 0; bi < b; bi++) {
    for (let c = 0; c < ch; c++) {
      // Along the width: R[mh, k] = Σ_m x[mh, m] e^{-2πi k m / n}.
      for (let mh = 0; mh < h; mh++) {
        for (let m = 0; m < n; m++) row[m] = x[((bi * h + mh) * w + Math.min(m, w - 1)) * ch + c];
        for (let k = 0; k < wf; k++) {
          let re = 0, im = 0;
          for (let m = 0; m < n; m++) {
            re += row[m] * cosW[k * n + m];
            im -= row[m] * sinW[k * n + m];
          }
          rRe[mh * wf + k] = re;
          rIm[mh * wf + k] = im;
        }
      }
      // Along the height: F[kh, k] = Σ_mh R[mh, k] e^{-2πi kh mh / h}; then divide by the scale.
      const base = ((bi * ch + c) * h) * wf;
      for (let kh = 0; kh < h; kh++) {
        for (let k = 0; k < wf; k++) {
          let re = 0, im = 0;
          for (let mh = 0; mh < h; mh++) {
            const cs = cosH[kh * h + mh], sn = sinH[kh * h + mh];
            const a = rRe[mh * wf + k], bb = rIm[mh * wf + k];
            re += a * cs + bb * sn;
            im += bb * cs - a * sn;
          }
          const sc = core.scaleHost[kh * wf + k];
          out[base + kh * wf + k] = re / sc;
          out[half + base + kh * wf + k] = im / sc;
        }
      }
    }
  }
  return out;
}

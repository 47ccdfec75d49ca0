import * as tf from '@tensorflow/tfjs-core';
import './registerGradients';
import { fail, show } from '../errors';
import { checkPositive, checkTensor } from '../validate';
import { fftPlan, type FftPlan } from './complexFft';
import { recentCache } from './recentCache';
import { tensorsOnHost } from './hostMemory';

/**
 * An inverse real 2-D DFT with its own gradient (host FFTs or two matrix products with constant bases).
 *
 * Made by {@link irfft2dBasis}. Once the matrix products have run (GPU backends, or `method:
 * 'matmul'`), it owns four constant tensors (the bases and their pre-transposed copies) until
 * {@link Irfft2dBasis.dispose}; the host FFTs need none.
 */
export interface Irfft2dBasis {
  /** Rows of the spectrum and of the image (`h`). */
  readonly height: number;
  /** Columns of the half spectrum (`wf`). */
  readonly spectrumWidth: number;
  /** Length of the inverse transform along the width, `2·(wf − 1)` as TensorFlow's `irfft2d`. */
  readonly fftLength: number;
  /** Image columns produced: the first `width` of the `fftLength` columns. */
  readonly width: number;
  /**
   * Turns a spectrum into an NHWC image.
   *
   * @param spectrum `[2, b, ch, h, wf]`: real parts at index 0, imaginary parts at index 1.
   * @returns `[b, h, width, ch]`, owned by the caller. Differentiable with respect to `spectrum` on
   *   every backend (the gradient is two matrix products as well).
   */
  toImage(spectrum: tf.Tensor): tf.Tensor4D;
  /** Whether {@link dispose} was called. */
  readonly isDisposed: boolean;
  /** Frees the bases. Calling it twice is harmless. */
  dispose(): void;
}

const FN = 'ops.irfft2dBasis';

/** Options of {@link irfft2dBasis}. */
export interface Irfft2dOptions {
  /** Image columns to keep, 1 ≤ width ≤ `2·(wf − 1)`; default all of them. */
  readonly width?: number;
  /**
   * How to compute it: `'auto'` (default) runs host FFTs on backends whose tensors live in host
   * memory (cpu, wasm) and the matrix products elsewhere (webgl, webgpu: no read-back per step);
   * `'matmul'` and `'host'` force one (tests compare both on every backend).
   */
  readonly method?: 'auto' | 'matmul' | 'host';
}

/**
 * Builds TensorFlow's `tf.signal.irfft2d` (fft length `[h, 2·(wf − 1)]`) with its gradient, followed
 * by a transpose to NHWC and a crop to the first `width` columns.
 *
 * Why: tfjs has no gradient for its FFT kernels and the wasm backend has no FFT at all, but Lucid's
 * spectral parameterization needs the gradient of the inverse transform. Two ways, same values
 * (≈1e-7 relative): on backends whose data is in host memory (cpu, wasm) float64 FFTs on the host
 * (src/ops/complexFft.ts), forward and adjoint, 1.1–3× faster than the products from 128 to 512 px;
 * on GPU backends two dense matrix products, whose gradient is two more products with the
 * transposed bases — no read-back per step. The bases are computed once in float64 and stored
 * pre-transposed, because `matMul` with `transposeA/B` flags is about ten times slower on wasm.
 *
 * Semantics follow TensorFlow's CPU kernel exactly: a complex inverse DFT along the height (divided
 * by `h`), then a real inverse DFT along the width (divided by `fftLength`) in which the imaginary
 * parts of the DC column and of the Nyquist column (index `wf − 1`) are ignored.
 *
 * @example
 * ```ts
 * const basis = irfft2dBasis(16, 9);        // a 16×16 image from a 16×9 half spectrum
 * const spectrum = tf.randomNormal([2, 1, 3, 16, 9]);
 * const img = basis.toImage(spectrum);      // [1, 16, 16, 3]
 * basis.dispose();
 * ```
 * @param height `h`, the number of rows (≥ 1).
 * @param spectrumWidth `wf`, the number of columns of the half spectrum (≥ 2).
 * @param options `width`: number of image columns to keep, 1 ≤ width ≤ `2·(wf − 1)`, default all of
 *   them (Lucid keeps one extra frequency for odd widths and crops the extra column afterwards);
 *   `method`: see {@link Irfft2dOptions}.
 * @returns an object that owns its constant bases (made on first use by the matrix products); call
 *   `dispose()` when done.
 *
 * Used by `param.fftImage`; Lucid calls `tf.signal.irfft2d` in `lucid.optvis.param.spatial.fft_image`.
 */
export function irfft2dBasis(height: number, spectrumWidth: number, options: Irfft2dOptions = {}): Irfft2dBasis {
  checkPositive(FN, 'height', height);
  checkPositive(FN, 'spectrumWidth', spectrumWidth);
  if (spectrumWidth < 2) fail(FN, `spectrumWidth must be at least 2, but got ${show(spectrumWidth)}.`);
  const n = 2 * (spectrumWidth - 1);
  const width = options.width ?? n;
  checkPositive(FN, 'options.width', width);
  if (width > n) fail(FN, `options.width must be at most 2·(spectrumWidth − 1) = ${n}, but got ${show(width)}.`);
  const h = height;
  const wf = spectrumWidth;

  const method = options.method ?? 'auto';
  if (method !== 'auto' && method !== 'matmul' && method !== 'host') {
    fail(FN, `options.method must be 'auto', 'matmul' or 'host', but got ${show(method)}.`);
  }
  // The matrix-product bases, made on first use (the host FFTs need none): at 1024 px they are
  // 40 MB and take 0.6 s to compute. Kept out of any caller's tidy.
  let bases: { hMat: tf.Tensor2D; hMatT: tf.Tensor2D; wMat: tf.Tensor2D; wMatT: tf.Tensor2D } | null = null;
  const matrices = (): NonNullable<typeof bases> => {
    if (bases === null) {
      const host = hostBases(h, wf, width); // copied below: the cpu backend keeps the arrays it is given
      bases = {
        hMat: tf.keep(tf.tensor2d(host.h.slice(), [2 * h, 2 * h])),
        hMatT: tf.keep(tf.tensor2d(host.hT.slice(), [2 * h, 2 * h])),
        wMat: tf.keep(tf.tensor2d(host.w.slice(), [2 * wf, width])),
        wMatT: tf.keep(tf.tensor2d(host.wT.slice(), [width, 2 * wf])),
      };
    }
    return bases;
  };
  let disposed = false;

  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const x = args[0] as tf.Tensor;
    const [, b, ch] = x.shape;
    const { hMat, hMatT, wMat, wMatT } = matrices();
    const value = tf.tidy(() => {
      // [2, B, h, wf] -> [2h, B·wf]
      // Every transpose is of rank 4: tfjs's wasm Transpose has fast paths up to rank 4 only (a
      // rank-5 one took 60–80 % of the parameterization's time from batch 2 on). One image: rows
      // (h, c) of the second product; several: rows (b, c, h).
      const xs = tf.reshape(tf.transpose(tf.reshape(x, [2, b * ch, h, wf]), [0, 2, 1, 3]), [2 * h, b * ch * wf]);
      const y = tf.matMul(hMat, xs); // [2h, B·wf] = [2, h, b·ch, wf]
      if (b === 1) {
        const ys = tf.reshape(tf.transpose(tf.reshape(y, [2, h, ch, wf]), [1, 2, 0, 3]), [h * ch, 2 * wf]);
        const img = tf.reshape(tf.matMul(ys, wMat), [1, h, ch, width]);
        return (ch === 1 ? tf.reshape(img, [1, h, width, 1]) : tf.transpose(img, [0, 1, 3, 2])) as tf.Tensor4D;
      }
      const ys = tf.reshape(tf.transpose(tf.reshape(y, [2, h, b * ch, wf]), [2, 1, 0, 3]), [b * ch * h, 2 * wf]);
      const img = tf.reshape(tf.matMul(ys, wMat), [b, ch, h, width]);
      return (ch === 1 ? tf.reshape(img, [b, h, width, 1]) : tf.transpose(img, [0, 2, 3, 1])) as tf.Tensor4D;
    });
    const gradFunc = (dy: tf.Tensor): tf.Tensor =>
      tf.tidy(() => {
        let dyy: tf.Tensor;
        if (b === 1) {
          const d = ch === 1 ? tf.reshape(dy, [h, width]) : tf.reshape(tf.transpose(dy, [0, 1, 3, 2]), [h * ch, width]);
          const dys = tf.matMul(d, wMatT); // [h·ch, 2·wf] = [h, ch, 2, wf]
          dyy = tf.reshape(tf.transpose(tf.reshape(dys, [h, ch, 2, wf]), [2, 0, 1, 3]), [2 * h, ch * wf]);
        } else {
          const d = ch === 1 ? tf.reshape(dy, [b * h, width]) : tf.reshape(tf.transpose(dy, [0, 3, 1, 2]), [b * ch * h, width]);
          const dys = tf.matMul(d, wMatT); // [b·ch·h, 2·wf] = [b·ch, h, 2, wf]
          dyy = tf.reshape(tf.transpose(tf.reshape(dys, [b * ch, h, 2, wf]), [2, 1, 0, 3]), [2 * h, b * ch * wf]);
        }
        const dxs = tf.matMul(hMatT, dyy); // [2h, B·wf] = [2, h, B, wf]
        return tf.reshape(tf.transpose(tf.reshape(dxs, [2, h, b * ch, wf]), [0, 2, 1, 3]), x.shape);
      });
    return { value, gradFunc };
  });

  // The same transform by host FFTs (float64), O(h·wf·log) instead of the products' O(h²·wf + h·wf·w).
  const hostOp = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const x = args[0] as tf.Tensor;
    const [, b, ch] = x.shape;
    const value = tf.tensor4d(irfft2dOnHost(x.dataSync() as Float32Array, b, ch, h, wf, width), [b, h, width, ch]);
    const gradFunc = (dy: tf.Tensor): tf.Tensor => tf.tensor(irfft2dAdjointOnHost(dy.dataSync() as Float32Array, b, ch, h, wf, width), x.shape);
    return { value, gradFunc };
  });

  return {
    height: h,
    spectrumWidth: wf,
    fftLength: n,
    width,
    get isDisposed() {
      return disposed;
    },
    toImage(spectrum: tf.Tensor): tf.Tensor4D {
      const fn = 'ops.irfft2dBasis.toImage';
      if (disposed) fail(fn, 'the basis must not be disposed, but got a disposed basis.');
      checkTensor(fn, 'spectrum', spectrum);
      const s = spectrum.shape;
      if (s.length !== 5 || s[0] !== 2 || s[3] !== h || s[4] !== wf) {
        fail(fn, `spectrum must have shape [2, b, ch, ${h}, ${wf}], but got [${s.join(', ')}].`);
      }
      if (spectrum.dtype !== 'float32') fail(fn, `spectrum must be float32, but got ${spectrum.dtype}.`);
      const onHost = method === 'host' || (method === 'auto' && tensorsOnHost());
      return (onHost ? hostOp(spectrum) : op(spectrum)) as tf.Tensor4D;
    },
    dispose(): void {
      if (disposed) return;
      disposed = true;
      if (bases !== null) tf.dispose([bases.wMat, bases.wMatT, bases.hMat, bases.hMatT]);
      bases = null;
    },
  };
}

/** Host (float32) copies of the bases, as given and transposed. */
interface HostBases {
  readonly h: Float32Array;
  readonly hT: Float32Array;
  readonly w: Float32Array;
  readonly wT: Float32Array;
}

// A few recently used host bases, so that params created per step (e.g. the random backgrounds of
// `transform.collapseAlphaRandom`) do not recompute trigonometric tables. Plain arrays, no tensors.
const HOST_CACHE = recentCache<string, HostBases>(6);

function hostBases(h: number, wf: number, width: number): HostBases {
  return HOST_CACHE.get(`${h}x${wf}x${width}`, () => computeHostBases(h, wf, width));
}

function computeHostBases(h: number, wf: number, width: number): HostBases {
  const n = 2 * (wf - 1);
  // Along the height first (complex inverse DFT): [Yr; Yi] = [[Ch, −Sh], [Sh, Ch]] · [Xr; Xi], a
  // (2h × 2h) matrix. Then along the width (real part of the inverse DFT of a Hermitian row):
  // x = [Yr | Yi] · [Wc; Ws], a (2·wf × width) matrix. Doing the complex step on the height keeps
  // the second product real-valued: 3·b·ch·h²·wf + … multiply-adds instead of 4·b·ch·h²·wf.
  const hB = new Float32Array(4 * h * h);
  const hT = new Float32Array(4 * h * h);
  const m2 = 2 * h;
  for (let m = 0; m < h; m++) {
    for (let k = 0; k < h; k++) {
      const phase = (2 * Math.PI * ((k * m) % h)) / h;
      const c = Math.cos(phase) / h;
      const s = Math.sin(phase) / h;
      const entries: [number, number, number][] = [
        [m, k, c],
        [m, h + k, -s],
        [h + m, k, s],
        [h + m, h + k, c],
      ];
      for (const [r, q, v] of entries) {
        hB[r * m2 + q] = v;
        hT[q * m2 + r] = v;
      }
    }
  }
  const w = new Float32Array(2 * wf * width);
  const wT = new Float32Array(2 * wf * width);
  for (let k = 0; k < wf; k++) {
    const a = k === 0 || k === n / 2 ? 1 : 2;
    for (let m = 0; m < width; m++) {
      const phase = (2 * Math.PI * ((k * m) % n)) / n;
      const c = (a * Math.cos(phase)) / n;
      // The imaginary parts of the DC and Nyquist columns do not contribute (sin = 0 exactly there).
      const s = k === 0 || k === n / 2 ? 0 : (-a * Math.sin(phase)) / n;
      w[k * width + m] = c;
      w[(wf + k) * width + m] = s;
      wT[m * 2 * wf + k] = c;
      wT[m * 2 * wf + wf + k] = s;
    }
  }
  return { h: hB, hT, w, wT };
}

/** The plans and float64 scratch shared by {@link irfft2dOnHost} and its adjoint. */
interface HostLayout {
  /** Row FFT length `2·(wf − 1)`. */
  readonly n: number;
  readonly colPlan: FftPlan;
  readonly rowPlan: FftPlan;
  /** Row pairs per channel (two real rows per complex row FFT). */
  readonly pairs: number;
  /** `[h][wf]` complex scratch of the column FFTs. */
  readonly yRe: Float64Array;
  readonly yIm: Float64Array;
  /** `[n][pairs]` complex scratch of the row FFTs. */
  readonly zRe: Float64Array;
  readonly zIm: Float64Array;
  /** Offset of the imaginary parts in the spectrum, `b·ch·h·wf`. */
  readonly half: number;
  /** `1 / (h·n)`, both inverse transforms' normalization. */
  readonly norm: number;
}

function hostLayout(b: number, ch: number, h: number, wf: number): HostLayout {
  const n = 2 * (wf - 1);
  const pairs = Math.ceil(h / 2);
  return {
    n,
    colPlan: fftPlan(h),
    rowPlan: fftPlan(n),
    pairs,
    yRe: new Float64Array(h * wf),
    yIm: new Float64Array(h * wf),
    zRe: new Float64Array(n * pairs),
    zIm: new Float64Array(n * pairs),
    half: b * ch * h * wf,
    norm: 1 / (h * n),
  };
}

/**
 * TensorFlow's `irfft2d` of `[2, b, ch, h, wf]` (real parts, then imaginary parts), transposed to
 * NHWC and cropped to `width` columns, by host FFTs in float64: a complex inverse FFT down each
 * column, then a real inverse FFT along each row (two rows per complex FFT of length
 * `n = 2·(wf − 1)`, one in the real part and one in the imaginary part), with the imaginary parts
 * of the DC and Nyquist columns ignored, as TensorFlow does. All columns (then all row pairs) of
 * one channel are transformed together, the lines innermost.
 */
function irfft2dOnHost(x: Float32Array, b: number, ch: number, h: number, wf: number, width: number): Float32Array {
  const { n, colPlan, rowPlan, pairs, yRe, yIm, zRe, zIm, half, norm } = hostLayout(b, ch, h, wf);
  const out = new Float32Array(b * h * width * ch);
  const ph = colPlan.perm, pn = rowPlan.perm;
  for (let bc = 0; bc < b * ch; bc++) {
    const bi = Math.floor(bc / ch), c = bc % ch;
    const o = bc * h * wf;
    for (let i = 0; i < h; i++) {
      const src = o + i * wf, dst = ph[i] * wf;
      for (let k = 0; k < wf; k++) {
        yRe[dst + k] = x[src + k];
        yIm[dst + k] = x[half + src + k];
      }
    }
    colPlan.runPermuted(yRe, yIm, wf, 1); // yRe/yIm: [h][wf]
    for (let l = 0; l < pairs; l++) {
      const a = 2 * l * wf, hasB = 2 * l + 1 < h, bb = a + wf;
      // Z = Z1 + i·Z2 with Z1, Z2 the Hermitian extensions of rows 2l and 2l + 1.
      for (let k = 0; k < wf; k++) {
        const edge = k === 0 || k === wf - 1;
        const ar = yRe[a + k], ai = edge ? 0 : yIm[a + k];
        const br = hasB ? yRe[bb + k] : 0, bi2 = hasB && !edge ? yIm[bb + k] : 0;
        const p0 = pn[k] * pairs + l;
        zRe[p0] = ar - bi2;
        zIm[p0] = ai + br;
        if (!edge) {
          const p1 = pn[n - k] * pairs + l;
          zRe[p1] = ar + bi2;
          zIm[p1] = br - ai;
        }
      }
    }
    rowPlan.runPermuted(zRe, zIm, pairs, 1); // zRe/zIm: [n][pairs]
    for (let l = 0; l < pairs; l++) {
      const r1 = (bi * h + 2 * l) * width * ch + c;
      for (let j = 0; j < width; j++) out[r1 + j * ch] = zRe[j * pairs + l] * norm;
      if (2 * l + 1 < h) {
        const r2 = r1 + width * ch;
        for (let j = 0; j < width; j++) out[r2 + j * ch] = zIm[j * pairs + l] * norm;
      }
    }
  }
  return out;
}

/**
 * The adjoint (gradient) of {@link irfft2dOnHost}: `dy` `[b, h, width, ch]` → `[2, b, ch, h, wf]`.
 * Forward FFT of each zero-padded row (two real rows per complex FFT), weights `1/n` on the DC and
 * Nyquist columns (real part only) and `2/n` elsewhere, then a forward FFT down each column, `/h`.
 */
function irfft2dAdjointOnHost(dy: Float32Array, b: number, ch: number, h: number, wf: number, width: number): Float32Array {
  const { n, colPlan, rowPlan, pairs, yRe: gRe, yIm: gIm, zRe, zIm, half, norm } = hostLayout(b, ch, h, wf);
  const out = new Float32Array(2 * b * ch * h * wf);
  const ph = colPlan.perm, pn = rowPlan.perm;
  for (let bc = 0; bc < b * ch; bc++) {
    const bi = Math.floor(bc / ch), c = bc % ch;
    zRe.fill(0);
    zIm.fill(0);
    for (let l = 0; l < pairs; l++) {
      const r1 = (bi * h + 2 * l) * width * ch + c, r2 = r1 + width * ch, hasB = 2 * l + 1 < h;
      for (let j = 0; j < width; j++) {
        zRe[pn[j] * pairs + l] = dy[r1 + j * ch];
        if (hasB) zIm[pn[j] * pairs + l] = dy[r2 + j * ch];
      }
    }
    rowPlan.runPermuted(zRe, zIm, pairs, -1);
    // Per row pair, F = D1 + i·D2: D1[k] = (F[k] + conj F[n−k]) / 2, D2[k] = (F[k] − conj F[n−k]) / 2i.
    // G rows are written in the column FFT's permuted order.
    for (let l = 0; l < pairs; l++) {
      const g1 = ph[2 * l] * wf, hasB = 2 * l + 1 < h, g2 = hasB ? ph[2 * l + 1] * wf : 0;
      for (let k = 0; k < wf; k++) {
        const edge = k === 0 || k === wf - 1;
        const wgt = edge ? 1 : 2;
        const f = k * pairs + l, g = ((n - k) % n) * pairs + l;
        const fr = zRe[f], fi = zIm[f], gr = zRe[g], gi = zIm[g];
        gRe[g1 + k] = (wgt * (fr + gr)) / 2;
        gIm[g1 + k] = edge ? 0 : (wgt * (fi - gi)) / 2;
        if (hasB) {
          gRe[g2 + k] = (wgt * (fi + gi)) / 2;
          gIm[g2 + k] = edge ? 0 : (wgt * (gr - fr)) / 2;
        }
      }
    }
    colPlan.runPermuted(gRe, gIm, wf, -1); // [h][wf]
    const o = bc * h * wf;
    for (let t = 0; t < h * wf; t++) {
      out[o + t] = gRe[t] * norm;
      out[half + o + t] = gIm[t] * norm;
    }
  }
  return out;
}

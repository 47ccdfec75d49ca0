/**
 * In-place complex FFT of any length on the host (float64), for the spectral parameterization's
 * inverse transform on backends whose data lives in host memory (see src/ops/irfft2d.ts).
 *
 * Mixed radix, decimation in time: the input is permuted once (mixed-radix digit reversal), then
 * each stage combines `radix` transforms of length `span` with twiddles `exp(sign·2πi·q·j/(span·radix))`
 * and a `radix`-point DFT. Radices 2 and 4 have their own butterflies; any other prime factor uses a
 * generic O(radix²) DFT, so every length works (a prime length costs O(n²)).
 *
 * Internal; not in Lucid (which calls TensorFlow's FFT kernels).
 */
import { recentCache } from './recentCache';

/** One FFT length's precomputed permutation and twiddles. */
export interface FftPlan {
  /** The transform length. */
  readonly n: number;
  /**
   * Where input element `m` goes before {@link FftPlan.runPermuted} (mixed-radix digit reversal):
   * callers gather their lines straight into these positions, saving a pass.
   */
  readonly perm: Int32Array;
  /**
   * Transforms `lines` sequences at once, in place: `re`/`im` hold `n·lines` values, position-major
   * (element `m` of line `l` at `perm[m]·lines + l`), and end with `X[k]` of line `l` at
   * `k·lines + l`, where `X[k] = Σ_m x[m]·exp(sign·2πi·k·m/n)`, unnormalised. `sign` −1 is the
   * forward DFT, +1 the inverse (without the `1/n`). The inner loops run over the lines, which
   * are contiguous.
   */
  runPermuted(re: Float64Array, im: Float64Array, lines: number, sign: 1 | -1): void;
}

interface Stage {
  readonly radix: number;
  readonly span: number;
  /** cos/sin of 2π·t/(span·radix) for t < span·radix (the twiddles of this stage, sign +). */
  readonly cos: Float64Array;
  readonly sin: Float64Array;
}

const PLANS = recentCache<number, FftPlan>(8);

/** The plan for length `n` (≥ 1), cached for the few lengths a session uses. */
export function fftPlan(n: number): FftPlan {
  return PLANS.get(n, () => makePlan(n));
}

/** Factors `n` into radices, outermost split first: 4s, then 2, 3, 5, 7, … */
function radices(n: number): number[] {
  const out: number[] = [];
  let m = n;
  while (m % 4 === 0) (out.push(4), (m /= 4));
  for (let p = 2; m > 1; p++) {
    while (m % p === 0) (out.push(p), (m /= p));
    if (p * p > m && m > 1) (out.push(m), (m = 1));
  }
  return out;
}

function makePlan(n: number): FftPlan {
  const factors = radices(n);
  // Position of input element i after the digit reversal: with n = p·m (p the outermost radix),
  // element i = t·p + q goes to block q (of length m) at the position t gets for length m.
  const perm = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let pos = 0, idx = i, size = n;
    for (const p of factors) {
      size /= p;
      pos += (idx % p) * size;
      idx = Math.floor(idx / p);
    }
    perm[i] = pos;
  }
  // Stages run innermost first: the last factor with span 1, …, the first factor last.
  const stages: Stage[] = [];
  let span = 1;
  for (let s = factors.length - 1; s >= 0; s--) {
    const radix = factors[s];
    const len = span * radix;
    const cos = new Float64Array(len), sin = new Float64Array(len);
    for (let t = 0; t < len; t++) {
      cos[t] = Math.cos((2 * Math.PI * t) / len);
      sin[t] = Math.sin((2 * Math.PI * t) / len);
    }
    stages.push({ radix, span, cos, sin });
    span = len;
  }
  const maxRadix = Math.max(1, ...factors);
  const aRe = new Float64Array(maxRadix), aIm = new Float64Array(maxRadix);
  return {
    n,
    perm,
    runPermuted(re: Float64Array, im: Float64Array, lines: number, sign: 1 | -1): void {
      for (const st of stages) {
        if (st.radix === 2) radix2(re, im, n, lines, st, sign);
        else if (st.radix === 4) radix4(re, im, n, lines, st, sign);
        else radixAny(re, im, n, lines, st, sign, aRe, aIm);
      }
    },
  };
}

function radix2(re: Float64Array, im: Float64Array, n: number, L: number, st: Stage, sign: number): void {
  const { span, cos, sin } = st;
  for (let base = 0; base < n; base += 2 * span) {
    for (let j = 0; j < span; j++) {
      const wr = cos[j], wi = sign * sin[j];
      const a0 = (base + j) * L, b0 = a0 + span * L;
      for (let l = 0; l < L; l++) {
        const a = a0 + l, b = b0 + l;
        const br = re[b] * wr - im[b] * wi, bi = re[b] * wi + im[b] * wr;
        const ar = re[a], ai = im[a];
        re[a] = ar + br;
        im[a] = ai + bi;
        re[b] = ar - br;
        im[b] = ai - bi;
      }
    }
  }
}

function radix4(re: Float64Array, im: Float64Array, n: number, L: number, st: Stage, sign: number): void {
  const { span, cos, sin } = st;
  const step = span * L;
  for (let base = 0; base < n; base += 4 * span) {
    for (let j = 0; j < span; j++) {
      // twiddles w^j, w^2j, w^3j with w = exp(sign·2πi/(4·span))
      const w1r = cos[j], w1i = sign * sin[j];
      const w2r = cos[2 * j], w2i = sign * sin[2 * j];
      const w3r = cos[3 * j], w3i = sign * sin[3 * j];
      const o0 = (base + j) * L;
      for (let l = 0; l < L; l++) {
        const i0 = o0 + l, i1 = i0 + step, i2 = i1 + step, i3 = i2 + step;
        const x0r = re[i0], x0i = im[i0];
        const x1r = re[i1] * w1r - im[i1] * w1i, x1i = re[i1] * w1i + im[i1] * w1r;
        const x2r = re[i2] * w2r - im[i2] * w2i, x2i = re[i2] * w2i + im[i2] * w2r;
        const x3r = re[i3] * w3r - im[i3] * w3i, x3i = re[i3] * w3i + im[i3] * w3r;
        // 4-point DFT with root exp(sign·πi/2) = sign·i
        const t0r = x0r + x2r, t0i = x0i + x2i;
        const t1r = x0r - x2r, t1i = x0i - x2i;
        const t2r = x1r + x3r, t2i = x1i + x3i;
        // sign·i·(x1 − x3)
        const t3r = -sign * (x1i - x3i), t3i = sign * (x1r - x3r);
        re[i0] = t0r + t2r;
        im[i0] = t0i + t2i;
        re[i1] = t1r + t3r;
        im[i1] = t1i + t3i;
        re[i2] = t0r - t2r;
        im[i2] = t0i - t2i;
        re[i3] = t1r - t3r;
        im[i3] = t1i - t3i;
      }
    }
  }
}

function radixAny(re: Float64Array, im: Float64Array, n: number, L: number, st: Stage, sign: number, aRe: Float64Array, aIm: Float64Array): void {
  const { radix: p, span, cos, sin } = st;
  const len = p * span;
  for (let base = 0; base < n; base += len) {
    for (let j = 0; j < span; j++) {
      for (let l = 0; l < L; l++) {
        for (let q = 0; q < p; q++) {
          const i = (base + j + q * span) * L + l;
          const t = q * j; // < len
          const wr = cos[t], wi = sign * sin[t];
          aRe[q] = re[i] * wr - im[i] * wi;
          aIm[q] = re[i] * wi + im[i] * wr;
        }
        for (let r = 0; r < p; r++) {
          let sr = 0, si = 0;
          for (let q = 0; q < p; q++) {
            // exp(sign·2πi·q·r/p) = twiddle index (q·r mod p)·span of this stage's table
            const t = ((q * r) % p) * span;
            const wr = cos[t], wi = sign * sin[t];
            sr += aRe[q] * wr - aIm[q] * wi;
            si += aRe[q] * wi + aIm[q] * wr;
          }
          const o = (base + j + r * span) * L + l;
          re[o] = sr;
          im[o] = si;
        }
      }
    }
  }
}

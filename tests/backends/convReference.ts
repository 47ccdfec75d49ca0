/**
 * Float64 reference gradients of conv2d / depthwiseConv2d / maxPool for a loss `sum(y · r)`,
 * written as plain loops (independent of tfjs kernels). NHWC, 'same' or 'valid' padding.
 */

export interface Arr4 {
  data: Float64Array | Float32Array;
  shape: [number, number, number, number];
}

function outAndPad(inSize: number, k: number, s: number, pad: 'same' | 'valid'): { out: number; before: number } {
  if (pad === 'valid') return { out: Math.floor((inSize - k) / s) + 1, before: 0 };
  const out = Math.ceil(inSize / s);
  const total = Math.max((out - 1) * s + k - inSize, 0);
  return { out, before: Math.floor(total / 2) };
}

const idx = (shape: readonly number[], a: number, b: number, c: number, d: number): number =>
  ((a * shape[1] + b) * shape[2] + c) * shape[3] + d;

/** Output spatial size of a conv/pool. */
export function outSize(h: number, w: number, kh: number, kw: number, s: number, pad: 'same' | 'valid'): [number, number] {
  return [outAndPad(h, kh, s, pad).out, outAndPad(w, kw, s, pad).out];
}

/** d sum(conv2d(x, w) · r) / dx and / dw. `r` has the output shape `[b, oh, ow, o]`. */
export function conv2dGradsRef(x: Arr4, w: Arr4, r: Arr4, s: number, pad: 'same' | 'valid'): { dx: Float64Array; dw: Float64Array } {
  const [B, H, W, C] = x.shape;
  const [KH, KW, , O] = w.shape;
  const ph = outAndPad(H, KH, s, pad);
  const pw = outAndPad(W, KW, s, pad);
  const dx = new Float64Array(x.data.length);
  const dw = new Float64Array(w.data.length);
  for (let b = 0; b < B; b++)
    for (let i = 0; i < ph.out; i++)
      for (let j = 0; j < pw.out; j++)
        for (let o = 0; o < O; o++) {
          const g = r.data[idx(r.shape, b, i, j, o)];
          for (let di = 0; di < KH; di++) {
            const ih = i * s + di - ph.before;
            if (ih < 0 || ih >= H) continue;
            for (let dj = 0; dj < KW; dj++) {
              const iw = j * s + dj - pw.before;
              if (iw < 0 || iw >= W) continue;
              for (let c = 0; c < C; c++) {
                dx[idx(x.shape, b, ih, iw, c)] += g * w.data[idx(w.shape, di, dj, c, o)];
                dw[idx(w.shape, di, dj, c, o)] += g * x.data[idx(x.shape, b, ih, iw, c)];
              }
            }
          }
        }
  return { dx, dw };
}

/** d sum(depthwiseConv2d(x, w) · r) / dx and / dw; `w` is `[kh, kw, c, m]`, `r` is `[b, oh, ow, c·m]`. */
export function depthwiseGradsRef(x: Arr4, w: Arr4, r: Arr4, s: number, pad: 'same' | 'valid'): { dx: Float64Array; dw: Float64Array } {
  const [B, H, W, C] = x.shape;
  const [KH, KW, , M] = w.shape;
  const ph = outAndPad(H, KH, s, pad);
  const pw = outAndPad(W, KW, s, pad);
  const dx = new Float64Array(x.data.length);
  const dw = new Float64Array(w.data.length);
  for (let b = 0; b < B; b++)
    for (let i = 0; i < ph.out; i++)
      for (let j = 0; j < pw.out; j++)
        for (let c = 0; c < C; c++)
          for (let m = 0; m < M; m++) {
            const g = r.data[idx(r.shape, b, i, j, c * M + m)];
            for (let di = 0; di < KH; di++) {
              const ih = i * s + di - ph.before;
              if (ih < 0 || ih >= H) continue;
              for (let dj = 0; dj < KW; dj++) {
                const iw = j * s + dj - pw.before;
                if (iw < 0 || iw >= W) continue;
                dx[idx(x.shape, b, ih, iw, c)] += g * w.data[idx(w.shape, di, dj, c, m)];
                dw[idx(w.shape, di, dj, c, m)] += g * x.data[idx(x.shape, b, ih, iw, c)];
              }
            }
          }
  return { dx, dw };
}

/** d sum(maxPool(x) · r) / dx: each window's gradient goes to its first maximum (row-major). */
export function maxPoolGradRef(x: Arr4, k: number, s: number, pad: 'same' | 'valid', r: Arr4): Float64Array {
  const [B, H, W, C] = x.shape;
  const ph = outAndPad(H, k, s, pad);
  const pw = outAndPad(W, k, s, pad);
  const dx = new Float64Array(x.data.length);
  for (let b = 0; b < B; b++)
    for (let i = 0; i < ph.out; i++)
      for (let j = 0; j < pw.out; j++)
        for (let c = 0; c < C; c++) {
          let best = -Infinity;
          let at = -1;
          for (let di = 0; di < k; di++) {
            const ih = i * s + di - ph.before;
            if (ih < 0 || ih >= H) continue;
            for (let dj = 0; dj < k; dj++) {
              const iw = j * s + dj - pw.before;
              if (iw < 0 || iw >= W) continue;
              const v = x.data[idx(x.shape, b, ih, iw, c)];
              if (v > best) {
                best = v;
                at = idx(x.shape, b, ih, iw, c);
              }
            }
          }
          dx[at] += r.data[idx(r.shape, b, i, j, c)];
        }
  return dx;
}

/** max |a − b| / max |b| (relative to the reference's scale). */
export function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    num = Math.max(num, Math.abs(a[i] - b[i]));
    den = Math.max(den, Math.abs(b[i]));
  }
  return num / (den || 1);
}

/** Padding of {@link conv2dRef}: tfjs's 'same' / 'valid', or explicit `[[top, bottom], [left, right]]`. */
export type RefPad = 'same' | 'valid' | [[number, number], [number, number]];

/** Output size and padding before, along one axis, by tfjs's rules (dilated filter size `k`). */
function axis(inSize: number, k: number, d: number, s: number, pad: 'same' | 'valid' | [number, number]): { out: number; before: number } {
  const eff = (k - 1) * d + 1;
  if (pad === 'valid') return { out: Math.ceil((inSize - eff + 1) / s), before: 0 };
  if (pad === 'same') {
    const out = Math.ceil(inSize / s);
    return { out, before: Math.floor(Math.max(0, (out - 1) * s + eff - inSize) / 2) };
  }
  return { out: Math.floor((inSize + pad[0] + pad[1] - eff) / s) + 1, before: pad[0] };
}

/**
 * Forward conv2d in float64: NHWC input, HWIO filter, strides and dilations `[h, w]`, tfjs's
 * padding rules, then `+ bias` (per output channel) and the activation (relu and relu6 keep NaN).
 */
export function conv2dRef(
  x: Arr4,
  w: Arr4,
  strides: [number, number],
  pad: RefPad,
  dilations: [number, number] = [1, 1],
  bias?: ArrayLike<number>,
  activation: 'linear' | 'relu' | 'relu6' = 'linear',
): { data: Float64Array; shape: [number, number, number, number] } {
  const [B, H, W, C] = x.shape;
  const [KH, KW, , O] = w.shape;
  const ph = axis(H, KH, dilations[0], strides[0], typeof pad === 'string' ? pad : pad[0]);
  const pw = axis(W, KW, dilations[1], strides[1], typeof pad === 'string' ? pad : pad[1]);
  const shape: [number, number, number, number] = [B, ph.out, pw.out, O];
  const data = new Float64Array(B * ph.out * pw.out * O);
  for (let b = 0; b < B; b++)
    for (let i = 0; i < ph.out; i++)
      for (let j = 0; j < pw.out; j++)
        for (let o = 0; o < O; o++) {
          let acc = bias ? bias[o] : 0;
          for (let di = 0; di < KH; di++) {
            const ih = i * strides[0] + di * dilations[0] - ph.before;
            if (ih < 0 || ih >= H) continue;
            for (let dj = 0; dj < KW; dj++) {
              const iw = j * strides[1] + dj * dilations[1] - pw.before;
              if (iw < 0 || iw >= W) continue;
              for (let c = 0; c < C; c++) acc += x.data[idx(x.shape, b, ih, iw, c)] * w.data[idx(w.shape, di, dj, c, o)];
            }
          }
          if (activation !== 'linear' && !Number.isNaN(acc)) acc = Math.max(acc, 0);
          if (activation === 'relu6' && !Number.isNaN(acc)) acc = Math.min(acc, 6);
          data[idx(shape, b, i, j, o)] = acc;
        }
  return { data, shape };
}

/**
 * Convolution and pooling gradients written with forward ops only.
 *
 * The wasm backend of tfjs 4.22 lacks `Conv2DBackpropFilter` and both depthwise backprop kernels,
 * computes `MaxPoolGrad` wrongly when a window holds only values ≤ 0, and has a slow
 * `Conv2DBackpropInput`. Each function here computes one of those kernels from plain forward ops
 * that every backend has and that are fast on wasm (convolutions, pads, slices, elementwise ops).
 * They are used by {@link installGradientFixes} as kernel implementations, but are ordinary pure
 * functions of tensors: call them inside `tf.tidy`; the caller owns the result.
 *
 * All tensors are NHWC.
 */
import * as tf from '@tensorflow/tfjs-core';
import { fail } from '../errors';
import { isWasmHeapBackend } from './sliceRuns';
import { wasmHeapKernels, type WasmHeapKernels } from './wasmHeapKernels';
import { heldDerived, releaseHeld, type HeldEntry } from '../ops/heldData';
import { tensorsOnHost } from '../ops/hostMemory';

/** Padding as tfjs conv ops accept it. */
export type ConvPad = 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
type Pair = [number, number];

const pair = (v: number | Pair): Pair => (typeof v === 'number' ? [v, v] : v);

/**
 * A new float32 tensor of `shape` computed by a host-side pass over the values of `inputs`.
 * On wasm the pass reads the inputs and writes the output in place in the wasm heap (no copies out
 * and back in, no garbage); elsewhere it works on `dataSync` copies and a new array. `pass` gets the
 * zero-filled output first, then the inputs' values, and must not allocate tensors. On wasm,
 * `simdPass` (when given) runs instead where the SIMD kernels can (src/backends/wasmHeapKernels.ts):
 * the same pass, given byte addresses in the heap.
 */
function hostPass(
  shape: number[],
  inputs: tf.Tensor[],
  pass: (out: Float32Array, ...ins: Float32Array[]) => void,
  simdPass?: (kernels: WasmHeapKernels, out: number, ...ins: number[]) => void,
): tf.Tensor {
  const backend = tf.backend();
  if (tf.getBackend() === 'wasm' && isWasmHeapBackend(backend) && inputs.every((t) => t.dtype === 'float32')) {
    const info = backend.makeOutput(shape, 'float32');
    // Views made after makeOutput, which may grow the heap (and replace its buffer).
    const out = backend.typedArrayFromHeap(info) as Float32Array;
    out.fill(0);
    const ins = inputs.map((t) => backend.typedArrayFromHeap(t) as Float32Array);
    const kernels = simdPass ? wasmHeapKernels(backend) : null;
    // The SIMD kernels take byte addresses in the heap; the JavaScript pass, views of it.
    if (simdPass && kernels) simdPass(kernels, out.byteOffset, ...ins.map((v) => v.byteOffset));
    else pass(out, ...ins);
    return tf.engine().makeTensorFromTensorInfo(info);
  }
  const out = new Float32Array(shape.reduce((a, b) => a * b, 1));
  pass(out, ...inputs.map((t) => t.dataSync() as Float32Array));
  return tf.tensor(out, shape, 'float32');
}

/**
 * Reverses the spatial axes 0 and 1 of a filter `[kh, kw, ...]` (the flip of a transposed
 * convolution). On wasm and cpu it is a copy of `kh·kw` contiguous blocks on the host: the stock
 * wasm `Reverse` kernel indexes every element and cost more than the convolution it prepares.
 * A 1×1 filter is returned as a clone.
 */
export function flipFilter<T extends tf.Tensor>(filter: T): T {
  const [kh, kw] = filter.shape;
  if (kh * kw === 1) return tf.clone(filter);
  if (!tensorsOnHost()) return tf.reverse(filter, [0, 1]);
  return reverseMiddleOnHost(filter, 1, kh * kw, filter.size / (kh * kw));
}

/**
 * Flipped, transposed filters by the data id of the filter they were made from, held with
 * `heldDerived` (src/ops/heldData.ts). A model's weights do not change between steps and tensor
 * data never changes under a data id, so each filter is flipped once and its flipped copy stays in
 * the wasm heap under one data id: tfjs's wasm `Conv2D` keeps its XNNPACK operator (with the
 * weights packed for the SIMD kernels) per filter id, so the backward convolutions reuse their
 * operators as the forward ones do, instead of packing the weights again at every step (0.4–3 ms
 * per convolution). The copies are not tensors (they do not count in `tf.memory().numTensors`); one
 * is freed when its source filter's data id is garbage-collected, and all are freed by
 * {@link releaseFlippedFilters}.
 */
const heldFlipTransposed = new WeakMap<object, HeldEntry>();
/** Flipped depthwise filters, held in the same way (see {@link flipDepthwiseFilter}). */
const heldFlipped = new WeakMap<object, HeldEntry>();
const FLIPPED = 'flipped filters';

/**
 * Frees every flipped filter held for the wasm backward convolutions (see {@link flipTransposeFilter});
 * they are made again on next use. Called by `uninstallGradientFixes`.
 *
 * @returns how many were freed.
 */
export function releaseFlippedFilters(): number {
  return releaseHeld(FLIPPED);
}

/**
 * `transpose(reverse(filter, [0, 1]), [0, 1, 3, 2])`: the filter of the transposed convolution,
 * `[kh, kw, inC, outC]` → `[kh, kw, outC, inC]`. On wasm it is computed once per filter on the host
 * and held in the wasm heap (see `heldFlipTransposed`); each call returns a new tensor over that data (the
 * caller disposes it; the held data stays). Elsewhere it is computed with `reverse` + `transpose`.
 */
export function flipTransposeFilter(filter: tf.Tensor4D): tf.Tensor4D {
  if (tf.getBackend() !== 'wasm' || filter.dtype !== 'float32') return tf.tidy(() => tf.transpose(flipFilter(filter), [0, 1, 3, 2]));
  const [kh, kw, ci, co] = filter.shape;
  return heldOnWasm(heldFlipTransposed, filter, [kh, kw, co, ci], (src, dst) => {
    const block = ci * co;
    for (let t = 0; t < kh * kw; t++) {
      const from = (kh * kw - 1 - t) * block; // tap (kh-1-i, kw-1-j) for t = i·kw + j
      const to = t * block;
      for (let o = 0; o < co; o++) for (let c = 0; c < ci; c++) dst[to + o * ci + c] = src[from + c * co + o];
    }
  });
}

/**
 * A depthwise filter `[kh, kw, c, m]` flipped along axes 0 and 1 and seen as `[kh, kw, c·m, 1]`
 * (the filter of a depthwise transposed convolution). On wasm it is computed once per filter and
 * held in the wasm heap, as {@link flipTransposeFilter} does; each call returns a new tensor.
 */
export function flipDepthwiseFilter(filter: tf.Tensor4D): tf.Tensor4D {
  const [kh, kw, c, m] = filter.shape;
  if (tf.getBackend() !== 'wasm' || filter.dtype !== 'float32') return tf.tidy(() => tf.reshape(flipFilter(filter), [kh, kw, c * m, 1]));
  return heldOnWasm(heldFlipped, filter, [kh, kw, c * m, 1], (src, dst) => {
    const block = c * m;
    for (let t = 0; t < kh * kw; t++) dst.set(src.subarray((kh * kw - 1 - t) * block, (kh * kw - t) * block), t * block);
  });
}

/**
 * A new tensor over data derived from `filter` by `fill(filterValues, out)` and held in the wasm
 * heap under one data id for as long as `filter`'s data lives (see `heldFlipTransposed`).
 */
function heldOnWasm(cache: WeakMap<object, HeldEntry>, filter: tf.Tensor4D, shape: [number, number, number, number], fill: (src: Float32Array, dst: Float32Array) => void): tf.Tensor4D {
  const [held] = heldDerived(cache, FLIPPED, filter, [], () => {
    const values = new Float32Array(filter.size);
    fill(filter.dataSync() as Float32Array, values);
    return [{ values, shape }];
  });
  return held as tf.Tensor4D;
}

/** Reverses H and W of `[b, h, w, c]` together (= reversing the flattened `h·w` axis), on the host for wasm and cpu. */
function flipHW(x: tf.Tensor4D): tf.Tensor4D {
  if (!tensorsOnHost()) return tf.reverse(x, [1, 2]);
  const [b, h, w, c] = x.shape;
  return reverseMiddleOnHost(x, b, h * w, c);
}

/** `x` seen as `[outer, n, inner]`, reversed along `n`, as a new tensor of `x`'s shape. */
function reverseMiddleOnHost<T extends tf.Tensor>(x: T, outer: number, n: number, inner: number): T {
  const src = x.dataSync() as Float32Array;
  const dst = new Float32Array(src.length);
  for (let o = 0; o < outer; o++) {
    const base = o * n * inner;
    for (let i = 0; i < n; i++) {
      const from = base + i * inner;
      dst.set(src.subarray(from, from + inner), base + (n - 1 - i) * inner);
    }
  }
  return tf.tensor(dst, x.shape, x.dtype as 'float32') as T;
}

/**
 * Pads (positive amounts) or crops (negative amounts) each axis of `x`:
 * `amounts[i] = [before, after]`. Padding uses `value`.
 */
export function padOrCrop<T extends tf.Tensor>(x: T, amounts: readonly Pair[], value = 0): T {
  const needPad = amounts.some(([a, b]) => a > 0 || b > 0);
  const needCrop = amounts.some(([a, b]) => a < 0 || b < 0);
  let y: tf.Tensor = x;
  if (needCrop) {
    const begin = amounts.map(([a]) => Math.max(0, -a));
    const size = amounts.map(([a, b], i) => x.shape[i] - Math.max(0, -a) - Math.max(0, -b));
    y = tf.slice(y, begin, size);
  }
  if (needPad) {
    y = tf.pad(y, amounts.map(([a, b]) => [Math.max(0, a), Math.max(0, b)] as Pair), value);
  }
  return (y === x ? tf.clone(x) : y) as unknown as T;
}

/**
 * Inserts `s − 1` zeros between neighbouring pixels along H and W (a "dilated" gradient map, as
 * used by transposed convolutions), then pads (or crops) it:
 * `[b, h, w, c]` → `[b, top + (h−1)·sh + 1 + bottom, left + (w−1)·sw + 1 + right, c]`.
 * The zeros come from one pad of a `[b, h, 1, w, 1, c]` view, so no strided copy is needed (strided
 * slices are slow on wasm); a crop (a slice) is only needed when some amount is negative.
 */
export function dilateAndPad(x: tf.Tensor4D, strides: Pair, rows: Pair, cols: Pair): tf.Tensor4D {
  const [sh, sw] = strides;
  if (sh === 1 && sw === 1) return padOrCrop(x, [[0, 0], rows, cols, [0, 0]]);
  const [b, h, w, c] = x.shape;
  const r = tf.reshape(x, [b, h, 1, w, 1, c]);
  const p = tf.pad(r, [[0, 0], [0, 0], [0, sh - 1], [0, 0], [0, sw - 1], [0, 0]]);
  const full = tf.reshape(p, [b, h * sh, w * sw, c]) as tf.Tensor4D;
  // `full` already has sh − 1 (sw − 1) trailing zero rows (columns).
  return padOrCrop(full, [[0, 0], [rows[0], rows[1] - (sh - 1)], [cols[0], cols[1] - (sw - 1)], [0, 0]]);
}

/**
 * `dy` dilated by the strides `s` and padded (or cropped) so that a stride-1 'valid' convolution with
 * the spatially flipped filter of effective size `ekh × ekw` gives the input gradient of the forward
 * convolution described by `info` (the transposed-convolution geometry shared by conv2d and depthwise).
 */
function transposedInput(dy: tf.Tensor4D, info: tf.backend_util.Conv2DInfo, ekh: number, ekw: number, s: Pair): tf.Tensor4D {
  const [top, bottom, left, right] = transposedPads(info, ekh, ekw, s);
  return dilateAndPad(dy, s, [top, bottom], [left, right]);
}

/**
 * With stride 1, the padding {@link transposedInput} would add, as the convolution's own explicit
 * padding (no padded copy of `dy`; the same products); `undefined` for larger strides or a crop.
 */
function ownPadding(info: tf.backend_util.Conv2DInfo, ekh: number, ekw: number, s: Pair): tf.backend_util.ExplicitPadding | undefined {
  const [top, bottom, left, right] = transposedPads(info, ekh, ekw, s);
  if (s[0] !== 1 || s[1] !== 1 || Math.min(top, bottom, left, right) < 0) return undefined;
  return [[0, 0], [top, bottom], [left, right], [0, 0]];
}

/** The pads `[top, bottom, left, right]` of the stride-dilated `dy` in {@link transposedInput} (negative: a crop). */
function transposedPads(info: tf.backend_util.Conv2DInfo, ekh: number, ekw: number, s: Pair): [number, number, number, number] {
  const top = ekh - 1 - info.padInfo.top;
  const left = ekw - 1 - info.padInfo.left;
  const bottom = info.inHeight + ekh - 1 - top - ((info.outHeight - 1) * s[0] + 1);
  const right = info.inWidth + ekw - 1 - left - ((info.outWidth - 1) * s[1] + 1);
  return [top, bottom, left, right];
}

/**
 * `Conv2DBackpropInput`: the gradient of `conv2d(x, filter)` w.r.t. `x`, computed as a forward
 * (stride 1, 'valid') convolution of the stride-dilated, padded `dy` with the spatially flipped,
 * in/out-transposed filter. Same result as `tf.conv2dTranspose(dy, filter, inputShape, ...)`.
 *
 * @param dy `[b, outH, outW, outC]`.
 * @param filter `[kh, kw, inC, outC]`.
 * @param inputShape `[b, inH, inW, inC]` of the forward input.
 * @param strides stride of the forward op, a number or `[sh, sw]`.
 * @param pad padding of the forward op ('same', 'valid', a number or explicit pads).
 * @param dimRoundingMode rounding of the forward op's output size, if any.
 * @returns `[b, inH, inW, inC]`, owned by the caller.
 * @example
 * ```ts
 * const dx = conv2dBackpropInputByConv(dy, w, x.shape, 2, 'same'); // = tf.conv2dTranspose(dy, w, x.shape, 2, 'same')
 * ```
 */
export function conv2dBackpropInputByConv(
  dy: tf.Tensor4D,
  filter: tf.Tensor4D,
  inputShape: [number, number, number, number],
  strides: number | Pair,
  pad: ConvPad,
  dimRoundingMode?: 'floor' | 'round' | 'ceil',
): tf.Tensor4D {
  return tf.tidy(() => {
    const info = tf.backend_util.computeConv2DInfo(inputShape, filter.shape, strides, 1, pad, dimRoundingMode);
    const s = pair(strides);
    const flipped = flipTransposeFilter(filter);
    const own = ownPadding(info, info.filterHeight, info.filterWidth, s);
    return own ? tf.conv2d(dy, flipped, 1, own) : tf.conv2d(transposedInput(dy, info, info.filterHeight, info.filterWidth, s), flipped, 1, 'valid');
  });
}

/**
 * `Conv2DBackpropInput` for strided convolutions on backends whose tensors live in host memory
 * (wasm, cpu): one matrix product gives every output position's gradient with respect to its input
 * patch (`dy [b·oh·ow, outC] × filterᵀ [outC, kh·kw·inC]`), and a host-side pass adds the patches
 * back into the image ("col2im"). Unlike {@link conv2dBackpropInputByConv}, nothing is computed on
 * the zeros that dilating `dy` by the stride inserts (a 7×7 stride-2 convolution wastes 3/4 of its
 * work there, and its 3 output channels suit no SIMD kernel). Same result as
 * `tf.conv2dTranspose(dy, filter, inputShape, strides, pad)` up to float32 summation order.
 *
 * @param dy `[b, outH, outW, outC]`.
 * @param filter `[kh, kw, inC, outC]`.
 * @param inputShape `[b, inH, inW, inC]` of the forward input.
 * @param strides stride of the forward op, a number or `[sh, sw]`.
 * @param pad padding of the forward op ('same', 'valid', a number or explicit pads).
 * @param dimRoundingMode rounding of the forward op's output size, if any.
 * @param simd whether the wasm SIMD col2im may be used (default true; tests compare both).
 * @returns `[b, inH, inW, inC]`, owned by the caller.
 */
export function conv2dBackpropInputByMatMul(
  dy: tf.Tensor4D,
  filter: tf.Tensor4D,
  inputShape: [number, number, number, number],
  strides: number | Pair,
  pad: ConvPad,
  dimRoundingMode?: 'floor' | 'round' | 'ceil',
  simd = true,
): tf.Tensor4D {
  const info = tf.backend_util.computeConv2DInfo(inputShape, filter.shape, strides, 1, pad, dimRoundingMode);
  const { batchSize: nb, inHeight: ih, inWidth: iw, inChannels: ci, outHeight: oh, outWidth: ow, outChannels: co } = info;
  const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw } = info;
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  const k = kh * kw * ci;
  // The filter transposed on the device (matMul with a transpose flag is slow on wasm).
  const p = tf.tidy(() => {
    const wT = tf.transpose(tf.reshape(filter, [k, co]));
    return tf.matMul(tf.reshape(dy, [nb * oh * ow, co]), wT);
  });
  try {
    return hostPass(
      [nb, ih, iw, ci],
      [p],
      (dx, patches) => col2imPass(dx, patches, nb, ih, iw, ci, oh, ow, kh, kw, sh, sw, top, left),
      simd ? (k, dx, patches) => k.col2im(dx, patches, nb, ih, iw, ci, oh, ow, kh, kw, sh, sw, top, left) : undefined,
    ) as tf.Tensor4D;
  } finally {
    p.dispose();
  }
}

/**
 * The col2im pass of {@link conv2dBackpropInputByMatMul}: adds each row of `patches`
 * (`[b·oh·ow, kh·kw·ci]`, the gradient of one output position's input patch) into the image `dx`
 * (`[b, ih, iw, ci]`, zero-filled).
 */
function col2imPass(
  dx: Float32Array,
  patches: Float32Array,
  nb: number,
  ih: number,
  iw: number,
  ci: number,
  oh: number,
  ow: number,
  kh: number,
  kw: number,
  sh: number,
  sw: number,
  top: number,
  left: number,
): void {
  const k = kh * kw * ci;
  // For one output position and one filter row, the taps j = j0..j1-1 that land inside the
  // image are one contiguous run both in the patch row and in the image row (NHWC): add it
  // as one run.
  const kwci = kw * ci;
  for (let b = 0; b < nb; b++) {
    for (let oy = 0; oy < oh; oy++) {
      const y0 = oy * sh - top;
      const i0 = y0 < 0 ? -y0 : 0;
      const i1 = Math.min(kh, ih - y0);
      for (let ox = 0; ox < ow; ox++) {
        const x0 = ox * sw - left;
        const j0 = x0 < 0 ? -x0 : 0;
        const j1 = Math.min(kw, iw - x0);
        if (j0 >= j1) continue;
        const len = (j1 - j0) * ci;
        const row = ((b * oh + oy) * ow + ox) * k + j0 * ci;
        for (let i = i0; i < i1; i++) {
          const to = ((b * ih + y0 + i) * iw + x0 + j0) * ci;
          const from = row + i * kwci;
          for (let t = 0; t < len; t++) dx[to + t] += patches[from + t];
        }
      }
    }
  }
}

/**
 * `Conv2DBackpropFilter`: the gradient of `conv2d(x, filter)` w.r.t. `filter`, computed as one
 * forward convolution whose "batch" is the input channels and whose filter is `dy` (dilated by the
 * forward stride).
 *
 * @param x `[b, inH, inW, inC]`.
 * @param dy `[b, outH, outW, outC]`.
 * @param filterShape `[kh, kw, inC, outC]`.
 * @param strides stride of the forward op, a number or `[sh, sw]`.
 * @param pad padding of the forward op ('same', 'valid', a number or explicit pads).
 * @param dimRoundingMode rounding of the forward op's output size, if any.
 * @returns `[kh, kw, inC, outC]`, owned by the caller.
 * @example
 * ```ts
 * const dw = conv2dBackpropFilterByConv(x, dy, w.shape, 1, 'same');
 * ```
 */
export function conv2dBackpropFilterByConv(
  x: tf.Tensor4D,
  dy: tf.Tensor4D,
  filterShape: [number, number, number, number],
  strides: number | Pair,
  pad: ConvPad,
  dimRoundingMode?: 'floor' | 'round' | 'ceil',
): tf.Tensor4D {
  return tf.tidy(() => {
    const info = tf.backend_util.computeConv2DInfo(x.shape, filterShape, strides, 1, pad, dimRoundingMode);
    const [kh, kw] = [info.filterHeight, info.filterWidth];
    const [sh, sw] = pair(strides);
    const needH = kh - 1 + (info.outHeight - 1) * sh + 1;
    const needW = kw - 1 + (info.outWidth - 1) * sw + 1;
    const xt = tf.transpose(x, [3, 1, 2, 0]) as tf.Tensor4D; // [inC, H, W, b]
    const xp = padOrCrop(xt, [
      [0, 0],
      [info.padInfo.top, needH - info.inHeight - info.padInfo.top],
      [info.padInfo.left, needW - info.inWidth - info.padInfo.left],
      [0, 0],
    ]);
    const dyt = tf.transpose(dy, [1, 2, 0, 3]) as tf.Tensor4D; // [outH, outW, b, outC]
    const r = tf.conv2d(xp, dyt, 1, 'valid', 'NHWC', [sh, sw]); // [inC, kh, kw, outC]
    return tf.transpose(r, [1, 2, 0, 3]);
  });
}

/**
 * `DepthwiseConv2dNativeBackpropInput`: the gradient of `depthwiseConv2d(x, filter)` w.r.t. `x`,
 * as a forward depthwise convolution of the dilated, padded `dy` with the flipped filter, summed
 * over the channel multiplier.
 *
 * @param dy `[b, outH, outW, inC·m]`.
 * @param filter `[kh, kw, inC, m]`.
 * @param inputShape `[b, inH, inW, inC]`.
 * @param strides stride of the forward op, a number or `[sh, sw]`.
 * @param pad padding of the forward op ('same', 'valid', a number or explicit pads).
 * @param dimRoundingMode rounding of the forward op's output size, if any.
 * @param dilations dilation of the forward op, a number or `[dh, dw]`.
 * @returns `[b, inH, inW, inC]`, owned by the caller.
 * @example
 * ```ts
 * const dx = depthwiseBackpropInputByConv(dy, w, x.shape, 1, 1, 'same');
 * ```
 */
export function depthwiseBackpropInputByConv(
  dy: tf.Tensor4D,
  filter: tf.Tensor4D,
  inputShape: [number, number, number, number],
  strides: number | Pair,
  dilations: number | Pair,
  pad: ConvPad,
  dimRoundingMode?: 'floor' | 'round' | 'ceil',
): tf.Tensor4D {
  return tf.tidy(() => {
    const info = tf.backend_util.computeConv2DInfo(inputShape, filter.shape, strides, dilations, pad, dimRoundingMode, true);
    const [kh, kw, c, m] = filter.shape;
    const [dh, dw] = pair(dilations);
    const ekh = (kh - 1) * dh + 1;
    const ekw = (kw - 1) * dw + 1;
    const s = pair(strides);
    const flipped = flipDepthwiseFilter(filter);
    const own = ownPadding(info, ekh, ekw, s);
    const r = tf.depthwiseConv2d(own ? dy : transposedInput(dy, info, ekh, ekw, s), flipped, 1, own ?? 'valid', 'NHWC', [dh, dw]);
    if (m === 1) return r;
    const [b, h, w] = r.shape;
    return tf.sum(tf.reshape(r, [b, h, w, c, m]), 4) as tf.Tensor4D;
  });
}

/** The strided view of `xp` for tap `(i, j)`: `xp[:, i·dh :: sh, j·dw :: sw, :]`, `[b, outH, outW, c]`. */
export function tap(xp: tf.Tensor4D, i: number, j: number, outH: number, outW: number, s: Pair, d: Pair): tf.Tensor4D {
  const [b, , , c] = xp.shape;
  const y0 = i * d[0];
  const x0 = j * d[1];
  return tf.stridedSlice(xp, [0, y0, x0, 0], [b, y0 + (outH - 1) * s[0] + 1, x0 + (outW - 1) * s[1] + 1, c], [1, s[0], s[1], 1]) as tf.Tensor4D;
}

/**
 * `DepthwiseConv2dNativeBackpropFilter`: the gradient of `depthwiseConv2d(x, filter)` w.r.t.
 * `filter`, one multiply-and-sum per filter tap.
 *
 * @param x `[b, inH, inW, inC]`.
 * @param dy `[b, outH, outW, inC·m]`.
 * @param filterShape `[kh, kw, inC, m]`.
 * @param strides stride of the forward op, a number or `[sh, sw]`.
 * @param pad padding of the forward op ('same', 'valid', a number or explicit pads).
 * @param dimRoundingMode rounding of the forward op's output size, if any.
 * @param dilations dilation of the forward op, a number or `[dh, dw]`.
 * @returns `[kh, kw, inC, m]`, owned by the caller.
 * @example
 * ```ts
 * const dw = depthwiseBackpropFilterByTaps(x, dy, w.shape, 1, 1, 'same');
 * ```
 */
export function depthwiseBackpropFilterByTaps(
  x: tf.Tensor4D,
  dy: tf.Tensor4D,
  filterShape: [number, number, number, number],
  strides: number | Pair,
  dilations: number | Pair,
  pad: ConvPad,
  dimRoundingMode?: 'floor' | 'round' | 'ceil',
): tf.Tensor4D {
  return tf.tidy(() => {
    const info = tf.backend_util.computeConv2DInfo(x.shape, filterShape, strides, dilations, pad, dimRoundingMode, true);
    const [kh, kw, c, m] = filterShape;
    const s = pair(strides);
    const d = pair(dilations);
    const { outHeight: oh, outWidth: ow } = info;
    const needH = (kh - 1) * d[0] + (oh - 1) * s[0] + 1;
    const needW = (kw - 1) * d[1] + (ow - 1) * s[1] + 1;
    const xp = padOrCrop(x, [
      [0, 0],
      [info.padInfo.top, needH - info.inHeight - info.padInfo.top],
      [info.padInfo.left, needW - info.inWidth - info.padInfo.left],
      [0, 0],
    ]);
    const b = x.shape[0];
    const dyr = tf.reshape(dy, [b, oh, ow, c, m]);
    const taps: tf.Tensor[] = [];
    for (let i = 0; i < kh; i++) {
      for (let j = 0; j < kw; j++) {
        const xs = tf.reshape(tap(xp, i, j, oh, ow, s, d), [b, oh, ow, c, 1]);
        taps.push(tf.sum(tf.mul(xs, dyr), [0, 1, 2])); // [c, m]
      }
    }
    return tf.reshape(tf.stack(taps), [kh, kw, c, m]) as tf.Tensor4D;
  });
}

/**
 * `MaxPoolGrad`: routes each output gradient to the first maximum of its window (row-major order,
 * as TensorFlow and tfjs-cpu do), whatever the sign of the values.
 *
 * Works on the coarse (output-size) grid: for each window tap, a strided view of the input is
 * compared with the output to find the first maximum; the routed gradients of taps with the same
 * stride phase are summed after a coarse shift, and the `sh·sw` phase maps are interleaved once
 * into the full-size gradient.
 *
 * @param dy `[b, outH, outW, c]`.
 * @param x forward input `[b, inH, inW, c]`.
 * @param y forward output `[b, outH, outW, c]`.
 * @param filterSize pooling window, a number or `[fh, fw]`.
 * @param strides stride of the forward op, a number or `[sh, sw]`.
 * @param pad padding of the forward op ('same', 'valid', a number or explicit pads).
 * @param dimRoundingMode rounding of the forward op's output size, if any.
 * @returns `[b, inH, inW, c]`, owned by the caller.
 * @example
 * ```ts
 * const y = tf.maxPool(x, 3, 2, 'same');
 * const dx = maxPoolBackpropByTaps(dy, x, y, 3, 2, 'same');
 * ```
 */
export function maxPoolBackpropByTaps(
  dy: tf.Tensor4D,
  x: tf.Tensor4D,
  y: tf.Tensor4D,
  filterSize: number | Pair,
  strides: number | Pair,
  pad: ConvPad,
  dimRoundingMode?: 'floor' | 'round' | 'ceil',
): tf.Tensor4D {
  return tf.tidy(() => {
    const info = tf.backend_util.computePool2DInfo(x.shape, filterSize, strides, 1, pad, dimRoundingMode);
    const [fh, fw] = [info.filterHeight, info.filterWidth];
    const [sh, sw] = pair(strides);
    const { outHeight: oh, outWidth: ow, padInfo } = info;
    const [b, , , c] = x.shape;
    // Coarse grid size per phase, and the padded input covering every window.
    const K = oh - 1 + Math.ceil(fh / sh);
    const L = ow - 1 + Math.ceil(fw / sw);
    const hp = K * sh;
    const wp = L * sw;
    const padAmounts: Pair[] = [[0, 0], [padInfo.top, hp - info.inHeight - padInfo.top], [padInfo.left, wp - info.inWidth - padInfo.left], [0, 0]];
    const xp = padOrCrop(x, padAmounts, -Infinity);
    // Phase-major view: views[(p·sw + q)·b + n, k, l, :] = xp[n, k·sh + p, l·sw + q, :]. Built with
    // reshape/transpose (native on wasm) rather than strided slices (slow on wasm).
    const views = tf.reshape(tf.transpose(tf.reshape(xp, [b, K, sh, L, sw, c]), [2, 4, 0, 1, 3, 5]), [sh * sw * b, K, L, c]);
    const zeros = tf.zerosLike(dy);
    let taken: tf.Tensor | null = null;
    const phases: (tf.Tensor4D | null)[] = new Array<tf.Tensor4D | null>(sh * sw).fill(null);
    for (let i = 0; i < fh; i++) {
      for (let j = 0; j < fw; j++) {
        const a = Math.floor(i / sh);
        const bb = Math.floor(j / sw);
        const phase = (i % sh) * sw + (j % sw);
        const view = tf.slice(views, [phase * b, a, bb, 0], [b, oh, ow, c]);
        const eq = tf.equal(view, y);
        const hit: tf.Tensor = taken === null ? eq : tf.logicalAnd(eq, tf.logicalNot(taken));
        taken = taken === null ? hit : tf.logicalOr(taken, hit);
        const routed = tf.where(hit, dy, zeros) as tf.Tensor4D;
        const shifted = tf.pad(routed, [[0, 0], [a, K - a - oh], [bb, L - bb - ow], [0, 0]]);
        const prev = phases[phase];
        phases[phase] = prev === null ? shifted : (tf.add(prev, shifted) as tf.Tensor4D);
      }
    }
    const zeroPhase = tf.zeros([b, K, L, c]) as tf.Tensor4D;
    const all = phases.map((m) => m ?? zeroPhase);
    const stacked = all.length === 1 ? all[0] : tf.concat(all, 0); // [sh·sw·b, K, L, c]
    const dxp = tf.reshape(tf.transpose(tf.reshape(stacked, [sh, sw, b, K, L, c]), [2, 3, 0, 4, 1, 5]), [b, hp, wp, c]);
    // Undo the padding: crop what was padded, zero-fill what was cropped.
    return padOrCrop(dxp as tf.Tensor4D, padAmounts.map(([p0, p1]) => [-p0, -p1] as Pair));
  });
}

/**
 * `MaxPoolGrad` on the host, for backends whose tensors live in host memory (wasm, cpu): for every
 * window and channel the gradient goes to the first maximum in row-major window order (padding
 * excluded), as in TensorFlow (a NaN first in its window keeps the gradient). One pass over the
 * windows in plain JavaScript: on wasm this is several times faster than the stock kernel (which
 * is also wrong for windows of values ≤ 0) with the flips {@link maxPoolBackpropViaStock} needs.
 * On wasm the pass reads `x` and `dy` and writes the result in place in the wasm heap (no copies),
 * as a WebAssembly SIMD kernel (src/backends/wasmHeapKernels.ts, 3–4× faster, bit-identical) where it
 * can run, else in JavaScript. Exact: each input position receives the float32 sum of the `dy`
 * values routed to it.
 *
 * @param dy `[b, outH, outW, c]`.
 * @param x forward input `[b, inH, inW, c]`.
 * @param filterSize pooling window, a number or `[fh, fw]`.
 * @param strides stride of the forward op, a number or `[sh, sw]`.
 * @param pad padding of the forward op ('same', 'valid', a number or explicit pads).
 * @param dimRoundingMode rounding of the forward op's output size, if any.
 * @param simd whether the wasm SIMD kernel may be used (default true; tests compare both).
 * @returns `[b, inH, inW, c]`, owned by the caller.
 */
export function maxPoolBackpropOnHost(
  dy: tf.Tensor4D,
  x: tf.Tensor4D,
  filterSize: number | Pair,
  strides: number | Pair,
  pad: ConvPad,
  dimRoundingMode: 'floor' | 'round' | 'ceil' | undefined,
  simd = true,
): tf.Tensor4D {
  const g = poolGeometry('backends.maxPoolBackpropOnHost', dy, x.shape, filterSize, strides, pad, dimRoundingMode);
  return hostPass(
    x.shape,
    [x, dy],
    (dx, xs, dys) => maxPoolGradPass(dx, xs, dys, g),
    simd ? (k, dx, xs, dys) => k.maxPoolGrad(dx, xs, dys, ...poolArgs(g)) : undefined,
  ) as tf.Tensor4D;
}

/** A pool's geometry, flattened from tfjs's `computePool2DInfo` (NHWC; padding at top and left). */
interface PoolGeometry {
  readonly nb: number;
  readonly ih: number;
  readonly iw: number;
  readonly c: number;
  readonly oh: number;
  readonly ow: number;
  readonly fh: number;
  readonly fw: number;
  readonly sh: number;
  readonly sw: number;
  readonly top: number;
  readonly left: number;
}

/**
 * The geometry of the pool of `xShape`, with `dy` checked to have its output shape (the passes and
 * the wasm kernels read `dy` by these sizes: a mismatch must not reach them).
 */
function poolGeometry(
  fn: string,
  dy: tf.Tensor4D,
  xShape: number[],
  filterSize: number | Pair,
  strides: number | Pair,
  pad: ConvPad,
  dimRoundingMode: 'floor' | 'round' | 'ceil' | undefined,
): PoolGeometry {
  const info = tf.backend_util.computePool2DInfo(xShape as [number, number, number, number], filterSize, strides, 1, pad, dimRoundingMode);
  const g: PoolGeometry = {
    nb: info.batchSize,
    ih: info.inHeight,
    iw: info.inWidth,
    c: info.inChannels,
    oh: info.outHeight,
    ow: info.outWidth,
    fh: info.filterHeight,
    fw: info.filterWidth,
    sh: info.strideHeight,
    sw: info.strideWidth,
    top: info.padInfo.top,
    left: info.padInfo.left,
  };
  const dyShape = [g.nb, g.oh, g.ow, g.c];
  if (dy.rank !== 4 || dy.shape.some((d, i) => d !== dyShape[i])) {
    fail(fn, `dy must have the pool's output shape [${dyShape.join(', ')}], but got [${dy.shape.join(', ')}].`);
  }
  return g;
}

/** The geometry in the order the wasm kernels take it (after their byte addresses). */
function poolArgs(g: PoolGeometry): [number, number, number, number, number, number, number, number, number, number, number, number] {
  return [g.nb, g.ih, g.iw, g.c, g.oh, g.ow, g.fh, g.fw, g.sh, g.sw, g.top, g.left];
}

/**
 * `dy · step(y)` on the host (the `OptvisMaskByPositive` kernel of src/ops/maskByPositive.ts):
 * on wasm one SIMD pass in the heap where it can, else in JavaScript; the same values as tfjs's
 * wasm `Step` and `Multiply`.
 *
 * @param dy the incoming gradient.
 * @param y the ReLU's output (or input: the mask is the same), the shape of `dy`.
 * @param simd whether the wasm SIMD kernel may be used (default true; tests compare both).
 * @returns a new tensor of `dy`'s shape, owned by the caller.
 */
export function maskByPositiveOnHost(dy: tf.Tensor, y: tf.Tensor, simd = true): tf.Tensor {
  if (!tf.util.arraysEqual(dy.shape, y.shape)) {
    fail('backends.maskByPositiveOnHost', `y must have the shape of dy [${dy.shape.join(', ')}], but got [${y.shape.join(', ')}].`);
  }
  return hostPass(
    dy.shape,
    [dy, y],
    (out, dys, ys) => {
      // step(y) as tfjs's Step: 1 where y > 0, NaN where y is NaN, else 0
      for (let i = 0; i < out.length; i++) out[i] = dys[i] * (ys[i] > 0 ? 1 : ys[i] !== ys[i] ? NaN : 0);
    },
    simd ? (k, out, dys, ys) => k.maskByPositive(out, dys, ys, dy.size) : undefined,
  );
}

/**
 * `AvgPoolGrad` with TensorFlow's semantics on the host, for backends whose tensors live in host
 * memory (wasm, cpu): each `dy` value of a window, times `fround(1 / taps)` where `taps` counts the
 * window's taps inside the input (the divisor of tfjs's and TensorFlow's forward pool), is added
 * to each of those taps. tfjs's own kernels divide by the full window size, which is wrong along
 * the borders of 'same' pools. On wasm the pass runs in the heap as a SIMD kernel
 * (src/backends/wasmHeapKernels.ts) where it can, else in JavaScript, bit-identical.
 *
 * @param dy `[b, outH, outW, c]`.
 * @param x forward input `[b, inH, inW, c]` (only its shape is read).
 * @param filterSize pooling window, a number or `[fh, fw]`.
 * @param strides stride of the forward op, a number or `[sh, sw]`.
 * @param pad padding of the forward op ('same', 'valid', a number or explicit pads).
 * @param dimRoundingMode rounding of the forward op's output size, if any.
 * @param simd whether the wasm SIMD kernel may be used (default true; tests compare both).
 * @returns `[b, inH, inW, c]`, owned by the caller.
 */
export function avgPoolBackpropOnHost(
  dy: tf.Tensor4D,
  x: tf.Tensor4D,
  filterSize: number | Pair,
  strides: number | Pair,
  pad: ConvPad,
  dimRoundingMode: 'floor' | 'round' | 'ceil' | undefined,
  simd = true,
): tf.Tensor4D {
  const g = poolGeometry('backends.avgPoolBackpropOnHost', dy, x.shape, filterSize, strides, pad, dimRoundingMode);
  return hostPass(
    x.shape,
    [dy],
    (dx, dys) => avgPoolGradPass(dx, dys, g),
    simd ? (k, dx, dys) => k.avgPoolGrad(dx, dys, ...poolArgs(g)) : undefined,
  ) as tf.Tensor4D;
}

/** The pass of {@link avgPoolBackpropOnHost} (`dx` zero-filled; float32 arithmetic as the SIMD kernel's). */
function avgPoolGradPass(dx: Float32Array, dys: Float32Array, g: PoolGeometry): void {
  const { nb, ih, iw, c, oh, ow, fh, fw, sh, sw, top, left } = g;
  for (let b = 0; b < nb; b++) {
    for (let oy = 0; oy < oh; oy++) {
      const y0 = oy * sh - top;
      const fy0 = y0 < 0 ? -y0 : 0;
      const fy1 = Math.min(fh, ih - y0);
      if (fy0 >= fy1) continue;
      for (let ox = 0; ox < ow; ox++) {
        const x0 = ox * sw - left;
        const fx0 = x0 < 0 ? -x0 : 0;
        const fx1 = Math.min(fw, iw - x0);
        if (fx0 >= fx1) continue;
        const r = Math.fround(1 / ((fy1 - fy0) * (fx1 - fx0)));
        const o = ((b * oh + oy) * ow + ox) * c;
        for (let fy = fy0; fy < fy1; fy++) {
          for (let fx = fx0; fx < fx1; fx++) {
            const p = ((b * ih + y0 + fy) * iw + x0 + fx) * c;
            for (let ch = 0; ch < c; ch++) dx[p + ch] += Math.fround(dys[o + ch] * r);
          }
        }
      }
    }
  }
}

/**
 * The pass of {@link maxPoolBackpropOnHost}: adds each `dys` value of window `(b, oy, ox)` to `dx` at the
 * first maximum of that window in `xs` (NHWC; `dx` zero-filled, the size of `xs`).
 */
function maxPoolGradPass(dx: Float32Array, xs: Float32Array, dys: Float32Array, g: PoolGeometry): void {
  const { nb, ih, iw, c, oh, ow, fh, fw, sh, sw, top, left } = g;
  // For every window: the flat offsets of its taps inside the image (padding excluded), then for
  // each channel the index of the first maximum. Channels go four at a time with their indices in
  // local variables, and the update is written without a branch (`m` is -1 where the tap is
  // strictly greater, else 0): a data-dependent branch per element mispredicts often, and an array
  // of per-channel indices costs a load and a store per element (together about 2× the time).
  const taps = new Int32Array(fh * fw);
  const c4 = c - (c % 4);
  for (let b = 0; b < nb; b++) {
    for (let oy = 0; oy < oh; oy++) {
      const y0 = oy * sh - top;
      const fy0 = y0 < 0 ? -y0 : 0;
      const fy1 = Math.min(fh, ih - y0);
      if (fy0 >= fy1) continue; // the windows of this row lie in the padding: nothing to route
      for (let ox = 0; ox < ow; ox++) {
        const x0 = ox * sw - left;
        const fx0 = x0 < 0 ? -x0 : 0;
        const fx1 = Math.min(fw, iw - x0);
        if (fx0 >= fx1) continue;
        let nt = 0;
        for (let fy = fy0; fy < fy1; fy++) {
          const rowBase = ((b * ih + y0 + fy) * iw + x0) * c;
          for (let fx = fx0; fx < fx1; fx++) taps[nt++] = rowBase + fx * c;
        }
        // The first tap seeds the maxima; later taps replace them only when strictly greater, so
        // ties keep the first maximum in row-major window order (and a NaN seed stays).
        const o = ((b * oh + oy) * ow + ox) * c;
        const t0 = taps[0];
        let ch = 0;
        for (; ch < c4; ch += 4) {
          let a0 = t0 + ch;
          let a1 = a0 + 1;
          let a2 = a0 + 2;
          let a3 = a0 + 3;
          for (let t = 1; t < nt; t++) {
            const i = taps[t] + ch;
            let m = -(xs[i] > xs[a0]);
            a0 = (i & m) | (a0 & ~m);
            m = -(xs[i + 1] > xs[a1]);
            a1 = ((i + 1) & m) | (a1 & ~m);
            m = -(xs[i + 2] > xs[a2]);
            a2 = ((i + 2) & m) | (a2 & ~m);
            m = -(xs[i + 3] > xs[a3]);
            a3 = ((i + 3) & m) | (a3 & ~m);
          }
          dx[a0] += dys[o + ch];
          dx[a1] += dys[o + ch + 1];
          dx[a2] += dys[o + ch + 2];
          dx[a3] += dys[o + ch + 3];
        }
        for (; ch < c; ch++) {
          let a = t0 + ch;
          for (let t = 1; t < nt; t++) {
            const i = taps[t] + ch;
            const m = -(xs[i] > xs[a]);
            a = (i & m) | (a & ~m);
          }
          dx[a] += dys[o + ch];
        }
      }
    }
  }
}

/**
 * A max-pool gradient kernel with TensorFlow's signature, restricted to 'valid' padding; as the
 * stock wasm `MaxPoolGrad`, which is fast but routes ties to the LAST maximum and drops windows
 * whose values are ≤ 0.
 */
export type ValidMaxPoolGrad = (dy: tf.Tensor4D, x: tf.Tensor4D, y: tf.Tensor4D, filterSize: Pair, strides: Pair) => tf.Tensor4D;

/**
 * `MaxPoolGrad` through a fast kernel that gets only positive, tie-last inputs right (the stock
 * wasm kernel): the input is shifted to values ≥ 1 (`x − min(x) + 1`, which keeps the order of
 * values), padded explicitly, and flipped along H and W, so that the kernel's "last maximum" is the
 * first maximum in row-major order of the original window, as in TensorFlow. The result is flipped
 * back and cropped.
 *
 * Deliberate approximation: the shift rounds, so two values of a window closer than about
 * `6e-8 · (max(x) − min(x) + 1)` count as tied (the gradient goes to the first of them). Inputs must
 * be finite.
 *
 * @param dy `[b, outH, outW, c]`.
 * @param x forward input `[b, inH, inW, c]`.
 * @param y forward output `[b, outH, outW, c]`.
 * @param filterSize pooling window, a number or `[fh, fw]`.
 * @param strides stride of the forward op, a number or `[sh, sw]`.
 * @param pad padding of the forward op ('same', 'valid', a number or explicit pads).
 * @param dimRoundingMode rounding of the forward op's output size, if any.
 * @param validKernel the fast 'valid'-padding kernel to call.
 * @returns `[b, inH, inW, c]`, owned by the caller.
 * @example
 * ```ts
 * const dx = maxPoolBackpropViaStock(dy, x, y, 2, 2, 'same', undefined, stockValidKernel);
 * ```
 */
export function maxPoolBackpropViaStock(
  dy: tf.Tensor4D,
  x: tf.Tensor4D,
  y: tf.Tensor4D,
  filterSize: number | Pair,
  strides: number | Pair,
  pad: ConvPad,
  dimRoundingMode: 'floor' | 'round' | 'ceil' | undefined,
  validKernel: ValidMaxPoolGrad,
): tf.Tensor4D {
  return tf.tidy(() => {
    const info = tf.backend_util.computePool2DInfo(x.shape, filterSize, strides, 1, pad, dimRoundingMode);
    const f: Pair = [info.filterHeight, info.filterWidth];
    const s = pair(strides);
    const { outHeight: oh, outWidth: ow, padInfo } = info;
    const hp = f[0] + (oh - 1) * s[0];
    const wp = f[1] + (ow - 1) * s[1];
    const padAmounts: Pair[] = [[0, 0], [padInfo.top, hp - info.inHeight - padInfo.top], [padInfo.left, wp - info.inWidth - padInfo.left], [0, 0]];
    const positive = tf.add(tf.sub(x, tf.min(x)), 1);
    const xr = flipHW(padOrCrop(positive as tf.Tensor4D, padAmounts, 0));
    const dyr = flipHW(dy);
    const yr = flipHW(y);
    const dxr = validKernel(dyr, xr, yr, f, s);
    return padOrCrop(flipHW(dxr), padAmounts.map(([p0, p1]) => [-p0, -p1] as Pair));
  });
}

/**
 * `UnsortedSegmentSum`: `out[s, ...] = Σ_{i : ids[i] = s} x[i, ...]` (ids outside [0, numSegments)
 * are dropped, as in TensorFlow), as one matrix product with the one-hot encoding of the ids. It is
 * the gradient of `tf.gather`, so without it nothing can be differentiated through a gather.
 *
 * @param x `[...ids.shape, ...rest]`.
 * @param segmentIds int32 ids, whose shape is a prefix of `x`'s.
 * @param numSegments number of output rows.
 * @example
 * ```ts
 * unsortedSegmentSumByMatMul(tf.tensor1d([1, 2, 3]), tf.tensor1d([0, 0, 1], 'int32'), 2); // [3, 3]
 * ```
 * @returns `[numSegments, ...rest]`, owned by the caller.
 */
export function unsortedSegmentSumByMatMul(x: tf.Tensor, segmentIds: tf.Tensor, numSegments: number): tf.Tensor {
  return tf.tidy(() => {
    const k = segmentIds.rank;
    const rest = x.shape.slice(k);
    const n = segmentIds.size;
    const ids = tf.cast(tf.reshape(segmentIds, [n]), 'int32') as tf.Tensor1D;
    const m = rest.reduce((a, b) => a * b, 1);
    const x2 = tf.reshape(x.dtype === 'float32' ? x : tf.cast(x, 'float32'), [n, m]) as tf.Tensor2D;
    // One-hot as a comparison (the wasm OneHot kernel mislabels its dtype): [S, n].
    const oneHotT = tf.cast(tf.equal(tf.reshape(tf.range(0, numSegments, 1, 'int32'), [numSegments, 1]), tf.reshape(ids, [1, n])), 'float32') as tf.Tensor2D;
    const sum = tf.reshape(tf.matMul(oneHotT, x2), [numSegments, ...rest]);
    return x.dtype === 'float32' ? sum : tf.cast(sum, x.dtype);
  });
}

/**
 * `OneHot`: `out[..., j] = onValue if indices[...] = j else offValue`, in `dtype`. The stock wasm
 * kernel writes int32 bits whatever `dtype` says (so `tf.oneHot(ids, n, 1, 0, 'float32')` reads as
 * 1.4e-45 instead of 1 on wasm).
 *
 * @param indices int32 indices.
 * @param depth number of classes.
 * @param onValue value where `indices` = j.
 * @param offValue value elsewhere.
 * @param dtype output dtype.
 * @returns `[...indices.shape, depth]`, owned by the caller.
 * @example
 * ```ts
 * oneHotByEqual(tf.tensor1d([2], 'int32'), 3, 1, 0, 'float32'); // [[0, 0, 1]]
 * ```
 */
export function oneHotByEqual(indices: tf.Tensor, depth: number, onValue: number, offValue: number, dtype: tf.DataType): tf.Tensor {
  return tf.tidy(() => {
    const hit = tf.equal(tf.expandDims(tf.cast(indices, 'int32'), -1), tf.range(0, depth, 1, 'int32'));
    return tf.cast(tf.where(hit, tf.scalar(onValue, 'float32'), tf.scalar(offValue, 'float32')), dtype);
  });
}

/**
 * `Slice` (and `SplitV`, one slice per piece) for the wasm and cpu backends, copying whole
 * contiguous runs.
 *
 * The stock wasm `Slice` (tfjs 4.22) reads the whole input out of the heap, then copies a 4-D
 * slice one innermost row at a time with a new `subarray` per row: cropping an image
 * `[1, 152, 152, 3]` to `[1, 144, 144, 3]` (the jitter transform; the gradient of every pad) makes
 * 20 000 three-element copies. The stock cpu `Slice` computes a multi-index per element unless the
 * slice is one contiguous block (a channel group of an NHWC tensor, the gradient of every concat,
 * is not). Here the trailing axes that the slice keeps whole are merged with the innermost cut axis
 * into one run (a crop copies whole image rows, a channel group one pixel's channels), and runs are
 * copied as blocks (within the heap on wasm, without reading the input out).
 */
import type * as tf from '@tensorflow/tfjs-core';

/** The parts of tfjs-backend-wasm's `BackendWasm` this kernel uses (public methods of that class). */
export interface WasmHeapBackend {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(info: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
}

/** Whether `backend` has the heap methods {@link sliceOnWasmHeap} needs. */
export function isWasmHeapBackend(backend: unknown): backend is WasmHeapBackend {
  const b = backend as Partial<WasmHeapBackend> | null;
  return b !== null && typeof b === 'object' && typeof b.makeOutput === 'function' && typeof b.typedArrayFromHeap === 'function';
}

/** Runs shorter than this are copied element by element (a `copyWithin` call costs more). */
const SHORT_RUN = 32;

type Numeric = Float32Array | Int32Array | Uint8Array;

/**
 * Copies `x[begin : begin + size]` (row-major, `x` of `shape`) from `src` into `dst` as contiguous
 * runs: `copyRun(from, to, length)` for each run longer than {@link SHORT_RUN}, element by element
 * otherwise. `begin` and `size` must be resolved (non-negative, within `shape`).
 */
function copySlice(src: Numeric, dst: Numeric, shape: readonly number[], begin: readonly number[], size: readonly number[], copyRun: (from: number, to: number, length: number) => void): void {
  const rank = shape.length;
  const total = size.reduce((a, b) => a * b, 1);
  if (total === 0) return;
  // Trailing axes kept whole, then the innermost cut axis `p`: one contiguous run per index of the
  // axes before `p`.
  let p = rank - 1;
  let inner = 1;
  while (p >= 0 && size[p] === shape[p]) {
    inner *= shape[p];
    p--;
  }
  if (p < 0) {
    copyRun(0, 0, total);
    return;
  }
  const strides = new Array<number>(rank).fill(1);
  for (let a = rank - 2; a >= 0; a--) strides[a] = strides[a + 1] * shape[a + 1];
  const run = size[p] * inner;
  const runs = total / run;
  // Odometer over axes 0..p-1.
  const idx = new Array<number>(p).fill(0);
  let from = begin[p] * strides[p];
  for (let a = 0; a < p; a++) from += begin[a] * strides[a];
  for (let r = 0, to = 0; r < runs; r++, to += run) {
    if (run < SHORT_RUN) {
      for (let t = 0; t < run; t++) dst[to + t] = src[from + t];
    } else {
      copyRun(from, to, run);
    }
    // Next index of the outer axes (row-major), and the matching input offset.
    for (let a = p - 1; a >= 0; a--) {
      from += strides[a];
      if (++idx[a] < size[a]) break;
      from -= size[a] * strides[a];
      idx[a] = 0;
    }
  }
}

/**
 * `x[begin : begin + size]` as a new wasm tensor (numeric dtypes). `begin` and `size` must be
 * resolved (non-negative, within `x.shape`), as `slice_util.parseSliceParams` returns them.
 *
 * @returns the output's TensorInfo, owned by the caller (the engine, when called as a kernel).
 */
export function sliceOnWasmHeap(x: tf.TensorInfo, begin: readonly number[], size: readonly number[], backend: WasmHeapBackend): tf.TensorInfo {
  const out = backend.makeOutput([...size], x.dtype);
  // Views made after makeOutput (which may grow the heap and replace its buffer).
  const src = backend.typedArrayFromHeap(x);
  const dst = backend.typedArrayFromHeap(out);
  const bytes = dst.BYTES_PER_ELEMENT;
  const heap = new Uint8Array(dst.buffer);
  copySlice(src, dst, x.shape, begin, size, (from, to, n) =>
    heap.copyWithin(dst.byteOffset + to * bytes, src.byteOffset + from * bytes, src.byteOffset + (from + n) * bytes),
  );
  return out;
}

/** The parts of tfjs-backend-cpu's `MathBackendCPU` {@link sliceOnCpu} uses (public methods of that class). */
export interface CpuArrayBackend {
  readSync(dataId: tf.DataId): unknown;
  makeTensorInfo(shape: number[], dtype: tf.DataType, values?: Numeric): tf.TensorInfo;
}

/** Whether `backend` has the methods {@link sliceOnCpu} needs. */
export function isCpuArrayBackend(backend: unknown): backend is CpuArrayBackend {
  const b = backend as Partial<CpuArrayBackend> | null;
  return b !== null && typeof b === 'object' && typeof b.readSync === 'function' && typeof b.makeTensorInfo === 'function';
}

/**
 * `x[begin : begin + size]` as a new cpu tensor (float32, int32 or bool). `begin` and `size` as for
 * {@link sliceOnWasmHeap}.
 *
 * @returns the output's TensorInfo, owned by the caller (the engine, when called as a kernel).
 */
export function sliceOnCpu(x: tf.TensorInfo, begin: readonly number[], size: readonly number[], backend: CpuArrayBackend): tf.TensorInfo {
  const src = backend.readSync(x.dataId) as Numeric;
  const n = size.reduce((a, b) => a * b, 1);
  const dst = x.dtype === 'float32' ? new Float32Array(n) : x.dtype === 'int32' ? new Int32Array(n) : new Uint8Array(n);
  copySlice(src, dst, x.shape, begin, size, (from, to, len) => dst.set(src.subarray(from, from + len), to));
  return backend.makeTensorInfo([...size], x.dtype, dst);
}

/**
 * A `Slice` kernel for the wasm backend that copies whole contiguous runs inside the wasm heap.
 *
 * The stock wasm `Slice` (tfjs 4.22) reads the whole input out of the heap, then copies a 4-D
 * slice one innermost row at a time with a new `subarray` per row: cropping an image
 * `[1, 152, 152, 3]` to `[1, 144, 144, 3]` (the jitter transform; the gradient of every pad) makes
 * 20 000 three-element copies. Here the trailing axes that the slice keeps whole are merged with
 * the innermost cut axis into one run (a crop copies whole image rows), and runs are copied within
 * the heap without reading the input out.
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

/**
 * `x[begin : begin + size]` as a new wasm tensor (numeric dtypes). `begin` and `size` must be
 * resolved (non-negative, within `x.shape`), as `slice_util.parseSliceParams` returns them.
 *
 * @returns the output's TensorInfo, owned by the caller (the engine, when called as a kernel).
 */
export function sliceOnWasmHeap(x: tf.TensorInfo, begin: readonly number[], size: readonly number[], backend: WasmHeapBackend): tf.TensorInfo {
  const shape = x.shape;
  const rank = shape.length;
  const out = backend.makeOutput([...size], x.dtype);
  const total = size.reduce((a, b) => a * b, 1);
  if (total === 0) return out;
  // Views made after makeOutput (which may grow the heap and replace its buffer).
  const src = backend.typedArrayFromHeap(x);
  const dst = backend.typedArrayFromHeap(out);
  // Trailing axes kept whole, then the innermost cut axis `p`: one contiguous run per index of the
  // axes before `p`.
  let p = rank - 1;
  let inner = 1;
  while (p >= 0 && size[p] === shape[p]) {
    inner *= shape[p];
    p--;
  }
  if (p < 0) {
    dst.set(src);
    return out;
  }
  const strides = new Array<number>(rank).fill(1);
  for (let a = rank - 2; a >= 0; a--) strides[a] = strides[a + 1] * shape[a + 1];
  const run = size[p] * inner;
  const runs = total / run;
  const first = begin[p] * strides[p];
  // Odometer over axes 0..p-1.
  const idx = new Array<number>(p).fill(0);
  let from = first;
  for (let a = 0; a < p; a++) from += begin[a] * strides[a];
  const bytes = dst.BYTES_PER_ELEMENT;
  const heap = new Uint8Array(dst.buffer);
  const srcByte = src.byteOffset;
  const dstByte = dst.byteOffset;
  for (let r = 0, to = 0; r < runs; r++, to += run) {
    if (run < SHORT_RUN) {
      for (let t = 0; t < run; t++) dst[to + t] = src[from + t];
    } else {
      heap.copyWithin(dstByte + to * bytes, srcByte + from * bytes, srcByte + (from + run) * bytes);
    }
    // Next index of the outer axes (row-major), and the matching input offset.
    for (let a = p - 1; a >= 0; a--) {
      from += strides[a];
      if (++idx[a] < size[a]) break;
      from -= size[a] * strides[a];
      idx[a] = 0;
    }
  }
  return out;
}

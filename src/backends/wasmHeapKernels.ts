/**
 * Host passes of the gradient fixes as small WebAssembly SIMD kernels that run inside the tfjs wasm
 * backend's heap (src/backends/wasm/heapKernels.wat, compiled by scripts/build-wasm.ts):
 * - `maxPoolGrad`: tfjs's wasm `MaxPoolGrad` drops windows whose values are ≤ 0 and routes ties to
 *   the last maximum, so the library computes the gradient itself (`maxPoolBackpropOnHost`). In
 *   JavaScript that pass was the slowest host pass of a step (InceptionV1: ~14 ms for its six pools
 *   at 140 px); the same loop with four channels per SIMD compare is 3–4× faster.
 * - `col2im`: the scatter-add of a strided convolution's input gradient
 *   (`conv2dBackpropInputByMatMul`), four floats per SIMD add.
 * - `avgPoolGrad`: TensorFlow's average-pool gradient (`avgPoolBackpropOnHost`; tfjs's own kernel
 *   is wrong along the borders of 'same' pools and runs ~8× slower than the forward pool on wasm).
 * - `maskByPositive`: `dy · step(y)`, the ReLU mask of the fused convolutions' input gradients
 *   (src/ops/maskByPositive.ts), one pass instead of tfjs's `Step` and `Multiply`.
 * All are bit-identical to the JavaScript passes, which run where the module cannot.
 *
 * The module imports the backend's own `WebAssembly.Memory` and reads and writes tensors where they
 * are, by byte address. It is instantiated once per memory, from one of two builds of the same
 * source: the threaded wasm binary (`useWasmThreads`) has a shared memory, which needs its own
 * import declaration. It runs on the calling thread (tfjs's kernels are synchronous; XNNPACK's
 * workers are idle meanwhile). When it cannot be instantiated (no wasm SIMD, an unexpected
 * memory), {@link wasmHeapKernels} returns `null` and the JavaScript passes run instead.
 * Not in Lucid.
 */
import { HEAP_KERNELS_SHARED_WASM_BASE64, HEAP_KERNELS_WASM_BASE64 } from './wasm/heapKernelsBinary';

/**
 * `maxPoolGrad(dx, x, dy, batch, inH, inW, channels, outH, outW, filterH, filterW, strideH,
 * strideW, padTop, padLeft)`: byte addresses of the zero-filled `dx`, of `x` and `dy` in the heap,
 * then the pool's geometry. Adds each `dy` value to `dx` at its window's first maximum.
 */
export type WasmMaxPoolGrad = (
  dx: number, x: number, dy: number,
  batch: number, inH: number, inW: number, channels: number, outH: number, outW: number,
  filterH: number, filterW: number, strideH: number, strideW: number, padTop: number, padLeft: number,
) => void;

/**
 * `col2im(dx, patches, batch, inH, inW, inChannels, outH, outW, filterH, filterW, strideH, strideW,
 * padTop, padLeft)`: byte addresses of the zero-filled `dx` and of the patch matrix
 * `[batch·outH·outW, filterH·filterW·inChannels]`, then the convolution's geometry. Adds every
 * patch back into the image at the window it came from.
 */
export type WasmCol2im = (
  dx: number, patches: number,
  batch: number, inH: number, inW: number, inChannels: number, outH: number, outW: number,
  filterH: number, filterW: number, strideH: number, strideW: number, padTop: number, padLeft: number,
) => void;

/**
 * `avgPoolGrad(dx, dy, batch, inH, inW, channels, outH, outW, filterH, filterW, strideH, strideW,
 * padTop, padLeft)`: byte addresses of the zero-filled `dx` and of `dy`, then the pool's geometry.
 * Adds `dy · fround(1 / taps)` of each window to each of its taps inside the input.
 */
export type WasmAvgPoolGrad = WasmCol2im;

/** `maskByPositive(out, dy, y, n)`: byte addresses, then the element count; `out = dy · step(y)` (tfjs's `Step`: NaN for a NaN `y`). */
export type WasmMaskByPositive = (out: number, dy: number, y: number, n: number) => void;

/** The kernels of one instance, bound to one backend's memory. */
export interface WasmHeapKernels {
  readonly maxPoolGrad: WasmMaxPoolGrad;
  readonly col2im: WasmCol2im;
  readonly avgPoolGrad: WasmAvgPoolGrad;
  readonly maskByPositive: WasmMaskByPositive;
}

/**
 * The part of tfjs's wasm backend this module uses: its Emscripten module, which exports its memory
 * (single-threaded binary) or holds the shared memory it imported (threaded binary).
 */
interface WasmModuleHolder {
  readonly wasm?: { readonly asm?: { readonly memory?: unknown }; readonly wasmMemory?: unknown };
}

const instances = new WeakMap<WebAssembly.Memory, WasmHeapKernels | null>();
const compiled = new Map<boolean, WebAssembly.Module | null>();

/** The compiled module for a plain or a shared memory; `null` where this engine cannot compile it. */
function compiledModule(shared: boolean): WebAssembly.Module | null {
  if (!compiled.has(shared)) {
    let mod: WebAssembly.Module | null = null;
    try {
      const text = atob(shared ? HEAP_KERNELS_SHARED_WASM_BASE64 : HEAP_KERNELS_WASM_BASE64);
      const bytes = new Uint8Array(text.length);
      for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
      mod = new WebAssembly.Module(bytes);
    } catch {
      mod = null; // no wasm SIMD (or threads) in this engine
    }
    compiled.set(shared, mod);
  }
  return compiled.get(shared) ?? null;
}

/**
 * The SIMD kernels bound to `backend`'s heap, or `null` when they cannot run there (not tfjs's wasm
 * backend, no wasm SIMD). Cached per memory.
 */
export function wasmHeapKernels(backend: unknown): WasmHeapKernels | null {
  const wasm = (backend as WasmModuleHolder | null)?.wasm;
  const memory = wasm?.asm?.memory ?? wasm?.wasmMemory;
  if (!(memory instanceof WebAssembly.Memory)) return null;
  const hit = instances.get(memory);
  if (hit !== undefined) return hit;
  let kernels: WasmHeapKernels | null = null;
  const shared = typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer;
  const mod = compiledModule(shared);
  if (mod !== null) {
    try {
      const { exports } = new WebAssembly.Instance(mod, { env: { memory } });
      kernels = {
        maxPoolGrad: exports.maxPoolGrad as WasmMaxPoolGrad,
        col2im: exports.col2im as WasmCol2im,
        avgPoolGrad: exports.avgPoolGrad as WasmAvgPoolGrad,
        maskByPositive: exports.maskByPositive as WasmMaskByPositive,
      };
    } catch {
      kernels = null; // a memory whose limits the declared import does not accept
    }
  }
  instances.set(memory, kernels);
  return kernels;
}

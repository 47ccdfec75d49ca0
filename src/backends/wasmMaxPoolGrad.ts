/**
 * The max-pool gradient as a small WebAssembly SIMD kernel that runs inside the tfjs wasm backend's
 * heap (src/backends/wasm/maxPoolGrad.wat, compiled by scripts/build-wasm.ts).
 *
 * Why: tfjs's wasm `MaxPoolGrad` drops windows whose values are ≤ 0 and routes ties to the last
 * maximum, so the library computes the gradient itself (`maxPoolBackpropOnHost`). In JavaScript that
 * pass was the slowest host pass of a step (InceptionV1: ~14 ms for its six pools at 140 px); the
 * same loop with four channels per SIMD compare is 3–4× faster, and bit-identical.
 *
 * The kernel imports the backend's own `WebAssembly.Memory` and reads and writes tensors where they
 * are, by byte address. It is instantiated once per memory, from one of two builds of the same
 * source: the threaded wasm binary (`useWasmThreads`) has a shared memory, which needs its own
 * import declaration. It runs on the calling thread (tfjs's kernels are synchronous; XNNPACK's
 * workers are idle meanwhile). When it cannot be instantiated (no wasm SIMD, an unexpected
 * memory), {@link wasmMaxPoolGradKernel} returns `null` and the JavaScript pass runs instead.
 * Not in Lucid.
 */
import { MAX_POOL_GRAD_SHARED_WASM_BASE64, MAX_POOL_GRAD_WASM_BASE64 } from './wasm/maxPoolGradBinary';

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
 * The part of tfjs's wasm backend this module uses: its Emscripten module, which exports its memory
 * (single-threaded binary) or holds the shared memory it imported (threaded binary).
 */
interface WasmModuleHolder {
  readonly wasm?: { readonly asm?: { readonly memory?: unknown }; readonly wasmMemory?: unknown };
}

const kernels = new WeakMap<WebAssembly.Memory, WasmMaxPoolGrad | null>();
const compiled = new Map<boolean, WebAssembly.Module | null>();

/** The compiled module for a plain or a shared memory; `null` where this engine cannot compile it. */
function compiledModule(shared: boolean): WebAssembly.Module | null {
  if (!compiled.has(shared)) {
    let mod: WebAssembly.Module | null = null;
    try {
      const text = atob(shared ? MAX_POOL_GRAD_SHARED_WASM_BASE64 : MAX_POOL_GRAD_WASM_BASE64);
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
 * The SIMD max-pool gradient bound to `backend`'s heap, or `null` when it cannot run there (not
 * tfjs's wasm backend, no wasm SIMD). Cached per memory.
 */
export function wasmMaxPoolGradKernel(backend: unknown): WasmMaxPoolGrad | null {
  const wasm = (backend as WasmModuleHolder | null)?.wasm;
  const memory = wasm?.asm?.memory ?? wasm?.wasmMemory;
  if (!(memory instanceof WebAssembly.Memory)) return null;
  const hit = kernels.get(memory);
  if (hit !== undefined) return hit;
  let kernel: WasmMaxPoolGrad | null = null;
  const shared = typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer;
  const mod = compiledModule(shared);
  if (mod !== null) {
    try {
      const instance = new WebAssembly.Instance(mod, { env: { memory } });
      kernel = instance.exports.maxPoolGrad as WasmMaxPoolGrad;
    } catch {
      kernel = null; // a memory whose limits the declared import does not accept
    }
  }
  kernels.set(memory, kernel);
  return kernel;
}

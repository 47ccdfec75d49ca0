/**
 * Native convolutions for the wasm backend in Node: tfjs's `Conv2D`, `FusedConv2D` and
 * `BatchMatMul` kernels on `'wasm'` replaced by a C++ addon (native/, built with node-gyp) that
 * computes them in place on the wasm heap, as im2col and a blocked matrix product with AVX2/FMA
 * micro-kernels (where the CPU has them) on a pool of threads that sleep between calls. Opt-in with
 * {@link useNativeKernels} (the CLI's `render` uses it by default when the addon is built);
 * everything else stays tfjs's wasm.
 *
 * Why: a feature-visualization step of a convolutional network is its forward convolutions and
 * their input gradients, which the library computes as forward convolutions too; tfjs's wasm
 * convolutions (XNNPACK on 128-bit SIMD, no FMA, one thread in Node) are 2–4× slower per core
 * than 256-bit FMA code on the same CPU (docs/performance.md, "Native convolutions").
 *
 * Node only (imports `node:fs`, `node:module`, `node:os`, `node:path`, `node:url`). Not in Lucid.
 */
import * as tf from '@tensorflow/tfjs-core';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { fail, show } from '../errors';
import { checkOptions } from '../validate';
import { isWasmHeapBackend, type WasmHeapBackend } from './sliceRuns';

/** Options of {@link useNativeKernels}. */
export interface NativeKernelsOptions {
  /**
   * Threads of the addon's convolutions, 1..256 (the calling thread included; the others sleep
   * between convolutions). Default: the number of logical cores.
   */
  threads?: number;
}

/** Whether the native convolutions are installed, and on what. */
export interface NativeKernelsState {
  /** `true` between {@link useNativeKernels} and {@link releaseNativeKernels}. */
  active: boolean;
  /** Threads of the addon's convolutions (0 when not active). */
  threads: number;
  /** Whether the addon runs its AVX2/FMA micro-kernels (else portable C++). */
  avx2: boolean;
  /** Where the addon was loaded from (`undefined` when not active). */
  addonPath?: string;
}

interface Addon {
  conv2d(heap: Float32Array, args: Int32Array): void;
  matmul(heap: Float32Array, args: Int32Array): void;
  setThreads(n: number): void;
  info(): { threads: number; avx2: boolean; cores: number };
}

/** The kernels replaced (what was registered under their names before is kept in `previous`). */
const KERNELS = ['Conv2D', 'FusedConv2D', 'BatchMatMul'] as const;
type KernelName = (typeof KERNELS)[number];

let addon: Addon | undefined;
let addonPath: string | undefined;
let previous: Map<KernelName, tf.KernelConfig | undefined> | undefined;

const ADDON_FILE = path.join('native', 'build', 'Release', 'optvis_native.node');

/**
 * Where this module is: `__dirname` in CommonJS when it is a real path (not in code a worker
 * thread evaluates, where it is `'.'`), else `import.meta.url` (ES modules, tsx).
 */
function moduleDirs(): string[] {
  const dirs: string[] = [];
  if (typeof __dirname === 'string' && path.isAbsolute(__dirname)) dirs.push(__dirname);
  const url: unknown = (import.meta as { url?: unknown }).url;
  if (typeof url === 'string' && url.startsWith('file:')) dirs.push(path.dirname(fileURLToPath(url)));
  return dirs;
}

/** The addon file of this package (the nearest folder above this module with native/binding.gyp: src/backends or dist), if built. */
function findAddon(): string | undefined {
  for (const start of moduleDirs()) {
    for (let dir = start, i = 0; i < 4; i++, dir = path.dirname(dir)) {
      if (existsSync(path.join(dir, 'native', 'binding.gyp'))) {
        const file = path.join(dir, ADDON_FILE);
        return existsSync(file) ? file : undefined;
      }
    }
  }
  return undefined;
}

/**
 * Whether the native addon is built in this package (its file exists; it may still fail to load).
 * The CLI uses the native convolutions by default when it is.
 *
 * @example
 * ```ts
 * if (nativeKernelsBuilt()) useNativeKernels();
 * ```
 */
export function nativeKernelsBuilt(): boolean {
  return addon !== undefined || findAddon() !== undefined;
}

function loadAddon(fn: string): Addon {
  if (addon) return addon;
  const file = findAddon();
  if (!file) {
    fail(
      fn,
      `the native addon must be built, but ${ADDON_FILE} does not exist in the tfjs-optvis package; ` +
        'run `npm run build:native` in the package folder (needs make and a C++ compiler; `npm install` tries it once).',
    );
  }
  try {
    addon = createRequire(file)(file) as Addon;
  } catch (e) {
    fail(fn, `the native addon ${show(file)} must load, but it failed: ${e instanceof Error ? e.message : String(e)}; rebuild it with \`npm run build:native\`.`);
  }
  addonPath = file;
  return addon;
}

/** Activation codes of the addon: 0 linear, 1 relu, 2 relu6; `undefined`: not supported natively. */
function activationCode(activation: unknown): number | undefined {
  if (activation === undefined || activation === null || activation === 'linear') return 0;
  if (activation === 'relu') return 1;
  if (activation === 'relu6') return 2;
  return undefined;
}

/** Element offset of a float32 tensor in the heap view. */
function offsetOf(backend: WasmHeapBackend, t: tf.TensorInfo): number {
  return backend.typedArrayFromHeap(t).byteOffset / 4;
}

/**
 * Allocates the output, gives `compute` a view of the whole heap and the output's element offset,
 * and frees the output if `compute` throws.
 */
function onHeap(kernel: KernelName, backend: WasmHeapBackend, shape: number[], compute: (heap: Float32Array, out: number) => void): tf.TensorInfo {
  const out = backend.makeOutput(shape, 'float32');
  try {
    // The heap view made after makeOutput, which may grow the heap (and replace its buffer).
    const outView = backend.typedArrayFromHeap(out) as Float32Array;
    compute(new Float32Array(outView.buffer), outView.byteOffset / 4);
  } catch (e) {
    (backend as unknown as tf.KernelBackend).disposeData(out.dataId);
    fail('useNativeKernels', `the native ${kernel} kernel must accept the call, but it refused it: ${e instanceof Error ? e.message : String(e)}.`);
  }
  return out;
}

/**
 * Whether the tensors live in a heap of their own: a threaded wasm backend (`useWasmThreads`)
 * shares its heap with its pthreads, and then its own kernels run (useNativeKernels refuses it
 * when it is already running; this covers a threaded backend started afterwards).
 */
function ownHeap(backend: WasmHeapBackend, t: tf.TensorInfo): boolean {
  return !(typeof SharedArrayBuffer !== 'undefined' && backend.typedArrayFromHeap(t).buffer instanceof SharedArrayBuffer);
}

/**
 * The native matrix product for one `BatchMatMul` call, or `undefined` when the call is outside
 * what the addon does: float32 operands of rank ≥ 2 whose batch dimensions are equal or `b`'s are
 * all 1 and no more than `a`'s, a non-empty output.
 */
function nativeMatMul(inputs: tf.NamedTensorInfoMap, attrs: Record<string, unknown>, backend: unknown): tf.TensorInfo | undefined {
  const { a, b } = inputs as Record<string, tf.TensorInfo | undefined>;
  if (!addon || !a || !b || !isWasmHeapBackend(backend) || a.dtype !== 'float32' || b.dtype !== 'float32') return undefined;
  const ra = a.shape.length;
  const rb = b.shape.length;
  if (ra < 2 || rb < 2) return undefined;
  const ta = attrs.transposeA === true;
  const tb = attrs.transposeB === true;
  const [m, k] = ta ? [a.shape[ra - 1], a.shape[ra - 2]] : [a.shape[ra - 2], a.shape[ra - 1]];
  const [kb, n] = tb ? [b.shape[rb - 1], b.shape[rb - 2]] : [b.shape[rb - 2], b.shape[rb - 1]];
  const outer = a.shape.slice(0, -2);
  const outerB = b.shape.slice(0, -2);
  const batch = outer.reduce((x, y) => x * y, 1);
  const broadcastB = outerB.every((d) => d === 1);
  const sameBatch = outerB.length === outer.length && outerB.every((d, i) => d === outer[i]);
  // b's batch dimensions may not add any to a's (the output's outer shape is then a's).
  if (outerB.length > outer.length || kb !== k || m * n * batch === 0 || k === 0 || (!broadcastB && !sameBatch) || !ownHeap(backend, a)) return undefined;
  const lib = addon;
  return onHeap('BatchMatMul', backend, [...outer, m, n], (heap, out) => {
    lib.matmul(heap, new Int32Array([offsetOf(backend, a), batch, m, k, ta ? 1 : 0, offsetOf(backend, b), broadcastB && batch > 1 ? 1 : 0, n, tb ? 1 : 0, out]));
  });
}

/**
 * The native convolution for one kernel call, or `undefined` when the call is outside what the
 * addon does (then the kernel registered before runs): float32 NHWC only, a bias of exactly `co`
 * values, activation linear, relu or relu6, no PReLU weights, a non-empty output.
 */
function nativeConv(
  inputs: tf.NamedTensorInfoMap,
  attrs: Record<string, unknown>,
  backend: unknown,
  fused: boolean,
): tf.TensorInfo | undefined {
  const { x, filter, bias, preluActivationWeights } = inputs as Record<string, tf.TensorInfo | undefined>;
  if (!addon || !x || !filter || !isWasmHeapBackend(backend)) return undefined;
  if (x.dtype !== 'float32' || filter.dtype !== 'float32' || x.shape.length !== 4 || filter.shape.length !== 4) return undefined;
  if ((attrs.dataFormat ?? 'NHWC') !== 'NHWC') return undefined;
  const act = fused ? activationCode(attrs.activation) : 0;
  if (act === undefined || (fused && preluActivationWeights)) return undefined;
  const co = filter.shape[3];
  if (bias && (bias.dtype !== 'float32' || bias.shape.reduce((a, b) => a * b, 1) !== co || bias.shape[bias.shape.length - 1] !== co)) return undefined;
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    filter.shape as [number, number, number, number],
    attrs.strides as [number, number] | number,
    (attrs.dilations ?? 1) as [number, number] | number,
    attrs.pad as 'same' | 'valid' | number,
    attrs.dimRoundingMode as 'floor' | 'round' | 'ceil' | undefined,
  );
  if (info.outShape.some((d) => d <= 0) || info.inChannels !== filter.shape[2] || !ownHeap(backend, x)) return undefined;
  const lib = addon;
  return onHeap(fused ? 'FusedConv2D' : 'Conv2D', backend, info.outShape, (heap, out) => {
    lib.conv2d(
      heap,
      new Int32Array([
        offsetOf(backend, x), info.batchSize, info.inHeight, info.inWidth, info.inChannels,
        offsetOf(backend, filter), info.filterHeight, info.filterWidth, info.outChannels,
        bias ? offsetOf(backend, bias) : -1,
        out, info.outHeight, info.outWidth,
        info.strideHeight, info.strideWidth, info.padInfo.top, info.padInfo.left,
        info.dilationHeight, info.dilationWidth, act,
      ]),
    );
  });
}

/** The native computation of each kernel replaced. */
const NATIVE: Record<KernelName, (inputs: tf.NamedTensorInfoMap, attrs: Record<string, unknown>, backend: unknown) => tf.TensorInfo | undefined> = {
  Conv2D: (inputs, attrs, backend) => nativeConv(inputs, attrs, backend, false),
  FusedConv2D: (inputs, attrs, backend) => nativeConv(inputs, attrs, backend, true),
  BatchMatMul: nativeMatMul,
};

/**
 * Replaces the wasm backend's `Conv2D`, `FusedConv2D` and `BatchMatMul` kernels with the native
 * addon's (Node only, from `tfjs-optvis/node`; idempotent, a second call only sets `threads`).
 * Calls the addon cannot do (not float32 NHWC, PReLU or other fused activations than
 * relu/relu6/linear, matrix products whose batch dimensions broadcast other than `b`'s all being
 * 1) run the kernels registered before. Everything that convolves on `'wasm'` then uses it: the
 * network's forward pass and, through the library's gradient fixes, the input gradients of the
 * convolutions (stride 1 as convolutions, strided ones as a matrix product and col2im); depthwise
 * convolutions stay tfjs's. Values equal tfjs's wasm convolutions up to float32
 * summation order (the tests check 1e-5 against float64 references); results do not depend on
 * `threads`. Undo with {@link releaseNativeKernels}.
 *
 * The addon is built by `npm install` when a C++ compiler and make are present (`npm run
 * build:native` builds it again). It cannot run with {@link useWasmThreads} (a shared wasm heap);
 * it brings its own threads.
 *
 * Why: a step of InceptionV1 on 2 cores goes from 102–106 ms (wasm on 2 threads) to 65–66 ms,
 * where PyTorch takes 69–74 ms (measured interleaved; docs/performance.md, "Native
 * convolutions"). Not in Lucid.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import '@tensorflow/tfjs-backend-wasm';
 * import { useNativeKernels, nativeKernelsState } from 'tfjs-optvis/node';
 *
 * await tf.setBackend('wasm');
 * useNativeKernels({ threads: 2 });
 * console.log(nativeKernelsState()); // { active: true, threads: 2, avx2: true, addonPath: '…' }
 * ```
 * @param options `threads`: 1..256, default the logical cores.
 * @returns the state after the call.
 * @throws {@link OptvisError} for a bad option, when the addon is not built or does not load, or
 *   when the wasm backend runs on a shared heap (`useWasmThreads`).
 */
export function useNativeKernels(options: NativeKernelsOptions = {}): NativeKernelsState {
  const fn = 'useNativeKernels';
  checkOptions(fn, options, ['threads']);
  const cores = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  const threads: unknown = options.threads === undefined ? cores : options.threads;
  if (typeof threads !== 'number' || !Number.isInteger(threads) || threads < 1 || threads > 256) {
    fail(fn, `threads must be an integer from 1 to 256, but got ${show(threads)}.`);
  }
  const lib = loadAddon(fn);
  const wasm = (tf.engine() as unknown as { registry: Record<string, unknown> }).registry.wasm;
  if (isWasmHeapBackend(wasm)) {
    const probe = wasm.makeOutput([1], 'float32');
    const shared = !ownHeap(wasm, probe);
    (wasm as unknown as tf.KernelBackend).disposeData(probe.dataId);
    if (shared) {
      fail(fn, 'the wasm backend must run on its own heap, but it runs threaded on a shared one (useWasmThreads); use one or the other: the native convolutions bring their own threads.');
    }
  }
  lib.setThreads(threads);
  if (!previous) {
    previous = new Map();
    for (const name of KERNELS) {
      const before = tf.getKernel(name, 'wasm');
      previous.set(name, before);
      if (before) tf.unregisterKernel(name, 'wasm');
      const native = NATIVE[name];
      tf.registerKernel({
        // The stock kernel's setupFunc (it binds its wasm function when the backend starts: needed
        // when the backend starts after this call) and disposeFunc go with it.
        setupFunc: before?.setupFunc,
        disposeFunc: before?.disposeFunc,
        kernelName: name,
        backendName: 'wasm',
        kernelFunc: (args) => {
          const attrs = (args.attrs ?? {}) as Record<string, unknown>;
          const out = native(args.inputs, attrs, args.backend);
          if (out) return out;
          if (!before) fail('useNativeKernels', `a ${name} kernel for 'wasm' must be registered for the calls the addon leaves to it, but none was when useNativeKernels ran.`);
          return before.kernelFunc(args);
        },
      });
    }
  }
  return nativeKernelsState();
}

/**
 * Restores the kernels {@link useNativeKernels} replaced (idempotent). The addon stays loaded.
 *
 * @example
 * ```ts
 * releaseNativeKernels(); // tfjs's own wasm Conv2D, FusedConv2D and BatchMatMul again
 * ```
 */
export function releaseNativeKernels(): void {
  if (!previous) return;
  for (const [name, before] of previous) {
    tf.unregisterKernel(name, 'wasm');
    if (before) tf.registerKernel(before);
  }
  previous = undefined;
}

/**
 * Whether the native convolutions are installed, on how many threads, with which micro-kernels,
 * and where the addon was loaded from. Returns a copy.
 *
 * @example
 * ```ts
 * nativeKernelsState(); // { active: false, threads: 0, avx2: false } before useNativeKernels
 * ```
 */
export function nativeKernelsState(): NativeKernelsState {
  if (!previous || !addon) return { active: false, threads: 0, avx2: false };
  const { threads, avx2 } = addon.info();
  return { active: true, threads, avx2, addonPath };
}

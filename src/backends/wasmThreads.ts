/**
 * Multithreaded wasm in Node: runs tfjs-backend-wasm's threaded SIMD binary under Node's
 * `worker_threads`, with a fallback to the stock single-threaded backend.
 *
 * Why this is needed: tfjs-backend-wasm 4.22 never loads its threaded binary in Node
 * (`WASM_HAS_MULTITHREAD_SUPPORT` returns false when `IS_NODE`), and its loader could not work there
 * anyway: it hands Emscripten `blob:` URLs for the pthread worker script and the main script, which
 * `worker_threads` cannot load. The Emscripten glue itself supports Node. So this module
 * - creates each pthread worker from an ES-module `data:` URL that loads tfjs's own worker script
 *   (shipped as the `wasmWorkerContents` string) with a CommonJS `require`;
 * - gives Emscripten the threaded main script as a file path (workers `importScripts` it);
 * - instantiates the wasm itself, answering `emscripten_num_logical_cores` with twice the
 *   thread count asked for: tfjs divides that number by 2 (for hyper-threading) and caps its
 *   XNNPACK thread pool at the result, so on a 2-core machine it would otherwise use 1 thread.
 *
 * Node only (imports `node:fs`, `node:module`, `node:os`). Not in Lucid.
 */
import * as tf from '@tensorflow/tfjs-core';
import { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import { fail, show } from '../errors';
import { checkOptions } from '../validate';

/** Options of {@link useWasmThreads}. */
export interface WasmThreadsOptions {
  /** Threads of the XNNPACK pool (the main thread included), 1..8. Default: the number of logical cores (max 8). */
  threads?: number;
  /** Give up on the threaded binary and fall back to the stock backend after this many ms. Default 30000. */
  timeoutMs?: number;
}

/** What the wasm backend ended up running, known after it is initialized. */
export interface WasmThreadsState {
  /**
   * Threads in use (1 after a fallback), or 0 before the backend has been initialized (and when
   * {@link useWasmThreads} was never called: tfjs's stock single-threaded binary).
   */
  threads: number;
  /** Why the threaded binary is not used, when it is not (`undefined` when threaded). */
  fallbackReason?: string;
}

const WASM_PRIORITY = 2;
/** Pre-created pthread workers of tfjs's threaded build (its PTHREAD_POOL_SIZE). */
const MAX_THREADS = 8;

let state: WasmThreadsState = { threads: 0 };
let stockFactory: (() => tf.KernelBackend | Promise<tf.KernelBackend>) | undefined;

/** Minimal view of the Emscripten module the threaded factory resolves to. */
interface EmModule {
  cwrap: (name: string, ret: string | null, args: string[]) => (...a: number[]) => number;
  PThread?: { runningWorkers: { unref(): void }[]; terminateAllThreads?: () => void };
  tfjs?: Record<string, unknown>;
}

function resolveWasmFiles(): { mainJs: string; workerJs: string; wasm: string; factory: (cfg: Record<string, unknown>) => Promise<EmModule> } {
  const base = typeof __filename === 'string' ? __filename : import.meta.url;
  const req = createRequire(base);
  const dir = '@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd';
  const mainJs = req.resolve(`${dir}.js`);
  const workerJs = req.resolve(`${dir}.worker.js`);
  const wasm = req.resolve(`${dir}.wasm`);
  return { mainJs, workerJs, wasm, factory: req(mainJs) as (cfg: Record<string, unknown>) => Promise<EmModule> };
}

/**
 * The pthread worker: an ES module (data: URL) that runs tfjs's worker script as CommonJS code.
 * tfjs escapes newlines of that script the same way before putting it into a Blob.
 */
function workerUrl(workerJs: string): URL {
  const p = JSON.stringify(workerJs);
  const code = [
    "import { createRequire } from 'node:module';",
    `const require = createRequire(${p});`,
    `const { wasmWorkerContents } = require(${p});`,
    String.raw`new Function('require', '__filename', wasmWorkerContents.replace(/\n/g, '\\n'))` + `(require, ${p});`,
  ].join('\n');
  return new URL(`data:text/javascript,${encodeURIComponent(code)}`);
}

async function createThreadedBackend(threads: number, timeoutMs: number): Promise<tf.KernelBackend> {
  if (typeof SharedArrayBuffer === 'undefined') throw new Error('SharedArrayBuffer is not available');
  const files = resolveWasmFiles();
  const binary = readFileSync(files.wasm);
  let aborted: unknown;
  const config: Record<string, unknown> = {
    locateFile: (p: string) => (p.endsWith('.worker.js') ? workerUrl(files.workerJs) : p.endsWith('.wasm') ? files.wasm : p),
    mainScriptUrlOrBlob: files.mainJs,
    instantiateWasm: (info: Record<string, Record<string, unknown>>, receive: (i: WebAssembly.Instance, m: WebAssembly.Module) => void) => {
      const env = { ...info.env, emscripten_num_logical_cores: () => 2 * threads };
      WebAssembly.instantiate(binary, { ...info, env, wasi_snapshot_preview1: env } as WebAssembly.Imports).then(
        (r) => receive(r.instance, r.module),
        (e: unknown) => {
          aborted = e;
        },
      );
      return {};
    },
    onAbort: (what: unknown) => {
      aborted = what;
    },
  };
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the threaded module did not start within ${timeoutMs} ms${aborted ? ` (${String(aborted)})` : ''}`)), timeoutMs);
    timer.unref();
  });
  let module: EmModule;
  const pending = files.factory(config);
  try {
    module = await Promise.race([pending, timeout]);
  } catch (e) {
    // Given up on (timeout): should the module still start later, end its pool of 8 pthread workers.
    pending.then(
      (late) => late.PThread?.terminateAllThreads?.(),
      () => undefined,
    );
    throw e;
  } finally {
    clearTimeout(timer);
  }
  module.tfjs = {
    init: module.cwrap('init', null, []),
    initWithThreadsCount: module.cwrap('init_with_threads_count', null, ['number']),
    getThreadsCount: module.cwrap('get_threads_count', 'number', []),
    registerTensor: module.cwrap('register_tensor', null, ['number', 'number', 'number']),
    disposeData: module.cwrap('dispose_data', null, ['number']),
    dispose: module.cwrap('dispose', null, []),
  };
  const backend = new BackendWasm(module as unknown as ConstructorParameters<typeof BackendWasm>[0]);
  // The pool's threads wait on futexes for work; they must not keep the process alive.
  for (const w of module.PThread?.runningWorkers ?? []) w.unref();
  const got = (module.tfjs.getThreadsCount as () => number)();
  state = { threads: got };
  return backend;
}

/** Largest `timeoutMs`: Node's timers fire at once for longer delays (2^31 − 1 ms, about 24.8 days). */
const MAX_TIMEOUT_MS = 2 ** 31 - 1;

/**
 * Makes the `'wasm'` backend use tfjs-backend-wasm's multithreaded SIMD binary in Node, on
 * `threads` threads. Opt-in, Node only (from `tfjs-optvis/node`); call it once, before the wasm
 * backend is first initialized (before `tf.setBackend('wasm')`, `tf.ready()` or anything that
 * starts it). When the threaded binary cannot start (no `SharedArrayBuffer`, no wasm threads,
 * worker start-up failure or `timeoutMs`), the backend falls back to tfjs's stock single-threaded
 * wasm and {@link wasmThreadsState} says why. Numbers are the same as single-threaded wasm up to
 * float32 summation order.
 *
 * Why: tfjs runs wasm on one thread in Node; only XNNPACK's convolutions and matrix products use
 * the extra threads, while tfjs's per-op JavaScript stays on one. Whether that pays depends on
 * the model: measured on 2 cores, an InceptionV1 step is 1.3× faster on 2 threads (109 against
 * 145 ms), but the default model (MobileNetV2) is *slower* on 2 threads (92 ms per step against 75 ms on 1).
 * Measure your model before turning it on (docs/performance.md, "Threads in Node").
 *
 * Not in Lucid.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import '@tensorflow/tfjs-backend-wasm';
 * import { useWasmThreads, wasmThreadsState } from 'tfjs-optvis/node';
 *
 * useWasmThreads({ threads: 2 });          // before the wasm backend starts
 * await tf.setBackend('wasm');
 * const { threads, fallbackReason } = wasmThreadsState();
 * console.log(`wasm on ${threads} thread(s)${fallbackReason ? ` (fell back: ${fallbackReason})` : ''}`);
 * ```
 * @param options `threads`: 1..8 (default: the logical cores, at most 8); `timeoutMs`: how long the
 *   threaded binary may take to start before the fallback (default 30000).
 * @throws {@link OptvisError} for a bad option, or when the wasm backend is already initialized.
 */
export function useWasmThreads(options: WasmThreadsOptions = {}): void {
  const fn = 'useWasmThreads';
  checkOptions(fn, options, ['threads', 'timeoutMs']);
  const cores = Math.min(MAX_THREADS, typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length);
  const threads: unknown = options.threads === undefined ? cores : options.threads;
  if (typeof threads !== 'number' || !Number.isInteger(threads) || threads < 1) {
    fail(fn, `threads must be an integer from 1 to ${MAX_THREADS}, but got ${show(threads)}.`);
  }
  if (threads > MAX_THREADS) {
    fail(fn, `threads must be at most ${MAX_THREADS} (tfjs's threaded wasm binary has a pool of ${MAX_THREADS} pthread workers), but got ${show(threads)}.`);
  }
  const timeoutMs: unknown = options.timeoutMs === undefined ? 30000 : options.timeoutMs;
  if (typeof timeoutMs !== 'number' || !(timeoutMs > 0) || !(timeoutMs <= MAX_TIMEOUT_MS)) {
    fail(fn, `timeoutMs must be a number of milliseconds in (0, ${MAX_TIMEOUT_MS}] (Node's timer limit), but got ${show(timeoutMs)}.`);
  }
  const registry = (tf.engine() as unknown as { registry: Record<string, unknown> }).registry;
  if (registry.wasm !== undefined) {
    const running = state.threads > 0 ? `on ${state.threads} thread(s)` : "tfjs's stock single-threaded binary";
    fail(
      fn,
      `useWasmThreads must be called before the wasm backend is initialized, but it already runs (${running}); ` +
        `call it before tf.setBackend('wasm'), tf.ready() or anything else that starts the backend (threads ${show(threads)} was not applied).`,
    );
  }
  stockFactory ??= tf.findBackendFactory('wasm') ?? undefined;
  const stock = stockFactory;
  if (!stock) fail(fn, "the 'wasm' backend must be registered, but it is not; import '@tensorflow/tfjs-backend-wasm' first.");
  tf.removeBackend('wasm');
  state = { threads: 0 };
  tf.registerBackend(
    'wasm',
    async () => {
      try {
        return await createThreadedBackend(threads, timeoutMs);
      } catch (e) {
        const backend = await stock();
        state = { threads: 1, fallbackReason: e instanceof Error ? e.message : String(e) };
        return backend;
      }
    },
    WASM_PRIORITY,
  );
}

/**
 * What the wasm backend runs after {@link useWasmThreads}: the threads in use (0 before the
 * backend is initialized, or when `useWasmThreads` was never called: then tfjs's stock
 * single-threaded binary runs) and, after a fallback to one thread, the reason. Returns a copy.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import '@tensorflow/tfjs-backend-wasm';
 * import { useWasmThreads, wasmThreadsState } from 'tfjs-optvis/node';
 *
 * useWasmThreads({ threads: 2 });
 * wasmThreadsState();                      // { threads: 0 }: not started yet
 * await tf.setBackend('wasm');
 * wasmThreadsState();                      // { threads: 2 }, or { threads: 1, fallbackReason: '…' }
 * ```
 */
export function wasmThreadsState(): WasmThreadsState {
  return { ...state };
}

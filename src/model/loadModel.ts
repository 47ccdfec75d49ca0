/**
 * Browser-safe `loadModel`: a URL or any `tf.io` handler → a {@link VisModel}.
 */
import * as tf from '@tensorflow/tfjs-core';
import { fail, show } from '../errors';
import { asCallerError, visModel, type VisModelOptions } from './visModel';
import { GRAPH_OPTION_KEYS, parseInputRange, VIS_OPTION_KEYS } from './inputRange';
import { checkOptions } from '../validate';
import { ensureBackend, modelFromArtifacts, type TopologyOptions } from './loadArtifacts';
import type { VisModel } from './types';

/** Options of {@link loadModel}: how to read and cut the model, then how to see it. */
export type LoadModelOptions = TopologyOptions & VisModelOptions;

/**
 * Loads a tfjs model (LayersModel or GraphModel, detected from model.json) and wraps it as a
 * {@link VisModel} ready for `render.renderVis`.
 *
 * Why: Lucid's `modelzoo` models know their input range and layers; a tfjs model file does not,
 * so the range comes from you (`inputRange`, e.g. `[-1, 1]` for Keras MobileNets) and the layer list
 * from the topology. `cutAt` keeps only the part of the network up to a layer (faster, and it lets a
 * model whose head weights are missing load), and a fixed 224-px input is relaxed so that any image
 * size can be rendered (see {@link TopologyOptions}).
 *
 * In Node, `import { loadModel } from 'tfjs-optvis/node'` also accepts a directory or a model.json
 * path on disk (tfjs itself cannot read `file://` without tfjs-node).
 *
 * @example
 * ```ts
 * const vm = await model.loadModel('https://example.com/mobilenet/model.json', { inputRange: [-1, 1], cutAt: 'conv_pw_12_relu' });
 * const { images } = await render.renderVis(vm, 'conv_pw_12_relu:7');
 * vm.dispose();
 * ```
 * @param source a model.json URL, or any `tf.io.IOHandler` (e.g. `tf.io.browserFiles`, `tf.io.fromMemory`).
 * @param options `{ inputRange, cutAt, relaxInputShape = true, ... }` plus every `visModel` option.
 * @returns a VisModel that owns the loaded tfjs model: `dispose()` frees its weights.
 */
export async function loadModel(source: string | tf.io.IOHandler, options: LoadModelOptions): Promise<VisModel> {
  return loadModelAs('model.loadModel', source, options);
}

/** {@link loadModel} reporting errors under `fn` (the Node loader's name for URLs and handlers). @internal */
export async function loadModelAs(fn: string, source: string | tf.io.IOHandler, options: LoadModelOptions): Promise<VisModel> {
  checkLoadOptions(fn, options);
  let handler: tf.io.IOHandler;
  if (typeof source === 'string') {
    if (source === '') fail(fn, 'source must be a model.json URL or a tf.io handler, but got "".');
    const handlers = tf.io.getLoadHandlers(source);
    handler = handlers.length > 0 ? handlers[0] : tf.io.http(source);
  } else if (source !== null && typeof source === 'object' && typeof source.load === 'function') {
    handler = source;
  } else {
    return fail(fn, `source must be a model.json URL or a tf.io handler with load(), but got ${show(source)}.`);
  }
  await ensureBackend(fn);
  let artifacts: tf.io.ModelArtifacts;
  try {
    artifacts = await (handler.load as () => Promise<tf.io.ModelArtifacts>)();
  } catch (e) {
    if (e instanceof Error && e.name === 'OptvisError') throw e;
    return fail(fn, `source must be a loadable model, but loading ${show(typeof source === 'string' ? source : 'the handler')} failed: ${(e as Error).message}`);
  }
  return wrapArtifacts(fn, artifacts, options);
}

/**
 * Checks what a loader can check before reading anything: `options` is an object and its
 * `inputRange` is valid (so a forgotten range is reported by the loader the user called, before
 * any file is read). @internal
 */
export function checkLoadOptions(fn: string, options: unknown, extraKeys: readonly string[] = []): void {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    fail(fn, `options must be an object with at least { inputRange }, e.g. { inputRange: [-1, 1] }, but got ${show(options)}.`);
  }
  checkOptions(fn, options, [...LOAD_OPTION_KEYS, ...extraKeys]);
  parseInputRange(fn, (options as { inputRange?: unknown }).inputRange);
}

/** Option keys of the browser {@link loadModel}: {@link TopologyOptions} and every `visModel` option. */
const LOAD_OPTION_KEYS = ['cutAt', 'relaxInputShape', ...VIS_OPTION_KEYS, ...GRAPH_OPTION_KEYS] as const;


/** Builds the tfjs model from artifacts and wraps it; the VisModel owns the tfjs model. @internal */
export async function wrapArtifacts(fn: string, artifacts: tf.io.ModelArtifacts, options: LoadModelOptions): Promise<VisModel> {
  checkLoadOptions(fn, options);
  const { cutAt, relaxInputShape, ...visOptions } = options;
  const loaded = await modelFromArtifacts(fn, artifacts, { cutAt, relaxInputShape });
  let vm: VisModel;
  try {
    vm = await visModel(loaded.model, visOptions);
  } catch (e) {
    loaded.model.dispose();
    throw asCallerError(fn, e); // the user called the loader, not the adapter: name the loader
  }
  return ownModel(vm, loaded.model);
}

/** A VisModel whose `dispose()` also disposes the tfjs model it wraps. */
function ownModel(vm: VisModel, model: { dispose(): unknown }): VisModel {
  let disposed = false;
  const dispose = (): void => {
    if (disposed) return;
    disposed = true;
    vm.dispose();
    model.dispose();
  };
  // A new object that forwards every member of the wrapper (own and inherited, methods bound to it)
  // except `dispose`; works for frozen objects and classes with private fields alike.
  const out: Record<string | symbol, unknown> = {};
  const target = vm as unknown as Record<string | symbol, unknown>;
  for (let o: object | null = vm; o !== null && o !== Object.prototype; o = Object.getPrototypeOf(o) as object | null) {
    for (const key of Reflect.ownKeys(o)) {
      if (key === 'constructor' || key === 'dispose' || Object.prototype.hasOwnProperty.call(out, key)) continue;
      Object.defineProperty(out, key, {
        enumerable: true,
        get: () => {
          const v = target[key];
          return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(vm) : v;
        },
      });
    }
  }
  out.dispose = dispose;
  return Object.freeze(out) as unknown as VisModel;
}

/**
 * Shared pieces of the reliability suites: the public API as a value (to enumerate it), a small
 * VisModel built with the library's own adapter over the seeded fixture models, and fake lookups
 * for evaluating objectives without a model.
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import * as api from '../../src/node';
import type { VisModel } from '../../src/model/types';
import type { Lookup } from '../../src/objectives/objective';
import { makeTestLayersModel, makeTestGraphModel, TEST_LABELS } from '../fixtures/models';

export { api };

/** Namespaces known when the suites were written (any other object export is enumerated too). */
export const NAMESPACES = ['param', 'transform', 'objectives', 'model', 'render', 'io', 'backends'] as const;

/**
 * Every callable public export, as `'ns.name'` (namespaced) or `'name'` (root), found at run time
 * from `src/node.ts` (a superset of the browser entry). Classes count as callables.
 */
export function publicCallables(): string[] {
  const out = new Set<string>();
  const root = api as unknown as Record<string, unknown>;
  for (const [name, value] of Object.entries(root)) {
    // Every object export is enumerated (a new namespace must not slip through unnoticed);
    // constant tables (arrays, info objects) simply contain no functions.
    if (value !== null && typeof value === 'object') {
      for (const [inner, v] of Object.entries(value as Record<string, unknown>)) {
        if (typeof v === 'function') out.add(`${name}.${inner}`);
      }
    } else if (typeof value === 'function') {
      out.add(name);
    }
  }
  return [...out].sort();
}

type VisModelFactory = (m: tfl.LayersModel | unknown, options: Record<string, unknown>) => VisModel | Promise<VisModel>;

/** The library's adapter (`model.visModel`); a clear failure when it is not exported. */
export function visModelFactory(): VisModelFactory {
  const f = (api.model as unknown as Record<string, unknown>).visModel;
  if (typeof f !== 'function') throw new Error('reliability: model.visModel is not exported by src/model/index.ts');
  return f as VisModelFactory;
}

/** The small fixture LayersModel seen through `model.visModel`, with labels. Caller disposes both. */
export async function smallVisModel(seed = 1): Promise<{ vm: VisModel; net: tfl.LayersModel; dispose(): void }> {
  const net = makeTestLayersModel(seed);
  const vm = await visModelFactory()(net, { inputRange: [-1, 1], labels: TEST_LABELS });
  return {
    vm,
    net,
    dispose: () => {
      vm.dispose();
      net.dispose();
    },
  };
}

/** The fixture GraphModel seen through `model.visModel`. Caller disposes both. */
export async function smallGraphVisModel(seed = 1): Promise<{ vm: VisModel; dispose(): void }> {
  const g = await makeTestGraphModel(seed);
  const vm = await visModelFactory()(g, { inputRange: [-1, 1] });
  return {
    vm,
    dispose: () => {
      vm.dispose();
      g.dispose();
    },
  };
}

/**
 * A fake lookup over the given tensors (not owned by the lookup), with labels and a step number, as
 * the render loop passes to objectives.
 */
export function fakeLookup(tensors: Record<string, tf.Tensor>, options: { labels?: readonly string[]; step?: number } = {}): Lookup {
  const f = (name: string): tf.Tensor => {
    const t = tensors[name];
    if (t === undefined) throw new Error(`fakeLookup: no tensor named ${name}`);
    return t;
  };
  return Object.assign(f, { labels: options.labels, step: options.step ?? 0 });
}

/** Asserts-free helper: `numTensors` now. */
export const numTensors = (): number => tf.memory().numTensors;

type LoadModel = (source: unknown, options: Record<string, unknown>) => Promise<VisModel>;

/** The library's `model.loadModel` (a clear failure when it is not exported). */
export function loadModelFn(): LoadModel {
  const f = (api.model as unknown as Record<string, unknown>).loadModel;
  if (typeof f !== 'function') throw new Error('reliability: model.loadModel is not exported by src/model/index.ts');
  return f as LoadModel;
}

/** A function of the `model` namespace by name, untyped (for tables that pass wrong arguments). */
export function modelFn(name: string): (...args: unknown[]) => unknown {
  const f = (api.model as unknown as Record<string, unknown>)[name];
  if (typeof f !== 'function') throw new Error(`reliability: model.${name} is not exported by src/model/index.ts`);
  return f as (...args: unknown[]) => unknown;
}

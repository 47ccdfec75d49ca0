import * as tf from '@tensorflow/tfjs-core';
import { fail, show } from '../errors';
import { type Lookup, type ObjectiveFn, Objective } from './objective';
import { checkBatch, checkHasBatchAxis, checkOptionalIndex, describeCall, selectBatch } from './util';

/**
 * A lookup that restricts every tensor to image `batch` (`T(name)[batch:batch+1]`); `labels` and
 * `step` pass through. With `batch` undefined, `T` itself is returned.
 *
 * The building block of the `batch` option of the factories, for custom objectives that should
 * focus on one image of the batch. Out-of-range indices throw when a tensor is looked up.
 *
 * Port of `lucid.optvis.objectives.handle_batch` / `objectives_util._T_handle_batch`.
 *
 * @example
 * ```ts
 * const maxOfImage1 = new Objective((T) => tf.max(objectives.handleBatch(T, 1)('mixed4a')), 'Max [mixed4a, batch=1]', ['mixed4a']);
 * ```
 * @param T the step's lookup.
 * @param batch image index (an integer >= 0), or undefined for the whole batch.
 * @returns a lookup; its tensors belong to the step (created inside the caller's tidy).
 */
export function handleBatch(T: Lookup, batch: number | undefined): Lookup {
  const fn = 'objectives.handleBatch';
  checkOptionalIndex(fn, 'batch', batch);
  if (batch === undefined) return T;
  const T2 = (name: string): tf.Tensor => {
    const t = T(name);
    checkBatch(fn, name, batch, checkHasBatchAxis(fn, name, t));
    return selectBatch(t, batch);
  };
  return Object.assign(T2, { labels: T.labels, step: T.step });
}

/**
 * Turns a function that builds an objective's evaluation into an objective FACTORY whose
 * objectives are described like Lucid's: `Name [arg1, arg2]`.
 *
 * Lucid's `@wrap_objective` decorator for user-defined objectives. Because eager tfjs must know
 * which layers to fetch before the forward pass, `build` returns the layers alongside the function.
 *
 * Port of `lucid.optvis.objectives.wrap_objective`.
 *
 * @example
 * ```ts
 * const channelMax = objectives.wrapObjective('ChannelMax', (layer: string, n: number) => ({
 *   layers: [layer],
 *   fn: (T) => tf.max(tf.slice(T(layer), [0, 0, 0, n], [-1, -1, -1, 1])),
 * }));
 * const obj = channelMax('mixed4a', 97); // description "ChannelMax [mixed4a, 97]"
 * ```
 * @param name the objective's name in descriptions.
 * @param build called once per factory call with its arguments; returns the evaluation function
 *   (a scalar or any tensor, which is summed) and the model layers it reads (`'input'` allowed).
 * @returns the factory.
 */
export function wrapObjective<A extends unknown[]>(
  name: string,
  build: (...args: A) => { readonly fn: ObjectiveFn; readonly layers: readonly string[] },
): (...args: A) => Objective {
  const fn = 'objectives.wrapObjective';
  if (typeof name !== 'string' || name.length === 0) fail(fn, `name must be a non-empty string, but got ${show(name)}.`);
  if (typeof build !== 'function') fail(fn, `build must be a function, but got ${show(build)}.`);
  return (...args: A) => {
    const built = build(...args);
    if (built === null || typeof built !== 'object' || typeof built.fn !== 'function' || !Array.isArray(built.layers)) {
      fail(fn, `build for "${name}" must return { fn, layers }, but got ${show(built)}.`);
    }
    return new Objective(built.fn, describeCall(name, args), built.layers);
  };
}

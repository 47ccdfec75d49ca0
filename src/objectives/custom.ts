import * as tf from '@tensorflow/tfjs-core';
import { fail, show } from '../errors';
import { checkOptionalIndex } from '../validate';
import { type Lookup, type ObjectiveFn, Objective } from './objective';
import { checkBatch, checkHasBatchAxis, checkLayer, describeCall, nhwcShape, selectBatch, toNHWC } from './util';

/**
 * `t` (the tensor of `name`) restricted to image `batch` (`t[batch:batch+1]`), `t` itself when
 * `batch` is undefined; an index out of range throws for `fn`. Lucid's `_T_handle_batch` for one
 * tensor: the one implementation behind {@link handleBatch}, {@link layerObjective} and the
 * penalties' `batch` option.
 */
export function restrictBatch(fn: string, name: string, t: tf.Tensor, batch: number | undefined): tf.Tensor {
  if (batch === undefined) return t;
  checkBatch(fn, name, batch, checkHasBatchAxis(fn, name, t));
  return selectBatch(t, batch);
}

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
  const T2 = (name: string): tf.Tensor => restrictBatch(fn, name, T(name), batch);
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

/**
 * The combinator behind the layer objectives (`channel`, `neuron`, `direction`, `directionNeuron`,
 * `tensorDirection`): Lucid's `@wrap_objective` (validated layer name; description
 * `Name [layer, args…, key=value]`, `undefined` options left out) plus `handle_batch` (the `batch`
 * option, via {@link restrictBatch}) and `_T_force_NHWC` (a `[batch, channels]` layer is read as
 * `[batch, 1, 1, channels]`). `body` gets the NHWC activations (one image when `batch` is given)
 * and the layer's full shape, and returns the value (a scalar, or a tensor that is summed).
 * Internal.
 *
 * @param fn public path of the factory, for errors (`'objectives.channel'`).
 * @param name the objective's name in its description (`'Channel'`).
 * @param layer the layer the objective reads.
 * @param args the factory's other positional arguments, for the description.
 * @param described the factory's (validated) options for the description; its `batch` is validated here.
 * @param body the objective's value on the activations; runs inside the step's tidy.
 */
export function layerObjective(
  fn: string,
  name: string,
  layer: string,
  args: readonly unknown[],
  described: { readonly batch?: number } & Readonly<Record<string, unknown>>,
  body: (acts: tf.Tensor4D, layerShape: readonly number[]) => tf.Tensor,
): Objective {
  return onLayer(fn, name, layer, args, described, (t, all) => body(toNHWC(t, nhwcShape(fn, layer, t)), all.shape));
}

/**
 * {@link layerObjective} without the NHWC view: `body` gets the layer's tensor as it is (one image
 * when `batch` is given) and the whole tensor. For objectives on layers of any rank (`deepdream`,
 * `L1`, `L2`). Internal.
 */
export function onLayer(
  fn: string,
  name: string,
  layer: string,
  args: readonly unknown[],
  described: { readonly batch?: number } & Readonly<Record<string, unknown>>,
  body: (t: tf.Tensor, all: tf.Tensor) => tf.Tensor,
): Objective {
  checkLayer(fn, 'layer', layer);
  const batch = checkOptionalIndex(fn, 'batch', described.batch);
  return new Objective(
    (T) => {
      const all = T(layer);
      return body(restrictBatch(fn, layer, all, batch), all);
    },
    describeCall(name, [layer, ...args], described),
    [layer],
  );
}

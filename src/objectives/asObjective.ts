import { fail, show } from '../errors';
import { channel } from './channel';
import { Objective } from './objective';

/**
 * Converts a value to an {@link Objective}: objectives pass through unchanged; a string
 * `'layer:n'` becomes `channel(layer, n)`.
 *
 * The string form is the shorthand the render functions accept (`renderVis(model, 'mixed4a:97')`).
 * Layer names may themselves contain `:` or `/` (e.g. TF graph names `'import/mixed4a:0'`), so the
 * string is split at its LAST colon, and both parts are trimmed.
 *
 * Port of `lucid.optvis.objectives.as_objective`. Deliberate difference: plain functions are
 * rejected (Lucid passes callables through), because the render loop must know which layers an
 * objective reads: wrap them as `new Objective(fn, description, layers)`.
 *
 * @example
 * ```ts
 * objectives.asObjective('mixed4a:97').description;        // "Channel [mixed4a, 97]"
 * objectives.asObjective('block/conv:0:3').layers;          // ['block/conv:0']
 * ```
 * @param obj an `Objective` or a `'layer:n'` string with a non-negative integer `n`.
 * @returns the objective.
 */
export function asObjective(obj: Objective | string): Objective {
  const fn = 'objectives.asObjective';
  if (obj instanceof Objective) return obj;
  if (typeof obj === 'string') {
    const at = obj.lastIndexOf(':');
    const layer = at < 0 ? '' : obj.slice(0, at).trim();
    const n = at < 0 ? '' : obj.slice(at + 1).trim();
    if (layer.length === 0 || !/^\d+$/.test(n)) {
      fail(fn, `obj must be an Objective or a "layer:n" string with a channel index n, but got ${show(obj)}.`);
    }
    return channel(layer, Number(n));
  }
  if (typeof obj === 'function') {
    fail(
      fn,
      `obj must be an Objective or a "layer:n" string, but got a function; ` +
        `wrap it as new Objective(fn, description, layers) so the layers it reads are known.`,
    );
  }
  return fail(fn, `obj must be an Objective or a "layer:n" string, but got ${show(obj)}.`);
}

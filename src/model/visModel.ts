import * as tfl from '@tensorflow/tfjs-layers';
import * as tfc from '@tensorflow/tfjs-converter';
import { fail, OptvisError, show } from '../errors';
import { fromGraphModel, type GraphModelOptions } from './graphModel';
import { fromLayersModel, type LayersModelOptions } from './layersModel';
import type { GraphModelLike, LayersModelLike, VisModel } from './types';

/** Options of {@link visModel}: those of {@link fromLayersModel} and {@link fromGraphModel}. */
export type VisModelOptions = LayersModelOptions & Omit<GraphModelOptions, keyof LayersModelOptions>;

/**
 * Wraps any tfjs model (a `LayersModel` or a `GraphModel`) as a {@link VisModel}.
 *
 * Why: the render loop only needs "activations of these layers on this image"; whether the network
 * came from Keras (tfjs-layers) or a frozen TensorFlow graph (tfjs-converter) is a detail, as the
 * origin of the graph is in Lucid's `Model.import_graph`. `inputRange` is required: it is the one
 * thing a model file does not say and the most common cause of silently bad visualizations.
 *
 * Port of the model side of `lucid.modelzoo.vision_base.Model`.
 *
 * @example
 * ```ts
 * const vm = await visModel(await tf.loadLayersModel(url), { inputRange: [-1, 1] });
 * const images = await render.renderVis(vm, 'conv_pw_5_relu:3');
 * vm.dispose();
 * ```
 * @param model a `tf.LayersModel` or `tf.GraphModel`; the caller keeps owning it.
 * @param options `{ inputRange (required), channelOrder = 'RGB', labels, inputName (GraphModel), probeSize (GraphModel) }`.
 * @returns a VisModel whose `dispose()` frees what the wrapper allocated (never the model).
 */
export async function visModel(model: LayersModelLike | GraphModelLike, options: VisModelOptions): Promise<VisModel> {
  try {
    return await adapt(model, options);
  } catch (e) {
    throw asCallerError('model.visModel', e);
  }
}

/** Adapter functions whose argument errors are reported under the name of the function the user called. */
const ADAPTERS = new Set(['model.fromLayersModel', 'model.fromGraphModel', 'model.visModel']);

/** `e` re-issued under `fn` when an adapter raised it (the user called `fn`, not the adapter); else `e`. @internal */
export function asCallerError(fn: string, e: unknown): unknown {
  return e instanceof OptvisError && ADAPTERS.has(e.fn) ? new OptvisError(fn, e.message.slice(`Error in ${e.fn}: `.length)) : e;
}

async function adapt(model: LayersModelLike | GraphModelLike, options: VisModelOptions): Promise<VisModel> {
  if (model instanceof tfl.LayersModel) {
    const { inputName, probeSize, ...rest } = (options ?? {}) as VisModelOptions;
    if (inputName !== undefined || probeSize !== undefined) {
      fail('model.visModel', `options.inputName and options.probeSize must be left out for a LayersModel (they apply to GraphModels), but got ${show(inputName ?? probeSize)}.`);
    }
    return fromLayersModel(model, rest);
  }
  if (model instanceof tfc.GraphModel) return fromGraphModel(model, options);
  return fail('model.visModel', `model must be a tf.LayersModel or a tf.GraphModel, but got ${show(model)}.`);
}

/**
 * tfjs-optvis: feature visualization for TensorFlow.js, a port of Lucid's `optvis`.
 *
 * Namespaces mirror Lucid: `param` (image parameterizations), `transform` (random robustness
 * transforms), `objectives` (what to maximise), `render` (the optimization loop), plus `model`
 * (any tfjs GraphModel/LayersModel as a visualizable model) and `io` (images out).
 *
 * @packageDocumentation
 */
import './ops/registerGradients';

export * as param from './param/index';
export * as transform from './transform/index';
export * as objectives from './objectives/index';
export * as model from './model/index';
export * as render from './render/index';
export { renderVis, visSession } from './render/index';
export * as io from './io/index';
export * as backends from './backends/index';
export * as gallery from './gallery/index';
export { renderLayer } from './gallery/index';
export * as transparency from './transparency/index';
export { visModel } from './model/index';
export { Objective } from './objectives/objective';
export type { Param, ParamOutputs } from './param/types';
export type { Transform } from './transform/types';
export type { VisModel, LayerInfo, InputRange, LayersModelLike, GraphModelLike } from './model/types';
export type { ImageArray } from './io/types';
export { stopGradient } from './ops/stopGradient';
export { Rng, toRng } from './ops/random';
export type { RandomSource } from './ops/random';
export { OptvisError } from './errors';

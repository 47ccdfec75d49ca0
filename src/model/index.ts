/**
 * Any tfjs model as a visualizable model: {@link visModel} (or {@link fromLayersModel} /
 * {@link fromGraphModel}) wraps a LayersModel or GraphModel with its input range, channel order,
 * layer list and one-pass `activations(image, names)`; the loaders read models from URLs, handlers
 * and (in Node) directories.
 *
 * Port of the model side of `lucid.modelzoo.vision_base.Model`.
 *
 * @packageDocumentation
 */
export type { VisModel, LayerInfo, InputRange, LayersModelLike, GraphModelLike } from './types';
export { fromLayersModel, type LayersModelOptions } from './layersModel';
export { PREACT_SUFFIX } from './layerIndex';
export { fromGraphModel, type GraphModelOptions } from './graphModel';
export { unfuseGraphTopology } from './unfuseGraph';
export { visModel, type VisModelOptions } from './visModel';
export { parseInputRange, toModelInput, type AffineRange } from './inputRange';
export { loadModel, type LoadModelOptions } from './loadModel';
export type { TopologyOptions } from './loadArtifacts';

export type { VisModel, LayerInfo, InputRange } from './types';
export { fromLayersModel, PREACT_SUFFIX, type LayersModelOptions } from './layersModel';
export { fromGraphModel, unfuseGraphTopology, type GraphModelOptions } from './graphModel';
export { visModel, type VisModelOptions } from './visModel';
export { parseInputRange, toModelInput, type AffineRange } from './inputRange';
export { loadModel, type LoadModelOptions } from './loadModel';
export type { TopologyOptions, LoadedTfjsModel } from './loadArtifacts';

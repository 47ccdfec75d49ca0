export type { VisModel, LayerInfo, InputRange } from './types';

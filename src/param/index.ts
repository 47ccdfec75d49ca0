export type { Param, ParamOutputs } from './types';

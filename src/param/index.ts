export type { Param } from './types';

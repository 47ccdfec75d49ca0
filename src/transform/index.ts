export type { Transform } from './types';

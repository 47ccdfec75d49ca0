export type { ImageArray } from './types';

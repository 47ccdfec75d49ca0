/** The public API under test, imported like a user would (the alias resolves to src/). */
export { objectives, param, render, transparency, Rng } from 'tfjs-optvis/node';
export type { Param } from 'tfjs-optvis/node';
import { param } from 'tfjs-optvis/node';
/** ImageNet's normalized colour correlation (decorrelated → RGB), as float64 numbers. */
export const COLOR_CORRELATION: readonly (readonly number[])[] = param.COLOR_CORRELATION_NORMALIZED;

/** Argument checks of the transparency namespace (internal). */
import { fail, show } from '../errors';
import { Rng } from '../ops/random';

/** Checks that `options` is undefined or a plain object. */
export function checkOptionsObject(fn: string, options: unknown): void {
  if (options !== undefined && (options === null || typeof options !== 'object' || Array.isArray(options))) {
    fail(fn, `options must be an object, but got ${show(options)}.`);
  }
}

/** An optional boolean option, `dflt` when undefined. */
export function optionalBool(fn: string, name: string, value: unknown, dflt: boolean): boolean {
  if (value === undefined) return dflt;
  if (typeof value !== 'boolean') fail(fn, `${name} must be a boolean, but got ${show(value)}.`);
  return value;
}

/** The generator of `options.seed` (a finite number, an `Rng` or undefined), checked before anything is allocated. */
export function seedRng(fn: string, seed: unknown): Rng {
  if (seed instanceof Rng) return seed;
  if (seed !== undefined && (typeof seed !== 'number' || !Number.isFinite(seed))) {
    fail(fn, `options.seed must be a finite number or an Rng, but got ${show(seed)}.`);
  }
  return new Rng(seed as number | undefined);
}

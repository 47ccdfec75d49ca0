/**
 * Seeded randomness. Every random draw in tfjs-optvis goes through an {@link Rng} so that a run
 * can be reproduced exactly: host-side choices (jitter offsets, scales, angles) are drawn from it
 * and passed to ops as plain numbers, and tensor draws (`tf.randomNormal`) receive seeds drawn
 * from it.
 */
import { fail, show } from '../errors';

/**
 * A seedable pseudo-random source (mulberry32 with Box–Muller normals).
 *
 * @example
 * ```ts
 * const rng = new Rng(0);
 * rng.uniform(-1, 1);  // the same number for every Rng(0)
 * rng.choice([0.9, 1, 1.1]);
 * tf.randomNormal([2, 3], 0, 1, 'float32', rng.seed());
 * ```
 */
export class Rng {
  private state: number;
  private spare: number | null = null;

  /** @param seed any finite number; equal seeds give equal sequences. Default: drawn from `Math.random`. */
  constructor(seed?: number) {
    const s = seed === undefined ? Math.floor(Math.random() * 2 ** 32) : seed;
    if (typeof s !== 'number' || !Number.isFinite(s)) fail('Rng', `seed must be a finite number, but got ${show(s)}.`);
    this.state = hashSeed(s);
  }

  /** A float in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) | 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** A float in [lo, hi). */
  uniform(lo = 0, hi = 1): number {
    return lo + (hi - lo) * this.next();
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** An integer in [lo, hi] (both ends included). */
  intBetween(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }

  /** One element of `list`, uniformly. */
  choice<T>(list: readonly T[]): T {
    if (!Array.isArray(list) || list.length === 0) fail('Rng.choice', `list must be a non-empty array, but got ${show(list)}.`);
    return list[this.int(list.length)];
  }

  /** A standard normal draw. */
  normal(mean = 0, sd = 1): number {
    if (this.spare !== null) {
      const v = this.spare;
      this.spare = null;
      return mean + sd * v;
    }
    let u = 0;
    while (u === 0) u = this.next();
    const v = this.next();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return mean + sd * r * Math.cos(2 * Math.PI * v);
  }

  /** An integer seed for tfjs random ops (`tf.randomNormal(shape, mean, sd, dtype, seed)`). */
  seed(): number {
    return Math.floor(this.next() * 2 ** 31);
  }

  /** An independent generator seeded from this one. */
  fork(): Rng {
    return new Rng(this.seed());
  }
}

function hashSeed(seed: number): number {
  // Mix the bits of the seed (including fractional parts) into a 32-bit state.
  let h = 0x9e3779b9 ^ Math.floor(seed);
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ Math.floor((seed % 1) * 2 ** 31), 0xc2b2ae35);
  return (h ^ (h >>> 16)) | 0;
}

/** Accepts an {@link Rng}, a seed number or nothing (a fresh unseeded generator). */
export type RandomSource = Rng | number | undefined;

/**
 * Normalises a {@link RandomSource} into an {@link Rng}.
 *
 * @param source an `Rng` (returned as is), a seed number (a new seeded `Rng`) or `undefined`
 *   (a new unseeded `Rng`).
 * @example
 * ```ts
 * const rng = toRng(42); // same as new Rng(42)
 * ```
 */
export function toRng(source: RandomSource): Rng {
  return source instanceof Rng ? source : new Rng(source);
}

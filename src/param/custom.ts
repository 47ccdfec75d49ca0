import * as tf from '@tensorflow/tfjs-core';
import '../ops/registerGradients';
import { fail, show } from '../errors';
import { checkFunction } from '../validate';
import type { Param, ParamOutputs } from './types';

/** The tensors the parts of a {@link custom} param produce, in order. */
export type PartImages<P extends readonly Param<tf.Tensor>[]> = { [K in keyof P]: P[K] extends Param<infer T> ? T : never };

/**
 * A parameterization composed by the user from other params.
 *
 * Why: Lucid's notebooks build parameterizations as plain functions of other ones — e.g. the
 * transparency experiments composite an optimized RGBA image over a random background
 * ({@link imageSample}) and optimize the composite. In eager tfjs a param must own its variables,
 * so `custom` collects the parts' variables and calls `fn` with the parts' current images on every
 * step. `fn` returns the image, or `{ image, ...named }` to expose intermediate tensors (the render
 * session can read them through `build()`).
 *
 * @example
 * ```ts
 * const fg = image(64, { alpha: true, seed: 1 });
 * const bg = imageSample([1, 64, 64, 3], { sd: 0.2, seed: 2 });
 * const p = custom([fg, bg], ([rgba, back]) => {
 *   const rgb = rgba.slice([0, 0, 0, 0], [-1, -1, -1, 3]);
 *   const a = rgba.slice([0, 0, 0, 3], [-1, -1, -1, 1]);
 *   const composite = rgb.mul(a).add(back.mul(a.neg().add(1))) as tf.Tensor4D;
 *   return { image: composite, rgba };
 * });
 * const img = p.image();  // only the composite; the other tensors are freed
 * p.dispose();            // disposes fg and bg
 * ```
 * @param parts the params to compose (the custom param takes ownership: `dispose()` disposes them).
 * @param fn receives the parts' images (owned by the call: do not dispose them, returning one is
 *   fine) and returns a tensor or `{ image, ...named }`. It runs inside `tf.tidy`; tensors it does
 *   not return are freed.
 * @returns a {@link Param}: `variables` = the union of the parts' variables; `image()` returns only
 *   the image; `build()` returns all named outputs (the caller owns them); `shape` is computed on
 *   first access by one call of `fn`.
 *
 * @remarks
 * Not a Lucid function: Lucid composes params as plain TensorFlow graph code.
 */
export function custom<P extends readonly Param<tf.Tensor>[], T extends tf.Tensor = tf.Tensor4D>(
  parts: readonly [...P],
  fn: (images: PartImages<P>) => T | ParamOutputs<T>,
): Param<T> {
  const FN = 'param.custom';
  if (!Array.isArray(parts) || parts.length === 0) fail(FN, `parts must be a non-empty array of params, but got ${show(parts)}.`);
  parts.forEach((p, i) => {
    if (p === null || typeof p !== 'object' || typeof (p as Param<tf.Tensor>).image !== 'function' || !Array.isArray((p as Param<tf.Tensor>).variables)) {
      fail(FN, `parts[${i}] must be a param (with image() and variables), but got ${show(p)}.`);
    }
  });
  checkFunction(FN, 'fn', fn);
  const variables = Object.freeze([...new Set(parts.flatMap((p) => [...p.variables]))]);
  let disposed = false;
  let shape: readonly number[] | null = null;

  const build = (): ParamOutputs<T> => {
    if (disposed) fail(FN, 'the param must not be disposed when image() or build() is called, but it was disposed.');
    return tf.tidy(() => {
      const images = parts.map((p) => p.image()) as unknown as PartImages<P>;
      const out = fn(images);
      if (out instanceof tf.Tensor) return { image: out } as ParamOutputs<T>;
      if (out === null || typeof out !== 'object' || !((out as ParamOutputs<T>).image instanceof tf.Tensor)) {
        fail(FN, `fn must return a tensor or an object { image, ...named } of tensors, but got ${show(out)}.`);
      }
      for (const [k, v] of Object.entries(out)) {
        if (!(v instanceof tf.Tensor)) fail(FN, `fn must return only tensors, but got ${show(v)} for "${k}".`);
      }
      return { ...out } as ParamOutputs<T>;
    }) as ParamOutputs<T>;
  };

  const image = (): T => {
    const out = build();
    for (const v of Object.values(out)) if (v !== out.image) v.dispose();
    return out.image;
  };

  return {
    get shape(): readonly number[] {
      if (shape === null) {
        const img = image();
        shape = Object.freeze(img.shape.slice());
        img.dispose();
      }
      return shape;
    },
    variables,
    get disposed(): boolean {
      return disposed;
    },
    image,
    build,
    dispose(): void {
      if (disposed) return;
      disposed = true;
      for (const p of new Set(parts)) p.dispose();
    },
  };
}

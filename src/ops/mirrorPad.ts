/**
 * Mirror padding with a correct gradient.
 *
 * tfjs 4.22's `MirrorPad` gradient only slices the centre out of the incoming gradient and drops the
 * contributions of the mirrored border pixels, so gradients through `tf.mirrorPad` are wrong near the
 * edges. This op builds the same values from `slice`, `reverse` and `concat`, whose gradients are exact
 * and which have kernels on cpu, wasm and webgl.
 */
import * as tf from '@tensorflow/tfjs-core';
import './registerGradients';
import { fail, show } from '../errors';

/** TensorFlow's mirror modes: `'reflect'` excludes the edge pixel (`cba|abcd|dcb`), `'symmetric'` repeats it (`cba|abc|cba`). */
export type MirrorMode = 'reflect' | 'symmetric';

function padAxis(x: tf.Tensor, axis: number, before: number, after: number, mode: MirrorMode): tf.Tensor {
  if (before === 0 && after === 0) return x;
  const size = x.shape[axis];
  const skip = mode === 'reflect' ? 1 : 0;
  const parts: tf.Tensor[] = [];
  const sliceAlong = (start: number, len: number): tf.Tensor => {
    const begin = x.shape.map(() => 0);
    const sz = x.shape.map((s) => s);
    begin[axis] = start;
    sz[axis] = len;
    return tf.slice(x, begin, sz);
  };
  if (before > 0) parts.push(tf.reverse(sliceAlong(skip, before), axis));
  parts.push(x);
  if (after > 0) parts.push(tf.reverse(sliceAlong(size - skip - after, after), axis));
  return tf.concat(parts, axis);
}

/**
 * Pads `x` by mirroring, like `tf.mirrorPad` (TensorFlow's `tf.pad` with `REFLECT`/`SYMMETRIC`), but
 * with an exact gradient.
 *
 * @example
 * ```ts
 * mirrorPad(tf.tensor1d([1, 2, 3]), [[2, 1]], 'reflect'); // [3, 2, 1, 2, 3, 2]
 * mirrorPad(tf.tensor1d([1, 2, 3]), [[2, 1]], 'symmetric'); // [2, 1, 1, 2, 3, 3]
 * ```
 * @param x tensor of any rank; not disposed.
 * @param paddings `[before, after]` per axis; each at most `size - 1` for `'reflect'`, `size` for `'symmetric'`.
 * @param mode `'reflect'` or `'symmetric'`.
 * @returns a new tensor owned by the caller.
 */
export function mirrorPad<T extends tf.Tensor>(x: T, paddings: readonly (readonly [number, number])[], mode: MirrorMode): T {
  const fn = 'ops.mirrorPad';
  if (paddings.length !== x.rank) fail(fn, `paddings must have one [before, after] pair per axis (${x.rank}), but got ${paddings.length}.`);
  const extra = mode === 'reflect' ? 1 : 0;
  paddings.forEach(([b, a], axis) => {
    const limit = x.shape[axis] - extra;
    for (const p of [b, a]) {
      if (!Number.isInteger(p) || p < 0 || p > limit) {
        fail(fn, `paddings[${axis}] must be integers in [0, ${limit}] for mode '${mode}' on an axis of size ${x.shape[axis]}, but got ${show([b, a])}.`);
      }
    }
  });
  return tf.tidy(() => {
    let y: tf.Tensor = x;
    paddings.forEach(([b, a], axis) => {
      y = padAxis(y, axis, b, a, mode);
    });
    return y === x ? tf.clone(x) : y;
  }) as T;
}

/**
 * Lucid's `_tf_blur` as an op: a per-channel box-like blur built from slices and sums, so that its
 * gradient runs on every backend. Used by the blur objectives.
 */
import * as tf from '@tensorflow/tfjs-core';
import './registerGradients';

/** Number of rows or columns within `radius` of index `i` inside `[0, n)`. */
function validCount(i: number, n: number, radius: number): number {
  return Math.min(n - 1, i + radius) - Math.max(0, i - radius) + 1;
}

/** Sum over a `(2r+1)`-wide window along `axis` (1 = rows, 2 = columns) with zero padding. */
function windowSum(x: tf.Tensor4D, axis: 1 | 2, r: number): tf.Tensor4D {
  if (r === 0) return x;
  const n = x.shape[axis];
  const pads: [number, number][] = [
    [0, 0],
    [0, 0],
    [0, 0],
    [0, 0],
  ];
  pads[axis] = [r, r];
  const padded = tf.pad(x, pads);
  const parts: tf.Tensor4D[] = [];
  for (let k = 0; k <= 2 * r; k++) {
    const begin = [0, 0, 0, 0];
    begin[axis] = k;
    const size = [-1, -1, -1, -1];
    size[axis] = n;
    parts.push(tf.slice(padded, begin, size));
  }
  return tf.addN(parts);
}

/** Sum over a `(2r+1)×(2r+1)` box with zero padding ("SAME" convolution with a box of ones). */
function boxSum(x: tf.Tensor4D, r: number): tf.Tensor4D {
  return windowSum(windowSum(x, 1, r), 2, r);
}

/**
 * Lucid's `_tf_blur`: a per-channel `w×w` blur whose kernel is 1 inside and 0.5 on its border,
 * with "SAME" zero padding, normalized by the kernel mass that falls inside the image (so edges
 * are weighted averages of the pixels that exist).
 *
 * Built from slices and sums (the kernel is `0.5·box(w) + 0.5·box(w−2)`), not a convolution, so
 * its gradient runs on every backend (wasm has no depthwise-convolution backprop kernels).
 *
 * @param x `[batch, height, width, channels]`.
 * @param w odd kernel width >= 3.
 */
export function lucidBlur(x: tf.Tensor4D, w: number): tf.Tensor4D {
  const r = (w - 1) / 2;
  const [, h, wd] = x.shape;
  const unnormalized = tf.mul(tf.add(boxSum(x, r), boxSum(x, r - 1)), 0.5);
  return tf.div(unnormalized, tf.tensor4d(blurNorm(h, wd, r), [1, h, wd, 1])) as tf.Tensor4D;
}

/** Host-side normalizers of {@link lucidBlur} per size (no tensors: just reused numbers). */
const normCache = new Map<string, Float32Array>();

/** The kernel mass inside the image at each pixel, `blur(ones)`, for an `h×w` image and radius `r`. */
function blurNorm(h: number, wd: number, r: number): Float32Array {
  const key = `${h}x${wd}r${r}`;
  const hit = normCache.get(key);
  if (hit !== undefined) return hit;
  const norm = new Float32Array(h * wd);
  for (let i = 0; i < h; i++) {
    for (let j = 0; j < wd; j++) {
      const outer = validCount(i, h, r) * validCount(j, wd, r);
      const inner = validCount(i, h, r - 1) * validCount(j, wd, r - 1);
      norm[i * wd + j] = 0.5 * (outer + inner);
    }
  }
  if (normCache.size >= 16) normCache.clear();
  normCache.set(key, norm);
  return norm;
}

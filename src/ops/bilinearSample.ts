/**
 * Differentiable bilinear sampling of an image at host-computed source coordinates.
 *
 * tfjs has no gradient for `image.transform`, `rotateWithOffset` or `cropAndResize`, and the gradient
 * of `gather` needs `UnsortedSegmentSum`, which the wasm backend lacks. This op therefore builds both
 * directions from `gather` alone: the forward pass gathers the four neighbours of every output pixel,
 * and the backward pass (the adjoint, a scatter) is rewritten as a gather too, using an inverse table
 * (for every source pixel, the output pixels that read it and with which weight) computed on the host.
 * Every kernel involved (`GatherV2`, `Multiply`, `Sum`, `Reshape`, `Add`) exists on cpu, wasm and webgl.
 */
import * as tf from '@tensorflow/tfjs-core';
import './registerGradients';
import { fail, show } from '../errors';
import { checkImage } from '../validate';

/**
 * Where each output pixel reads from: `ys[i * width + j]`, `xs[i * width + j]` are the (fractional,
 * possibly out-of-range) source row and column of output pixel `(i, j)`, in pixel units where pixel
 * `(r, c)` sits at coordinate `(r, c)`.
 */
export interface SampleGrid {
  /** Output height in pixels. */
  readonly height: number;
  /** Output width in pixels. */
  readonly width: number;
  /** Source row per output pixel, row-major, length `height * width`. */
  readonly ys: ArrayLike<number>;
  /** Source column per output pixel, row-major, length `height * width`. */
  readonly xs: ArrayLike<number>;
}

/** Host-side sampling tables: forward (4 corners) and inverse (K contributions per source pixel). */
interface SampleTables {
  /** `[4, M]` source indices into the flattened `H*W` image (0 where the weight is 0). */
  fwdIndex: Int32Array;
  /** `[4, M]` bilinear weights (0 for neighbours outside the image). */
  fwdWeight: Float32Array;
  /** `[M]` `1 - sum of valid weights`: how much of the fill value each output pixel receives. */
  fillWeight: Float32Array;
  /** Max number of (output, weight) pairs reading one source pixel. */
  k: number;
  /** `[k, H*W]` output indices (0 where unused). */
  invIndex: Int32Array;
  /** `[k, H*W]` weights (0 where unused). */
  invWeight: Float32Array;
}

/** The four bilinear corners of every sample point (the forward half of {@link SampleTables}). */
export interface BilinearCorners {
  /** `[4, M]` source indices into the flattened `H*W` image, corner-major (0 where the weight is 0). */
  readonly index: Int32Array;
  /** `[4, M]` bilinear weights, corner-major (0 for neighbours outside the image). */
  readonly weight: Float32Array;
  /** `[M]` `1 - sum of valid weights`: how much of the fill value each output pixel receives. */
  readonly fill: Float32Array;
}

/**
 * The bilinear corners (indices, weights, fill share) of the sample points of `grid` in an `h × w`
 * image: corner `c` of point `q` is row `floor(y) + (c >> 1)`, column `floor(x) + (c & 1)`, stored
 * at `c * M + q`. The one definition of the sampling rule, for the gather-based op here and any
 * host-side implementation of the same sampling. Internal.
 */
export function bilinearCorners(h: number, w: number, grid: SampleGrid): BilinearCorners {
  const m = grid.height * grid.width;
  const index = new Int32Array(4 * m);
  const weight = new Float32Array(4 * m);
  const fill = new Float32Array(m);
  for (let q = 0; q < m; q++) {
    const y0 = Math.floor(grid.ys[q]);
    const x0 = Math.floor(grid.xs[q]);
    const fy = grid.ys[q] - y0;
    const fx = grid.xs[q] - x0;
    let valid = 0;
    for (let c = 0; c < 4; c++) {
      const yy = y0 + (c >> 1);
      const xx = x0 + (c & 1);
      const wt = (c >> 1 ? fy : 1 - fy) * (c & 1 ? fx : 1 - fx);
      if (wt > 0 && yy >= 0 && yy < h && xx >= 0 && xx < w) {
        index[c * m + q] = yy * w + xx;
        weight[c * m + q] = wt;
        valid += wt;
      }
    }
    fill[q] = Math.max(0, 1 - valid);
  }
  return { index, weight, fill };
}

function buildTables(h: number, w: number, grid: SampleGrid): SampleTables {
  const m = grid.height * grid.width;
  const { index: fwdIndex, weight: fwdWeight, fill: fillWeight } = bilinearCorners(h, w, grid);
  const counts = new Int32Array(h * w);
  for (let e = 0; e < 4 * m; e++) if (fwdWeight[e] > 0) counts[fwdIndex[e]]++;
  let k = 0;
  for (let p = 0; p < h * w; p++) k = Math.max(k, counts[p]);
  const invIndex = new Int32Array(k * h * w);
  const invWeight = new Float32Array(k * h * w);
  const used = new Int32Array(h * w);
  for (let c = 0; c < 4; c++) {
    for (let q = 0; q < m; q++) {
      const wt = fwdWeight[c * m + q];
      if (wt === 0) continue;
      const p = fwdIndex[c * m + q];
      const slot = used[p]++;
      invIndex[slot * h * w + p] = q;
      invWeight[slot * h * w + p] = wt;
    }
  }
  return { fwdIndex, fwdWeight, fillWeight, k, invIndex, invWeight };
}

/** `sum_k weight[k, j] * flat[:, index[k, j], :]`, i.e. a weighted gather along axis 1. */
function weightedGather(
  flat: tf.Tensor3D,
  index: Int32Array,
  weight: Float32Array,
  k: number,
  outLen: number,
): tf.Tensor3D {
  const [n, , ch] = flat.shape;
  if (k === 0) return tf.zeros([n, outLen, ch]);
  const idx = tf.tensor1d(index, 'int32');
  const gathered = tf.reshape(tf.gather(flat, idx, 1), [n, k, outLen, ch]);
  const wt = tf.tensor4d(weight, [1, k, outLen, 1]);
  return tf.sum(tf.mul(gathered, wt), 1);
}

/**
 * Samples `image` bilinearly at the source coordinates of `grid`; neighbours outside the image
 * contribute `fillValue` (constant fill, as TensorFlow's `ImageProjectiveTransformV2` with
 * `fill_mode='CONSTANT'` and bilinear interpolation).
 *
 * The gradient with respect to `image` is exact (the adjoint of the sampling); there is no gradient
 * with respect to the coordinates (they are plain numbers). Works on cpu, wasm and webgl.
 *
 * @example
 * ```ts
 * // Shift a 1x2x2x1 image right by half a pixel.
 * const img = tf.tensor4d([0, 1, 2, 3], [1, 2, 2, 1]);
 * const out = bilinearSample(img, { height: 2, width: 2, ys: [0, 0, 1, 1], xs: [-0.5, 0.5, -0.5, 0.5] });
 * // out = [[0, 0.5], [1, 2.5]]
 * ```
 * @param image `[N, H, W, C]` float32 image; not disposed.
 * @param grid output size and, per output pixel, the source coordinates (same for every batch item).
 * @param fillValue value of the image outside its bounds. Default 0.
 * @returns `[N, grid.height, grid.width, C]`, owned by the caller.
 */
export function bilinearSample(image: tf.Tensor4D, grid: SampleGrid, fillValue = 0): tf.Tensor4D {
  const fn = 'ops.bilinearSample';
  checkImage(fn, image);
  const m = grid.height * grid.width;
  if (!Number.isInteger(grid.height) || !Number.isInteger(grid.width) || grid.height < 1 || grid.width < 1) {
    fail(fn, `grid size must be positive integers, but got ${show(grid.height)}x${show(grid.width)}.`);
  }
  if (grid.ys.length !== m || grid.xs.length !== m) {
    fail(fn, `grid.ys and grid.xs must have height * width = ${m} entries, but got ${grid.ys.length} and ${grid.xs.length}.`);
  }
  if (!Number.isFinite(fillValue)) fail(fn, `fillValue must be a finite number, but got ${show(fillValue)}.`);
  const [n, h, w, ch] = image.shape;
  const t = buildTables(h, w, grid);
  const sample = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const x = args[0] as tf.Tensor4D;
    const value = tf.tidy(() => {
      const flat = tf.reshape(x, [n, h * w, ch]) as tf.Tensor3D;
      let out: tf.Tensor = weightedGather(flat, t.fwdIndex, t.fwdWeight, 4, m);
      if (fillValue !== 0) out = tf.add(out, tf.mul(tf.tensor3d(t.fillWeight, [1, m, 1]), fillValue));
      return tf.reshape(out, [n, grid.height, grid.width, ch]) as tf.Tensor4D;
    });
    const gradFunc = (dy: tf.Tensor) =>
      tf.tidy(() => {
        const flatDy = tf.reshape(dy, [n, m, ch]) as tf.Tensor3D;
        return tf.reshape(weightedGather(flatDy, t.invIndex, t.invWeight, t.k, h * w), [n, h, w, ch]);
      });
    return { value, gradFunc };
  });
  return sample(image) as tf.Tensor4D;
}

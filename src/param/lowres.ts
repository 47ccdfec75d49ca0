import * as tf from '@tensorflow/tfjs-core';
import '../ops/registerGradients';
import { fail, show } from '../errors';
import { checkPositive } from '../validate';
import { axisLinear, matMulHost, symmetricShiftMatrix, tf1BilinearMatrix, type AxisLinear, type HostMatrix } from '../ops/axisLinear';
import { type RandomSource, type Rng } from '../ops/random';
import { checkParamShape, makeParam, normalVariable, shapedParamArgs } from './common';
import type { Param } from './types';

/**
 * Lucid's offset of a low-resolution tensor: `true` (half the upsampling ratio, "90 degrees of
 * phase"), `false` (none), a number of pixels, or one of those per dimension.
 */
export type LowresOffset = number | boolean | readonly (number | boolean)[];

/** Options of {@link lowresTensor}. */
export interface LowresTensorOptions {
  /** Shift of the upsampled tensor (see {@link LowresOffset}); default none. */
  readonly offset?: LowresOffset;
  /** Standard deviation of the low-resolution variable's initialization. Default 0.01. */
  readonly sd?: number;
  /** Seed (or seeded generator). */
  readonly seed?: RandomSource;
}

/** Resolves Lucid's offset rules into integer shifts per dimension. */
function resolveOffset(fn: string, offset: LowresOffset | undefined, shape: readonly number[], under: readonly number[]): number[] {
  if (offset === undefined) return shape.map(() => 0);
  let list: readonly unknown[];
  if (Array.isArray(offset)) {
    if (offset.length !== shape.length) {
      fail(fn, `options.offset must have one entry per dimension (${shape.length}), but got ${show(offset)}.`);
    }
    list = offset;
  } else {
    list = shape.map(() => offset);
  }
  return list.map((o, d) => {
    let v: number;
    if (o === true) v = shape[d] / under[d] / 2;
    else if (o === false) v = 0;
    else if (typeof o === 'number' && Number.isFinite(o)) v = o;
    else return fail(fn, `options.offset must be a number, a boolean or a list of them, but got ${show(o)} at dimension ${d}.`);
    const k = Math.trunc(v);
    if (k < 0 || k > shape[d]) {
      fail(fn, `options.offset[${d}] must truncate to an integer in [0, ${shape[d]}] (symmetric padding), but got ${show(o)}.`);
    }
    return k;
  });
}

/** The constant map and variable of one low-resolution tensor. Internal. */
interface LowresCore {
  readonly variable: tf.Variable;
  readonly map: AxisLinear;
}

function lowresCore(fn: string, shape: readonly number[], under: readonly number[], offset: LowresOffset | undefined, sd: number, rng: Rng): LowresCore {
  const shifts = resolveOffset(fn, offset, shape, under);
  const matrices = shape.map((size, d): HostMatrix | null => {
    const resize = size !== under[d] ? tf1BilinearMatrix(under[d], size) : null;
    if (shifts[d] === 0) return resize;
    const shift = symmetricShiftMatrix(size, shifts[d]);
    return resize ? matMulHost(shift, resize) : shift;
  });
  const map = axisLinear(under, matrices);
  const variable = normalVariable(under, sd, rng);
  return { variable, map };
}

/**
 * A tensor parameterized by a lower-resolution variable, upsampled bilinearly.
 *
 * Why: optimizing a coarse grid and interpolating it gives smooth, low-frequency structure — the
 * building block of Laplacian pyramids and of Lucid's multi-scale parameterizations. The
 * upsampling follows TensorFlow 1's `resize_bilinear` (`align_corners=false`,
 * `half_pixel_centers=false`) applied to every dimension whose size changes, exactly as Lucid's
 * `resize_bilinear_nd` (which resizes pairs of dimensions — bilinear interpolation is separable,
 * so the result is the same). Then, if `offset` is given, the tensor is shifted by padding each
 * dimension at its start with SYMMETRIC mirroring and keeping the first `shape[d]` entries.
 *
 * Implementation: each dimension's resize and shift is one constant matrix (owned by the param),
 * applied by matrix products with an exact custom gradient; this runs and differentiates
 * identically on cpu and wasm (tfjs's own `MirrorPad` gradient drops the mirrored part).
 *
 * @example
 * ```ts
 * const p = lowresTensor([1, 64, 64, 3], [1, 8, 8, 3], { offset: true, seed: 3 });
 * const t = p.image(); // [1, 64, 64, 3], raw values
 * ```
 * @param shape shape of the result, rank 3 or 4 (e.g. `[b, h, w, ch]`).
 * @param underlyingShape shape of the variable, same rank.
 * @param options see {@link LowresTensorOptions} (defaults stated there). `offset`: `true` →
 *   `trunc(shape/underlying/2)`, `false` → 0, a number → `trunc(number)`, or a list with one such
 *   entry per dimension; each must end up in `[0, shape[d]]`.
 * @returns a {@link Param} of raw values (not squashed into [0, 1]); it owns its variable and
 *   constants, the caller owns each returned tensor.
 *
 * @remarks
 * Port of `lucid.optvis.param.lowres.lowres_tensor`. Difference: `sd: 0` means zeros.
 */
export function lowresTensor(
  shape: readonly number[],
  underlyingShape: readonly number[],
  options: LowresTensorOptions = {},
): Param<tf.Tensor> {
  const FN = 'param.lowresTensor';
  const { o, shape: s, sd, rng } = shapedParamArgs(FN, shape, [3, 4], options, ['offset', 'sd', 'seed']);
  const u = checkParamShape(FN, 'underlyingShape', underlyingShape, [s.length]);
  const core = lowresCore(FN, s, u, o.offset, sd, rng);
  return makeParam<tf.Tensor>({
    fn: FN,
    shape: s,
    variables: [core.variable],
    owned: [core.map],
    build: () => core.map.apply(core.variable),
  });
}

/** Options of {@link laplacianPyramid}. */
export interface LaplacianPyramidOptions {
  /**
   * Number of levels, Lucid's `n_levels`: levels `n = 0 … levels − 1`, level `n` of size
   * `h // 2ⁿ × w // 2ⁿ` (level 0 at full resolution). Default 4.
   */
  readonly levels?: number;
  /** Standard deviation of every level's initialization. Default 0.01. */
  readonly sd?: number;
  /** Seed (or seeded generator). */
  readonly seed?: RandomSource;
}

/**
 * A Laplacian-pyramid parameterization: the sum of `levels` low-resolution tensors, level `n` at
 * `1/2ⁿ` of the resolution (integer division), each upsampled bilinearly to the full size.
 *
 * Why: coarse levels describe large structures cheaply, so optimization favours low frequencies —
 * a simple alternative to the spectral parameterization. For other mixes, sum
 * {@link lowresTensor}s with {@link custom}.
 *
 * @example
 * ```ts
 * const p = laplacianPyramid([1, 64, 64, 3], { levels: 4, seed: 1 });
 * const raw = p.image(); // [1, 64, 64, 3]; squash it with toValidRgb
 * ```
 * @param shape `[batch, h, w, channels]`; `h // 2^(levels−1)` and `w // 2^(levels−1)` must be ≥ 1.
 * @param options see {@link LaplacianPyramidOptions} (defaults stated there).
 * @returns a {@link Param} of raw values with one variable per level (finest first).
 *
 * @remarks
 * Port of `lucid.optvis.param.spatial.laplacian_pyramid_image`. Difference: `sd: 0` means zeros.
 */
export function laplacianPyramid(shape: readonly number[], options: LaplacianPyramidOptions = {}): Param<tf.Tensor4D> {
  const FN = 'param.laplacianPyramid';
  const { o, shape: s, sd, rng } = shapedParamArgs(FN, shape, [4], options, ['levels', 'sd', 'seed']);
  const levels = checkPositive(FN, 'options.levels', o.levels ?? 4);
  const [b, h, w, ch] = s;
  const k = 2 ** (levels - 1);
  if (Math.floor(h / k) < 1 || Math.floor(w / k) < 1) {
    fail(FN, `options.levels must leave the coarsest level at least 1×1 (h // 2^(levels−1), w // 2^(levels−1)), but got levels ${levels} for ${h}×${w}.`);
  }
  const cores: LowresCore[] = [];
  for (let n = 0; n < levels; n++) {
    const f = 2 ** n;
    cores.push(lowresCore(FN, s, [b, Math.floor(h / f), Math.floor(w / f), ch], undefined, sd, rng));
  }
  return makeParam<tf.Tensor4D>({
    fn: FN,
    shape: s,
    variables: cores.map((c) => c.variable),
    owned: cores.map((c) => c.map),
    build: () => tf.addN(cores.map((c) => c.map.apply(c.variable))) as tf.Tensor4D,
  });
}

import * as tf from '@tensorflow/tfjs-core';
import './registerGradients';
import { fail, show } from '../errors';
import { checkPositive, checkTensor } from '../validate';

/** A dense matrix given on the host: `rows × cols` values in row-major order. */
export interface HostMatrix {
  readonly rows: number;
  readonly cols: number;
  readonly data: ArrayLike<number>;
}

/**
 * A separable linear map: one constant matrix per axis, applied by matrix products, with a gradient
 * that is matrix products with the pre-transposed matrices. Owns its constant tensors.
 */
export interface AxisLinear {
  /** Shape of the tensors {@link apply} accepts. */
  readonly inputShape: readonly number[];
  /** Shape of the tensors {@link apply} returns. */
  readonly outputShape: readonly number[];
  /** Applies the map; the caller owns the result. Differentiable on every backend. */
  apply(x: tf.Tensor): tf.Tensor;
  /** Whether {@link dispose} was called. */
  readonly isDisposed: boolean;
  /** Frees the constant matrices. Calling it twice is harmless. */
  dispose(): void;
}

/**
 * Builds `y = x ×₀ M₀ ×₁ M₁ …`: along every axis `d` with a matrix `M_d` (`out_d × in_d`), each
 * fibre of `x` along `d` is multiplied by `M_d`; axes with `null` are left alone.
 *
 * Why: separable resampling (bilinear upsampling, symmetric-padding offsets) written as matrix
 * products is exact, fast on every backend, and has an exact gradient everywhere — tfjs's
 * `MirrorPad` gradient ignores the mirrored part, and resize kernels differ per backend. The
 * matrices are stored twice (as given and transposed) so neither pass uses the `transposeA/B`
 * flags of `matMul`, which are slow on wasm.
 *
 * @example
 * ```ts
 * const up = axisLinear([1, 4, 4, 3], [null, tf1BilinearMatrix(4, 8), tf1BilinearMatrix(4, 8), null]);
 * const y = up.apply(tf.ones([1, 4, 4, 3])); // [1, 8, 8, 3]
 * up.dispose();
 * ```
 * @param inputShape shape of the inputs.
 * @param matrices one entry per axis: a {@link HostMatrix} with `cols = inputShape[d]`, or `null`.
 * @returns an object owning its constant tensors; call `dispose()` when done.
 */
export function axisLinear(inputShape: readonly number[], matrices: readonly (HostMatrix | null)[]): AxisLinear {
  const FN = 'ops.axisLinear';
  if (!Array.isArray(inputShape) || inputShape.length === 0) {
    fail(FN, `inputShape must be a non-empty array of positive integers, but got ${show(inputShape)}.`);
  }
  inputShape.forEach((s, i) => checkPositive(FN, `inputShape[${i}]`, s));
  if (!Array.isArray(matrices) || matrices.length !== inputShape.length) {
    fail(FN, `matrices must have one entry per axis (${inputShape.length}), but got ${show(matrices)}.`);
  }
  const rank = inputShape.length;
  const outputShape = inputShape.slice();
  matrices.forEach((m, d) => {
    if (m === null) return;
    if (m.cols !== inputShape[d] || m.data.length !== m.rows * m.cols) {
      fail(FN, `matrices[${d}] must have ${inputShape[d]} columns and rows·cols values, but got ${m.rows} × ${m.cols} with ${m.data.length} values.`);
    }
    outputShape[d] = m.rows;
  });
  const steps: { axis: number; fwd: tf.Tensor2D; bwd: tf.Tensor2D }[] = [];
  matrices.forEach((m, d) => {
    if (m === null) return;
    const t = new Float32Array(m.rows * m.cols);
    for (let i = 0; i < m.rows; i++) for (let j = 0; j < m.cols; j++) t[j * m.rows + i] = m.data[i * m.cols + j];
    steps.push({
      axis: d,
      fwd: tf.tensor2d(t, [m.cols, m.rows]), // Mᵀ: x_moved [.., in] · Mᵀ -> [.., out]
      bwd: tf.tensor2d(Float32Array.from(m.data), [m.rows, m.cols]), // M: dy_moved [.., out] · M -> [.., in]
    });
  });
  let disposed = false;

  // Multiplies along `axis` by `mat` ([size, newSize]) using transposes to make the axis innermost.
  const along = (x: tf.Tensor, axis: number, mat: tf.Tensor2D): tf.Tensor => {
    const newSize = mat.shape[1];
    if (axis === rank - 1) {
      const lead = x.shape.slice(0, -1);
      return tf.reshape(tf.matMul(tf.reshape(x, [-1, x.shape[axis]]), mat), [...lead, newSize]);
    }
    const perm = [...Array(rank).keys()].filter((a) => a !== axis).concat([axis]);
    const moved = tf.transpose(x, perm);
    const lead = moved.shape.slice(0, -1);
    const y = tf.reshape(tf.matMul(tf.reshape(moved, [-1, x.shape[axis]]), mat), [...lead, newSize]);
    const inv = new Array<number>(rank);
    perm.forEach((p, i) => (inv[p] = i));
    return tf.transpose(y, inv);
  };

  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const x = args[0] as tf.Tensor;
    const value = tf.tidy(() => steps.reduce((acc, s) => along(acc, s.axis, s.fwd), x));
    const gradFunc = (dy: tf.Tensor): tf.Tensor =>
      tf.tidy(() => steps.reduceRight((acc, s) => along(acc, s.axis, s.bwd), dy));
    return { value, gradFunc };
  });

  return {
    inputShape: Object.freeze(inputShape.slice()),
    outputShape: Object.freeze(outputShape),
    get isDisposed() {
      return disposed;
    },
    apply(x: tf.Tensor): tf.Tensor {
      if (disposed) fail('ops.axisLinear.apply', 'the map must not be disposed, but got a disposed map.');
      checkTensor('ops.axisLinear.apply', 'x', x);
      if (x.shape.length !== rank || x.shape.some((s, i) => s !== inputShape[i])) {
        fail('ops.axisLinear.apply', `x must be a tensor of shape [${inputShape.join(', ')}], but got [${x.shape.join(', ')}].`);
      }
      return steps.length === 0 ? tf.clone(x) : op(x);
    },
    dispose(): void {
      if (disposed) return;
      disposed = true;
      for (const s of steps) tf.dispose([s.fwd, s.bwd]);
    },
  };
}

/**
 * The `out × in` matrix of TensorFlow 1's `resize_bilinear` along one axis (`align_corners=false`,
 * `half_pixel_centers=false`, i.e. tfjs `resizeBilinear(x, size, false, false)`): output `i` reads
 * source position `s = i·in/out`, mixing `floor(s)` and `min(floor(s) + 1, in − 1)` with weights
 * `1 − frac(s)` and `frac(s)`.
 *
 * @example
 * ```ts
 * tf1BilinearMatrix(2, 4).data; // rows [1,0], [.5,.5], [0,1], [0,1]
 * ```
 */
export function tf1BilinearMatrix(inSize: number, outSize: number): HostMatrix {
  checkPositive('ops.tf1BilinearMatrix', 'inSize', inSize);
  checkPositive('ops.tf1BilinearMatrix', 'outSize', outSize);
  const data = new Float64Array(outSize * inSize);
  const scale = inSize / outSize;
  for (let i = 0; i < outSize; i++) {
    const s = i * scale;
    const lo = Math.floor(s);
    const hi = Math.min(lo + 1, inSize - 1);
    const f = s - lo;
    data[i * inSize + lo] += 1 - f;
    data[i * inSize + hi] += f;
  }
  return { rows: outSize, cols: inSize, data };
}

/**
 * The `size × size` selection matrix of Lucid's offset: pad `offset` values at the start with
 * SYMMETRIC mirroring (`x[offset−1], …, x[0], x[0], x[1], …`) and keep the first `size` values.
 *
 * @param size length of the axis.
 * @param offset 0 ≤ offset ≤ size (TensorFlow's SYMMETRIC padding limit).
 */
export function symmetricShiftMatrix(size: number, offset: number): HostMatrix {
  const data = new Float64Array(size * size);
  for (let i = 0; i < size; i++) {
    const src = i < offset ? offset - 1 - i : i - offset;
    data[i * size + src] = 1;
  }
  return { rows: size, cols: size, data };
}

/** `a · b` for host matrices. */
export function matMulHost(a: HostMatrix, b: HostMatrix): HostMatrix {
  if (a.cols !== b.rows) fail('ops.matMulHost', `a.cols must equal b.rows (${b.rows}), but got ${a.cols}.`);
  const data = new Float64Array(a.rows * b.cols);
  for (let i = 0; i < a.rows; i++) {
    for (let k = 0; k < a.cols; k++) {
      const v = a.data[i * a.cols + k];
      if (v === 0) continue;
      for (let j = 0; j < b.cols; j++) data[i * b.cols + j] += v * b.data[k * b.cols + j];
    }
  }
  return { rows: a.rows, cols: b.cols, data };
}

/**
 * An image batch as plain numbers: NHWC (`[b, h, w, c]`) or HWC (`[h, w, c]`), values in [0, 1],
 * c = 1 (grey), 3 (RGB) or 4 (RGBA). Render results use it so that callers dispose nothing.
 */
export interface ImageArray {
  /** `[b, h, w, c]` or `[h, w, c]`. */
  readonly shape: readonly number[];
  /** The values in row-major order (channels last), length = product of `shape`. */
  readonly data: Float32Array;
}

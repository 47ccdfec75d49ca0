/**
 * An image batch as plain numbers: NHWC (`[b, h, w, c]`) or HWC (`[h, w, c]`), values in [0, 1],
 * c = 1 (grey), 3 (RGB) or 4 (RGBA). Render results use it so that callers dispose nothing.
 */
export interface ImageArray {
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

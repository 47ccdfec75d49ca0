import * as tf from '@tensorflow/tfjs-core';

/**
 * `tf.slice(image, [0, oy, ox, 0], [n, h, w, c])` for a window that moves inside a fixed margin
 * (`0 <= oy, ox <= margin`, window `h = H - margin`, `w = W - margin`), with a gradient whose
 * programs do not depend on the offset.
 *
 * Why: tfjs's gradient of `slice` is a `pad` by the offsets, and webgl compiles pad offsets into
 * its shader source: every new jitter offset compiled a new program (hundreds over a render, on
 * SwiftShader ~0.1 s each). Here the gradient pads `dy` by the same `margin` on every side and
 * slices the input-sized window out of it at `margin - offset`: the same numbers (data is only
 * moved, never added), and `Slice` passes its start to webgl as a uniform.
 *
 * Internal to the transforms; arguments are checked by the caller (`transform.jitter`).
 */
export function cropWindow(image: tf.Tensor4D, oy: number, ox: number, margin: number): tf.Tensor4D {
  const [n, hIn, wIn, c] = image.shape;
  const h = hIn - margin;
  const w = wIn - margin;
  const crop = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const x = args[0] as tf.Tensor4D;
    const gradFunc = (dy: tf.Tensor): tf.Tensor4D =>
      tf.tidy(() => {
        const padded = tf.pad(dy as tf.Tensor4D, [[0, 0], [margin, margin], [margin, margin], [0, 0]]);
        return tf.slice(padded, [0, margin - oy, margin - ox, 0], [n, hIn, wIn, c]);
      });
    return { value: tf.slice(x, [0, oy, ox, 0], [n, h, w, c]), gradFunc };
  });
  return crop(image) as tf.Tensor4D;
}

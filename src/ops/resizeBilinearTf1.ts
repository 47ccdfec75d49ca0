import * as tf from '@tensorflow/tfjs-core';
import './registerGradients';
import { checkPositive, checkTensor } from '../validate';

/**
 * TF1 `resize_bilinear` (align_corners=false, half_pixel_centers=false) with a correct gradient on
 * every backend: the forward pass is `tf.image.resizeBilinear(image, size, false, false)`, the
 * backward pass runs the `ResizeBilinearGrad` kernel and restores the image shape, which the cpu
 * kernel of tfjs 4.22 reports transposed (`[N, W, H, C]`) for non-square images (its values are laid
 * out correctly).
 *
 * @example
 * ```ts
 * resizeBilinearTf1(tf.zeros([1, 10, 13, 3]), 7, 9); // [1, 7, 9, 3]
 * ```
 * @param image `[N, H, W, C]` float32; not disposed.
 * @param height output height (positive integer).
 * @param width output width (positive integer).
 * @returns a new `[N, height, width, C]` tensor owned by the caller.
 */
export function resizeBilinearTf1(image: tf.Tensor4D, height: number, width: number): tf.Tensor4D {
  checkTensor('transform.resizeBilinearTf1', 'image', image, 4);
  checkPositive('transform.resizeBilinearTf1', 'height', height);
  checkPositive('transform.resizeBilinearTf1', 'width', width);
  const resize = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const x = args[0] as tf.Tensor4D;
    const save = args[1] as tf.GradSaveFunc;
    save([x]);
    const value = tf.image.resizeBilinear(x, [height, width], false, false);
    const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]) =>
      tf.tidy(() => {
        const images = saved[0];
        const attrs = { alignCorners: false, halfPixelCenters: false };
        const g = tf.engine().runKernel('ResizeBilinearGrad', { images, dy }, attrs) as tf.Tensor;
        return tf.reshape(g, images.shape);
      });
    return { value, gradFunc };
  });
  return resize(image) as tf.Tensor4D;
}

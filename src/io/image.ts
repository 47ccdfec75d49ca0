import * as tf from '@tensorflow/tfjs-core';
import { fail, show } from '../errors';
import type { ImageArray } from './types';

/** One image of a batch, unpacked: `h × w × c` values in row-major HWC order. */
export interface ImageView {
  readonly height: number;
  readonly width: number;
  readonly channels: number;
  readonly data: Float32Array;
}

const CHANNELS = [1, 3, 4];

/**
 * Checks an {@link ImageArray} or tensor and returns its batch size and image size.
 * @internal
 */
export function describeImage(
  fn: string,
  name: string,
  image: ImageArray | tf.Tensor,
): { batch: number; height: number; width: number; channels: number; data: Float32Array } {
  let shape: readonly number[];
  let data: Float32Array;
  if (image instanceof tf.Tensor) {
    if (image.isDisposed) fail(fn, `${name} must be a live tensor, but got a disposed tensor.`);
    shape = image.shape;
    const values = image.dataSync();
    data = values instanceof Float32Array ? values : Float32Array.from(values as ArrayLike<number>);
  } else if (image !== null && typeof image === 'object' && Array.isArray(image.shape) && image.data instanceof Float32Array) {
    shape = image.shape;
    data = image.data;
  } else {
    return fail(fn, `${name} must be an ImageArray ({shape, data: Float32Array}) or a tf.Tensor, but got ${show(image)}.`);
  }
  if (shape.length !== 3 && shape.length !== 4) {
    fail(fn, `${name} must have shape [h, w, c] or [b, h, w, c], but got shape ${show([...shape])}.`);
  }
  const [batch, height, width, channels] = shape.length === 4 ? shape : [1, ...shape];
  if (!CHANNELS.includes(channels)) {
    fail(fn, `${name} must have 1, 3 or 4 channels, but got shape ${show([...shape])}.`);
  }
  if (!(batch > 0 && height > 0 && width > 0)) {
    fail(fn, `${name} must not be empty, but got shape ${show([...shape])}.`);
  }
  if (data.length !== batch * height * width * channels) {
    fail(fn, `${name}.data must hold ${batch * height * width * channels} values for shape ${show([...shape])}, but got ${data.length}.`);
  }
  return { batch, height, width, channels, data };
}

/**
 * Picks image `index` of a batch (an HWC image is a batch of one); negative indices count from the end.
 * @internal
 */
export function imageAt(fn: string, name: string, image: ImageArray | tf.Tensor, index = 0): ImageView {
  const d = describeImage(fn, name, image);
  if (!Number.isInteger(index) || index >= d.batch || index < -d.batch) {
    fail(fn, `index must be an integer in [${-d.batch}, ${d.batch - 1}] (batch of ${d.batch}), but got ${show(index)}.`);
  }
  const i = index < 0 ? d.batch + index : index;
  const size = d.height * d.width * d.channels;
  return { height: d.height, width: d.width, channels: d.channels, data: d.data.subarray(i * size, (i + 1) * size) };
}

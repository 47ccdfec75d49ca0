import * as tf from '@tensorflow/tfjs-core';
import '../ops/registerGradients';
import { didYouMean, fail, show } from '../errors';
import { Objective } from './objective';
import { checkLayer, describeCall } from './util';
import { restrictBatch } from './custom';
import { checkOptionalIndex, checkOptions, showShape } from '../validate';

/** Options of {@link classLogit}. */
export interface ClassLogitOptions {
  /** Only image `batch` of the batch counts (default: the SUM over the batch, as Lucid). */
  readonly batch?: number;
}

/**
 * Maximise one class's logit (the pre-softmax score): like {@link channel}, for a classifier's
 * output layer, with the class given by index or by name.
 *
 * Visualizing logits rather than softmax probabilities avoids the optimizer winning by
 * suppressing the other classes. A name is looked up in the model's labels (`T.labels`, e.g.
 * ImageNet's class names), with suggestions when it is not found.
 *
 * The value is `Σ_batch logits[:, k]` (the SUM over images, as Lucid's `reduce_sum`); `batch`
 * selects one image.
 *
 * Port of `lucid.optvis.objectives.class_logit`. Errors at evaluation when the index is out of
 * range, the name is not a label (or the model has no labels), or the layer is not
 * `[batch, classes]` (`[batch, 1, 1, classes]` is accepted).
 *
 * @example
 * ```ts
 * const byIndex = objectives.classLogit('logits', 281);
 * const byName = objectives.classLogit('logits', 'tabby', { batch: 0 });
 * ```
 * @param layer the logits layer, `[batch, classes]`.
 * @param label class index in `[0, classes)`, or a class name from the model's labels.
 * @param options `batch` image index (default: all images, summed).
 * @returns a new objective.
 */
export function classLogit(layer: string, label: number | string, options?: ClassLogitOptions): Objective {
  const fn = 'objectives.classLogit';
  checkLayer(fn, 'layer', layer);
  if (typeof label === 'number') {
    if (!Number.isInteger(label) || label < 0) {
      fail(fn, `label must be a non-negative integer class index or a label name, but got ${show(label)}.`);
    }
  } else if (typeof label !== 'string' || label.length === 0) {
    fail(fn, `label must be a non-negative integer class index or a label name, but got ${show(label)}.`);
  }
  const { batch } = checkOptions(fn, options, ['batch']);
  checkOptionalIndex(fn, 'batch', batch);
  return new Objective(
    (T) => {
      const t = T(layer);
      const s = t.shape;
      const ok = s.length === 2 || (s.length === 4 && s[1] === 1 && s[2] === 1);
      if (!ok) {
        fail(fn, `layer "${layer}" must have shape [batch, classes] (or [batch, 1, 1, classes]), but got ${showShape(s)}.`);
      }
      const classes = s[s.length - 1];
      const x = restrictBatch(fn, layer, t, batch);
      const k = classIndex(fn, label, T.labels, classes, layer);
      const logits = tf.reshape(x, [-1, classes]);
      return tf.sum(tf.slice(logits, [0, k], [-1, 1]));
    },
    describeCall('ClassLogit', [layer, label], { batch }),
    [layer],
  );
}

function classIndex(
  fn: string,
  label: number | string,
  labels: readonly string[] | undefined,
  classes: number,
  layer: string,
): number {
  if (typeof label === 'number') {
    if (label >= classes) {
      fail(
        fn,
        `class ${label} is out of range for layer "${layer}" (${classes} classes); label must be an integer in [0, ${classes - 1}].`,
      );
    }
    return label;
  }
  if (labels === undefined || labels.length === 0) {
    fail(fn, `label must be a class index because the model declares no labels, but got ${show(label)}.`);
  }
  const k = labels.indexOf(label);
  if (k < 0) {
    fail(fn, `label must be one of the model's ${labels.length} labels, but got ${show(label)}.${didYouMean(label, labels)}`);
  }
  if (k >= classes) {
    fail(
      fn,
      `label ${show(label)} is class ${k}, which is out of range for layer "${layer}" (${classes} classes).`,
    );
  }
  return k;
}

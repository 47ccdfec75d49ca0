import * as tf from '@tensorflow/tfjs-core';
import '../ops/registerGradients';
import { fail } from '../errors';
import { checkNonNegative, checkOptionalIndex, checkOptions, readNested, showShape } from '../validate';
import type { Objective } from './objective';
import { layerObjective } from './custom';
import { type ConstantLike, type HostTensor, dotCossim, extractPosition, hostTensor, position } from './util';

/** Options of {@link direction}. */
export interface DirectionOptions {
  /**
   * Power of the cosine-similarity weight (default 0: the plain dot product). With `p > 0` each
   * position's dot product is multiplied by `max(0.1, cossim) ** p`, favouring activations that
   * point along `vec` over ones that are merely large.
   */
  readonly cossimPow?: number;
  /** Only image `batch` of the batch counts (default: the mean over the whole batch). */
  readonly batch?: number;
}

/** Copies a direction vector to the host and checks it is one-dimensional and non-empty. */
function toVector(fn: string, vec: ConstantLike): HostTensor {
  const h = readNested(fn, 'vec', vec);
  if (h.shape.length !== 1 || h.shape[0] === 0) {
    fail(fn, `vec must be a non-empty 1-D vector (one entry per channel), but got shape ${showShape(h.shape)}.`);
  }
  return h;
}

function checkVectorLength(fn: string, layer: string, vec: HostTensor, depth: number): void {
  if (vec.shape[0] !== depth) {
    fail(
      fn,
      `vec must have ${depth} entries to match the channels of layer "${layer}", but got ${vec.shape[0]}.`,
    );
  }
}

/**
 * Visualize a direction in activation space: the mean over positions of `acts · vec`.
 *
 * Neurons are not the only meaningful directions: random or learned combinations of channels
 * (e.g. from NMF or a linear probe) are often just as interpretable. With `cossimPow > 0` the dot
 * product is weighted by `max(0.1, cossim)^cossimPow`, which rewards pointing in the direction
 * rather than sheer magnitude (Lucid's `_dot_cossim`; see "Activation Atlas").
 *
 * Over a batch the value is the mean over images and positions, as Lucid; `batch` selects one image.
 *
 * Port of `lucid.optvis.objectives.direction` (alias {@link directionCossim}, as Lucid's
 * `direction_cossim`). Deliberate difference: a zero activation vector gets a zero gradient
 * instead of NaN (see the cossim term).
 *
 * @example
 * ```ts
 * const vec = Array.from({ length: 512 }, (_, i) => (i === 3 ? 1 : 0));
 * const obj = objectives.direction('mixed4d', vec, { cossimPow: 1 });
 * ```
 * @param layer name of a layer with activations `[batch, height, width, channels]` or `[batch, channels]`.
 * @param vec direction, shape `[channels]` (array, typed array or tensor; copied, so the caller
 *   keeps ownership of a tensor and may dispose it right away).
 * @param options `cossimPow` (default 0), `batch` image index.
 * @returns a new objective.
 */
export function direction(layer: string, vec: ConstantLike, options?: DirectionOptions): Objective {
  const fn = 'objectives.direction';
  const v = toVector(fn, vec);
  const { cossimPow: pow, batch } = checkOptions(fn, options, ['cossimPow', 'batch']);
  const cossimPow = checkNonNegative(fn, 'cossimPow', pow ?? 0);
  return layerObjective(fn, 'Direction', layer, [vec], { cossimPow: cossimPow || undefined, batch }, (acts) => {
    checkVectorLength(fn, layer, v, acts.shape[3]);
    return dotCossim(acts, hostTensor(v), cossimPow);
  });
}

/**
 * Same as {@link direction}: Lucid keeps `direction_cossim` as an alias of `direction`, whose
 * `cossimPow` option makes it the cosine-similarity objective.
 *
 * Port of `lucid.optvis.objectives.direction_cossim`.
 *
 * @example
 * ```ts
 * const obj = objectives.directionCossim('mixed4d', [1, 0, 0.5], { cossimPow: 2 }); // a 3-channel layer
 * ```
 */
export const directionCossim: typeof direction = direction;

/** Options of {@link directionNeuron}. */
export interface DirectionNeuronOptions extends DirectionOptions {
  /** Row index (Lucid's `x`); default the centre row `height // 2`. */
  readonly x?: number;
  /** Column index (Lucid's `y`); default the centre column `width // 2`. */
  readonly y?: number;
}

/**
 * Visualize a direction at a single position: `acts[x, y] · vec` (optionally cossim-weighted).
 *
 * The {@link neuron} counterpart of {@link direction}: the image shows what makes the activation
 * vector at one position point along `vec`. `x` is the ROW, `y` the COLUMN, both default to the
 * centre (`size // 2`), as Lucid.
 *
 * Port of `lucid.optvis.objectives.direction_neuron` (same zero-vector gradient fix as {@link direction}).
 *
 * @example
 * ```ts
 * const obj = objectives.directionNeuron('mixed4d', vec, { x: 3, y: 4, cossimPow: 1 });
 * ```
 * @param layer name of a layer with activations `[batch, height, width, channels]` or `[batch, channels]`.
 * @param vec direction, shape `[channels]` (copied).
 * @param options `x`, `y` (default centre), `cossimPow` (default 0), `batch` image index.
 * @returns a new objective.
 */
export function directionNeuron(layer: string, vec: ConstantLike, options?: DirectionNeuronOptions): Objective {
  const fn = 'objectives.directionNeuron';
  const v = toVector(fn, vec);
  const o = checkOptions(fn, options, ['x', 'y', 'cossimPow', 'batch']);
  const x = checkOptionalIndex(fn, 'x', o.x);
  const y = checkOptionalIndex(fn, 'y', o.y);
  const cossimPow = checkNonNegative(fn, 'cossimPow', o.cossimPow ?? 0);
  return layerObjective(fn, 'DirectionNeuron', layer, [vec], { x, y, cossimPow: cossimPow || undefined, batch: o.batch }, (acts) => {
    checkVectorLength(fn, layer, v, acts.shape[3]);
    const [px, py] = position(fn, layer, acts.shape, x, y);
    return dotCossim(extractPosition(acts, px, py), hostTensor(v), cossimPow);
  });
}

/**
 * Visualize a spatial pattern of activations: the (cossim-weighted) dot product of `vec`, a
 * `[h, w, channels]` (or `[1|batch, h, w, channels]`) tensor, with the central `h×w` window of the
 * layer, averaged over that window.
 *
 * Used to reproduce a whole patch of activations (e.g. an activation-atlas cell or the activations
 * of a real image) rather than one direction. The window is centred as Lucid's:
 * it starts at `(H − h) // 2, (W − w) // 2`.
 *
 * Port of `lucid.optvis.objectives.tensor_direction` (same zero-vector gradient fix as
 * {@link direction}). Errors at evaluation when the pattern is larger than the layer, its channels
 * differ, or its batch dimension is neither 1 nor the layer's.
 *
 * @example
 * ```ts
 * const pattern = tf.randomNormal([3, 3, 512]);
 * const obj = objectives.tensorDirection('mixed4d', pattern);
 * pattern.dispose(); // the objective keeps a copy
 * ```
 * @param layer name of a layer with activations `[batch, height, width, channels]` or `[batch, channels]`.
 * @param vec pattern, shape `[h, w, channels]` or `[1 | batch, h, w, channels]` (copied).
 * @param options `cossimPow` (default 0), `batch` image index.
 * @returns a new objective.
 */
export function tensorDirection(layer: string, vec: ConstantLike, options?: DirectionOptions): Objective {
  const fn = 'objectives.tensorDirection';
  const raw = readNested(fn, 'vec', vec);
  if (raw.shape.length !== 3 && raw.shape.length !== 4) {
    fail(fn, `vec must have rank 3 ([h, w, channels]) or 4 ([batch, h, w, channels]), but got shape ${showShape(raw.shape)}.`);
  }
  const v: HostTensor = raw.shape.length === 3 ? { data: raw.data, shape: [1, ...raw.shape] } : raw;
  const { cossimPow: pow, batch } = checkOptions(fn, options, ['cossimPow', 'batch']);
  const cossimPow = checkNonNegative(fn, 'cossimPow', pow ?? 0);
  return layerObjective(fn, 'TensorDirection', layer, [vec], { cossimPow: cossimPow || undefined, batch }, (acts, layerShape) => {
    const [vb, vh, vw, vc] = v.shape;
    const [rows, h, w, c] = acts.shape;
    if (vc !== c || vh > h || vw > w || (vb !== 1 && vb !== rows)) {
      fail(
        fn,
        `vec must have shape [1 or ${rows}, ≤${h}, ≤${w}, ${c}] to fit layer "${layer}" ${showShape(layerShape)}` +
          `${batch === undefined ? '' : ` (batch ${batch})`}, but got ${showShape(v.shape)}.`,
      );
    }
    const window = tf.slice(acts, [0, Math.floor((h - vh) / 2), Math.floor((w - vw) / 2), 0], [-1, vh, vw, -1]);
    return dotCossim(window, hostTensor(v), cossimPow);
  });
}

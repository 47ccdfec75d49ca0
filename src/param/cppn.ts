import * as tf from '@tensorflow/tfjs-core';
import '../ops/registerGradients';
import { checkBool, checkOneOf, checkOptions, checkPositive } from '../validate';
import { type RandomSource, type Rng } from '../ops/random';
import { checkImageSize, makeParam, seededRng, variableFrom } from './common';
import type { Param } from './types';

/** Activations of {@link cppn} (Lucid's `_composite_activation` biased/unbiased, `_relu_normalized_activation`). */
export type CppnActivation = 'compositeActivation' | 'compositeActivationUnbiased' | 'reluNormalizedActivation';

const ACTIVATIONS: readonly CppnActivation[] = ['compositeActivation', 'compositeActivationUnbiased', 'reluNormalizedActivation'];

/** Options of {@link cppn}. */
export interface CppnOptions {
  /** Number of images (all identical: they share the network, as in Lucid). Default 1. */
  readonly batch?: number;
  /** Output channels (sigmoid). Default 3. */
  readonly numOutputChannels?: number;
  /** Channels of each hidden 1×1 convolution. Default 24. */
  readonly numHiddenChannels?: number;
  /** Number of hidden layers. Default 8. */
  readonly numLayers?: number;
  /** Nonlinearity after each hidden layer. Default `'compositeActivation'`. */
  readonly activation?: CppnActivation;
  /** Instance-normalize each hidden layer before its activation (trainable offset, no scale). Default `false`. */
  readonly normalize?: boolean;
  /** Seed (or seeded generator) of the weight initialization. */
  readonly seed?: RandomSource;
}

/** Truncated normal (re-drawn beyond 2 sd) scaled like TF1's `variance_scaling` (fan_in, scale 1). */
function varianceScaling(rng: Rng, fanIn: number, count: number): Float32Array {
  const sd = Math.sqrt(1 / fanIn) / 0.87962566103423978;
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    let z = rng.normal();
    while (Math.abs(z) > 2) z = rng.normal();
    out[i] = sd * z;
  }
  return out;
}

function normals(rng: Rng, sd: number, count: number): Float32Array {
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = rng.normal(0, sd);
  return out;
}

/**
 * `x · w` with a gradient made of flag-free matrix products (`dx = dy · wᵀ`, `dw = xᵀ · dy` with
 * explicit transposes): `matMul`'s transpose flags are very slow on wasm for tall matrices such as
 * the per-pixel activations here.
 */
const dense = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const x = args[0] as tf.Tensor2D;
  const w = args[1] as tf.Tensor2D;
  const save = args[2] as tf.GradSaveFunc;
  save([x, w]);
  return {
    value: tf.matMul(x, w),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [xs, ws] = saved as tf.Tensor2D[];
      return [
        tf.tidy(() => tf.matMul(dy as tf.Tensor2D, tf.transpose(ws))),
        tf.tidy(() => tf.matMul(tf.transpose(xs), dy as tf.Tensor2D)),
      ];
    },
  };
}) as (x: tf.Tensor2D, w: tf.Tensor2D) => tf.Tensor2D;

/**
 * `concat(parts, 1) · w + b` without building the concatenation: part `i` is multiplied by its own
 * block of rows of `w` (the composite activation produces two halves; concatenating them and
 * splitting the gradient again costs more than the products on wasm).
 */
function denseParts(parts: readonly tf.Tensor2D[], w: tf.Tensor2D, b: tf.Tensor1D): tf.Tensor2D {
  const outCh = w.shape[1];
  let row = 0;
  const terms = parts.map((p) => {
    const rows = p.shape[1];
    const block = parts.length === 1 ? w : tf.slice(w, [row, 0], [rows, outCh]);
    row += rows;
    return dense(p, block);
  });
  return tf.add(terms.length === 1 ? terms[0] : tf.addN(terms), b);
}

/** `x` ([N, c]) through the activation, as a list of [N, c] parts to be concatenated. Runs in the caller's tidy. */
function activate(x: tf.Tensor2D, activation: CppnActivation): tf.Tensor2D[] {
  if (activation === 'reluNormalizedActivation') return [tf.div(tf.sub(tf.relu(x), 0.4), 0.58) as tf.Tensor2D];
  const a = tf.atan(x);
  // Coefficients: RMS of atan(N(0,1)) and of its square (biased), or their std/mean (unbiased), from Lucid.
  const [c0, c1, m1] = activation === 'compositeActivation' ? [0.67, 0.6, 0] : [0.67, 0.396, 0.45];
  return [tf.div(a, c0) as tf.Tensor2D, tf.div(tf.sub(tf.square(a), m1), c1) as tf.Tensor2D];
}

/**
 * A Compositional Pattern Producing Network: a small per-pixel MLP from `(x, y)` coordinates to colours.
 *
 * Why (Mordvintsev et al., "Differentiable Image Parameterizations", 2018): a CPPN is a
 * resolution-independent, strongly regularizing parameterization; optimized for a neuron, it
 * produces smooth, organic patterns instead of pixel textures. The input is a grid over
 * `[−√3, √3]²` (unit standard deviation), channel 0 = x (varying along the width), channel 1 = y;
 * each hidden layer is a 1×1 convolution (weights: truncated-normal variance scaling on fan-in,
 * biases N(0, 0.1²)), optionally instance-normalized, then the activation (the composite
 * activation `[atan(x)/0.67, atan(x)²/0.6]` doubles the channels). The output layer has zero
 * weights, N(0, 0.1²) biases and a sigmoid, so optimization starts from a flat colour.
 *
 * @example
 * ```ts
 * const p = cppn(64, { numLayers: 4, seed: 0 });
 * const img = p.image(); // [1, 64, 64, 3] in (0, 1)
 * ```
 * @param width width and height of the image.
 * @param options see {@link CppnOptions} (defaults stated there).
 * @returns a {@link Param} of `[batch, width, width, numOutputChannels]` images in (0, 1); it owns
 *   the weights, biases (and instance-norm offsets) in layer order `[w0, b0, (beta0,) w1, …, wOut, bOut]`
 *   and the coordinate grid.
 *
 * @remarks
 * Port of `lucid.optvis.param.cppn.cppn`. Difference: the activation is chosen by name
 * (`activation_func` in Lucid takes a function).
 */
export function cppn(width: number, options: CppnOptions = {}): Param<tf.Tensor4D> {
  const FN = 'param.cppn';
  const o = checkOptions(FN, options, ['batch', 'numOutputChannels', 'numHiddenChannels', 'numLayers', 'activation', 'normalize', 'seed']);
  checkPositive(FN, 'width', width);
  const batch = checkPositive(FN, 'options.batch', o.batch ?? 1);
  const numOut = checkPositive(FN, 'options.numOutputChannels', o.numOutputChannels ?? 3);
  const numHidden = checkPositive(FN, 'options.numHiddenChannels', o.numHiddenChannels ?? 24);
  const numLayers = o.numLayers ?? 8;
  if (numLayers !== 0) checkPositive(FN, 'options.numLayers', numLayers);
  const activation = checkOneOf(FN, 'options.activation', o.activation ?? 'compositeActivation', ACTIVATIONS);
  const normalize = checkBool(FN, 'options.normalize', o.normalize, false);
  checkImageSize(FN, [batch, width, width, Math.max(numOut, numHidden)]);
  const rng = seededRng(FN, o.seed);

  const r = Math.sqrt(3);
  const grid = new Float32Array(width * width * 2);
  const coord = (i: number): number => (width === 1 ? -r : -r + (2 * r * i) / (width - 1));
  for (let i = 0; i < width; i++) {
    for (let j = 0; j < width; j++) {
      grid[(i * width + j) * 2] = coord(j); // x
      grid[(i * width + j) * 2 + 1] = coord(i); // y
    }
  }
  const expand = activation === 'reluNormalizedActivation' ? 1 : 2;
  const layers: { w: tf.Variable; b: tf.Variable; beta: tf.Variable | null }[] = [];
  let inCh = 2;
  for (let l = 0; l < numLayers; l++) {
    const w = variableFrom(varianceScaling(rng, inCh, inCh * numHidden), [inCh, numHidden]);
    const b = variableFrom(normals(rng, 0.1, numHidden), [numHidden]);
    const beta = normalize ? variableFrom(new Float32Array(numHidden), [numHidden]) : null;
    layers.push({ w, b, beta });
    inCh = numHidden * expand;
  }
  const wOut = variableFrom(new Float32Array(inCh * numOut), [inCh, numOut]);
  const bOut = variableFrom(normals(rng, 0.1, numOut), [numOut]);
  const gridT = tf.tensor2d(grid, [width * width, 2]);
  const variables = [...layers.flatMap((l) => (l.beta ? [l.w, l.b, l.beta] : [l.w, l.b])), wOut, bOut];

  return makeParam<tf.Tensor4D>({
    fn: FN,
    shape: [batch, width, width, numOut],
    variables,
    owned: [gridT],
    build: () => {
      let net: tf.Tensor2D[] = [gridT];
      for (const { w, b, beta } of layers) {
        let x = denseParts(net, w as tf.Tensor2D, b as tf.Tensor1D);
        if (beta) {
          // slim.instance_norm(center=True, scale=False, epsilon=1e-6) over the pixels of the image.
          const { mean, variance } = tf.moments(x, 0, true);
          x = tf.add(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, 1e-6))), beta);
        }
        net = activate(x, activation);
      }
      const rgb = tf.reshape(tf.sigmoid(denseParts(net, wOut as tf.Tensor2D, bOut as tf.Tensor1D)), [1, width, width, numOut]) as tf.Tensor4D;
      return batch === 1 ? rgb : tf.tile(rgb, [batch, 1, 1, 1]);
    },
  });
}

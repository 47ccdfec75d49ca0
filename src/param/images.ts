import * as tf from '@tensorflow/tfjs-core';
import '../ops/registerGradients';
import { fail, show } from '../errors';
import { checkBool, checkOptions, checkPositive, readNested } from '../validate';
import { type RandomSource } from '../ops/random';
import { COLOR_CORRELATION_NORMALIZED, toValidRgb } from './color';
import { checkImageSize, checkSd, makeParam, normalVariable, variableFrom, seededRng } from './common';
import { spectralCore, spectrumFromImage } from './spatial';
import type { Param } from './types';

/** Options of {@link image}. */
export interface ImageOptions {
  /** Height; default `w`. */
  readonly h?: number;
  /** Number of images; default 1. */
  readonly batch?: number;
  /** Standard deviation of the initialization; default 0.01. */
  readonly sd?: number;
  /** Optimize in ImageNet's decorrelated colour space; default `true`. */
  readonly decorrelate?: boolean;
  /** Spectral (`true`, {@link fftImage}) or pixel (`false`, {@link pixelImage}) parameterization; default `true`. */
  readonly fft?: boolean;
  /** Add a 4th, sigmoid-squashed alpha channel; default `false`. */
  readonly alpha?: boolean;
  /** Number of channels, each squashed by a plain sigmoid (no decorrelation); default RGB(A). */
  readonly channels?: number;
  /** Seed (or seeded generator) of the initialization. */
  readonly seed?: RandomSource;
}

/** Raw (unsquashed) image source of a param: its variables, constants and builder. Internal. */
interface RawImage {
  readonly variables: tf.Variable[];
  readonly owned: { dispose(): void }[];
  readonly raw: () => tf.Tensor4D;
}

function rawSpectral(fn: string, shape: number[], init: Float64Array | null, sd: number, seed: RandomSource): RawImage {
  const rng = seededRng(fn, seed); // validates the seed before anything is allocated
  const core = spectralCore(fn, shape, 1);
  try {
    const v = init ? variableFrom(spectrumFromImage(core, shape, init), core.spectrumShape) : normalVariable(core.spectrumShape, sd, rng);
    return { variables: [v], owned: [core], raw: () => core.toImage(v) };
  } catch (e) {
    core.dispose();
    throw e;
  }
}

function rawPixels(fn: string, shape: number[], init: Float64Array | null, sd: number, seed: RandomSource): RawImage {
  const rng = seededRng(fn, seed);
  const v = init ? variableFrom(Float32Array.from(init), shape) : normalVariable(shape, sd, rng);
  return { variables: [v], owned: [], raw: () => tf.clone(v) as tf.Tensor4D };
}

/** Squashes a raw image the way Lucid's `param.image` does. Runs in the caller's tidy. */
function squash(t: tf.Tensor4D, channels: number | undefined, decorrelate: boolean, alpha: boolean): tf.Tensor4D {
  if (channels !== undefined) return tf.sigmoid(t);
  const [b, h, w, ch] = t.shape;
  const rgb = toValidRgb(ch === 3 ? t : tf.slice(t, [0, 0, 0, 0], [b, h, w, 3]), { decorrelate, sigmoid: true });
  if (!alpha) return rgb;
  return tf.concat([rgb, tf.sigmoid(tf.slice(t, [0, 0, 0, 3], [b, h, w, 1]))], 3);
}

interface ResolvedImageOptions {
  readonly shape: number[];
  readonly sd: number;
  readonly decorrelate: boolean;
  readonly fft: boolean;
  readonly alpha: boolean;
  readonly channels: number | undefined;
}

const IMAGE_KEYS = ['h', 'batch', 'sd', 'decorrelate', 'fft', 'alpha', 'channels', 'seed'] as const;

function resolveImageOptions(fn: string, w: number, options: ImageOptions, allowed: readonly string[] = IMAGE_KEYS): ResolvedImageOptions {
  checkOptions(fn, options, allowed);
  checkPositive(fn, 'w', w);
  const h = options.h ?? w;
  checkPositive(fn, 'options.h', h);
  const batch = options.batch ?? 1;
  checkPositive(fn, 'options.batch', batch);
  const sd = checkSd(fn, options.sd);
  const decorrelate = checkBool(fn, 'options.decorrelate', options.decorrelate, true);
  const fft = checkBool(fn, 'options.fft', options.fft, true);
  const alpha = checkBool(fn, 'options.alpha', options.alpha, false);
  if (options.channels !== undefined) checkPositive(fn, 'options.channels', options.channels);
  const ch = options.channels ?? (alpha ? 4 : 3);
  if (fft && w < 2) fail(fn, `w must be at least 2 for the spectral parameterization (fft: true), but got ${show(w)}.`);
  checkImageSize(fn, [batch, h, w, ch]);
  return { shape: [batch, h, w, ch], sd, decorrelate, fft, alpha, channels: options.channels };
}

/**
 * The standard image parameterization: a spectral (or pixel) image in a decorrelated colour space,
 * squashed into [0, 1] by a sigmoid.
 *
 * Why: Lucid's default, combining the two preconditioners of the "Feature Visualization" article —
 * the `1/f`-scaled Fourier basis ({@link fftImage}) and ImageNet colour decorrelation
 * ({@link toValidRgb}) — which make plain gradient ascent produce interpretable images.
 * With `alpha`, a 4th channel (sigmoid of its own spectrum, not decorrelated) is appended, as in
 * the transparency experiments of "Differentiable Image Parameterizations". With `channels`, all
 * `channels` raw channels go through a plain sigmoid instead.
 *
 * @example
 * ```ts
 * const p = image(128, { seed: 1 });
 * const img = tf.tidy(() => p.image()); // [1, 128, 128, 3] in [0, 1]
 * ```
 * @param w image width.
 * @param options see {@link ImageOptions} (defaults stated there).
 * @returns a {@link Param} of NHWC images `[batch, h, w, 3 | 4 | channels]` in [0, 1]; it owns its
 *   variable and constants, the caller owns each returned image.
 *
 * @remarks
 * Port of `lucid.optvis.param.images.image`. Difference: `sd: 0` means a zero initialization.
 */
export function image(w: number, options: ImageOptions = {}): Param<tf.Tensor4D> {
  const FN = 'param.image';
  const o = resolveImageOptions(FN, w, options);
  const src = o.fft ? rawSpectral(FN, o.shape, null, o.sd, options.seed) : rawPixels(FN, o.shape, null, o.sd, options.seed);
  return makeParam<tf.Tensor4D>({
    fn: FN,
    shape: o.shape,
    variables: src.variables,
    owned: src.owned,
    build: () => squash(src.raw(), o.channels, o.decorrelate, o.alpha),
  });
}

/** Options of {@link grayscaleImage}. */
export type GrayscaleImageOptions = Omit<ImageOptions, 'channels' | 'alpha' | 'decorrelate'>;

const GRAYSCALE_KEYS = ['h', 'batch', 'sd', 'fft', 'seed'] as const;

/**
 * A grayscale image parameterization returned as RGB: one sigmoid-squashed channel repeated three times.
 *
 * Why: to see which structures a unit responds to independently of colour. Lucid builds it as
 * `image(..., channels=1)` tiled to 3 channels, so decorrelation does not apply.
 *
 * @example
 * ```ts
 * const p = grayscaleImage(64, { seed: 2 });
 * const img = p.image(); // [1, 64, 64, 3], the three channels equal
 * ```
 * @param w image width.
 * @param options `h`, `batch`, `sd`, `fft` and `seed` of {@link ImageOptions} (defaults stated there).
 * @returns a {@link Param} of `[batch, h, w, 3]` images in [0, 1] with one variable.
 *
 * @remarks
 * Port of `lucid.optvis.param.images.grayscale_image_rgb`.
 */
export function grayscaleImage(w: number, options: GrayscaleImageOptions = {}): Param<tf.Tensor4D> {
  const FN = 'param.grayscaleImage';
  checkOptions(FN, options, GRAYSCALE_KEYS);
  const o = resolveImageOptions(FN, w, { ...options, channels: 1 }, IMAGE_KEYS);
  const src = o.fft ? rawSpectral(FN, o.shape, null, o.sd, options.seed) : rawPixels(FN, o.shape, null, o.sd, options.seed);
  const [b, h] = o.shape;
  return makeParam<tf.Tensor4D>({
    fn: FN,
    shape: [b, h, w, 3],
    variables: src.variables,
    owned: src.owned,
    build: () => tf.tile(tf.sigmoid(src.raw()), [1, 1, 1, 3]),
  });
}

/** Options of {@link imageFromPixels}. */
export interface ImageFromPixelsOptions {
  /** Spectral (`true`) or pixel (`false`) parameterization; default `true`. */
  readonly fft?: boolean;
  /** Decorrelated colour space, as {@link image}; default `true`. */
  readonly decorrelate?: boolean;
  /** Pixels are clamped to `[eps, 1 − eps]` before the inverse sigmoid; default `1e-3`. */
  readonly eps?: number;
}

/** Inverse of the 3×3 matrix `m` (float64). */
function inverse3(m: readonly (readonly number[])[]): number[][] {
  const [[a, b, c], [d, e, f], [g, h, i]] = m;
  const A = e * i - f * h, B = -(d * i - f * g), C = d * h - e * g;
  const det = a * A + b * B + c * C;
  return [
    [A / det, -(b * i - c * h) / det, (b * f - c * e) / det],
    [B / det, (a * i - c * g) / det, -(a * f - c * d) / det],
    [C / det, -(a * h - b * g) / det, (a * e - b * d) / det],
  ];
}

/**
 * An image parameterization initialised from existing pixels, so that the first `image()` returns
 * those pixels.
 *
 * Why: to start optimization from a photo (e.g. to amplify what a unit sees in it, or to compare
 * a visualization with the image it was seeded from) while keeping the preconditioning of
 * {@link image}.
 *
 * Exact rule: pixels `p` are clamped to `[eps, 1 − eps]`, mapped through the inverse sigmoid
 * `t = ln(p / (1 − p))` (alpha included), and RGB is mapped to the decorrelated colour space by the
 * inverse of the colour matrix (`u = M⁻¹ t`) when `decorrelate`. For `fft: false` the variable is
 * `u`. For `fft: true` the variable is the spectrum `rfft2d(4·u) / scale` (TensorFlow's unnormalised
 * forward real DFT, divided by the `1/f` scale of {@link fftImage}); for odd widths the image is
 * extended by repeating its last column to `w + 1` columns before the transform (the extra column
 * is cropped again by `image()`). Hence `image()` returns `clamp(p, eps, 1 − eps)` up to float32
 * rounding (≈1e-5 for the spectral form).
 *
 * @example
 * ```ts
 * const photo = tf.fill([1, 32, 32, 3], 0.5);
 * const p = imageFromPixels(photo);
 * const img = p.image(); // ≈ photo
 * ```
 * @param pixels `[batch, h, w, 3 | 4]` or `[h, w, 3 | 4]` values in [0, 1] (a tensor or nested array;
 *   copied). Four channels make an RGBA param like `image(w, { alpha: true })`.
 * @param options see {@link ImageFromPixelsOptions} (defaults stated there).
 * @returns a {@link Param} of `[batch, h, w, ch]` images in [0, 1] (a batch of 1 for rank-3 pixels).
 *
 * @remarks
 * Not in Lucid (which initialises `pixel_image` from raw values only); built on its `image`.
 */
export function imageFromPixels(pixels: tf.Tensor | readonly unknown[], options: ImageFromPixelsOptions = {}): Param<tf.Tensor4D> {
  const FN = 'param.imageFromPixels';
  const o = checkOptions(FN, options, ['fft', 'decorrelate', 'eps']);
  const fft = checkBool(FN, 'options.fft', o.fft, true);
  const decorrelate = checkBool(FN, 'options.decorrelate', o.decorrelate, true);
  const eps = o.eps ?? 1e-3;
  if (typeof eps !== 'number' || !(eps > 0 && eps < 0.5)) fail(FN, `options.eps must be a number in (0, 0.5), but got ${show(eps)}.`);
  const { data: values, shape: given } = readNested(FN, 'pixels', pixels);
  if (given.length !== 3 && given.length !== 4) fail(FN, `pixels must have rank 3 or 4 ([b, h, w, c] or [h, w, c]), but got shape [${given.join(', ')}].`);
  const shape = given.length === 3 ? [1, ...given] : given.slice();
  const [, h, w, ch] = shape;
  if (ch !== 3 && ch !== 4) fail(FN, `pixels must have 3 (RGB) or 4 (RGBA) channels, but got ${ch}.`);
  if (fft && w < 2) fail(FN, `pixels must be at least 2 pixels wide for the spectral parameterization, but got width ${w}.`);
  for (let i = 0; i < values.length; i++) {
    if (values[i] < 0 || values[i] > 1) fail(FN, `pixels must hold values in [0, 1], but got ${values[i]} at flat index ${i}.`);
  }
  const raw = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const p = Math.min(Math.max(values[i], eps), 1 - eps);
    raw[i] = Math.log(p / (1 - p));
  }
  if (decorrelate) {
    const inv = inverse3(COLOR_CORRELATION_NORMALIZED);
    for (let i = 0; i < raw.length; i += ch) {
      const t0 = raw[i], t1 = raw[i + 1], t2 = raw[i + 2];
      for (let r = 0; r < 3; r++) raw[i + r] = inv[r][0] * t0 + inv[r][1] * t1 + inv[r][2] * t2;
    }
  }
  const alpha = ch === 4;
  const src = fft ? rawSpectral(FN, shape, raw, 0, undefined) : rawPixels(FN, shape, raw, 0, undefined);
  return makeParam<tf.Tensor4D>({
    fn: FN,
    shape,
    variables: src.variables,
    owned: src.owned,
    build: () => squash(src.raw(), undefined, decorrelate, alpha),
  });
}

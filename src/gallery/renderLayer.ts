import * as tf from '@tensorflow/tfjs-core';
import { fail, show } from '../errors';
import { checkBool, checkFinite, checkFunction, checkOptions } from '../validate';
import { Rng } from '../ops/random';
import type { VisModel } from '../model/types';
import type { ImageArray } from '../io/types';
import type { Transform } from '../transform/types';
import { custom, image as imageParam } from '../param/index';
import { channel as channelObjective, Objective } from '../objectives/index';
import {
  collapseAlphaRandom,
  jitter,
  pad,
  randomRotate,
  randomScale,
  STANDARD_ANGLES,
  STANDARD_FINAL_JITTER,
  STANDARD_JITTER,
  STANDARD_PAD,
  STANDARD_SCALES,
} from '../transform/index';
import { renderVis } from '../render/index';
import { channelSeed, mix } from './channels';

const FN = 'gallery.renderLayer';

/** One rendered channel of {@link renderLayer}. */
export interface ChannelResult {
  /** The channel index in the layer. */
  readonly channel: number;
  /** The image, `[1, size, size, 3]` (RGBA with `alpha`), values in [0, 1]. */
  readonly image: ImageArray;
  /**
   * The channel's mean activation at the last update (on that update's transformed image, before the
   * update: Lucid's `loss` for this channel alone; with `alpha` the opacity penalty is not included).
   */
  readonly objective: number;
  /** Wall-clock seconds of the channel's batch divided by the batch's number of channels. */
  readonly seconds: number;
}

/** Progress of {@link renderLayer}, reported after every update of every batch. */
export interface LayerProgress {
  /** Channels finished so far. */
  readonly channelsDone: number;
  /** Channels of the whole call. */
  readonly channelsTotal: number;
  /** Updates done in the current batch. */
  readonly step: number;
  /** Updates per channel. */
  readonly steps: number;
  /** Channels in the current batch. */
  readonly batchSize: number;
}

/** Options of {@link renderLayer}. */
export interface RenderLayerOptions {
  /** Channels to render (integers in `[0, depth)`, any order, no duplicates). Default: every channel of the layer. */
  readonly channels?: readonly number[];
  /** Image size in pixels (square). Default 128. */
  readonly size?: number;
  /** Updates per channel. Default 512 (as `renderVis`). */
  readonly steps?: number;
  /** Seed of the job; each channel's randomness is derived from it and the channel index. Default 0. */
  readonly seed?: number;
  /** Channels rendered together, one image per batch item, in one forward pass per update. Default 4. */
  readonly batch?: number;
  /** Optimize transparent RGBA images (composited over a random background each update, mean opacity pulled to 1/4). Default `false`. */
  readonly alpha?: boolean;
  /** Aborts between two updates: the promise rejects with the render's abort error; finished batches were already reported. */
  readonly signal?: AbortSignal;
  /** Called (and awaited) for every channel as soon as its batch is done, in the order of `channels`. */
  readonly onChannel?: (result: ChannelResult) => void | Promise<void>;
  /** Called after every update. */
  readonly onProgress?: (progress: LayerProgress) => void;
}

/** The options of {@link renderLayer} after validation. @internal */
export interface ResolvedLayerOptions {
  readonly size: number;
  readonly steps: number;
  readonly seed: number;
  readonly batch: number;
  readonly alpha: boolean;
}

/** Validates and defaults the rendering options (not `channels`). @internal */
export function resolveLayerOptions(fn: string, options: RenderLayerOptions): ResolvedLayerOptions {
  if (options === null || typeof options !== 'object') fail(fn, `options must be an object, but got ${show(options)}.`);
  const { size = 128, steps = 512, seed = 0, batch = 4, alpha = false } = options;
  const posInt = (name: string, v: unknown, min = 1): number => {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min) fail(fn, `${name} must be an integer >= ${min}, but got ${show(v)}.`);
    return v;
  };
  posInt('size', size, 2);
  posInt('steps', steps);
  posInt('batch', batch);
  checkFinite(fn, 'seed', seed);
  checkBool(fn, 'alpha', alpha, false);
  return { size, steps, seed, batch, alpha };
}

/** Number of channels of `layer` (from the model's layer info, or from one small forward pass). @internal */
export function layerDepth(fn: string, model: VisModel, layer: string): number {
  if (model === null || typeof model !== 'object' || typeof (model as VisModel).layer !== 'function') {
    fail(fn, `model must be a VisModel, but got ${show(model)}.`);
  }
  if (typeof layer !== 'string' || layer === '') fail(fn, `layer must be a layer name, but got ${show(layer)}.`);
  const info = model.layer(layer); // unknown names throw with suggestions
  if (info.depth !== null) return info.depth;
  return tf.tidy(() => {
    const acts = model.activations(tf.fill([1, 64, 64, model.imageShape[2]], 0.5) as tf.Tensor4D, [layer]);
    const t = acts.get(layer);
    if (t === undefined) return fail(fn, `the model must return layer ${show(layer)}, but got no tensor for it.`);
    return t.shape[t.rank - 1];
  });
}

/**
 * Renders every channel of a layer (or the listed ones): Lucid's `render_vis(model, "layer:n")` for
 * each `n`, several channels per forward pass.
 *
 * Why: people look at whole layers (OpenAI Microscope shows every channel of every layer), and a
 * loop of single renders wastes most of the forward pass on per-call overhead. Here each batch of
 * `batch` channels is one {@link renderVis} on a batch of images: item `i` has its own
 * `param.image(size)`, its own transforms and the objective `channel(layer, n_i)` on that item
 * alone; the items' objectives are summed, so an item's gradient does not depend on the others.
 *
 * Layout independence: a channel's image is a function of (model, layer, channel, size, steps,
 * seed, alpha, backend) only, never of which channels share its batch (or worker, or shard). Its
 * initial image, jitters, rotations and alpha backgrounds are drawn from `channelSeed(seed, n)`;
 * the random scale, which changes the tensor shape and so must be shared by a batch, is drawn from
 * `seed` and the update number alone (all channels get the same scale at the same update). On the
 * cpu and wasm backends the model computes each batch item exactly as it computes a batch of one, so
 * `batch: 1` and `batch: 8` give bit-identical images (tested).
 *
 * The rest is `renderVis`'s defaults: a decorrelated FFT image, Lucid's standard transforms (pad 12,
 * jitter 8, scale 0.9–1.1, rotate −10..10°, jitter 4), Adam(0.05), the redirected ReLU gradient for
 * the first 16 updates. With `alpha`, each update composites the RGBA image over a random
 * background (`transform.collapseAlphaRandom`) and subtracts `1e4·(mean α − 0.25)²` per item, as the
 * CLI's `render --alpha`.
 *
 * Memory: every batch's tensors are freed when it ends (also on errors and aborts); the results
 * are plain arrays. For thousands of channels, use `onChannel` to store images as they come and
 * drop them.
 *
 * @example
 * ```ts
 * const vm = await loadDefaultModel();
 * const results = await gallery.renderLayer(vm, 'block_3_expand_relu', {
 *   channels: [0, 1, 2, 3], size: 64, steps: 64, batch: 4,
 *   onChannel: (r) => console.log(r.channel, r.objective),
 * });
 * // results[k].image: { shape: [1, 64, 64, 3], data }
 * ```
 * @param model the model ({@link VisModel}); not disposed.
 * @param layer the layer whose channels to render (unknown names throw with suggestions).
 * @param options see {@link RenderLayerOptions}.
 * @returns one {@link ChannelResult} per channel, in the order of `channels`.
 *
 * Not in Lucid (users loop over `render_vis`); built on `renderVis`. Difference from a loop of
 * `renderVis`: the random scale is shared by all channels at a given update.
 */
export async function renderLayer(model: VisModel, layer: string, options: RenderLayerOptions = {}): Promise<ChannelResult[]> {
  const o = resolveLayerOptions(FN, checkOptions(FN, options, RENDER_LAYER_KEYS));
  const { signal, onChannel, onProgress } = options;
  if (onChannel !== undefined) checkFunction(FN, 'onChannel', onChannel);
  if (onProgress !== undefined) checkFunction(FN, 'onProgress', onProgress);
  const depth = layerDepth(FN, model, layer);
  const channels = checkChannelList(FN, options.channels, depth);
  const results: ChannelResult[] = [];
  for (let start = 0; start < channels.length; start += o.batch) {
    const items = channels.slice(start, start + o.batch);
    const t0 = now();
    const batch = await renderBatch(model, layer, items, o, signal, (step) =>
      onProgress?.({ channelsDone: start, channelsTotal: channels.length, step, steps: o.steps, batchSize: items.length }),
    );
    const seconds = (now() - t0) / 1000 / items.length;
    for (let i = 0; i < items.length; i++) {
      const r: ChannelResult = { channel: items[i], image: batch.images[i], objective: batch.values[i], seconds };
      results.push(r);
      if (onChannel) await onChannel(r);
    }
  }
  return results;
}

/** Option keys of {@link renderLayer}. */
const RENDER_LAYER_KEYS = ['channels', 'size', 'steps', 'seed', 'batch', 'alpha', 'signal', 'onChannel', 'onProgress'] as const;

/** Checks a channel list against the layer's depth (default: all channels). @internal */
export function checkChannelList(fn: string, channels: readonly number[] | undefined, depth: number): number[] {
  if (channels === undefined) return Array.from({ length: depth }, (_, i) => i);
  if (!Array.isArray(channels) || channels.length === 0) fail(fn, `channels must be a non-empty array of channel indices, but got ${show(channels)}.`);
  const seen = new Set<number>();
  for (const c of channels) {
    if (typeof c !== 'number' || !Number.isInteger(c) || c < 0 || c >= depth) {
      fail(fn, `channels must hold integers in [0, ${depth - 1}] (the layer has ${depth} channels), but got ${show(c)}.`);
    }
    if (seen.has(c)) fail(fn, `channels must not repeat, but got ${c} twice.`);
    seen.add(c);
  }
  return [...channels];
}

/** Renders `channels` as one batch: images `[1, h, w, c]` and each channel's objective value at the last update. */
async function renderBatch(
  model: VisModel,
  layer: string,
  channels: readonly number[],
  o: ResolvedLayerOptions,
  signal: AbortSignal | undefined,
  onStep: (step: number) => void,
): Promise<{ images: ImageArray[]; values: number[] }> {
  const b = channels.length;
  const values = new Array<number>(b).fill(NaN);
  const last = o.steps - 1;
  // Per item: its own param and transform stream, both from (seed, channel).
  const itemRngs = channels.map((c) => new Rng(channelSeed(o.seed, c)));
  const parts = itemRngs.map((r) => imageParam(o.size, { alpha: o.alpha, seed: r.seed() }));
  const param = custom(parts, (imgs) => tf.concat(imgs, 0));
  try {
    const transformRngs = itemRngs.map((r) => r.fork());
    const transform = layoutFreeTransforms(transformRngs, new Rng(mix(channelSeed(o.seed, 0), 0x5ca1e)), o.alpha);
    const objective = Objective.sum(
      channels.map((c, i) => {
        const ch = channelObjective(layer, c, { batch: i });
        const penalty = o.alpha ? alphaPenalty(i) : null;
        return new Objective(
          (T) => {
            const v = ch.evaluate(T);
            if (T.step === last) values[i] = v.dataSync()[0];
            return penalty ? tf.add(v, penalty.evaluate(T)) : v;
          },
          penalty ? `Sum(${ch.description}, ${penalty.description})` : ch.description,
          ch.layers,
        );
      }),
    );
    const result = await renderVis(model, objective, {
      param,
      transforms: [transform],
      thresholds: [last],
      reluGradientOverride: true,
      seed: o.seed,
      signal,
      onProgress: (p) => onStep(p.step),
    });
    return { images: splitBatch(result.images[0]), values };
  } finally {
    param.dispose();
  }
}

/** `−1e4·(mean α_i − 0.25)²` on item `i` of the param's RGBA image (the CLI's `--alpha` penalty, per item). */
function alphaPenalty(i: number): Objective {
  return new Objective(
    (T) => {
      const alpha = tf.slice(T('input'), [i, 0, 0, 3], [1, -1, -1, 1]);
      return tf.mul(tf.square(tf.sub(tf.mean(alpha), 0.25)), -1e4);
    },
    `-10000 * (mean(alpha[${i}]) - 0.25)^2`,
  );
}

/**
 * Lucid's standard transforms (after `collapseAlphaRandom` with alpha), drawn so that the batch
 * layout does not matter: item `i` draws its jitters, angle and background from `itemRngs[i]`; the
 * scale, which changes the shape, comes from `shared` (one draw per call, the same in every batch).
 */
function layoutFreeTransforms(itemRngs: readonly Rng[], shared: Rng, alpha: boolean): Transform {
  const before: Transform[] = [
    ...(alpha ? [collapseAlphaRandom()] : []),
    pad(STANDARD_PAD, { mode: 'constant', constantValue: 0.5 }),
    jitter(STANDARD_JITTER),
  ];
  const scale = randomScale(STANDARD_SCALES);
  const after: Transform[] = [randomRotate(STANDARD_ANGLES), jitter(STANDARD_FINAL_JITTER)];
  const perItem = (x: tf.Tensor4D, list: readonly Transform[]): tf.Tensor4D =>
    tf.concat(
      itemRngs.map((rng, i) => list.reduce((t, f) => f(t, rng), tf.slice(x, [i, 0, 0, 0], [1, -1, -1, -1]))),
      0,
    );
  return (image) => tf.tidy(() => perItem(scale(perItem(image, before), shared), after));
}

/** Splits an `[b, h, w, c]` image array into `b` arrays `[1, h, w, c]`. */
function splitBatch(images: ImageArray): ImageArray[] {
  const [b, h, w, c] = images.shape;
  const n = h * w * c;
  return Array.from({ length: b }, (_, i) => ({ shape: [1, h, w, c], data: images.data.slice(i * n, (i + 1) * n) }));
}

function now(): number {
  return typeof performance !== 'undefined' ? performance.now() : Date.now();
}

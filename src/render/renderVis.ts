import { fail, OptvisError, show } from '../errors';
import { checkOptions } from '../validate';
import type { VisModel } from '../model/types';
import type { ImageArray } from '../io/types';
import { SESSION_KEYS, visSession, type ObjectiveSpec, type VisSessionOptions } from './session';

/** Progress of {@link renderVis}, reported after every update. */
export interface RenderProgress {
  /** Updates done so far (1 after the first). */
  readonly step: number;
  /** Total updates the render will do (`max(thresholds) + 1`). */
  readonly totalSteps: number;
  /** The objective's value at this update (Lucid's `loss`, to maximise). */
  readonly loss: number;
  /** Average speed since the first update. */
  readonly stepsPerSecond: number;
  /** Estimated seconds until the end at that speed. */
  readonly etaSeconds: number;
}

/** Options of {@link renderVis}: the session's options plus the loop's. */
export interface RenderOptions extends VisSessionOptions {
  /**
   * Step indices (0-based) after which to snapshot the image: the snapshot for threshold `i` is
   * taken after `i + 1` updates, and the render does `max(thresholds) + 1` updates. Default `[512]`.
   */
  thresholds?: readonly number[];
  /** Lucid's redirected ReLU gradient for the first updates. Default `true` (as Lucid's `render_vis`). */
  reluGradientOverride?: boolean;
  /** Aborts the render between two updates; the promise then rejects with a {@link RenderAbortError}. */
  signal?: AbortSignal;
  /** Called after every update (synchronously, between updates). */
  onProgress?: (progress: RenderProgress) => void;
  /** Log `step loss` with `console.log` at each threshold, as Lucid's `verbose`. Default `false`. */
  verbose?: boolean;
}

/** The options {@link renderVis} accepts: the session's and its own. */
const RENDER_KEYS = [...SESSION_KEYS, 'thresholds', 'signal', 'onProgress', 'verbose'] as const;

/** What {@link renderVis} returns: plain numbers, nothing to dispose. */
export interface RenderResult {
  /** One image per distinct threshold, in step order, each `[b, h, w, c]` with values in [0, 1]. */
  readonly images: ImageArray[];
  /** The distinct thresholds, sorted: `images[k]` was taken after `thresholds[k] + 1` updates. */
  readonly thresholds: number[];
  /** The objective's value at every update (`losses[i]` just before update `i + 1` was applied). */
  readonly losses: number[];
  /** Number of updates done. */
  readonly steps: number;
}

/**
 * The error a {@link renderVis} promise rejects with when its `signal` aborts. `name` is
 * `'AbortError'`, as for `fetch`; the images and losses gathered until then are attached (Lucid
 * returns them on KeyboardInterrupt). Everything the render allocated is already freed.
 *
 * @example
 * ```ts
 * const controller = new AbortController();
 * renderVis(vm, 'conv4:3', { signal: controller.signal }).catch((e) => {
 *   if (e instanceof RenderAbortError) console.log(`stopped after ${e.steps} updates`, e.images);
 * });
 * controller.abort();
 * ```
 */
export class RenderAbortError extends OptvisError {
  /** Updates done before the abort. */
  readonly steps: number;
  /** The snapshots taken before the abort. */
  readonly images: ImageArray[];
  /** The losses of the updates done before the abort. */
  readonly losses: number[];
  constructor(steps: number, images: ImageArray[], losses: number[], reason?: unknown) {
    super('render.renderVis', `the render was aborted after ${steps} updates.`);
    this.name = 'AbortError';
    this.steps = steps;
    this.images = images;
    this.losses = losses;
    if (reason !== undefined) (this as { cause?: unknown }).cause = reason;
  }
}

/**
 * Renders a feature visualization: optimizes a parameterized image so that it maximises an
 * objective of a model's activations, and returns snapshots of the image at given step counts.
 *
 * Why: this is Lucid's one-call workflow (`render.render_vis(model, "mixed4a_pre_relu:476")`),
 * with Lucid's defaults (listed on {@link RenderOptions}), including the redirected ReLU gradient
 * for the first updates so that dead neurons can start firing. It runs on a {@link visSession} and awaits the event loop between
 * updates (never inside one), so an `AbortSignal`, progress callbacks and UIs work.
 *
 * Seeded: with the same `seed` on the same backend (cpu) the images are identical; the seed drives
 * the default param's initial values and every transform draw.
 *
 * Errors: invalid arguments, unknown layers (with suggestions) and image sizes the model can't
 * take reject before the first update; a non-finite objective rejects with the update number.
 * On every exit (success, abort, error) the session is disposed: `tf.memory().numTensors` is back
 * to where it was. A `param` you pass is not disposed (it is yours, and holds the result).
 *
 * @param model the model to visualize ({@link VisModel}).
 * @param objective an `Objective`, a number, or a `'layer:n'` string.
 * @param options see {@link RenderOptions} and {@link VisSessionOptions} (defaults stated there).
 * @returns a promise of {@link RenderResult} (plain arrays; the caller disposes nothing).
 *
 * @remarks
 * Port of `lucid.optvis.render.render_vis`. Differences: async with `AbortSignal` instead of
 * KeyboardInterrupt; `verbose` defaults to `false` and logs instead of displaying images;
 * `print_objectives` is left to `visSession().evaluate`; returns losses too.
 *
 * @example
 * ```ts
 * const vm = await model.visModel(layersModel, { inputRange: [-1, 1] });
 * const { images } = await renderVis(vm, 'conv4:3', { thresholds: [64], seed: 0 });
 * // images[0]: { shape: [1, 128, 128, 3], data: Float32Array }
 * ```
 */
export async function renderVis(model: VisModel, objective: ObjectiveSpec, options: RenderOptions = {}): Promise<RenderResult> {
  const fn = 'render.renderVis';
  const { thresholds = [512], signal, onProgress, verbose = false, reluGradientOverride = true, ...sessionOptions } = checkOptions(fn, options, RENDER_KEYS);
  if (!Array.isArray(thresholds) || thresholds.length === 0 || !thresholds.every((t) => Number.isInteger(t) && t >= 0)) {
    fail(fn, `thresholds must be a non-empty array of non-negative integers, but got ${show(thresholds)}.`);
  }
  if (signal !== undefined && (signal === null || typeof signal !== 'object' || typeof signal.aborted !== 'boolean')) {
    fail(fn, `signal must be an AbortSignal, but got ${show(signal)}.`);
  }
  if (onProgress !== undefined && typeof onProgress !== 'function') {
    fail(fn, `onProgress must be a function, but got ${show(onProgress)}.`);
  }
  if (typeof verbose !== 'boolean') fail(fn, `verbose must be a boolean, but got ${show(verbose)}.`);

  const images: ImageArray[] = [];
  const losses: number[] = [];
  if (signal?.aborted) throw new RenderAbortError(0, images, losses, signal.reason);

  const wanted = [...new Set(thresholds)].sort((a, b) => a - b);
  const total = wanted[wanted.length - 1] + 1;
  const session = visSession(model, objective, { ...sessionOptions, reluGradientOverride });
  try {
    let next = 0;
    let start = 0;
    for (let i = 0; i < total; i++) {
      await yieldToEventLoop();
      if (signal?.aborted) throw new RenderAbortError(session.steps, images, losses, signal.reason);
      if (i === 0) start = now();
      const loss = await session.stepAsync();
      losses.push(loss);
      if (wanted[next] === i) {
        images.push(session.imageArray());
        next++;
        // eslint-disable-next-line no-console
        if (verbose) console.log(i, loss);
      }
      if (onProgress) {
        const seconds = Math.max((now() - start) / 1000, 1e-9);
        const stepsPerSecond = (i + 1) / seconds;
        onProgress({ step: i + 1, totalSteps: total, loss, stepsPerSecond, etaSeconds: (total - i - 1) / stepsPerSecond });
      }
    }
    return { images, thresholds: wanted, losses, steps: session.steps };
  } finally {
    session.dispose();
  }
}

function now(): number {
  return typeof performance !== 'undefined' ? performance.now() : Date.now();
}

/** Lets timers, I/O and UI events run between two updates. */
function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => {
    if (typeof setImmediate === 'function') setImmediate(resolve);
    else setTimeout(resolve, 0);
  });
}

import * as os from 'node:os';
import * as path from 'node:path';
import { fail, OptvisError, show } from '../../errors';
import { checkFunction, checkOptions, checkPositive } from '../../validate';
import { parseChannels, shardChannels } from '../channels';
import type { ChannelRecord, GalleryManifest } from '../manifest';
import { checkChannelList, resolveLayerOptions } from '../renderLayer';
import { GALLERY_BACKENDS, modelLabel, type GalleryBackend, type GalleryModelSpec } from './model';
import { nativeKernelsBuilt } from '../../backends/nativeKernels';
import { WorkerPool } from './pool';
import { channelName, GalleryStore, type GalleryIdentity } from './store';

const FN = 'buildGallery';

/** Options of {@link buildGallery}. */
export interface BuildGalleryOptions {
  /** The gallery directory (created if missing; a rerun into it resumes). */
  readonly dir: string;
  /** The layer whose channels to render. */
  readonly layer: string;
  /** A tfjs model directory or model.json path, or an embedded model's name (`'mobilenet-v2'`, `'inception-v3'`). Default: the embedded default model. */
  readonly model?: string;
  /** Input range of `model` (default `[0, 1]`; not with the default model). */
  readonly inputRange?: readonly [number, number];
  /** Channels: `'all'` (default), a list spec like `'0-63,100'`, or an array of indices. */
  readonly channels?: string | readonly number[];
  /** Image size in pixels. Default 128. */
  readonly size?: number;
  /** Updates per channel. Default 512. */
  readonly steps?: number;
  /** Seed of the job. Default 0. */
  readonly seed?: number;
  /** Transparent RGBA images. Default `false`. */
  readonly alpha?: boolean;
  /** Channels per forward pass (per batch). Default 4. Does not change the images. */
  readonly batch?: number;
  /**
   * tfjs backend of every worker. Default `'wasm'`. `'wasm-native'`: wasm with the native
   * convolutions (`useNativeKernels`, needs the addon built; one addon thread per worker). The
   * manifest records it: images differ from `'wasm'`'s by float32 rounding.
   */
  readonly backend?: GalleryBackend;
  /** Worker threads. Default: the number of cores (at most one per batch). Does not change the images. */
  readonly workers?: number;
  /** `[index, count]`: render only shard `index` (0-based) of `count` (see `gallery.shardChannels`). Does not change the images. */
  readonly shard?: readonly [number, number];
  /** Stops the job: channels in flight are lost, finished ones stay; the promise rejects with an `AbortError`. */
  readonly signal?: AbortSignal;
  /** Called as channels progress (after every update of every worker). */
  readonly onProgress?: (progress: GalleryProgress) => void;
}

/** Progress of {@link buildGallery}. */
export interface GalleryProgress {
  /** Channels this run has finished. */
  readonly done: number;
  /** Channels this run renders (its shard, minus channels finished before). */
  readonly total: number;
  /** Channels of this shard that were already finished (skipped). */
  readonly skipped: number;
  /** Throughput so far, counting partly rendered channels. */
  readonly channelsPerMinute: number;
  /** Estimated seconds to the end of this run. */
  readonly etaSeconds: number;
}

/** What {@link buildGallery} did. */
export interface GallerySummary {
  /** The gallery directory (absolute). */
  readonly dir: string;
  /** Channels rendered by this run. */
  readonly rendered: readonly number[];
  /** Channels of this shard that were already finished. */
  readonly skipped: readonly number[];
  /** Whether every channel of the job (all shards) is now finished. */
  readonly complete: boolean;
  /** The manifest as rebuilt at the end of this run. */
  readonly manifest: GalleryManifest;
}

/** Option keys of {@link buildGallery}. */
const GALLERY_KEYS = [
  'dir', 'layer', 'model', 'inputRange', 'channels', 'size', 'steps', 'seed', 'alpha', 'batch', 'backend', 'workers', 'shard', 'signal', 'onProgress',
] as const;

function checkGalleryOptions(o: BuildGalleryOptions): void {
  if (o === null || typeof o !== 'object') fail(FN, `options must be an object, but got ${show(o)}.`);
  checkOptions(FN, o, GALLERY_KEYS);
  if (typeof o.dir !== 'string' || o.dir === '') fail(FN, `dir must be a directory path, but got ${show(o.dir)}.`);
  if (typeof o.layer !== 'string' || o.layer === '') fail(FN, `layer must be a layer name, but got ${show(o.layer)}.`);
  if (o.model !== undefined && (typeof o.model !== 'string' || o.model === '')) fail(FN, `model must be a model directory or model.json path, but got ${show(o.model)}.`);
  if (o.inputRange !== undefined) {
    const r = o.inputRange;
    if (!Array.isArray(r) || r.length !== 2 || !r.every((v) => typeof v === 'number' && Number.isFinite(v)) || !(r[0] < r[1])) {
      fail(FN, `inputRange must be [lo, hi] with lo < hi, but got ${show(r)}.`);
    }
    if (o.model === undefined) fail(FN, 'inputRange needs model (the default model has its own input range).');
  }
  if (o.backend !== undefined && !GALLERY_BACKENDS.includes(o.backend)) fail(FN, `backend must be 'wasm', 'cpu' or 'wasm-native', but got ${show(o.backend)}.`);
  if (o.backend === 'wasm-native' && !nativeKernelsBuilt()) {
    fail(FN, "backend 'wasm-native' needs the native addon, but it is not built in this package; run `npm run build:native` (needs make and a C++ compiler), or use backend 'wasm'.");
  }
  if (o.workers !== undefined) checkPositive(FN, 'workers', o.workers);
  if (o.shard !== undefined) {
    const s = o.shard;
    if (!Array.isArray(s) || s.length !== 2 || !Number.isInteger(s[1]) || s[1] < 1 || !Number.isInteger(s[0]) || s[0] < 0 || s[0] >= s[1]) {
      fail(FN, `shard must be [index, count] with 0 <= index < count, but got ${show(s)}.`);
    }
  }
  if (o.channels !== undefined && typeof o.channels !== 'string' && !Array.isArray(o.channels)) {
    fail(FN, `channels must be 'all', a list like '0-63' or an array of indices, but got ${show(o.channels)}.`);
  }
  if (o.onProgress !== undefined) checkFunction(FN, 'onProgress', o.onProgress);
}

function abortError(done: number, inFlight: number): OptvisError {
  const e = new OptvisError(
    FN,
    `the gallery was aborted: ${done} channel${done === 1 ? '' : 's'} finished in this run, ${inFlight} in flight lost. Run the same command again to resume.`,
  );
  e.name = 'AbortError';
  return e;
}

/**
 * Renders a whole layer into a gallery directory: one PNG per channel, a manifest, a contact
 * sheet and a static page, with a pool of worker threads, resumable and shardable.
 *
 * Why: a layer has hundreds of channels and each takes seconds to minutes; a job like that must use
 * every core, survive interruptions and split across machines. Each worker thread loads its own
 * backend and model and renders batches of `batch` channels with {@link renderLayer}; a channel's
 * image does not depend on `batch`, `workers` or `shard` (same seed ⇒ same PNG bytes).
 *
 * The directory (`dir`):
 * - `channels/0007.png` and `channels/0007.json` (its record: objective value, seconds, time), both
 *   written atomically (temporary file + rename), as each batch finishes: an interruption loses at
 *   most the channels in flight, and a rerun skips every channel that has its record;
 * - `manifest.json` (model, layer, options, every finished channel), updated after each batch
 *   under a lock file created with O_EXCL, so shards (processes, or machines sharing the directory)
 *   can write into one directory; a rerun with other settings (size, steps, seed, alpha, backend,
 *   model, layer) is refused;
 * - `index.html` and `contact-sheet.png`, rebuilt from the records when a run ends (the run that
 *   finishes last writes the complete page; {@link rebuildGallery} does it on demand).
 *
 * @example
 * ```ts
 * import { buildGallery } from 'tfjs-optvis/node';
 * const summary = await buildGallery({ dir: 'out/block_3', layer: 'block_3_expand_relu', channels: '0-31', steps: 256, workers: 2 });
 * console.log(summary.rendered.length, summary.complete); // open out/block_3/index.html
 * ```
 * @param options see {@link BuildGalleryOptions}.
 * @returns a {@link GallerySummary}.
 */
export async function buildGallery(options: BuildGalleryOptions): Promise<GallerySummary> {
  checkGalleryOptions(options);
  const o = resolveLayerOptions(FN, { size: options.size, steps: options.steps, seed: options.seed, batch: options.batch, alpha: options.alpha });
  const backend: GalleryBackend = options.backend ?? 'wasm';
  const spec: GalleryModelSpec = { source: options.model, inputRange: options.inputRange };
  const label = modelLabel(spec);
  const shard = options.shard ?? [0, 1];
  const { signal, onProgress } = options;
  if (signal?.aborted) throw abortError(0, 0);
  const store = new GalleryStore(options.dir);

  const jobChannels = (depth: number): number[] => {
    const c = options.channels ?? 'all';
    return typeof c === 'string' ? parseChannels(c, depth) : checkChannelList(FN, c, depth);
  };
  const plan = async (depth: number) => {
    const all = jobChannels(depth);
    const mine = shardChannels(all, shard[0], shard[1]);
    const finished = new Set(await store.finishedChannels());
    return { all, skipped: mine.filter((c) => finished.has(c)), pending: mine.filter((c) => !finished.has(c)) };
  };

  const renderOptions = { size: o.size, steps: o.steps, seed: o.seed, alpha: o.alpha };
  const known = await store.readManifest();
  let depth = known !== null && known.layer === options.layer && known.model === label ? known.depth : null;
  let work = depth === null ? null : await plan(depth);
  let pool: WorkerPool | null = null;
  try {
    if (work === null || work.pending.length > 0) {
      const batches = work === null ? Infinity : Math.ceil(work.pending.length / o.batch);
      const count = Math.max(1, Math.min(options.workers ?? os.availableParallelism(), batches));
      pool = await WorkerPool.start(count, { backend, model: spec, layer: options.layer, options: renderOptions });
      depth = pool.depth;
    }
    const identity: GalleryIdentity = {
      model: label,
      layer: options.layer,
      depth: depth as number,
      options: { ...renderOptions, backend, inputRange: options.inputRange ? [options.inputRange[0], options.inputRange[1]] : null },
    };
    jobChannels(depth as number); // a bad channel list is refused before the directory exists
    await store.create(); // only now: a bad model, layer or channel list leaves no directory behind
    await store.init(identity);
    work = await plan(depth as number);
    const { pending, skipped } = work;

    const rendered: number[] = [];
    if (pending.length > 0 && pool !== null) {
      const batches: number[][] = [];
      for (let i = 0; i < pending.length; i += o.batch) batches.push(pending.slice(i, i + o.batch));
      const inFlight = new Map<number, { step: number; size: number }>();
      const start = Date.now();
      const report = () => {
        if (!onProgress) return;
        let units = rendered.length * o.steps;
        for (const f of inFlight.values()) units += f.step * f.size;
        const seconds = Math.max((Date.now() - start) / 1000, 1e-3);
        const rate = units / seconds; // channel-updates per second
        const remaining = pending.length * o.steps - units;
        onProgress({
          done: rendered.length,
          total: pending.length,
          skipped: skipped.length,
          channelsPerMinute: (rate / o.steps) * 60,
          etaSeconds: rate > 0 ? remaining / rate : Infinity,
        });
      };
      report();
      try {
        await pool.run(
          batches,
          async (results) => {
            const finishedAt = new Date().toISOString();
            const records: ChannelRecord[] = results.map((r) => ({
              channel: r.channel,
              file: `channels/${channelName(r.channel)}.png`,
              objective: r.objective,
              seconds: Math.round(r.seconds * 1000) / 1000,
              finishedAt,
            }));
            for (let i = 0; i < records.length; i++) await store.writeChannel(records[i], results[i].png);
            await store.addToManifest(records);
            rendered.push(...records.map((r) => r.channel));
            report();
          },
          (worker, step, size) => {
            if (step >= o.steps) inFlight.delete(worker);
            else inFlight.set(worker, { step, size });
            report();
          },
          signal,
        );
      } catch (e) {
        if (!signal?.aborted) throw e;
      }
      if (signal?.aborted) {
        let lost = 0;
        for (const f of inFlight.values()) lost += f.size;
        throw abortError(rendered.length, lost);
      }
    }
    await pool?.close();
    pool = null;
    const manifest = await store.rebuild();
    const complete = work.all.every((c) => manifest.channels[String(c)] !== undefined);
    return { dir: store.dir, rendered: rendered.sort((a, b) => a - b), skipped, complete, manifest };
  } finally {
    await pool?.close();
  }
}

/**
 * Rebuilds a gallery directory's `manifest.json`, `index.html` and `contact-sheet.png` from its
 * channel records (e.g. after shards ran elsewhere and their files were copied in, or after
 * deleting channels to render them again). Safe while shards are still writing (it takes the lock).
 *
 * @example
 * ```ts
 * import { rebuildGallery } from 'tfjs-optvis/node';
 * const manifest = await rebuildGallery('out/block_3');
 * Object.keys(manifest.channels).length; // finished channels
 * ```
 * @param dir a directory written by {@link buildGallery} (it must hold `manifest.json`).
 * @returns the rebuilt manifest.
 */
export async function rebuildGallery(dir: string): Promise<GalleryManifest> {
  if (typeof dir !== 'string' || dir === '') fail('rebuildGallery', `dir must be a gallery directory path, but got ${show(dir)}.`);
  const store = new GalleryStore(path.resolve(dir));
  if ((await store.readManifest()) === null) {
    fail('rebuildGallery', `dir must be a gallery directory (holding manifest.json), but ${show(store.dir)} has none.`);
  }
  return store.rebuild();
}

export type { GalleryBackend } from './model';

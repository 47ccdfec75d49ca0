/** What a gallery directory's `manifest.json` holds (see `buildGallery` in `tfjs-optvis/node`). */
export interface GalleryManifest {
  /** Always `'tfjs-optvis-gallery'`. */
  readonly format: 'tfjs-optvis-gallery';
  /** Manifest format version (1). */
  readonly version: 1;
  /** The model: `--model` path, or the default model's name. */
  readonly model: string;
  /** The layer whose channels are rendered. */
  readonly layer: string;
  /** Number of channels of the layer. */
  readonly depth: number;
  /** Everything a channel's image depends on besides its index (a rerun must match it). */
  readonly options: GalleryRenderOptions;
  /** Finished channels, keyed by the channel index in decimal, ascending. */
  readonly channels: Readonly<Record<string, ChannelRecord>>;
}

/** The render settings of a gallery: same settings and seed ⇒ same PNG bytes for a channel. */
export interface GalleryRenderOptions {
  /** Image size in pixels. */
  readonly size: number;
  /** Updates per channel. */
  readonly steps: number;
  /** The job's seed. */
  readonly seed: number;
  /** RGBA images. */
  readonly alpha: boolean;
  /** tfjs backend the images were computed on. */
  readonly backend: string;
  /** Input range given with `--model` (`null` for the default model's own). */
  readonly inputRange: readonly [number, number] | null;
}

/** One finished channel of a gallery. */
export interface ChannelRecord {
  /** Channel index. */
  readonly channel: number;
  /** PNG path relative to the gallery directory, e.g. `channels/0007.png`. */
  readonly file: string;
  /** The channel's mean activation at the last update (see `ChannelResult.objective`). */
  readonly objective: number;
  /** Seconds of rendering per channel (its batch's time / batch size). */
  readonly seconds: number;
  /** When the PNG was written (ISO 8601). */
  readonly finishedAt: string;
}

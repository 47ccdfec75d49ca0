/**
 * The embedded default model: the ImageNet-pretrained MobileNetV2 backbone shipped (as base64
 * weights inside JavaScript files) by the `nsfwjs` npm package, read from disk with no network.
 * Node-only; exported from `tfjs-optvis/node`.
 */
import { promises as fs } from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import type * as tf from '@tensorflow/tfjs-core';
import { fail } from '../errors';
import { concatBytes, MISSING_WEIGHTS } from './loadArtifacts';

/** Where the default model comes from, for docs and `--help`. */
export const DEFAULT_MODEL_INFO = {
  name: 'MobileNetV2 (Keras, alpha 1.0) backbone from nsfwjs 4.4.0',
  package: 'nsfwjs',
  license: 'MIT',
  /** Pixel values the network was trained on: nsfwjs divides 0–255 pixels by 255. */
  inputRange: [0, 1] as const,
  /** The network is cut here: everything after it is nsfwjs's 5-class head, never used. */
  cutAt: 'out_relu',
  /** Native input size; renders work at any size (the input shape is relaxed). */
  nativeSize: 224,
} as const;

/**
 * Layers of the default model worth visualizing, early to late, each with channels whose renders
 * we looked at (FFT/decorrelated 96–128 px image, standard transforms, 128–200 steps, seed 0).
 * Every `*_expand_relu` layer (and `out_relu`) can be rendered; these are starting points.
 */
export const DEFAULT_LAYERS: readonly { readonly layer: string; readonly channels: readonly number[]; readonly note: string }[] = [
  { layer: 'block_3_expand_relu', channels: [10], note: 'stride 4, 144 channels: 10 = fine horizontal wavy lines' },
  { layer: 'block_6_expand_relu', channels: [5, 40], note: 'stride 8, 192 channels: 5 = colourful scale/cell mosaic, 40 = fine wavy stripes' },
  { layer: 'block_10_expand_relu', channels: [50], note: 'stride 16, 384 channels: 50 = dense leafy/feathery pattern' },
  { layer: 'block_13_expand_relu', channels: [100], note: 'stride 16, 576 channels: 100 = eye-like rings with dark pupils (object parts)' },
  { layer: 'block_16_expand_relu', channels: [200], note: 'stride 32, 960 channels: 200 = feather/fur tufts' },
];

/** The layer and channel the CLI renders when none is given: eye-like rings, recognisable at 128 px. */
export const DEFAULT_TARGET = { layer: 'block_13_expand_relu', channel: 100 } as const;

function resolver(): NodeJS.Require {
  // ES modules resolve from this file's URL; CommonJS builds (where import.meta is empty) have `require`.
  const url = (import.meta as { url?: string }).url;
  return typeof url === 'string' ? createRequire(url) : require;
}

/** Directory of nsfwjs's bundled MobileNetV2 files, or a clear error when nsfwjs is not installed. */
async function modelDir(fn: string): Promise<string> {
  let main: string;
  try {
    main = resolver().resolve('nsfwjs');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'MODULE_NOT_FOUND') {
      return fail(fn, `the nsfwjs package must be resolvable, but resolving it failed: ${(e as Error).message}.`);
    }
    return fail(
      fn,
      'the default model needs the optional peer dependency "nsfwjs" (MIT), but it is not installed. Run `npm install nsfwjs@^4.4.0`, or pass your own model.',
    );
  }
  // .../nsfwjs/dist/cjs/index.js → .../nsfwjs/dist/models/mobilenet_v2
  const dir = path.join(path.dirname(main), '..', 'models', 'mobilenet_v2');
  try {
    await fs.access(path.join(dir, 'model.min.js'));
  } catch {
    fail(fn, `the default model files must be in the nsfwjs package, but ${JSON.stringify(dir)} has no model.min.js (nsfwjs 4.x expected).`);
  }
  return dir;
}

/** The single long string literal of a UMD-wrapped nsfwjs weight file. */
function base64Literal(fn: string, text: string, file: string): string {
  const end = text.lastIndexOf('"},{}]');
  const start = end < 0 ? -1 : text.lastIndexOf('"', end - 1);
  const b64 = start < 0 ? '' : text.slice(start + 1, end);
  if (b64.length < 1000 || !/^[A-Za-z0-9+/=]+$/.test(b64.slice(0, 100))) {
    fail(fn, `the nsfwjs weight file must contain base64 weights, but ${JSON.stringify(file)} has an unexpected layout.`);
  }
  return b64;
}

/**
 * Reads the default model's artifacts (topology + weights) from the installed nsfwjs package.
 * @internal
 */
export async function defaultModelArtifacts(fn = 'loadDefaultModel'): Promise<tf.io.ModelArtifacts> {
  const dir = await modelDir(fn);
  const req = resolver();
  const json = req(path.join(dir, 'model.min.js')) as tf.io.ModelJSON;
  const manifest = json.weightsManifest;
  if (!json.modelTopology || !Array.isArray(manifest)) fail(fn, `the nsfwjs model must have a topology and weights manifest, but ${JSON.stringify(dir)} does not.`);
  const chunks: Uint8Array[] = [];
  for (const group of manifest) {
    for (const p of group.paths) {
      const file = path.join(dir, `${p}.min.js`);
      const text = await fs.readFile(file, 'utf8');
      chunks.push(new Uint8Array(Buffer.from(base64Literal(fn, text, file), 'base64')));
    }
  }
  const data = concatBytes(chunks);
  const artifacts: tf.io.ModelArtifacts = {
    modelTopology: json.modelTopology,
    format: 'layers-model',
    weightSpecs: manifest.flatMap((g) => g.weights),
    weightData: data.buffer,
  };
  MISSING_WEIGHTS.delete(artifacts);
  return artifacts;
}

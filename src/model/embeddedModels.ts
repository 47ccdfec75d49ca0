/**
 * The embedded models: ImageNet-pretrained backbones that the `nsfwjs` npm package (MIT) ships as
 * base64 weights inside JavaScript files, read from disk with no network and checked against
 * SHA-256 checksums of nsfwjs 4.4.0's files. Node-only; exported from `tfjs-optvis/node`.
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import * as vm from 'node:vm';
import type * as tf from '@tensorflow/tfjs-core';
import { didYouMean, fail, show } from '../errors';
import { checkOptions } from '../validate';
import { concatBytes, MISSING_WEIGHTS } from './loadArtifacts';
import { wrapArtifacts, type LoadModelOptions } from './loadModel';
import type { VisModel } from './types';

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
export const DEFAULT_LAYERS: readonly LayerGuideEntry[] = [
  { layer: 'block_3_expand_relu', channels: [10], note: 'stride 4, 144 channels: 10 = fine horizontal wavy lines' },
  { layer: 'block_6_expand_relu', channels: [5, 40], note: 'stride 8, 192 channels: 5 = colourful scale/cell mosaic, 40 = fine wavy stripes' },
  { layer: 'block_10_expand_relu', channels: [50], note: 'stride 16, 384 channels: 50 = dense leafy/feathery pattern' },
  { layer: 'block_13_expand_relu', channels: [100], note: 'stride 16, 576 channels: 100 = eye-like rings with dark pupils (object parts)' },
  { layer: 'block_16_expand_relu', channels: [200], note: 'stride 32, 960 channels: 200 = feather/fur tufts' },
];

/** The layer and channel the CLI renders when none is given: eye-like rings, recognisable at 128 px. */
export const DEFAULT_TARGET = { layer: 'block_13_expand_relu', channel: 100 } as const;

/** Names of the embedded models: `'mobilenet-v2'` (the default) and `'inception-v3'`. */
export type EmbeddedModelName = 'mobilenet-v2' | 'inception-v3';

/** One entry of a layer guide: a layer worth visualizing and units whose renders were looked at. */
export interface LayerGuideEntry {
  /** Layer name, as objectives use it (e.g. `'mixed4'`). */
  readonly layer: string;
  /** Channels (units) whose renders were looked at; good starting points. */
  readonly channels: readonly number[];
  /** What the layer is and what the renders of `channels` showed. */
  readonly note: string;
}

/** What an embedded model is, where it comes from, and how to use it. */
export interface EmbeddedModelInfo {
  /** The name `loadDefaultModel({ name })` and the CLI's `--model` take. */
  readonly id: EmbeddedModelName;
  /** Human-readable name and source. */
  readonly name: string;
  /** The npm package the weights come from. */
  readonly package: 'nsfwjs';
  /** The package version whose files the checksums match. */
  readonly packageVersion: '4.4.0';
  /** Licence of the package (and so of the weights as distributed). */
  readonly license: 'MIT';
  /** Where the weights come from, as far as is documented. */
  readonly provenance: string;
  /** Folder under `nsfwjs/dist/models/` holding the files. */
  readonly folder: string;
  /** Pixel values the network was trained on: nsfwjs divides 0–255 pixels by 255. */
  readonly inputRange: readonly [number, number];
  /** The network is cut here: everything after it is nsfwjs's 5-class head, never used. */
  readonly cutAt: string;
  /** Native input size; renders work at any size (the input shape is relaxed). */
  readonly nativeSize: number;
  /** Smallest input side the network accepts (valid-padding convolutions shrink the image). */
  readonly minSize: number;
  /** Layers worth visualizing, early to late, with units whose renders were looked at. */
  readonly layers: readonly LayerGuideEntry[];
  /** The layer and channel the CLI renders when none is given. */
  readonly target: { readonly layer: string; readonly channel: number };
  /** SHA-256 (hex) of every file read, by file name: a mismatch is refused. */
  readonly sha256: Readonly<Record<string, string>>;
}

/**
 * Layers of the InceptionV3 worth visualizing, early to late, mapped to the kinds the seed
 * notebook visualizes in InceptionV1. The `mixed*` blocks are concatenations of post-ReLU branch
 * outputs (like `mixed4d`); the `batch_normalization_*` layers are the pre-activation units (the
 * analogue of the notebook's `*_pre_relu` names: a neuron objective there is never stuck at a dead
 * ReLU). Units listed were rendered and looked at (128 px FFT/decorrelated image, standard
 * transforms, 160 steps, seed 0, wasm). From `mixed6` on, units render pink skin-like folds (the
 * saved config marks layers after `conv2d_55` as fine-tuned on nsfwjs's data); prefer
 * `mixed0`–`mixed5` for figures. Every `mixed*`,
 * `activation_*` and `batch_normalization_*` layer can be rendered.
 */
export const INCEPTION_V3_LAYERS: readonly LayerGuideEntry[] = [
  { layer: 'mixed2', channels: [40], note: 'stride 8, 288 channels (like mixed3a/3b): 40 = columns of wavy, braided rainbow-fringed strands (texture)' },
  { layer: 'mixed4', channels: [100], note: 'stride 16, 768 channels (like mixed4a–4d): 100 = saturated multicoloured arcs and overlapping ribbon loops; the CLI default' },
  {
    layer: 'batch_normalization_31',
    channels: [100],
    note: 'pre-activation of mixed4 channels 0–191 (like mixed4*_pre_relu): the centre neuron of 100 = a blue/white/yellow swirl in a warm halo, centred on grey',
  },
  { layer: 'mixed6', channels: [300], note: 'stride 16, 768 channels (partly fine-tuned): 300 = pale fleshy folds with dark holes and bright specks' },
  { layer: 'mixed7', channels: [500], note: 'stride 16, 768 channels, fine-tuned: 500 = pink skin-like folds with an eye- or navel-like hole' },
  { layer: 'mixed10', channels: [1000], note: 'stride 32, 2048 channels, fine-tuned: 1000 = glossy pink skin-like folds (prefer mixed0–mixed5 for figures)' },
];

/** The InceptionV3's default render target: a channel of `mixed4`, the analogue of the notebook's `mixed4d`. */
export const INCEPTION_V3_TARGET = { layer: 'mixed4', channel: 100 } as const;

/**
 * The embedded models by name: licence, provenance, input range, cut point, layer guide and the
 * checksums of nsfwjs 4.4.0's files. `'mobilenet-v2'` is the default of `loadDefaultModel()`.
 */
export const EMBEDDED_MODELS: Readonly<Record<EmbeddedModelName, EmbeddedModelInfo>> = Object.freeze({
  'mobilenet-v2': Object.freeze({
    id: 'mobilenet-v2',
    name: DEFAULT_MODEL_INFO.name,
    package: 'nsfwjs',
    packageVersion: '4.4.0',
    license: 'MIT',
    provenance:
      'Keras MobileNetV2 (alpha 1.0) with ImageNet weights, fine-tuned by Infinite Red (GantMan/nsfw_model) on 5 NSFW classes, converted to tfjs and shipped base64-wrapped in nsfwjs/dist/models/mobilenet_v2.',
    folder: 'mobilenet_v2',
    inputRange: DEFAULT_MODEL_INFO.inputRange,
    cutAt: DEFAULT_MODEL_INFO.cutAt,
    nativeSize: DEFAULT_MODEL_INFO.nativeSize,
    minSize: 32,
    layers: DEFAULT_LAYERS,
    target: DEFAULT_TARGET,
    sha256: Object.freeze({
      'model.min.js': 'c32f104fd562b08cdff5ed69dfe1209643afa47e792fb12751d2949aa61a397a',
      'group1-shard1of1.min.js': 'ef2e0a63f7d2c4960b37b024b669313f65d3c45cd59e9042636c55b39de53517',
    }),
  }),
  'inception-v3': Object.freeze({
    id: 'inception-v3',
    name: 'InceptionV3 (Keras) backbone from nsfwjs 4.4.0',
    package: 'nsfwjs',
    packageVersion: '4.4.0',
    license: 'MIT',
    provenance:
      'Keras InceptionV3 with ImageNet weights, fine-tuned by Infinite Red (GantMan/nsfw_model) on 5 NSFW classes, converted to tfjs with 8-bit weight quantization and shipped base64-wrapped in nsfwjs/dist/models/inception_v3.',
    folder: 'inception_v3',
    inputRange: [0, 1] as const,
    cutAt: 'mixed10',
    nativeSize: 299,
    minSize: 75,
    layers: INCEPTION_V3_LAYERS,
    target: INCEPTION_V3_TARGET,
    sha256: Object.freeze({
      'model.min.js': '8c2b793b9d277840fc757725bf3b135c96d5a54ec020e2b4ab569fc3df6b3848',
      'group1-shard1of6.min.js': 'e9316ac20ff634f990e483062050afe9a4826885c3a212d676ce2cfda93a4884',
      'group1-shard2of6.min.js': '467b33d62b4c470edf8acd3da554e331f2d49f3f93ddd718f944f595c516cd82',
      'group1-shard3of6.min.js': '075300e057ca7e9fd2e282afbc3a6596a0404288c94bf781e9b20658cbeee664',
      'group1-shard4of6.min.js': 'b51ee46e062e752e81c28761a56369432671bfb3d59f4f062f5bd4dd58ff5303',
      'group1-shard5of6.min.js': 'd4149969b3c61e0d4dde1d4f555f5b00f4fc87f6bab1a4cd4967b24f62725de6',
      'group1-shard6of6.min.js': 'b684762a7d7c39b80183d260bdab6f072321349300f9f2ff144a085a382acfc4',
    }),
  }),
});

/** Names of the embedded models, the default first. */
export const EMBEDDED_MODEL_NAMES: readonly EmbeddedModelName[] = Object.freeze(['mobilenet-v2', 'inception-v3'] as const);

/** Checks an embedded model name, with a "did you mean" for near misses. @internal */
export function embeddedModelInfo(fn: string, name: unknown): EmbeddedModelInfo {
  if (typeof name !== 'string' || !Object.prototype.hasOwnProperty.call(EMBEDDED_MODELS, name)) {
    const names = EMBEDDED_MODEL_NAMES.map((n) => `'${n}'`).join(', ');
    fail(fn, `name must be one of ${names}, but got ${show(name)}.${typeof name === 'string' ? didYouMean(name, EMBEDDED_MODEL_NAMES, 1) : ''}`);
  }
  return EMBEDDED_MODELS[name as EmbeddedModelName];
}

/** Resolves the nsfwjs package's main file (like `require.resolve('nsfwjs')`). @internal */
export type NsfwjsResolver = () => string;

function defaultResolver(): string {
  // ES modules resolve from this file's URL; CommonJS builds (where import.meta is empty) have `require`.
  const url = (import.meta as { url?: string }).url;
  const req = typeof url === 'string' ? createRequire(url) : require;
  return req.resolve('nsfwjs');
}

/** Directory of nsfwjs's bundled files for `info`, or a clear error when nsfwjs is not installed. */
async function modelDir(fn: string, info: EmbeddedModelInfo, resolve: NsfwjsResolver): Promise<string> {
  let main: string;
  try {
    main = resolve();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'MODULE_NOT_FOUND') {
      return fail(fn, `the nsfwjs package must be resolvable, but resolving it failed: ${(e as Error).message}.`);
    }
    return fail(
      fn,
      `the embedded model ${show(info.id)} needs the optional peer dependency "nsfwjs" (MIT), but it is not installed. Run \`npm install nsfwjs@${info.packageVersion}\`, or pass your own model.`,
    );
  }
  // .../nsfwjs/dist/cjs/index.js → .../nsfwjs/dist/models/<folder>
  const dir = path.join(path.dirname(main), '..', 'models', info.folder);
  try {
    await fs.access(path.join(dir, 'model.min.js'));
  } catch {
    fail(fn, `the ${show(info.id)} model files must be in the nsfwjs package, but ${show(dir)} has no model.min.js (nsfwjs ${info.packageVersion} expected).`);
  }
  return dir;
}

/** Version of the nsfwjs package that holds `dir`, for error messages ('unknown' when unreadable). */
async function packageVersion(dir: string): Promise<string> {
  try {
    const pkg = JSON.parse(await fs.readFile(path.join(dir, '..', '..', '..', 'package.json'), 'utf8')) as { version?: unknown };
    return typeof pkg.version === 'string' ? pkg.version : 'unknown';
  } catch {
    return 'unknown';
  }
}

/** Reads one of the model's files and checks its SHA-256 before anything uses its bytes. */
async function readVerified(fn: string, info: EmbeddedModelInfo, dir: string, name: string): Promise<Buffer> {
  const file = path.join(dir, name);
  const expected = info.sha256[name];
  if (expected === undefined) {
    fail(fn, `the ${show(info.id)} model must list only files of nsfwjs ${info.packageVersion}, but its manifest names ${show(name)}.`);
  }
  let bytes: Buffer;
  try {
    bytes = await fs.readFile(file);
  } catch (e) {
    return fail(fn, `the nsfwjs file ${show(file)} must be readable, but reading it failed (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}).`);
  }
  const got = createHash('sha256').update(bytes).digest('hex');
  if (got !== expected) {
    const version = await packageVersion(dir);
    fail(
      fn,
      `the nsfwjs file ${show(file)} must have SHA-256 ${expected} (nsfwjs ${info.packageVersion}), but it has ${got}: the file is modified or from another nsfwjs version (installed: ${version}). Reinstall with \`npm install nsfwjs@${info.packageVersion}\`.`,
    );
  }
  return bytes;
}

/** Evaluates a verified UMD-wrapped nsfwjs file in an empty context and returns its export. */
function umdExport(fn: string, text: string, file: string): unknown {
  const mod: { exports: unknown } = { exports: {} };
  try {
    vm.runInNewContext(text, { module: mod, exports: mod.exports }, { filename: file, timeout: 10_000 });
  } catch (e) {
    return fail(fn, `the nsfwjs file ${show(file)} must evaluate to the model's JSON, but evaluating it failed: ${(e as Error).message}.`);
  }
  // Copy into this realm (the other context's arrays and objects have other prototypes).
  return JSON.parse(JSON.stringify(mod.exports)) as unknown;
}

/** The single long string literal of a UMD-wrapped nsfwjs weight file. */
function base64Literal(fn: string, text: string, file: string): string {
  const end = text.lastIndexOf('"},{}]');
  const start = end < 0 ? -1 : text.lastIndexOf('"', end - 1);
  const b64 = start < 0 ? '' : text.slice(start + 1, end);
  if (b64.length < 1000 || !/^[A-Za-z0-9+/=]+$/.test(b64.slice(0, 100))) {
    fail(fn, `the nsfwjs weight file must contain base64 weights, but ${show(file)} has an unexpected layout.`);
  }
  return b64;
}

/**
 * Reads an embedded model's artifacts (topology + weights) from the installed nsfwjs package,
 * checking every file's SHA-256 first. `resolve` replaces `require.resolve('nsfwjs')` (tests).
 * @internal
 */
export async function embeddedModelArtifacts(fn: string, name: EmbeddedModelName, resolve: NsfwjsResolver = defaultResolver): Promise<tf.io.ModelArtifacts> {
  const info = embeddedModelInfo(fn, name);
  const dir = await modelDir(fn, info, resolve);
  const jsonFile = path.join(dir, 'model.min.js');
  const json = umdExport(fn, (await readVerified(fn, info, dir, 'model.min.js')).toString('utf8'), jsonFile) as tf.io.ModelJSON;
  const manifest = json?.weightsManifest;
  if (!json?.modelTopology || !Array.isArray(manifest)) fail(fn, `the nsfwjs model must have a topology and weights manifest, but ${show(jsonFile)} does not.`);
  const chunks: Uint8Array[] = [];
  for (const group of manifest) {
    for (const p of group.paths) {
      const text = (await readVerified(fn, info, dir, `${p}.min.js`)).toString('utf8');
      chunks.push(new Uint8Array(Buffer.from(base64Literal(fn, text, path.join(dir, `${p}.min.js`)), 'base64')));
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

/** {@link loadDefaultModel} with an injectable nsfwjs resolver (tests simulate a missing package). @internal */
export async function loadEmbedded(options: { readonly name?: EmbeddedModelName; readonly cutAt?: string } = {}, resolve?: NsfwjsResolver): Promise<VisModel> {
  const fn = 'loadDefaultModel';
  if (options === null || typeof options !== 'object') fail(fn, `options must be an object like { name: 'inception-v3' }, but got ${show(options)}.`);
  checkOptions(fn, options, ['name', 'cutAt']);
  const info = embeddedModelInfo(fn, options.name ?? 'mobilenet-v2');
  const artifacts = await embeddedModelArtifacts(fn, info.id, resolve);
  return wrapArtifacts(fn, artifacts, {
    cutAt: options.cutAt ?? info.cutAt,
    inputRange: info.inputRange,
  } as LoadModelOptions);
}

/**
 * Node-only model loading from the file system (exported from `tfjs-optvis/node` only, so the
 * main entry stays free of Node built-ins).
 */
import { constants as fsConstants, promises as fs, type Stats } from 'node:fs';
import * as path from 'node:path';
import type * as tf from '@tensorflow/tfjs-core';
import { fail, OptvisError, show } from '../errors';
import { checkOptions } from '../validate';
import { checkJsonDepth, checkWeightSpecs, concatBytes, ensureBackend, LOADER_LIMITS, MISSING_WEIGHTS, weightByteSize } from './loadArtifacts';
import { loadEmbedded, type EmbeddedModelName } from './embeddedModels';
import { checkLoadOptions, loadModelAs, wrapArtifacts, type LoadModelOptions } from './loadModel';
import type { VisModel } from './types';

/** Options of {@link fileHandler}. */
export interface FileHandlerOptions {
  /**
   * `true` (default): every weight shard listed in model.json must exist. `false`: missing shards
   * are skipped together with the weights they hold; loading then fails only if a layer that is
   * kept (see `cutAt`) needs one of them. Shards that lead outside the model folder, or that are
   * not regular files, are refused either way.
   */
  readonly strict?: boolean;
  /**
   * Largest model.json read, in bytes (checked with `stat` before reading). Default 32 MiB;
   * real model.json files are well under 1 MB (MobileNet v1: 54 KB). Raise it for a huge graph.
   */
  readonly maxModelJsonBytes?: number;
}

/** Option keys of {@link fileHandler}. */
const FILE_HANDLER_KEYS = ['strict', 'maxModelJsonBytes'] as const;

/** Resolves a directory or model.json path to the model.json path, with clear errors. */
async function modelJsonPath(fn: string, source: string): Promise<string> {
  if (typeof source !== 'string' || source === '') {
    fail(fn, `source must be a model directory or model.json path, but got ${show(source)}.`);
  }
  let stat;
  try {
    stat = await fs.stat(source);
  } catch {
    return fail(fn, `source must be an existing model directory or model.json file, but got ${show(source)} (no such file or directory).`);
  }
  if (!stat.isDirectory()) return source;
  const file = path.join(source, 'model.json');
  try {
    await fs.lstat(file);
  } catch {
    return fail(fn, `source must be a directory containing model.json, but got ${show(source)} (no model.json in it).`);
  }
  return file;
}

/** What a non-regular file is, for messages. */
function fileKind(st: Stats): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a FIFO (named pipe)';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device';
  if (st.isSocket()) return 'a socket';
  if (st.isSymbolicLink()) return 'a symbolic link';
  return 'not a regular file';
}

/** Open flags: never block on a FIFO swapped in after the check, never follow a last-moment symlink. */
const OPEN_FLAGS = fsConstants.O_RDONLY | (fsConstants.O_NONBLOCK ?? 0);

/**
 * Reads exactly `expected.size` bytes of a regular file into `into` at `offset`. The file is opened
 * without blocking and its identity (device, inode, size) compared with `expected`, so a file
 * swapped for a FIFO, a device or another file between the check and the read is refused.
 */
async function readExactly(fn: string, file: string, expected: Stats, into: Uint8Array, offset: number, noFollow: boolean, label: string): Promise<void> {
  const handle = await fs.open(file, OPEN_FLAGS | (noFollow ? (fsConstants.O_NOFOLLOW ?? 0) : 0));
  try {
    const st = await handle.stat();
    if (!st.isFile() || st.ino !== expected.ino || st.dev !== expected.dev || st.size !== expected.size) {
      fail(fn, `${label} must not change while it is read, but it was replaced or resized between the check and the read.`);
    }
    let done = 0;
    while (done < expected.size) {
      const { bytesRead } = await handle.read(into, offset + done, expected.size - done, done);
      if (bytesRead === 0) fail(fn, `${label} must not change while it is read, but it ended after ${done} of ${expected.size} bytes.`);
      done += bytesRead;
    }
  } finally {
    await handle.close();
  }
}

/**
 * Reads model.json: a regular file no larger than `maxBytes` (checked with `stat` before
 * reading), valid JSON, nested at most {@link LOADER_LIMITS}.maxJsonDepth levels.
 */
async function readModelJson(fn: string, file: string, maxBytes: number): Promise<tf.io.ModelJSON> {
  let st: Stats;
  try {
    st = await fs.stat(file);
  } catch (e) {
    return fail(fn, `model.json must be readable, but reading ${show(file)} failed (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}).`);
  }
  if (!st.isFile()) fail(fn, `model.json must be a regular file, but ${show(file)} is ${fileKind(st)}.`);
  if (st.size > maxBytes) {
    fail(fn, `model.json must be at most ${maxBytes} bytes (raise the limit with the maxModelJsonBytes option), but ${show(file)} has ${st.size} bytes.`);
  }
  const bytes = new Uint8Array(st.size);
  try {
    await readExactly(fn, file, st, bytes, 0, false, `model.json ${show(file)}`);
  } catch (e) {
    if (e instanceof OptvisError) throw e;
    return fail(fn, `model.json must be readable, but reading ${show(file)} failed (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}).`);
  }
  let json: tf.io.ModelJSON;
  try {
    json = JSON.parse(new TextDecoder().decode(bytes)) as tf.io.ModelJSON;
  } catch (e) {
    return fail(fn, `model.json must be valid JSON, but ${show(file)} has a syntax error: ${(e as Error).message}.`);
  }
  checkJsonDepth(fn, json, `model.json ${show(file)}`);
  return json;
}

/** Checks the weights manifest's structure; returns each group's declared byte size. */
function checkManifest(fn: string, manifest: unknown[], file: string): number[] {
  const seen = new Set<string>();
  return manifest.map((group, g) => {
    const where = `weightsManifest[${g}]`;
    if (group === null || typeof group !== 'object' || Array.isArray(group)) {
      fail(fn, `${where} must be a weights group { paths, weights }, but ${show(file)} has ${show(group)}.`);
    }
    const { paths, weights } = group as { paths?: unknown; weights?: unknown };
    if (!Array.isArray(paths) || paths.length === 0) {
      fail(fn, `${where}.paths must be a non-empty array of shard file names, but ${show(file)} has ${Array.isArray(paths) ? '[]' : show(paths)}.`);
    }
    paths.forEach((p, i) => {
      if (typeof p !== 'string' || p === '' || p.includes('\0')) {
        fail(fn, `${where}.paths[${i}] must be a shard file name, but ${show(file)} has ${show(p)}.`);
      }
    });
    return checkWeightSpecs(fn, weights, `${where}.weights`, seen);
  });
}

/** Where a shard path leads, resolved inside the model folder only. */
type ShardPlace =
  | { readonly kind: 'file'; readonly real: string; readonly stat: Stats }
  | { readonly kind: 'missing' }
  | { readonly kind: 'outside' }
  | { readonly kind: 'special'; readonly what: string };

const isInside = (root: string, p: string): boolean => p === root || p.startsWith(root.endsWith(path.sep) ? root : root + path.sep);

/**
 * Resolves `rel` (a manifest path) inside `root` (a real path) one component at a time with
 * `lstat`, following symbolic links only while their targets stay inside `root`: nothing outside
 * the folder is ever touched (not even stat'ed), so error messages cannot reveal anything about it.
 */
async function resolveShard(root: string, rel: string): Promise<ShardPlace> {
  if (path.isAbsolute(rel) || path.win32.isAbsolute(rel)) return { kind: 'outside' };
  // Lexically outside (e.g. "a/../../x"): refused before anything is looked up.
  if (!isInside(root, path.resolve(root, rel.replace(/\\/g, '/')))) return { kind: 'outside' };
  let parts = rel.split(/[/\\]+/);
  let cur = root;
  let links = 0;
  let last: Stats | undefined;
  while (parts.length > 0) {
    const part = parts.shift() as string;
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (cur === root) return { kind: 'outside' };
      cur = path.dirname(cur);
      last = undefined;
      continue;
    }
    const next = path.join(cur, part);
    let st: Stats;
    try {
      st = await fs.lstat(next);
    } catch {
      return { kind: 'missing' };
    }
    if (st.isSymbolicLink()) {
      if (++links > LOADER_LIMITS.maxSymlinks) return { kind: 'special', what: `a chain of more than ${LOADER_LIMITS.maxSymlinks} symbolic links` };
      const target = path.resolve(cur, await fs.readlink(next));
      if (!isInside(root, target)) return { kind: 'outside' };
      parts = [...path.relative(root, target).split(path.sep), ...parts];
      cur = root;
      last = undefined;
      continue;
    }
    if (parts.length > 0 && !st.isDirectory()) return { kind: 'missing' };
    cur = next;
    last = st;
  }
  if (last === undefined) return { kind: 'special', what: 'the model folder itself' };
  if (!last.isFile()) return { kind: 'special', what: fileKind(last) };
  return { kind: 'file', real: cur, stat: last };
}

/**
 * A `tf.io.IOHandler` that reads a tfjs model (model.json + binary weight shards) from disk.
 *
 * tfjs has no working `file://` loader in Node without `@tensorflow/tfjs-node`; this one needs
 * nothing native. It reads model.json, then every shard of its weights manifest (relative to
 * model.json), and returns the concatenated weights. Errors name the file at fault: missing
 * directory, unreadable or invalid model.json, missing shard.
 *
 * Nothing in the folder is trusted (see docs/security.md): model.json must be a regular file
 * under `maxModelJsonBytes`; every shard path must stay inside the model folder (also through
 * symbolic links) and name a regular file whose size, checked before reading, is what the
 * manifest declares; manifest entries must be well formed.
 *
 * @example
 * ```ts
 * import * as tfl from '@tensorflow/tfjs-layers';
 * const net = await tfl.loadLayersModel(fileHandler('models/darknet_tiny'));
 * ```
 * @param source a directory holding model.json, or the model.json path itself.
 * @param options `{ strict = true, maxModelJsonBytes = 32 MiB }`: see {@link FileHandlerOptions}.
 */
export function fileHandler(source: string, options: FileHandlerOptions = {}): tf.io.IOHandler {
  return fileHandlerAs('fileHandler', source, options);
}

/** {@link fileHandler} reporting errors under `fn` (the Node {@link loadModel} reads folders with it). */
function fileHandlerAs(fn: string, source: string, options: FileHandlerOptions): tf.io.IOHandler {
  return {
    load: async (): Promise<tf.io.ModelArtifacts> => {
      if (options === null || typeof options !== 'object') fail(fn, `options must be an object, but got ${show(options)}.`);
      checkOptions(fn, options, FILE_HANDLER_KEYS);
      const maxBytes = options.maxModelJsonBytes ?? LOADER_LIMITS.maxModelJsonBytes;
      if (typeof maxBytes !== 'number' || !Number.isSafeInteger(maxBytes) || maxBytes <= 0) {
        fail(fn, `maxModelJsonBytes must be a positive integer (bytes), but got ${show(maxBytes)}.`);
      }
      const file = await modelJsonPath(fn, source);
      const json = await readModelJson(fn, file, maxBytes);
      if (json === null || typeof json !== 'object' || Array.isArray(json) || json.modelTopology === undefined || !Array.isArray(json.weightsManifest)) {
        fail(fn, `model.json must have "modelTopology" and "weightsManifest", but ${show(file)} has keys ${show(json && typeof json === 'object' ? Object.keys(json) : [])}.`);
      }
      const sizes = checkManifest(fn, json.weightsManifest, file);
      return artifactsFromJson(fn, json, path.dirname(file), sizes, options.strict ?? true);
    },
  };
}

/** A shard that {@link resolveShard} found as a regular file inside the model folder. */
type ShardFile = ShardPlace & { kind: 'file' };

/** One group of the weights manifest being read, with what its error messages name. */
interface ShardGroup {
  readonly fn: string;
  /** The model folder as the user named it. */
  readonly dir: string;
  readonly group: tf.io.WeightsManifestConfig[number];
  /** The group's first weight names (shown), for messages. */
  readonly holds: string;
}

/** The weights read from one group: their specs and bytes, and the weights left out with the shard at fault. */
interface GroupWeights {
  readonly specs: tf.io.WeightsManifestEntry[];
  readonly chunks: Uint8Array[];
  readonly missing: Map<string, string>;
}

/** The model folder's real path (shard paths are resolved inside it). */
async function modelFolder(fn: string, dir: string): Promise<string> {
  try {
    return await fs.realpath(dir);
  } catch (e) {
    return fail(fn, `the model folder must be readable, but resolving ${show(dir)} failed (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}).`);
  }
}

/** Locates and stats every shard of a group before reading any of them; `null` for a missing shard when not `strict`. */
async function locateShards({ fn, dir, group, holds }: ShardGroup, root: string, strict: boolean): Promise<(ShardFile | null)[]> {
  const places: (ShardFile | null)[] = [];
  for (const p of group.paths) {
    const place = await resolveShard(root, p);
    if (place.kind === 'outside') {
      fail(fn, `weight shard ${show(p)} must be a file inside the model folder ${show(dir)}, but it leads outside it (an absolute or ".." path, or a symbolic link out of the folder); shards outside the folder are never read.`);
    }
    if (place.kind === 'special') fail(fn, `weight shard ${show(p)} must be a regular file, but in ${show(dir)} it is ${place.what}; it was not opened.`);
    if (place.kind === 'missing' && strict) {
      fail(fn, `weight shard ${show(p)} must exist next to model.json, but it is missing from ${show(dir)} (it holds ${holds}). Pass strict: false (with cutAt before those layers) to load without it.`);
    }
    places.push(place.kind === 'missing' ? null : place);
  }
  return places;
}

/**
 * `places` with the shards of the wrong size (e.g. an empty file left by an interrupted download)
 * counted as missing, or an error when `strict`. Present shards that already exceed the group's
 * `expected` bytes while others are missing cannot be right: all count as missing.
 */
function dropMisSizedShards({ fn, dir, group, holds }: ShardGroup, located: readonly (ShardFile | null)[], expected: number, strict: boolean): (ShardFile | null)[] {
  const places = [...located];
  const got = places.reduce((n, x) => n + (x?.stat.size ?? 0), 0);
  if (!places.includes(null) && got !== expected) {
    const bad = places.length === 1 ? [0] : places.flatMap((x, i) => (x !== null && x.stat.size === 0 ? [i] : []));
    const badIdx = bad.length > 0 ? bad : places.map((_, i) => i);
    if (strict) {
      fail(
        fn,
        `weight shard ${show(group.paths[badIdx[0]])} must hold ${expected} bytes${places.length > 1 ? ' with the rest of its group' : ''}, but ${show(dir)} has ${got} (it holds ${holds}). Pass strict: false (with cutAt before those layers) to load without it.`,
      );
    }
    for (const i of badIdx) places[i] = null;
  } else if (got > expected) {
    places.fill(null);
  }
  return places;
}

/** Reads shard `i` of the group (found at `place`) into `into` at `offset`, with errors naming the shard. */
async function readShard({ fn, dir, group }: ShardGroup, i: number, place: ShardFile, into: Uint8Array, offset: number): Promise<void> {
  try {
    await readExactly(fn, place.real, place.stat, into, offset, true, `weight shard ${show(group.paths[i])}`);
  } catch (e) {
    if (e instanceof OptvisError) throw e;
    fail(fn, `weight shard ${show(group.paths[i])} must be readable, but reading it from ${show(dir)} failed (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}).`);
  }
}

/** All shards of a complete group, read back to back into one buffer of `expected` bytes (weights are laid out over them in order). */
async function readWholeGroup(sg: ShardGroup, places: readonly ShardFile[], expected: number): Promise<Uint8Array> {
  const all = new Uint8Array(expected);
  let offset = 0;
  for (const [i, place] of places.entries()) {
    await readShard(sg, i, place, all, offset);
    offset += place.stat.size;
  }
  return all;
}

/** The bytes of each present shard of a group, `null` for a missing one. */
async function readPresentShards(sg: ShardGroup, places: readonly (ShardFile | null)[]): Promise<(Uint8Array | null)[]> {
  const shards: (Uint8Array | null)[] = [];
  for (const [i, place] of places.entries()) {
    if (place === null) {
      shards.push(null);
      continue;
    }
    const buf = new Uint8Array(place.stat.size);
    await readShard(sg, i, place, buf, 0);
    shards.push(buf);
  }
  return shards;
}

/**
 * The pieces of bytes [start, end) of a group's shards, walking from shard `first` (which begins
 * at byte `firstStart`); `ok` is false when a shard they touch is absent. `last` is the last shard
 * looked at.
 */
function bytesAcross(shards: readonly (Uint8Array | null)[], sizeOf: (i: number) => number, first: number, firstStart: number, start: number, end: number) {
  const parts: Uint8Array[] = [];
  let ok = true;
  let s = first;
  let sStart = firstStart;
  let pos = start;
  while (pos < end) {
    const buf = shards[s];
    const sEnd = sStart + sizeOf(s);
    if (buf === null || buf === undefined) ok = false;
    else parts.push(buf.subarray(pos - sStart, Math.min(end, sEnd) - sStart));
    pos = Math.min(end, sEnd);
    if (pos < end) {
      sStart = sEnd;
      s++;
      if (s >= shards.length) {
        ok = false;
        break;
      }
    }
  }
  return { parts, ok, last: s };
}

/**
 * The weights of a group with missing shards that lie wholly in shards we have. Sizes of missing
 * shards are unknown, so the weights are walked with their computed sizes from the start of the
 * group. The converter cuts a group into equal shards (all but the last), so a missing shard's size
 * is that of a present non-last one (else tfjs's 4 MB default).
 */
function weightsInShards(group: tf.io.WeightsManifestConfig[number], shards: readonly (Uint8Array | null)[]): GroupWeights {
  const out: GroupWeights = { specs: [], chunks: [], missing: new Map() };
  const fullShard = shards.slice(0, -1).find((x) => x !== null)?.length ?? 4 * 1024 * 1024;
  const sizeOf = (i: number) => shards[i]?.length ?? fullShard;
  let offset = 0;
  let shardIndex = 0;
  let shardStart = 0;
  for (const w of group.weights) {
    const size = weightByteSize(w);
    // Advance to the shard containing `offset`.
    while (shardIndex < shards.length - 1 && offset >= shardStart + sizeOf(shardIndex)) {
      shardStart += sizeOf(shardIndex);
      shardIndex++;
    }
    const end = offset + size;
    const { parts, ok, last } = bytesAcross(shards, sizeOf, shardIndex, shardStart, offset, end);
    if (ok && parts.reduce((n, part) => n + part.length, 0) === size) {
      out.specs.push(w);
      out.chunks.push(concatBytes(parts));
    } else {
      out.missing.set(w.name, group.paths[last < group.paths.length ? last : group.paths.length - 1]);
      if (shards[shardIndex] === null) out.missing.set(w.name, group.paths[shardIndex]);
    }
    offset = end;
  }
  return out;
}

/** Reads one group of the manifest: all of it, or (some shards missing, not `strict`) the weights in the shards present. */
async function readGroup(sg: ShardGroup, root: string, expected: number, strict: boolean): Promise<GroupWeights> {
  const places = dropMisSizedShards(sg, await locateShards(sg, root, strict), expected, strict);
  if (places.every((p): p is ShardFile => p !== null)) {
    return { specs: [...sg.group.weights], chunks: [await readWholeGroup(sg, places, expected)], missing: new Map() };
  }
  return weightsInShards(sg.group, await readPresentShards(sg, places));
}

/** The model's artifacts: model.json's fields with the weights read; weights left out are recorded in {@link MISSING_WEIGHTS}. */
function artifactsOf(json: tf.io.ModelJSON, weights: GroupWeights): tf.io.ModelArtifacts {
  const artifacts: tf.io.ModelArtifacts = {
    modelTopology: json.modelTopology,
    format: json.format,
    generatedBy: json.generatedBy,
    convertedBy: json.convertedBy,
    signature: json.signature,
    userDefinedMetadata: json.userDefinedMetadata,
    modelInitializer: json.modelInitializer,
    trainingConfig: json.trainingConfig,
    weightSpecs: weights.specs,
    weightData: concatBytes(weights.chunks).buffer,
  };
  if (weights.missing.size > 0) MISSING_WEIGHTS.set(artifacts, weights.missing);
  return artifacts;
}

/** Reads the weight shards of every group of model.json's manifest from `dir` (see {@link fileHandler} for what is refused). */
async function artifactsFromJson(fn: string, json: tf.io.ModelJSON, dir: string, groupSizes: readonly number[], strict: boolean): Promise<tf.io.ModelArtifacts> {
  const root = await modelFolder(fn, dir);
  const all: GroupWeights = { specs: [], chunks: [], missing: new Map() };
  for (const [g, group] of json.weightsManifest.entries()) {
    const holds = show(group.weights.map((w) => w.name).slice(0, 3));
    const read = await readGroup({ fn, dir, group, holds }, root, groupSizes[g], strict);
    all.specs.push(...read.specs);
    all.chunks.push(...read.chunks);
    for (const [name, shard] of read.missing) all.missing.set(name, shard);
  }
  return artifactsOf(json, all);
}

/** Options of the Node {@link loadModel}: the browser loader's plus those of {@link fileHandler}. */
export type NodeLoadModelOptions = LoadModelOptions & FileHandlerOptions;

/**
 * Loads a tfjs model from disk (a directory or model.json path), a URL, or any `tf.io` handler, and
 * wraps it as a {@link VisModel}. Node version of `model.loadModel`: paths are read with
 * {@link fileHandler} (see it for what is refused); `http(s)://` URLs and handlers go through tfjs.
 *
 * Why: tfjs in Node has no working `file://` loader without the native tfjs-node package, and
 * real-world model folders are sometimes incomplete (`strict: false` + `cutAt`).
 *
 * @example
 * ```ts
 * import { loadModel, render } from 'tfjs-optvis/node';
 * const vm = await loadModel('models/mobilenet_v1_1.0_224', { inputRange: [-1, 1], strict: false, cutAt: 'conv_pw_12_relu' });
 * const { images } = await render.renderVis(vm, 'conv_pw_12_relu:7');
 * vm.dispose();
 * ```
 * @param source directory, model.json path, `http(s)://` URL or `tf.io.IOHandler`.
 * @param options `{ inputRange, cutAt, strict = true, maxModelJsonBytes = 32 MiB, relaxInputShape = true, ... }` plus every `visModel` option.
 * @returns a VisModel that owns the loaded tfjs model (`dispose()` frees it).
 */
export async function loadModel(source: string | tf.io.IOHandler, options: NodeLoadModelOptions): Promise<VisModel> {
  const fn = 'loadModel';
  checkLoadOptions(fn, options, FILE_HANDLER_KEYS);
  const { strict, maxModelJsonBytes, ...rest } = options;
  if (typeof source === 'string' && !/^[a-z][a-z0-9+.-]*:\/\//i.test(source)) {
    await ensureBackend(fn);
    const artifacts = await (fileHandlerAs(fn, source, { strict, maxModelJsonBytes }).load as () => Promise<tf.io.ModelArtifacts>)();
    return wrapArtifacts(fn, artifacts, rest);
  }
  return loadModelAs(fn, source, rest);
}

/** Options of {@link loadDefaultModel}. */
export interface DefaultModelOptions {
  /**
   * Which embedded model: `'mobilenet-v2'` (default) or `'inception-v3'`. See
   * {@link EMBEDDED_MODELS} for their licence, provenance and layer guides.
   */
  readonly name?: EmbeddedModelName;
  /** Cut the network at this layer instead of the end of the backbone (`out_relu` / `mixed10`); earlier = less memory. */
  readonly cutAt?: string;
}

/**
 * Loads an embedded model, ready to render: by default the ImageNet-pretrained MobileNetV2
 * backbone that the `nsfwjs` package (MIT) ships inside its JavaScript files; with
 * `{ name: 'inception-v3' }` nsfwjs's InceptionV3 backbone (the seed notebook's family). Read from
 * disk (no network), every file checked against its SHA-256 (nsfwjs 4.4.0), input shape relaxed
 * (any image size), cut at the end of the backbone (`out_relu` / `mixed10`: nsfwjs's own 5-class
 * head is never used), input range [0, 1].
 *
 * Why: no npm package ships plain ImageNet classifier weights, and a CLI or tutorial needs a model
 * that works right after `npm install`. `nsfwjs` is an optional peer dependency of this library
 * (a devDependency of the repository); install it to use this function. See
 * {@link DEFAULT_LAYERS} and {@link INCEPTION_V3_LAYERS} for layers and channels that render well.
 *
 * @example
 * ```ts
 * import { loadDefaultModel, render } from 'tfjs-optvis/node';
 * const vm = await loadDefaultModel();
 * const { images } = await render.renderVis(vm, 'block_6_expand_relu:40');
 * vm.dispose();
 * const v3 = await loadDefaultModel({ name: 'inception-v3' });
 * await render.renderVis(v3, 'mixed4:100');
 * v3.dispose();
 * ```
 * @param options `{ name = 'mobilenet-v2', cutAt = 'out_relu' | 'mixed10' }`.
 * @returns a VisModel that owns the network (`dispose()` frees its weights: ~9 MB for MobileNetV2, ~87 MB for InceptionV3 in float32).
 */
export async function loadDefaultModel(options: DefaultModelOptions = {}): Promise<VisModel> {
  return loadEmbedded(options);
}


/**
 * Node-only model loading from the file system (exported from `tfjs-optvis/node` only, so the
 * main entry stays free of Node built-ins).
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type * as tf from '@tensorflow/tfjs-core';
import { fail, show } from '../errors';
import { concatBytes, MISSING_WEIGHTS, weightByteSize } from './loadArtifacts';
import { defaultModelArtifacts, DEFAULT_MODEL_INFO } from './defaultModel';
import { loadModel as loadModelFromHandler, wrapArtifacts, type LoadModelOptions } from './loadModel';
import type { VisModel } from './types';

/** Options of {@link fileHandler}. */
export interface FileHandlerOptions {
  /**
   * `true` (default): every weight shard listed in model.json must exist. `false`: missing shards
   * are skipped together with the weights they hold; loading then fails only if a layer that is
   * kept (see `cutAt`) needs one of them.
   */
  readonly strict?: boolean;
}

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
    await fs.access(file);
  } catch {
    return fail(fn, `source must be a directory containing model.json, but got ${show(source)} (no model.json in it).`);
  }
  return file;
}

/**
 * A `tf.io.IOHandler` that reads a tfjs model (model.json + binary weight shards) from disk.
 *
 * tfjs has no working `file://` loader in Node without `@tensorflow/tfjs-node`; this one needs
 * nothing native. It reads model.json, then every shard of its weights manifest (relative to
 * model.json), and returns the concatenated weights. Errors name the file at fault: missing
 * directory, unreadable or invalid model.json, missing shard.
 *
 * @example
 * ```ts
 * import * as tfl from '@tensorflow/tfjs-layers';
 * const net = await tfl.loadLayersModel(fileHandler('models/darknet_tiny'));
 * ```
 * @param source a directory holding model.json, or the model.json path itself.
 * @param options `{ strict = true }`: see {@link FileHandlerOptions}.
 */
export function fileHandler(source: string, options: FileHandlerOptions = {}): tf.io.IOHandler {
  const fn = 'fileHandler';
  return {
    load: async (): Promise<tf.io.ModelArtifacts> => {
      const file = await modelJsonPath(fn, source);
      let text: string;
      try {
        text = await fs.readFile(file, 'utf8');
      } catch (e) {
        return fail(fn, `model.json must be readable, but reading ${show(file)} failed (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}).`);
      }
      let json: tf.io.ModelJSON;
      try {
        json = JSON.parse(text) as tf.io.ModelJSON;
      } catch (e) {
        return fail(fn, `model.json must be valid JSON, but ${show(file)} has a syntax error: ${(e as Error).message}.`);
      }
      if (json === null || typeof json !== 'object' || json.modelTopology === undefined || !Array.isArray(json.weightsManifest)) {
        fail(fn, `model.json must have "modelTopology" and "weightsManifest", but ${show(file)} has keys ${show(json && typeof json === 'object' ? Object.keys(json) : [])}.`);
      }
      return artifactsFromJson(fn, json, path.dirname(file), options.strict ?? true);
    },
  };
}

async function artifactsFromJson(fn: string, json: tf.io.ModelJSON, dir: string, strict: boolean): Promise<tf.io.ModelArtifacts> {
  const specs: tf.io.WeightsManifestEntry[] = [];
  const chunks: Uint8Array[] = [];
  const missing = new Map<string, string>();
  for (const group of json.weightsManifest) {
    const shards: (Uint8Array | null)[] = [];
    for (const p of group.paths) {
      try {
        shards.push(new Uint8Array(await fs.readFile(path.join(dir, p))));
      } catch {
        if (strict) {
          fail(
            fn,
            `weight shard ${show(p)} must exist next to model.json, but it is missing from ${show(dir)} (it holds ${show(group.weights.map((w) => w.name).slice(0, 3))}). Pass strict: false (with cutAt before those layers) to load without it.`,
          );
        }
        shards.push(null);
      }
    }
    // A shard of the wrong size (e.g. an empty file left by an interrupted download) counts as missing.
    const expected = group.weights.reduce((n, w) => n + weightByteSize(w), 0);
    const got = shards.reduce((n, x) => n + (x?.length ?? 0), 0);
    if (Number.isFinite(expected) && !shards.includes(null) && got !== expected) {
      const bad = shards.length === 1 ? [0] : shards.flatMap((x, i) => (x !== null && x.length === 0 ? [i] : []));
      const badIdx = bad.length > 0 ? bad : shards.map((_, i) => i);
      if (strict) {
        fail(
          fn,
          `weight shard ${show(group.paths[badIdx[0]])} must hold ${expected} bytes${shards.length > 1 ? ' with the rest of its group' : ''}, but ${show(dir)} has ${got} (it holds ${show(group.weights.map((w) => w.name).slice(0, 3))}). Pass strict: false (with cutAt before those layers) to load without it.`,
        );
      }
      for (const i of badIdx) shards[i] = null;
    }
    // Weights are laid out back to back over the concatenated shards of the group.
    const starts: number[] = [];
    let total = 0;
    for (let i = 0; i < group.paths.length; i++) {
      starts.push(total);
      total += shards[i]?.length ?? NaN;
    }
    const present = shards.every((s) => s !== null);
    if (present) {
      const all = new Uint8Array(total);
      shards.forEach((s, i) => all.set(s as Uint8Array, starts[i]));
      specs.push(...group.weights);
      chunks.push(all);
      continue;
    }
    // A shard is missing: keep only the weights that lie in shards we have. Sizes of missing shards
    // are unknown, so walk the weights with their computed sizes from the start of the group.
    const fullShard = shards.slice(0, -1).find((x) => x !== null)?.length ?? 4 * 1024 * 1024;
    let offset = 0;
    let shardIndex = 0;
    let shardStart = 0;
    for (const w of group.weights) {
      const size = weightByteSize(w);
      if (!Number.isFinite(size)) fail(fn, `weight shard layout must be computable to skip a missing shard, but ${show(w.name)} has dtype ${show(w.dtype)}.`);
      // Advance to the shard containing `offset`. The converter cuts a group into equal shards (all but
      // the last), so a missing shard's size is that of a present non-last one (else tfjs's 4 MB default).
      const sizeOf = (i: number) => shards[i]?.length ?? fullShard;
      while (shardIndex < shards.length - 1 && offset >= shardStart + sizeOf(shardIndex)) {
        shardStart += sizeOf(shardIndex);
        shardIndex++;
      }
      const end = offset + size;
      // Collect the bytes of [offset, end) if every shard it touches is present.
      const parts: Uint8Array[] = [];
      let ok = true;
      let s = shardIndex;
      let sStart = shardStart;
      let pos = offset;
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
      if (ok) {
        specs.push(w);
        const merged = new Uint8Array(size);
        let o = 0;
        for (const part of parts) {
          merged.set(part, o);
          o += part.length;
        }
        chunks.push(merged);
      } else {
        missing.set(w.name, group.paths[s < group.paths.length ? s : group.paths.length - 1]);
        if (shards[shardIndex] === null) missing.set(w.name, group.paths[shardIndex]);
      }
      offset = end;
    }
  }
  const weightData = concatBytes(chunks);
  const artifacts: tf.io.ModelArtifacts = {
    modelTopology: json.modelTopology,
    format: json.format,
    generatedBy: json.generatedBy,
    convertedBy: json.convertedBy,
    signature: json.signature,
    userDefinedMetadata: json.userDefinedMetadata,
    modelInitializer: json.modelInitializer,
    trainingConfig: json.trainingConfig,
    weightSpecs: specs,
    weightData: weightData.buffer,
  };
  if (missing.size > 0) MISSING_WEIGHTS.set(artifacts, missing);
  return artifacts;
}

/** Options of the Node {@link loadModel}: the browser loader's plus `strict` for missing shards. */
export type NodeLoadModelOptions = LoadModelOptions & FileHandlerOptions;

/**
 * Loads a tfjs model from disk (a directory or model.json path), a URL, or any `tf.io` handler, and
 * wraps it as a {@link VisModel}. Node version of `model.loadModel`: paths are read with
 * {@link fileHandler}; `http(s)://` URLs and handlers go through tfjs.
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
 * @param options `{ inputRange, cutAt, strict = true, relaxInputShape = true, ... }` plus every `visModel` option.
 * @returns a VisModel that owns the loaded tfjs model (`dispose()` frees it).
 */
export async function loadModel(source: string | tf.io.IOHandler, options: NodeLoadModelOptions): Promise<VisModel> {
  const { strict, ...rest } = options ?? ({} as NodeLoadModelOptions);
  if (typeof source === 'string' && !/^[a-z][a-z0-9+.-]*:\/\//i.test(source)) {
    const artifacts = await (fileHandler(source, { strict }).load as () => Promise<tf.io.ModelArtifacts>)();
    return wrapArtifacts('loadModel', artifacts, rest);
  }
  return loadModelFromHandler(source, rest);
}

/** Options of {@link loadDefaultModel}. */
export interface DefaultModelOptions {
  /** Cut the network at this layer instead of `out_relu` (earlier = faster). */
  readonly cutAt?: string;
}

/**
 * Loads the embedded default model, ready to render: the ImageNet-pretrained MobileNetV2 backbone
 * that the `nsfwjs` package (MIT) ships inside its JavaScript files, read from disk (no network),
 * cut at `out_relu` (nsfwjs's own 5-class head is never used) with input range [0, 1].
 *
 * Why: no npm package ships plain ImageNet classifier weights, and a CLI or tutorial needs a model
 * that works right after `npm install`. `nsfwjs` is an optional peer dependency of this library
 * (a devDependency of the repository); install it to use this function. See
 * {@link DEFAULT_LAYERS} for layers and channels that render well.
 *
 * @example
 * ```ts
 * import { loadDefaultModel, render, io } from 'tfjs-optvis/node';
 * const vm = await loadDefaultModel();
 * const { images } = await render.renderVis(vm, 'block_6_expand_relu:40');
 * vm.dispose();
 * ```
 * @param options `{ cutAt = 'out_relu' }`.
 * @returns a VisModel that owns the network (`dispose()` frees its weights, ~2.6 MB).
 */
export async function loadDefaultModel(options: DefaultModelOptions = {}): Promise<VisModel> {
  const artifacts = await defaultModelArtifacts('loadDefaultModel');
  return wrapArtifacts('loadDefaultModel', artifacts, {
    cutAt: options.cutAt ?? DEFAULT_MODEL_INFO.cutAt,
    inputRange: DEFAULT_MODEL_INFO.inputRange,
  } as LoadModelOptions);
}

/**
 * Browser-safe model loading: turns `tf.io.ModelArtifacts` (from any `tf.io` handler) into a
 * tfjs `LayersModel` or `GraphModel`, detecting which one from the artifacts, optionally cutting the
 * topology at a layer and relaxing a fixed input size.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import * as tfc from '@tensorflow/tfjs-converter';
import { didYouMean, fail, show } from '../errors';

/** A loaded tfjs model and which kind it is. The caller owns `model` (`model.dispose()`). */
export type LoadedTfjsModel =
  | { readonly format: 'layers-model'; readonly model: tfl.LayersModel }
  | { readonly format: 'graph-model'; readonly model: tfc.GraphModel };

/** Options of the loaders that shape the topology before building the model. */
export interface TopologyOptions {
  /**
   * Keep only the part of the network that `cutAt` depends on and make it the output (a layer name
   * for LayersModels, a node name for GraphModels). Weights of the removed layers are not needed,
   * which is how a model with a missing shard for its head can still be loaded.
   */
  readonly cutAt?: string;
  /**
   * Replace a fixed input height/width (e.g. 224×224) by `null` so that any image size can be
   * rendered (Lucid renders 128-px images on 224-px networks). Default `true`; when the relaxed
   * topology cannot be built (e.g. a `Flatten` → `Dense` head), the original is used.
   */
  readonly relaxInputShape?: boolean;
}

/** Weights that a handler could not provide, by weight name → the shard file that held it. @internal */
export const MISSING_WEIGHTS = new WeakMap<tf.io.ModelArtifacts, ReadonlyMap<string, string>>();

type Json = Record<string, unknown>;
interface LayerConfig {
  class_name: string;
  name?: string;
  config: Json & { name?: string; batch_input_shape?: (number | null)[] };
  inbound_nodes?: unknown;
}
interface GraphNode {
  name: string;
  op: string;
  input?: string[];
  attr?: Record<string, { shape?: { dim?: { size?: string | number }[] } }>;
}

/** `'layers-model'` or `'graph-model'` from the artifacts' `format` or topology content. @internal */
export function detectFormat(fn: string, artifacts: tf.io.ModelArtifacts): 'layers-model' | 'graph-model' {
  const topo = artifacts.modelTopology as Json | ArrayBuffer | undefined;
  if (artifacts.format === 'graph-model' || artifacts.format === 'layers-model') return artifacts.format;
  if (topo && !(topo instanceof ArrayBuffer)) {
    if (Array.isArray(topo.node)) return 'graph-model';
    if (topo.model_config !== undefined || topo.class_name !== undefined) return 'layers-model';
  }
  return fail(
    fn,
    `model.json must describe a tfjs LayersModel or GraphModel (format "layers-model"/"graph-model", or a modelTopology with model_config or node), but got format ${show(artifacts.format)} and topology keys ${show(topo && !(topo instanceof ArrayBuffer) ? Object.keys(topo) : [])}.`,
  );
}

/** Bytes per element of a weight as stored (quantized weights use their quantized dtype). */
function bytesPerElement(spec: tf.io.WeightsManifestEntry): number {
  const q = spec.quantization?.dtype;
  if (q) return q === 'uint8' ? 1 : 2;
  switch (spec.dtype) {
    case 'bool':
      return 1;
    case 'float32':
    case 'int32':
      return 4;
    case 'complex64':
      return 8;
    default:
      return NaN;
  }
}

/** Concatenates byte chunks (weight shards) into one buffer (internal). */
export function concatBytes(chunks: readonly Uint8Array[]): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let o = 0;
  for (const c of chunks) {
    out.set(c, o);
    o += c.length;
  }
  return out;
}

/** Stored byte size of one weight, or NaN when it cannot be known up front (strings). @internal */
export function weightByteSize(spec: tf.io.WeightsManifestEntry): number {
  return spec.shape.reduce((a, b) => a * b, 1) * bytesPerElement(spec);
}

function concatBuffers(data: tf.io.WeightData | undefined): Uint8Array {
  if (data === undefined) return new Uint8Array(0);
  const parts = Array.isArray(data) ? data : [data];
  const total = parts.reduce((s, p) => s + p.byteLength, 0);
  const out = new Uint8Array(total);
  let o = 0;
  for (const p of parts) {
    out.set(new Uint8Array(p), o);
    o += p.byteLength;
  }
  return out;
}

/** Keeps the weights for which `keep(name)` holds, slicing their bytes out of the weight data. */
function filterWeights(artifacts: tf.io.ModelArtifacts, keep: (name: string) => boolean): tf.io.ModelArtifacts {
  const specs = artifacts.weightSpecs ?? [];
  const bytes = concatBuffers(artifacts.weightData);
  const keptSpecs: tf.io.WeightsManifestEntry[] = [];
  const chunks: Uint8Array[] = [];
  let offset = 0;
  for (const spec of specs) {
    const size = weightByteSize(spec);
    if (!Number.isFinite(size)) return artifacts; // string weights: cannot slice, keep everything
    if (keep(spec.name)) {
      keptSpecs.push(spec);
      chunks.push(bytes.subarray(offset, offset + size));
    }
    offset += size;
  }
  const out = new Uint8Array(chunks.reduce((s, c) => s + c.length, 0));
  let o = 0;
  for (const c of chunks) {
    out.set(c, o);
    o += c.length;
  }
  const result: tf.io.ModelArtifacts = { ...artifacts, weightSpecs: keptSpecs, weightData: out.buffer };
  const missing = MISSING_WEIGHTS.get(artifacts);
  if (missing) MISSING_WEIGHTS.set(result, missing);
  return result;
}

function layerName(l: LayerConfig): string {
  return (l.name ?? l.config.name) as string;
}

/** Names of the layers a Keras layer config takes inputs from (Keras 2 and tfjs formats). */
function inboundNames(l: LayerConfig): string[] {
  const names: string[] = [];
  const visit = (x: unknown): void => {
    if (!Array.isArray(x)) {
      if (x && typeof x === 'object') {
        const o = x as Json;
        // Keras 3 style: {args: [{class_name: '__keras_tensor__', config: {keras_history: [name, i, j]}}]}
        const hist = (o.config as Json | undefined)?.keras_history;
        if (Array.isArray(hist) && typeof hist[0] === 'string') names.push(hist[0]);
        else for (const v of Object.values(o)) visit(v);
      }
      return;
    }
    if (typeof x[0] === 'string' && typeof x[1] === 'number') names.push(x[0]);
    else for (const v of x) visit(v);
  };
  visit(l.inbound_nodes);
  return names;
}

/** Layer list and a setter for the (possibly nested) Keras model config. */
function kerasLayers(topo: Json): { cls: string; config: Json; layers: LayerConfig[] } {
  const mc = (topo.model_config ?? topo) as Json;
  const cls = mc.class_name as string;
  const config = mc.config as Json | LayerConfig[];
  if (Array.isArray(config)) return { cls, config: { layers: config }, layers: config };
  return { cls, config, layers: (config.layers ?? []) as LayerConfig[] };
}

function cutLayersTopology(fn: string, artifacts: tf.io.ModelArtifacts, cutAt: string): tf.io.ModelArtifacts {
  const topo = structuredClone(artifacts.modelTopology) as Json;
  const mc = (topo.model_config ?? topo) as Json;
  const { cls, config, layers } = kerasLayers(topo);
  const names = layers.map(layerName);
  const at = names.indexOf(cutAt);
  if (at < 0) fail(fn, `cutAt must name a layer of the model, but got ${show(cutAt)}.${didYouMean(cutAt, names)}`);
  let kept: LayerConfig[];
  if (cls === 'Sequential') {
    kept = layers.slice(0, at + 1);
  } else {
    const byName = new Map(layers.map((l) => [layerName(l), l]));
    const need = new Set<string>();
    const stack = [cutAt];
    while (stack.length > 0) {
      const n = stack.pop() as string;
      if (need.has(n)) continue;
      need.add(n);
      const l = byName.get(n);
      if (l) stack.push(...inboundNames(l));
    }
    kept = layers.filter((l) => need.has(layerName(l)));
    config.output_layers = [[cutAt, 0, 0]];
    if (Array.isArray(config.input_layers)) {
      config.input_layers = (config.input_layers as unknown[][]).filter((x) => need.has(x[0] as string));
    }
  }
  if (Array.isArray(mc.config)) mc.config = kept;
  else config.layers = kept;
  const keptNames = new Set(kept.map(layerName));
  const allNames = new Set(names);
  const cut: tf.io.ModelArtifacts = { ...artifacts, modelTopology: topo, trainingConfig: undefined };
  const missing = MISSING_WEIGHTS.get(artifacts);
  if (missing) MISSING_WEIGHTS.set(cut, missing);
  // A weight named "<layer>/..." belongs to that layer; names matching no layer are kept.
  return filterWeights(cut, (w) => {
    const owner = w.split('/')[0];
    return keptNames.has(owner) || !allNames.has(owner);
  });
}

function cutGraphTopology(fn: string, artifacts: tf.io.ModelArtifacts, cutAt: string): tf.io.ModelArtifacts {
  const topo = structuredClone(artifacts.modelTopology) as Json & { node: GraphNode[] };
  const names = topo.node.map((n) => n.name);
  if (!names.includes(cutAt)) fail(fn, `cutAt must name a node of the graph, but got ${show(cutAt)}.${didYouMean(cutAt, names)}`);
  const byName = new Map(topo.node.map((n) => [n.name, n]));
  const need = new Set<string>();
  const stack = [cutAt];
  while (stack.length > 0) {
    const n = stack.pop() as string;
    if (need.has(n)) continue;
    need.add(n);
    for (const i of byName.get(n)?.input ?? []) stack.push(i.replace(/^\^/, '').replace(/:\d+$/, ''));
  }
  topo.node = topo.node.filter((n) => need.has(n.name));
  const cut: tf.io.ModelArtifacts = { ...artifacts, modelTopology: topo, signature: undefined };
  const missing = MISSING_WEIGHTS.get(artifacts);
  if (missing) MISSING_WEIGHTS.set(cut, missing);
  const all = new Set(names);
  return filterWeights(cut, (w) => need.has(w) || !all.has(w));
}

function relaxLayers(artifacts: tf.io.ModelArtifacts): tf.io.ModelArtifacts | null {
  const topo = structuredClone(artifacts.modelTopology) as Json;
  const { layers } = kerasLayers(topo);
  let changed = false;
  for (const l of layers) {
    const s = l.config.batch_input_shape;
    if (Array.isArray(s) && s.length === 4 && (s[1] !== null || s[2] !== null)) {
      l.config.batch_input_shape = [s[0], null, null, s[3]];
      changed = true;
    }
  }
  return changed ? { ...artifacts, modelTopology: topo } : null;
}

function relaxGraph(artifacts: tf.io.ModelArtifacts): tf.io.ModelArtifacts | null {
  const topo = structuredClone(artifacts.modelTopology) as Json & { node: GraphNode[] };
  let changed = false;
  for (const n of topo.node) {
    const dim = n.op === 'Placeholder' ? n.attr?.shape?.shape?.dim : undefined;
    if (Array.isArray(dim) && dim.length === 4) {
      for (const k of [1, 2]) {
        if (Number(dim[k].size ?? -1) !== -1) {
          dim[k].size = '-1';
          changed = true;
        }
      }
    }
  }
  return changed ? { ...artifacts, modelTopology: topo } : null;
}

/** The weight names a built model needs. */
function neededWeights(loaded: LoadedTfjsModel, artifacts: tf.io.ModelArtifacts): string[] {
  if (loaded.format === 'layers-model') {
    return loaded.model.weights.map((w) => w.originalName);
  }
  const topo = artifacts.modelTopology as { node: GraphNode[] };
  return topo.node.filter((n) => n.op === 'Const').map((n) => n.name);
}

/**
 * Builds a tfjs model from artifacts (any `tf.io` handler's `load()` result): detects LayersModel
 * vs GraphModel, applies `cutAt` and `relaxInputShape`, and checks that every weight the model
 * uses was provided (naming the missing shard otherwise). The caller owns the returned model.
 * @internal
 */
export async function modelFromArtifacts(
  fn: string,
  artifacts: tf.io.ModelArtifacts,
  options: TopologyOptions = {},
): Promise<LoadedTfjsModel> {
  const format = detectFormat(fn, artifacts);
  let arts = artifacts;
  if (options.cutAt !== undefined) {
    if (typeof options.cutAt !== 'string' || options.cutAt === '') fail(fn, `cutAt must be a layer name, but got ${show(options.cutAt)}.`);
    arts = format === 'layers-model' ? cutLayersTopology(fn, arts, options.cutAt) : cutGraphTopology(fn, arts, options.cutAt);
  }
  const relaxed = options.relaxInputShape === false ? null : format === 'layers-model' ? relaxLayers(arts) : relaxGraph(arts);
  const build = async (a: tf.io.ModelArtifacts): Promise<LoadedTfjsModel> =>
    format === 'layers-model'
      ? { format, model: await tfl.loadLayersModel(tf.io.fromMemory(a), { strict: false }) }
      : { format, model: await tfc.loadGraphModel(tf.io.fromMemory(a)) };
  let loaded: LoadedTfjsModel;
  let used = arts;
  try {
    if (relaxed) {
      try {
        loaded = await build(relaxed);
        used = relaxed;
      } catch {
        loaded = await build(arts);
      }
    } else {
      loaded = await build(arts);
    }
  } catch (e) {
    return fail(fn, `model.json must hold a topology tfjs can build, but building the ${format} failed: ${(e as Error).message}`);
  }
  const provided = new Set((used.weightSpecs ?? []).map((w) => w.name));
  const absent = neededWeights(loaded, used).filter((n) => !provided.has(n));
  if (absent.length > 0) {
    loaded.model.dispose();
    const missing = MISSING_WEIGHTS.get(artifacts);
    const shard = absent.map((n) => missing?.get(n)).find((s) => s !== undefined);
    const owner = absent[0].split('/')[0];
    if (shard !== undefined) {
      fail(
        fn,
        `weight shard ${show(shard)} must be present for the layers kept, but it is missing (it holds ${show(absent[0])}). Cut the model before ${show(owner)} with cutAt.`,
      );
    }
    fail(fn, `model.json must list every weight the model uses, but ${show(absent[0])}${absent.length > 1 ? ` and ${absent.length - 1} more are` : ' is'} missing.`);
  }
  return loaded;
}

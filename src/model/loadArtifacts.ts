/**
 * Browser-safe model loading: turns `tf.io.ModelArtifacts` (from any `tf.io` handler) into a
 * tfjs `LayersModel` or `GraphModel`, detecting which one from the artifacts, optionally cutting the
 * topology at a layer and relaxing a fixed input size.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import * as tfc from '@tensorflow/tfjs-converter';
import { didYouMean, fail, OptvisError, show } from '../errors';

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

/**
 * Limits the loaders enforce (documented in docs/security.md). @internal
 */
export const LOADER_LIMITS = Object.freeze({
  /** Default largest model.json read from disk, in bytes (`maxModelJsonBytes` raises it). */
  maxModelJsonBytes: 32 * 1024 * 1024,
  /** Deepest nesting of objects and arrays in model.json (real models nest fewer than 30 levels). */
  maxJsonDepth: 512,
  /** Weight bytes a topology may declare beyond those its manifest lists before the build is refused. */
  buildSlackBytes: 16 * 1024 * 1024,
  /** Symbolic links followed while resolving one shard path inside the model folder. */
  maxSymlinks: 40,
});

/** Stored bytes per element of each weight dtype the loaders accept. */
const STORED_DTYPES: Readonly<Record<string, number>> = { float32: 4, int32: 4, bool: 1, complex64: 8 };
/** Stored bytes per element of each quantization dtype. */
const QUANTIZED_DTYPES: Readonly<Record<string, number>> = { uint8: 1, uint16: 2, float16: 2 };

/** `show` for messages about untrusted values: long arrays and strings are shortened. */
function brief(value: unknown): string {
  if (Array.isArray(value) && value.length > 8) return `[${value.slice(0, 8).map((v) => brief(v)).join(', ')}, … (${value.length} entries)]`;
  const s = show(value);
  return s.length > 120 ? `${s.slice(0, 117)}…` : s;
}

/** An error message from tfjs, shortened (tfjs sometimes prints whole layer configs). */
function tfjsMessage(e: unknown): string {
  const m = e instanceof Error ? e.message : String(e);
  return m.length > 400 ? `${m.slice(0, 397)}…` : m;
}

const isFiniteNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** Bytes per element of a weight as stored (quantized weights use their quantized dtype). */
function bytesPerElement(spec: tf.io.WeightsManifestEntry): number {
  const q = spec.quantization?.dtype;
  if (q) return QUANTIZED_DTYPES[q] ?? NaN;
  return STORED_DTYPES[spec.dtype] ?? NaN;
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

/** Bytes of one weight once decoded (quantized weights become float32/int32). */
function decodedByteSize(spec: tf.io.WeightsManifestEntry): number {
  return spec.shape.reduce((a, b) => a * b, 1) * (STORED_DTYPES[spec.dtype] ?? 4);
}

/**
 * Checks one weights-manifest entry (an untrusted JSON value) and returns its stored byte size:
 * a non-empty name, a shape of non-negative integers, a dtype tfjs can decode from bytes of a
 * known length, a well-formed quantization. `where` names the entry, e.g. `weightsManifest[0].weights[3]`.
 * @internal
 */
export function checkWeightSpec(fn: string, spec: unknown, where: string): number {
  if (spec === null || typeof spec !== 'object' || Array.isArray(spec)) {
    fail(fn, `${where} must be a weight entry { name, shape, dtype }, but got ${brief(spec)}.`);
  }
  const s = spec as { name?: unknown; shape?: unknown; dtype?: unknown; quantization?: unknown };
  if (typeof s.name !== 'string' || s.name === '') fail(fn, `${where}.name must be a non-empty string, but got ${brief(s.name)}.`);
  const label = `${where} (${brief(s.name)})`;
  if (!Array.isArray(s.shape)) fail(fn, `${label} shape must be an array of non-negative integers, but got ${brief(s.shape)}.`);
  const bad = s.shape.findIndex((d) => typeof d !== 'number' || !Number.isInteger(d) || d < 0);
  if (bad >= 0) {
    fail(fn, `${label} shape must be an array of non-negative integers, but got ${brief(s.shape)} (entry ${bad} is ${brief(s.shape[bad])}).`);
  }
  if (typeof s.dtype !== 'string' || STORED_DTYPES[s.dtype] === undefined) {
    const note = s.dtype === 'string' ? ' (string weights are not supported)' : '';
    fail(fn, `${label} dtype must be one of "float32", "int32", "bool", "complex64", but got ${brief(s.dtype)}${note}.`);
  }
  let bytes = STORED_DTYPES[s.dtype];
  if (s.quantization !== undefined && s.quantization !== null) {
    const q = s.quantization as { dtype?: unknown; scale?: unknown; min?: unknown };
    if (typeof q !== 'object' || typeof q.dtype !== 'string' || QUANTIZED_DTYPES[q.dtype] === undefined) {
      fail(fn, `${label} quantization.dtype must be one of "uint8", "uint16", "float16", but got ${brief(typeof q === 'object' ? q.dtype : q)}.`);
    }
    if (s.dtype !== 'float32' && s.dtype !== 'int32') {
      fail(fn, `${label} dtype must be "float32" or "int32" for a quantized weight, but got ${brief(s.dtype)}.`);
    }
    if (q.dtype !== 'float16' && (!isFiniteNumber(q.scale) || !isFiniteNumber(q.min))) {
      fail(fn, `${label} quantization must have a finite scale and min, but got scale ${brief(q.scale)} and min ${brief(q.min)}.`);
    }
    bytes = QUANTIZED_DTYPES[q.dtype];
  }
  for (const d of s.shape as number[]) bytes *= d;
  if (!Number.isSafeInteger(bytes)) fail(fn, `${label} must have a size that can be stored, but its shape ${brief(s.shape)} needs ${bytes} bytes.`);
  return bytes;
}

/** Checks a list of weight entries (see {@link checkWeightSpec}); names must be unique. Returns the total stored bytes. @internal */
export function checkWeightSpecs(fn: string, specs: unknown, where: string, seen: Set<string> = new Set()): number {
  if (!Array.isArray(specs)) fail(fn, `${where} must be an array of weight entries, but got ${brief(specs)}.`);
  let total = 0;
  specs.forEach((spec, i) => {
    total += checkWeightSpec(fn, spec, `${where}[${i}]`);
    const name = (spec as { name: string }).name;
    if (seen.has(name)) fail(fn, `weight names must be unique, but ${where}[${i}] repeats ${brief(name)}.`);
    seen.add(name);
  });
  return total;
}

/**
 * Refuses JSON nested deeper than {@link LOADER_LIMITS}.maxJsonDepth (tfjs and `structuredClone`
 * recurse over it and would fail with a stack overflow). Iterative; shared subobjects are visited once.
 * @internal
 */
export function checkJsonDepth(fn: string, value: unknown, what: string, max: number = LOADER_LIMITS.maxJsonDepth): void {
  const seen = new Set<object>();
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop() as [unknown, number];
    if (v === null || typeof v !== 'object' || seen.has(v)) continue;
    seen.add(v);
    if (depth > max) fail(fn, `${what} must nest objects and arrays at most ${max} levels deep, but it nests deeper (real models nest fewer than 30 levels).`);
    for (const child of Array.isArray(v) ? v : Object.values(v)) {
      if (child !== null && typeof child === 'object') stack.push([child, depth + 1]);
    }
  }
}

/** Byte length of `WeightData` (one buffer or a list), 0 when absent. */
function weightDataLength(data: tf.io.WeightData | undefined): number {
  if (data === undefined || data === null) return 0;
  return (Array.isArray(data) ? data : [data]).reduce((n, b) => n + (b as ArrayBuffer).byteLength, 0);
}

/** The artifacts' weight entries must be valid and their bytes must be exactly the weight data. */
function checkArtifactWeights(fn: string, artifacts: tf.io.ModelArtifacts): void {
  const specs = artifacts.weightSpecs ?? [];
  const total = checkWeightSpecs(fn, specs, 'weightSpecs');
  const data = artifacts.weightData as unknown;
  const list = data === undefined || data === null ? [] : Array.isArray(data) ? data : [data];
  if (!list.every((b) => b !== null && typeof b === 'object' && typeof (b as ArrayBuffer).byteLength === 'number')) {
    fail(fn, `weightData must be an ArrayBuffer (or a list of them), but got ${brief(data)}.`);
  }
  const got = weightDataLength(artifacts.weightData);
  if (got !== total) fail(fn, `the weight data must hold the ${total} bytes its weight entries declare, but it has ${got} bytes.`);
}

/** A little-endian float32 view of `bytes` (copied when not 4-byte aligned). */
function floatView(bytes: Uint8Array): Float32Array {
  if (bytes.byteOffset % 4 === 0) return new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length >> 2);
  return new Float32Array(bytes.slice().buffer, 0, bytes.length >> 2);
}

/**
 * Refuses weights holding NaN or ±Infinity, naming the weight (and its layer), before anything is
 * built: such a model renders nothing but a non-finite objective at step 1.
 */
function checkFiniteWeights(fn: string, format: 'layers-model' | 'graph-model', artifacts: tf.io.ModelArtifacts): void {
  const specs = artifacts.weightSpecs ?? [];
  if (specs.length === 0) return;
  const data = weightBytes(artifacts.weightData);
  let offset = 0;
  for (const spec of specs) {
    const size = weightByteSize(spec);
    const bytes = data.subarray(offset, offset + size);
    offset += size;
    let at = -1;
    let value = '';
    const q = spec.quantization?.dtype;
    if (q === 'float16') {
      for (let i = 0; i + 1 < bytes.length; i += 2) {
        const h = bytes[i] | (bytes[i + 1] << 8);
        if ((h & 0x7c00) === 0x7c00) {
          at = i / 2;
          value = (h & 0x3ff) !== 0 ? 'NaN' : h & 0x8000 ? '-Infinity' : 'Infinity';
          break;
        }
      }
    } else if (q === undefined && (spec.dtype === 'float32' || spec.dtype === 'complex64')) {
      const f = floatView(bytes);
      for (let i = 0; i < f.length; i++) {
        if (!Number.isFinite(f[i])) {
          at = i;
          value = show(f[i]);
          break;
        }
      }
    }
    if (at >= 0) {
      const slash = spec.name.lastIndexOf('/');
      const owner = format === 'layers-model' && slash > 0 ? ` of layer ${show(spec.name.slice(0, slash))}` : '';
      fail(
        fn,
        `weights must be finite numbers, but weight ${show(spec.name)}${owner} holds ${value} at index ${at} (shape ${show(spec.shape)}). The model file is corrupt, or it was saved after training diverged.`,
      );
    }
  }
}

/** The weight data as one byte array (a view when it is a single buffer). */
function weightBytes(data: tf.io.WeightData | undefined): Uint8Array {
  if (data === undefined) return new Uint8Array(0);
  if (!Array.isArray(data)) return new Uint8Array(data);
  return concatBytes(data.map((p) => new Uint8Array(p)));
}

const NO_BACKEND =
  "no tfjs backend is registered: import '@tensorflow/tfjs-backend-wasm' (or '@tensorflow/tfjs-backend-cpu', or '-webgl' in a browser) and await tf.setBackend('wasm') before loading a model.";

/**
 * Makes sure a tfjs backend is registered and initialised (awaiting a pending `setBackend`), or
 * fails with one line saying what to import. @internal
 */
export async function ensureBackend(fn: string): Promise<void> {
  const engine = tf.engine();
  if (Object.keys(engine.registryFactory ?? {}).length === 0) fail(fn, NO_BACKEND);
  try {
    await tf.ready();
  } catch (e) {
    fail(fn, `the tfjs backend must initialise before a model is loaded, but it failed: ${tfjsMessage(e)} (await tf.setBackend('wasm') or 'cpu' first).`);
  }
  if (!tf.getBackend()) fail(fn, NO_BACKEND);
}

/** Keeps the weights for which `keep(name)` holds, slicing their bytes out of the weight data. */
function filterWeights(artifacts: tf.io.ModelArtifacts, keep: (name: string) => boolean): tf.io.ModelArtifacts {
  const specs = artifacts.weightSpecs ?? [];
  const bytes = weightBytes(artifacts.weightData);
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
  return carryMissing(artifacts, { ...artifacts, weightSpecs: keptSpecs, weightData: concatBytes(chunks).buffer });
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
    const need = upstream(cutAt, (n) => {
      const l = byName.get(n);
      return l ? inboundNames(l) : [];
    });
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
  const cut = carryMissing(artifacts, { ...artifacts, modelTopology: topo, trainingConfig: undefined });
  // A weight named "<layer>/..." belongs to that layer; names matching no layer are kept.
  return filterWeights(cut, (w) => {
    const owner = w.split('/')[0];
    return keptNames.has(owner) || !allNames.has(owner);
  });
}

/** The names `start` depends on (itself included), following `inputs` back through the network. */
function upstream(start: string, inputs: (name: string) => readonly string[]): Set<string> {
  const need = new Set<string>();
  const stack = [start];
  while (stack.length > 0) {
    const n = stack.pop() as string;
    if (need.has(n)) continue;
    need.add(n);
    stack.push(...inputs(n));
  }
  return need;
}

/** `cut` (artifacts derived from `from`) keeping the missing-weights record of `from`. */
function carryMissing(from: tf.io.ModelArtifacts, cut: tf.io.ModelArtifacts): tf.io.ModelArtifacts {
  const missing = MISSING_WEIGHTS.get(from);
  if (missing) MISSING_WEIGHTS.set(cut, missing);
  return cut;
}

function cutGraphTopology(fn: string, artifacts: tf.io.ModelArtifacts, cutAt: string): tf.io.ModelArtifacts {
  const topo = structuredClone(artifacts.modelTopology) as Json & { node: GraphNode[] };
  const names = topo.node.map((n) => n.name);
  if (!names.includes(cutAt)) fail(fn, `cutAt must name a node of the graph, but got ${show(cutAt)}.${didYouMean(cutAt, names)}`);
  const byName = new Map(topo.node.map((n) => [n.name, n]));
  const need = upstream(cutAt, (n) => (byName.get(n)?.input ?? []).map((i) => i.replace(/^\^/, '').replace(/:\d+$/, '')));
  topo.node = topo.node.filter((n) => need.has(n.name));
  const cut = carryMissing(artifacts, { ...artifacts, modelTopology: topo, signature: undefined });
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

/**
 * Refuses functional-model wiring that tfjs-layers would loop on forever: its deserializer
 * re-queues a layer call whose inputs do not exist yet and repeats until the queue is empty, so an
 * input that can never exist (a layer with its calls removed, a cycle, a name mismatch) hangs the
 * process. This replays tfjs's queue on the names alone and fails when a pass makes no progress.
 * Nested models are checked too; malformed entries are left to tfjs (it throws on them).
 */
function checkLayerWiring(fn: string, topology: unknown): void {
  const visit = (cfg: unknown): void => {
    if (cfg === null || typeof cfg !== 'object') return;
    const c = cfg as Json;
    const inner = (c.config ?? null) as Json | unknown[] | null;
    const layers = Array.isArray(inner) ? inner : Array.isArray(inner?.layers) ? (inner.layers as unknown[]) : null;
    if (layers === null) return;
    for (const l of layers) visit(l);
    if (Array.isArray(inner) || c.class_name === 'Sequential') return;
    const wiring = layerWiring(layers);
    if (wiring !== undefined) replayLayerWiring(fn, wiring);
  };
  const topo = topology as Json | null;
  visit(topo?.model_config ?? topo);
}

/** A layer of {@link LayerWiring}: the name tfjs queues its calls under, and how many calls it has made. */
type WiredLayer = { key: string; nodes: number };

/** A functional model's layers as tfjs-layers' deserializer sees them before it runs its queue. */
interface LayerWiring {
  /** Layers by their entry's "name". */
  readonly created: Map<string, WiredLayer>;
  /** Pending calls (lists of inbound inputs) by the layer's own name. */
  readonly queue: Map<string, unknown[][]>;
  /** Entry names in model.json order. */
  readonly order: readonly string[];
}

/**
 * Mirror of LayersModel.fromConfig: layers by their entry's "name", the queue by the layer's own
 * name (config.name, or a fresh one). `undefined` at an entry tfjs throws on (the replay ends there).
 */
function layerWiring(layers: readonly unknown[]): LayerWiring | undefined {
  const created = new Map<string, WiredLayer>();
  const queue = new Map<string, unknown[][]>();
  const order: string[] = [];
  for (const [i, l] of layers.entries()) {
    if (l === null || typeof l !== 'object') return undefined;
    const ld = l as Json;
    const config = ld.config as Json | undefined;
    if (config === null || typeof config !== 'object' || !Array.isArray(ld.inbound_nodes)) return undefined;
    const calls = ld.inbound_nodes as unknown[];
    if (!calls.every((call) => Array.isArray(call) && call.every((input) => input !== null && input !== undefined))) return undefined;
    const layer: WiredLayer = { key: config.name === undefined || config.name === null || config.name === '' ? `\u0000layer${i}` : String(config.name), nodes: ld.class_name === 'InputLayer' ? 1 : 0 };
    created.set(String(ld.name), layer);
    order.push(String(ld.name));
    for (const call of calls as unknown[][]) queue.set(layer.key, [...(queue.get(layer.key) ?? []), call]);
  }
  return { created, queue, order };
}

/** Replays tfjs's queue on the names alone (consuming `queue`); fails when a pass makes no progress. */
function replayLayerWiring(fn: string, { created, queue, order }: LayerWiring): void {
  while (queue.size > 0) {
    let progress = false;
    let stuck: { layer: string; input: unknown } | undefined;
    for (const top of order) {
      const layer = created.get(top) as WiredLayer;
      const calls = queue.get(layer.key);
      if (calls === undefined) continue;
      queue.delete(layer.key);
      for (const call of calls) {
        const blocked = call.find((input) => {
          const x = input as Record<number, unknown>;
          const from = created.get(String(x[0]));
          return from === undefined || from.nodes <= (x[1] as number);
        });
        if (blocked === undefined) {
          progress = true;
          if (call.length > 0) layer.nodes++;
        } else {
          stuck ??= { layer: layer.key, input: blocked };
          queue.set(layer.key, [...(queue.get(layer.key) ?? []), call]);
        }
      }
    }
    if (!progress && stuck !== undefined) {
      fail(
        fn,
        `model.json's layer graph must be computable, but layer ${brief(stuck.layer.replace(/^\u0000layer/, '#'))} has an input ${brief(stuck.input)} that no layer call produces (a missing layer or call, a cycle, or a malformed inbound node); tfjs would loop forever on it.`,
      );
    }
    if (!progress) {
      // Calls queued under a layer that no entry name leads to (a later entry has the same "name"): tfjs never makes them.
      const never = (queue.keys().next().value as string).replace(/^\u0000layer/, '#');
      fail(fn, `model.json's layer entries must have distinct "name"s, but the entry of layer ${brief(never)} shares its "name" with a later entry, so its calls are never made; tfjs would loop forever on it.`);
    }
  }
}

/** The weight names a built model needs. */
function neededWeights(loaded: LoadedTfjsModel, artifacts: tf.io.ModelArtifacts): string[] {
  if (loaded.format === 'layers-model') {
    return loaded.model.weights.map((w) => w.originalName);
  }
  const topo = artifacts.modelTopology as { node: GraphNode[] };
  return topo.node.filter((n) => n.op === 'Const').map((n) => n.name);
}

/** The message for weights that a kept layer needs but whose shard is missing (or, without one, absent). */
function absentWeights(fn: string, absent: readonly string[], missing: ReadonlyMap<string, string> | undefined): never {
  const shard = absent.map((n) => missing?.get(n)).find((s) => s !== undefined);
  const owner = absent[0].split('/')[0];
  if (shard !== undefined) {
    fail(
      fn,
      `weight shard ${show(shard)} must be present for the layers kept, but it is missing (it holds ${show(absent[0])}). Cut the model before ${show(owner)} with cutAt.`,
    );
  }
  return fail(fn, `model.json must list every weight the model uses, but ${show(absent[0])}${absent.length > 1 ? ` and ${absent.length - 1} more are` : ' is'} missing.`);
}

/** What the patched `Layer.addWeight` checks while one LayersModel is built. */
interface BuildGuard {
  readonly fn: string;
  readonly specs: readonly tf.io.WeightsManifestEntry[];
  readonly byName: ReadonlyMap<string, tf.io.WeightsManifestEntry>;
  readonly missing: ReadonlyMap<string, string> | undefined;
  /** Decoded bytes of every weight in the manifest. */
  readonly total: number;
  /** Bytes the topology may still declare. */
  left: number;
}

const megabytes = (n: number): string => `${(n / 1048576).toFixed(n < 1048576 ? 2 : 0)} MB`;

/**
 * Checks a weight that a layer is about to allocate against the manifest: same shape as the
 * manifest entry of the same name, and within the manifest's total size. Throws before tfjs
 * allocates anything for it.
 */
function checkDeclaredWeight(g: BuildGuard, layer: tfl.layers.Layer, name: string, shape: readonly (number | null)[], dtype: string | undefined): void {
  const full = `${layer.name}/${name}`;
  if (!Array.isArray(shape) || !shape.every((d) => typeof d === 'number' && Number.isInteger(d) && d >= 0)) {
    // Not an OptvisError: a relaxed input shape can leave a dimension unknown (Flatten → Dense), and
    // the loader then retries with the declared input shape.
    throw new Error(`layer ${show(layer.name)} declares its ${name} weight with an undefined shape ${brief(shape)}`);
  }
  let spec = g.byName.get(full);
  if (spec === undefined) {
    const nested = g.specs.filter((s) => s.name.endsWith(`/${full}`));
    if (nested.length === 1) spec = nested[0];
  }
  if (spec !== undefined) {
    if (spec.shape.length !== shape.length || spec.shape.some((d, i) => d !== shape[i])) {
      fail(
        g.fn,
        `model.json's topology and weights must agree, but layer ${show(layer.name)} (${layer.getClassName()}) declares its ${name} weight with shape ${brief(shape)} while the weights manifest has ${show(spec.name)} with shape ${brief(spec.shape)}. The topology was edited, or it belongs to other weights.`,
      );
    }
  } else if (g.missing?.has(full)) {
    absentWeights(g.fn, [full], g.missing);
  }
  const bytes = shape.reduce((a: number, b) => a * (b as number), 1) * (dtype === 'bool' ? 1 : dtype === 'complex64' ? 8 : 4);
  if (bytes > g.left) {
    fail(
      g.fn,
      `model.json's topology must not declare more weights than its manifest holds, but layer ${show(layer.name)} (${layer.getClassName()}) would allocate a ${name} weight of shape ${brief(shape)} (${megabytes(bytes)}) beyond the ${megabytes(g.total)} of weights listed. The topology was edited, or it belongs to other weights.`,
    );
  }
  g.left -= bytes;
}

type AddWeight = (this: tfl.layers.Layer, name: string, shape: (number | null)[], dtype?: tf.DataType, initializer?: unknown, ...rest: unknown[]) => tfl.LayerVariable;

/**
 * Builds a LayersModel from artifacts and loads its weights, allocating nothing the manifest does
 * not account for and leaving nothing allocated when it fails.
 *
 * tfjs-layers allocates every weight of a layer (with its initializer) while deserializing the
 * topology, before the weights are compared with the manifest: a `filters: 4000000` edit means
 * gigabytes before "Shape mismatch". It has no hook for this, so for the synchronous duration of
 * the deserialization `Layer.prototype.addWeight` is wrapped: each weight's shape is checked
 * against the manifest entry of the same name and against the manifest's total size before it is
 * allocated (with zeros: the values are overwritten by the loaded weights). Variables created by a
 * build that fails are disposed.
 */
async function buildLayersModel(fn: string, a: tf.io.ModelArtifacts, missing: ReadonlyMap<string, string> | undefined): Promise<tfl.LayersModel> {
  const specs = a.weightSpecs ?? [];
  const total = specs.reduce((n, s) => n + decodedByteSize(s), 0);
  const guard: BuildGuard = { fn, specs, byName: new Map(specs.map((s) => [s.name, s])), missing, total, left: total + LOADER_LIMITS.buildSlackBytes };
  const proto = tfl.layers.Layer.prototype as unknown as { addWeight: AddWeight };
  const original = proto.addWeight;
  const variables = tf.engine().state.registeredVariables;
  const before = new Set(Object.keys(variables));
  let pending: Promise<tfl.LayersModel>;
  proto.addWeight = function (this: tfl.layers.Layer, name, shape, dtype, _initializer, ...rest) {
    checkDeclaredWeight(guard, this, name, shape, dtype);
    // In a scope: the initial value is freed even when tfjs throws before wrapping it in a variable
    // (e.g. an invalid weight name). The variable itself is not scoped and survives.
    let weight: tfl.LayerVariable | undefined;
    tf.tidy(() => {
      weight = original.call(this, name, shape, dtype, tfl.initializers.zeros(), ...rest);
    });
    return weight as tfl.LayerVariable;
  };
  try {
    // modelFromJSON deserializes the topology (building every layer) synchronously, before its
    // first await: the wrapped addWeight sees this model's layers only.
    pending = tfl.models.modelFromJSON({ modelTopology: a.modelTopology } as tfl.ModelAndWeightsConfig);
  } finally {
    proto.addWeight = original;
  }
  const created = Object.keys(variables)
    .filter((k) => !before.has(k))
    .map((k) => variables[k]);
  const release = (): void => {
    for (const v of created) if (!v.isDisposed) v.dispose();
  };
  let model: tfl.LayersModel;
  try {
    model = await pending;
  } catch (e) {
    release();
    throw e;
  }
  try {
    const provided = new Set(specs.map((w) => w.name));
    const absent = model.weights.map((w) => w.originalName).filter((n) => !provided.has(n));
    if (absent.length > 0) absentWeights(fn, absent, missing);
    const named = tf.tidy(() => tf.io.decodeWeights(a.weightData ?? new ArrayBuffer(0), specs));
    try {
      model.loadWeights(named, false);
    } catch (e) {
      fail(fn, `the weights in the manifest must fit the layers of the topology, but tfjs refused them: ${tfjsMessage(e)}`);
    } finally {
      tf.dispose(Object.values(named));
    }
  } catch (e) {
    release();
    throw e;
  }
  return model;
}

/**
 * Builds a GraphModel from artifacts synchronously; on failure every tensor it allocated (the
 * decoded weights) is freed. @internal
 */
export function graphModelFromArtifacts(artifacts: tf.io.ModelArtifacts): tfc.GraphModel {
  const arts = { ...artifacts, weightSpecs: artifacts.weightSpecs ?? [], weightData: artifacts.weightData ?? new ArrayBuffer(0) };
  let model: tfc.GraphModel | undefined;
  tf.tidy(() => {
    const m = tfc.loadGraphModelSync(tf.io.fromMemorySync(arts));
    for (const list of Object.values(m.weights)) for (const t of list) tf.keep(t);
    model = m as unknown as tfc.GraphModel;
  });
  return model as tfc.GraphModel;
}

/**
 * Builds a tfjs model from artifacts (any `tf.io` handler's `load()` result): detects LayersModel
 * vs GraphModel, applies `cutAt` and `relaxInputShape`, and checks that every weight the model
 * uses was provided (naming the missing shard otherwise). The caller owns the returned model.
 *
 * Nothing in the artifacts is trusted: the topology's nesting depth, every weight entry (shape,
 * dtype, quantization), the weight data's size, and the weights' values (finite) are checked
 * before anything is built; layer weight shapes are checked against the manifest before they are
 * allocated; a failed load leaves no tensor behind.
 * @internal
 */
export async function modelFromArtifacts(
  fn: string,
  artifacts: tf.io.ModelArtifacts,
  options: TopologyOptions = {},
): Promise<LoadedTfjsModel> {
  await ensureBackend(fn);
  if (artifacts === null || typeof artifacts !== 'object') {
    fail(fn, `the model artifacts must be an object with a modelTopology, but got ${brief(artifacts)}.`);
  }
  checkJsonDepth(fn, artifacts.modelTopology, 'model.json (modelTopology)');
  const format = detectFormat(fn, artifacts);
  checkArtifactWeights(fn, artifacts);
  let arts = artifacts;
  let relaxed: tf.io.ModelArtifacts | null;
  try {
    if (options.cutAt !== undefined) {
      if (typeof options.cutAt !== 'string' || options.cutAt === '') fail(fn, `cutAt must be a layer name, but got ${show(options.cutAt)}.`);
      arts = format === 'layers-model' ? cutLayersTopology(fn, arts, options.cutAt) : cutGraphTopology(fn, arts, options.cutAt);
    }
    relaxed = options.relaxInputShape === false ? null : format === 'layers-model' ? relaxLayers(arts) : relaxGraph(arts);
  } catch (e) {
    if (e instanceof OptvisError) throw e;
    return fail(fn, `model.json must hold a topology tfjs can build, but reading the ${format} topology failed: ${tfjsMessage(e)}`);
  }
  if (format === 'layers-model') {
    checkLayerWiring(fn, arts.modelTopology);
  }
  checkFiniteWeights(fn, format, arts);
  const missing = MISSING_WEIGHTS.get(artifacts);
  const build = async (a: tf.io.ModelArtifacts): Promise<LoadedTfjsModel> =>
    format === 'layers-model' ? { format, model: await buildLayersModel(fn, a, missing) } : { format, model: graphModelFromArtifacts(a) };
  let loaded: LoadedTfjsModel;
  let used = arts;
  try {
    if (relaxed) {
      try {
        loaded = await build(relaxed);
        used = relaxed;
      } catch (e) {
        if (e instanceof OptvisError) throw e;
        loaded = await build(arts);
      }
    } else {
      loaded = await build(arts);
    }
  } catch (e) {
    if (e instanceof OptvisError) throw e;
    return fail(fn, `model.json must hold a topology tfjs can build, but building the ${format} failed: ${tfjsMessage(e)}`);
  }
  if (loaded.format === 'graph-model') {
    const provided = new Set((used.weightSpecs ?? []).map((w) => w.name));
    const absent = neededWeights(loaded, used).filter((n) => !provided.has(n));
    if (absent.length > 0) {
      loaded.model.dispose();
      absentWeights(fn, absent, missing);
    }
  }
  return loaded;
}

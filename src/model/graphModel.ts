import * as tf from '@tensorflow/tfjs-core';
import * as tfc from '@tensorflow/tfjs-converter';
import '../ops/registerGradients';
import { didYouMean, fail, show } from '../errors';
import { distinctOutputs } from './distinctOutputs';
import { assembleVisModel, layerIndex } from './layerIndex';
import { GRAPH_OPTION_KEYS, parseCommonOptions, toModelInput, VIS_OPTION_KEYS } from './inputRange';
import { PREACT_SUFFIX, sizeError } from './layersModel';
import { graphModelFromArtifacts } from './loadArtifacts';
import type { GraphModelLike, InputRange, LayerInfo, VisModel } from './types';

/** Options of {@link fromGraphModel}. */
export interface GraphModelOptions {
  /** REQUIRED: the value range the model expects its input pixels in (see {@link InputRange}). */
  inputRange: InputRange;
  /** Name of the image input when the model has several inputs (default: the only input). */
  inputName?: string;
  /** Channel order the model expects; images are always given as RGB. Default `'RGB'`. */
  channelOrder?: 'RGB' | 'BGR';
  /** Class names of the output layer (for `objectives.classLogit` by name). */
  labels?: readonly string[];
  /**
   * Spatial size `[h, w]` of the zero image run once to read every layer's shape, when the model
   * accepts any size. Default `[64, 64]`.
   */
  probeSize?: readonly [number, number];
}

/** A node of a GraphDef in model.json (the parts we read or write). */
interface GraphNode {
  name: string;
  op: string;
  input?: string[];
  attr?: Record<string, { s?: string; list?: { s?: string[] }; f?: number; b?: boolean; i?: string | number; type?: string }>;
  device?: string;
}

const b64decode = (s: string): string =>
  typeof atob === 'function' ? atob(s) : Buffer.from(s, 'base64').toString('latin1');
const b64encode = (s: string): string =>
  typeof btoa === 'function' ? btoa(s) : Buffer.from(s, 'latin1').toString('base64');

const FUSED_BASE: Readonly<Record<string, string>> = {
  _FusedConv2D: 'Conv2D',
  FusedDepthwiseConv2dNative: 'DepthwiseConv2dNative',
  _FusedMatMul: 'MatMul',
};
const ACTIVATION_OPS: Readonly<Record<string, string>> = {
  relu: 'Relu',
  relu6: 'Relu6',
  elu: 'Elu',
  sigmoid: 'Sigmoid',
  tanh: 'Tanh',
  leakyrelu: 'LeakyRelu',
  prelu: 'Prelu',
};
const FUSION_ATTRS = new Set(['fused_ops', 'num_args', 'epsilon', 'leakyrelu_alpha']);
/** Suffix of the raw (pre-bias) convolution node created when unfusing; not listed as a layer. */
const RAW_SUFFIX = '/_unfused';

/**
 * Splits every `_FusedConv2D`, `FusedDepthwiseConv2dNative` and `_FusedMatMul` node of a model.json
 * GraphDef into plain `Conv2D`/`DepthwiseConv2dNative`/`MatMul`, `BiasAdd` and activation nodes.
 *
 * Why: under gradients tfjs keeps a fused op fused when its activation is linear (bias only, as in
 * conv + folded BatchNorm), and then always computes the filter gradient too (one custom gradient
 * function): input gradients ~20× slower on cpu, and a failure on wasm (no `Conv2DBackpropFilter`).
 * Plain ops compute only the gradients asked for. (With a non-linear activation tfjs already falls
 * back to plain ops under gradients; splitting still exposes the pre-activation value.) The last node keeps the fused node's name, so the
 * graph's wiring is unchanged; the value before the activation gets the name `'<node>/preact'`
 * (Lucid's `..._pre_relu` tensors). Nodes whose fusion cannot be split (e.g. an unknown activation)
 * are kept as they are.
 *
 * @example
 * ```ts
 * const { topology, preactNames } = unfuseGraphTopology(artifacts.modelTopology);
 * ```
 * @param topology a GraphDef JSON object (`{ node: [...], ... }`), not modified.
 * @returns a new topology, the `/preact` node names created, and the internal node names.
 */
export function unfuseGraphTopology(topology: unknown): { topology: { node: GraphNode[] }; preactNames: string[]; internalNames: string[] } {
  const t = topology as { node?: GraphNode[] };
  if (!t || !Array.isArray(t.node)) fail('model.unfuseGraphTopology', `topology must be a GraphDef object with a node list, but got ${show(topology)}.`);
  const preactNames: string[] = [];
  const internalNames: string[] = [];
  const nodes: GraphNode[] = [];
  for (const node of t.node) {
    const base = FUSED_BASE[node.op];
    const fusedOps = (node.attr?.fused_ops?.list?.s ?? []).map((s) => b64decode(s).toLowerCase());
    const supported = fusedOps.every((op, i) => (op === 'biasadd' && i === 0) || (ACTIVATION_OPS[op] !== undefined && i === fusedOps.length - 1));
    if (base === undefined || !supported || fusedOps.length === 0) {
      nodes.push(node);
      continue;
    }
    const inputs = node.input ?? [];
    const data = inputs.filter((i) => !i.startsWith('^'));
    const control = inputs.filter((i) => i.startsWith('^'));
    const args = data.slice(2);
    const attr: NonNullable<GraphNode['attr']> = {};
    for (const [k, v] of Object.entries(node.attr ?? {})) if (!FUSION_ATTRS.has(k)) attr[k] = v;
    const T = node.attr?.T ?? { type: 'DT_FLOAT' };
    const hasBias = fusedOps[0] === 'biasadd';
    const act = hasBias ? fusedOps[1] : fusedOps[0];
    let argIndex = 0;
    let current = `${node.name}${RAW_SUFFIX}`;
    nodes.push({ ...node, op: base, input: [data[0], data[1], ...control], attr, name: current });
    internalNames.push(current);
    if (hasBias) {
      const name = act === undefined ? node.name : `${node.name}${PREACT_SUFFIX}`;
      nodes.push({ name, op: 'BiasAdd', input: [current, args[argIndex++]], attr: { T, data_format: { s: b64encode('NHWC') } } });
      current = name;
    }
    if (act !== undefined) {
      if (!hasBias) {
        // The raw convolution is the pre-activation value.
        const name = `${node.name}${PREACT_SUFFIX}`;
        nodes.push({ name, op: 'Identity', input: [current], attr: { T } });
        current = name;
      }
      preactNames.push(`${node.name}${PREACT_SUFFIX}`);
      const actNode: GraphNode = { name: node.name, op: ACTIVATION_OPS[act], input: [current], attr: { T } };
      if (act === 'prelu') actNode.input = [current, args[argIndex++]];
      if (act === 'leakyrelu') actNode.attr = { T, alpha: { f: node.attr?.leakyrelu_alpha?.f ?? 0.2 } };
      nodes.push(actNode);
    }
  }
  return { topology: { ...(topology as object), node: nodes }, preactNames, internalNames };
}

const NON_LAYER_OPS = new Set(['Const', 'Placeholder', 'NoOp', 'Shape', 'StridedSlice', 'Pack', 'Identity', 'Reshape', 'Cast', 'Fill']);

/** Nodes in a topological order (stable: the model.json order wherever the graph allows it). */
function topoOrder(nodes: readonly GraphNode[]): GraphNode[] {
  const byName = new Map(nodes.map((n) => [n.name, n]));
  const done = new Set<string>();
  const out: GraphNode[] = [];
  const visit = (n: GraphNode, stack: Set<string>): void => {
    if (done.has(n.name) || stack.has(n.name)) return;
    stack.add(n.name);
    for (const i of n.input ?? []) {
      const dep = byName.get(i.replace(/^\^/, '').split(':')[0]);
      if (dep) visit(dep, stack);
    }
    stack.delete(n.name);
    done.add(n.name);
    out.push(n);
  };
  for (const n of nodes) visit(n, new Set());
  return out;
}

async function captureArtifacts(model: tfc.GraphModel): Promise<tf.io.ModelArtifacts | undefined> {
  let captured: tf.io.ModelArtifacts | undefined;
  try {
    await model.save(
      tf.io.withSaveHandler(async (a) => {
        captured = a;
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
      }),
    );
  } catch {
    return undefined;
  }
  return captured;
}

/**
 * Sees a tfjs-converter `GraphModel` as a {@link VisModel}: every op's output by node name, in graph
 * order, and their activations on [0, 1] RGB images in one `execute` call.
 *
 * Why: Lucid fetches any tensor of the imported graph by name (`T("mixed4a")`); a GraphModel's
 * `execute(inputs, outputNames)` does the same. Converted graphs fuse conv + bias + activation into
 * `_FusedConv2D` (and depthwise / matmul variants), whose gradients always include filter gradients
 * (20× slower input gradients on cpu, failing on wasm): the wrapper rebuilds the graph from the
 * model's own artifacts with those ops split (see {@link unfuseGraphTopology}), so values are the
 * same, gradients are cheap, the pre-activation values are available as `'<node>/preact'`, and the
 * user's model object is left untouched. Layers are listed with shapes read from one run on a zero
 * image.
 *
 * Port of the model side of `lucid.modelzoo.vision_base.Model` (`import_graph` + `T(layer)`).
 *
 * @example
 * ```ts
 * const gm = await tf.loadGraphModel(url);
 * const vm = await fromGraphModel(gm, { inputRange: [-1, 1] });
 * const acts = vm.activations(image01, ['MobilenetV1/Conv2d_5_pointwise/Relu6']);
 * vm.dispose(); // frees the rebuilt graph, not `gm`
 * ```
 * @param model a `tfc.GraphModel` with an image input `[-1, h, w, 3]`.
 * @param options `{ inputRange (required), inputName, channelOrder = 'RGB', labels, probeSize = [64, 64] }`.
 * @returns a VisModel; its `dispose()` frees the unfused copy of the graph (never `model`).
 */
export async function fromGraphModel(model: GraphModelLike, options: GraphModelOptions): Promise<VisModel> {
  const fn = 'model.fromGraphModel';
  if (!(model instanceof tfc.GraphModel)) {
    fail(fn, `model must be a tf.GraphModel (from tf.loadGraphModel), but got ${show(model)}.`);
  }
  const { range, inputRange, channelOrder, labels } = parseCommonOptions(fn, options, [...VIS_OPTION_KEYS, ...GRAPH_OPTION_KEYS]);
  const inputs = model.inputs;
  const inputNames = inputs.map((i) => i.name);
  let inputName = options.inputName;
  if (inputName === undefined) {
    if (inputs.length !== 1) {
      fail(fn, `inputName must name the image input of a model with ${inputs.length} inputs (${inputNames.map((n) => `'${n}'`).join(', ')}), but got undefined.`);
    }
    inputName = inputNames[0];
  } else if (!inputNames.includes(inputName)) {
    fail(fn, `inputName must be one of the model's inputs (${inputNames.map((n) => `'${n}'`).join(', ')}), but got ${show(inputName)}.${didYouMean(inputName, inputNames)}`);
  }
  const info = inputs[inputNames.indexOf(inputName)];
  const shape = info.shape ?? [-1, -1, -1, 3];
  if (shape.length !== 4 || shape[3] !== 3) {
    fail(fn, `model input ${show(inputName)} must have shape [batch, height, width, 3] (an RGB image), but got ${show(shape)}.`);
  }
  const dim = (d: number): number | null => (d === null || d === undefined || d < 0 ? null : d);
  const imageShape = [dim(shape[1]), dim(shape[2]), 3] as const;
  const probe = options.probeSize ?? [64, 64];
  if (!Array.isArray(probe) || probe.length !== 2 || !probe.every((v) => Number.isInteger(v) && v > 0)) {
    fail(fn, `probeSize must be [height, width] with positive integers, but got ${show(probe)}.`);
  }

  // Rebuild the graph without fused ops (when the model's artifacts are available).
  const artifacts = await captureArtifacts(model);
  type AnyGraphModel = { execute: tfc.GraphModel['execute']; dispose(): void };
  let exec: AnyGraphModel = model;
  let owned: AnyGraphModel | null = null;
  let topoNodes: GraphNode[] = [];
  let internal = new Set<string>();
  const topo = artifacts?.modelTopology as { node?: GraphNode[] } | undefined;
  let unfused: ReturnType<typeof unfuseGraphTopology> | undefined;
  let rebuilt: tfc.GraphModel | undefined;
  if (artifacts && topo && Array.isArray(topo.node) && artifacts.weightData !== undefined) {
    try {
      unfused = unfuseGraphTopology(topo);
      // Frees the decoded weights if the rebuilt graph cannot be loaded.
      rebuilt = graphModelFromArtifacts({ ...artifacts, modelTopology: unfused.topology });
    } catch {
      // A graph tfjs loads but whose split form it cannot (malformed node inputs): use it as it is.
      rebuilt = undefined;
    }
  }
  if (rebuilt && unfused) {
    owned = rebuilt;
    exec = rebuilt;
    topoNodes = unfused.topology.node;
    internal = new Set(unfused.internalNames);
  } else if (topo && Array.isArray(topo.node)) {
    topoNodes = topo.node;
  }

  // Probe every candidate node once for shapes.
  const candidates = topoOrder(topoNodes).filter(
    (n) => !internal.has(n.name) && (!NON_LAYER_OPS.has(n.op) || n.name.endsWith(PREACT_SUFFIX)) && n.name !== inputName,
  );
  const opByName = new Map(topoNodes.map((n) => [n.name, n.op]));
  const layers: LayerInfo[] = [];
  try {
    tf.tidy(() => {
      const [ph, pw] = [imageShape[0] ?? probe[0], imageShape[1] ?? probe[1]];
      const zero = tf.zeros([1, ph, pw, 3]);
      const names = candidates.map((c) => c.name);
      const outs = names.length === 0 ? [] : (exec.execute({ [inputName as string]: zero }, names) as tf.Tensor | tf.Tensor[]);
      const arr = Array.isArray(outs) ? outs : [outs];
      arr.forEach((t, i) => {
        if (t.dtype !== 'float32' || (t.rank !== 4 && t.rank !== 2)) return;
        const s: (number | null)[] = [null, ...t.shape.slice(1)];
        if (t.rank === 4) {
          if (imageShape[0] === null) s[1] = null;
          if (imageShape[1] === null) s[2] = null;
        }
        const name = names[i];
        layers.push(Object.freeze({ name, shape: Object.freeze(s), depth: t.shape[t.rank - 1], kind: opByName.get(name) ?? 'unknown' }));
      });
    });
  } catch (e) {
    owned?.dispose();
    fail(fn, `model must run on a ${imageShape[0] ?? probe[0]}×${imageShape[1] ?? probe[1]} image with execute() (no control flow), but it failed: ${(e as Error).message}`);
  }
  const { layer: layerInfo, requestedLayers } = layerIndex(layers);

  let disposed = false;
  const activations = (image: tf.Tensor4D, requested: readonly string[]): Map<string, tf.Tensor> => {
    const wanted = requestedLayers(disposed, image, requested);
    const out = tf.tidy(() => {
      const x = toModelInput(image, range, channelOrder);
      let res: tf.Tensor | tf.Tensor[];
      try {
        res = exec.execute({ [inputName as string]: x }, wanted);
      } catch (e) {
        throw sizeError('VisModel.activations', e, wanted.join(', '), image.shape, imageShape);
      }
      return distinctOutputs(Array.isArray(res) ? res : [res], image);
    });
    return new Map(wanted.map((n, i) => [n, out[i]]));
  };

  return assembleVisModel({ inputRange, imageShape, channelOrder, labels, layers, activations }, layerInfo, () => {
    disposed = true;
    owned?.dispose();
  });
}

import * as tf from '@tensorflow/tfjs-core';
import * as tfc from '@tensorflow/tfjs-converter';
import '../ops/registerGradients';
import { didYouMean, fail, show } from '../errors';
import { distinctOutputs } from './distinctOutputs';
import { assembleVisModel, frozenLayerInfo, layerIndex, PREACT_SUFFIX } from './layerIndex';
import { GRAPH_OPTION_KEYS, parseCommonOptions, toModelInput, VIS_OPTION_KEYS } from './inputRange';
import { sizeError } from './layersModel';
import { reluRedirectActive } from '../ops/reluRedirect';
import { withStepMaskGradients } from '../ops/reluVariants';
import { graphModelFromArtifacts } from './loadArtifacts';
import { unfuseGraphTopology, type GraphNode } from './unfuseGraph';
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

/** The image input of {@link fromGraphModel}'s model, checked: its name and the image size it declares. */
function graphImageInput(fn: string, model: tfc.GraphModel, inputName: string | undefined) {
  const inputs = model.inputs;
  const inputNames = inputs.map((i) => i.name);
  const listed = inputNames.map((n) => `'${n}'`).join(', ');
  if (inputName === undefined) {
    if (inputs.length !== 1) fail(fn, `inputName must name the image input of a model with ${inputs.length} inputs (${listed}), but got undefined.`);
    inputName = inputNames[0];
  } else if (!inputNames.includes(inputName)) {
    fail(fn, `inputName must be one of the model's inputs (${listed}), but got ${show(inputName)}.${didYouMean(inputName, inputNames)}`);
  }
  const shape = inputs[inputNames.indexOf(inputName)].shape ?? [-1, -1, -1, 3];
  if (shape.length !== 4 || shape[3] !== 3) {
    fail(fn, `model input ${show(inputName)} must have shape [batch, height, width, 3] (an RGB image), but got ${show(shape)}.`);
  }
  const dim = (d: number): number | null => (d === null || d === undefined || d < 0 ? null : d);
  return { inputName, imageShape: [dim(shape[1]), dim(shape[2]), 3] as const };
}

/** The checked `probeSize` option (default `[64, 64]`). */
function checkProbeSize(fn: string, probe: readonly [number, number] = [64, 64]): readonly [number, number] {
  if (!Array.isArray(probe) || probe.length !== 2 || !probe.every((v) => Number.isInteger(v) && v > 0)) {
    fail(fn, `probeSize must be [height, width] with positive integers, but got ${show(probe)}.`);
  }
  return probe;
}

/** What the adapter runs: the unfused copy of the graph when it could be built, else the user's model. */
interface RunnableGraph {
  readonly exec: { execute: tfc.GraphModel['execute'] };
  /** The copy the adapter built and must dispose, if any. */
  readonly owned: { dispose(): void } | null;
  /** The graph's nodes (empty when the model's artifacts cannot be read). */
  readonly nodes: readonly GraphNode[];
  /** Nodes created by unfusing that are not listed as layers. */
  readonly internal: ReadonlySet<string>;
}

/** The graph of `topology` with its fused ops split, loaded with the model's weights; `undefined` when that fails. */
function rebuildUnfused(artifacts: tf.io.ModelArtifacts, topology: object) {
  try {
    const unfused = unfuseGraphTopology(topology);
    // Frees the decoded weights if the rebuilt graph cannot be loaded.
    return { unfused, rebuilt: graphModelFromArtifacts({ ...artifacts, modelTopology: unfused.topology }) };
  } catch {
    // A graph tfjs loads but whose split form it cannot (malformed node inputs): use it as it is.
    return undefined;
  }
}

/** Rebuilds `model` without fused ops from its own artifacts (when they can be read); see {@link RunnableGraph}. */
async function runnableGraph(model: tfc.GraphModel): Promise<RunnableGraph> {
  const artifacts = await captureArtifacts(model);
  const topo = artifacts?.modelTopology as { node?: GraphNode[] } | undefined;
  const nodes = topo && Array.isArray(topo.node) ? topo.node : undefined;
  const built = artifacts && nodes && artifacts.weightData !== undefined ? rebuildUnfused(artifacts, topo as object) : undefined;
  if (built) return { exec: built.rebuilt, owned: built.rebuilt, nodes: built.unfused.topology.node, internal: new Set(built.unfused.internalNames) };
  return { exec: model, owned: null, nodes: nodes ?? [], internal: new Set() };
}

/** The nodes listed as layers, in topological order: every op's output but plumbing, internal nodes and the input. */
function layerCandidates(graph: RunnableGraph, inputName: string): string[] {
  return topoOrder(graph.nodes)
    .filter((n) => !graph.internal.has(n.name) && (!NON_LAYER_OPS.has(n.op) || n.name.endsWith(PREACT_SUFFIX)) && n.name !== inputName)
    .map((n) => n.name);
}

/**
 * The layer list: every candidate node's shape, read from one run on a zero image of the declared
 * size (or `probe` where the model accepts any). Float32 outputs of rank 4 or 2 are listed.
 */
function probeLayers(graph: RunnableGraph, inputName: string, imageShape: readonly [number | null, number | null, 3], probe: readonly [number, number]): LayerInfo[] {
  const opByName = new Map(graph.nodes.map((n) => [n.name, n.op]));
  const names = layerCandidates(graph, inputName);
  const layers: LayerInfo[] = [];
  tf.tidy(() => {
    const zero = tf.zeros([1, imageShape[0] ?? probe[0], imageShape[1] ?? probe[1], 3]);
    const outs = names.length === 0 ? [] : (graph.exec.execute({ [inputName]: zero }, names) as tf.Tensor | tf.Tensor[]);
    (Array.isArray(outs) ? outs : [outs]).forEach((t, i) => {
      if (t.dtype !== 'float32' || (t.rank !== 4 && t.rank !== 2)) return;
      const s: (number | null)[] = [null, ...t.shape.slice(1)];
      if (t.rank === 4) {
        if (imageShape[0] === null) s[1] = null;
        if (imageShape[1] === null) s[2] = null;
      }
      layers.push(frozenLayerInfo(names[i], s, t.shape[t.rank - 1], opByName.get(names[i]) ?? 'unknown'));
    });
  });
  return layers;
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
  const { inputName, imageShape } = graphImageInput(fn, model, options.inputName);
  const probe = checkProbeSize(fn, options.probeSize);
  const graph = await runnableGraph(model);
  let layers: LayerInfo[] = [];
  try {
    layers = probeLayers(graph, inputName, imageShape, probe);
  } catch (e) {
    graph.owned?.dispose();
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
        // Relu6 / LeakyRelu gradients from step masks (the same numbers, no slow comparisons on
        // wasm), except while Lucid's redirected ReLU gradient owns Relu6.
        const run = (): tf.Tensor | tf.Tensor[] => graph.exec.execute({ [inputName]: x }, wanted);
        res = reluRedirectActive() ? run() : withStepMaskGradients(run);
      } catch (e) {
        throw sizeError('VisModel.activations', e, wanted.join(', '), image.shape, imageShape);
      }
      return distinctOutputs(Array.isArray(res) ? res : [res], image);
    });
    return new Map(wanted.map((n, i) => [n, out[i]]));
  };

  return assembleVisModel({ inputRange, imageShape, channelOrder, labels, layers, activations }, layerInfo, () => {
    disposed = true;
    graph.owned?.dispose();
  });
}

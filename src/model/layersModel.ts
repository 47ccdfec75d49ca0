import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import '../ops/registerGradients';
import { fail, OptvisError, show } from '../errors';
import { distinctOutputs } from './distinctOutputs';
import { assembleVisModel, frozenLayerInfo, layerIndex, PREACT_SUFFIX } from './layerIndex';
import { planLayer, runConvChain, type LayerPlan, type Run } from './layerPlan';
import type { BatchNormParams } from '../ops/batchNormInference';
import { reluRedirectActive } from '../ops/reluRedirect';
import { parseCommonOptions, toModelInput } from './inputRange';
import type { InputRange, LayerInfo, LayersModelLike, VisModel } from './types';

/** Options of {@link fromLayersModel}. */
export interface LayersModelOptions {
  /** REQUIRED: the value range the model expects its input pixels in (see {@link InputRange}). */
  inputRange: InputRange;
  /** Channel order the model expects; images are always given as RGB. Default `'RGB'`. */
  channelOrder?: 'RGB' | 'BGR';
  /** Class names of the output layer (for `objectives.classLogit` by name). */
  labels?: readonly string[];
}

type Sym = tfl.SymbolicTensor;

/** One layer node of the model in the forward pass: the tensors it reads and writes, and how it runs. */
interface Step {
  readonly layer: tfl.layers.Layer;
  readonly inputIds: readonly number[];
  readonly outputIds: readonly number[];
  readonly run: Run;
  /** Name of the `/preact` entry this step provides, if any. */
  readonly preactName?: string;
  /** See {@link LayerPlan.conv}. */
  readonly conv?: LayerPlan['conv'];
  /** See {@link LayerPlan.batchNorm}. */
  readonly batchNorm?: LayerPlan['batchNorm'];
  /** For a fusable convolution: the batch norm step that alone reads its output. */
  bnAfter?: number;
  /** For a fusable convolution: the plain ReLU step that alone reads its output, or the batch norm's. */
  reluAfter?: number;
}

/** A LayersModel as the adapter runs it: its layer nodes in order, and the layers it lists. */
interface ForwardPlan {
  /** Id of the image input's symbolic tensor. */
  readonly inputId: number;
  /** The layer nodes of the model, in order, each computable from the ones before it. */
  readonly steps: readonly Step[];
  /** The symbolic tensor id of each listed (non-`/preact`) layer's first output. */
  readonly outputIdByName: ReadonlyMap<string, number>;
  readonly layers: readonly LayerInfo[];
}

/** The checked model input and options of {@link fromLayersModel}. */
function checkLayersModel(fn: string, model: LayersModelLike, options: LayersModelOptions) {
  if (!(model instanceof tfl.LayersModel)) {
    fail(fn, `model must be a tf.LayersModel (from tf.loadLayersModel, tf.model or tf.sequential), but got ${show(model)}.`);
  }
  const common = parseCommonOptions(fn, options);
  if (model.inputs.length !== 1) {
    fail(fn, `model must have exactly one input (the image), but got ${model.inputs.length} inputs (${model.inputs.map((i) => i.name).join(', ')}).`);
  }
  const input = model.inputs[0];
  const ishape = input.shape;
  if (ishape.length !== 4 || ishape[3] !== 3) {
    fail(fn, `model input must have shape [batch, height, width, 3] (an RGB image), but got ${show(ishape)}.`);
  }
  return { ...common, model, inputId: input.id, imageShape: [ishape[1], ishape[2], 3] as const };
}

function toShape(s: tfl.Shape | tfl.Shape[]): (number | null)[] {
  const first = Array.isArray(s[0]) || (s.length > 0 && s[0] !== null && typeof s[0] === 'object') ? (s as tfl.Shape[])[0] : (s as tfl.Shape);
  return [...first];
}

/** The entries a layer adds to the layer list: its `/preact` value (if any), then its output. */
function listedLayers(layer: tfl.layers.Layer, preactName: string | undefined): LayerInfo[] {
  const shape = toShape(layer.outputShape);
  const depth = shape.length > 1 ? shape[shape.length - 1] : null;
  const own = frozenLayerInfo(layer.name, shape, depth, layer.getClassName());
  return preactName ? [frozenLayerInfo(preactName, shape, depth, `${layer.getClassName()}:preact`), own] : [own];
}

/** Plans the forward pass: every layer node whose inputs are known, in the model's layer order. */
function planForward(model: tfl.LayersModel, inputId: number): ForwardPlan {
  const known = new Set<number>([inputId]);
  const steps: Step[] = [];
  const outputIdByName = new Map<string, number>();
  const layers: LayerInfo[] = [];
  const plainReluSteps = new Set<number>();
  for (const layer of model.layers) {
    if (layer.getClassName() === 'InputLayer') continue;
    for (const node of layer.inboundNodes) {
      const ins = node.inputTensors as Sym[];
      if (!ins.every((t) => known.has(t.id))) continue;
      const outs = node.outputTensors as Sym[];
      const first = !outputIdByName.has(layer.name);
      const { run, fusedActivation, conv, batchNorm, plainRelu } = planLayer(layer);
      const preactName = first && fusedActivation ? `${layer.name}${PREACT_SUFFIX}` : undefined;
      steps.push({ layer, inputIds: ins.map((t) => t.id), outputIds: outs.map((t) => t.id), run, preactName, conv, batchNorm });
      if (plainRelu) plainReluSteps.add(steps.length - 1);
      for (const t of outs) known.add(t.id);
      if (first) {
        layers.push(...listedLayers(layer, preactName));
        outputIdByName.set(layer.name, outs[0].id);
      }
    }
  }
  markConvChains(steps, plainReluSteps);
  return { inputId, steps, outputIdByName, layers };
}

/**
 * Marks each fusable convolution's chain: the batch norm step that alone reads its output
 * (`bnAfter`), then the plain ReLU step that alone reads the last of them (`reluAfter`).
 */
function markConvChains(steps: Step[], plainReluSteps: ReadonlySet<number>): void {
  const readers = new Map<number, number[]>();
  steps.forEach((s, i) => s.inputIds.forEach((id) => readers.set(id, [...(readers.get(id) ?? []), i])));
  const soleReader = (s: Step): number | undefined => {
    const r = s.outputIds.length === 1 ? (readers.get(s.outputIds[0]) ?? []) : [];
    return r.length === 1 && steps[r[0]].inputIds.length === 1 ? r[0] : undefined;
  };
  steps.forEach((s) => {
    if (!s.conv) return;
    let last = s;
    const bn = soleReader(s);
    if (bn !== undefined && steps[bn].batchNorm) {
      s.bnAfter = bn;
      last = steps[bn];
    }
    const relu = soleReader(last);
    if (relu !== undefined && plainReluSteps.has(relu)) s.reluAfter = relu;
  });
}

/**
 * Runs step `i` (a fusable convolution) with as much of its chain as nothing else needs: the batch
 * norm when the convolution's own output is not wanted, then the ReLU when the value before it is
 * not wanted and Lucid's redirected ReLU gradient is not in force. Returns the steps it ran (the
 * convolution first), or `undefined` when the chain has nothing to add.
 */
function runChain(plan: ForwardPlan, i: number, needed: readonly boolean[], wantedIds: ReadonlySet<number | undefined>, values: Map<number, tf.Tensor>): number[] | undefined {
  const s = plan.steps[i];
  if (!s.conv) return undefined;
  const ran = [i];
  const bnStep = s.bnAfter !== undefined && needed[s.bnAfter] && !wantedIds.has(s.outputIds[0]) ? s.bnAfter : undefined;
  if (bnStep !== undefined) ran.push(bnStep);
  const before = plan.steps[ran[ran.length - 1]];
  const joinsRelu = s.reluAfter !== undefined && needed[s.reluAfter] && plan.steps[s.reluAfter].inputIds[0] === before.outputIds[0];
  if (joinsRelu && !wantedIds.has(before.outputIds[0]) && !reluRedirectActive()) ran.push(s.reluAfter as number);
  if (ran.length === 1) return undefined;
  const bn = bnStep === undefined ? undefined : (plan.steps[bnStep].batchNorm as () => BatchNormParams)();
  const y = runConvChain(values.get(s.inputIds[0]) as tf.Tensor4D, s.conv, bn, ran[ran.length - 1] === s.reluAfter);
  values.set(plan.steps[ran[ran.length - 1]].outputIds[0], y);
  return ran;
}

/** Which steps the `wanted` layers depend on (a flag per step). */
function neededSteps(plan: ForwardPlan, wanted: readonly string[]): boolean[] {
  const needIds = new Set<number>();
  const needPreact = new Set<string>();
  for (const n of wanted) {
    if (n.endsWith(PREACT_SUFFIX) && !plan.outputIdByName.has(n)) needPreact.add(n);
    else needIds.add(plan.outputIdByName.get(n) as number);
  }
  const needed = new Array<boolean>(plan.steps.length).fill(false);
  for (let i = plan.steps.length - 1; i >= 0; i--) {
    const s = plan.steps[i];
    if (s.outputIds.some((id) => needIds.has(id)) || (s.preactName !== undefined && needPreact.has(s.preactName))) {
      needed[i] = true;
      for (const id of s.inputIds) needIds.add(id);
    }
  }
  return needed;
}

/**
 * Runs the needed steps on the model input `x` and returns the `wanted` layers' values (call inside
 * `tf.tidy`). A step that fails becomes {@link sizeError} for an image of `imageShape`.
 */
function runSteps(
  plan: ForwardPlan,
  needed: readonly boolean[],
  x: tf.Tensor,
  wanted: readonly string[],
  imageShape: readonly number[],
  declared: readonly [number | null, number | null, number],
): tf.Tensor[] {
  const values = new Map<number, tf.Tensor>([[plan.inputId, x]]);
  const preacts = new Map<string, tf.Tensor>();
  const wantedNames = new Set(wanted);
  const wantedIds = new Set(wanted.map((n) => plan.outputIdByName.get(n)));
  const done = new Set<number>();
  plan.steps.forEach((s, i) => {
    if (!needed[i] || done.has(i)) return;
    try {
      // A convolution with the batch norm and/or ReLU that alone read it, as one op.
      const chain = runChain(plan, i, needed, wantedIds, values);
      if (chain) {
        for (const j of chain) done.add(j);
        return;
      }
      const res = s.run(s.inputIds.map((id) => values.get(id) as tf.Tensor), s.preactName !== undefined && wantedNames.has(s.preactName));
      s.outputIds.forEach((id, k) => values.set(id, res.out[k]));
      if (s.preactName !== undefined && res.preact) preacts.set(s.preactName, res.preact);
    } catch (e) {
      throw sizeError('VisModel.activations', e, s.layer.name, imageShape, declared);
    }
  });
  return wanted.map((n) => preacts.get(n) ?? (values.get(plan.outputIdByName.get(n) as number) as tf.Tensor));
}

/**
 * Sees a tfjs-layers model (functional or Sequential) as a {@link VisModel}: its layers by name, in
 * graph order, and their activations on [0, 1] RGB images in one forward pass.
 *
 * Why: Lucid renders against a frozen graph where every op's output can be fetched; a LayersModel
 * only exposes its outputs. We walk its layer graph ourselves, computing only what the requested
 * layers depend on, with BatchNorm and Dropout in inference mode. tfjs-layers' fused convolutions
 * always compute the filter gradient under a tape (~20× slower input gradients on cpu, a failure on
 * wasm); here a convolution, its bias and its ReLU (its own, or a ReLU layer that alone reads it)
 * run as one fused kernel with an input-only gradient when nothing asks for the values in between,
 * and as separate ops otherwise (see layerPlan.ts for every layer kind). For layers
 * with a fused activation (e.g. `Conv2D({activation: 'relu'})`), the value before the activation is
 * available as `'<layer>/preact'` (Lucid's `..._pre_relu` tensors). The user's model is never
 * modified: its weights are read, not copied.
 *
 * A model declared with a fixed input size (e.g. 224) is run at whatever size the image has; when a
 * layer cannot take that size (e.g. `Flatten` before `Dense`), the error says which size the model
 * needs.
 *
 * Async like {@link fromGraphModel} and {@link visModel}: every model adapter returns a Promise and
 * reports bad arguments as a rejection, so callers need not know which kind of model they hold.
 *
 * Port of the model side of `lucid.modelzoo.vision_base.Model` (`import_graph` + `T(layer)`).
 *
 * @example
 * ```ts
 * const vm = await fromLayersModel(keras, { inputRange: [-1, 1] });
 * vm.layers.map((l) => l.name); // ['conv1', 'conv1/preact', ...]
 * const acts = vm.activations(image01, ['conv1']); // Map { 'conv1' => Tensor4D }
 * ```
 * @param model a `tf.LayersModel` with one image input `[null, h, w, 3]` (h, w may be null).
 * @param options `{ inputRange (required), channelOrder = 'RGB', labels }`.
 * @returns a Promise of a VisModel that reads the model's weights; its `dispose()` frees nothing of the model.
 */
export async function fromLayersModel(model: LayersModelLike, options: LayersModelOptions): Promise<VisModel> {
  const { model: net, inputId, range, inputRange, channelOrder, labels, imageShape } = checkLayersModel('model.fromLayersModel', model, options);
  const plan = planForward(net, inputId);
  const { layer: layerInfo, requestedLayers } = layerIndex(plan.layers);

  let disposed = false;
  const activations = (image: tf.Tensor4D, requested: readonly string[]): Map<string, tf.Tensor> => {
    const wanted = requestedLayers(disposed, image, requested);
    const needed = neededSteps(plan, wanted);
    const out = tf.tidy(() => {
      const tensors = runSteps(plan, needed, toModelInput(image, range, channelOrder), wanted, image.shape, imageShape);
      return distinctOutputs(tensors, image);
    });
    return new Map(wanted.map((n, i) => [n, out[i]]));
  };

  return assembleVisModel({ inputRange, imageShape, channelOrder, labels, layers: plan.layers, activations }, layerInfo, () => {
    disposed = true;
  });
}

/** Turns a failure inside the forward pass into a clear error (naming the size the model needs). */
export function sizeError(
  where: string,
  e: unknown,
  layerName: string,
  shape: readonly number[],
  declared: readonly [number | null, number | null, number],
): Error {
  if (e instanceof OptvisError) return e;
  const msg = e instanceof Error ? e.message : String(e);
  const [h, w] = [shape[1], shape[2]];
  const [dh, dw] = declared;
  if ((dh !== null && dh !== h) || (dw !== null && dw !== w)) {
    return new OptvisError(
      where,
      `image must be ${dh ?? 'any'}×${dw ?? 'any'} pixels (the model's input size; layer "${layerName}" cannot take other sizes), ` +
        `but got ${h}×${w}. Resize or crop the image to the model's size. (${msg})`,
    );
  }
  return new OptvisError(where, `layer "${layerName}" must accept the image, but it failed on an image of ${h}×${w} pixels: ${msg}`);
}

import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import '../ops/registerGradients';
import { fail, OptvisError, show } from '../errors';
import { distinctOutputs } from './distinctOutputs';
import { assembleVisModel, layerIndex } from './layerIndex';
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

/** Suffix of the pre-activation entries of layers whose activation tfjs-layers fuses into the op. */
export const PREACT_SUFFIX = '/preact';

type Sym = tfl.SymbolicTensor;
type Run = (inputs: tf.Tensor[]) => { out: tf.Tensor[]; preact?: tf.Tensor };

interface Step {
  readonly layer: tfl.layers.Layer;
  readonly inputIds: readonly number[];
  readonly outputIds: readonly number[];
  readonly run: Run;
  /** Name of the `/preact` entry this step provides, if any. */
  readonly preactName?: string;
}

interface LayerConfigLike {
  strides?: number | number[];
  padding?: string;
  dataFormat?: string;
  dilationRate?: number | number[];
  activation?: string;
  useBias?: boolean;
  axis?: number | number[];
  epsilon?: number;
  center?: boolean;
  scale?: boolean;
}

const pair = (v: number | number[] | undefined, d = 1): [number, number] =>
  v === undefined ? [d, d] : typeof v === 'number' ? [v, v] : [v[0], v[v.length > 1 ? 1 : 0]];

function weightBySuffix(layer: tfl.layers.Layer, suffix: string): tfl.LayerVariable | undefined {
  return layer.weights.find((w) => (w.originalName ?? w.name).endsWith(suffix));
}

const read = (v: tfl.LayerVariable): tf.Tensor => v.read();

/** The layer's own activation as a function of a tensor, or null for linear/none. */
function activationOf(cfg: LayerConfigLike): ((x: tf.Tensor) => tf.Tensor) | null {
  const name = cfg.activation;
  if (name === undefined || name === null || name === 'linear') return null;
  const layer = tfl.layers.activation({ activation: name as 'relu' });
  return (x) => layer.apply(x) as tf.Tensor;
}

/**
 * How one layer runs during our forward pass. Convolutions and Dense are run as separate
 * conv / bias / activation ops (tfjs-layers fuses them into `fused.conv2d`/`fused.matMul`, whose
 * gradients always compute filter gradients: 20× slower input gradients on cpu, and no
 * `Conv2DBackpropFilter` on wasm); BatchNormalization is computed from its moving statistics with
 * plain ops (tfjs's `batchNorm` gradient fails when `scale: false`). Everything else runs through
 * `layer.apply(x, { training: false })`.
 */
function planLayer(layer: tfl.layers.Layer): { run: Run; fusedActivation: boolean } {
  const cls = layer.getClassName();
  const cfg = layer.getConfig() as LayerConfigLike;
  const channelsLast = cfg.dataFormat === undefined || cfg.dataFormat === 'channelsLast';
  const padOk = cfg.padding === 'same' || cfg.padding === 'valid';
  const fallback: Run = (ins) => {
    const out = layer.apply(ins.length === 1 ? ins[0] : ins, { training: false }) as tf.Tensor | tf.Tensor[];
    return { out: Array.isArray(out) ? out : [out] };
  };
  const withBiasAndActivation = (pre: (x: tf.Tensor) => tf.Tensor): { run: Run; fusedActivation: boolean } => {
    const bias = cfg.useBias === false ? undefined : weightBySuffix(layer, 'bias');
    const act = activationOf(cfg);
    return {
      fusedActivation: act !== null,
      run: (ins) => {
        let p = pre(ins[0]);
        if (bias) p = tf.add(p, read(bias));
        return act ? { out: [act(p)], preact: p } : { out: [p] };
      },
    };
  };
  if (cls === 'Conv2D' && channelsLast && padOk) {
    const k = weightBySuffix(layer, 'kernel');
    if (k) {
      return withBiasAndActivation((x) =>
        tf.conv2d(x as tf.Tensor4D, read(k) as tf.Tensor4D, pair(cfg.strides), cfg.padding as 'same', 'NHWC', pair(cfg.dilationRate)),
      );
    }
  }
  if (cls === 'DepthwiseConv2D' && channelsLast && padOk) {
    const k = weightBySuffix(layer, 'depthwise_kernel');
    if (k) {
      return withBiasAndActivation((x) =>
        tf.depthwiseConv2d(x as tf.Tensor4D, read(k) as tf.Tensor4D, pair(cfg.strides), cfg.padding as 'same', 'NHWC', pair(cfg.dilationRate)),
      );
    }
  }
  if (cls === 'SeparableConv2D' && channelsLast && padOk) {
    const dk = weightBySuffix(layer, 'depthwise_kernel');
    const pk = weightBySuffix(layer, 'pointwise_kernel');
    if (dk && pk) {
      return withBiasAndActivation((x) =>
        tf.separableConv2d(x as tf.Tensor4D, read(dk) as tf.Tensor4D, read(pk) as tf.Tensor4D, pair(cfg.strides), cfg.padding as 'same', pair(cfg.dilationRate), 'NHWC'),
      );
    }
  }
  if (cls === 'Dense') {
    const k = weightBySuffix(layer, 'kernel');
    if (k) {
      return withBiasAndActivation((x) => {
        const kernel = read(k) as tf.Tensor2D;
        if (x.rank === 2) return tf.matMul(x as tf.Tensor2D, kernel);
        const lead = x.shape.slice(0, -1);
        const flat = tf.reshape(x, [-1, x.shape[x.rank - 1]]) as tf.Tensor2D;
        return tf.reshape(tf.matMul(flat, kernel), [...lead, kernel.shape[1]]);
      });
    }
  }
  if (cls === 'BatchNormalization') {
    const mean = weightBySuffix(layer, 'moving_mean');
    const variance = weightBySuffix(layer, 'moving_variance');
    const gamma = cfg.scale === false ? undefined : weightBySuffix(layer, 'gamma');
    const beta = cfg.center === false ? undefined : weightBySuffix(layer, 'beta');
    const axes = Array.isArray(cfg.axis) ? cfg.axis : [cfg.axis ?? -1];
    if (mean && variance && axes.length === 1) {
      const eps = cfg.epsilon ?? 1e-3;
      return {
        fusedActivation: false,
        run: (ins) => {
          const x = ins[0];
          const axis = axes[0] < 0 ? x.rank + axes[0] : axes[0];
          const shape = x.shape.map((d, i) => (i === axis ? d : 1));
          const param = (v: tfl.LayerVariable): tf.Tensor => (axis === x.rank - 1 ? read(v) : tf.reshape(read(v), shape));
          let mul = tf.rsqrt(tf.add(param(variance), eps));
          if (gamma) mul = tf.mul(mul, param(gamma));
          let y = tf.mul(tf.sub(x, param(mean)), mul);
          if (beta) y = tf.add(y, param(beta));
          return { out: [y] };
        },
      };
    }
  }
  return { run: fallback, fusedActivation: false };
}

function toShape(s: tfl.Shape | tfl.Shape[]): (number | null)[] {
  const first = Array.isArray(s[0]) || (s.length > 0 && s[0] !== null && typeof s[0] === 'object') ? (s as tfl.Shape[])[0] : (s as tfl.Shape);
  return [...first];
}

/**
 * Sees a tfjs-layers model (functional or Sequential) as a {@link VisModel}: its layers by name, in
 * graph order, and their activations on [0, 1] RGB images in one forward pass.
 *
 * Why: Lucid renders against a frozen graph where every op's output can be fetched; a LayersModel
 * only exposes its outputs. We walk its layer graph ourselves, computing only what the requested
 * layers depend on, with BatchNorm and Dropout in inference mode. Convolutions and Dense layers are
 * run unfused (conv, bias add, activation as separate ops): a fused convolution with a linear
 * activation (the usual conv + BatchNorm block) stays fused under gradients and always computes the
 * filter gradient, which makes input gradients ~20× slower on cpu and fails on wasm. For layers
 * with a fused activation (e.g. `Conv2D({activation: 'relu'})`), the value before the activation is
 * available as `'<layer>/preact'` (Lucid's `..._pre_relu` tensors). The user's model is never
 * modified: its weights are read, not copied.
 *
 * A model declared with a fixed input size (e.g. 224) is run at whatever size the image has; when a
 * layer cannot take that size (e.g. `Flatten` before `Dense`), the error says which size the model
 * needs.
 *
 * Port of the model side of `lucid.modelzoo.vision_base.Model` (`import_graph` + `T(layer)`).
 *
 * @example
 * ```ts
 * const vm = fromLayersModel(keras, { inputRange: [-1, 1] });
 * vm.layers.map((l) => l.name); // ['conv1', 'conv1/preact', ...]
 * const acts = vm.activations(image01, ['conv1']); // Map { 'conv1' => Tensor4D }
 * ```
 * @param model a `tf.LayersModel` with one image input `[null, h, w, 3]` (h, w may be null).
 * @param options `{ inputRange (required), channelOrder = 'RGB', labels }`.
 * @returns a VisModel that reads the model's weights; its `dispose()` frees nothing of the model.
 */
export function fromLayersModel(model: LayersModelLike, options: LayersModelOptions): VisModel {
  const fn = 'model.fromLayersModel';
  if (!(model instanceof tfl.LayersModel)) {
    fail(fn, `model must be a tf.LayersModel (from tf.loadLayersModel, tf.model or tf.sequential), but got ${show(model)}.`);
  }
  const { range, inputRange, channelOrder, labels } = parseCommonOptions(fn, options);
  if (model.inputs.length !== 1) {
    fail(fn, `model must have exactly one input (the image), but got ${model.inputs.length} inputs (${model.inputs.map((i) => i.name).join(', ')}).`);
  }
  const input = model.inputs[0];
  const ishape = input.shape;
  if (ishape.length !== 4 || ishape[3] !== 3) {
    fail(fn, `model input must have shape [batch, height, width, 3] (an RGB image), but got ${show(ishape)}.`);
  }
  const imageShape = [ishape[1], ishape[2], 3] as const;

  // Plan: the layer nodes of this model, in order, each computable from the ones before it.
  const known = new Set<number>([input.id]);
  const steps: Step[] = [];
  const outputIdByName = new Map<string, number>();
  const layers: LayerInfo[] = [];
  for (const layer of model.layers) {
    if (layer.getClassName() === 'InputLayer') continue;
    for (const node of layer.inboundNodes) {
      const ins = node.inputTensors as Sym[];
      if (!ins.every((t) => known.has(t.id))) continue;
      const outs = node.outputTensors as Sym[];
      const first = !outputIdByName.has(layer.name);
      const { run, fusedActivation } = planLayer(layer);
      const preactName = first && fusedActivation ? `${layer.name}${PREACT_SUFFIX}` : undefined;
      steps.push({ layer, inputIds: ins.map((t) => t.id), outputIds: outs.map((t) => t.id), run, preactName });
      for (const t of outs) known.add(t.id);
      if (first) {
        const shape = toShape(layer.outputShape);
        const depth = shape.length > 1 ? shape[shape.length - 1] : null;
        if (preactName) layers.push(Object.freeze({ name: preactName, shape: Object.freeze([...shape]), depth, kind: `${layer.getClassName()}:preact` }));
        layers.push(Object.freeze({ name: layer.name, shape: Object.freeze(shape), depth, kind: layer.getClassName() }));
        outputIdByName.set(layer.name, outs[0].id);
      }
    }
  }
  const { layer: layerInfo, requestedLayers } = layerIndex(layers);

  let disposed = false;
  const activations = (image: tf.Tensor4D, requested: readonly string[]): Map<string, tf.Tensor> => {
    const wanted = requestedLayers(disposed, image, requested);
    // Which steps the requested layers depend on.
    const needIds = new Set<number>();
    const needPreact = new Set<string>();
    for (const n of wanted) {
      if (n.endsWith(PREACT_SUFFIX) && !outputIdByName.has(n)) needPreact.add(n);
      else needIds.add(outputIdByName.get(n) as number);
    }
    const run = new Array<boolean>(steps.length).fill(false);
    for (let i = steps.length - 1; i >= 0; i--) {
      const s = steps[i];
      if (s.outputIds.some((id) => needIds.has(id)) || (s.preactName !== undefined && needPreact.has(s.preactName))) {
        run[i] = true;
        for (const id of s.inputIds) needIds.add(id);
      }
    }
    const out = tf.tidy(() => {
      const values = new Map<number, tf.Tensor>();
      const preacts = new Map<string, tf.Tensor>();
      values.set(input.id, toModelInput(image, range, channelOrder));
      for (let i = 0; i < steps.length; i++) {
        if (!run[i]) continue;
        const s = steps[i];
        let res: { out: tf.Tensor[]; preact?: tf.Tensor };
        try {
          res = s.run(s.inputIds.map((id) => values.get(id) as tf.Tensor));
        } catch (e) {
          throw sizeError('VisModel.activations', e, s.layer.name, image.shape, imageShape);
        }
        s.outputIds.forEach((id, k) => values.set(id, res.out[k]));
        if (s.preactName !== undefined && res.preact) preacts.set(s.preactName, res.preact);
      }
      const tensors = wanted.map((n) => preacts.get(n) ?? (values.get(outputIdByName.get(n) as number) as tf.Tensor));
      return distinctOutputs(tensors, image);
    });
    return new Map(wanted.map((n, i) => [n, out[i]]));
  };

  return assembleVisModel({ inputRange, imageShape, channelOrder, labels, layers, activations }, layerInfo, () => {
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

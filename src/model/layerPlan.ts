/**
 * How one tfjs-layers layer runs in the LayersModel adapter's forward pass (internal).
 *
 * The aim is the input gradient, computed with as few kernels as possible and no filter gradients:
 * - `Conv2D`: convolution, bias and a ReLU activation as one op with an input-only gradient
 *   ({@link convBiasRelu}; tfjs-layers' `fused.conv2d` computes filter gradients too: 20× slower
 *   input gradients on cpu, and no `Conv2DBackpropFilter` on wasm); the layer's other activations,
 *   and the value before the activation when it is asked for (`/preact`), as separate ops. A linear
 *   `Conv2D` or `DepthwiseConv2D` also takes in the batch norm and/or plain ReLU layers that alone
 *   read its output, unless their inputs are asked for ({@link runConvChain}, decided per call by
 *   layersModel.ts; the batch norm folded into the filter and bias, {@link foldBatchNorm});
 *   `DepthwiseConv2D` is run the same way as `Conv2D`;
 * - `SeparableConv2D`, `Dense`: op, bias and activation as separate ops;
 * - `BatchNormalization` otherwise: from its moving statistics ({@link batchNormInference};
 *   tfjs's `batchNorm` gradient fails when `scale: false`);
 * - `ReLU(max_value)`, `Activation('relu6')`, `LeakyReLU`: tfjs's values with exact step-mask
 *   gradients (src/ops/reluVariants.ts), several times cheaper on wasm;
 * - everything else through `layer.apply(x, { training: false })`.
 * While Lucid's redirected ReLU gradient is in force, every ReLU runs as tfjs's own ops.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { convBiasRelu } from '../ops/convBiasRelu';
import { cappedRelu, leakyRelu } from '../ops/reluVariants';
import { batchNormInference, type BatchNormParams } from '../ops/batchNormInference';
import { foldBatchNorm } from './foldBatchNorm';
import { reluRedirectActive } from '../ops/reluRedirect';

/**
 * One layer as a function of its input tensors: its outputs, and the value before a fused
 * activation. `wantPreact` says whether that value is asked for; when it is not, a layer may
 * compute its output without it (one fused op).
 */
export type Run = (inputs: tf.Tensor[], wantPreact: boolean) => { out: tf.Tensor[]; preact?: tf.Tensor };

/** A layer's {@link Run}, and whether it has a fused activation (then `run` returns `preact`). */
export interface LayerPlan {
  readonly run: Run;
  readonly fusedActivation: boolean;
  /**
   * For a linear `Conv2D` or `DepthwiseConv2D` (dilation 1): the layer as one op with a batch norm
   * folded in and a ReLU after it ({@link runConvChain}). The adapter uses it to run a batch norm
   * and/or a ReLU layer that alone read this layer's output together with it.
   */
  readonly conv?: ConvSpec;
  /** For a channels-last `BatchNormalization`: its parameters. */
  readonly batchNorm?: () => BatchNormParams;
  /** The layer computes exactly `max(0, x)` of its one input (a `ReLU` or `Activation('relu')` layer). */
  readonly plainRelu?: boolean;
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
  maxValue?: number | null;
  alpha?: number;
}

/** A convolution the adapter can run fused: its weights and settings. */
export interface ConvSpec {
  readonly kind: 'conv' | 'depthwise';
  readonly filter: () => tf.Tensor4D;
  readonly bias?: () => tf.Tensor;
  readonly strides: [number, number];
  readonly pad: 'same' | 'valid';
}

/**
 * `relu?(bn?(conv(x) + bias))` as one fused op ({@link convBiasRelu}), the batch norm folded into
 * the filter and bias ({@link foldBatchNorm}).
 */
export function runConvChain(x: tf.Tensor4D, conv: ConvSpec, bn: BatchNormParams | undefined, relu: boolean): tf.Tensor4D {
  const cfg = { kind: conv.kind, strides: conv.strides, pad: conv.pad, activation: relu ? 'relu' : 'linear' } as const;
  if (!bn) return convBiasRelu(x, conv.filter(), conv.bias?.(), cfg);
  return tf.tidy(() => {
    const [filter, bias] = foldBatchNorm(conv.kind, conv.filter(), conv.bias?.(), bn);
    return convBiasRelu(x, filter, bias, cfg);
  });
}

/** Plans one layer class; `undefined` when this layer's configuration needs the generic path. */
type Planner = (layer: tfl.layers.Layer, cfg: LayerConfigLike) => LayerPlan | undefined;

const pair = (v: number | number[] | undefined, d = 1): [number, number] =>
  v === undefined ? [d, d] : typeof v === 'number' ? [v, v] : [v[0], v[v.length > 1 ? 1 : 0]];

function weightBySuffix(layer: tfl.layers.Layer, suffix: string): tfl.LayerVariable | undefined {
  return layer.weights.find((w) => (w.originalName ?? w.name).endsWith(suffix));
}

const read = (v: tfl.LayerVariable): tf.Tensor => v.read();

/** Whether a convolution's configuration can be run with plain NHWC tfjs ops. */
const plainConv = (cfg: LayerConfigLike): boolean =>
  (cfg.dataFormat === undefined || cfg.dataFormat === 'channelsLast') && (cfg.padding === 'same' || cfg.padding === 'valid');

/** The layer's own activation as a function of a tensor, or null for linear/none. */
function activationOf(cfg: LayerConfigLike): ((x: tf.Tensor) => tf.Tensor) | null {
  const name = cfg.activation;
  if (name === undefined || name === null || name === 'linear') return null;
  const layer = tfl.layers.activation({ activation: name as 'relu' });
  return (x) => layer.apply(x) as tf.Tensor;
}

/** `pre` (the layer's linear op) followed by the layer's bias and activation as separate ops. */
function withBiasAndActivation(layer: tfl.layers.Layer, cfg: LayerConfigLike, pre: (x: tf.Tensor) => tf.Tensor): LayerPlan {
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
}

/**
 * A `Conv2D` or `DepthwiseConv2D` (`op` with the layer's kernel): with dilation 1, its bias and a
 * ReLU activation run fused ({@link runConvChain}) and a linear one can take in the layers after it
 * (`conv`); otherwise, and for the value before the activation, separate ops.
 */
function planConvLike(
  kind: 'conv' | 'depthwise',
  layer: tfl.layers.Layer,
  cfg: LayerConfigLike,
  k: tfl.LayerVariable,
  op: (x: tf.Tensor4D, filter: tf.Tensor4D, strides: [number, number], dilations: [number, number]) => tf.Tensor,
): LayerPlan {
  const strides = pair(cfg.strides);
  const dilations = pair(cfg.dilationRate);
  const unfused = withBiasAndActivation(layer, cfg, (x) => op(x as tf.Tensor4D, read(k) as tf.Tensor4D, strides, dilations));
  if (dilations[0] !== 1 || dilations[1] !== 1) return unfused;
  const bias = cfg.useBias === false ? undefined : weightBySuffix(layer, 'bias');
  const conv: ConvSpec = { kind, filter: () => read(k) as tf.Tensor4D, bias: bias && (() => read(bias)), strides, pad: cfg.padding as 'same' | 'valid' };
  const act = cfg.activation ?? 'linear';
  if (act === 'linear') {
    // conv + bias as one op; a batch norm and a ReLU reading only this output can join it (layersModel.ts).
    return { fusedActivation: false, conv, run: bias ? (ins) => ({ out: [runConvChain(ins[0] as tf.Tensor4D, conv, undefined, false)] }) : unfused.run };
  }
  if (act !== 'relu') return unfused;
  return {
    fusedActivation: true,
    // Lucid's redirected ReLU gradient replaces the Relu kernel's gradient: keep the ReLU a Relu then.
    run: (ins, wantPreact) =>
      wantPreact || reluRedirectActive() ? unfused.run(ins, wantPreact) : { out: [runConvChain(ins[0] as tf.Tensor4D, conv, undefined, true)] },
  };
}

const planConv2D: Planner = (layer, cfg) => {
  const k = weightBySuffix(layer, 'kernel');
  if (!plainConv(cfg) || !k) return undefined;
  return planConvLike('conv', layer, cfg, k, (x, f, s, d) => tf.conv2d(x, f, s, cfg.padding as 'same', 'NHWC', d));
};

const planDepthwiseConv2D: Planner = (layer, cfg) => {
  const k = weightBySuffix(layer, 'depthwise_kernel');
  if (!plainConv(cfg) || !k) return undefined;
  return planConvLike('depthwise', layer, cfg, k, (x, f, s, d) => tf.depthwiseConv2d(x, f, s, cfg.padding as 'same', 'NHWC', d));
};

const planSeparableConv2D: Planner = (layer, cfg) => {
  const dk = weightBySuffix(layer, 'depthwise_kernel');
  const pk = weightBySuffix(layer, 'pointwise_kernel');
  if (!plainConv(cfg) || !dk || !pk) return undefined;
  return withBiasAndActivation(layer, cfg, (x) =>
    tf.separableConv2d(x as tf.Tensor4D, read(dk) as tf.Tensor4D, read(pk) as tf.Tensor4D, pair(cfg.strides), cfg.padding as 'same', pair(cfg.dilationRate), 'NHWC'),
  );
};

const planDense: Planner = (layer, cfg) => {
  const k = weightBySuffix(layer, 'kernel');
  if (!k) return undefined;
  return withBiasAndActivation(layer, cfg, (x) => {
    const kernel = read(k) as tf.Tensor2D;
    if (x.rank === 2) return tf.matMul(x as tf.Tensor2D, kernel);
    const lead = x.shape.slice(0, -1);
    const flat = tf.reshape(x, [-1, x.shape[x.rank - 1]]) as tf.Tensor2D;
    return tf.reshape(tf.matMul(flat, kernel), [...lead, kernel.shape[1]]);
  });
};

/**
 * Inference-mode BatchNormalization from the moving statistics: {@link batchNormInference} over
 * the last axis, plain ops over another axis.
 */
const planBatchNormalization: Planner = (layer, cfg) => {
  const mean = weightBySuffix(layer, 'moving_mean');
  const variance = weightBySuffix(layer, 'moving_variance');
  const gamma = cfg.scale === false ? undefined : weightBySuffix(layer, 'gamma');
  const beta = cfg.center === false ? undefined : weightBySuffix(layer, 'beta');
  const axes = Array.isArray(cfg.axis) ? cfg.axis : [cfg.axis ?? -1];
  if (!mean || !variance || axes.length !== 1) return undefined;
  const eps = cfg.epsilon ?? 1e-3;
  const shape = layer.outputShape;
  const rank = Array.isArray(shape[0]) ? (shape[0] as tfl.Shape).length : shape.length;
  const lastAxis = axes[0] === -1 || axes[0] === rank - 1;
  const params = (): BatchNormParams => ({ mean: read(mean), variance: read(variance), gamma: gamma && read(gamma), beta: beta && read(beta), epsilon: eps });
  return {
    fusedActivation: false,
    batchNorm: lastAxis ? params : undefined,
    run: (ins) => {
      const x = ins[0];
      const axis = axes[0] < 0 ? x.rank + axes[0] : axes[0];
      if (axis === x.rank - 1) return { out: [batchNormInference(x, params())] };
      // Another axis: the parameters shaped to broadcast along it.
      const shape = x.shape.map((d, i) => (i === axis ? d : 1));
      const p = params();
      const along = (t: tf.Tensor | undefined): tf.Tensor | undefined => t && tf.reshape(t, shape);
      return { out: [batchNormInference(x, { ...p, mean: along(p.mean) as tf.Tensor, variance: along(p.variance) as tf.Tensor, gamma: along(p.gamma), beta: along(p.beta) })] };
    },
  };
};

/**
 * `ReLU` and `Activation('relu' | 'relu6')` layers. A plain ReLU runs by `apply` and is marked
 * (a convolution before it may take it in); a capped one (`ReLU(max_value)`, `relu6`) runs as
 * {@link cappedRelu}, whose gradient is the same as tfjs's relu + clip but several times faster
 * on wasm, except while Lucid's redirected ReLU gradient is in force (that needs the `Relu` and
 * `ClipByValue` kernels).
 */
const planRelu: Planner = (layer, cfg) => {
  const isReluLayer = layer.getClassName() === 'ReLU';
  if (isReluLayer ? cfg.maxValue === undefined || cfg.maxValue === null : cfg.activation === 'relu') {
    return { ...appliedLayer(layer), plainRelu: true };
  }
  const cap = isReluLayer ? cfg.maxValue : cfg.activation === 'relu6' ? 6 : undefined;
  if (typeof cap !== 'number' || !(cap >= 0)) return undefined;
  const applied = appliedLayer(layer);
  return {
    fusedActivation: false,
    // tfjs-layers' ReLU(max_value) clips (its gradient passes at the cap); its relu6 is minimum(6, ·) (blocked there).
    run: (ins, wantPreact) => (reluRedirectActive() ? applied.run(ins, wantPreact) : { out: [cappedRelu(ins[0], cap, isReluLayer)] }),
  };
};

/** `LeakyReLU` as {@link leakyRelu}: tfjs's values and gradient, with a cheaper mask on wasm. */
const planLeakyRelu: Planner = (_layer, cfg) => {
  const alpha = cfg.alpha;
  if (typeof alpha !== 'number' || !Number.isFinite(alpha)) return undefined;
  return { fusedActivation: false, run: (ins) => ({ out: [leakyRelu(ins[0], alpha)] }) };
};

const PLANNERS: Readonly<Record<string, Planner>> = {
  ReLU: planRelu,
  LeakyReLU: planLeakyRelu,
  Activation: planRelu,
  Conv2D: planConv2D,
  DepthwiseConv2D: planDepthwiseConv2D,
  SeparableConv2D: planSeparableConv2D,
  Dense: planDense,
  BatchNormalization: planBatchNormalization,
};

/** The generic path: the layer's own `apply` in inference mode. */
function appliedLayer(layer: tfl.layers.Layer): LayerPlan {
  return {
    fusedActivation: false,
    run: (ins) => {
      const out = layer.apply(ins.length === 1 ? ins[0] : ins, { training: false }) as tf.Tensor | tf.Tensor[];
      return { out: Array.isArray(out) ? out : [out] };
    },
  };
}

/** How `layer` runs in the forward pass: unfused for the classes in {@link PLANNERS}, else `apply`. */
export function planLayer(layer: tfl.layers.Layer): LayerPlan {
  const cls = layer.getClassName();
  const cfg = layer.getConfig() as LayerConfigLike;
  const planner = Object.prototype.hasOwnProperty.call(PLANNERS, cls) ? PLANNERS[cls] : undefined;
  return planner?.(layer, cfg) ?? appliedLayer(layer);
}

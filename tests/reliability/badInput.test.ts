/**
 * Bad-input suite: a table of wrong arguments per public function. Each call must throw (or
 * reject) an `OptvisError` whose `fn` is the function's public path (`param.image`,
 * `render.visSession`; root exports by name), with a message of the project's form
 *
 *   `Error in <fn>: <argument> must <expectation>, but got <actual>.`
 *
 * that names the function and the argument and says what is allowed, and must leave
 * `tf.memory().numTensors` unchanged. A completeness test lists public functions that take
 * arguments but have no bad-input case.
 */
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../helpers/tf';
import { api, fakeLookup, loadModelFn, modelFn, publicCallables, smallVisModel, visModelFactory } from './api';
import type { VisModel } from '../../src/model/types';
import { makeTestLayersModel } from '../fixtures/models';

const { param, transform, objectives, render, io, Objective, Rng } = api;

interface BadCase {
  /** Public callable, as listed by `publicCallables()`. */
  readonly fn: string;
  /**
   * The `OptvisError.fn` the error must carry (and its message start with `Error in <fn>:`):
   * default `fn`. Methods and aliases name what the user called (`Objective.sum`, `Rng`).
   */
  readonly errorFn?: string;
  /** The argument the message must name. */
  readonly arg: string;
  /** What the message must also contain (e.g. the allowed values or a suggestion). */
  readonly also?: RegExp;
  readonly call: () => unknown;
}

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

let small: Awaited<ReturnType<typeof smallVisModel>> | undefined;
let modelError: unknown;
const vm = (): VisModel => {
  if (!small) throw modelError;
  return small.vm;
};
const img = (s = 16, c = 3): tf.Tensor4D => tf.zeros([1, s, s, c]) as tf.Tensor4D;
/** Runs `f` on a temporary image that is disposed afterwards, whatever happens. */
const withImg = <T>(f: (x: tf.Tensor4D) => T, s = 16, c = 3): T => {
  const x = img(s, c);
  try {
    return f(x);
  } finally {
    x.dispose();
  }
};
const rng = () => new Rng(0);
/** Runs `f` on a small LayersModel that is disposed afterwards, whatever happens. */
const withNet = <T>(f: (net: ReturnType<typeof makeTestLayersModel>) => T): T => {
  const net = makeTestLayersModel(1);
  try {
    return f(net);
  } finally {
    net.dispose();
  }
};

const CASES: BadCase[] = [
  // ---- param
  { fn: 'param.image', arg: 'w', also: /positive integer/, call: () => param.image(-1) },
  { fn: 'param.image', arg: 'batch', call: () => param.image(16, { batch: 0 }) },
  { fn: 'param.image', arg: 'fft', also: /boolean/, call: () => param.image(16, { fft: 'yes' as unknown as boolean }) },
  { fn: 'param.image', arg: 'sd', call: () => param.image(16, { sd: -1 }) },
  { fn: 'param.image', arg: 'options', call: () => param.image(16, 7 as unknown as object) },
  { fn: 'param.grayscaleImage', arg: 'w', call: () => param.grayscaleImage(0) },
  { fn: 'param.imageFromPixels', arg: 'pixels', call: () => param.imageFromPixels('x' as unknown as number[]) },
  { fn: 'param.imageFromPixels', arg: 'eps', call: () => withImg((x) => param.imageFromPixels(x, { eps: 1 })) },
  { fn: 'param.pixelImage', arg: 'shape', call: () => param.pixelImage([8, 8]) },
  { fn: 'param.pixelImage', arg: 'sd', call: () => param.pixelImage([1, 8, 8, 3], { sd: NaN }) },
  { fn: 'param.fftImage', arg: 'shape', call: () => param.fftImage([1, 8, -8, 3]) },
  { fn: 'param.fftImage', arg: 'decayPower', call: () => param.fftImage([1, 8, 8, 3], { decayPower: 'a' as unknown as number }) },
  { fn: 'param.imageSample', arg: 'sd', call: () => param.imageSample([1, 8, 8, 3], { sd: -1 }) },
  { fn: 'param.lowresTensor', arg: 'underlyingShape', call: () => param.lowresTensor([1, 8, 8, 3], [1, 4, 4]) },
  { fn: 'param.laplacianPyramid', arg: 'levels', call: () => param.laplacianPyramid([1, 16, 16, 3], { levels: 0 }) },
  { fn: 'param.cppn', arg: 'width', call: () => param.cppn(0) },
  {
    fn: 'param.cppn',
    arg: 'activation',
    also: /compositeActivation/,
    call: () => param.cppn(8, { activation: 'tanh' as unknown as 'compositeActivation' }),
  },
  { fn: 'param.custom', arg: 'parts', call: () => param.custom([], () => tf.zeros([1, 1, 1, 3]) as tf.Tensor4D) },
  {
    fn: 'param.custom',
    arg: 'fn',
    call: () => {
      const part = param.image(4);
      try {
        return param.custom([part], 3 as unknown as () => tf.Tensor4D);
      } finally {
        part.dispose();
      }
    },
  },
  { fn: 'param.toValidRgb', arg: 't', call: () => param.toValidRgb([1, 2, 3] as unknown as tf.Tensor) },
  { fn: 'param.rfft2dFreqs', arg: 'h', call: () => param.rfft2dFreqs(0, 4) },

  // ---- transform
  { fn: 'transform.jitter', arg: 'd', call: () => transform.jitter(-1) },
  {
    fn: 'transform.jitter',
    arg: 'image',
    call: () => {
      const x = tf.zeros([4, 4, 3]);
      try {
        return transform.jitter(2)(x as unknown as tf.Tensor4D, rng());
      } finally {
        x.dispose();
      }
    },
  },
  { fn: 'transform.pad', arg: 'w', call: () => transform.pad(-2) },
  { fn: 'transform.pad', arg: 'mode', also: /'reflect'.*'constant'.*'symmetric'/, call: () => transform.pad(2, { mode: 'wrap' as 'reflect' }) },
  { fn: 'transform.randomScale', arg: 'scales', call: () => transform.randomScale([]) },
  { fn: 'transform.randomScale', arg: 'scales', call: () => transform.randomScale([0, 1]) },
  { fn: 'transform.randomRotate', arg: 'angles', call: () => transform.randomRotate('a' as unknown as number[]) },
  { fn: 'transform.randomRotate', arg: 'units', also: /'degrees'.*'radians'/, call: () => transform.randomRotate([1], { units: 'turns' as 'degrees' }) },
  { fn: 'transform.rotate', arg: 'image', call: () => transform.rotate('x' as unknown as tf.Tensor4D, 1) },
  { fn: 'transform.compose', arg: 'transforms', call: () => transform.compose('x' as unknown as []) },
  { fn: 'transform.cropOrPadTo', arg: 'height', call: () => transform.cropOrPadTo(0, 4) },
  { fn: 'transform.normalizeGradient', arg: 'gradScales', call: () => transform.normalizeGradient({ gradScales: 'a' as unknown as number[] }) },
  { fn: 'transform.collapseAlphaRandom', arg: 'sd', call: () => transform.collapseAlphaRandom({ sd: -1 }) },
  { fn: 'transform.collapseAlphaRandom', arg: 'image', call: () => withImg((x) => transform.collapseAlphaRandom()(x, rng())) },
  { fn: 'transform.resizeBilinearTf1', arg: 'height', call: () => withImg((x) => tf.dispose(transform.resizeBilinearTf1(x, 0, 4))) },
  { fn: 'transform.scaledSize', arg: 'scale', call: () => transform.scaledSize(-1, 4) },

  // ---- objectives
  { fn: 'objectives.channel', arg: 'layer', call: () => objectives.channel('', 1) },
  { fn: 'objectives.channel', arg: 'n', call: () => objectives.channel('a', -1) },
  { fn: 'objectives.channel', arg: 'n', call: () => objectives.channel('a', 1.5) },
  { fn: 'objectives.channel', arg: 'batch', call: () => objectives.channel('a', 1, { batch: -1 }) },
  {
    fn: 'objectives.channel',
    arg: 'n',
    also: /8 channels|\[0, 8\)|< 8/,
    call: () => {
      const a = tf.zeros([1, 2, 2, 8]);
      try {
        return tf.tidy(() => objectives.channel('acts', 8).evaluate(fakeLookup({ acts: a })));
      } finally {
        a.dispose();
      }
    },
  },
  { fn: 'objectives.neuron', arg: 'x', call: () => objectives.neuron('a', 1, { x: -1 }) },
  { fn: 'objectives.direction', arg: 'vec', call: () => objectives.direction('a', 'v' as unknown as number[]) },
  { fn: 'objectives.directionCossim', errorFn: 'objectives.direction', arg: 'cossimPow', call: () => objectives.directionCossim('a', [1], { cossimPow: -1 }) },
  { fn: 'objectives.directionNeuron', arg: 'y', call: () => objectives.directionNeuron('a', [1], { y: 0.5 }) },
  { fn: 'objectives.tensorDirection', arg: 'vec', call: () => objectives.tensorDirection('a', NaN) },
  { fn: 'objectives.deepdream', arg: 'layer', call: () => objectives.deepdream(3 as unknown as string) },
  { fn: 'objectives.totalVariation', arg: 'layer', call: () => objectives.totalVariation(5 as unknown as string) },
  { fn: 'objectives.L1', arg: 'constant', call: () => objectives.L1('input', { constant: 'a' as unknown as number }) },
  { fn: 'objectives.L2', arg: 'epsilon', call: () => objectives.L2('input', { epsilon: -1 }) },
  { fn: 'objectives.inputDiff', arg: 'image', call: () => objectives.inputDiff('a' as unknown as number[]) },
  { fn: 'objectives.penalizeBoundaryComplexity', arg: 'shape', call: () => objectives.penalizeBoundaryComplexity([1, 8, 8]) },
  { fn: 'objectives.penalizeBoundaryComplexity', arg: 'w', call: () => objectives.penalizeBoundaryComplexity([1, 8, 8, 3], { w: -1 }) },
  { fn: 'objectives.channelInterpolate', arg: 'n2', call: () => objectives.channelInterpolate('a', 1, 'b', -1) },
  { fn: 'objectives.alignment', arg: 'decayRatio', call: () => objectives.alignment('a', { decayRatio: 0 }) },
  { fn: 'objectives.diversity', arg: 'layer', call: () => objectives.diversity('') },
  { fn: 'objectives.classLogit', arg: 'label', call: () => objectives.classLogit('logits', -1) },
  {
    fn: 'objectives.classLogit',
    arg: 'label',
    also: /Did you mean 'class3'/,
    call: () => {
      const a = tf.zeros([1, 10]);
      const labels = Array.from({ length: 10 }, (_, i) => `class${i}`);
      try {
        return tf.tidy(() => objectives.classLogit('logits', 'clas3').evaluate(fakeLookup({ logits: a }, { labels })));
      } finally {
        a.dispose();
      }
    },
  },
  { fn: 'objectives.asObjective', arg: 'obj', call: () => objectives.asObjective('nocolon') },
  { fn: 'objectives.handleBatch', arg: 'batch', call: () => objectives.handleBatch(fakeLookup({}), -1) },
  { fn: 'objectives.wrapObjective', arg: 'name', call: () => objectives.wrapObjective('', () => ({ fn: () => tf.scalar(0), layers: [] })) },
  { fn: 'objectives.Objective', errorFn: 'Objective.sum', arg: 'list', call: () => Objective.sum([]) },
  { fn: 'objectives.Objective', errorFn: 'Objective.div', arg: 'divisor', call: () => objectives.L1().div(0) },
  { fn: 'Objective', arg: 'fn', call: () => new Objective(3 as unknown as () => tf.Tensor, 'x') },

  // ---- io
  { fn: 'io.toPng', arg: 'image', call: () => io.toPng('x' as unknown as tf.Tensor) },
  { fn: 'io.toPng', arg: 'image', also: /1, 3 or 4|channels/, call: () => withImg((x) => io.toPng(x), 4, 2) },
  { fn: 'io.fromPng', arg: 'bytes', call: () => io.fromPng('x' as unknown as Uint8Array) },
  { fn: 'io.toImageData', arg: 'index', call: () => withImg((x) => io.toImageData(x, { index: 5 })) },
  { fn: 'io.drawToCanvas', arg: 'canvas', call: () => withImg((x) => io.drawToCanvas(x, {} as OffscreenCanvas)) },
  { fn: 'io.hstack', arg: 'images', call: () => io.hstack([]) },
  { fn: 'io.vstack', arg: 'images', call: () => io.vstack('x' as unknown as []) },
  { fn: 'io.grid', arg: 'columns', call: () => withImg((x) => io.grid([x], { columns: 0 })) },

  // ---- render
  { fn: 'render.visSession', arg: 'model', call: () => render.visSession({} as VisModel, 'conv4:3') },
  { fn: 'render.visSession', arg: 'seed', call: () => render.visSession(vm(), 'conv4:3', { seed: NaN }) },
  { fn: 'render.visSession', arg: 'transforms', call: () => render.visSession(vm(), 'conv4:3', { transforms: 'x' as unknown as [] }) },
  { fn: 'render.visSession', arg: 'optimizer', call: () => render.visSession(vm(), 'conv4:3', { optimizer: 3 as unknown as tf.Optimizer }) },
  { fn: 'visSession', errorFn: 'render.visSession', arg: 'layer|objective', also: /Did you mean .*'conv4'/, call: () => render.visSession(vm(), 'conv5:3') },
  { fn: 'render.renderVis', arg: 'thresholds', call: () => render.renderVis(vm(), 'conv4:3', { thresholds: [-1] }) },
  { fn: 'render.renderVis', arg: 'signal', call: () => render.renderVis(vm(), 'conv4:3', { signal: 3 as unknown as AbortSignal }) },
  { fn: 'renderVis', errorFn: 'render.renderVis', arg: 'onProgress', call: () => render.renderVis(vm(), 'conv4:3', { onProgress: 3 as unknown as () => void }) },
  { fn: 'render.renderVis', errorFn: 'objectives.channel', arg: 'n|channel', also: /32/, call: () => render.renderVis(vm(), 'conv4:99', { thresholds: [1] }) },
  { fn: 'render.withRedirectedReluGrad', arg: 'fn', call: () => render.withRedirectedReluGrad(3 as unknown as () => void) },
  { fn: 'render.redirectedReluGrad', arg: 'x', call: () => render.redirectedReluGrad('x' as unknown as tf.Tensor, 'y' as unknown as tf.Tensor) },
  { fn: 'render.redirectedRelu6Grad', arg: 'x', call: () => render.redirectedRelu6Grad('x' as unknown as tf.Tensor, 'y' as unknown as tf.Tensor) },

  // ---- model
  {
    fn: 'model.visModel',
    arg: 'inputRange',
    call: async () => {
      const net = makeTestLayersModel(1);
      try {
        return await visModelFactory()(net, { inputRange: [1, 0] });
      } finally {
        net.dispose();
      }
    },
  },
  { fn: 'visModel', errorFn: 'model.visModel', arg: 'model', call: () => visModelFactory()('x', { inputRange: [-1, 1] }) },
  {
    fn: 'model.fromLayersModel',
    arg: 'inputRange',
    also: /\[lo, hi\]/,
    call: () => {
      const net = makeTestLayersModel(1);
      try {
        return modelFn('fromLayersModel')(net, { inputRange: [0, Infinity] });
      } finally {
        net.dispose();
      }
    },
  },
  { fn: 'model.fromGraphModel', arg: 'model', call: () => modelFn('fromGraphModel')({}, { inputRange: [-1, 1] }) },
  { fn: 'model.parseInputRange', errorFn: 'myFn', arg: 'inputRange', call: () => modelFn('parseInputRange')('myFn', { mean: [0, 0, 0], std: [1, 0, 1] }) },
  { fn: 'model.toModelInput', arg: 'image', call: () => modelFn('toModelInput')('x', { scale: [1, 1, 1], offset: [0, 0, 0] }, 'RGB') },
  { fn: 'model.unfuseGraphTopology', arg: 'topology', call: () => modelFn('unfuseGraphTopology')(3) },
  { fn: 'model.loadModel', arg: 'source', call: () => loadModelFn()(3, { inputRange: [-1, 1] }) },

  // ---- Node entry
  { fn: 'loadModel', arg: 'source', call: () => api.loadModel('/nonexistent/optvis-model', { inputRange: [-1, 1] }) },
  { fn: 'fileHandler', arg: 'source', call: () => api.fileHandler(3 as unknown as string).load?.() },
  { fn: 'loadDefaultModel', arg: 'cutAt', also: /Did you mean/, call: () => api.loadDefaultModel({ cutAt: 'out_reluu' }) },
  { fn: 'writePng', arg: 'file', call: () => withImg((x) => api.writePng(3 as unknown as string, x)) },
  { fn: 'readImage', arg: 'file', call: () => api.readImage('/nonexistent/optvis.png') },

  // ---- backends
  { fn: 'backends.installGradientFixes', arg: 'backendName', also: /'wasm'/, call: () => api.backends.installGradientFixes('') },
  { fn: 'backends.uninstallGradientFixes', arg: 'backendName', call: () => api.backends.uninstallGradientFixes(3 as unknown as string) },
  { fn: 'backends.gradientFixes', arg: 'backendName', call: () => api.backends.gradientFixes(null as unknown as string) },

  // ---- gallery (browser-safe gallery namespace, and the Node gallery builders)
  { fn: 'gallery.renderLayer', arg: 'options', also: /unknown option "step" \(allowed: .*did you mean "steps"\?\)/, call: () => api.gallery.renderLayer(vm(), 'conv4', { step: 4 } as never) },
  { fn: 'renderLayer', errorFn: 'gallery.renderLayer', arg: 'size', also: />= 2/, call: () => api.renderLayer(vm(), 'conv4', { size: 1 }) },
  { fn: 'gallery.parseChannels', arg: 'spec', call: () => api.gallery.parseChannels('0-x', 8) },
  { fn: 'gallery.shardChannels', arg: 'count', call: () => api.gallery.shardChannels([1, 2], 0, 0) },
  { fn: 'gallery.channelSeed', arg: 'seed', call: () => api.gallery.channelSeed(NaN, 0) },
  { fn: 'gallery.contactSheet', arg: 'images', call: () => api.gallery.contactSheet([]) },
  { fn: 'gallery.galleryHtml', arg: 'manifest', call: () => api.gallery.galleryHtml(null as never) },
  { fn: 'buildGallery', arg: 'options', also: /did you mean "channels"/, call: () => api.buildGallery({ dir: '/nonexistent/optvis-gallery', layer: 'conv4', chanels: '0' } as never) },
  { fn: 'rebuildGallery', arg: 'dir', call: () => api.rebuildGallery('') },

  // ---- threads (useWasmThreads): checked before anything changes, so the parent's backends stay as they are
  { fn: 'useWasmThreads', arg: 'threads', also: /at most 8 .*, but got 9\./, call: () => api.useWasmThreads({ threads: 9 }) },
  { fn: 'useWasmThreads', arg: 'timeoutMs', also: /but got Infinity\./, call: () => api.useWasmThreads({ threads: 2, timeoutMs: Infinity }) },

  // ---- native convolutions (useNativeKernels): options are checked before the addon loads or a kernel changes
  { fn: 'useNativeKernels', arg: 'threads', also: /from 1 to 256, but got 0\./, call: () => api.useNativeKernels({ threads: 0 }) },
  { fn: 'useNativeKernels', arg: 'options', also: /did you mean "threads"/, call: () => api.useNativeKernels({ thread: 2 } as never) },

  // ---- unknown option keys (validate.ts checkOptions): named, with the allowed keys and the closest
  { fn: 'param.image', arg: 'options', also: /unknown option "decorelate" \(allowed: .*did you mean "decorrelate"\?\)/, call: () => param.image(128, { decorelate: false } as never) },
  { fn: 'param.fftImage', arg: 'options', also: /did you mean "decayPower"/, call: () => param.fftImage([1, 8, 8, 3], { decay_power: 2 } as never) },
  { fn: 'param.toValidRgb', arg: 'options', also: /did you mean "sigmoid"/, call: () => withImg((x) => param.toValidRgb(x, { sigmoïd: false } as never)) },
  { fn: 'transform.pad', arg: 'options', also: /did you mean "constantValue"/, call: () => transform.pad(2, { constant_value: 0 } as never) },
  { fn: 'objectives.neuron', arg: 'options', also: /allowed: "x", "y", "batch"/, call: () => objectives.neuron('a', 1, { z: 0 } as never) },
  { fn: 'render.visSession', arg: 'options', also: /did you mean "transforms"/, call: () => render.visSession(vm(), 'conv4:3', { transform: [] } as never) },
  { fn: 'model.fromLayersModel', arg: 'options', also: /unknown option "chanelOrder" \(allowed: "inputRange", "channelOrder", "labels"; did you mean "channelOrder"\?\)/, call: () => withNet((net) => modelFn('fromLayersModel')(net, { inputRange: [-1, 1], chanelOrder: 'BGR' })) },
  { fn: 'loadModel', arg: 'options', also: /unknown option "strcit" \(allowed: .*"strict", "maxModelJsonBytes"; did you mean "strict"\?\)/, call: () => api.loadModel('/nonexistent/optvis-model', { inputRange: [-1, 1], strcit: false } as never) },
  { fn: 'readImage', arg: 'options', also: /did you mean "maxPixels"/, call: () => api.readImage('/nonexistent/optvis.png', { maxPixel: 4 } as never) },
  { fn: 'render.renderVis', arg: 'options', also: /did you mean "thresholds"/, call: () => render.renderVis(vm(), 'conv4:3', { threshold: [1] } as never) },

  // ---- transparency (the seed notebook's toolkit)
  { fn: 'transparency.background', arg: 'w', call: () => api.transparency.background(0) },
  { fn: 'transparency.background', arg: 'noiseRatio', also: /\[0, 1\]/, call: () => api.transparency.background(8, { noiseRatio: 2 }) },
  { fn: 'transparency.background', arg: 'options', also: /did you mean "varMode"/, call: () => api.transparency.background(8, { var_mode: 'color' } as never) },
  { fn: 'transparency.composite', arg: 'foreground', also: /Param/, call: () => api.transparency.composite(3 as never, []) },
  { fn: 'transparency.over', arg: 'rgba', call: () => api.transparency.over('x' as never, 1) },
  { fn: 'transparency.alphaPenalty', arg: 'weight', call: () => api.transparency.alphaPenalty({ weight: NaN }) },
  { fn: 'transparency.sharedForegrounds', arg: 'count', call: () => api.transparency.sharedForegrounds(8, 0) },
  { fn: 'transparency.sharedForegrounds', arg: 'options', also: /did you mean "sharedParamCoef"/, call: () => api.transparency.sharedForegrounds(8, 2, { sharedParamcoef: 1 } as never) },

  // ---- root helpers
  { fn: 'toRng', errorFn: 'Rng', arg: 'seed', call: () => api.toRng(NaN) },
  { fn: 'Rng', arg: 'seed', call: () => new Rng(Infinity) },
  { fn: 'stopGradient', arg: 'x', call: () => api.stopGradient('x' as unknown as tf.Tensor) },
];

/** Callables that take no arguments, or none that can be wrong. */
const NO_BAD_INPUT: Record<string, string> = {
  'transform.standardTransforms': 'takes no arguments',
  'objectives.blurInputEachStep': 'takes no arguments',
  'objectives.blurAlphaEachStep': 'takes no arguments',
  'render.RenderAbortError': 'an error class, constructed by renderVis',
  OptvisError: 'the error class itself',
  wasmThreadsState: 'takes no arguments',
  nativeKernelsState: 'takes no arguments',
  nativeKernelsBuilt: 'takes no arguments',
  releaseNativeKernels: 'takes no arguments',
  // Kernel implementations registered with tf.registerKernel: tfjs calls them with attributes it has
  // already validated (like tfjs's own kernels, they do not re-check them).
  'backends.conv2dBackpropInputByConv': 'kernel body, inputs validated by tfjs',
  'backends.conv2dBackpropFilterByConv': 'kernel body, inputs validated by tfjs',
  'backends.depthwiseBackpropInputByConv': 'kernel body, inputs validated by tfjs',
  'backends.depthwiseBackpropFilterByTaps': 'kernel body, inputs validated by tfjs',
  'backends.maxPoolBackpropByTaps': 'kernel body, inputs validated by tfjs',
  'backends.maxPoolBackpropViaStock': 'kernel body, inputs validated by tfjs',
  'backends.unsortedSegmentSumByMatMul': 'kernel body, inputs validated by tfjs',
  'backends.oneHotByEqual': 'kernel body, inputs validated by tfjs',
};

describe('bad-input suite', () => {
  beforeAll(async () => {
    await useBackend('cpu');
    small = await smallVisModel(1).catch((e: unknown) => {
      modelError = e;
      return undefined;
    });
  });
  afterAll(() => small?.dispose());

  it('has a case for every public callable that takes arguments', () => {
    const covered = new Set(CASES.map((c) => c.fn));
    const missing = publicCallables().filter((n) => !covered.has(n) && !(n in NO_BAD_INPUT));
    expect(missing, `public callables without a bad-input case: ${missing.join(', ')}`).toEqual([]);
  });

  it.each(CASES.map((c, i) => [`${c.fn} rejects a bad ${c.arg} (#${i})`, c] as const))('%s', async (_, c) => {
    const before = tf.memory().numTensors;
    let error: unknown;
    try {
      await c.call();
    } catch (e) {
      error = e;
    }
    const message = error instanceof Error ? error.message : error === undefined ? undefined : String(error);
    if (process.env.SHOW_MESSAGES) console.log(`${c.fn} → ${message}`);
    expect(tf.memory().numTensors - before, 'tensors leaked by the failing call').toBe(0);
    expect(message, 'expected the call to throw').toBeDefined();
    expect(error, 'the error must be an OptvisError').toBeInstanceOf(api.OptvisError);
    const fnName = (error as InstanceType<typeof api.OptvisError>).fn;
    // `fn` names the namespace (`param.image`, `render.visSession`); root exports by their name.
    expect(fnName).toBe(c.errorFn ?? c.fn);
    // The argument, what it must be, and what was received (`but got …`, or the design's
    // `channel 812 is out of range for layer "mixed4d" (512 channels)`).
    const form = new RegExp(`^Error in ${escape(fnName)}: (?=.*\\b(${c.arg})\\b)(?=.* must )(?=.*(, but |is out of range))`, 's');
    expect(message).toMatch(form);
    if (c.also) expect(message).toMatch(c.also);
  });
});

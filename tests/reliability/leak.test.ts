/**
 * Leak suite: every public function, the render loop, its abort path and thrown errors leave
 * `tf.memory().numTensors` unchanged once the caller has disposed what it owns.
 *
 * Table-driven: `CASES` maps public callables to small runs; a completeness test fails when a
 * public callable has neither a case nor an explicit exclusion with a reason.
 */
import * as tf from '@tensorflow/tfjs-core';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../helpers/tf';
import { api, fakeLookup, loadModelFn, modelFn, publicCallables, smallGraphVisModel, smallVisModel } from './api';
import type { VisModel } from '../../src/model/types';
import type { Param } from '../../src/param/types';
import type { Transform } from '../../src/transform/types';
import { makeTestGraphModelArtifacts } from '../fixtures/models';
import { readImage, writePng } from '../../src/io/node/files';

const { param, transform, objectives, render, io, transparency } = api;
const { Objective, Rng } = api;

interface Case {
  /** The public callable(s) this case exercises, as listed by `publicCallables()`. */
  readonly fns: readonly string[];
  readonly title: string;
  readonly run: () => unknown;
}

/** Runs `f` and returns the change in numTensors (async-safe). */
async function delta(f: () => unknown): Promise<number> {
  const before = tf.memory().numTensors;
  await f();
  return tf.memory().numTensors - before;
}

/** Uses a param the way the render loop does: image(), build(), gradient, then disposes it (twice). */
function exerciseParam(p: Param<tf.Tensor>): void {
  tf.dispose(p.image());
  if (p.build) tf.dispose(Object.values(p.build()));
  if (p.variables.length > 0) {
    const { value, grads } = tf.variableGrads(() => tf.sum(p.image()) as tf.Scalar, [...p.variables]);
    tf.dispose([value, ...Object.values(grads)]);
  }
  p.dispose();
  p.dispose();
}

/** Applies a transform (forward and input gradient) to a seeded image. */
function exerciseTransform(t: Transform, channels = 3): void {
  const x = tf.randomUniform([2, 16, 16, channels], 0, 1, 'float32', 1) as tf.Tensor4D;
  tf.tidy(() => {
    t(x, new Rng(1));
    tf.grad((v: tf.Tensor) => tf.sum(t(v as tf.Tensor4D, new Rng(2))))(x);
  });
  x.dispose();
}

/** Evaluates an objective (value and gradient w.r.t. every looked-up tensor) on fake activations. */
function exerciseObjective(o: InstanceType<typeof Objective>, rgba = false): void {
  const acts = {
    acts: tf.randomUniform([2, 4, 4, 8], -1, 1, 'float32', 3),
    logits: tf.randomUniform([2, 10], -1, 1, 'float32', 4),
    input: tf.randomUniform([2, 8, 8, rgba ? 4 : 3], 0, 1, 'float32', 5),
  };
  const labels = Array.from({ length: 10 }, (_, i) => `class${i}`);
  try {
  tf.tidy(() => {
    o.evaluate(fakeLookup(acts, { labels, step: 3 }));
    const names = Object.keys(acts) as (keyof typeof acts)[];
    // `+ 0·Σx` keeps every input connected, so tf.grads also runs for objectives that read one tensor.
    tf.grads((...xs: tf.Tensor[]) =>
      tf.addN([
        o.evaluate(fakeLookup(Object.fromEntries(names.map((n, i) => [n, xs[i]])), { labels, step: 3 })),
        ...xs.map((x) => tf.mul(tf.sum(x), 0)),
      ]),
    )(names.map((n) => acts[n]));
  });
  } finally {
    tf.dispose(Object.values(acts));
  }
}

/** Expects `f` to throw (or reject) — error paths must leak nothing either. */
async function expectThrows(f: () => unknown, re: RegExp = /./): Promise<void> {
  let threw = false;
  try {
    await f();
  } catch (e) {
    threw = true;
    expect(String((e as Error).message)).toMatch(re);
  }
  expect(threw, 'expected an error').toBe(true);
}

let small: Awaited<ReturnType<typeof smallVisModel>> | undefined;
let modelError: unknown;
/** The fixture model through the library's adapter; cases that need it fail with the adapter's error. */
const vmOrThrow = (): VisModel => {
  if (!small) throw modelError;
  return small.vm;
};
const img = (b = 1, s = 16, c = 3): tf.Tensor4D => tf.randomUniform([b, s, s, c], 0, 1, 'float32', 9) as tf.Tensor4D;
let tmp = '';
/** A 32-px param for render cases that are about control flow, not the default 128-px image. */
let params: Param<tf.Tensor>[] = [];
const smallParam = (): Param => {
  const p = param.image(32, { seed: 4 });
  params.push(p);
  return p;
};
/** Disposes the params handed to renders (a param you pass stays yours). */
const disposeParams = (): void => {
  params.forEach((p) => p.dispose());
  params = [];
};

const CASES: Case[] = [
  // ---- param
  { fns: ['param.image'], title: 'fft + decorrelated', run: () => exerciseParam(param.image(16, { seed: 1 })) },
  { fns: ['param.image'], title: 'pixel, alpha, batch 2', run: () => exerciseParam(param.image(16, { fft: false, alpha: true, batch: 2, seed: 1 })) },
  { fns: ['param.grayscaleImage'], title: '', run: () => exerciseParam(param.grayscaleImage(16, { seed: 1 })) },
  {
    fns: ['param.imageFromPixels'],
    title: 'tensor pixels, fft and pixel',
    run: () => {
      const p = img();
      exerciseParam(param.imageFromPixels(p));
      exerciseParam(param.imageFromPixels(p, { fft: false }));
      p.dispose();
    },
  },
  { fns: ['param.pixelImage'], title: '', run: () => exerciseParam(param.pixelImage([1, 8, 8, 3], { seed: 1 })) },
  { fns: ['param.fftImage'], title: 'odd width', run: () => exerciseParam(param.fftImage([1, 8, 9, 3], { seed: 1 })) },
  { fns: ['param.imageSample'], title: 'no variables', run: () => exerciseParam(param.imageSample([2, 8, 8, 3], { seed: 1 })) },
  { fns: ['param.lowresTensor'], title: '', run: () => exerciseParam(param.lowresTensor([1, 8, 8, 3], [1, 4, 4, 3], { seed: 1 })) },
  { fns: ['param.laplacianPyramid'], title: '', run: () => exerciseParam(param.laplacianPyramid([1, 16, 16, 3], { seed: 1 })) },
  { fns: ['param.cppn'], title: '', run: () => exerciseParam(param.cppn(8, { seed: 1, numLayers: 2, numHiddenChannels: 4 })) },
  {
    fns: ['param.custom'],
    title: 'fg/bg composite with named outputs',
    run: () =>
      exerciseParam(
        param.custom([param.image(8, { seed: 1 }), param.image(8, { seed: 2 })], ([fg, bg]) => ({ image: tf.div(tf.add(fg, bg), 2) as tf.Tensor4D, fg, bg })),
      ),
  },
  {
    fns: ['param.toValidRgb'],
    title: 'value and gradient',
    run: () => {
      const x = tf.randomNormal([1, 4, 4, 3], 0, 1, 'float32', 2);
      tf.dispose(tf.tidy(() => tf.grad((v: tf.Tensor) => tf.sum(param.toValidRgb(v)))(x)));
      tf.dispose(tf.tidy(() => param.toValidRgb(x, { decorrelate: false, sigmoid: false })));
      x.dispose();
    },
  },
  { fns: ['param.rfft2dFreqs'], title: 'host only', run: () => param.rfft2dFreqs(8, 8) },

  // ---- transform
  { fns: ['transform.jitter'], title: '', run: () => exerciseTransform(transform.jitter(2)) },
  { fns: ['transform.pad'], title: 'reflect', run: () => exerciseTransform(transform.pad(3)) },
  { fns: ['transform.pad'], title: 'constant uniform', run: () => exerciseTransform(transform.pad(3, { mode: 'constant', constantValue: 'uniform' })) },
  { fns: ['transform.randomScale'], title: '', run: () => exerciseTransform(transform.randomScale([0.9, 1.1])) },
  { fns: ['transform.randomRotate'], title: '', run: () => exerciseTransform(transform.randomRotate([-5, 5])) },
  {
    fns: ['transform.rotate'],
    title: '',
    run: () => {
      const x = img();
      tf.dispose(tf.tidy(() => tf.grad((v: tf.Tensor) => tf.sum(transform.rotate(v as tf.Tensor4D, 0.3)))(x)));
      x.dispose();
    },
  },
  { fns: ['transform.compose', 'transform.standardTransforms'], title: 'standard set', run: () => exerciseTransform(transform.compose(transform.standardTransforms())) },
  { fns: ['transform.cropOrPadTo'], title: 'pad up and crop down', run: () => (exerciseTransform(transform.cropOrPadTo(20, 12))) },
  { fns: ['transform.normalizeGradient'], title: '', run: () => exerciseTransform(transform.normalizeGradient({ gradScales: [1, 2] })) },
  { fns: ['transform.collapseAlphaRandom'], title: 'rgba', run: () => exerciseTransform(transform.collapseAlphaRandom(), 4) },
  {
    fns: ['transform.resizeBilinearTf1', 'transform.scaledSize'],
    title: '',
    run: () => {
      const x = img();
      const s = transform.scaledSize(1.1, 16);
      tf.dispose(tf.tidy(() => tf.grad((v: tf.Tensor) => tf.sum(transform.resizeBilinearTf1(v as tf.Tensor4D, s, s)))(x)));
      x.dispose();
    },
  },

  // ---- objectives
  { fns: ['objectives.channel'], title: '', run: () => exerciseObjective(objectives.channel('acts', 3)) },
  { fns: ['objectives.channel'], title: 'dense layer, batch option', run: () => exerciseObjective(objectives.channel('logits', 3, { batch: 1 })) },
  { fns: ['objectives.neuron'], title: '', run: () => exerciseObjective(objectives.neuron('acts', 3, { x: 1, y: 2 })) },
  { fns: ['objectives.direction'], title: '', run: () => exerciseObjective(objectives.direction('acts', [1, 0, 0, 2, 0, 0, 0, 1], { cossimPow: 1 })) },
  { fns: ['objectives.directionCossim'], title: '', run: () => exerciseObjective(objectives.directionCossim('acts', [1, 0, 0, 2, 0, 0, 0, 1])) },
  { fns: ['objectives.directionNeuron'], title: '', run: () => exerciseObjective(objectives.directionNeuron('acts', [1, 0, 0, 2, 0, 0, 0, 1], { x: 1, y: 1 })) },
  {
    fns: ['objectives.tensorDirection'],
    title: 'tensor argument copied',
    run: () => {
      const d = tf.randomNormal([4, 4, 8], 0, 1, 'float32', 1);
      const o = objectives.tensorDirection('acts', d);
      d.dispose();
      exerciseObjective(o);
    },
  },
  { fns: ['objectives.deepdream'], title: '', run: () => exerciseObjective(objectives.deepdream('acts')) },
  { fns: ['objectives.totalVariation'], title: '', run: () => exerciseObjective(objectives.totalVariation()) },
  { fns: ['objectives.L1'], title: '', run: () => exerciseObjective(objectives.L1('input', { constant: 0.5 })) },
  { fns: ['objectives.L2'], title: '', run: () => exerciseObjective(objectives.L2()) },
  {
    fns: ['objectives.inputDiff'],
    title: '',
    run: () => {
      const target = img(2, 8);
      const o = objectives.inputDiff(target);
      target.dispose();
      exerciseObjective(o);
    },
  },
  { fns: ['objectives.blurInputEachStep'], title: '', run: () => exerciseObjective(objectives.blurInputEachStep()) },
  { fns: ['objectives.blurAlphaEachStep'], title: 'rgba input', run: () => exerciseObjective(objectives.blurAlphaEachStep(), true) },
  { fns: ['objectives.penalizeBoundaryComplexity'], title: '', run: () => exerciseObjective(objectives.penalizeBoundaryComplexity([2, 8, 8, 3], { w: 2 })) },
  { fns: ['objectives.channelInterpolate'], title: '', run: () => exerciseObjective(objectives.channelInterpolate('acts', 1, 'acts', 2)) },
  { fns: ['objectives.alignment'], title: '', run: () => exerciseObjective(objectives.alignment('acts')) },
  { fns: ['objectives.diversity'], title: '', run: () => exerciseObjective(objectives.diversity('acts')) },
  { fns: ['objectives.classLogit'], title: 'by index and by label', run: () => exerciseObjective(objectives.classLogit('logits', 2).add(objectives.classLogit('logits', 'class7'))) },
  { fns: ['objectives.asObjective'], title: "'layer:n' string", run: () => exerciseObjective(objectives.asObjective('acts:5')) },
  {
    fns: ['objectives.handleBatch', 'objectives.wrapObjective'],
    title: 'custom objective factory on image 1',
    run: () => {
      const channelMax = objectives.wrapObjective('ChannelMax', (layer: string, n: number) => ({
        layers: [layer],
        fn: (T) => tf.max(tf.slice(objectives.handleBatch(T, 1)(layer), [0, 0, 0, n], [-1, -1, -1, 1])),
      }));
      exerciseObjective(channelMax('acts', 2));
    },
  },
  {
    fns: ['objectives.Objective', 'Objective'],
    title: 'arithmetic: add, sub, mul, div, neg, sum, describe',
    run: () => {
      const a = objectives.channel('acts', 1);
      const b = objectives.L1();
      exerciseObjective(Objective.sum([a.add(b).sub(2).mul(b).div(3).neg(), 1]).describe('combo'));
    },
  },
  {
    fns: ['objectives.channel'],
    title: 'error at evaluation: channel out of range',
    run: () => expectThrows(() => exerciseObjective(objectives.channel('acts', 99)), /channel|n must/),
  },

  // ---- io
  {
    fns: ['io.toPng', 'io.fromPng'],
    title: 'tensor in, bytes out, bytes in',
    run: () => {
      const x = img(1, 8, 4);
      io.fromPng(io.toPng(x));
      x.dispose();
    },
  },
  {
    fns: ['io.toImageData', 'io.drawToCanvas'],
    title: 'fake canvas',
    run: () => {
      const x = img(1, 8);
      io.toImageData(x);
      const canvas = { width: 0, height: 0, getContext: () => ({ putImageData: () => undefined }) };
      io.drawToCanvas(x, canvas as unknown as OffscreenCanvas);
      x.dispose();
    },
  },
  {
    fns: ['io.hstack', 'io.vstack', 'io.grid'],
    title: 'tensors and arrays mixed',
    run: () => {
      const a = img(1, 8);
      const b = img(2, 8);
      const arr = io.hstack([a, b]);
      io.vstack([a, b, a]);
      io.grid([a, b, arr]);
      tf.dispose([a, b]);
    },
  },
  {
    fns: ['io.writePng', 'io.readImage', 'writePng', 'readImage'],
    title: 'to a temp file and back',
    run: async () => {
      const x = img(1, 8);
      const file = path.join(tmp, 'leak.png');
      await writePng(file, x);
      await readImage(file);
      x.dispose();
    },
  },

  // ---- render
  {
    fns: ['render.visSession', 'visSession'],
    title: 'steps, evaluate (input, loss, layer), imageArray, dispose',
    run: () => {
      const s = render.visSession(vmOrThrow(), 'conv4:3', { param: param.image(32, { seed: 1 }), seed: 1 });
      s.step();
      s.step();
      tf.dispose([s.image(), s.evaluate('input'), s.evaluate('loss'), s.evaluate('conv4')]);
      s.imageArray();
      const p = s.param;
      s.dispose();
      s.dispose();
      p.dispose();
    },
  },
  {
    fns: ['render.visSession'],
    title: 'constructor error (unknown layer) frees the default param',
    run: () => expectThrows(() => render.visSession(vmOrThrow(), 'conv44:3'), /conv44/),
  },
  {
    fns: ['render.renderVis', 'renderVis'],
    title: 'two thresholds, relu override on, default param',
    run: () => render.renderVis(vmOrThrow(), 'conv4:3', { thresholds: [1, 3], seed: 1, transforms: [transform.jitter(2)] }),
  },
  {
    fns: ['render.renderVis', 'render.RenderAbortError'],
    title: 'abort after 2 updates',
    run: async () => {
      const ac = new AbortController();
      await expectThrows(
        () =>
          render.renderVis(vmOrThrow(), 'conv4:3', {
            param: smallParam(),
            thresholds: [20],
            seed: 1,
            signal: ac.signal,
            onProgress: (p) => {
              if (p.step === 2) ac.abort();
            },
          }),
        /abort/i,
      );
    },
  },
  {
    fns: ['render.renderVis'],
    title: 'objective that throws at update 3',
    run: () =>
      expectThrows(
        () =>
          render.renderVis(
            vmOrThrow(),
            new Objective((T) => {
              if ((T.step ?? 0) >= 2) throw new Error('objective exploded');
              return tf.mean(T('conv4'));
            }, 'exploding', ['conv4']),
            { thresholds: [5], seed: 1, param: smallParam() },
          ),
        /exploded/,
      ),
  },
  {
    fns: ['render.renderVis'],
    title: 'non-finite objective',
    run: () => expectThrows(() => render.renderVis(vmOrThrow(), new Objective((T) => tf.div(tf.mean(T('conv4')), 0), 'inf', ['conv4']), { thresholds: [3], seed: 1, param: smallParam() })),
  },
  {
    fns: ['render.withRedirectedReluGrad', 'render.redirectedReluGrad', 'render.redirectedRelu6Grad'],
    title: '',
    run: () => {
      const x = tf.randomNormal([2, 4, 4, 3], 0, 1, 'float32', 1);
      const dy = tf.randomNormal([2, 4, 4, 3], 0, 1, 'float32', 2);
      tf.dispose([render.redirectedReluGrad(x, dy), render.redirectedRelu6Grad(x, dy)]);
      tf.dispose(render.withRedirectedReluGrad(() => tf.grad((v: tf.Tensor) => tf.sum(tf.relu(v)))(x)));
      tf.dispose([x, dy]);
    },
  },

  // ---- model
  {
    fns: ['model.visModel', 'visModel', 'model.fromLayersModel'],
    title: 'LayersModel: activations of several layers',
    run: async () => {
      const s = await smallVisModel(2);
      const x = img(1, 32);
      tf.dispose([...s.vm.activations(x, ['conv1', 'conv4', 'logits']).values()]);
      x.dispose();
      s.dispose();
    },
  },
  {
    fns: ['model.visModel', 'model.fromGraphModel'],
    title: 'GraphModel: activations, then unknown layer error',
    run: async () => {
      const s = await smallGraphVisModel(2);
      const x = img(1, 32);
      const first = s.vm.layers[0].name;
      tf.dispose([...s.vm.activations(x, [first]).values()]);
      await expectThrows(() => s.vm.activations(x, ['no_such_layer']), /no_such_layer/);
      x.dispose();
      s.dispose();
    },
  },
  {
    fns: ['model.loadModel'],
    title: 'from an in-memory tf.io handler',
    run: async () => {
      const m = await loadModelFn()(tf.io.fromMemory(makeTestGraphModelArtifacts(3)), { inputRange: [-1, 1] });
      const x = img(1, 32);
      tf.dispose([...m.activations(x, [m.layers[m.layers.length - 1].name]).values()]);
      x.dispose();
      m.dispose();
    },
  },

  {
    fns: ['model.parseInputRange', 'model.toModelInput', 'model.unfuseGraphTopology'],
    title: 'range mapping (per-channel, BGR) and topology rewrite',
    run: () => {
      const range = modelFn('parseInputRange')('test', { mean: [0.5, 0.4, 0.3], std: [0.2, 0.2, 0.3] });
      const x = img(1, 8);
      tf.dispose(modelFn('toModelInput')(x, range, 'BGR') as tf.Tensor);
      x.dispose();
      modelFn('unfuseGraphTopology')(makeTestGraphModelArtifacts(1).modelTopology);
    },
  },

  {
    fns: ['loadModel', 'fileHandler'],
    title: 'Node loadModel from a model directory on disk',
    run: async () => {
      const m = await api.loadModel(writeModelDir(), { inputRange: [-1, 1] });
      const x = img(1, 32);
      tf.dispose([...m.activations(x, [m.layers[m.layers.length - 1].name]).values()]);
      x.dispose();
      m.dispose();
    },
  },
  {
    fns: ['loadDefaultModel'],
    title: 'embedded default model, one forward pass',
    run: async () => {
      const m = await api.loadDefaultModel();
      const x = img(1, 64);
      tf.dispose([...m.activations(x, [m.layers[2].name]).values()]);
      x.dispose();
      m.dispose();
    },
  },

  // ---- backends
  {
    fns: ['backends.installGradientFixes', 'backends.uninstallGradientFixes', 'backends.gradientFixes'],
    title: 'listing, and install/uninstall on cpu (nothing to fix there)',
    run: () => {
      api.backends.gradientFixes('wasm');
      api.backends.installGradientFixes('cpu');
      api.backends.uninstallGradientFixes('cpu');
    },
  },
  {
    fns: [
      'backends.conv2dBackpropInputByConv',
      'backends.conv2dBackpropFilterByConv',
      'backends.depthwiseBackpropInputByConv',
      'backends.depthwiseBackpropFilterByTaps',
      'backends.maxPoolBackpropByTaps',
      'backends.maxPoolBackpropViaStock',
      'backends.unsortedSegmentSumByMatMul',
      'backends.oneHotByEqual',
    ],
    title: 'the kernel building blocks on small tensors',
    run: () => {
      const b = api.backends;
      const x = tf.randomNormal([1, 4, 4, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
      const dy2 = tf.randomNormal([1, 4, 4, 2], 0, 1, 'float32', 2) as tf.Tensor4D;
      const dy6 = tf.randomNormal([1, 4, 4, 6], 0, 1, 'float32', 3) as tf.Tensor4D;
      const f = tf.randomNormal([3, 3, 3, 2], 0, 1, 'float32', 4) as tf.Tensor4D;
      const y = tf.maxPool(x, 2, 2, 'valid');
      const dyp = tf.onesLike(y);
      const ids = tf.tensor1d([0, 2, 0], 'int32');
      const rows = tf.randomNormal([3, 5], 0, 1, 'float32', 5);
      tf.dispose([
        b.conv2dBackpropInputByConv(dy2, f, [1, 4, 4, 3], 1, 'same'),
        b.conv2dBackpropFilterByConv(x, dy2, [3, 3, 3, 2], 1, 'same'),
        b.depthwiseBackpropInputByConv(dy6, f, [1, 4, 4, 3], 1, 1, 'same'),
        b.depthwiseBackpropFilterByTaps(x, dy6, [3, 3, 3, 2], 1, 1, 'same'),
        b.maxPoolBackpropByTaps(dyp, x, y, 2, 2, 'valid'),
        b.maxPoolBackpropViaStock(dyp, x, y, 2, 2, 'valid', undefined, (d, xx, yy, fs, st) =>
          b.maxPoolBackpropByTaps(d, xx, yy, fs, st, 'valid'),
        ),
        b.unsortedSegmentSumByMatMul(rows, ids, 3),
        b.oneHotByEqual(ids, 4, 1, 0, 'float32'),
      ]);
      tf.dispose([x, dy2, dy6, f, y, dyp, ids, rows]);
    },
  },

  // ---- transparency (issue 10: the semi-transparent feature visualization toolkit)
  {
    fns: ['transparency.background'],
    title: 'image + jitter, colour + noise, pure noise',
    run: () => {
      exerciseParam(transparency.background(8, { varImageJitter: 4, seed: 1 }));
      exerciseParam(transparency.background(8, { varMode: 'color', noiseRatio: 0.5, seed: 2 }));
      exerciseParam(transparency.background(8, { noiseRatio: 1, seed: 3 }));
    },
  },
  {
    fns: ['transparency.composite', 'transparency.sharedForegrounds'],
    title: 'two pairs with shared foregrounds, named outputs, gradients',
    run: () =>
      exerciseParam(
        transparency.composite(
          transparency.sharedForegrounds(8, 2, { seed: 1 }),
          [transparency.background(8, { varMode: 'color', seed: 2 }), transparency.background(8, { noiseRatio: 1, seed: 3 })],
          { jitter: 2, seed: 4 },
        ),
      ),
  },
  {
    fns: ['transparency.alphaPenalty', 'transparency.over'],
    title: 'value and gradient; over with a tensor and a number',
    run: () => {
      const a = tf.randomUniform([2, 4, 4, 1], 0, 1, 'float32', 5);
      const rgba = tf.randomUniform([2, 4, 4, 4], 0, 1, 'float32', 6) as tf.Tensor4D;
      const pen = transparency.alphaPenalty();
      tf.dispose(tf.tidy(() => tf.grad((x: tf.Tensor) => pen.evaluate(fakeLookup({ alpha: x })))(a)));
      tf.dispose([transparency.over(rgba, 1), transparency.over(rgba, a)]);
      tf.dispose([a, rgba]);
    },
  },
  {
    fns: ['transparency.composite'],
    title: 'error paths allocate nothing',
    run: async () => {
      await expectThrows(() => transparency.composite({} as Param<tf.Tensor4D>, []), /foreground must be a Param/);
      await expectThrows(() => transparency.background(8, { noiseRatio: 2 }), /noiseRatio/);
      await expectThrows(() => transparency.sharedForegrounds(4, 1), /coarsest/);
    },
  },
  // ---- gallery (helper H7: whole-layer galleries)
  {
    fns: ['gallery.renderLayer', 'renderLayer'],
    title: 'two channels in one batch, then an abort after the first update',
    run: async () => {
      await api.gallery.renderLayer(vmOrThrow(), 'conv4', { channels: [1, 2], size: 16, steps: 2, batch: 2 });
      const ac = new AbortController();
      await expectThrows(
        () => api.gallery.renderLayer(vmOrThrow(), 'conv4', { channels: [1], size: 16, steps: 4, signal: ac.signal, onProgress: (p) => p.step === 1 && ac.abort() }),
        /abort/i,
      );
      await expectThrows(() => api.gallery.renderLayer(vmOrThrow(), 'conv4', { channels: [99] }), /\[0, 31\]/);
    },
  },
  {
    fns: ['gallery.parseChannels', 'gallery.shardChannels', 'gallery.channelSeed', 'gallery.galleryHtml', 'gallery.contactSheet'],
    title: 'host only',
    run: () => {
      const list = api.gallery.shardChannels(api.gallery.parseChannels('0-3', 4), 0, 2);
      api.gallery.channelSeed(0, list[0]);
      api.gallery.contactSheet([{ shape: [4, 4, 3], data: new Float32Array(48) }], { thumb: 2 });
      api.gallery.galleryHtml({
        format: 'tfjs-optvis-gallery', version: 1, model: 'm', layer: 'l', depth: 4,
        options: { size: 4, steps: 1, seed: 0, alpha: false, backend: 'cpu', inputRange: null }, channels: {},
      });
    },
  },
  {
    fns: ['buildGallery', 'rebuildGallery'],
    title: 'a finished gallery directory: resume (nothing to render, no workers), rebuild, bad options',
    run: async () => {
      const { mkdirSync } = await import('node:fs');
      const dir = mkdtempSync(path.join(tmp, 'gallery-'));
      mkdirSync(path.join(dir, 'channels'));
      const options = { size: 8, steps: 1, seed: 0, alpha: false, backend: 'cpu' as const, inputRange: null };
      const record = { channel: 0, file: 'channels/0000.png', objective: 1, seconds: 1, finishedAt: new Date(0).toISOString() };
      writeFileSync(path.join(dir, 'channels/0000.png'), io.toPng({ shape: [8, 8, 3], data: new Float32Array(192).fill(0.5) }));
      writeFileSync(path.join(dir, 'channels/0000.json'), JSON.stringify(record));
      writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify({ format: 'tfjs-optvis-gallery', version: 1, model: '/no/model', layer: 'conv4', depth: 2, options, channels: {} }));
      await api.buildGallery({ dir, layer: 'conv4', model: '/no/model', channels: [0], size: 8, steps: 1, backend: 'cpu' });
      await api.rebuildGallery(dir);
      await expectThrows(() => api.buildGallery({ dir, layer: 'conv4', workers: 0 }), /workers must be a positive integer/);
    },
  },

  // ---- threads (useWasmThreads): the threaded backend must be chosen before wasm starts, so the
  // render loop runs in a fresh child process (tests/reliability/wasmThreadsLeakChild.ts) that
  // reports numTensors around its second run; the child is started once and shared by the warm-up
  // and the measured run of each case. Here: the error paths, which must change nothing.
  {
    fns: ['useWasmThreads', 'wasmThreadsState'],
    title: 'render loop on 2 threads in a child process (steps, renderVis, abort, error); bad options here',
    run: async () => {
      threadsChild('2', '1').catch(() => undefined); // start the next case's child meanwhile (its case reports its errors)
      const got = await threadsChild('2');
      expect(got.stateBefore).toEqual({ threads: 0 });
      expect(got.state).toEqual({ threads: 2 });
      expect(got.backend).toBe('wasm');
      expect(got.after - got.before, 'numTensors growth in the child on 2 threads').toBe(0);
      const factory = tf.findBackendFactory('wasm');
      const state = api.wasmThreadsState();
      await expectThrows(() => api.useWasmThreads({ threads: 0 }), /^Error in useWasmThreads: threads must be an integer from 1 to 8, but got 0\.$/);
      await expectThrows(() => api.useWasmThreads({ threads: 2, timeoutMs: -5 }), /^Error in useWasmThreads: timeoutMs must be .*, but got -5\.$/);
      expect(tf.findBackendFactory('wasm')).toBe(factory);
      expect(api.wasmThreadsState()).toEqual(state);
    },
  },
  {
    fns: ['useWasmThreads', 'wasmThreadsState'],
    title: 'fallback to one thread (timeoutMs 1) in a child process: same render loop, no growth',
    run: async () => {
      const got = await threadsChild('2', '1');
      expect(got.state).toEqual({ threads: 1, fallbackReason: expect.stringMatching(/^the threaded module did not start within 1 ms/) });
      expect(got.backend).toBe('wasm');
      expect(got.after - got.before, 'numTensors growth in the child after the fallback').toBe(0);
    },
  },

  // ---- native convolutions (useNativeKernels: the C++ addon on wasm; values and bounds in
  // tests/backends/nativeKernels.test.ts). Convolutions, a fallback, an input gradient and an addon
  // error on wasm, bad options; always released and back on cpu, so later cases see stock kernels.
  {
    fns: ['useNativeKernels', 'releaseNativeKernels', 'nativeKernelsState', 'nativeKernelsBuilt'],
    title: 'wasm conv, fused conv, fallback, input gradient, addon error, bad options; released after',
    run: async () => {
      expect(api.nativeKernelsBuilt(), 'the addon is built (`npm run build:native`)').toBe(true);
      await useBackend('wasm');
      try {
        expect(api.useNativeKernels({ threads: 2 })).toMatchObject({ active: true, threads: 2 });
        expect(api.nativeKernelsState().threads).toBe(2);
        const x = tf.randomUniform([1, 9, 9, 3], -1, 1, 'float32', 1) as tf.Tensor4D;
        const w = tf.randomUniform([3, 3, 3, 8], -1, 1, 'float32', 2) as tf.Tensor4D;
        const b = tf.zeros([8]) as tf.Tensor1D;
        try {
          tf.tidy(() => {
            tf.conv2d(x, w, 1, 'same').dataSync();
            tf.fused.conv2d({ x, filter: w, strides: 2, pad: 'valid', bias: b, activation: 'relu6' }).dataSync();
            tf.fused.conv2d({ x, filter: w, strides: 1, pad: 'same', activation: 'elu' }).dataSync(); // falls back to the stock kernel
            tf.grad((v: tf.Tensor) => tf.sum(tf.relu(tf.conv2d(v as tf.Tensor4D, w, 1, 'same'))))(x).dataSync();
          });
          // tfjs's fused op lets dilations 0 through: the addon refuses it after the kernel made its output
          const buffers = tf.engine().backend.numDataIds();
          await expectThrows(() => tf.fused.conv2d({ x, filter: w, strides: 1, pad: 'valid', dilations: 0 as unknown as 1, activation: 'relu' }), /optvis_native\.conv2d/);
          expect(tf.engine().backend.numDataIds(), 'wasm buffers after the addon error').toBe(buffers);
        } finally {
          tf.dispose([x, w, b]);
        }
        await expectThrows(() => api.useNativeKernels({ threads: 0 }), /^Error in useNativeKernels: threads must be an integer from 1 to 256, but got 0\.$/);
        await expectThrows(() => api.useNativeKernels({ foo: 1 } as never), /^Error in useNativeKernels: options must only have known keys, but got unknown option "foo"/);
        expect(api.nativeKernelsState()).toMatchObject({ active: true, threads: 2 });
      } finally {
        api.releaseNativeKernels();
        api.releaseNativeKernels();
        await useBackend('cpu');
      }
      expect(api.nativeKernelsState()).toEqual({ active: false, threads: 0, avx2: false });
    },
  },

  // ---- root helpers
  {
    fns: ['stopGradient'],
    title: '',
    run: () => {
      const x = tf.ones([3]);
      tf.dispose(tf.tidy(() => tf.grad((v: tf.Tensor) => tf.sum(tf.mul(v, api.stopGradient(v))))(x)));
      x.dispose();
    },
  },
  { fns: ['Rng', 'toRng'], title: 'host only', run: () => api.toRng(3).normal() + new Rng(1).next() },
  { fns: ['OptvisError'], title: 'host only', run: () => new api.OptvisError('f', 'x must be y, but got z.') },
];

/** What tests/reliability/wasmThreadsLeakChild.ts prints. */
interface ThreadsChildReport {
  stateBefore: { threads: number; fallbackReason?: string };
  state: { threads: number; fallbackReason?: string };
  backend: string;
  before: number;
  after: number;
}
const threadsChildRuns = new Map<string, Promise<ThreadsChildReport>>();
/** Runs the threads child once per argument list (later calls share its report). */
function threadsChild(...args: string[]): Promise<ThreadsChildReport> {
  const key = args.join(' ');
  let run = threadsChildRuns.get(key);
  if (!run) {
    run = new Promise<ThreadsChildReport>((resolve, reject) => {
      const here = path.dirname(fileURLToPath(import.meta.url));
      const child = spawn(process.execPath, ['--import', 'tsx', path.join(here, 'wasmThreadsLeakChild.ts'), ...args], {
        cwd: path.resolve(here, '..', '..'),
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      let err = '';
      child.stdout.on('data', (d) => (out += d));
      child.stderr.on('data', (d) => (err += d));
      const killer = setTimeout(() => child.kill('SIGKILL'), 60_000);
      child.on('close', (code) => {
        clearTimeout(killer);
        if (code !== 0) reject(new Error(`threads child ${key} exited with ${code}: ${err.slice(-2000)}`));
        else resolve(JSON.parse(out.trim().split('\n').pop() as string) as ThreadsChildReport);
      });
    });
    threadsChildRuns.set(key, run);
  }
  return run;
}

/** Public callables deliberately without a leak case, with the reason. */
const EXCLUDED: Record<string, string> = {};

/** Writes the fixture GraphModel as model.json + weights.bin into a fresh temp directory. */
function writeModelDir(): string {
  const a = makeTestGraphModelArtifacts(5);
  const dir = mkdtempSync(path.join(tmp, 'model-'));
  const manifest = [{ paths: ['weights.bin'], weights: a.weightSpecs }];
  writeFileSync(path.join(dir, 'model.json'), JSON.stringify({ format: 'graph-model', modelTopology: a.modelTopology, weightsManifest: manifest }));
  writeFileSync(path.join(dir, 'weights.bin'), Buffer.from(a.weightData as ArrayBuffer));
  return dir;
}

describe('leak suite (cpu)', () => {
  beforeAll(async () => {
    await useBackend('cpu');
    tmp = mkdtempSync(path.join(tmpdir(), 'optvis-leak-'));
    small = await smallVisModel(1).catch((e: unknown) => {
      modelError = e;
      return undefined;
    });
  });
  afterAll(() => {
    small?.dispose();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('covers every public callable (or excludes it with a reason)', () => {
    const covered = new Set(CASES.flatMap((c) => c.fns));
    const missing = publicCallables().filter((n) => !covered.has(n) && !(n in EXCLUDED));
    expect(missing, `public callables without a leak case: ${missing.join(', ')}`).toEqual([]);
  });

  it.each(CASES.map((c) => [`${c.fns.join(' + ')}${c.title ? `: ${c.title}` : ''}`, c] as const))('%s leaks nothing', async (_, c) => {
    // A first run may create lazily cached, owned constants (e.g. a model's sub-model): warm up once.
    await c.run();
    disposeParams();
    expect(
      await delta(async () => {
        await c.run();
        disposeParams();
      }),
      'numTensors delta',
    ).toBe(0);
  });
});

describe('leak suite (wasm): render loop', () => {
  it('visSession steps and renderVis (normal, abort) leave numTensors unchanged', async () => {
    await useBackend('wasm');
    const s = await smallVisModel(1);
    const run = async () => {
      const session = render.visSession(s.vm, 'conv4:3', { seed: 2, param: undefined });
      session.step();
      session.step();
      session.dispose();
      await render.renderVis(s.vm, 'conv4:3', { thresholds: [2], seed: 2 });
      const ac = new AbortController();
      await expectThrows(() => render.renderVis(s.vm, 'conv4:3', { thresholds: [9], signal: ac.signal, onProgress: (p) => p.step === 1 && ac.abort() }), /abort/i);
    };
    await run();
    expect(await delta(run)).toBe(0);
    s.dispose();
    await useBackend('cpu');
  });
});

import * as tf from '@tensorflow/tfjs-core';
import '../ops/registerGradients';
import { didYouMean, fail, OptvisError, show } from '../errors';
import { checkOptions } from '../validate';
import { Rng } from '../ops/random';
import type { Param, ParamOutputs } from '../param/types';
import type { Transform } from '../transform/types';
import type { VisModel } from '../model/types';
import type { ImageArray } from '../io/types';
import { asObjectiveValue, INPUT, Objective, type Lookup } from '../objectives/objective';
import { asObjective, image as imageParam, compose, standardTransforms, installGradientFixes } from './deps';
import { RELU_OVERRIDE_LAST_STEP, withRedirectedReluGrad } from './redirectedReluGrad';
import { variableGradsOrCleanUp } from './tape';
import { Tf1AdamOptimizer } from './tf1Adam';

const FN = 'render.visSession';

/** The options {@link visSession} accepts (internal). */
export const SESSION_KEYS = ['param', 'optimizer', 'transforms', 'reluGradientOverride', 'seed'] as const;

/** What to maximise: an {@link Objective}, a constant, or a `'layer:n'` string (a channel objective). */
export type ObjectiveSpec = Objective | number | string;

/**
 * A tfjs optimizer, or a function that creates one (called once per session). Either way the
 * optimizer is a part of the session (its slot variables are the session's state): the session
 * disposes it in `dispose()`, so pass a fresh one per session. If `visSession` throws, an
 * instance you passed stays yours (see the ownership rule on {@link visSession}).
 */
export type OptimizerSpec = tf.Optimizer | (() => tf.Optimizer);

/** Options of {@link visSession}. */
export interface VisSessionOptions {
  /**
   * The image parameterization to optimize. Default: `param.image(128)` (seeded from `seed`),
   * created and disposed by the session. A param you pass is lent: it holds the result, so the
   * session never disposes it; dispose it yourself.
   */
  param?: Param;
  /**
   * The optimizer, handed over to the session (see {@link OptimizerSpec}). Default: Adam(0.05)
   * exactly as Lucid's TF1 `tf.train.AdamOptimizer(0.05)` (β₁ 0.9, β₂ 0.999, ε 1e-8 applied as
   * TF1 does, to the raw second moment); `tf.train.adam(0.05)` differs (ε 1e-7 on the
   * bias-corrected moment), most where gradients are small.
   */
  optimizer?: OptimizerSpec;
  /**
   * Random transforms applied to the image before the model sees it, in order. Default
   * (`undefined`): `transform.standardTransforms()`. `[]` means no transforms.
   */
  transforms?: readonly Transform[];
  /**
   * Use Lucid's redirected ReLU/ReLU6 gradients for the first updates (see
   * {@link withRedirectedReluGrad}). Default `false` here, as Lucid's `make_vis_T`;
   * `renderVis` turns it on by default.
   */
  reluGradientOverride?: boolean;
  /**
   * Seed of the random choices: the default param's initial values and the transforms' draws.
   * Same seed, same backend ⇒ same images. Default: unseeded.
   */
  seed?: number;
}

/**
 * A feature-visualization optimization that can be stepped, inspected and disposed: Lucid's
 * `make_vis_T` as an object. Create it with {@link visSession}.
 */
export interface VisSession {
  /** The model being visualized (the caller's; never disposed by the session). */
  readonly model: VisModel;
  /** The objective being maximised. */
  readonly objective: Objective;
  /** The parameterization being optimized. */
  readonly param: Param;
  /** Number of updates done so far. */
  readonly steps: number;
  /** Whether `dispose()` was called. */
  readonly disposed: boolean;
  /**
   * One optimization update: draws the transforms, runs the model once, and lets the optimizer
   * minimise −objective over the param's variables only. Synchronous.
   * @returns Lucid's `loss`: the objective's value (to maximise) just before this update.
   */
  step(): number;
  /**
   * The same update as {@link VisSession.step}, but the loss is read back with `await data()`
   * instead of `dataSync()`: on webgl/webgpu the page stays responsive while the GPU works, and the
   * update is applied (or refused for a non-finite loss) once the value has arrived. Exactly the
   * same numbers as `step()`. One at a time: await it before the next `step()`/`stepAsync()`;
   * `dispose()` while it is pending frees the update and rejects it.
   * @returns a promise of the objective's value just before this update.
   * @example
   * ```ts
   * // in a page: one update per frame, the page stays responsive while the GPU works
   * const p = param.image(64);
   * const session = visSession(vm, 'conv4:3', { param: p, seed: 1 });
   * for (let i = 0; i < 100; i++) {
   *   readout.textContent = `step ${i + 1}: ${(await session.stepAsync()).toFixed(3)}`;
   *   await new Promise(requestAnimationFrame);
   * }
   * session.dispose();
   * p.dispose();
   * ```
   */
  stepAsync(): Promise<number>;
  /** The current image (`param.image()`, before transforms), `[b, h, w, c]`; the caller owns it. */
  image(): tf.Tensor4D;
  /** The current image as plain numbers (`[b, h, w, c]`, a copy: nothing to dispose). */
  imageArray(): ImageArray;
  /**
   * Reads a tensor of the visualization, as Lucid's `T(name)`: `'input'` (the param's image),
   * `'loss'` (the objective's value, a scalar), any named output of the param (`param.build()`),
   * or any model layer (on a transformed image, as in Lucid). Transforms are drawn from a separate
   * random stream, so evaluating never changes the optimization. The caller owns the result.
   */
  evaluate(name: string): tf.Tensor;
  /** Frees what the session is made of: the optimizer (and its state) and the default param if it created one. Idempotent. */
  dispose(): void;
}

/**
 * Creates a step-able feature-visualization session: the model, objective, parameterization,
 * transforms and optimizer wired together once, then updated one `step()` at a time.
 *
 * Why: Lucid's `render_vis` covers the common case, but custom loops (schedules, several
 * objectives, live previews, interleaved evaluation) need the pieces; Lucid exposes them as
 * `make_vis_T`, a lookup `T("vis_op")`, `T("input")`, `T("loss")`, `T(layer)`. Eager tfjs has no
 * graph to look into, so the session is an object with the same reads.
 *
 * Objectives may read named outputs of a composed param (`param.custom` → `{ image, alpha, ... }`)
 * by name, as Lucid's `T(name)` reads the render graph's locals: `new Objective((T) => tf.mean(T('alpha')),
 * 'mean alpha', ['alpha'])`; such names are taken from the param, not from the model.
 *
 * Everything is validated before the first step, in one trial forward pass: the objective's
 * layers exist in the model (with suggestions), the param's image has a size and channel count the
 * model can take after the transforms, and the objective evaluates to a tensor. It also installs
 * the gradient fixes of the current backend (`installGradientFixes(tf.getBackend())`); it never
 * switches backends.
 *
 * Memory: each `step()` runs in `tf.tidy`; after the first step (where Adam adds 2 slot variables
 * per param variable) a step leaves `tf.memory().numTensors` unchanged. If construction throws,
 * everything it allocated is freed.
 *
 * Ownership — the library's one rule (docs/ownership.md): an object disposes what it is made of,
 * never what it merely works on. The session is made of its optimizer (instance or factory) and
 * the default param it creates; `dispose()` frees them. It works on the model and on a `param` you
 * pass (which holds the result): those stay yours. A hand-over takes effect only when
 * `visSession` returns; if it throws, everything you passed is still yours.
 *
 * @param model the model to visualize (a {@link VisModel}, e.g. from `model.visModel(...)`).
 * @param objective an {@link Objective}, a number, or a `'layer:n'` string (channel n of layer).
 * @param options see {@link VisSessionOptions}.
 * @returns a {@link VisSession}; call `dispose()` when done.
 *
 * @remarks
 * Port of `lucid.optvis.render.make_vis_T`. Differences: an object instead of `T(name)`;
 * `evaluate('loss')` and layers use their own transform draws; `optimizer` takes ownership.
 *
 * @example
 * ```ts
 * const session = visSession(vm, 'conv4:3', { param: param.image(64), seed: 1 });
 * for (let i = 0; i < 100; i++) session.step();
 * const pixels = session.imageArray(); // { shape: [1, 64, 64, 3], data }
 * session.dispose();
 * ```
 */
export function visSession(model: VisModel, objective: ObjectiveSpec, options: VisSessionOptions = {}): VisSession {
  return new Session(model, objective, options);
}

class Session implements VisSession {
  readonly model: VisModel;
  readonly objective: Objective;
  readonly param: Param;
  private readonly ownsParam: boolean;
  /** Named outputs of the param (`param.build()`) that the objective reads, as Lucid's `T(name)` reads locals. */
  private readonly paramNames: ReadonlySet<string>;
  private readonly optimizer: tf.Optimizer;
  private readonly transform: Transform;
  private readonly reluOverride: boolean;
  private readonly stepRng: Rng;
  private readonly evalRng: Rng;
  private count = 0;
  private isDisposed = false;
  /** A stepAsync() is waiting for its loss. */
  private awaitingLoss = false;

  constructor(model: VisModel, objective: ObjectiveSpec, options: VisSessionOptions) {
    checkModel(model);
    this.model = model;
    this.objective = toObjective(objective);
    const { param, optimizer, transforms, reluGradientOverride = false, seed } = checkOptions(FN, options, SESSION_KEYS);
    if (seed !== undefined && (typeof seed !== 'number' || !Number.isFinite(seed))) {
      fail(FN, `seed must be a finite number, but got ${show(seed)}.`);
    }
    if (typeof reluGradientOverride !== 'boolean') {
      fail(FN, `reluGradientOverride must be a boolean, but got ${show(reluGradientOverride)}.`);
    }
    if (param !== undefined) checkParam(param);
    if (optimizer !== undefined && !(optimizer instanceof tf.Optimizer) && typeof optimizer !== 'function') {
      fail(FN, `optimizer must be a tf.Optimizer or a function returning one, but got ${show(optimizer)}.`);
    }
    if (transforms !== undefined && !Array.isArray(transforms)) {
      fail(FN, `transforms must be an array of transforms (or undefined for the standard ones), but got ${show(transforms)}.`);
    }
    this.paramNames = paramOutputsRead(model, this.objective, param);
    checkLayers(model, this.objective, this.paramNames);

    this.transform = compose(transforms ?? standardTransforms());
    this.reluOverride = reluGradientOverride;
    const root = new Rng(seed);
    const paramSeed = root.seed();
    this.stepRng = root.fork();
    this.evalRng = root.fork();
    const trialRng = root.fork();

    installGradientFixes(tf.getBackend());
    this.ownsParam = param === undefined;
    this.param = param ?? imageParam(128, { seed: paramSeed });
    let opt: tf.Optimizer | undefined;
    try {
      opt = makeOptimizer(optimizer);
      this.optimizer = opt;
      this.trial(trialRng);
    } catch (error) {
      // Free what this constructor allocated; the caller's param and optimizer instance stay theirs.
      if (opt !== undefined && typeof optimizer !== 'object') opt.dispose();
      if (this.ownsParam) this.param.dispose();
      throw error;
    }
  }

  get steps(): number {
    return this.count;
  }

  get disposed(): boolean {
    return this.isDisposed;
  }

  step(): number {
    const pending = this.beginStep('step');
    let loss: number;
    try {
      loss = 0 - pending.value.dataSync()[0];
    } catch (error) {
      freeStep(pending);
      throw error;
    }
    return this.finishStep('step', pending, loss);
  }

  async stepAsync(): Promise<number> {
    const pending = this.beginStep('stepAsync');
    this.awaitingLoss = true;
    let loss: number;
    try {
      loss = 0 - (await pending.value.data())[0];
    } catch (error) {
      freeStep(pending);
      throw error;
    } finally {
      this.awaitingLoss = false;
    }
    if (this.isDisposed) {
      freeStep(pending);
      fail(`${FN}.stepAsync`, 'the session must stay alive until stepAsync() resolves, but got dispose() while it was pending; the update was not applied.');
    }
    return this.finishStep('stepAsync', pending, loss);
  }

  /** Computes −objective and its gradients for the next update (the caller frees them via finishStep/freeStep). */
  private beginStep(method: string): PendingStep {
    this.checkAlive(method);
    if (this.awaitingLoss) {
      fail(`${FN}.${method}`, 'the previous stepAsync() must have resolved, but got a call while it is pending (await it first).');
    }
    const vars = [...this.param.variables];
    if (vars.length === 0) {
      fail(`${FN}.${method}`, 'param must have trainable variables to optimize, but got none (a sampling param such as imageSample is not trainable).');
    }
    const stepIndex = this.count;
    // Lucid overrides the ReLU gradients of the imported model only, while global_step <= 16.
    const redirect = this.reluOverride && stepIndex <= RELU_OVERRIDE_LAST_STEP;
    try {
      return tf.tidy(() =>
        variableGradsOrCleanUp(() => tf.neg(this.objectiveValue(this.stepRng, stepIndex, { redirect })), vars),
      );
    } catch (error) {
      if (error instanceof Error && /Cannot find a connection between any variable/.test(error.message)) {
        fail(`${FN}.${method}`, `objective must depend on the param's variables, but got ${show(this.objective.description)}, which does not.`);
      }
      throw error;
    }
  }

  /** Applies a computed update unless its loss is not finite; always frees the step's tensors. */
  private finishStep(method: string, pending: PendingStep, loss: number): number {
    const stepIndex = this.count;
    try {
      if (!Number.isFinite(loss)) {
        fail(
          `${FN}.${method}`,
          `the objective must be finite, but got ${show(loss)} at update ${stepIndex + 1} (after ${stepIndex} updates) ` +
            `for objective ${show(this.objective.description)}. The update was not applied: the param keeps its last finite values.`,
        );
      }
      this.optimizer.applyGradients(pending.grads);
      this.count++;
      return loss;
    } finally {
      freeStep(pending);
    }
  }

  image(): tf.Tensor4D {
    this.checkAlive('image');
    return tf.tidy(() => this.buildParam().image);
  }

  imageArray(): ImageArray {
    this.checkAlive('imageArray');
    const t = this.image();
    try {
      return { shape: [...t.shape], data: new Float32Array(t.dataSync()) };
    } finally {
      t.dispose();
    }
  }

  evaluate(name: string): tf.Tensor {
    this.checkAlive('evaluate');
    if (typeof name !== 'string') fail(`${FN}.evaluate`, `name must be a string, but got ${show(name)}.`);
    if (name === INPUT) return this.image();
    if (name === 'loss') return tf.tidy(() => this.objectiveValue(this.evalRng, this.count));
    return tf.tidy(() => {
      const outputs = this.buildParam();
      if (Object.prototype.hasOwnProperty.call(outputs, name)) return outputs[name];
      const layerNames = this.model.layers.map((l) => l.name);
      if (layerNames.includes(name)) {
        const transformed = this.transform(outputs.image, this.evalRng);
        const acts = this.model.activations(transformed, [name]);
        const out = acts.get(name);
        if (out === undefined) fail(`${FN}.evaluate`, `the model must return layer "${name}", but got no tensor for it.`);
        return out;
      }
      const candidates = [INPUT, 'loss', ...Object.keys(outputs), ...layerNames];
      return fail(
        `${FN}.evaluate`,
        `name must be 'input', 'loss', a named output of the param (${Object.keys(outputs).join(', ')}) or a layer of the model, ` +
          `but got ${show(name)}.${didYouMean(name, candidates)}`,
      );
    });
  }

  dispose(): void {
    if (this.isDisposed) return;
    this.isDisposed = true;
    this.optimizer.dispose();
    if (this.ownsParam) this.param.dispose();
  }

  /** The param's image and named outputs (the caller, inside a tidy, owns them). */
  private buildParam(): ParamOutputs {
    const out = this.param.build ? this.param.build() : { image: this.param.image() };
    if (out === null || typeof out !== 'object' || !(out.image instanceof tf.Tensor)) {
      fail(FN, `param must build an image tensor, but got ${show(out === null || typeof out !== 'object' ? out : out.image)}.`);
    }
    return out;
  }

  /**
   * The objective's value on a freshly transformed image; call inside tf.tidy. `check` validates
   * the image against the model (trial pass); `redirect` records the model's forward pass with the
   * redirected ReLU gradients (tfjs binds a gradient to an op when the op is recorded, so this
   * covers exactly the model's ReLUs, as Lucid's override around `import_model`).
   */
  private objectiveValue(rng: Rng, step: number, how: { check?: boolean; redirect?: boolean } = {}): tf.Scalar {
    const outputs = this.buildParam();
    const image = outputs.image;
    const transformed = this.transform(image, rng);
    if (how.check) this.checkImageFits(image, transformed);
    const forward = () => this.activations(transformed, how.check === true);
    const acts = how.redirect ? withRedirectedReluGrad(forward) : forward();
    const layers = this.objective.layers;
    const lookupFn = (name: string): tf.Tensor => {
      if (name === INPUT) return image;
      if (this.paramNames.has(name)) return outputs[name];
      const t = acts.get(name);
      if (t === undefined) {
        return fail(
          `${FN}`,
          `the objective may only read 'input' and the layers it declares (${layers.map((l) => `'${l}'`).join(', ') || 'none'}), ` +
            `but got ${show(name)}: add it to the Objective's layers.`,
        );
      }
      return t;
    };
    const lookup: Lookup = Object.assign(lookupFn, { labels: this.model.labels, step });
    return this.objective.evaluate(lookup);
  }

  private activations(transformed: tf.Tensor4D, explain: boolean): Map<string, tf.Tensor> {
    const layers = this.objective.layers.filter((l) => !this.paramNames.has(l));
    if (layers.length === 0) return new Map();
    try {
      return this.model.activations(transformed, layers);
    } catch (error) {
      if (!explain || error instanceof OptvisError) throw error;
      return fail(
        FN,
        `the param image must have a size the model can take, but got ${shapeText(transformed.shape)} after transforms ` +
          `(the model failed with: ${error instanceof Error ? error.message : String(error)}). Use a larger param image.`,
      );
    }
  }

  /** Checks the transformed image against the model's declared input shape. */
  private checkImageFits(image: tf.Tensor, transformed: tf.Tensor): void {
    if (image.rank !== 4) fail(FN, `the param image must be a rank-4 [b, h, w, c] tensor, but got shape ${show(image.shape)}.`);
    const [mh, mw, mc] = this.model.imageShape;
    const [, h, w, c] = transformed.shape;
    if (c !== mc) {
      fail(
        FN,
        `the param image must have ${mc} channels (the model's input) after transforms, but got ${c}` +
          (c === 4 ? ' (an alpha channel: composite it first, e.g. with a background or transform.collapseAlphaRandom())' : '') +
          '.',
      );
    }
    if ((mh !== null && mh !== h) || (mw !== null && mw !== w)) {
      fail(
        FN,
        `the param image must be ${mh ?? 'any'}×${mw ?? 'any'} px after transforms (the model's fixed input size), ` +
          `but got ${h}×${w} (param image ${image.shape[1]}×${image.shape[2]}). Change the param size or the transforms` +
          (mh !== null && mw !== null ? ` (e.g. end them with transform.cropOrPadTo(${mh}, ${mw})).` : '.'),
      );
    }
  }

  /** One forward pass without gradients: validates sizes and the objective before any update. */
  private trial(rng: Rng): void {
    tf.tidy(() => {
      this.objectiveValue(rng, 0, { check: true });
    });
  }

  private checkAlive(method: string): void {
    if (this.isDisposed) fail(`${FN}.${method}`, 'the session must not be disposed, but got a disposed session.');
  }
}

/** The value (−objective) and gradients of one update, between computing and applying them. */
interface PendingStep {
  value: tf.Scalar;
  grads: tf.NamedTensorMap;
}

function freeStep(pending: PendingStep): void {
  tf.dispose(pending.value);
  tf.dispose(pending.grads);
}

function shapeText(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

function toObjective(objective: ObjectiveSpec): Objective {
  if (objective instanceof Objective) return objective;
  if (typeof objective === 'number') return asObjectiveValue(objective, FN);
  if (typeof objective === 'string') return asObjective(objective);
  return fail(FN, `objective must be an Objective, a number or a 'layer:n' string, but got ${show(objective)}.`);
}

function checkModel(model: VisModel): void {
  const m = model as unknown as Record<string, unknown> | null;
  if (m === null || typeof m !== 'object' || typeof m.activations !== 'function' || !Array.isArray(m.layers)) {
    const hint =
      m !== null && typeof m === 'object' && (typeof m.predict === 'function' || typeof m.execute === 'function')
        ? ' Wrap a tfjs model with model.visModel(m, { inputRange }) first.'
        : '';
    fail(FN, `model must be a VisModel, but got ${show(model)}.${hint}`);
  }
}

function checkParam(param: Param): void {
  const p = param as unknown as Record<string, unknown> | null;
  if (p === null || typeof p !== 'object' || typeof p.image !== 'function' || !Array.isArray(p.variables) || typeof p.dispose !== 'function') {
    fail(FN, `param must be a Param (an object with image(), variables and dispose()), but got ${show(param)}.`);
  }
  if (p.disposed === true) fail(FN, 'param must not be disposed, but got a disposed param.');
}

/**
 * The names the objective reads that are named outputs of the param rather than model layers
 * (only looked up when the param has `build()` and some name is not a model layer).
 */
function paramOutputsRead(model: VisModel, objective: Objective, param: Param | undefined): ReadonlySet<string> {
  const names = new Set(model.layers.map((l) => l.name));
  const build = param?.build;
  if (build === undefined || objective.layers.every((l) => names.has(l))) return new Set();
  const outputs = tf.tidy(() => Object.keys(build.call(param)).filter((k) => k !== 'image'));
  return new Set(objective.layers.filter((l) => !names.has(l) && outputs.includes(l)));
}

function checkLayers(model: VisModel, objective: Objective, paramNames: ReadonlySet<string>): void {
  const names = model.layers.map((l) => l.name);
  for (const layer of objective.layers) {
    if (!names.includes(layer) && !paramNames.has(layer)) {
      fail(
        FN,
        `the objective's layer must be a layer of the model, but got ${show(layer)} (in ${show(objective.description)}).` +
          didYouMean(layer, names),
      );
    }
  }
}

function makeOptimizer(spec: OptimizerSpec | undefined): tf.Optimizer {
  if (spec === undefined) return new Tf1AdamOptimizer(0.05);
  if (spec instanceof tf.Optimizer) return spec;
  const made = spec();
  if (!(made instanceof tf.Optimizer)) {
    fail(FN, `optimizer must be a tf.Optimizer or a function returning one, but got a function returning ${show(made)}.`);
  }
  return made;
}

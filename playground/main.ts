/**
 * The tfjs-optvis playground page: load a model (the default one from the dev server, or files the
 * user picks), choose a layer and channel, press Render and watch the image optimize, on the webgl,
 * webgpu, wasm or cpu backend. Bundled for the browser by `scripts/serve.ts` (`npm run playground`).
 *
 * The page only uses the library's public API (`src/index.ts`): `model` to load and wrap the model,
 * `param.image`, `objectives.channel`, `render.visSession` for a step-able loop (so the canvas can
 * be redrawn between updates and Stop can end it), `io.drawToCanvas`, and the backend gradient fixes.
 *
 * Its state is mirrored on `<body data-state>` (`starting`, `idle`, `loading`, `ready`,
 * `rendering`, `done`, `stopped`, `error`) for the end-to-end tests.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-webgl';
import '@tensorflow/tfjs-backend-webgpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { gallery, io, objectives, param, render, transform, type ImageArray, type VisModel, type Transform } from '../src/index';
import { defaultModelInfo, loadVisModel, prepareBackend, type ModelSource } from './library';

/** Where the dev server serves the wasm binaries and the default model. */
const WASM_PATH = '/wasm/';
const DEFAULT_MODEL_URL = '/models/default/model.json';
const DEFAULT_MODEL_INFO_URL = '/models/default/info.json';

setWasmPaths(WASM_PATH);

type State = 'starting' | 'idle' | 'loading' | 'ready' | 'rendering' | 'done' | 'stopped' | 'error';

function $<T extends HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`playground: element #${id} is missing from index.html`);
  return el as T;
}

const ui = {
  backend: $<HTMLSelectElement>('backend'),
  loadDefault: $<HTMLButtonElement>('load-default'),
  files: $<HTMLInputElement>('files'),
  range: $<HTMLSelectElement>('range'),
  modelInfo: $<HTMLDivElement>('model-info'),
  layer: $<HTMLSelectElement>('layer'),
  channel: $<HTMLInputElement>('channel'),
  alpha: $<HTMLInputElement>('alpha'),
  transforms: $<HTMLSelectElement>('transforms'),
  size: $<HTMLInputElement>('size'),
  steps: $<HTMLInputElement>('steps'),
  seed: $<HTMLInputElement>('seed'),
  render: $<HTMLButtonElement>('render'),
  stop: $<HTMLButtonElement>('stop'),
  canvas: $<HTMLCanvasElement>('canvas'),
  readout: $<HTMLDivElement>('readout'),
  status: $<HTMLDivElement>('status'),
  error: $<HTMLDivElement>('error'),
  layerChannels: $<HTMLInputElement>('layer-channels'),
  layerBatch: $<HTMLInputElement>('layer-batch'),
  renderLayer: $<HTMLButtonElement>('render-layer'),
  layerView: $<HTMLElement>('layer-view'),
  layerTitle: $<HTMLElement>('layer-title'),
  layerGrid: $<HTMLDivElement>('layer-grid'),
};

let vm: VisModel | undefined;
let modelName = '';
let stopRequested = false;
let busy = false;

function setState(state: State, status?: string): void {
  document.body.dataset.state = state;
  if (status !== undefined) ui.status.textContent = status;
  const rendering = state === 'rendering';
  const loading = state === 'loading' || state === 'starting';
  ui.render.disabled = rendering || loading || !vm;
  ui.renderLayer.disabled = rendering || loading || !vm;
  ui.stop.disabled = !rendering;
  ui.backend.disabled = rendering || loading;
  ui.loadDefault.disabled = rendering || loading;
  ui.files.disabled = rendering || loading;
  ui.layer.disabled = rendering || !vm;
  ui.channel.disabled = rendering || !vm;
}

function showError(e: unknown): void {
  ui.error.textContent = e instanceof Error ? e.message : String(e);
  // eslint-disable-next-line no-console
  console.warn(e);
}

/** One redraw of the canvas during a render (kept for the end-to-end tests). */
interface DrawRecord {
  step: number;
  /** Sum of the image's values (all channels) drawn. */
  checksum: number;
}
const draws: DrawRecord[] = [];
/** Milliseconds of each `session.stepAsync()` of the last render. */
const stepTimes: number[] = [];
(window as unknown as { __playground: { draws: DrawRecord[]; stepTimes: number[] } }).__playground = { draws, stepTimes };

function draw(image: ImageArray, step: number): void {
  io.drawToCanvas(image, ui.canvas);
  let checksum = 0;
  for (let i = 0; i < image.data.length; i++) checksum += image.data[i];
  draws.push({ step, checksum });
}

/** Switches the tfjs backend and installs the library's gradient fixes for it. */
async function useBackend(name: string): Promise<void> {
  await prepareBackend(name);
  ui.status.textContent = `Backend ${tf.getBackend()} ready.`;
}

/** The layers worth visualizing: 4-D activations (NHWC) with a known channel count. */
function visualizableLayers(m: VisModel): { name: string; depth: number }[] {
  return m.layers
    .filter((l) => l.shape.length === 4 && typeof l.depth === 'number' && l.depth > 0)
    .map((l) => ({ name: l.name, depth: l.depth as number }));
}

function fillLayers(m: VisModel): void {
  const layers = visualizableLayers(m);
  ui.layer.replaceChildren(
    ...layers.map((l) => {
      const o = document.createElement('option');
      o.value = l.name;
      o.textContent = `${l.name} (${l.depth} ch)`;
      o.dataset.depth = String(l.depth);
      return o;
    }),
  );
  // Start in the middle of the network: its channels make the most recognisable pictures.
  if (layers.length > 0) ui.layer.selectedIndex = Math.floor((layers.length * 2) / 3);
  onLayerChange();
}

function onLayerChange(): void {
  const depth = Number(ui.layer.selectedOptions[0]?.dataset.depth ?? 1);
  ui.channel.max = String(depth - 1);
  if (Number(ui.channel.value) > depth - 1) ui.channel.value = '0';
}

/** The input range chosen for picked files (a model file does not declare it). */
function chosenRange(): readonly [number, number] {
  const [lo, hi] = ui.range.value.split(',').map(Number);
  return [lo, hi];
}

async function loadModel(source: ModelSource, name: string, isDefault = false): Promise<void> {
  if (busy) return;
  busy = true;
  ui.error.textContent = '';
  setState('loading', `Loading ${name}…`);
  try {
    let range = chosenRange();
    let cutAt: string | undefined;
    let target: { layer: string; channel: number } | undefined;
    if (isDefault) {
      const info = await defaultModelInfo(DEFAULT_MODEL_INFO_URL);
      if (!info) throw new Error('This server has no default model (is the nsfwjs package installed?). Pick model files instead.');
      name = info.name;
      range = info.inputRange;
      cutAt = info.cutAt;
      target = info;
    }
    const next = await loadVisModel(source, { inputRange: range, cutAt });
    vm?.dispose();
    vm = next;
    modelName = name;
    fillLayers(vm);
    if (target && Array.from(ui.layer.options).some((o) => o.value === target.layer)) {
      ui.layer.value = target.layer;
      onLayerChange();
      ui.channel.value = String(target.channel);
    }
    const n = visualizableLayers(vm).length;
    if (n === 0) throw new Error(`The model ${name} has no 4-D (image-like) layers to visualize.`);
    const [h, w] = vm.imageShape;
    ui.modelInfo.textContent = `${name}: ${vm.layers.length} layers (${n} visualizable), input ${h === null || w === null ? 'any size' : `${h}×${w}`}.`;
    setState('ready', `Model ${name} loaded.`);
  } catch (e) {
    showError(e);
    setState(vm ? 'ready' : 'error', vm ? `Still using ${modelName}.` : 'No model loaded.');
  } finally {
    busy = false;
  }
}

/** Picked files → a `tf.io` handler: model.json first, then the shards. */
function filesToSource(list: FileList | null): { source: ModelSource; name: string } {
  const files = Array.from(list ?? []);
  const jsons = files.filter((f) => f.name.endsWith('.json'));
  if (jsons.length !== 1) {
    throw new Error(`Pick exactly one model.json (and its weight shards), but got ${jsons.length} .json files among ${files.length}.`);
  }
  const shards = files.filter((f) => f !== jsons[0]);
  return { source: tf.io.browserFiles([jsons[0], ...shards]), name: jsons[0].name };
}

function readInt(input: HTMLInputElement, what: string, lo: number, hi: number): number {
  const v = Number(input.value);
  if (!Number.isInteger(v) || v < lo || v > hi) throw new Error(`${what} must be an integer in [${lo}, ${hi}], but got ${input.value || 'nothing'}.`);
  return v;
}

/**
 * Random transforms: Lucid's standard set, jitter only, or none (to see why they matter); with
 * alpha, the image is first composited on a random background.
 */
function transformsFor(kind: string, alpha: boolean): Transform[] {
  const chosen = kind === 'none' ? [] : kind === 'jitter' ? [transform.jitter(8)] : transform.standardTransforms();
  return alpha ? [transform.collapseAlphaRandom(), ...chosen] : chosen;
}

let layerAbort: AbortController | undefined;

/**
 * The layer view: every listed channel of the layer with `gallery.renderLayer` (several channels
 * per forward pass, on the page's backend); each finished channel is drawn into the grid.
 */
async function renderLayerView(): Promise<void> {
  if (!vm || busy) return;
  const model = vm;
  busy = true;
  ui.error.textContent = '';
  layerAbort = new AbortController();
  try {
    const layer = ui.layer.value;
    const depth = Number(ui.layer.selectedOptions[0]?.dataset.depth ?? 1);
    const channels = gallery.parseChannels(ui.layerChannels.value, depth);
    const batch = readInt(ui.layerBatch, 'batch', 1, 64);
    const size = readInt(ui.size, 'image size', 16, 512);
    const steps = readInt(ui.steps, 'steps', 1, 10000);
    const seed = readInt(ui.seed, 'seed', 0, 2 ** 31 - 1);
    ui.layerView.hidden = false;
    ui.layerTitle.textContent = `${layer}: ${channels.length} channels, ${size} px, ${steps} steps, batch ${batch}`;
    const cells = new Map<number, HTMLCanvasElement>();
    ui.layerGrid.replaceChildren(
      ...channels.map((c) => {
        const fig = document.createElement('figure');
        const canvas = document.createElement('canvas');
        canvas.width = size;
        canvas.height = size;
        const cap = document.createElement('figcaption');
        cap.textContent = `${c}`;
        fig.append(canvas, cap);
        fig.dataset.channel = String(c);
        cells.set(c, canvas);
        return fig;
      }),
    );
    setState('rendering', `Rendering ${channels.length} channels of ${layer} on ${tf.getBackend()}…`);
    await new Promise((r) => setTimeout(r, 0));
    const t0 = performance.now();
    let done = 0;
    await gallery.renderLayer(model, layer, {
      channels, size, steps, seed, batch,
      alpha: ui.alpha.checked,
      signal: layerAbort.signal,
      onChannel: (r) => {
        io.drawToCanvas(r.image, cells.get(r.channel) as HTMLCanvasElement);
        const fig = cells.get(r.channel)?.parentElement;
        if (fig) {
          fig.dataset.done = 'true';
          (fig.querySelector('figcaption') as HTMLElement).textContent = `${r.channel} · ${r.objective.toPrecision(3)}`;
        }
        done++;
        const perMin = (done / ((performance.now() - t0) / 60000)).toFixed(1);
        ui.readout.textContent = `${done}/${channels.length} channels  ${perMin} channels/min  ${tf.getBackend()}`;
      },
      onProgress: (p) => {
        ui.status.textContent = `Rendering ${layer}: ${p.channelsDone}/${p.channelsTotal} channels, batch step ${p.step}/${p.steps}…`;
      },
    });
    setState('done', `Done: ${channels.length} channels of ${layer}.`);
  } catch (e) {
    if (layerAbort.signal.aborted) setState('stopped', 'Stopped: the finished channels stay in the grid.');
    else {
      showError(e);
      setState('error', 'Layer render failed.');
    }
  } finally {
    busy = false;
    layerAbort = undefined;
    if (document.body.dataset.state === 'rendering') setState('ready');
    else setState(document.body.dataset.state as State);
  }
}

async function renderLoop(): Promise<void> {
  if (!vm || busy) return;
  const model = vm;
  busy = true;
  stopRequested = false;
  ui.error.textContent = '';
  let session: render.VisSession | undefined;
  let p: ReturnType<typeof param.image> | undefined;
  try {
    const layer = ui.layer.value;
    const depth = Number(ui.layer.selectedOptions[0]?.dataset.depth ?? 1);
    const n = readInt(ui.channel, 'channel', 0, depth - 1);
    const size = readInt(ui.size, 'image size', 16, 512);
    const steps = readInt(ui.steps, 'steps', 1, 10000);
    const seed = readInt(ui.seed, 'seed', 0, 2 ** 31 - 1);
    const alpha = ui.alpha.checked;
    setState('rendering', `Rendering ${layer}:${n} on ${tf.getBackend()}…`);
    draws.length = 0;
    stepTimes.length = 0;
    // paint the new state before the first (possibly long: shader compilation) step
    await new Promise((r) => setTimeout(r, 0));
    p = param.image(size, { alpha, seed });
    session = render.visSession(model, objectives.channel(layer, n), {
      param: p,
      transforms: transformsFor(ui.transforms.value, alpha),
      reluGradientOverride: true,
      seed,
    });
    const t0 = performance.now();
    let lastDraw = 0;
    let loss = NaN;
    for (let i = 0; i < steps && !stopRequested; i++) {
      const stepStart = performance.now();
      // read the loss without blocking the page (the GPU backends finish the update meanwhile)
      loss = await session.stepAsync();
      const now = performance.now();
      stepTimes.push(now - stepStart);
      if (now - lastDraw > 100 || i === steps - 1) {
        draw(session.imageArray(), i + 1);
        lastDraw = performance.now();
      }
      const perStep = (now - t0) / (i + 1);
      ui.readout.textContent = `step ${i + 1}/${steps}  loss ${loss.toFixed(4)}\n${perStep.toFixed(0)} ms/step  ${tf.getBackend()}  ${tf.memory().numTensors} tensors`;
      document.body.dataset.step = String(i + 1);
      document.body.dataset.loss = String(loss);
      // let the page paint and the Stop button be clicked
      await new Promise((r) => setTimeout(r, 0));
    }
    const done = session.steps;
    if (draws[draws.length - 1]?.step !== done) draw(session.imageArray(), done);
    setState(stopRequested ? 'stopped' : 'done', `${stopRequested ? 'Stopped' : 'Done'} after ${done} steps: ${layer}:${n}, loss ${loss.toFixed(4)}.`);
  } catch (e) {
    showError(e);
    setState('error', 'Render failed.');
  } finally {
    session?.dispose();
    p?.dispose();
    busy = false;
    if (document.body.dataset.state === 'rendering') setState('ready');
    else setState(document.body.dataset.state as State);
  }
}

ui.backend.addEventListener('change', () => {
  ui.error.textContent = '';
  setState('loading', `Switching to ${ui.backend.value}…`);
  useBackend(ui.backend.value)
    .then(() => setState(vm ? 'ready' : 'idle'))
    .catch((e: unknown) => {
      showError(e);
      setState('error', `Backend ${ui.backend.value} is not available here; still on ${tf.getBackend()}.`);
      ui.backend.value = tf.getBackend();
    });
});
ui.loadDefault.addEventListener('click', () => void loadModel(DEFAULT_MODEL_URL, 'default model', true));
ui.files.addEventListener('change', () => {
  try {
    const { source, name } = filesToSource(ui.files.files);
    void loadModel(source, name);
  } catch (e) {
    showError(e);
  }
});
ui.layer.addEventListener('change', onLayerChange);
ui.render.addEventListener('click', () => void renderLoop());
ui.renderLayer.addEventListener('click', () => void renderLayerView());
ui.stop.addEventListener('click', () => {
  stopRequested = true;
  layerAbort?.abort();
  ui.stop.disabled = true;
});

async function start(): Promise<void> {
  const wanted = new URLSearchParams(location.search).get('backend') ?? 'webgl';
  ui.backend.value = wanted;
  try {
    await useBackend(wanted);
  } catch (e) {
    showError(e);
    await useBackend('cpu');
    ui.backend.value = 'cpu';
  }
  setState('idle', `Backend ${tf.getBackend()} ready. Load a model to start.`);
}

void start();

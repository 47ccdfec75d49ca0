/**
 * Benchmark: feature visualization of InceptionV1 (Lucid's workload) with tfjs-optvis.
 *
 * Workload: the InceptionV1 architecture (tests/fixtures/inception.ts, seeded He-init weights,
 * input `[null, null, null, 3]`), built up to the objective's layer; a 128×128 decorrelated FFT image
 * (`param.image(128, { batch })`), Lucid's standard transforms, Adam(0.05), objective
 * `channel(mixed4a, 97)`; batch 1 and 2; wasm and cpu backends.
 *
 * Measured side by side in one run, per backend × batch:
 * - `step`: one `visSession().step()` (param → transforms → model → objective → Adam update), median;
 * - `bare`: the network alone, forward + input gradient of the same objective on an image of the
 *   size the network sees after the transforms (`LayersModel.apply`, and the library's `VisModel`
 *   adapter), median; the ratio step / bare is the library's overhead (target ≤ 1.10);
 * - `param`: the spectral parameterization alone, forward + gradient w.r.t. its variable, median;
 *   the share param / step (target ≤ 5 %);
 * - steps per second, peak RSS (max of `process.memoryUsage().rss` sampled every step), growth of
 *   `tf.memory().numTensors` over the measured steps after a warm-up (target 0), NaN check;
 * - on wasm: the bare network's forward+backward with tfjs's stock kernels vs with
 *   `installGradientFixes('wasm')`.
 *
 * Run: `npm run bench -- [--steps 500] [--cpu-steps 20] [--backends wasm,cpu] [--batches 1,2]
 *   [--size 128] [--layer mixed4a] [--channel 97] [--threads 0] [--write-readme]`.
 * `--write-readme` replaces the README section between `<!-- perf:start -->` and `<!-- perf:end -->`.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import type * as tfl from '@tensorflow/tfjs-layers';
import '../src/ops/registerGradients';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import os from 'node:os';
import { inceptionV1, INCEPTION_INPUT_RANGE } from '../tests/fixtures/inception';
import { image as imageParam } from '../src/param/index';
import {
  standardTransforms,
  compose,
  scaledSize,
  STANDARD_SCALES,
  STANDARD_PAD,
  STANDARD_JITTER,
  STANDARD_FINAL_JITTER,
} from '../src/transform/index';
import { channel } from '../src/objectives/index';
import { visSession } from '../src/render/index';
import { installGradientFixes, uninstallGradientFixes } from '../src/backends/index';
import { useWasmThreads, wasmThreadsState } from '../src/backends/wasmThreads';
import type { LayerInfo, VisModel } from '../src/model/types';
import { Rng } from '../src/ops/random';

// ---------------------------------------------------------------- arguments
function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : dflt;
}
const STEPS = Number(arg('steps', '500'));
const CPU_STEPS = Number(arg('cpu-steps', '20'));
const BACKENDS = arg('backends', 'wasm,cpu').split(',') as ('wasm' | 'cpu')[];
const BATCHES = arg('batches', '1,2').split(',').map(Number);
const SIZE = Number(arg('size', '128'));
const LAYER = arg('layer', 'mixed4a');
const CHANNEL = Number(arg('channel', '97'));
const WRITE_README = process.argv.includes('--write-readme');
/** wasm threads (`useWasmThreads`); 0 = tfjs's stock single-threaded wasm. */
const THREADS = Number(arg('threads', '0'));
/** Also time the raw LayersModel (fused convolutions) on cpu: minutes per pass there, off by default. */
const CPU_RAW = process.argv.includes('--cpu-raw');
/** Warm-up updates before measuring (wasm compiles kernels on first use; cpu needs less). */
const WARMUP: Record<string, number> = { wasm: 3, cpu: 1 };

// ---------------------------------------------------------------- model adapter
type Adapter = (m: tfl.LayersModel, opts: { inputRange: readonly [number, number] }) => VisModel | Promise<VisModel>;

/** The library's LayersModel adapter when it exists, else a minimal stand-in (reported in the output). */
async function findAdapter(): Promise<{ name: string; make: Adapter }> {
  const ns = (await import('../src/model/index')) as Record<string, unknown>;
  for (const name of ['fromLayersModel', 'visModel']) {
    const f = ns[name];
    if (typeof f === 'function') return { name: `model.${name}`, make: f as Adapter };
  }
  return { name: 'bench-local stand-in (library adapter not found)', make: standInAdapter };
}

function standInAdapter(m: tfl.LayersModel, opts: { inputRange: readonly [number, number] }): VisModel {
  const [lo, hi] = opts.inputRange;
  const layers: LayerInfo[] = m.layers.map((l) => {
    const s = l.outputShape as (number | null)[];
    return { name: l.name, shape: s, depth: s[s.length - 1] ?? null, kind: l.getClassName() };
  });
  const cache = new Map<string, tfl.LayersModel>();
  return {
    inputRange: opts.inputRange,
    imageShape: [null, null, 3],
    channelOrder: 'RGB',
    layers,
    layer: (name) => {
      const l = layers.find((x) => x.name === name);
      if (!l) throw new Error(`no layer ${name}`);
      return l;
    },
    activations: (image, names) => {
      const key = names.join(',');
      let sub = cache.get(key);
      if (!sub) {
        // Lazy import keeps tfjs-layers' namespace out of the module top level.
        sub = tflModel({ inputs: m.inputs, outputs: names.map((n) => m.getLayer(n).output as tfl.SymbolicTensor) });
        cache.set(key, sub);
      }
      const x = tf.add(tf.mul(image, hi - lo), lo);
      const out = sub.apply(x) as tf.Tensor | tf.Tensor[];
      x.dispose();
      const list = Array.isArray(out) ? out : [out];
      return new Map(names.map((n, i) => [n, list[i]]));
    },
    dispose: () => cache.clear(),
  };
}
let tflModel: typeof tfl.model;

// ---------------------------------------------------------------- measuring helpers
const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const rssMB = (): number => process.memoryUsage().rss / 2 ** 20;

function timeIt(f: () => void): number {
  const t0 = performance.now();
  f();
  return performance.now() - t0;
}

/** Forward + input gradient of the objective's value, as a step would compute it, forced to finish. */
function bareFwdBwd(forward: (x: tf.Tensor4D) => tf.Tensor, x: tf.Tensor4D): void {
  const before = tf.memory().numTensors;
  try {
    const g = tf.tidy(() => tf.grad((v: tf.Tensor) => {
      const acts = forward(v as tf.Tensor4D) as tf.Tensor4D;
      return tf.mean(tf.slice(acts, [0, 0, 0, CHANNEL], [-1, -1, -1, 1]));
    })(x));
    g.dataSync();
    g.dispose();
  } finally {
    // A throwing tf.grad leaks its tape's tensors even inside tidy: free them.
    const leaked = tf.memory().numTensors - before;
    if (leaked > 0) console.warn(`  (bare fwd+bwd left ${leaked} tensors)`);
  }
}

interface Row {
  backend: string;
  batch: number;
  steps: number;
  stepMs: number;
  bareMs: number;
  bareVisMs: number;
  paramMs: number;
  transformMs: number;
  stepsPerSec: number;
  peakRssMB: number;
  tensorGrowth: number;
  nan: boolean;
  inputSize: string;
}

async function benchConfig(backend: 'wasm' | 'cpu', batch: number, net: tfl.LayersModel, vm: VisModel, steps: number): Promise<Row> {
  // The size the network sees on average: the standard transforms give floor(s·(SIZE + 16)) − 4
  // for a scale s drawn from STANDARD_SCALES; the bare network runs at the mean area of those sizes.
  const sides = STANDARD_SCALES.map((sc) => scaledSize(sc, SIZE + 2 * STANDARD_PAD - STANDARD_JITTER) - STANDARD_FINAL_JITTER);
  const side = Math.round(Math.sqrt(sides.reduce((a, b) => a + b * b, 0) / sides.length));
  const inputSize = `${side}×${side}`;
  const x = tf.randomUniform([batch, side, side, 3], 0, 1, 'float32', 7) as tf.Tensor4D;
  const [lo, hi] = INCEPTION_INPUT_RANGE;
  const rawForward = (v: tf.Tensor4D) => net.apply(tf.add(tf.mul(v, hi - lo), lo)) as tf.Tensor;
  const visForward = (v: tf.Tensor4D) => vm.activations(v, [LAYER]).get(LAYER) as tf.Tensor;

  const param = imageParam(SIZE, { batch, seed: 1 });
  const w = tf.randomNormal(param.shape as number[], 0, 1, 'float32', 3);
  const paramFwdBwd = (): void => {
    const { value, grads } = tf.variableGrads(() => tf.sum(tf.mul(param.image(), w)) as tf.Scalar, [...param.variables]);
    Object.values(grads)[0].dataSync();
    tf.dispose([value, ...Object.values(grads)]);
  };
  // The standard transforms alone, forward + gradient w.r.t. the image (to attribute the overhead).
  const standard = compose(standardTransforms());
  const img = tf.randomUniform([batch, SIZE, SIZE, 3], 0, 1, 'float32', 5) as tf.Tensor4D;
  const trRng = new Rng(9);
  const transformFwdBwd = (): void => {
    const g = tf.tidy(() => tf.grad((v: tf.Tensor) => tf.sum(standard(v as tf.Tensor4D, trRng)))(img));
    g.dataSync();
    g.dispose();
  };
  const session = visSession(vm, channel(LAYER, CHANNEL), { param, seed: 1, transforms: standardTransforms() });

  const timeRaw = backend !== 'cpu' || CPU_RAW;
  let peak = rssMB();
  let nan = false;
  for (let i = 0; i < WARMUP[backend]; i++) nan ||= !Number.isFinite(session.step());
  for (let i = 0; i < (backend === 'wasm' ? 2 : 0); i++) {
    if (timeRaw) bareFwdBwd(rawForward, x);
    bareFwdBwd(visForward, x);
    paramFwdBwd();
    transformFwdBwd();
  }
  const stepT: number[] = [];
  const bareT: number[] = [];
  const bareVisT: number[] = [];
  const paramT: number[] = [];
  const transformT: number[] = [];
  const every = Math.max(1, Math.floor(steps / 8));
  const tensorsBefore = tf.memory().numTensors;
  for (let i = 0; i < steps; i++) {
    let loss = 0;
    stepT.push(timeIt(() => (loss = session.step())));
    nan ||= !Number.isFinite(loss);
    peak = Math.max(peak, rssMB());
    if (i % every === 0) {
      // Interleaved with the steps so that load from other processes hits all measures alike.
      if (timeRaw) bareT.push(timeIt(() => bareFwdBwd(rawForward, x)));
      bareVisT.push(timeIt(() => bareFwdBwd(visForward, x)));
      paramT.push(timeIt(paramFwdBwd));
      transformT.push(timeIt(transformFwdBwd));
      peak = Math.max(peak, rssMB());
    }
    if ((i + 1) % Math.max(1, Math.floor(steps / 5)) === 0) {
      process.stderr.write(`  ${backend} b${batch}: ${i + 1}/${steps} steps, median step ${median(stepT).toFixed(0)} ms\n`);
    }
  }
  const tensorGrowth = tf.memory().numTensors - tensorsBefore;
  session.dispose();
  param.dispose();
  tf.dispose([x, w, img]);
  const stepMs = median(stepT);
  return {
    backend, batch, steps, stepMs, bareMs: median(bareT), bareVisMs: median(bareVisT), paramMs: median(paramT), transformMs: median(transformT),
    stepsPerSec: 1000 / stepMs, peakRssMB: peak, tensorGrowth, nan, inputSize,
  };
}

/** Bare network fwd+bwd on wasm with stock kernels vs the library's gradient fixes. */
function stockVsFixes(net: tfl.LayersModel, vm: VisModel, batch: number, reps: number): string[] {
  const lines: string[] = [];
  const x = tf.randomUniform([batch, SIZE, SIZE, 3], 0, 1, 'float32', 7) as tf.Tensor4D;
  const [lo, hi] = INCEPTION_INPUT_RANGE;
  const forwards: [string, (v: tf.Tensor4D) => tf.Tensor][] = [
    ['LayersModel.apply', (v) => net.apply(tf.add(tf.mul(v, hi - lo), lo)) as tf.Tensor],
    ['VisModel.activations', (v) => vm.activations(v, [LAYER]).get(LAYER) as tf.Tensor],
  ];
  const measure = (f: (v: tf.Tensor4D) => tf.Tensor): string => {
    const before = tf.memory().numTensors;
    try {
      bareFwdBwd(f, x);
      const ts = Array.from({ length: reps }, () => timeIt(() => bareFwdBwd(f, x)));
      return `${median(ts).toFixed(0)} ms`;
    } catch (e) {
      const leaked = tf.memory().numTensors - before;
      const msg = (e as Error).message.split('\n')[0];
      return `fails: ${msg}${leaked > 0 ? ` (leaked ${leaked} tensors)` : ''}`;
    }
  };
  for (const [name, f] of forwards) {
    uninstallGradientFixes('wasm');
    const stock = measure(f);
    installGradientFixes('wasm');
    const fixed = measure(f);
    lines.push(`| ${name} (batch ${batch}, ${SIZE}×${SIZE}) | ${stock} | ${fixed} |`);
  }
  x.dispose();
  return lines;
}

async function main(): Promise<void> {
  tflModel = (await import('@tensorflow/tfjs-layers')).model;
  const adapter = await findAdapter();
  const started = new Date();
  const rows: Row[] = [];
  let stockLines: string[] = [];
  if (THREADS > 0) useWasmThreads({ threads: THREADS });
  for (const backend of BACKENDS) {
    await tf.setBackend(backend);
    await tf.ready();
    installGradientFixes(backend);
    const net = inceptionV1({ seed: 1, upTo: LAYER });
    const vm = await adapter.make(net, { inputRange: INCEPTION_INPUT_RANGE });
    const steps = backend === 'cpu' ? CPU_STEPS : STEPS;
    for (const batch of BATCHES) {
      process.stderr.write(`${backend} batch ${batch}: ${steps} steps...\n`);
      const row = await benchConfig(backend, batch, net, vm, steps);
      rows.push(row);
      process.stderr.write(`  => ${JSON.stringify(row)}\n`);
    }
    if (backend === 'wasm') stockLines = stockVsFixes(net, vm, 1, 3);
    vm.dispose();
    net.dispose();
  }
  const cmd = `npm run bench -- ${process.argv.slice(2).filter((a) => a !== '--write-readme').join(' ')}`.trim();
  const pct = (a: number, b: number): string => `${((100 * a) / b).toFixed(1)} %`;
  /** A number, or a dash for what was not measured (the raw LayersModel on cpu without --cpu-raw). */
  const fmt = (v: number, digits: number, unit = ''): string => (Number.isFinite(v) ? `${v.toFixed(digits)}${unit}` : '—');
  const out: string[] = [];
  out.push(
    `Measured ${started.toISOString().slice(0, 16)} UTC on ${os.cpus().length} cores (${os.cpus()[0]?.model ?? '?'}), ` +
      `Node ${process.version}, tfjs ${tf.version_core}; load average at start ${os.loadavg()[0].toFixed(1)} ` +
      `(the machine was shared with other jobs: absolute times are noisy, ratios were measured interleaved).`,
    '',
    `Workload: InceptionV1 (Lucid's layer sizes, random weights) up to \`${LAYER}\`, objective \`channel(${LAYER}, ${CHANNEL})\`, ` +
      `${SIZE}×${SIZE} decorrelated FFT image, standard transforms, Adam(0.05), gradient fixes installed, ` +
      `wasm on ${wasmThreadsState().threads || 1} thread(s)${wasmThreadsState().fallbackReason ? ` (threads fell back: ${wasmThreadsState().fallbackReason})` : ''}. ` +
      `Model adapter: ${adapter.name}. Command: \`${cmd}\`.`,
    '',
    '| backend | batch | steps measured | net input (mean) | step (median) | bare net fwd+bwd: LayersModel / VisModel | step ÷ bare (target ≤ 1.10) | spectral param fwd+bwd | param ÷ step (target ≤ 5 %) | standard transforms fwd+bwd | steps/s | peak RSS | numTensors growth (target 0) | NaN |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|',
  );
  for (const r of rows) {
    out.push(
      `| ${r.backend} | ${r.batch} | ${r.steps} | ${r.inputSize} | ${r.stepMs.toFixed(0)} ms | ${fmt(r.bareMs, 0, ' ms')} / ${r.bareVisMs.toFixed(0)} ms | ` +
        `${fmt(r.stepMs / r.bareMs, 2)} / ${(r.stepMs / r.bareVisMs).toFixed(2)} | ${r.paramMs.toFixed(1)} ms | ${pct(r.paramMs, r.stepMs)} | ${r.transformMs.toFixed(0)} ms | ` +
        `${r.stepsPerSec.toFixed(2)} | ${r.peakRssMB.toFixed(0)} MB | ${r.tensorGrowth} | ${r.nan ? 'yes' : 'no'} |`,
    );
  }
  if (!CPU_RAW && rows.some((r) => r.backend === 'cpu')) {
    out.push(
      '',
      '— on cpu the raw LayersModel (tfjs-layers runs Conv2D+bias as a fused op, which always computes filter gradients) ' +
        'takes minutes per forward+backward on this workload and is not timed unless `--cpu-raw` is given; ' +
        'the cpu ratio is against the library\'s unfused VisModel path.',
    );
  }
  if (stockLines.length > 0) {
    out.push('', `wasm: bare network forward + input gradient, stock tfjs kernels vs \`installGradientFixes('wasm')\` (median of 3):`, '');
    out.push('| network call | stock wasm kernels | with gradient fixes |', '|---|---|---|', ...stockLines);
  }
  const text = out.join('\n');
  console.log(text);
  if (WRITE_README) writeReadme(text);
}

function writeReadme(text: string): void {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
  const file = path.join(root, 'README.md');
  const readme = readFileSync(file, 'utf8');
  const start = '<!-- perf:start -->';
  const end = '<!-- perf:end -->';
  const block = `${start}\n${text}\n${end}`;
  let next: string;
  if (readme.includes(start) && readme.includes(end)) {
    next = readme.slice(0, readme.indexOf(start)) + block + readme.slice(readme.indexOf(end) + end.length);
  } else {
    next = `${readme.trimEnd()}\n\n## Performance\n\n${block}\n`;
  }
  writeFileSync(file, next);
  console.error('README.md performance section updated.');
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});

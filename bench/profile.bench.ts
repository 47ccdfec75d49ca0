/**
 * Per-kernel profile of one feature-visualization step on wasm: where the time goes, forward and
 * backward.
 *
 * Workload as bench/inception.bench.ts (InceptionV1 to mixed4a, channel 97, 128 px decorrelated
 * FFT image, standard transforms, Adam(0.05), gradient fixes installed). The step is written out
 * (param → transforms → network → objective, `tf.variableGrads`, Adam) so that a marker op can
 * tell forward from backward: an identity with a custom gradient at the loss flips the phase when
 * backpropagation starts. Every wasm kernel is re-registered with a wrapper that measures its
 * wall time (wasm kernels are synchronous); kernels that call other kernels (the library's
 * gradient fixes run forward ops) are charged their self time only, and their children are
 * attributed to them as `fix/<Kernel>:<child>`. "Other (JS)" is the step's wall time minus all
 * kernel time: tape bookkeeping, tensor creation, host-side tables.
 *
 * `--shapes` splits convolution and pooling rows by input shapes.
 *
 * Run: `npm run bench:profile -- [--steps 5] [--threads 0] [--native 0] [--top 30] [--batch 1] [--size 128] [--shapes]`.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import '../src/ops/registerGradients';
import { inceptionV1, INCEPTION_INPUT_RANGE } from '../tests/fixtures/inception';
import { image as imageParam } from '../src/param/index';
import { standardTransforms, compose } from '../src/transform/index';
import { visModel } from '../src/model/index';
import { installGradientFixes, gradientFixes } from '../src/backends/index';
import { useWasmThreads, wasmThreadsState } from '../src/backends/wasmThreads';
import { useNativeKernels } from '../src/backends/nativeKernels';
import { Rng } from '../src/ops/random';

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : dflt;
}
const STEPS = Number(arg('steps', '5'));
const THREADS = Number(arg('threads', '0'));
/** `--native N`: the native convolutions (`useNativeKernels`) on N threads, wasm on one. */
const NATIVE = Number(arg('native', '0'));
const TOP = Number(arg('top', '30'));
const BATCH = Number(arg('batch', '1'));
const SIZE = Number(arg('size', '128'));
const SHAPES = process.argv.includes('--shapes');
const LAYER = 'mixed4a';
const CHANNEL = 97;

type Phase = 'transforms+param fwd' | 'network fwd' | 'backward' | 'update';
let phase: Phase = 'network fwd';
let recording = false;
/** key → total self ms, calls. */
const table = new Map<string, { ms: number; calls: number }>();
/** Stack of [kernel name, children ms] for self-time accounting. */
const stack: { name: string; child: number }[] = [];
const fixNames = new Set<string>();

function wrapKernels(): void {
  for (const k of tf.getKernelsForBackend('wasm')) {
    const inner = k.kernelFunc;
    tf.unregisterKernel(k.kernelName, 'wasm');
    tf.registerKernel({
      ...k,
      kernelFunc: (args) => {
        if (!recording) return inner(args);
        const parent = stack[stack.length - 1];
        stack.push({ name: k.kernelName, child: 0 });
        const t0 = performance.now();
        try {
          return inner(args);
        } finally {
          const dt = performance.now() - t0;
          const me = stack.pop() as { name: string; child: number };
          if (parent) parent.child += dt;
          const owner = stack.find((s) => fixNames.has(s.name));
          const shapes = SHAPES && /Conv2D|MaxPool/.test(k.kernelName)
            ? ` ${Object.values(args.inputs).map((t) => `[${(t as tf.TensorInfo).shape.join('×')}]`).join(' ')}`
            : '';
          const key = `${phase} | ${owner ? `fix/${owner.name}:` : ''}${k.kernelName}${shapes}`;
          const row = table.get(key) ?? { ms: 0, calls: 0 };
          row.ms += dt - me.child;
          row.calls += 1;
          table.set(key, row);
        }
      },
    });
  }
}

async function main(): Promise<void> {
  if (THREADS > 0) useWasmThreads({ threads: THREADS });
  await tf.setBackend('wasm');
  await tf.ready();
  installGradientFixes('wasm');
  for (const f of gradientFixes('wasm')) fixNames.add(f.kernelName);
  if (NATIVE > 0) useNativeKernels({ threads: NATIVE });
  wrapKernels();
  const net = inceptionV1({ seed: 1, upTo: LAYER });
  const vm = await visModel(net, { inputRange: INCEPTION_INPUT_RANGE });
  const param = imageParam(SIZE, { batch: BATCH, seed: 1 });
  const transform = compose(standardTransforms());
  const rng = new Rng(1);
  const opt = tf.train.adam(0.05);
  const marker = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => ({
    value: tf.clone(args[0] as tf.Tensor),
    gradFunc: (dy: tf.Tensor) => {
      phase = 'backward';
      return tf.clone(dy);
    },
  }));
  const step = (): number => {
    phase = 'transforms+param fwd';
    const { value, grads } = tf.variableGrads(() => {
      phase = 'transforms+param fwd';
      const img = transform(param.image() as tf.Tensor4D, rng);
      phase = 'network fwd';
      const acts = vm.activations(img, [LAYER]).get(LAYER) as tf.Tensor4D;
      const loss = tf.neg(tf.mean(tf.slice(acts, [0, 0, 0, CHANNEL], [-1, -1, -1, 1])));
      return marker(loss) as tf.Scalar;
    }, [...param.variables]);
    phase = 'update';
    opt.applyGradients(grads as tf.NamedTensorMap as Record<string, tf.Variable>);
    const v = value.dataSync()[0];
    tf.dispose([value, ...Object.values(grads)]);
    return v;
  };
  for (let i = 0; i < 3; i++) tf.tidy(step); // warm-up (kernel set-up, Adam slots)
  const before = tf.memory().numTensors;
  recording = true;
  let wall = 0;
  for (let i = 0; i < STEPS; i++) {
    const t0 = performance.now();
    tf.tidy(step);
    wall += performance.now() - t0;
  }
  recording = false;
  const growth = tf.memory().numTensors - before;
  const perStep = wall / STEPS;
  const rows = [...table.entries()].map(([k, v]) => ({ k, ms: v.ms / STEPS, calls: v.calls / STEPS })).sort((a, b) => b.ms - a.ms);
  const kernelMs = rows.reduce((a, r) => a + r.ms, 0);
  const byPhase = new Map<string, number>();
  for (const r of rows) byPhase.set(r.k.split(' | ')[0], (byPhase.get(r.k.split(' | ')[0]) ?? 0) + r.ms);
  const pct = (x: number): string => `${((100 * x) / perStep).toFixed(1)} %`;
  const out: string[] = [
    `wasm, ${wasmThreadsState().threads || 1} thread(s)${NATIVE > 0 ? ` + native convolutions on ${NATIVE}` : ''}, batch ${BATCH}, ${SIZE} px, ${STEPS} profiled steps; step wall time ${perStep.toFixed(0)} ms (with timing wrappers); ` +
      `numTensors growth ${growth}; peak RSS ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MB.`,
    '',
    '| phase | ms per step | share |',
    '|---|---|---|',
    ...[...byPhase.entries()].sort((a, b) => b[1] - a[1]).map(([p, ms]) => `| ${p} | ${ms.toFixed(1)} | ${pct(ms)} |`),
    `| other (JS: tape, tensor bookkeeping, host tables) | ${(perStep - kernelMs).toFixed(1)} | ${pct(perStep - kernelMs)} |`,
    '',
    `| phase | kernel (self time; \`fix/K:\` = inside the library's fix for K) | calls per step | ms per step | share |`,
    '|---|---|---|---|---|',
    ...rows.slice(0, TOP).map((r) => {
      const [p, k] = r.k.split(' | ');
      return `| ${p} | ${k} | ${r.calls.toFixed(0)} | ${r.ms.toFixed(1)} | ${pct(r.ms)} |`;
    }),
  ];
  console.log(out.join('\n'));
  param.dispose();
  vm.dispose();
  net.dispose();
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});

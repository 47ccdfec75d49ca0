/**
 * Benchmark: tfjs-optvis against PyTorch on the same CPU, the same work, interleaved.
 *
 * Participants (each a long-lived child process speaking one line protocol, `run K` → JSON times):
 * - `ours wasm ×1`: bench/optvisWorker.ts on tfjs's stock single-threaded wasm;
 * - `ours wasm ×N`: the same on N threads (`useWasmThreads`, src/backends/wasmThreads.ts);
 * - `ours native`: single-threaded wasm with the native convolutions (`useNativeKernels`,
 *   src/backends/nativeKernels.ts) on 1 and N threads, when the addon is built (`npm run build:native`);
 * - `torch ×1`, `torch ×N`: bench/torch_inception.py or bench/torch_mobilenet.py (Debian's
 *   python3-torch, /usr/bin/python3) with 1 and N intra-op threads.
 * Workload for all: `--model inception-v1` (default): InceptionV1 (Lucid's layer sizes, random
 * weights) to `mixed4a`, objective channel 97. `--model mobilenet-v2`: the project's default model,
 * MobileNetV2 — ours is the embedded Keras model exactly as `loadDefaultModel()` gives it (ImageNet
 * weights, input [0, 1]), PyTorch's is torchvision's `mobilenet_v2` (random weights, Keras' stride-2
 * padding; see bench/torch_mobilenet.py) — to `block_13_expand_relu`, channel 100 (DEFAULT_TARGET).
 * `--layer`/`--channel` override the model's layer and channel for every participant. Then for
 * both: 128 px decorrelated FFT image, standard transforms, Adam(0.05), batch 1. Every child reports
 * the model, layer and channel it runs (and the layer's shape at `--size`); they must agree with
 * what was asked, and the "Workload:" line names them. The children
 * take turns: each round runs `--block` steps of every participant in turn, so load from other
 * processes on the machine hits all of them alike; medians over all rounds after a warm-up block.
 * When torch is missing the torch rows are skipped with a message.
 *
 * `--baseline DIR` adds a participant from another checkout (before/after a change): DIR must hold
 * bench/optvisWorker.ts and src/backends/wasmThreads.ts (copy them in) and a node_modules (for
 * `--model mobilenet-v2` also `loadDefaultModel` in src/model/loadNode.ts).
 *
 * Run: `npm run bench:torch -- [--model inception-v1|mobilenet-v2] [--layer NAME] [--channel N] [--rounds 6] [--block 3] [--threads 2] [--batch 1] [--size 128] [--baseline DIR] [--no-torch] [--no-ours]`.
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface, type Interface } from 'node:readline';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import os from 'node:os';
import path from 'node:path';

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : dflt;
}
const ROUNDS = Number(arg('rounds', '6'));
const BLOCK = Number(arg('block', '3'));
const THREADS = Number(arg('threads', String(Math.min(8, os.availableParallelism()))));
const BATCH = arg('batch', '1');
const SIZE = arg('size', '128');
const PYTHON = arg('python', '/usr/bin/python3');
const MODELS = {
  'inception-v1': { title: 'InceptionV1', layer: 'mixed4a', channel: 97, torch: 'torch_inception.py' },
  'mobilenet-v2': {
    title: "MobileNetV2 (ours: the embedded default model, loadDefaultModel(); PyTorch: torchvision's mobilenet_v2, random weights)",
    // DEFAULT_TARGET of src/model/embeddedModels.ts; the workers report what they really use.
    layer: 'block_13_expand_relu',
    channel: 100,
    torch: 'torch_mobilenet.py',
  },
} as const;
const MODEL_NAME = arg('model', 'inception-v1');
if (!(MODEL_NAME in MODELS)) {
  console.error(`--model must be one of ${Object.keys(MODELS).join(', ')}, but got ${JSON.stringify(MODEL_NAME)}`);
  process.exit(2);
}
const MODEL = MODELS[MODEL_NAME as keyof typeof MODELS];
const LAYER = arg('layer', MODEL.layer);
const CHANNEL = Number(arg('channel', String(MODEL.channel)));
const here = path.dirname(fileURLToPath(import.meta.url));

interface Reply {
  times?: number[];
  loss?: number;
  tensorGrowth?: number;
  rssMB?: number;
  ready?: boolean;
  threads?: number;
  native?: number;
  fallbackReason?: string;
  torch?: string;
  model?: string;
  layer?: string;
  channel?: number;
  outputShape?: number[];
}

class Participant {
  readonly times: number[] = [];
  info: Reply = {};
  last: Reply = {};
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly lines: Interface;
  private readonly pending: ((r: Reply) => void)[] = [];
  private readonly early: Reply[] = [];
  private stderr = '';
  constructor(readonly name: string, cmd: string, args: string[]) {
    this.child = spawn(cmd, args, { cwd: path.resolve(here, '..'), stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stderr.on('data', (d: Buffer) => (this.stderr = (this.stderr + d.toString()).slice(-2000)));
    this.lines = createInterface({ input: this.child.stdout });
    this.lines.on('line', (l) => {
      if (!l.startsWith('{')) return;
      // A reply may arrive before anyone waits for it (children start in parallel): queue it.
      const next = this.pending.shift();
      if (next) next(JSON.parse(l) as Reply);
      else this.early.push(JSON.parse(l) as Reply);
    });
    this.child.on('exit', (code) => {
      for (const p of this.pending.splice(0)) p({ fallbackReason: `exited with ${code}: ${this.stderr.trim().split('\n').slice(-3).join(' | ')}` });
    });
  }
  private reply(): Promise<Reply> {
    const ready = this.early.shift();
    if (ready) return Promise.resolve(ready);
    return new Promise((resolve) => this.pending.push(resolve));
  }
  async ready(): Promise<Reply> {
    this.info = await this.reply();
    return this.info;
  }
  async run(k: number, record: boolean): Promise<void> {
    const r = this.reply();
    this.child.stdin.write(`run ${k}\n`);
    this.last = await r;
    if (!this.last.times) throw new Error(`${this.name}: ${this.last.fallbackReason ?? 'no reply'}`);
    if (record) this.times.push(...this.last.times);
  }
  quit(): void {
    this.child.stdin.end('quit\n');
  }
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

async function main(): Promise<void> {
  const started = new Date();
  const load0 = os.loadavg()[0];
  const shared = ['--layer', LAYER, '--channel', String(CHANNEL), '--batch', BATCH, '--size', SIZE];
  const common = ['--model', MODEL_NAME, ...shared]; // our worker; the Python scripts are one per model
  const parts: Participant[] = [];
  const tsx = path.resolve(here, '..', 'node_modules', '.bin', 'tsx');
  const baseline = arg('baseline', '');
  if (baseline) {
    // Another checkout of tfjs-optvis (e.g. `git archive HEAD`) with bench/optvisWorker.ts copied in: before/after.
    parts.push(new Participant(`tfjs-optvis at ${path.basename(baseline)}, wasm 1 thread`, tsx, [path.join(baseline, 'bench', 'optvisWorker.ts'), '--threads', '0', ...common]));
  }
  if (!process.argv.includes('--no-ours')) {
    parts.push(new Participant('tfjs-optvis wasm, 1 thread (stock)', tsx, [path.join(here, 'optvisWorker.ts'), '--threads', '0', ...common]));
    if (THREADS > 1) parts.push(new Participant(`tfjs-optvis wasm, ${THREADS} threads`, tsx, [path.join(here, 'optvisWorker.ts'), '--threads', String(THREADS), ...common]));
    if (existsSync(path.resolve(here, '..', 'native', 'build', 'Release', 'optvis_native.node'))) {
      parts.push(new Participant('tfjs-optvis wasm + native convolutions, 1 thread', tsx, [path.join(here, 'optvisWorker.ts'), '--native', '1', ...common]));
      if (THREADS > 1) parts.push(new Participant(`tfjs-optvis wasm + native convolutions, ${THREADS} threads`, tsx, [path.join(here, 'optvisWorker.ts'), '--native', String(THREADS), ...common]));
    } else {
      console.error('native convolutions skipped: the addon is not built (npm run build:native).');
    }
  }
  let torchNote = '';
  const torchOk = !process.argv.includes('--no-torch') && existsSync(PYTHON) && spawnSync(PYTHON, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;
  if (torchOk) {
    const py = path.join(here, MODEL.torch);
    parts.push(new Participant('PyTorch, 1 thread', PYTHON, [py, '--threads', '1', ...shared]));
    if (THREADS > 1) parts.push(new Participant(`PyTorch, ${THREADS} threads`, PYTHON, [py, '--threads', String(THREADS), ...shared]));
  } else {
    torchNote = `PyTorch skipped: ${PYTHON} cannot import torch (apt-get install python3-torch python3-torchvision).`;
    console.error(torchNote);
  }
  for (const p of parts) {
    const r = await p.ready();
    process.stderr.write(`${p.name}: ${JSON.stringify(r)}\n`);
    // Each child says what it runs; an older worker (--baseline) that says nothing runs InceptionV1 at --layer/--channel.
    if (!r.ready) throw new Error(`${p.name}: ${r.fallbackReason ?? 'no ready line'}`);
    const runs = r.model === undefined ? { model: 'inception-v1', layer: LAYER, channel: CHANNEL } : r;
    if (runs.model !== MODEL_NAME || runs.layer !== LAYER || runs.channel !== CHANNEL) {
      throw new Error(`${p.name}: it runs ${runs.model} ${runs.layer} channel ${runs.channel}, not ${MODEL_NAME} ${LAYER} channel ${CHANNEL}`);
    }
  }
  // Warm-up block (not recorded), then interleaved rounds.
  for (const p of parts) await p.run(1, false);
  for (let round = 0; round < ROUNDS; round++) {
    for (const p of parts) await p.run(BLOCK, true);
    process.stderr.write(`round ${round + 1}/${ROUNDS}: ${parts.map((p) => `${p.name} ${median(p.times).toFixed(0)} ms`).join('; ')}\n`);
  }
  for (const p of parts) p.quit();

  const ref = parts.find((p) => p.name.startsWith('PyTorch, 1'));
  const lines: string[] = [
    `Measured ${started.toISOString().slice(0, 16)} UTC on ${os.cpus().length} cores (${os.cpus()[0]?.model ?? '?'}), load average ${load0.toFixed(1)} at start, ` +
      `${os.loadavg()[0].toFixed(1)} at end (shared machine: absolute times are noisy; ratios are measured interleaved, ${ROUNDS} rounds × ${BLOCK} steps each).`,
    '',
    `Workload: ${MODEL.title} to ${LAYER}, channel ${CHANNEL}, ${SIZE} px decorrelated FFT image, standard transforms, Adam(0.05), batch ${BATCH}. Command: \`npm run bench:torch -- ${process.argv.slice(2).join(' ')}\`.`,
    '',
    '| run | threads | step (median) | ÷ PyTorch 1 thread | steps measured | numTensors growth | peak RSS | last loss |',
    '|---|---|---|---|---|---|---|---|',
  ];
  for (const p of parts) {
    const m = median(p.times);
    const threads = p.info.native || p.info.threads || (p.name.includes('1 thread') ? 1 : THREADS);
    lines.push(
      `| ${p.name}${p.info.fallbackReason ? ` (fell back: ${p.info.fallbackReason})` : ''} | ${threads} | ${m.toFixed(0)} ms | ${ref ? (m / median(ref.times)).toFixed(2) : '—'} | ${p.times.length} | ` +
        `${p.last.tensorGrowth ?? '—'} | ${p.last.rssMB !== undefined ? `${p.last.rssMB.toFixed(0)} MB` : '—'} | ${p.last.loss?.toFixed(3) ?? '—'} |`,
    );
  }
  if (torchNote) lines.push('', torchNote);
  console.log(lines.join('\n'));
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});

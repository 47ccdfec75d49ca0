/**
 * Shared plumbing of the examples: command-line options, backend, model, output files.
 * Not part of the library; it uses only the package's public entry, as a user would.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { backends, EMBEDDED_MODEL_NAMES, loadDefaultModel, loadModel, writePng, type ImageArray, type VisModel } from 'tfjs-optvis/node';

/** Where every example writes its PNGs unless `--out` says otherwise. */
export const OUTPUT_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'output');

/** The options every example understands, after parsing. */
export interface ExampleOptions {
  /** `--model <dir|model.json|mobilenet-v2|inception-v3>`, else the example's default; undefined = the embedded default model (MobileNetV2). */
  readonly model?: string;
  /** `--input-range lo,hi` for `--model` (default 0,1). */
  readonly inputRange: readonly [number, number];
  readonly layer: string;
  readonly channel: number;
  readonly steps: number;
  readonly size: number;
  readonly seed: number;
  readonly backend: 'wasm' | 'cpu';
  /** `--quick`: tiny settings for smoke tests (the example's own `quick` defaults). */
  readonly quick: boolean;
  /** `--out <dir>`: where PNGs go (default `examples/output`). */
  readonly out: string;
  /** Example-specific string options, raw (`--units`, `--part`, ...). */
  readonly extra: Readonly<Record<string, string | undefined>>;
}

/** Defaults an example picks for the common options. */
export interface ExampleDefaults {
  readonly layer: string;
  readonly channel: number;
  readonly steps: number;
  readonly size: number;
  /** The model without `--model` (an embedded name); the library's default model (MobileNetV2) if absent. */
  readonly model?: string;
  /** Settings used with `--quick` (steps and size), unless given explicitly. */
  readonly quick?: { readonly steps: number; readonly size: number };
}

/** An example-specific string option: its name and help line. */
export interface ExtraOption {
  readonly name: string;
  readonly help: string;
}

/**
 * Parses `process.argv`: `--model`, `--input-range`, `--layer`, `--channel`, `--steps`, `--size`,
 * `--seed`, `--backend`, `--quick`, `--out`, `--help`, plus the example's `extra` string options.
 * Prints `help` and exits on `--help`; exits with a message on bad input.
 */
export function parseExampleArgs(name: string, help: string, defaults: ExampleDefaults, extra: readonly ExtraOption[] = []): ExampleOptions {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      options: {
        model: { type: 'string' },
        'input-range': { type: 'string' },
        layer: { type: 'string' },
        channel: { type: 'string' },
        steps: { type: 'string' },
        size: { type: 'string' },
        seed: { type: 'string' },
        backend: { type: 'string' },
        out: { type: 'string' },
        quick: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
        ...Object.fromEntries(extra.map((e) => [e.name, { type: 'string' as const }])),
      },
      strict: true,
    }));
  } catch (e) {
    usageError(name, (e as Error).message);
  }
  const quick = values.quick === true;
  const steps = quick && defaults.quick ? defaults.quick.steps : defaults.steps;
  const size = quick && defaults.quick ? defaults.quick.size : defaults.size;
  if (values.help) {
    process.stdout.write(
      `${help}\n\nOptions:\n` +
        `  --model <dir|model.json|inception-v3>  a tfjs LayersModel/GraphModel on disk, or an embedded\n` +
        `                            model by name (default: ${defaults.model ?? 'the embedded MobileNetV2'})\n` +
        `  --input-range lo,hi       input value range of --model (default 0,1)\n` +
        `  --layer <name>            layer (default ${defaults.layer})\n` +
        `  --channel <n>             channel (default ${defaults.channel})\n` +
        `  --steps <n>               optimization steps (default ${defaults.steps})\n` +
        `  --size <px>               image size (default ${defaults.size})\n` +
        `  --seed <n>                random seed (default 0)\n` +
        `  --backend wasm|cpu        tfjs backend (default wasm)\n` +
        `  --out <dir>               output directory (default examples/output)\n` +
        `  --quick                   tiny settings for a smoke test` +
        (defaults.quick ? ` (${defaults.quick.size} px, ${defaults.quick.steps} steps)\n` : '\n') +
        extra.map((e) => `  --${e.name.padEnd(24)}${e.help}\n`).join(''),
    );
    process.exit(0);
  }
  const int = (key: string, dflt: number, min: number): number => {
    const raw = values[key];
    if (raw === undefined) return dflt;
    const v = Number(raw);
    if (!Number.isInteger(v) || v < min) usageError(name, `--${key} must be an integer >= ${min}, but got ${JSON.stringify(raw)}.`);
    return v;
  };
  let inputRange: [number, number] = [0, 1];
  if (typeof values['input-range'] === 'string') {
    const parts = values['input-range'].split(',').map(Number);
    if (parts.length !== 2 || !parts.every(Number.isFinite) || parts[0] >= parts[1]) {
      usageError(name, `--input-range must be "lo,hi" with lo < hi, but got ${JSON.stringify(values['input-range'])}.`);
    }
    inputRange = [parts[0], parts[1]];
    if (values.model === undefined) usageError(name, '--input-range needs --model (the default model has its own range).');
  }
  const backend = (values.backend ?? 'wasm') as string;
  if (backend !== 'wasm' && backend !== 'cpu') usageError(name, `--backend must be wasm or cpu, but got ${JSON.stringify(backend)}.`);
  return {
    model: (values.model as string | undefined) ?? defaults.model,
    inputRange,
    layer: (values.layer as string | undefined) ?? defaults.layer,
    channel: int('channel', defaults.channel, 0),
    steps: int('steps', steps, 1),
    size: int('size', size, 8),
    seed: int('seed', 0, 0),
    backend,
    quick,
    out: typeof values.out === 'string' ? path.resolve(values.out) : OUTPUT_DIR,
    extra: Object.fromEntries(extra.map((e) => [e.name, values[e.name] as string | undefined])),
  };
}

/** Prints a usage error and exits with status 2. */
export function usageError(name: string, message: string): never {
  process.stderr.write(`${name}: ${message}\nRun with --help for the options.\n`);
  process.exit(2);
}

/** Selects the backend quietly (no tfjs-node banner) and waits until it is ready. */
export async function initBackend(opts: Pick<ExampleOptions, 'backend'>): Promise<void> {
  tf.env().set('PROD', true);
  if (!(await tf.setBackend(opts.backend))) throw new Error(`backend ${opts.backend} failed to initialise`);
  await tf.ready();
  // The render session installs these too; doing it here keeps the examples independent of that.
  backends.installGradientFixes(opts.backend);
}

/** Selects the backend and loads the model the options name. */
export async function openModel(opts: ExampleOptions): Promise<VisModel> {
  await initBackend(opts);
  if (opts.model === undefined) return loadDefaultModel();
  // An embedded model by name ('mobilenet-v2', 'inception-v3'), else a path.
  const embedded = EMBEDDED_MODEL_NAMES.find((n) => n === opts.model);
  if (embedded !== undefined) return loadDefaultModel({ name: embedded });
  return loadModel(opts.model, { inputRange: opts.inputRange });
}

/** Writes `image` to `<out>/<file>` and logs the path. */
export async function save(opts: Pick<ExampleOptions, 'out'>, file: string, image: ImageArray): Promise<string> {
  await fs.mkdir(opts.out, { recursive: true });
  const out = path.join(opts.out, file);
  await writePng(out, image);
  process.stdout.write(`wrote ${path.relative(process.cwd(), out) || out} (${image.shape.slice(-3, -1).reverse().join('x')} px)\n`);
  return out;
}

/**
 * Runs `steps` updates of a session, yielding to the event loop between them; returns the last
 * loss, the measured steps per second and the seconds taken.
 */
export async function runSteps(
  session: { step(): number },
  steps: number,
  onStep?: (i: number, loss: number) => void,
): Promise<{ loss: number; stepsPerSecond: number; seconds: number }> {
  const start = Date.now();
  let loss = 0;
  for (let i = 0; i < steps; i++) {
    loss = session.step();
    onStep?.(i + 1, loss);
    await new Promise((r) => setImmediate(r));
  }
  const seconds = (Date.now() - start) / 1000;
  return { loss, stepsPerSecond: steps / Math.max(seconds, 1e-9), seconds };
}

/** A progress printer for `renderVis`'s `onProgress`: one line every `every` steps. */
export function progress(label: string, every = 16): (p: { step: number; totalSteps: number; loss: number; stepsPerSecond: number }) => void {
  return (p) => {
    if (p.step % every === 0 || p.step === p.totalSteps) {
      process.stdout.write(`${label} step ${p.step}/${p.totalSteps} loss ${p.loss.toFixed(4)} (${p.stepsPerSecond.toFixed(2)} steps/s)\n`);
    }
  };
}

/** Runs `main`, printing library errors as one line and exiting non-zero. */
export function run(main: () => Promise<void>): void {
  const start = Date.now();
  main().then(
    () => process.stdout.write(`done in ${((Date.now() - start) / 1000).toFixed(1)} s\n`),
    (e: unknown) => {
      process.stderr.write(`${e instanceof Error ? (e.name === 'OptvisError' ? e.message : e.stack ?? e.message) : String(e)}\n`);
      process.exit(1);
    },
  );
}

/**
 * What every `tfjs-optvis` command shares beyond flag parsing (which is in ./args): the streams it
 * writes to, failures worded for the command line, the backend, and the `--model` rules (an
 * embedded name or a path; a path needs `--input-range`; an embedded model has its own range).
 * @internal
 */
import { promises as fs } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { useWasmThreads, wasmThreadsState, type WasmThreadsState } from '../backends/wasmThreads';
import { closestNames, editDistance } from '../errors';
import { EMBEDDED_MODELS, EMBEDDED_MODEL_NAMES, type EmbeddedModelInfo, type EmbeddedModelName } from '../model/embeddedModels';
import { UsageError } from './args';

/** Where the CLI writes, and what interrupts it: injectable for tests. */
export interface CliStreams {
  readonly stdout: { write(s: string | Uint8Array): unknown; isTTY?: boolean };
  readonly stderr: { write(s: string): unknown; isTTY?: boolean };
  /** Aborts a running command (the `tfjs-optvis` binary wires Ctrl-C / SIGINT to it). */
  readonly signal?: AbortSignal;
}

/** A failure of the work itself (exit code 1), already worded for the command line. */
export class CliFailure extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CliFailure';
  }
}

/**
 * The body of a library error, in the command line's words: without `Error in <function>:` and
 * with option names replaced by the flags the user typed.
 */
export function cliWording(e: unknown): string {
  const raw = e instanceof Error ? e.message : String(e);
  return raw
    .replace(/^Error in [\w.]+: /, '')
    .replace(/\boptions\.cutAt\b|\bcutAt\b/g, '--cut-at')
    .replace(/\boptions\.inputRange\b|\binputRange\b/g, '--input-range')
    .replace(/Pass strict: false/g, 'Pass --no-strict')
    .replace(/\bstrict: false\b/g, '--no-strict')
    .replace(/\s*\n\s*/g, ' ');
}

/** Switches tfjs to `name`, quietly. */
export async function setBackend(name: 'wasm' | 'cpu'): Promise<void> {
  // tfjs prints a "use tfjs-node" banner on first use in Node; the CLI's stderr is for progress and errors.
  tf.env().set('PROD', true);
  if (!(await tf.setBackend(name))) throw new CliFailure(`--backend ${name} failed to initialise.`);
  await tf.ready();
}

/**
 * `--threads n`: for n > 1, makes the wasm backend start tfjs's threaded binary on n threads
 * (`useWasmThreads`); call before {@link setBackend}. n = 1 keeps tfjs's stock single-threaded
 * binary (the default, unchanged). In a process whose wasm backend already runs (`runCli` called
 * again in one process), n must match the threads it runs on.
 */
export function prepareWasmThreads(threads: number): void {
  if (threads <= 1) return;
  const registry = (tf.engine() as unknown as { registry: Record<string, unknown> }).registry;
  if (registry.wasm !== undefined) {
    const running = wasmThreadsState().threads || 1;
    if (running === threads) return;
    throw new CliFailure(`--threads ${threads} must be chosen before the wasm backend starts, but this process already runs it on ${running} thread(s).`);
  }
  useWasmThreads({ threads });
}

/**
 * The backend as the run summary names it: `cpu`, `wasm, 1 thread`, `wasm, 2 threads`, or
 * `wasm, 1 thread (--threads 2 fell back: <reason>)`. `state` is `wasmThreadsState()` after the
 * backend started (threads 0: tfjs's stock single-threaded binary).
 */
export function backendText(backend: 'wasm' | 'cpu', requested: number, state: WasmThreadsState): string {
  if (backend !== 'wasm') return backend;
  const threads = state.threads || 1;
  const fellBack = requested > 1 && state.fallbackReason !== undefined ? ` (--threads ${requested} fell back: ${state.fallbackReason})` : '';
  return `wasm, ${threads} thread${threads === 1 ? '' : 's'}${fellBack}`;
}

/** What `--model` names: an embedded model or a path on disk. */
export type ModelChoice = { readonly kind: 'embedded'; readonly info: EmbeddedModelInfo } | { readonly kind: 'path'; readonly path: string };

/**
 * Resolves `--model`: absent → the default embedded model; an existing path → that path; an
 * embedded model's name → that model; otherwise a usage error with the closest name.
 */
export async function chooseModel(model: string | undefined): Promise<ModelChoice> {
  if (model === undefined) return { kind: 'embedded', info: EMBEDDED_MODELS['mobilenet-v2'] };
  const exists = await fs.stat(model).then(
    () => true,
    () => false,
  );
  if (exists) return { kind: 'path', path: model };
  if ((EMBEDDED_MODEL_NAMES as readonly string[]).includes(model)) return { kind: 'embedded', info: EMBEDDED_MODELS[model as EmbeddedModelName] };
  const near = closestNames(model, EMBEDDED_MODEL_NAMES, 1).filter((n) => editDistance(n, model.toLowerCase()) <= 3);
  throw new UsageError(
    `--model must be a model directory, a model.json file or an embedded model (${EMBEDDED_MODEL_NAMES.join(', ')}), but ${JSON.stringify(model)} does not exist.${near.length ? ` Did you mean ${near[0]}?` : ''}`,
  );
}

/** The flags that go with `--model`. */
export interface ModelFlags {
  readonly inputRange?: readonly [number, number];
  /** `false` for `--no-strict`. */
  readonly strict?: boolean;
  /** Image size, checked against an embedded model's smallest. */
  readonly size?: number;
  /** Whether a model path needs `--input-range` (rendering does; listing layers does not). */
  readonly requireRange: boolean;
}

/** Checks the flags that go with `--model` (usage errors, before anything slow happens). */
export function checkModelFlags(choice: ModelChoice, flags: ModelFlags): void {
  if (choice.kind === 'embedded') {
    const id = choice.info.id;
    if (flags.inputRange !== undefined) {
      throw new UsageError(`--input-range applies to model directories; the embedded model ${id} has its own (${choice.info.inputRange.join(',')}).`);
    }
    if (flags.strict === false) throw new UsageError(`--no-strict applies to model directories; the embedded model ${id} is always complete.`);
    if (flags.size !== undefined && flags.size < choice.info.minSize) {
      throw new UsageError(`--size must be at least ${choice.info.minSize} for the embedded model ${id} (its convolutions shrink the image), but got ${flags.size}.`);
    }
    return;
  }
  if (flags.inputRange === undefined && flags.requireRange) {
    throw new UsageError(
      `--input-range is required with --model ${JSON.stringify(choice.path)}: the pixel range the model was trained on (e.g. 0,1 or -1,1 or 0,255) is not stored in its files, and a wrong range silently gives meaningless images.`,
    );
  }
}

/** How messages name the model: `the embedded model inception-v3` or `--model "dir"`. */
export function modelText(choice: ModelChoice): string {
  return choice.kind === 'embedded' ? `the embedded model ${choice.info.id}` : `--model ${JSON.stringify(choice.path)}`;
}

/** The command that lists the model's layers. */
export function layersHint(choice: ModelChoice, typed: string | undefined): string {
  return choice.kind === 'embedded' ? `tfjs-optvis layers${typed ? ` --model ${choice.info.id}` : ''}` : `tfjs-optvis layers --model ${choice.path}`;
}

/** Ctrl-C: printed as one line, exit code 130. */
export class Interrupted extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'Interrupted';
  }
}

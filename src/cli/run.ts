import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { OptvisError, didYouMean } from '../errors';
import { resolveOutput, toJpeg, writeOutputFile } from '../io/node/files';
import { toPng } from '../io/png';
import { loadDefaultModel, loadModel } from '../model/loadNode';
import type { VisModel } from '../model/types';
import { channel } from '../objectives/index';
import { Objective } from '../objectives/objective';
import { collapseAlphaRandom, standardTransforms } from '../transform/index';
import { image } from '../param/index';
import { RenderAbortError, renderVis } from '../render/index';
import { EXIT, GALLERY_USAGE, parseCommand, UsageError, USAGE, type LayersCommand, type RenderCommand } from './args';
import { wasmThreadsState } from '../backends/wasmThreads';
import { nativeKernelsBuilt, nativeKernelsState, releaseNativeKernels, useNativeKernels } from '../backends/nativeKernels';
import {
  backendText,
  checkModelFlags,
  chooseModel,
  CliFailure,
  cliWording,
  Interrupted,
  layersHint,
  modelText,
  prepareWasmThreads,
  setBackend,
  type CliStreams,
  type ModelChoice,
} from './common';
import { runGallery } from './gallery';
import { progressReporter } from './progress';
import pkg from '../../package.json';

export type { CliStreams } from './common';

async function openModel(cmd: RenderCommand | LayersCommand, choice: ModelChoice): Promise<VisModel> {
  if (choice.kind === 'embedded') {
    const id = choice.info.id;
    try {
      return await loadDefaultModel({ name: id, cutAt: cmd.cutAt });
    } catch (e) {
      throw loadError(`the embedded model ${id}`, e);
    }
  }
  try {
    // `layers` only lists names and shapes, which do not depend on the input range.
    return await loadModel(choice.path, { inputRange: cmd.inputRange ?? [0, 1], cutAt: cmd.cutAt, strict: cmd.strict });
  } catch (e) {
    throw loadError(`--model ${JSON.stringify(choice.path)}`, e);
  }
}

/** A loading error: a usage error (exit 2) when it is about the --cut-at typed, a failure otherwise. */
function loadError(what: string, e: unknown): Error {
  const body = cliWording(e);
  if (/^--cut-at must name a layer/.test(body)) return new UsageError(`for ${what}, ${body}`);
  return new CliFailure(`cannot load ${what}: ${body}`);
}

function checkAborted(signal: AbortSignal | undefined, step = 0): void {
  if (signal?.aborted) throw new Interrupted(`interrupted at step ${step}; nothing written`);
}

async function runLayers(cmd: LayersCommand, io: CliStreams): Promise<void> {
  const choice = await chooseModel(cmd.model);
  checkModelFlags(choice, { inputRange: cmd.inputRange, strict: cmd.strict, requireRange: false });
  await setBackend(cmd.backend);
  const vm = await openModel(cmd, choice);
  try {
    const rows = vm.layers.map((l) => [l.name, `[${l.shape.map((d) => (d === null ? '?' : d)).join(', ')}]`, l.kind]);
    const w0 = Math.max(5, ...rows.map((r) => r[0].length));
    const w1 = Math.max(5, ...rows.map((r) => r[1].length));
    io.stdout.write(`${'layer'.padEnd(w0)}  ${'shape'.padEnd(w1)}  kind\n`);
    for (const r of rows) io.stdout.write(`${r[0].padEnd(w0)}  ${r[1].padEnd(w1)}  ${r[2]}\n`);
  } finally {
    vm.dispose();
  }
}

/** Checks `-o` before anything slow happens (a directory, a missing folder, `-o -` on a terminal). */
async function checkOutput(cmd: RenderCommand, io: CliStreams): Promise<void> {
  if (cmd.output === '-') {
    if (io.stdout.isTTY) throw new UsageError('-o - writes PNG bytes to stdout, but stdout is a terminal; redirect it (e.g. -o - > out.png) or name a file.');
    return;
  }
  try {
    await resolveOutput('render', cmd.output);
  } catch (e) {
    throw new UsageError(cliWording(e).replace(/^file /, '-o/--output '));
  }
}

async function runRender(cmd: RenderCommand, io: CliStreams): Promise<void> {
  const signal = io.signal;
  await checkOutput(cmd, io);
  const choice = await chooseModel(cmd.model);
  if (choice.kind === 'path' && cmd.layer === undefined) {
    throw new UsageError(`--layer and --channel are required with --model ${JSON.stringify(choice.path)} (list its layers with "tfjs-optvis layers --model ${choice.path}").`);
  }
  checkModelFlags(choice, { inputRange: cmd.inputRange, strict: cmd.strict, size: cmd.size, requireRange: true });
  checkAborted(signal);
  if (cmd.backend === 'wasm') prepareWasmThreads(cmd.threads);
  await setBackend(cmd.backend);
  const threads = wasmThreadsState();
  // A fallback is worth a line even with -q: the run is slower than asked for.
  if (cmd.quiet && cmd.backend === 'wasm' && cmd.threads > 1 && threads.fallbackReason !== undefined) {
    io.stderr.write(`tfjs-optvis: warning: --threads ${cmd.threads} fell back to 1 thread: ${threads.fallbackReason}\n`);
  }
  const vm = await openModel(cmd, choice);
  const nativeBefore = nativeKernelsState().active;
  try {
    // --native: required. By default: only where they are measured to pay, the addon built and its
    // AVX2/FMA micro-kernels running (the portable ones may be slower than tfjs's own); an addon
    // that does not load is then a warning, not a failure.
    const why = (e: unknown): string => (e instanceof Error ? e.message.replace(/^Error in useNativeKernels: /, '') : String(e));
    if (cmd.native === 'on') {
      try {
        useNativeKernels();
      } catch (e) {
        throw new CliFailure(`--native: ${why(e)}`);
      }
    } else if (cmd.native === 'auto' && nativeKernelsBuilt()) {
      try {
        if (!useNativeKernels().avx2) releaseNativeKernels();
      } catch (e) {
        io.stderr.write(`tfjs-optvis: warning: the native convolutions did not load, running tfjs's own: ${why(e)}\n`);
      }
    }
    checkAborted(signal);
    const target = choice.kind === 'embedded' ? choice.info.target : undefined;
    const layer = cmd.layer ?? (target as { layer: string }).layer;
    const ch = cmd.channel ?? (target as { channel: number }).channel;
    const names = vm.layers.map((l) => l.name);
    if (!names.includes(layer)) {
      throw new UsageError(`--layer ${JSON.stringify(layer)} is not a layer of ${modelText(choice)}.${didYouMean(layer, names)} List them with "${layersHint(choice, cmd.model)}".`);
    }
    const info = vm.layer(layer);
    if (info.depth !== null && ch >= info.depth) {
      throw new UsageError(`--channel must be in [0, ${info.depth - 1}] for layer ${JSON.stringify(layer)} (${info.depth} channels), but got ${ch}.`);
    }
    const param = image(cmd.size, { alpha: cmd.alpha, seed: cmd.seed });
    const bar = cmd.quiet ? null : progressReporter(io.stderr);
    const modelName = choice.kind === 'embedded' ? choice.info.id : choice.path;
    if (!cmd.quiet) io.stderr.write(`rendering ${layer}:${ch} on ${modelName}, ${cmd.size}px, ${cmd.steps} steps, ${backendText(cmd.backend, cmd.threads, threads)}${nativeText()}\n`);
    let bytes: Uint8Array;
    try {
      // With --alpha, the RGBA image is composited over a new random background each step (so only
      // opaque pixels can drive the channel) and its mean opacity is pulled towards 1/4, as in
      // Lucid's transparency experiments; otherwise the whole image would simply turn opaque.
      const objective = cmd.alpha ? channel(layer, ch).add(alphaMeanPenalty(0.25, 1e4)) : channel(layer, ch);
      let result;
      try {
        result = await renderVis(vm, objective, {
          param,
          transforms: cmd.alpha ? [collapseAlphaRandom(), ...standardTransforms()] : undefined,
          seed: cmd.seed,
          thresholds: [cmd.steps - 1],
          signal,
          onProgress: bar ? (p) => bar.update(p.step, p.totalSteps, p.loss, p.stepsPerSecond, p.etaSeconds) : undefined,
        });
      } catch (e) {
        if (e instanceof RenderAbortError) throw new Interrupted(`interrupted at step ${e.steps}; nothing written`);
        if (e instanceof UsageError) throw e;
        throw new CliFailure(`render failed: ${cliWording(e)}`);
      } finally {
        bar?.done();
      }
      bytes = cmd.format === 'jpeg' ? toJpeg('render', result.images[0]) : toPng(result.images[0]);
    } finally {
      param.dispose();
    }
    checkAborted(signal, cmd.steps);
    if (cmd.output === '-') {
      io.stdout.write(bytes);
      if (!cmd.quiet) io.stderr.write(`wrote ${bytes.length} bytes of PNG to stdout\n`);
      return;
    }
    try {
      await writeOutputFile('render', cmd.output, bytes);
    } catch (e) {
      throw new CliFailure(cliWording(e).replace(/^file /, '-o/--output '));
    }
    if (!cmd.quiet) io.stderr.write(`wrote ${cmd.output}\n`);
  } finally {
    // The kernels go back to what they were: runCli may run again in this process.
    if (!nativeBefore) releaseNativeKernels();
    vm.dispose();
  }
}

/** The native convolutions as the run summary names them (empty when they are not used). */
function nativeText(): string {
  const s = nativeKernelsState();
  if (!s.active) return '';
  return ` + native convolutions on ${s.threads} thread${s.threads === 1 ? '' : 's'}${s.avx2 ? '' : ' (no AVX2: portable kernels)'}`;
}

/** `−weight · (mean α − target)²` on the parameterization's RGBA image. */
function alphaMeanPenalty(target: number, weight: number): Objective {
  return new Objective(
    (T) =>
      tf.tidy(() => {
        const x = T('input');
        const alpha = tf.slice(x, [0, 0, 0, 3], [-1, -1, -1, 1]);
        return tf.mul(tf.square(tf.sub(tf.mean(alpha), target)), -weight);
      }),
    `${-weight} * (mean(alpha) - ${target})^2`,
  );
}

/**
 * Runs the command line `argv` (without `node` and the script name) and returns the exit code
 * ({@link EXIT}): 0 on success, 1 when the work failed (unreadable model files, render or write
 * error), 2 when the command line is wrong, 130 when `io.signal` aborted it (Ctrl-C; nothing is
 * written). Errors are one line on stderr naming the flag and value typed, without a stack trace
 * (set `TFJS_OPTVIS_DEBUG=1` to see it).
 */
export async function runCli(argv: readonly string[], io: CliStreams = { stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  try {
    const cmd = parseCommand(argv);
    if (cmd.command === 'version') io.stdout.write(`${pkg.version}\n`);
    else if (cmd.command === 'help') io.stdout.write(`${cmd.topic === 'gallery' ? GALLERY_USAGE : USAGE}\n`);
    else if (cmd.command === 'layers') await runLayers(cmd, io);
    else if (cmd.command === 'gallery') await runGallery(cmd, io);
    else await runRender(cmd, io);
    return EXIT.ok;
  } catch (e) {
    const err = e as Error;
    let message: string;
    if (err instanceof UsageError || err instanceof CliFailure || err instanceof Interrupted) message = err.message;
    else if (err instanceof OptvisError) message = cliWording(err);
    else message = `${err?.name ?? 'Error'}: ${err?.message ?? String(e)}`;
    io.stderr.write(`tfjs-optvis: ${message.replace(/\s*\n\s*/g, ' ')}\n`);
    if (process.env.TFJS_OPTVIS_DEBUG && err?.stack) io.stderr.write(`${err.stack}\n`);
    if (e instanceof Interrupted) return EXIT.interrupted;
    return e instanceof UsageError ? EXIT.usage : EXIT.failure;
  }
}

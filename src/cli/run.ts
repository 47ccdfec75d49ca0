import { promises as fs, constants as fsConstants } from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { OptvisError } from '../errors';
import { writePng } from '../io/node/files';
import { loadDefaultModel, loadModel } from '../model/loadNode';
import { DEFAULT_MODEL_INFO, DEFAULT_TARGET } from '../model/defaultModel';
import type { VisModel } from '../model/types';
import { channel } from '../objectives/index';
import { Objective } from '../objectives/objective';
import { collapseAlphaRandom, standardTransforms } from '../transform/index';
import { image } from '../param/index';
import { renderVis } from '../render/index';
import { parseCommand, UsageError, USAGE, type LayersCommand, type RenderCommand } from './args';
import { progressReporter } from './progress';
import pkg from '../../package.json';

/** Where the CLI writes: injectable for tests. */
export interface CliStreams {
  readonly stdout: { write(s: string): unknown; isTTY?: boolean };
  readonly stderr: { write(s: string): unknown; isTTY?: boolean };
}

async function setBackend(name: 'wasm' | 'cpu'): Promise<void> {
  // tfjs prints a "use tfjs-node" banner on first use in Node; the CLI's stderr is for progress and errors.
  tf.env().set('PROD', true);
  if (!(await tf.setBackend(name))) throw new UsageError(`--backend ${name} failed to initialise.`);
  await tf.ready();
}

async function openModel(cmd: RenderCommand | LayersCommand): Promise<VisModel> {
  if (cmd.model === undefined) {
    if (cmd.inputRange !== undefined || cmd.cutAt !== undefined || !cmd.strict) {
      throw new UsageError('--input-range, --cut-at and --no-strict need --model (the default model has its own settings).');
    }
    return loadDefaultModel();
  }
  return loadModel(cmd.model, { inputRange: cmd.inputRange ?? [0, 1], cutAt: cmd.cutAt, strict: cmd.strict });
}

/** Fails early (before a long render) when the output cannot be written. */
async function checkWritable(file: string): Promise<void> {
  const dir = path.dirname(path.resolve(file));
  try {
    const st = await fs.stat(file).catch(() => null);
    if (st?.isDirectory()) throw new UsageError(`-o/--output must be a file path, but ${JSON.stringify(file)} is a directory.`);
    await fs.access(dir, fsConstants.W_OK);
  } catch (e) {
    if (e instanceof UsageError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw new UsageError(
      `-o/--output must be a writable path, but got ${JSON.stringify(file)} (${code === 'ENOENT' ? 'its directory does not exist' : 'permission denied'}).`,
    );
  }
}

async function runLayers(cmd: LayersCommand, io: CliStreams): Promise<void> {
  await setBackend(cmd.backend);
  const vm = await openModel(cmd);
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

async function runRender(cmd: RenderCommand, io: CliStreams): Promise<void> {
  await checkWritable(cmd.output);
  await setBackend(cmd.backend);
  const vm = await openModel(cmd);
  try {
    const layer = cmd.layer ?? DEFAULT_TARGET.layer;
    const ch = cmd.channel ?? DEFAULT_TARGET.channel;
    const info = vm.layer(layer); // unknown names throw with suggestions
    if (info.depth !== null && ch >= info.depth) {
      throw new UsageError(`--channel must be in [0, ${info.depth - 1}] for layer ${JSON.stringify(layer)} (${info.depth} channels), but got ${ch}.`);
    }
    const param = image(cmd.size, { alpha: cmd.alpha, seed: cmd.seed });
    const bar = cmd.quiet ? null : progressReporter(io.stderr);
    if (!cmd.quiet) io.stderr.write(`rendering ${layer}:${ch} on ${cmd.model ?? DEFAULT_MODEL_INFO.name}, ${cmd.size}px, ${cmd.steps} steps, ${cmd.backend}\n`);
    try {
      // With --alpha, the RGBA image is composited over a new random background each step (so only
      // opaque pixels can drive the channel) and its mean opacity is pulled towards 1/4, as in
      // Lucid's transparency experiments; otherwise the whole image would simply turn opaque.
      const objective = cmd.alpha ? channel(layer, ch).add(alphaMeanPenalty(0.25, 1e4)) : channel(layer, ch);
      const result = await renderVis(vm, objective, {
        param,
        transforms: cmd.alpha ? [collapseAlphaRandom(), ...standardTransforms()] : undefined,
        seed: cmd.seed,
        thresholds: [cmd.steps - 1],
        onProgress: bar ? (p) => bar.update(p.step, p.totalSteps, p.loss, p.stepsPerSecond, p.etaSeconds) : undefined,
      });
      bar?.done();
      await writePng(cmd.output, result.images[0]);
      if (!cmd.quiet) io.stderr.write(`wrote ${cmd.output}\n`);
    } finally {
      param.dispose();
    }
  } finally {
    vm.dispose();
  }
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
 * Runs the command line `argv` (without `node` and the script name) and returns the exit code:
 * 0 on success, 1 when the work failed (bad model, unknown layer, ...), 2 on usage errors. Errors are
 * one line on stderr, without a stack trace (set `TFJS_OPTVIS_DEBUG=1` to see it).
 */
export async function runCli(argv: readonly string[], io: CliStreams = { stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  try {
    const cmd = parseCommand(argv);
    if (cmd.command === 'version') io.stdout.write(`${pkg.version}\n`);
    else if (cmd.command === 'help') io.stdout.write(`${USAGE}\n`);
    else if (cmd.command === 'layers') await runLayers(cmd, io);
    else await runRender(cmd, io);
    return 0;
  } catch (e) {
    const err = e as Error;
    const message = (err instanceof OptvisError || err instanceof UsageError ? err.message : `${err?.name ?? 'Error'}: ${err?.message ?? String(e)}`)
      .replace(/\s*\n\s*/g, ' ');
    io.stderr.write(`tfjs-optvis: ${message}\n`);
    if (process.env.TFJS_OPTVIS_DEBUG && err?.stack) io.stderr.write(`${err.stack}\n`);
    return e instanceof UsageError ? 2 : 1;
  }
}

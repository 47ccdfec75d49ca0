/**
 * `tfjs-optvis gallery`: every channel of a layer into a directory (PNGs, manifest, contact sheet,
 * index.html), with worker threads, resumable, shardable. See docs/gallery.md.
 */
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { OptvisError } from '../errors';
import { buildGallery, rebuildGallery, type GalleryProgress } from '../gallery/node/index';
import { formatDuration } from './progress';
import type { CliStreams } from './run';

/** Help text of `tfjs-optvis gallery`. */
export const GALLERY_USAGE = `Usage:
  tfjs-optvis gallery --layer <name> -o <dir> [options]
  tfjs-optvis gallery --rebuild -o <dir>

Renders every channel of a layer (or --channels) into <dir>: channels/NNNN.png, manifest.json,
contact-sheet.png and index.html (open it from disk). Rerunning the same command resumes: finished
channels are skipped. A channel's image does not depend on --workers, --batch or --shard.

Gallery options:
  --layer <name>          layer whose channels to render (see "tfjs-optvis layers")
  --channels <list>       all (default), or a list such as 0-63 or 0-15,32,40-47
  --model <path>          tfjs model directory or model.json (default: the embedded model)
  --input-range <lo,hi>   pixel value range of --model (default 0,1)
  --size <px>             image size (default 128)
  --steps <n>             optimization steps per channel (default 512)
  --seed <n>              random seed (default 0)
  --backend <wasm|cpu>    tfjs backend of every worker (default wasm)
  --alpha                 transparent (RGBA) images
  --workers <n>           worker threads (default: number of cores)
  --batch <n>             channels per forward pass (default 4)
  --shard <i/n>           render only shard i (0-based) of n; shards may share <dir>
  --rebuild               only rebuild manifest.json, contact-sheet.png and index.html of <dir>
  -o, --output <dir>      gallery directory (created if missing)
  -q, --quiet             no progress line`;

/** A command-line mistake (exit code 2). */
class GalleryUsageError extends Error {}

const VALUE_OPTIONS = new Set(['layer', 'channels', 'model', 'input-range', 'size', 'steps', 'seed', 'backend', 'workers', 'batch', 'shard', 'output']);

function int(name: string, raw: string | undefined, dflt: number | undefined, min: number): number | undefined {
  if (raw === undefined) return dflt;
  const v = Number(raw);
  if (!/^[-+]?\d+$/.test(raw.trim()) || !Number.isSafeInteger(v) || v < min) {
    throw new GalleryUsageError(`--${name} must be ${min === 1 ? 'a positive' : 'a non-negative'} integer, but got ${JSON.stringify(raw)}.`);
  }
  return v;
}

interface GalleryCommand {
  readonly rebuild: boolean;
  readonly output: string;
  readonly quiet: boolean;
  readonly help: boolean;
  readonly layer?: string;
  readonly channels?: string;
  readonly model?: string;
  readonly inputRange?: readonly [number, number];
  readonly size?: number;
  readonly steps?: number;
  readonly seed?: number;
  readonly backend?: 'wasm' | 'cpu';
  readonly alpha: boolean;
  readonly workers?: number;
  readonly batch?: number;
  readonly shard?: readonly [number, number];
}

/** Parses the arguments after `gallery`. */
function parseGallery(argv: readonly string[]): GalleryCommand {
  const args: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = argv[i + 1];
    // Let numeric values start with '-' ("--steps -3", "--input-range -1,1") so the checks below name them.
    if (/^--[a-z-]+$/.test(a) && VALUE_OPTIONS.has(a.slice(2)) && next !== undefined && /^-[\d.]/.test(next)) {
      args.push(`${a}=${next}`);
      i++;
    } else args.push(a);
  }
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      strict: true,
      options: {
        layer: { type: 'string' },
        channels: { type: 'string' },
        model: { type: 'string' },
        'input-range': { type: 'string' },
        size: { type: 'string' },
        steps: { type: 'string' },
        seed: { type: 'string' },
        backend: { type: 'string' },
        alpha: { type: 'boolean' },
        workers: { type: 'string' },
        batch: { type: 'string' },
        shard: { type: 'string' },
        rebuild: { type: 'boolean' },
        output: { type: 'string', short: 'o' },
        quiet: { type: 'boolean', short: 'q' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (e) {
    throw new GalleryUsageError(`${(e as Error).message.split('\n')[0]} Run "tfjs-optvis gallery --help" for usage.`);
  }
  const { values: o, positionals } = parsed;
  const rest = positionals[0] === 'gallery' ? positionals.slice(1) : positionals;
  if (rest.length > 0) throw new GalleryUsageError(`unexpected argument ${JSON.stringify(rest[0])}. Run "tfjs-optvis gallery --help" for usage.`);
  if (o.help) return { help: true, rebuild: false, output: '', quiet: true, alpha: false };
  if (o.output === undefined || o.output === '') throw new GalleryUsageError('-o/--output must name the gallery directory, but it is missing.');
  if (o.rebuild) {
    const extra = Object.keys(o).filter((k) => !['rebuild', 'output', 'quiet'].includes(k));
    if (extra.length > 0) throw new GalleryUsageError(`--rebuild takes only -o <dir> (and -q), but got --${extra[0]}.`);
    return { rebuild: true, output: o.output, quiet: o.quiet ?? false, help: false, alpha: false };
  }
  if (o.layer === undefined || o.layer === '') throw new GalleryUsageError('--layer must name the layer to render, but it is missing (list layers with "tfjs-optvis layers").');
  if (o.model !== undefined && o.model === '') throw new GalleryUsageError('--model must be a model directory or model.json path, but got "".');
  let inputRange: [number, number] | undefined;
  if (o['input-range'] !== undefined) {
    const raw = o['input-range'];
    const nums = raw.split(',').map((s) => (s.trim() === '' ? NaN : Number(s)));
    if (nums.length !== 2 || nums.some((n) => !Number.isFinite(n)) || !(nums[0] < nums[1])) {
      throw new GalleryUsageError(`--input-range must be two numbers "lo,hi" with lo < hi (e.g. 0,1 or -1,1 or 0,255), but got ${JSON.stringify(raw)}.`);
    }
    if (o.model === undefined) throw new GalleryUsageError('--input-range needs --model (the default model has its own input range).');
    inputRange = [nums[0], nums[1]];
  }
  if (o.backend !== undefined && o.backend !== 'wasm' && o.backend !== 'cpu') {
    throw new GalleryUsageError(`--backend must be 'wasm' or 'cpu', but got ${JSON.stringify(o.backend)}.`);
  }
  let shard: [number, number] | undefined;
  if (o.shard !== undefined) {
    const m = /^(\d+)\/(\d+)$/.exec(o.shard.trim());
    if (!m || Number(m[2]) < 1 || Number(m[1]) >= Number(m[2])) {
      throw new GalleryUsageError(`--shard must be i/n with 0 <= i < n (e.g. 0/4 … 3/4), but got ${JSON.stringify(o.shard)}.`);
    }
    shard = [Number(m[1]), Number(m[2])];
  }
  return {
    rebuild: false,
    help: false,
    output: o.output,
    quiet: o.quiet ?? false,
    layer: o.layer,
    channels: o.channels,
    model: o.model,
    inputRange,
    size: int('size', o.size, undefined, 2),
    steps: int('steps', o.steps, undefined, 1),
    seed: int('seed', o.seed, undefined, 0),
    backend: o.backend as 'wasm' | 'cpu' | undefined,
    alpha: o.alpha ?? false,
    workers: int('workers', o.workers, undefined, 1),
    batch: int('batch', o.batch, undefined, 1),
    shard,
  };
}

/** One progress line for the whole job. */
function galleryLine(layer: string, p: GalleryProgress, width = 20): string {
  const frac = p.total > 0 ? Math.min(1, p.done / p.total) : 1;
  const filled = Math.round(frac * width);
  const bar = filled >= width ? '='.repeat(width) : `${'='.repeat(filled)}>${' '.repeat(width - filled - 1)}`;
  const skipped = p.skipped > 0 ? ` (+${p.skipped} done before)` : '';
  return `${layer} [${bar}] ${String(p.done).padStart(String(p.total).length)}/${p.total} channels${skipped}  ${p.channelsPerMinute.toFixed(1)} ch/min  ETA ${formatDuration(p.etaSeconds)}`;
}

/**
 * Runs `tfjs-optvis gallery` with `argv` (the arguments after `gallery`; a leading `'gallery'` is
 * ignored) and returns the exit code: 0 done, 1 failed, 2 usage error, 130 interrupted (Ctrl-C:
 * finished channels are kept; rerun to resume). Errors are one line on stderr.
 *
 * @example
 * ```ts
 * const code = await runGalleryCli(['--layer', 'block_3_expand_relu', '--channels', '0-7', '-o', 'out'], { stdout: process.stdout, stderr: process.stderr });
 * ```
 */
export async function runGalleryCli(argv: readonly string[], io: CliStreams): Promise<number> {
  const controller = new AbortController();
  let interrupts = 0;
  const onSigint = () => {
    interrupts++;
    if (interrupts > 1) process.exit(130);
    io.stderr.write('\ninterrupted: stopping (finished channels are kept; Ctrl-C again to quit at once)\n');
    controller.abort();
  };
  process.on('SIGINT', onSigint);
  // tfjs prints a "use tfjs-node" banner on first use in Node; the CLI's stderr is for progress and errors.
  tf.env().set('PROD', true);
  try {
    const cmd = parseGallery(argv);
    if (cmd.help) {
      io.stdout.write(`${GALLERY_USAGE}\n`);
      return 0;
    }
    if (cmd.rebuild) {
      const m = await rebuildGallery(cmd.output);
      if (!cmd.quiet) io.stderr.write(`rebuilt ${cmd.output}: ${Object.keys(m.channels).length} of ${m.depth} channels of ${m.layer}\n`);
      return 0;
    }
    const layer = cmd.layer as string;
    let lastDraw = 0;
    let lastDecile = -1;
    let drawn = false;
    const onProgress = cmd.quiet
      ? undefined
      : (p: GalleryProgress) => {
          const line = galleryLine(layer, p);
          if (io.stderr.isTTY) {
            const t = Date.now();
            if (p.done === p.total || t - lastDraw > 200) {
              io.stderr.write(`\r${line}\x1b[K`);
              lastDraw = t;
              drawn = true;
            }
          } else {
            const decile = p.total > 0 ? Math.floor((10 * p.done) / p.total) : 10;
            if (decile !== lastDecile) {
              lastDecile = decile;
              io.stderr.write(`${line}\n`);
            }
          }
        };
    if (!cmd.quiet) {
      const shard = cmd.shard ? `, shard ${cmd.shard[0]}/${cmd.shard[1]}` : '';
      io.stderr.write(`gallery of ${layer} (${cmd.channels ?? 'all'} channels${shard}) on ${cmd.model ?? 'the default model'} into ${cmd.output}\n`);
    }
    const summary = await buildGallery({
      dir: cmd.output,
      layer,
      model: cmd.model,
      inputRange: cmd.inputRange,
      channels: cmd.channels,
      size: cmd.size,
      steps: cmd.steps,
      seed: cmd.seed,
      backend: cmd.backend,
      alpha: cmd.alpha,
      workers: cmd.workers,
      batch: cmd.batch,
      shard: cmd.shard,
      signal: controller.signal,
      onProgress,
    });
    if (drawn) io.stderr.write('\n');
    if (!cmd.quiet) {
      const n = Object.keys(summary.manifest.channels).length;
      io.stderr.write(
        `rendered ${summary.rendered.length} channel(s), skipped ${summary.skipped.length} finished before; ` +
          `${cmd.output} has ${n} of ${summary.manifest.depth} channels${summary.complete ? '' : ' (the job is not complete: other shards or a rerun will add the rest)'}; open ${cmd.output}/index.html\n`,
      );
    }
    return 0;
  } catch (e) {
    const err = e as Error;
    if (controller.signal.aborted && err?.name === 'AbortError') {
      io.stderr.write(`tfjs-optvis: ${err.message}\n`);
      return 130;
    }
    const known = err instanceof OptvisError || err instanceof GalleryUsageError;
    const message = (known ? err.message : `${err?.name ?? 'Error'}: ${err?.message ?? String(e)}`).replace(/\s*\n\s*/g, ' ');
    io.stderr.write(`tfjs-optvis: ${message}\n`);
    if (process.env.TFJS_OPTVIS_DEBUG && err?.stack) io.stderr.write(`${err.stack}\n`);
    return e instanceof GalleryUsageError ? 2 : 1;
  } finally {
    process.off('SIGINT', onSigint);
  }
}

/**
 * `tfjs-optvis gallery`: every channel of a layer into a directory (PNGs, manifest, contact sheet,
 * index.html), with worker threads, resumable, shardable. See docs/gallery.md. Its flags are parsed
 * by ./args (the same parser and checks as `render`), its `--model` rules are ./common's.
 */
import * as tf from '@tensorflow/tfjs-core';
import { OptvisError } from '../errors';
import { buildGallery, rebuildGallery, type GalleryProgress } from '../gallery/node/index';
import { UsageError, type GalleryCommand } from './args';
import { checkModelFlags, chooseModel, CliFailure, cliWording, Interrupted, layersHint, modelText, type CliStreams, type ModelChoice } from './common';
import { formatDuration } from './progress';

/** One progress line for the whole job. */
function galleryLine(layer: string, p: GalleryProgress, width = 20): string {
  const frac = p.total > 0 ? Math.min(1, p.done / p.total) : 1;
  const filled = Math.round(frac * width);
  const bar = filled >= width ? '='.repeat(width) : `${'='.repeat(filled)}>${' '.repeat(width - filled - 1)}`;
  const skipped = p.skipped > 0 ? ` (+${p.skipped} done before)` : '';
  return `${layer} [${bar}] ${String(p.done).padStart(String(p.total).length)}/${p.total} channels${skipped}  ${p.channelsPerMinute.toFixed(1)} ch/min  ETA ${formatDuration(p.etaSeconds)}`;
}

/**
 * Runs a parsed `tfjs-optvis gallery …` command. Throws {@link UsageError} (exit 2),
 * {@link CliFailure} (exit 1) or {@link Interrupted} (exit 130: `io.signal` aborted; finished
 * channels are kept, a rerun resumes); `runCli` prints them.
 */
export async function runGallery(cmd: GalleryCommand, io: CliStreams): Promise<void> {
  if (cmd.rebuild) {
    try {
      const m = await rebuildGallery(cmd.output);
      if (!cmd.quiet) io.stderr.write(`rebuilt ${cmd.output}: ${Object.keys(m.channels).length} of ${m.depth} channels of ${m.layer}\n`);
    } catch (e) {
      const body = cliWording(e).replace(/^dir /, '-o/--output ');
      if (e instanceof OptvisError && /must be a gallery directory/.test(body)) throw new UsageError(body);
      throw new CliFailure(`cannot rebuild ${cmd.output}: ${body}`);
    }
    return;
  }
  const choice = await chooseModel(cmd.model);
  checkModelFlags(choice, { inputRange: cmd.inputRange, size: cmd.size, requireRange: true });
  // Each worker opens its own backend; this thread only writes files (and tfjs must not print its "use tfjs-node" banner).
  tf.env().set('PROD', true);
  const signal = io.signal;
  if (signal?.aborted) throw new Interrupted('interrupted before the gallery started; nothing written');
  const onAbort = () => io.stderr.write('\ninterrupted: stopping (finished channels are kept; Ctrl-C again to quit at once)\n');
  signal?.addEventListener('abort', onAbort, { once: true });
  const layer = cmd.layer;
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
  const label = choice.kind === 'embedded' ? choice.info.id : choice.path;
  if (!cmd.quiet) {
    const shard = cmd.shard ? `, shard ${cmd.shard[0]}/${cmd.shard[1]}` : '';
    io.stderr.write(`gallery of ${layer}, channels ${cmd.channels}${shard}, on ${label}, ${cmd.size}px, ${cmd.steps} steps, ${cmd.backend}, into ${cmd.output}\n`);
  }
  let summary;
  try {
    summary = await buildGallery({
      dir: cmd.output,
      layer,
      // The default model keeps the API's default (so a gallery made without --model resumes with --model mobilenet-v2 and back).
      model: cmd.model === undefined || (choice.kind === 'embedded' && choice.info.id === 'mobilenet-v2') ? undefined : label,
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
      signal,
      onProgress,
    });
  } catch (e) {
    if (drawn) io.stderr.write('\n');
    throw galleryError(e, cmd, choice, signal);
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
  if (drawn) io.stderr.write('\n');
  if (!cmd.quiet) {
    const n = Object.keys(summary.manifest.channels).length;
    io.stderr.write(
      `rendered ${summary.rendered.length} channel(s), skipped ${summary.skipped.length} finished before; ` +
        `${cmd.output} has ${n} of ${summary.manifest.depth} channels${summary.complete ? '' : ' (the job is not complete: other shards or a rerun will add the rest)'}; open ${cmd.output}/index.html\n`,
    );
  }
}

/** A gallery error in the command line's words: a bad --layer or --channels is a usage error. */
function galleryError(e: unknown, cmd: GalleryCommand & { rebuild: false }, choice: ModelChoice, signal: AbortSignal | undefined): Error {
  if (e instanceof UsageError) return e;
  const body = cliWording(e);
  if (signal?.aborted && (e as Error)?.name === 'AbortError') return new Interrupted(body);
  if (e instanceof OptvisError && e.fn === 'VisModel.layer') {
    const hint = / (Did you mean [^?]*\?)/.exec(body);
    return new UsageError(`--layer ${JSON.stringify(cmd.layer)} is not a layer of ${modelText(choice)}.${hint ? ` ${hint[1]}` : ''} List them with "${layersHint(choice, cmd.model)}".`);
  }
  if (e instanceof OptvisError && e.fn === 'gallery.parseChannels') return new UsageError(`--channels ${JSON.stringify(cmd.channels)}: ${body.replace(/^spec /, '')}`);
  if (e instanceof OptvisError) return new CliFailure(body);
  const err = e as Error;
  return new CliFailure(`${err?.name ?? 'Error'}: ${err?.message ?? String(e)}`);
}

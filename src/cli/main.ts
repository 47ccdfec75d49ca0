/**
 * Entry point of the `tfjs-optvis` command (see `bin/tfjs-optvis.js`).
 *
 * Ctrl-C (SIGINT) aborts the command through an `AbortSignal`: the render stops between two steps,
 * the progress line is ended, one line says at which step, nothing is written, and the exit code is
 * 130. A second Ctrl-C exits at once.
 * @packageDocumentation
 */
import { EXIT } from './args';
import { runCli } from './run';

const controller = new AbortController();
process.on('SIGINT', () => {
  if (controller.signal.aborted) process.exit(EXIT.interrupted);
  controller.abort();
});
// A closed stdout pipe (`tfjs-optvis layers | head -3`) is not a crash: stop quietly, exit 1
// (the output was not all delivered); other stdout errors get one line.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code !== 'EPIPE') process.stderr.write(`tfjs-optvis: cannot write to stdout (${e.code ?? e.message}).\n`);
  process.exit(EXIT.failure);
});

void runCli(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, signal: controller.signal }).then((code) => {
  process.exitCode = code;
});

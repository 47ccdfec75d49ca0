/**
 * Entry point of the `tfjs-optvis` command (see `bin/tfjs-optvis.js`).
 * @packageDocumentation
 */
import { runCli } from './run';

void runCli(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});

/** Runs `tfjs-optvis gallery` from the sources (until the main CLI dispatches to it): `node --import tsx tests/gallery/cliEntry.ts ...`. */
import { runGalleryCli } from '../../src/cli/gallery';

void runGalleryCli(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr }).then((code) => {
  process.exitCode = code;
});

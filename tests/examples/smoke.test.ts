/**
 * Smoke test of the examples: each runs end to end on the embedded default model at a tiny size
 * and writes a PNG that decodes and is not flat. Skipped when the default model's package
 * (`nsfwjs`) is not installed.
 */
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { fromPng } from '../../src/io/png';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const hasDefaultModel = (() => {
  try {
    createRequire(import.meta.url).resolve('nsfwjs');
    return true;
  } catch {
    return false;
  }
})();

async function runExample(name: string, args: string[]): Promise<string> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [path.join(root, 'node_modules', 'tsx', 'dist', 'cli.mjs'), path.join(root, 'examples', `${name}.ts`), ...args],
    { cwd: root, timeout: 120_000 },
  );
  return stdout;
}

/** Spread of the 8-bit values of a decoded PNG (max − min over all channels). */
function spread(data: Float32Array): number {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of data) {
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  return hi - lo;
}

describe.skipIf(!hasDefaultModel)('examples (default model; skipped without nsfwjs)', () => {
  it('transparency-backgrounds writes a 7-row PNG that is not flat', async () => {
    const out = path.join(root, 'examples', 'output', 'transparency-backgrounds.png');
    await fs.rm(out, { force: true });
    const stdout = await runExample('transparency-backgrounds', ['--steps', '1', '--size', '24', '--seed', '3']);
    expect(stdout).toMatch(/adversarial colour/);
    expect(stdout).toMatch(/allied image \(full\)/);
    const img = fromPng(await fs.readFile(out));
    // 7 rows of 24 px with 4 px between them; each row: foreground | 2 px | background
    expect(img.shape).toEqual([7 * 24 + 6 * 4, 2 * 24 + 2, 3]);
    expect(spread(img.data)).toBeGreaterThan(0.1);
  });
});

/**
 * The browser build: the library entry (`src/index.ts`) bundles for the browser with esbuild, with
 * no Node built-in reaching it, and the dev server's guard names the file that imports one.
 * Runs in Node (no browser needed).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, buildBundles } from '../../scripts/serve';

describe('browser bundle', () => {
  it('src/index.ts bundles for the browser without Node built-ins', async () => {
    const out = await buildBundles({ entries: { lib: path.join(ROOT, 'src', 'index.ts') } });
    const js = out.get('/lib.js');
    expect(js, 'bundle missing').toBeDefined();
    expect(js!.length).toBeGreaterThan(100_000); // tfjs is in it
    // esbuild keeps `require("fs")`-style calls for modules it could not bundle; there must be none
    expect(js).not.toMatch(/require\(["'](node:)?(fs|path|os|module|url|crypto|child_process|worker_threads)["']\)/);
    expect(js).not.toMatch(/from ["']node:/);
  });

  it('fails loudly, naming the importer, when our code imports a Node built-in', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'optvis-bundle-'));
    try {
      const entry = path.join(dir, 'leaky.ts');
      fs.writeFileSync(entry, "import { readFileSync } from 'node:fs';\nexport const x = readFileSync;\n");
      await expect(buildBundles({ entries: { leaky: entry } })).rejects.toThrow(
        /Browser bundle failed:[\s\S]*Node built-in "node:fs" imported by .*leaky\.ts: the browser build of tfjs-optvis must not use Node built-ins/,
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

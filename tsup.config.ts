import { defineConfig } from 'tsup';

export default defineConfig({
  entry: { index: 'src/index.ts', node: 'src/node.ts', cli: 'src/cli/main.ts', 'gallery-worker': 'src/gallery/node/worker.ts' },
  format: ['esm', 'cjs'],
  dts: { entry: { index: 'src/index.ts', node: 'src/node.ts' } },
  // Shared chunks in BOTH formats: `require('tfjs-optvis')` and `require('tfjs-optvis/node')` must
  // load one copy of the library (one OptvisError class, one Objective class), as ESM does.
  splitting: true,
  // The CommonJS chunks get a shim for `import.meta.url` (used to resolve the embedded models' packages).
  shims: true,
  sourcemap: true,
  clean: true,
  target: 'es2020',
  // fast-png is ESM-only: bundle it so the CommonJS build works everywhere.
  noExternal: ['fast-png'],
});

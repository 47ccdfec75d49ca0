import { defineConfig } from 'vitest/config';

export default defineConfig({
  // Examples and tests may import the package like a user: 'tfjs-optvis' / 'tfjs-optvis/node' → src/.
  resolve: {
    alias: [
      { find: /^tfjs-optvis\/node$/, replacement: new URL('./src/node.ts', import.meta.url).pathname },
      { find: /^tfjs-optvis$/, replacement: new URL('./src/index.ts', import.meta.url).pathname },
    ],
  },
  test: {
    include: ['tests/**/*.test.ts'],
    // No tfjs "running in Node.js" banner in the output; one line per skipped group at the end.
    setupFiles: ['tests/helpers/setup.ts'],
    reporters: ['default', './tests/helpers/skipReporter.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    maxWorkers: 2,
  },
});

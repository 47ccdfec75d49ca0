#!/usr/bin/env node
// Runs the tfjs-optvis CLI: from the TypeScript sources through tsx in a clone of the repository
// (no build step needed, never stale), from the built dist/ in an installed package.
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const source = `${root}src/cli/main.ts`;
const built = `${root}dist/cli.js`;

async function fromSource() {
  try {
    const { register } = await import('tsx/esm/api');
    register();
  } catch {
    return false;
  }
  await import(pathToFileURL(source).href);
  return true;
}

if (!(existsSync(source) && (await fromSource()))) {
  if (!existsSync(built)) {
    process.stderr.write('tfjs-optvis: neither the sources (with tsx) nor dist/cli.js are available; run "npm install" (and "npm run build").\n');
    process.exit(1);
  }
  await import(pathToFileURL(built).href);
}

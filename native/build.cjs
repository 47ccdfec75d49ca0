#!/usr/bin/env node
// Builds the optional native convolution addon (native/binding.gyp) with node-gyp.
// `npm install` runs it as the package's install script and never fails because of it: without a
// C++ compiler or make, useNativeKernels() just reports that the addon is not built.
// `npm run build:native` (= `node native/build.cjs --required`) fails when the build fails.
'use strict';
const { spawnSync } = require('node:child_process');
const path = require('node:path');

const required = process.argv.includes('--required');
const dir = __dirname;
// npm puts its bundled node-gyp on PATH for scripts and names it in npm_config_node_gyp.
const gyp = process.env.npm_config_node_gyp;
const [cmd, args] = gyp ? [process.execPath, [gyp]] : ['node-gyp', []];
const r = spawnSync(cmd, [...args, 'rebuild', '--directory', dir, '--loglevel', 'warn'], { stdio: required ? 'inherit' : 'pipe', encoding: 'utf8' });
if (r.status === 0) {
  console.log(`tfjs-optvis: built the native convolutions (${path.join(dir, 'build', 'Release', 'optvis_native.node')})`);
  process.exit(0);
}
const why = r.error ? r.error.message : `node-gyp exited with ${r.status}`;
if (required) {
  console.error(`tfjs-optvis: the native convolutions did not build (${why})`);
  process.exit(1);
}
console.log(`tfjs-optvis: native convolutions not built (${why}); everything else works, useNativeKernels() will say so. Build later with \`npm run build:native\`.`);

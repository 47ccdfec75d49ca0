/**
 * Docs cannot drift: every ```ts block of README.md and docs/*.md is type-checked against the
 * library's sources (strict), and the short self-contained ones are run.
 *
 * Each block becomes a module in a temporary directory. A block may import what it uses (as a user
 * copying it would), or use the names of a shared context (docs/README convention, see `CONTEXT`):
 * `tf` (tfjs-core), the library's exports (`param`, `objectives`, `renderVis`, …) and, for
 * fragments that need a model, `vm` (a `VisModel` the reader has loaded). `'tfjs-optvis'` and
 * `'tfjs-optvis/node'` resolve to src/ (tsconfig `paths`, which tsx honours too).
 *
 * Run: blocks of at most `MAX_RUN_LINES` lines that need no model, files or long renders (see
 * `needsMore`) are imported one after another by one tsx process on the cpu backend; any throw
 * fails the test with the block's file and line.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** A ```ts block: where it is and its text. */
interface Block {
  readonly doc: string;
  /** 1-based line of the block's first code line in the markdown file. */
  readonly line: number;
  readonly code: string;
  readonly file: string;
}

/** Names every block may use without importing them (values and types of tfjs-optvis/node). */
const LIBRARY_NAMES = [
  'param', 'transform', 'objectives', 'render', 'model', 'io', 'backends',
  'Objective', 'Rng', 'OptvisError', 'stopGradient', 'renderVis', 'visSession', 'visModel',
  'writePng', 'readImage', 'loadModel', 'loadDefaultModel', 'fileHandler', 'DEFAULT_LAYERS', 'DEFAULT_TARGET', 'DEFAULT_MODEL_INFO',
] as const;
const LIBRARY_TYPES = ['VisModel', 'Param', 'Transform', 'ImageArray', 'LayerInfo', 'InputRange'] as const;
/** Stand-ins for what the surrounding prose says the reader has (type-checked only, never run). */
const CONTEXT = {
  vm: 'optvis.VisModel',
  url: 'string',
  image01: 'tfcore.Tensor4D',
  layersModel: 'optvis.LayersModelLike',
  graphModel: 'optvis.GraphModelLike',
  labels: 'string[]',
} as const;

const MAX_RUN_LINES = 12;
/** Blocks that load models, read/write files, render for long or use a context stand-in are only type-checked. */
function needsMore(code: string): string | undefined {
  const m = /\b(renderVis|loadModel|loadDefaultModel|fileHandler|visModel|fromLayersModel|fromGraphModel|writePng|readImage|loadLayersModel|loadGraphModel)\b/.exec(code);
  if (m) return `uses ${m[1]}`;
  // It replaces the runner's wasm backend (threaded binary, and tf.setBackend('wasm') after it): a fresh process's business.
  if (/\buseWasmThreads\b/.test(code)) return 'uses useWasmThreads';
  const ctx = Object.keys(CONTEXT).find((n) => new RegExp(`\\b${n}\\b`).test(code));
  if (ctx) return `uses the context stand-in \`${ctx}\``;
  if (/for \(/.test(code)) return 'has a loop';
  if (code.trim().split('\n').length > MAX_RUN_LINES) return `longer than ${MAX_RUN_LINES} lines`;
  return undefined;
}

function docsFiles(): string[] {
  const docs = readdirSync(path.join(root, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .sort()
    .map((f) => `docs/${f}`);
  return ['README.md', ...docs];
}

function extractBlocks(): Block[] {
  const blocks: Block[] = [];
  for (const doc of docsFiles()) {
    const lines = readFileSync(path.join(root, doc), 'utf8').split('\n');
    for (let i = 0; i < lines.length; i++) {
      if (!/^\s*```ts\s*$/.test(lines[i])) continue;
      const start = i + 1;
      let end = start;
      while (end < lines.length && !/^\s*```\s*$/.test(lines[end])) end++;
      const code = lines.slice(start, end).join('\n');
      const slug = doc.replace(/[^A-Za-z0-9]+/g, '_');
      blocks.push({ doc, line: start + 1, code, file: `${slug}_L${start + 1}.ts` });
      i = end;
    }
  }
  return blocks;
}

function run(cmd: string, args: readonly string[], cwd: string, timeoutMs: number): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(cmd, [...args], { cwd, timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
      resolve({ code, out: `${String(stdout)}${String(stderr)}` });
    });
  });
}

const GLOBALS_DTS = `// Shared context of the docs' code blocks (tests/docs/codeblocks.test.ts).
import * as tfcore from '@tensorflow/tfjs-core';
import * as optvis from 'tfjs-optvis/node';
declare global {
  export import tf = tfcore;
${[...LIBRARY_NAMES, ...LIBRARY_TYPES].map((n) => `  export import ${n} = optvis.${n};`).join('\n')}
${Object.entries(CONTEXT).map(([n, t]) => `  const ${n}: ${t};`).join('\n')}
}
`;

const RUNNER = `// Imports each docs block in turn with the shared context as globals (cpu backend).
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as optvis from 'tfjs-optvis/node';
import { pathToFileURL } from 'node:url';

tf.env().set('PROD', true);
await tf.setBackend('cpu');
const g = globalThis as Record<string, unknown>;
g.tf = tf;
for (const n of ${JSON.stringify(LIBRARY_NAMES)}) g[n] = (optvis as Record<string, unknown>)[n];
const results: { file: string; error?: string }[] = [];
for (const file of process.argv.slice(2)) {
  try {
    await import(pathToFileURL(file).href);
    results.push({ file });
  } catch (e) {
    results.push({ file, error: e instanceof Error ? e.message : String(e) });
  }
}
process.stdout.write('RESULTS ' + JSON.stringify(results) + '\\n');
`;

describe('code blocks of README.md and docs/*.md', () => {
  const blocks = extractBlocks();
  let tmp = '';

  beforeAll(() => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'tfjs-optvis-docblocks-'));
    symlinkSync(path.join(root, 'node_modules'), path.join(tmp, 'node_modules'), 'dir');
    writeFileSync(
      path.join(tmp, 'tsconfig.json'),
      JSON.stringify(
        {
          compilerOptions: {
            target: 'ES2022',
            module: 'ESNext',
            moduleResolution: 'Bundler',
            lib: ['ES2022', 'DOM'],
            types: ['node'],
            strict: true,
            // The sources import tfjs-layers, whose own .d.ts fail under strict; the built package's
            // declarations are checked without skipLibCheck in tests/consumer.
            skipLibCheck: true,
            noEmit: true,
            paths: { 'tfjs-optvis': [path.join(root, 'src/index.ts')], 'tfjs-optvis/node': [path.join(root, 'src/node.ts')] },
          },
          include: ['*.ts'],
        },
        null,
        2,
      ),
    );
    writeFileSync(path.join(tmp, 'package.json'), '{ "private": true, "type": "module" }\n');
    writeFileSync(path.join(tmp, 'docs-globals.d.ts'), GLOBALS_DTS);
    writeFileSync(path.join(tmp, 'runner.ts'), RUNNER);
    // Every block is its own module (its names do not clash with other blocks'; top-level await works).
    for (const b of blocks) writeFileSync(path.join(tmp, b.file), `${b.code}\nexport {};\n`);
  });

  afterAll(() => {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('finds the blocks (README "In code" and the guides)', () => {
    expect(blocks.some((b) => b.doc === 'README.md')).toBe(true);
    expect(blocks.filter((b) => b.doc.startsWith('docs/')).length).toBeGreaterThanOrEqual(10);
  });

  it('every block type-checks (strict) against the sources', async () => {
    const r = await run(process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], tmp, 170_000);
    // Map "file.ts(3,5): error TS…" back to "docs/x.md:line".
    const byFile = new Map(blocks.map((b) => [b.file, b]));
    // Errors inside src/ itself are `npm run typecheck`'s business; here only the blocks (and the
    // shared context) count.
    const errors = r.out
      .split('\n')
      .filter((l) => /error TS\d+/.test(l) && !l.startsWith('../') && !l.startsWith('/'))
      .map((l) => {
        const m = /^(\S+?\.ts)\((\d+),(\d+)\): (.*)$/.exec(l.trim());
        const b = m ? byFile.get(m[1]) : undefined;
        return b && m ? `${b.doc}:${b.line + Number(m[2]) - 1}:${m[3]} ${m[4]}` : l;
      });
    expect(errors, errors.join('\n')).toEqual([]);
    if (errors.length === 0 && r.code !== 0) expect(r.out, 'tsc failed without an error in the blocks').toMatch(/error TS/);
  }, 180_000);

  it('the short, self-contained blocks run (cpu backend)', async () => {
    const runnable = blocks.filter((b) => needsMore(b.code) === undefined);
    expect(runnable.length, 'at least a few blocks are runnable').toBeGreaterThanOrEqual(4);
    const r = await run(process.execPath, ['--import', 'tsx', 'runner.ts', ...runnable.map((b) => b.file)], tmp, 170_000);
    const line = r.out.split('\n').find((l) => l.startsWith('RESULTS '));
    expect(line, r.out).toBeDefined();
    const results = JSON.parse((line ?? 'RESULTS []').slice(8)) as { file: string; error?: string }[];
    expect(results.map((x) => x.file)).toEqual(runnable.map((b) => b.file));
    const failures = results
      .filter((x) => x.error !== undefined)
      .map((x) => {
        const b = blocks.find((bb) => bb.file === x.file);
        return `${b?.doc}:${b?.line}: ${x.error}`;
      });
    expect(failures, failures.join('\n')).toEqual([]);
  }, 180_000);
});

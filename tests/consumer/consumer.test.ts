/**
 * The package as a user gets it: `npm pack` (which runs the `prepare` build), then the tarball
 * installed into a fresh temporary project with exactly the install line the README shows, then
 * (a) an ES module and (b) a CommonJS script that mix both entry points render a few steps,
 * (c) a strict TypeScript app (no `skipLibCheck`) holding the README's "In code" snippet
 * type-checks, (d) the installed `npx tfjs-optvis render` writes a PNG.
 *
 * The build runs in a temporary copy of the package (sources + a link to node_modules), so the
 * working tree's dist/ is never touched. The install uses the npm cache (`--prefer-offline`); when
 * the registry cannot be reached the group is skipped with the reason, except in CI (`CI=true`),
 * where that fails.
 */
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IN_CI, recordSkip } from '../helpers/skips';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const GROUP = 'tests/consumer/consumer.test.ts (npm pack + install from the registry)';
const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const BANNER = 'looks like you are running TensorFlow.js in Node.js';

interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a command; never throws (the caller asserts on the exit code and output). */
function run(cmd: string, args: readonly string[], cwd: string, timeoutMs: number): Promise<RunResult> {
  // The outer `npm test` exports npm_* variables (package, lifecycle): keep them out of the child npm.
  const env: NodeJS.ProcessEnv = {};
  const outer = /^npm_(package_|lifecycle_|command$|config_(local_prefix|prefix|global_prefix|call|yes)$)/i;
  for (const [k, v] of Object.entries(process.env)) if (!outer.test(k)) env[k] = v;
  return new Promise((resolve) => {
    execFile(cmd, [...args], { cwd, env, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : 1) : 0;
      resolve({ code, stdout: String(stdout), stderr: `${String(stderr)}${err && code === 1 && !stderr ? String(err.message) : ''}` });
    });
  });
}

/** The README's install line (`npm install tfjs-optvis …`), without any trailing comment. */
function readmeInstallLine(markdown: string): string {
  const lines = markdown.split('\n').map((l) => l.replace(/\s+#.*$/, '').trim());
  const found = lines.filter((l) => /^npm install tfjs-optvis(\s|$)/.test(l));
  if (found.length === 0) throw new Error('README.md must show an install line starting with "npm install tfjs-optvis".');
  return found[0];
}

/** The "In code" ```ts block of the README. */
function readmeSnippet(markdown: string): string {
  const at = markdown.indexOf('## In code');
  const m = /```ts\n([\s\S]*?)```/.exec(markdown.slice(at));
  if (at < 0 || !m) throw new Error('README.md must have an "In code" section with a ```ts block.');
  return m[1];
}

const NETWORK_ERROR = /\b(ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENETUNREACH|EHOSTUNREACH|ERR_SOCKET_TIMEOUT)\b|network request to .* failed|request to https?:\/\/\S+ failed/;

const README = readFileSync(path.join(root, 'README.md'), 'utf8');

describe('the README install line is the one getting-started shows', () => {
  it('README.md and docs/getting-started.md show the same install line, with the wasm backend and nsfwjs', () => {
    const line = readmeInstallLine(README);
    const guide = readmeInstallLine(readFileSync(path.join(root, 'docs/getting-started.md'), 'utf8').replace(/\\\n\s*/g, ''));
    expect(guide).toBe(line);
    const names = line.split(/\s+/).map((w) => w.replace(/(.)@.*$/, '$1')); // 'nsfwjs@4.4.0' → 'nsfwjs'
    for (const pkg of ['@tensorflow/tfjs-core', '@tensorflow/tfjs-converter', '@tensorflow/tfjs-layers', '@tensorflow/tfjs-backend-wasm', 'nsfwjs']) {
      expect(names, `install line lacks ${pkg}`).toContain(pkg);
    }
    // The default model checks nsfwjs's files against one version: the line pins that version.
    expect(line.split(/\s+/)).toContain('nsfwjs@4.4.0');
    // package.json agrees: every non-optional peer dependency is in the line.
    const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as {
      peerDependencies: Record<string, string>;
      peerDependenciesMeta?: Record<string, { optional?: boolean }>;
      scripts: Record<string, string>;
    };
    for (const name of Object.keys(pkg.peerDependencies)) {
      if (pkg.peerDependenciesMeta?.[name]?.optional) continue;
      expect(names, `non-optional peer ${name} missing from the install line`).toContain(name);
    }
    expect(pkg.scripts.prepare, 'a prepare script builds dist/ for git installs').toMatch(/tsup/);
  });
});

/** Asserts `file` is a PNG of 32×32 pixels (IHDR width and height, big-endian at bytes 16..23). */
function expectPng32(file: string): void {
  const png = readFileSync(file);
  expect([...png.subarray(0, 8)]).toEqual(PNG_SIGNATURE);
  expect([png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual([32, 32]);
}

describe('consumer: npm pack, install with the README line, use as a user', () => {
  let tmp = '';
  let app = '';
  let skipReason: string | undefined;
  let setupError: Error | undefined;
  const timings: Record<string, number> = {};

  beforeAll(async () => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'tfjs-optvis-consumer-'));
    const pkgDir = path.join(tmp, 'pkg');
    for (const f of ['package.json', 'tsup.config.ts', 'tsconfig.json', 'README.md', 'src', 'bin', 'native/binding.gyp', 'native/build.cjs', 'native/src']) {
      cpSync(path.join(root, f), path.join(pkgDir, f), { recursive: true });
    }
    for (const extra of ['LICENSE', 'NOTICE']) if (existsSync(path.join(root, extra))) cpSync(path.join(root, extra), path.join(pkgDir, extra));
    symlinkSync(path.join(root, 'node_modules'), path.join(pkgDir, 'node_modules'), 'dir');

    let t = Date.now();
    const pack = await run('npm', ['pack', '--json', '--pack-destination', tmp], pkgDir, 420_000);
    timings.packSeconds = (Date.now() - t) / 1000;
    if (pack.code !== 0) {
      setupError = new Error(`npm pack (prepare = build) failed (exit ${pack.code}):\n${pack.stderr.slice(-4000)}`);
      return;
    }
    // npm prints the prepare script's output (tsup's build log, which may contain '[') before the JSON.
    const jsonStart = pack.stdout.search(/^\[\s*\{/m);
    if (jsonStart < 0) {
      setupError = new Error(`npm pack --json printed no JSON array:\n${pack.stdout.slice(-2000)}`);
      return;
    }
    const packed = (JSON.parse(pack.stdout.slice(jsonStart)) as { filename: string; files: { path: string }[] }[])[0];
    const packedFiles = packed.files.map((f) => f.path);
    const missing = ['dist/index.js', 'dist/index.cjs', 'dist/node.js', 'dist/node.cjs', 'dist/cli.js', 'dist/index.d.ts', 'dist/node.d.ts', 'dist/node.d.cts', 'bin/tfjs-optvis.js'].filter(
      (f) => !packedFiles.includes(f),
    );
    if (missing.length > 0) {
      setupError = new Error(`the packed tarball lacks ${missing.join(', ')} (did the prepare build run? npm's ignore-scripts must be off):\n${pack.stderr.slice(-2000)}`);
      return;
    }
    const tarball = path.join(tmp, packed.filename);

    app = path.join(tmp, 'app');
    cpSync(path.join(root, 'tests/consumer/app'), app, { recursive: true });
    const words = readmeInstallLine(README).split(/\s+/);
    const args = words.slice(2).map((w) => (w === 'tfjs-optvis' ? tarball : w));
    t = Date.now();
    const install = await run('npm', ['install', ...args, '--prefer-offline', '--no-audit', '--no-fund'], app, 240_000);
    timings.installSeconds = (Date.now() - t) / 1000;
    if (install.code !== 0) {
      const out = `${install.stdout}\n${install.stderr}`;
      if (NETWORK_ERROR.test(out) && !IN_CI) {
        skipReason = `the npm registry is unreachable and the npm cache lacks a package (${NETWORK_ERROR.exec(out)?.[0]})`;
        recordSkip(GROUP, skipReason);
        return;
      }
      setupError = new Error(`npm install with the README line failed (exit ${install.code}):\n${out.slice(-4000)}`);
    }
  }, 720_000);

  afterAll(() => {
    if (Object.keys(timings).length > 0) process.stdout.write(`consumer timings (s): ${JSON.stringify(timings)}\n`);
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  const ready = (ctx: { skip: (note?: string) => never }): void => {
    if (setupError) throw setupError;
    if (skipReason) ctx.skip(skipReason);
  };

  it('the packed library declares no tfjs-layers / tfjs-converter types (their .d.ts fail under strict)', (ctx) => {
    ready(ctx);
    const dist = path.join(app, 'node_modules/tfjs-optvis/dist');
    const dts = readdirSync(dist).filter((f) => /\.d\.c?ts$/.test(f));
    expect(dts.length).toBeGreaterThan(0);
    for (const f of dts) {
      const text = readFileSync(path.join(dist, f), 'utf8');
      // import/export statements only (TSDoc examples in comments may show tfjs-layers code).
      expect(text, f).not.toMatch(/^\s*(import|export)\b[^\n]*['"]@tensorflow\/tfjs-(layers|converter)['"]/m);
    }
  });

  for (const [label, script] of [
    ['(a) an ES module', 'mixed.mjs'],
    ['(b) a CommonJS script', 'mixed.cjs'],
  ] as const) {
    it(`${label} mixing 'tfjs-optvis' and 'tfjs-optvis/node' renders a few steps with one copy of the library`, async (ctx) => {
      ready(ctx);
      const t = Date.now();
      const r = await run(process.execPath, [script], app, 120_000);
      timings[script] = (Date.now() - t) / 1000;
      expect(r.code, r.stderr).toBe(0);
      const out = JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') as {
        losses: number[];
        shape: number[];
        sameClasses: boolean;
        errorCrossesEntries: boolean;
        objectiveCrossesEntries: boolean;
        tensorsBefore: number;
        tensorsAfter: number;
        native: { active: boolean; addonPath: string; losses: number[]; activeAfterRelease: boolean };
      };
      expect(out.sameClasses, 'OptvisError / Objective are the same class from both entry points').toBe(true);
      expect(out.errorCrossesEntries, "an error from one entry is instanceof the other's OptvisError").toBe(true);
      expect(out.objectiveCrossesEntries).toBe(true);
      expect(out.shape).toEqual([1, 16, 16, 3]);
      expect(out.losses).toHaveLength(3);
      for (const l of out.losses) expect(Number.isFinite(l)).toBe(true);
      expect(out.tensorsAfter).toBe(out.tensorsBefore);
      // `npm install` built the addon inside the installed package (its install script), and it ran
      // the same steps: the first loss (before any update) agrees with wasm's to float32 rounding.
      expect(out.native.active, 'useNativeKernels() in the installed package').toBe(true);
      expect(out.native.addonPath).toContain(path.join('node_modules', 'tfjs-optvis', 'native', 'build', 'Release', 'optvis_native.node'));
      expect(out.native.activeAfterRelease).toBe(false);
      expect(out.native.losses).toHaveLength(3);
      expect(Math.abs(out.native.losses[0] - out.losses[0])).toBeLessThanOrEqual(1e-4 * Math.abs(out.losses[0]) + 1e-6);
      const png = readFileSync(path.join(app, script.endsWith('.cjs') ? 'cjs.png' : 'esm.png'));
      expect([...png.subarray(0, 8)]).toEqual(PNG_SIGNATURE);
    }, 180_000);
  }

  it('(c) a strict TypeScript app (no skipLibCheck) with the README snippet type-checks', async (ctx) => {
    ready(ctx);
    writeFileSync(path.join(app, 'readme.ts'), readmeSnippet(README));
    const tsconfig = JSON.parse(readFileSync(path.join(app, 'tsconfig.json'), 'utf8')) as { compilerOptions: Record<string, unknown> };
    expect(tsconfig.compilerOptions.strict).toBe(true);
    expect(tsconfig.compilerOptions.skipLibCheck).toBeUndefined();
    const t = Date.now();
    const r = await run(process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], app, 170_000);
    timings.tscSeconds = (Date.now() - t) / 1000;
    expect(`${r.stdout}${r.stderr}`.trim()).toBe('');
    expect(r.code).toBe(0);
  }, 180_000);

  it("the README snippet itself runs (at 32 px and 4 steps instead of 128 px and 512)", async (ctx) => {
    ready(ctx);
    // The snippet is plain JavaScript apart from its file name: shrink it, keep everything else.
    let code = readmeSnippet(README);
    for (const [from, to] of [
      ['param.image(128,', 'param.image(32,'],
      ['thresholds: [64, 511]', 'thresholds: [1, 3]'],
      ["writePng('out.png'", "writePng('readme.png'"],
    ] as const) {
      expect(code, `the README snippet no longer contains ${from}`).toContain(from);
      code = code.replace(from, to);
    }
    writeFileSync(path.join(app, 'readme-small.mjs'), code);
    const t = Date.now();
    const r = await run(process.execPath, ['readme-small.mjs'], app, 120_000);
    timings.readmeSnippetSeconds = (Date.now() - t) / 1000;
    expect(r.code, r.stderr).toBe(0);
    expectPng32(path.join(app, 'readme.png'));
  }, 180_000);

  it('(d) the installed `npx tfjs-optvis render` writes a PNG, with no tfjs banner in its output', async (ctx) => {
    ready(ctx);
    const t = Date.now();
    const r = await run('npx', ['--no-install', 'tfjs-optvis', 'render', '--size', '32', '--steps', '3', '-q', '-o', 'cli.png'], app, 120_000);
    timings.cliSeconds = (Date.now() - t) / 1000;
    expect(r.code, r.stderr).toBe(0);
    expect(`${r.stdout}${r.stderr}`).not.toContain(BANNER);
    expectPng32(path.join(app, 'cli.png'));
  }, 180_000);

  it('(e) the installed `npx tfjs-optvis render --native` runs on the native convolutions and writes a PNG', async (ctx) => {
    ready(ctx);
    const t = Date.now();
    const r = await run('npx', ['--no-install', 'tfjs-optvis', 'render', '--native', '--size', '32', '--steps', '3', '-o', 'native.png'], app, 120_000);
    timings.cliNativeSeconds = (Date.now() - t) / 1000;
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/wasm, 1 thread \+ native convolutions on \d+ threads?/);
    expectPng32(path.join(app, 'native.png'));
  }, 180_000);
});

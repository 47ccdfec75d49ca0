import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { fromPng } from '../../src/io/index';
import { parseCommand } from '../../src/cli/args';
import { backendText } from '../../src/cli/common';
import { progressLine, formatDuration } from '../../src/cli/progress';
import { runCli } from '../../src/cli/run';

const BIN = resolve(__dirname, '../../bin/tfjs-optvis.js');
const dir = mkdtempSync(join(tmpdir(), 'optvis-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs the real command (bin → tsx → src) and collects its output. */
function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: dir, env: { ...process.env, TFJS_OPTVIS_DEBUG: '' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}

/** Runs the CLI in this process with captured streams. */
async function inProcess(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, { stdout: { write: (s: string) => (stdout += s) }, stderr: { write: (s: string) => (stderr += s) } });
  return { code, stdout, stderr };
}

function std(values: Float32Array): number {
  const mean = values.reduce((s, v) => s + v, 0) / values.length;
  return Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / values.length);
}

const noPartialFiles = () => expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);

describe('tfjs-optvis render (end to end, default model)', () => {
  it('renders a 48-px PNG with progress on stderr', async () => {
    const out = join(dir, 'e2e.png');
    const r = await cli(['render', '--size', '48', '--steps', '10', '--seed', '1', '-o', out]);
    expect(r.stderr).not.toMatch(/at .*\.ts:\d+/); // no stack trace
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/rendering block_13_expand_relu:100 .* 48px, 10 steps, wasm/);
    expect(r.stderr).toMatch(/\[=+\] 10\/10 {2}loss -?\d+\.\d{3} {2}\d+\.\d steps\/s {2}ETA 0:00/);
    const img = fromPng(readFileSync(out));
    expect(img.shape).toEqual([48, 48, 3]);
    expect(std(img.data)).toBeGreaterThan(0.02); // not a flat image
    noPartialFiles();
  });

  it('fails with one line and exit code 2 on a bad --size, leaving no file', async () => {
    const out = join(dir, 'bad-size.png');
    const r = await cli(['render', '--size', '0', '-o', out]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('tfjs-optvis: --size must be a positive integer, but got "0".\n');
    expect(existsSync(out)).toBe(false);
  });

  it('renders a transparent RGBA PNG with --alpha', async () => {
    const out = join(dir, 'alpha.png');
    const r = await inProcess(['render', '--alpha', '--size', '32', '--steps', '4', '--layer', 'block_3_expand_relu', '--channel', '1', '-q', '-o', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    const img = fromPng(readFileSync(out));
    expect(img.shape).toEqual([32, 32, 4]);
    const alpha = img.data.filter((_, i) => i % 4 === 3);
    expect(Math.min(...alpha)).toBeLessThan(Math.max(...alpha)); // a real alpha channel, not constant
  });

  it('lists the layers of the default model', async () => {
    const r = await inProcess(['layers', '--backend', 'cpu']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^layer +shape +kind\n/);
    expect(r.stdout).toMatch(/\nblock_6_expand_relu +\[\?, \?, \?, 192\] +ReLU\n/);
    expect(r.stdout).not.toMatch(/dense_3/); // nsfwjs's head is cut off
  });
});

describe('tfjs-optvis bad input: one line on stderr, non-zero exit, no file', () => {
  const out = () => join(dir, `out-${Math.random().toString(36).slice(2)}.png`);
  const cases: [string, () => string[], RegExp, number][] = [
    ['missing model directory', () => ['render', '--model', join(dir, 'no-such-model'), '--input-range', '0,1', '--layer', 'x', '--channel', '0', '-o', out()],
      /^tfjs-optvis: --model must be a model directory, a model\.json file or an embedded model \(mobilenet-v2, inception-v3\), but ".*no-such-model" does not exist\.\n$/, 2],
    ['unreadable model.json', () => {
      const m = join(dir, 'badjson');
      mkdirSync(m, { recursive: true });
      writeFileSync(join(m, 'model.json'), '{ not json');
      return ['render', '--model', m, '--input-range', '0,1', '--layer', 'x', '--channel', '0', '-o', out()];
    }, /^tfjs-optvis: cannot load --model ".*badjson": model\.json must be valid JSON, but ".*model\.json" has a syntax error: .*\n$/, 1],
    ['unknown layer', () => ['render', '--layer', 'block_6_expand_rellu', '--channel', '0', '--backend', 'cpu', '-o', out()],
      /^tfjs-optvis: --layer "block_6_expand_rellu" is not a layer of the embedded model mobilenet-v2\. Did you mean .*'block_6_expand_relu'.*\? List them with "tfjs-optvis layers"\.\n$/, 2],
    ['channel out of range', () => ['render', '--layer', 'block_6_expand_relu', '--channel', '192', '--backend', 'cpu', '-o', out()],
      /^tfjs-optvis: --channel must be in \[0, 191\] for layer "block_6_expand_relu" \(192 channels\), but got 192\.\n$/, 2],
    ['size not a positive integer', () => ['render', '--size', '12.5', '-o', out()], /^tfjs-optvis: --size must be a positive integer, but got "12\.5"\.\n$/, 2],
    ['steps not a positive integer', () => ['render', '--steps', '-3', '-o', out()], /^tfjs-optvis: --steps must be a positive integer, but got "-3"\.\n$/, 2],
    ['unwritable output path', () => ['render', '-o', join(dir, 'no-dir', 'x.png')],
      /^tfjs-optvis: -o\/--output must be a writable path, but got ".*x\.png" \(its directory does not exist\)\.\n$/, 2],
    ['bad input range', () => ['render', '--model', dir, '--layer', 'x', '--channel', '0', '--input-range', '1,0', '-o', out()],
      /^tfjs-optvis: --input-range must be two numbers "lo,hi" with lo < hi .* but got "1,0"\.\n$/, 2],
    ['unknown flag', () => ['render', '--sise', '3', '-o', out()], /^tfjs-optvis: unknown flag "--sise"; did you mean --size\? Run "tfjs-optvis --help" for the flags\.\n$/, 2],
    ['unknown flag with a value', () => ['render', '--chanel=3', '-o', out()], /^tfjs-optvis: unknown flag "--chanel"; did you mean --channel\?/, 2],
    ['unknown short flag', () => ['render', '-O', out()], /^tfjs-optvis: unknown flag "-O"; did you mean -o\?/, 2],
    ['duplicate flag', () => ['render', '--size', '64', '--size', '128', '-o', out()], /^tfjs-optvis: --size was given twice \(--size "64" and --size "128"\); give it once\.\n$/, 2],
    ['duplicate flag, short and long', () => ['render', '-o', out(), '--output', out()], /^tfjs-optvis: -o\/--output was given twice \(-o ".*" and --output ".*"\); give it once\.\n$/, 2],
    ['duplicate switch', () => ['render', '--alpha', '--alpha', '-o', out()], /^tfjs-optvis: --alpha was given twice/, 2],
    ['--model directory without --input-range', () => ['render', '--model', dir, '--layer', 'x', '--channel', '0', '-o', out()],
      /^tfjs-optvis: --input-range is required with --model ".*": the pixel range the model was trained on \(e\.g\. 0,1 or -1,1 or 0,255\) is not stored in its files, and a wrong range silently gives meaningless images\.\n$/, 2],
    ['embedded model name, too small for it', () => ['render', '--model', 'inception-v3', '--size', '32', '-o', out()],
      /^tfjs-optvis: --size must be at least 75 for the embedded model inception-v3 .* but got 32\.\n$/, 2],
    ['embedded model name with --input-range', () => ['render', '--model', 'mobilenet-v2', '--input-range', '0,1', '-o', out()],
      /^tfjs-optvis: --input-range applies to model directories; the embedded model mobilenet-v2 has its own \(0,1\)\.\n$/, 2],
    ['misspelt embedded model name', () => ['render', '--model', 'inception_v3', '-o', out()], /does not exist\. Did you mean inception-v3\?\n$/, 2],
    ['flag without its value', () => ['render', '-o', out(), '--steps'], /^tfjs-optvis: --steps needs a value, but it is the last argument\.\n$/, 2],
    ['flag of another command', () => ['layers', '--size', '3'], /^tfjs-optvis: --size does not apply to "tfjs-optvis layers"/, 2],
    ['--threads 0', () => ['render', '--threads', '0', '-o', out()], /^tfjs-optvis: --threads must be a positive integer, but got "0"\.\n$/, 2],
    ['--threads not an integer', () => ['render', '--threads', '1.5', '-o', out()], /^tfjs-optvis: --threads must be a positive integer, but got "1\.5"\.\n$/, 2],
    ['--threads too large', () => ['render', '--threads', '9', '-o', out()], /^tfjs-optvis: --threads must be at most 8 \(tfjs's threaded wasm binary has a pool of 8 workers\), but got 9\.\n$/, 2],
    ['--threads with --backend cpu', () => ['render', '--threads=2', '--backend', 'cpu', '-o', out()],
      /^tfjs-optvis: --threads applies to the wasm backend \(cpu runs on one thread\), but got --threads "2" with --backend cpu\.\n$/, 2],
    ['--threads with gallery (it has --workers)', () => ['gallery', '--layer', 'block_6_expand_relu', '--workers', '2', '--threads', '2', '-o', join(dir, 'gallery-threads')],
      /^tfjs-optvis: --threads applies to "tfjs-optvis render"; a gallery runs wasm on one thread per worker and spreads the channels over --workers <n> \(default: one per core\), but got --threads "2"\.\n$/, 2],
    ['--threads with layers', () => ['layers', '--threads', '2'], /^tfjs-optvis: --threads does not apply to "tfjs-optvis layers"/, 2],
    ['unknown --cut-at layer', () => ['render', '--cut-at', 'block_3_add', '--backend', 'cpu', '-o', out()],
      /^tfjs-optvis: for the embedded model mobilenet-v2, --cut-at must name a layer of the model, but got "block_3_add"\. Did you mean .*'block_2_add'.*\?\n$/, 2],
  ];
  it.each(cases)('%s', async (_name, args, message, code) => {
    const before = new Set(readdirSync(dir));
    const r = await inProcess(args());
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    // Messages name what the user typed, never the library's internals.
    expect(r.stderr).not.toMatch(/Error in |VisModel|fileHandler|options\.|inputRange|cutAt/);
    expect(r.code).toBe(code);
    expect(readdirSync(dir).filter((f) => !before.has(f) && f.endsWith('.png'))).toEqual([]);
    noPartialFiles();
  });
});

describe('argument parsing and progress formatting', () => {
  it('applies the documented defaults', () => {
    expect(parseCommand(['render', '-o', 'a.png'])).toMatchObject({ command: 'render', size: 128, steps: 512, seed: 0, backend: 'wasm', alpha: false, strict: true });
    expect(parseCommand(['render', '--model', 'm', '--layer', 'l', '--channel', '3', '--input-range', '-1,1', '--no-strict', '-o', 'a.png'])).toMatchObject({
      model: 'm', layer: 'l', channel: 3, inputRange: [-1, 1], strict: false,
    });
    expect(parseCommand([])).toEqual({ command: 'help', topic: undefined });
    expect(() => parseCommand(['render', '--layer', 'x', '-o', 'a.png'])).toThrow(/--layer and --channel go together, but only --layer was given/);
    expect(parseCommand(['render', '--model', 'm', '-o', 'a.png'])).toMatchObject({ model: 'm', layer: undefined }); // checked once the model is known
    expect(parseCommand(['render', '-o', '-', '-qv'])).toEqual({ command: 'version' });
    expect(parseCommand(['render', '--input-range=-1,1', '--model', 'm', '-o=-'])).toMatchObject({ inputRange: [-1, 1], output: '-', format: 'png' });
    expect(parseCommand(['render', '-o', 'a.JPEG'])).toMatchObject({ format: 'jpeg' });
    expect(parseCommand(['render', '-o', 'a.png'])).toMatchObject({ threads: 1 });
    expect(parseCommand(['render', '--threads', '2', '-o', 'a.png'])).toMatchObject({ threads: 2, backend: 'wasm' });
    expect(parseCommand(['render', '--threads=8', '-o', 'a.png'])).toMatchObject({ threads: 8 });
    expect(parseCommand(['render', '--threads', '1', '--backend', 'cpu', '-o', 'a.png'])).toMatchObject({ threads: 1, backend: 'cpu' });
    expect(() => parseCommand(['render'])).toThrow(/-o\/--output must name the image file to write \(or "-" for stdout\), but it is missing/);
  });
  it('formats progress lines', () => {
    expect(progressLine(5, 10, 1.23456, 2.5, 2, 10)).toBe('[=====>    ]  5/10  loss 1.235  2.5 steps/s  ETA 0:02');
    expect(progressLine(10, 10, -4, 3, 0, 4)).toBe('[====] 10/10  loss -4.000  3.0 steps/s  ETA 0:00');
    expect(formatDuration(3725)).toBe('1:02:05');
    expect(formatDuration(Infinity)).toBe('--:--');
  });
});

describe('--threads (wasm threads in Node, opt-in)', () => {
  it('renders on 2 threads the image 1 thread renders (up to float32 summation order) and says so', async () => {
    const args = (n: string, file: string) => ['render', '--size', '48', '--steps', '4', '--seed', '3', '--threads', n, '-o', join(dir, file)];
    // 2 threads in a fresh process (the threaded binary must be chosen before wasm starts); 1 thread
    // here, on tfjs's own convolutions too (--no-native; 2 threads turn the native ones off).
    const twoRun = cli(args('2', 'threads2.png'));
    const one = await inProcess([...args('1', 'threads1.png'), '--no-native']);
    const two = await twoRun;
    expect(one.code, one.stderr).toBe(0);
    expect(two.code, two.stderr).toBe(0);
    expect(one.stderr).toMatch(/^rendering block_13_expand_relu:100 on mobilenet-v2, 48px, 4 steps, wasm, 1 thread\n/);
    // Threads actually used: 2, or 1 with the reason where the threaded binary cannot start.
    expect(two.stderr).toMatch(/^rendering block_13_expand_relu:100 on mobilenet-v2, 48px, 4 steps, wasm, (2 threads|1 thread \(--threads 2 fell back: .+\))\n/);
    expect(two.stderr).toMatch(/, wasm, 2 threads\n/); // this machine runs it (Node 20, SharedArrayBuffer)
    const a = fromPng(readFileSync(join(dir, 'threads1.png')));
    const b = fromPng(readFileSync(join(dir, 'threads2.png')));
    expect(b.shape).toEqual([48, 48, 3]);
    expect(std(b.data)).toBeGreaterThan(0.02);
    let maxDiff = 0;
    for (let i = 0; i < a.data.length; i++) maxDiff = Math.max(maxDiff, Math.abs(a.data[i] - b.data[i]));
    expect(maxDiff).toBeLessThanOrEqual(2 / 255);
    noPartialFiles();
  });

  it('--help lists --threads with its default and range', async () => {
    const r = await inProcess(['render', '--help']);
    expect(r.stdout).toMatch(/\n {2}--threads <n> +wasm threads, 1\.\.8 \(default 1\)/);
    const g = await inProcess(['gallery', '--help']);
    expect(g.stdout).toMatch(/each worker runs wasm on one thread \(render's --threads does not apply\)/);
  });

  it('the run summary names the threads used and a fallback reason', () => {
    expect(backendText('cpu', 1, { threads: 0 })).toBe('cpu');
    expect(backendText('wasm', 1, { threads: 0 })).toBe('wasm, 1 thread');
    expect(backendText('wasm', 2, { threads: 2 })).toBe('wasm, 2 threads');
    expect(backendText('wasm', 4, { threads: 1, fallbackReason: 'SharedArrayBuffer is not available' })).toBe(
      'wasm, 1 thread (--threads 4 fell back: SharedArrayBuffer is not available)',
    );
    // A fallback of an earlier run in the same process is not this run's (it asked for 1 thread).
    expect(backendText('wasm', 1, { threads: 1, fallbackReason: 'x' })).toBe('wasm, 1 thread');
  });

  it('in a process whose wasm backend already runs on 1 thread, --threads 2 fails with one line, no file', async () => {
    expect(await tf.setBackend('wasm')).toBe(true);
    const out = join(dir, 'late-threads.png');
    const r = await inProcess(['render', '--size', '48', '--steps', '1', '--threads', '2', '-o', out]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('tfjs-optvis: --threads 2 must be chosen before the wasm backend starts, but this process already runs it on 1 thread(s).\n');
    expect(existsSync(out)).toBe(false);
  });
});

describe('--native / --no-native (the native convolutions, by default when built)', () => {
  it('parses to auto by default, on, off; off with --threads > 1 or --backend cpu; refuses contradictions', () => {
    expect(parseCommand(['render', '-o', 'a.png'])).toMatchObject({ native: 'auto' });
    expect(parseCommand(['render', '--native', '-o', 'a.png'])).toMatchObject({ native: 'on' });
    expect(parseCommand(['render', '--no-native', '-o', 'a.png'])).toMatchObject({ native: 'off' });
    expect(parseCommand(['render', '--threads', '2', '-o', 'a.png'])).toMatchObject({ native: 'off', threads: 2 });
    expect(parseCommand(['render', '--backend', 'cpu', '-o', 'a.png'])).toMatchObject({ native: 'off' });
    expect(() => parseCommand(['render', '--native', '--no-native', '-o', 'a.png'])).toThrow(/^--native and --no-native contradict each other; give one\.$/);
    expect(() => parseCommand(['render', '--native', '--backend', 'cpu', '-o', 'a.png'])).toThrow(/^--native applies to the wasm backend, but got --backend cpu\.$/);
    expect(() => parseCommand(['render', '--native', '--threads', '2', '-o', 'a.png'])).toThrow(/^--native brings its own threads and runs wasm on one; drop --threads "2" or --native\.$/);
    expect(parseCommand(['gallery', '--layer', 'block_6_expand_relu', '--native', '-o', 'g'])).toMatchObject({ backend: 'wasm-native' });
    expect(parseCommand(['gallery', '--layer', 'block_6_expand_relu', '-o', 'g'])).toMatchObject({ backend: 'wasm' }); // opt-in: galleries resume with their settings
    expect(() => parseCommand(['gallery', '--layer', 'block_6_expand_relu', '--native', '--backend', 'cpu', '-o', 'g'])).toThrow(/^--native applies to the wasm backend, but got --backend cpu\.$/);
  });

  it('renders with the native convolutions by default and says so; --no-native renders the same image on tfjs\'s own', async () => {
    // Two steps: one Adam update. Adam moves every coefficient by about ±lr whatever the size of its
    // gradient, so float32 rounding differences flip some near-zero ones, and later steps amplify
    // that (measured: ≤ 2.4/255 after one update, 10/255 after three; the first loss agrees to 5
    // digits). The gradients themselves are compared with cpu's in tests/backends/nativeKernels.test.ts.
    const args = (file: string) => ['render', '--size', '48', '--steps', '2', '--seed', '3', '-o', join(dir, file)];
    expect(await tf.setBackend('wasm')).toBe(true);
    const before = tf.memory().numTensors;
    const byDefault = await inProcess(args('native-default.png'));
    const off = await inProcess([...args('native-off.png'), '--no-native']);
    expect(byDefault.code, byDefault.stderr).toBe(0);
    expect(off.code, off.stderr).toBe(0);
    expect(tf.memory().numTensors).toBe(before);
    expect(byDefault.stderr).toMatch(/^rendering block_13_expand_relu:100 on mobilenet-v2, 48px, 2 steps, wasm, 1 thread \+ native convolutions on \d+ threads?\n/);
    expect(off.stderr).toMatch(/^rendering block_13_expand_relu:100 on mobilenet-v2, 48px, 2 steps, wasm, 1 thread\n/);
    const { nativeKernelsState } = await import('../../src/backends/nativeKernels');
    expect(nativeKernelsState().active, 'runCli gives the kernels back').toBe(false);
    const a = fromPng(readFileSync(join(dir, 'native-default.png')));
    const b = fromPng(readFileSync(join(dir, 'native-off.png')));
    expect(std(a.data)).toBeGreaterThan(0.02);
    let maxDiff = 0;
    for (let i = 0; i < a.data.length; i++) maxDiff = Math.max(maxDiff, Math.abs(a.data[i] - b.data[i]));
    expect(maxDiff).toBeLessThanOrEqual(4 / 255);
    noPartialFiles();
  });

  it('--help documents --native and --no-native', async () => {
    const r = await inProcess(['render', '--help']);
    expect(r.stdout).toMatch(/\n {2}--native, --no-native +wasm with the native convolutions/);
  });
});

describe('Ctrl-C and exit codes', () => {
  it('SIGINT aborts the render: one line "interrupted at step N; nothing written", exit 130, no file', async () => {
    const out = join(dir, 'interrupted.png');
    const child = spawn(process.execPath, [BIN, 'render', '--size', '32', '--steps', '100000', '--backend', 'cpu', '-o', out], {
      cwd: dir,
      env: { ...process.env, TFJS_OPTVIS_DEBUG: '' },
    });
    let stderr = '';
    let sent = false;
    const killer = setTimeout(() => child.kill('SIGKILL'), 90_000); // never outlive the test
    const code = await new Promise<number | null>((done) => {
      child.stderr.on('data', (d) => {
        stderr += d;
        // Interrupt once the render is under way (a progress line is out).
        if (!sent && /\] +\d+\/100000/.test(stderr)) {
          sent = true;
          child.kill('SIGINT');
        }
      });
      child.on('close', (c) => done(c));
    });
    clearTimeout(killer);
    expect(sent).toBe(true);
    expect(code).toBe(130);
    expect(stderr).toMatch(/\ntfjs-optvis: interrupted at step \d+; nothing written\n$/);
    expect(stderr.match(/interrupted/g)).toHaveLength(1);
    expect(existsSync(out)).toBe(false);
    noPartialFiles();
  });

  it('on a terminal, the progress line is ended with a newline before the interrupt message', async () => {
    const controller = new AbortController();
    let stderr = '';
    const out = join(dir, 'tty-interrupted.png');
    const code = await runCli(['render', '--size', '32', '--steps', '1000', '--backend', 'cpu', '-o', out], {
      stdout: { write: () => true },
      stderr: {
        isTTY: true,
        write: (s: string) => {
          stderr += s;
          if (s.startsWith('\r[')) controller.abort(); // a redrawn progress line: "press Ctrl-C"
          return true;
        },
      },
      signal: controller.signal,
    });
    expect(code).toBe(130);
    expect(stderr).toMatch(/\r\[[=> ]+\] +\d+\/1000 .*\x1b\[K\ntfjs-optvis: interrupted at step \d+; nothing written\n$/);
    expect(existsSync(out)).toBe(false);
  });

  it('an abort before the render starts writes nothing and exits 130', async () => {
    const controller = new AbortController();
    controller.abort();
    let stderr = '';
    const code = await runCli(['render', '--size', '32', '--backend', 'cpu', '-o', join(dir, 'never.png')], {
      stdout: { write: () => true },
      stderr: { write: (s: string) => (stderr += s) },
      signal: controller.signal,
    });
    expect(code).toBe(130);
    expect(stderr).toBe('tfjs-optvis: interrupted at step 0; nothing written\n');
  });

  it('--help documents the exit codes 0, 1, 2 and 130', async () => {
    const r = await inProcess(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Exit codes: 0 done; 1 the work failed .*\n2 the command line is wrong .*\n.*130 interrupted by Ctrl-C \(nothing written\)\./);
  });
});

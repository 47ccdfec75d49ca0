/**
 * A seeded, time-bounded fuzzer over the Node model loader (issue 11): model folders built from
 * the two fixture models (a LayersModel in several shards and a GraphModel) with mutated weights
 * manifests, topologies, shard files, model.json text and options, loaded with `loadModel`
 * (cases and loop in ./loaderFuzzRun.ts).
 *
 * For every case: the model loads (and is disposed), or the loader throws an `OptvisError` of the
 * project's form (`Error in loadModel|fileHandler: … must …, but …`) whose own words are no raw
 * JavaScript error; no tensor is left; `Layer.prototype.addWeight` is restored. Over the whole run
 * the peak resident memory (VmHWM) grows by less than {@link PEAK_RSS_GROWTH} (the old loader
 * reached 542 MB on a 591-byte model.json, 10 GB on one edited layer).
 *
 * The fuzzer runs in a child process with a hard timeout, so a hang (tfjs-layers loops forever on
 * some wirings) fails this test naming the case instead of stalling the suite. Case i is seeded
 * with `SEED + i`; OPTVIS_FUZZ_SEED and OPTVIS_FUZZ_MS explore further. All files live in a
 * temporary folder; the only device is a symbolic link to /dev/zero that the loader never opens.
 */
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { FuzzReport } from './loaderFuzzRun';

const SEED = Number(process.env.OPTVIS_FUZZ_SEED ?? 20261129);
const BUDGET_MS = Number(process.env.OPTVIS_FUZZ_MS ?? 12_000);
/** Bound on the growth of the fuzz process's peak resident memory over the run (after warm-up). */
const PEAK_RSS_GROWTH = 256 * 2 ** 20;
/** Start-up (tsx, tfjs) plus the budget plus one slow case; beyond this the child is hung. */
const HARD_TIMEOUT_MS = BUDGET_MS + 45_000;

function runChild(): Promise<{ report: FuzzReport | null; lastCase: string; output: string; timedOut: boolean }> {
  return new Promise((done) => {
    const root = resolve(__dirname, '../..');
    const child = spawn(process.execPath, ['--import', 'tsx', resolve(__dirname, 'loaderFuzzRun.ts')], {
      cwd: root,
      env: { ...process.env, OPTVIS_FUZZ_SEED: String(SEED), OPTVIS_FUZZ_MS: String(BUDGET_MS) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    let timedOut = false;
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, HARD_TIMEOUT_MS);
    child.on('close', () => {
      clearTimeout(timer);
      const lines = out.split('\n');
      const reportLine = lines.find((l) => l.startsWith('REPORT '));
      const lastCase = [...lines].reverse().find((l) => l.startsWith('CASE ')) ?? '(none)';
      done({
        report: reportLine ? (JSON.parse(reportLine.slice('REPORT '.length)) as FuzzReport) : null,
        lastCase,
        output: lines.filter((l) => !l.startsWith('CASE ')).join('\n') + err.split('\n').filter((l) => !/Hi, looks like|tfjs-node|^=+$|^\s*$/.test(l)).join('\n'),
        timedOut,
      });
    });
  });
}

describe('loader fuzzer', () => {
  it(`seed ${SEED}, ${BUDGET_MS / 1000} s: every mutated model loads or fails with a clear OptvisError, leaving no tensor, peak RSS growth < ${PEAK_RSS_GROWTH / 2 ** 20} MB`, async () => {
    const { report, lastCase, output, timedOut } = await runChild();
    expect(timedOut, `the fuzzer hung (killed after ${HARD_TIMEOUT_MS} ms) in ${lastCase}`).toBe(false);
    expect(report, `the fuzz child reported nothing:\n${output.slice(-3000)}`).not.toBeNull();
    const r = report as FuzzReport;
    const growth = r.peakBefore !== null && r.peakAfter !== null ? r.peakAfter - r.peakBefore : null;
    const top = Object.entries(r.kinds)
      .sort((a, b) => b[1] - a[1])
      .slice(0, 8)
      .map(([k, n]) => `  ${n}× ${k}`)
      .join('\n');
    console.log(
      `[loaderFuzz] seed ${r.seed}: ${r.cases} cases in ${r.elapsedMs} ms, ${r.loaded} loaded, ${r.refused} refused (${Object.keys(r.kinds).length} message shapes); ` +
        `peak RSS ${r.peakAfter === null ? 'n/a' : `${(r.peakAfter / 2 ** 20).toFixed(0)} MB`}, growth ${growth === null ? 'n/a (no /proc)' : `${(growth / 2 ** 20).toFixed(1)} MB`}\n${top}`,
    );
    expect(r.failures, r.failures.join('\n')).toEqual([]);
    expect(r.cases).toBeGreaterThan(50);
    expect(r.refused).toBeGreaterThan(0);
    expect(r.loaded).toBeGreaterThan(0);
    if (growth !== null) expect(growth, 'peak RSS growth over the fuzz run').toBeLessThan(PEAK_RSS_GROWTH);
  });
});

import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { TestModule } from 'vitest/node';
import SkipSummaryReporter from './skipReporter';
import { recordSkip, SKIP_LOG_ENV } from './skips';

/** A stand-in for vitest's TestModule with the given test states. */
function fakeModule(file: string, tests: { state: 'passed' | 'skipped'; note?: string }[]): TestModule {
  return {
    moduleId: path.join(process.cwd(), file),
    children: { allTests: () => tests.map((t) => ({ result: () => t }))[Symbol.iterator]() },
  } as unknown as TestModule;
}

describe('skip summary reporter', () => {
  const saved = process.env[SKIP_LOG_ENV];
  afterEach(() => {
    vi.restoreAllMocks();
    if (saved === undefined) delete process.env[SKIP_LOG_ENV];
    else process.env[SKIP_LOG_ENV] = saved;
  });

  function runReporter(record: () => void, modules: TestModule[]): string {
    const reporter = new SkipSummaryReporter();
    reporter.onInit();
    record();
    let out = '';
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      out += String(chunk);
      return true;
    });
    reporter.onTestRunEnd(modules);
    vi.restoreAllMocks();
    return out;
  }

  it('prints one line per recorded group with its reasons, and unexplained skipped tests per file', () => {
    const out = runReporter(
      () => {
        recordSkip('tests/a.test.ts (Chromium)', '/usr/bin/chromium is absent');
        recordSkip('tests/a.test.ts (Chromium)', '/usr/bin/chromium is absent');
      },
      [
        fakeModule('tests/a.test.ts', [{ state: 'skipped' }, { state: 'skipped' }]),
        fakeModule('tests/b.test.ts', [{ state: 'passed' }, { state: 'skipped', note: 'registry unreachable' }]),
        fakeModule('tests/c.test.ts', [{ state: 'skipped' }]),
        fakeModule('tests/d.test.ts', [{ state: 'passed' }]),
      ],
    );
    const lines = out.trim().split('\n');
    expect(lines).toEqual([
      'skipped: tests/a.test.ts (Chromium) — /usr/bin/chromium is absent',
      'skipped: tests/b.test.ts (1 test) — registry unreachable',
      'skipped: tests/c.test.ts (1 test) — no reason recorded (a skip without recordSkip(), or filtered out by -t)',
    ]);
  });

  it('says so when nothing was skipped', () => {
    const out = runReporter(() => undefined, [fakeModule('tests/d.test.ts', [{ state: 'passed' }])]);
    expect(out.trim()).toBe('skipped: nothing (every test group ran)');
  });
});

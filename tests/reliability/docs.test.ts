import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

describe('API documentation', () => {
  it('documents every public export (scripts/check-docs.ts exits 0)', () => {
    let out = '';
    let code = 0;
    try {
      out = execFileSync(process.execPath, ['--import', 'tsx', 'scripts/check-docs.ts'], {
        cwd: root,
        encoding: 'utf8',
        timeout: 230_000,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
    } catch (e) {
      const err = e as { status?: number; stdout?: string; stderr?: string };
      code = err.status ?? 1;
      out = `${err.stdout ?? ''}${err.stderr ?? ''}`;
    }
    const errors = out.split('\n').filter((l) => l.startsWith('ERROR'));
    // The list of undocumented exports is the message, so a failure says exactly what to fix.
    expect(errors, errors.join('\n')).toEqual([]);
    expect(out).toMatch(/check-docs: 0 undocumented export\(s\)/);
    // TypeDoc's own warnings (broken links, unexported types in public signatures) as `npm run docs` sees them.
    const typedocWarnings = out.split('\n').filter((l) => l.includes('[warning]'));
    expect(typedocWarnings, typedocWarnings.join('\n')).toEqual([]);
    expect(out).toMatch(/, 0 TypeDoc warning\(s\)/);
    expect(code).toBe(0);
  }, 240_000);
});

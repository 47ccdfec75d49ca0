/**
 * Vitest reporter that ends `npm test` with one line per skipped group and why.
 *
 * Reasons come from `recordSkip()` (tests/helpers/skips.ts), which workers append to a log file
 * whose path this reporter puts in the environment before any worker starts. Skipped tests whose
 * file recorded no reason are listed too ("no reason recorded"), so no skip can go unnoticed.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Reporter, TestModule } from 'vitest/node';
import { SKIP_LOG_ENV, type SkipRecord } from './skips';

export default class SkipSummaryReporter implements Reporter {
  private dir: string | undefined;

  onInit(): void {
    this.dir = mkdtempSync(path.join(os.tmpdir(), 'tfjs-optvis-skips-'));
    process.env[SKIP_LOG_ENV] = path.join(this.dir, 'skips.jsonl');
  }

  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    const file = process.env[SKIP_LOG_ENV];
    const records: SkipRecord[] = [];
    if (file) {
      let text = '';
      try {
        text = readFileSync(file, 'utf8');
      } catch {
        // nothing recorded
      }
      for (const line of text.split('\n')) {
        if (!line.trim()) continue;
        try {
          records.push(JSON.parse(line) as SkipRecord);
        } catch {
          // a torn line: ignore
        }
      }
    }
    // Skipped tests per file (with vitest's own note when a test called ctx.skip(note)).
    const skippedByFile = new Map<string, { count: number; notes: Set<string> }>();
    for (const mod of testModules) {
      const rel = path.relative(process.cwd(), mod.moduleId);
      for (const test of mod.children.allTests()) {
        const r = test.result();
        if (r.state !== 'skipped') continue;
        const entry = skippedByFile.get(rel) ?? { count: 0, notes: new Set<string>() };
        entry.count++;
        if (r.note) entry.notes.add(r.note);
        skippedByFile.set(rel, entry);
      }
    }
    const lines: string[] = [];
    const byGroup = new Map<string, Set<string>>();
    for (const { group, reason } of records) {
      const reasons = byGroup.get(group) ?? new Set<string>();
      reasons.add(reason);
      byGroup.set(group, reasons);
    }
    for (const [group, reasons] of byGroup) lines.push(`skipped: ${group} — ${[...reasons].join('; ')}`);
    const explained = (rel: string): boolean => [...byGroup.keys()].some((g) => g.includes(rel));
    for (const [rel, { count, notes }] of skippedByFile) {
      if (explained(rel)) continue;
      const why = notes.size > 0 ? [...notes].join('; ') : 'no reason recorded (a skip without recordSkip(), or filtered out by -t)';
      lines.push(`skipped: ${rel} (${count} test${count === 1 ? '' : 's'}) — ${why}`);
    }
    process.stdout.write(lines.length > 0 ? `\n${lines.join('\n')}\n` : '\nskipped: nothing (every test group ran)\n');
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
  }
}

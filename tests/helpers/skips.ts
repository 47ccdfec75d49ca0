/**
 * One place where tests say why they skip. `recordSkip(group, reason)` appends the reason to a log
 * that the skip-summary reporter (tests/helpers/skipReporter.ts) prints at the very end of
 * `npm test`, one line per group, instead of a warning buried in the middle of the output.
 *
 * Outside vitest's run (no log configured), the reason goes to stderr.
 */
import { appendFileSync } from 'node:fs';

/** Environment variable holding the path of the skip log (set by the reporter in the main process). */
export const SKIP_LOG_ENV = 'TFJS_OPTVIS_SKIP_LOG';

/** One recorded skip. */
export interface SkipRecord {
  /** What is skipped, e.g. `tests/browser (Chromium)`. */
  readonly group: string;
  /** Why, e.g. `/usr/bin/chromium is absent (apt-get install chromium)`. */
  readonly reason: string;
}

/** Records that `group` is skipped because of `reason`. Returns `true` so it can sit in a `skipIf` condition. */
export function recordSkip(group: string, reason: string): true {
  const log = process.env[SKIP_LOG_ENV];
  const line = JSON.stringify({ group, reason } satisfies SkipRecord);
  if (log) {
    try {
      appendFileSync(log, `${line}\n`);
      return true;
    } catch {
      // fall through to stderr
    }
  }
  process.stderr.write(`[skip] ${group}: ${reason}\n`);
  return true;
}

/** `true` when running in CI (`CI` set and not `false`/`0`): there, missing prerequisites fail instead of skipping. */
export const IN_CI = !!process.env.CI && process.env.CI !== 'false' && process.env.CI !== '0';

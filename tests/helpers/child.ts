/**
 * Runs a TypeScript file in a fresh Node process (through tsx, from the project root, resolving the
 * project's node_modules), for tests that must observe a whole process: peak RSS, a loop that never
 * ends, a crash. The child is killed after `timeoutMs`.
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { resolve } from 'node:path';

const ROOT = resolve(__dirname, '..', '..');

export function runTsChild(script: string, timeoutMs = 60_000, args: readonly string[] = []): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, ['--import', 'tsx', script, ...args], {
    cwd: ROOT,
    env: { ...process.env, NODE_PATH: resolve(ROOT, 'node_modules') },
    encoding: 'utf8',
    timeout: timeoutMs,
  });
}

/**
 * Debian's Chromium driven by playwright-core for the end-to-end tests: never a downloaded browser.
 * Install it with `apt-get install -y chromium` (`.ci/run` does this before `npm test`).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

/** Where Debian installs Chromium (`OPTVIS_CHROMIUM` overrides it, e.g. to check the missing-browser path). */
export const CHROMIUM_PATH = process.env.OPTVIS_CHROMIUM ?? '/usr/bin/chromium';

/** Flags: headless, no sandbox (root in CI), WebGL through SwiftShader, and no network of its own. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--use-angle=swiftshader',
  '--enable-unsafe-swiftshader',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
] as const;

/** True when running in CI (`CI` set to anything but `false`/`0`/empty). */
export const IN_CI = !!process.env.CI && process.env.CI !== 'false' && process.env.CI !== '0';

/** Whether Chromium is installed where we expect it. */
export const HAS_CHROMIUM = fs.existsSync(CHROMIUM_PATH);

/** The message shown when Chromium is missing (a failure in CI, a skip elsewhere). */
export const NO_CHROMIUM_MESSAGE =
  `Chromium not found at ${CHROMIUM_PATH}: install Debian's package with ` +
  '`apt-get update && apt-get install -y chromium` (.ci/run does this) to run the browser tests.';

/** A running browser with a fresh profile; `close()` removes the profile. */
export interface Chromium {
  readonly context: BrowserContext;
  close(): Promise<void>;
}

/**
 * Launches Debian's Chromium with a fresh `--user-data-dir` (a temporary folder). `extraArgs` are
 * added to {@link CHROMIUM_ARGS} (e.g. `--enable-unsafe-webgpu` for the WebGPU test only).
 */
export async function launchChromium(extraArgs: readonly string[] = []): Promise<Chromium> {
  if (!HAS_CHROMIUM) throw new Error(NO_CHROMIUM_MESSAGE);
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'optvis-chromium-'));
  try {
    const context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM_PATH,
      headless: true,
      args: [...CHROMIUM_ARGS, ...extraArgs],
      viewport: { width: 1000, height: 860 },
      timeout: 30_000,
    });
    return {
      context,
      close: async () => {
        await context.close();
        fs.rmSync(userDataDir, { recursive: true, force: true });
      },
    };
  } catch (e) {
    fs.rmSync(userDataDir, { recursive: true, force: true });
    throw e;
  }
}

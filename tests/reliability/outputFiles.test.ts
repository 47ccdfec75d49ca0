/**
 * Writing output files like `cp` / shell redirection (issue 11, item 1), in temporary folders only:
 * new and existing regular files (mode kept, atomic, exclusive unpredictable temp file), symlinks
 * (target replaced, link kept), FIFOs (written into, never replaced: read by a child `cat`),
 * directories and trailing slashes (refused), and the CLI's `-o -` (stdout) and `-o out.jpg` (JPEG).
 */
import { spawn, spawnSync } from 'node:child_process';
import * as fsSync from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import jpeg from 'jpeg-js';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { fromPng } from '../../src/io/index';
import { writePng } from '../../src/io/node/files';
import { runCli } from '../../src/cli/run';

const { mkdtempSync, rmSync, writeFileSync, readFileSync, statSync, lstatSync, symlinkSync, chmodSync, linkSync, readdirSync, existsSync, mkdirSync } = fsSync;

const root = mkdtempSync(join(tmpdir(), 'optvis-out-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const fresh = (): string => {
  const d = join(root, `case-${n++}`);
  mkdirSync(d);
  return d;
};

const IMG = { shape: [3, 2, 3], data: new Float32Array(18).map((_, i) => i / 17) };
const isPng = (b: Uint8Array): boolean => b[0] === 137 && b[1] === 80 && b[2] === 78 && b[3] === 71;
const tmpLeft = (dir: string): string[] => readdirSync(dir).filter((f) => f.endsWith('.tmp'));

/** The process umask, read without changing it for long (expected mode of new files: 0666 & ~umask). */
function currentUmask(): number {
  const m = process.umask(0o022);
  process.umask(m);
  return m;
}

describe('writePng writes like cp / shell redirection', () => {
  it('creates a new file with mode 0666 & ~umask and leaves no temporary file', async () => {
    const d = fresh();
    const f = join(d, 'new.png');
    await writePng(f, IMG);
    expect(isPng(readFileSync(f))).toBe(true);
    expect(fromPng(readFileSync(f)).shape).toEqual([3, 2, 3]);
    expect(statSync(f).mode & 0o777).toBe(0o666 & ~currentUmask());
    expect(tmpLeft(d)).toEqual([]);
  });

  it.each([0o600, 0o640, 0o755])('keeps the mode %s of an existing file', async (mode) => {
    const d = fresh();
    const f = join(d, 'old.png');
    writeFileSync(f, 'old contents');
    chmodSync(f, mode);
    await writePng(f, IMG);
    expect(statSync(f).mode & 0o7777).toBe(mode);
    expect(isPng(readFileSync(f))).toBe(true);
    expect(tmpLeft(d)).toEqual([]);
  });

  it('replaces the file atomically (a new inode): a hard link keeps the old contents, as documented', async () => {
    const d = fresh();
    const f = join(d, 'a.png');
    writeFileSync(f, 'old');
    linkSync(f, join(d, 'hardlink'));
    const before = statSync(f).ino;
    await writePng(f, IMG);
    expect(statSync(f).ino).not.toBe(before);
    expect(readFileSync(join(d, 'hardlink'), 'utf8')).toBe('old');
  });

  it.runIf(process.getuid?.() === 0)('keeps the owner of an existing file (running as root)', async () => {
    const d = fresh();
    const f = join(d, 'owned.png');
    writeFileSync(f, 'old');
    fsSync.chownSync(f, 12345, 23456);
    await writePng(f, IMG);
    const st = statSync(f);
    expect([st.uid, st.gid]).toEqual([12345, 23456]);
  });

  it("follows a symlink: the target is replaced, the link stays a link", async () => {
    const d = fresh();
    mkdirSync(join(d, 'real'));
    const target = join(d, 'real', 'target.png');
    writeFileSync(target, 'old');
    chmodSync(target, 0o600);
    const link = join(d, 'link.png');
    symlinkSync(target, link);
    await writePng(link, IMG);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(isPng(readFileSync(target))).toBe(true);
    expect(statSync(target).mode & 0o777).toBe(0o600);
    expect(tmpLeft(d)).toEqual([]);
    expect(tmpLeft(join(d, 'real'))).toEqual([]);
  });

  it('follows a dangling symlink and creates its target (as `>` does)', async () => {
    const d = fresh();
    const link = join(d, 'dangling.png');
    symlinkSync('made.png', link);
    await writePng(link, IMG);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(isPng(readFileSync(join(d, 'made.png')))).toBe(true);
  });

  it('writes into a FIFO (read by a child cat) and leaves it a FIFO', async () => {
    const d = fresh();
    const fifo = join(d, 'pipe');
    const mk = spawnSync('mkfifo', [fifo]);
    expect(mk.status, String(mk.stderr)).toBe(0);
    const cat = spawn('cat', [fifo]);
    const chunks: Buffer[] = [];
    cat.stdout.on('data', (c: Buffer) => chunks.push(c));
    const closed = new Promise<number | null>((done) => cat.on('close', done));
    const timer = setTimeout(() => cat.kill(), 20_000);
    try {
      await writePng(fifo, IMG);
      expect(await closed).toBe(0);
    } finally {
      clearTimeout(timer);
    }
    const got = Buffer.concat(chunks);
    expect(isPng(got)).toBe(true);
    expect(fromPng(got).shape).toEqual([3, 2, 3]);
    expect(lstatSync(fifo).isFIFO()).toBe(true);
    expect(readdirSync(d)).toEqual(['pipe']);
  });

  it('creates the temporary file exclusively (wx), mode 0600, with an unpredictable name', async () => {
    const d = fresh();
    const f = join(d, 'x.png');
    const spy = vi.spyOn(fsSync.promises, 'open');
    try {
      await writePng(f, IMG);
      await writePng(f, IMG);
      const calls = spy.mock.calls.filter((c) => String(c[0]).endsWith('.tmp'));
      expect(calls).toHaveLength(2);
      for (const c of calls) {
        expect(c[1]).toBe('wx');
        expect(c[2]).toBe(0o600);
        expect(String(c[0])).toMatch(/\/\.x\.png\.[0-9a-f]{24}\.tmp$/);
      }
      expect(calls[0][0]).not.toBe(calls[1][0]);
    } finally {
      spy.mockRestore();
    }
  });

  it('never follows a symlink planted under a predictable temporary name', async () => {
    const d = fresh();
    const victim = join(d, 'victim.txt');
    writeFileSync(victim, 'precious');
    const f = join(d, 'out.png');
    // The old writer named its temporary file `.<name>.<pid>.<Date.now()>.tmp`: freeze the clock
    // and plant a symlink to the victim under that name.
    const now = vi.spyOn(Date, 'now').mockReturnValue(1_700_000_000_000);
    try {
      symlinkSync(victim, join(d, `.out.png.${process.pid}.1700000000000.tmp`));
      await writePng(f, IMG);
    } finally {
      now.mockRestore();
    }
    expect(readFileSync(victim, 'utf8')).toBe('precious');
    expect(isPng(readFileSync(f))).toBe(true);
    expect(lstatSync(f).isFile()).toBe(true);
  });

  it('refuses a directory and a path ending with a slash, writing nothing', async () => {
    const d = fresh();
    await expect(writePng(d, IMG)).rejects.toThrow(/^Error in writePng: file must name a file, but ".*" is a directory\.$/);
    await expect(writePng(`${join(d, 'sub')}/`, IMG)).rejects.toThrow(/^Error in writePng: file must name a file, but got ".*sub\/" \(a path ending with "\/" or "\." names a directory\)\.$/);
    expect(readdirSync(d)).toEqual([]);
  });
});

/** Runs the CLI in this process with captured streams (stdout keeps bytes). */
async function inProcess(args: string[], stdoutTTY = false): Promise<{ code: number; stdout: Buffer; stderr: string }> {
  const out: Buffer[] = [];
  let stderr = '';
  const code = await runCli(args, {
    stdout: { write: (s: string | Uint8Array) => out.push(Buffer.from(s)), isTTY: stdoutTTY },
    stderr: { write: (s: string) => (stderr += s) },
  });
  return { code, stdout: Buffer.concat(out), stderr };
}

describe('tfjs-optvis render -o', () => {
  it('refuses -o dir/ and an existing directory before the render starts', async () => {
    const d = fresh();
    for (const o of [`${join(d, 'newdir')}/`, d]) {
      const t0 = Date.now();
      const r = await inProcess(['render', '--size', '32', '--steps', '2', '-o', o]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/^tfjs-optvis: -o\/--output must name a file, but .*\n$/);
      expect(r.stderr).not.toMatch(/rendering/); // refused before the model is loaded
      expect(Date.now() - t0).toBeLessThan(2000);
    }
    expect(readdirSync(d)).toEqual([]);
  });

  it('-o - writes the PNG to stdout, progress and messages to stderr', async () => {
    const r = await inProcess(['render', '--size', '32', '--steps', '2', '--backend', 'cpu', '-o', '-']);
    expect(r.code, r.stderr).toBe(0);
    expect(isPng(r.stdout)).toBe(true);
    expect(fromPng(r.stdout).shape).toEqual([32, 32, 3]);
    expect(r.stderr).toMatch(/rendering .*\n[\s\S]*2\/2[\s\S]*wrote \d+ bytes of PNG to stdout\n$/);
  });

  it('-o - refuses a terminal stdout', async () => {
    const r = await inProcess(['render', '-o', '-'], true);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^tfjs-optvis: -o - writes PNG bytes to stdout, but stdout is a terminal/);
  });

  it('-o out.jpg writes a JPEG; --alpha with .jpg and other image types are refused', async () => {
    const d = fresh();
    const f = join(d, 'out.jpg');
    const r = await inProcess(['render', '--size', '32', '--steps', '2', '--backend', 'cpu', '-q', '-o', f]);
    expect(r.code, r.stderr).toBe(0);
    const bytes = readFileSync(f);
    expect([bytes[0], bytes[1]]).toEqual([0xff, 0xd8]);
    const img = jpeg.decode(bytes, { useTArray: true });
    expect([img.width, img.height]).toEqual([32, 32]);
    const alpha = await inProcess(['render', '--alpha', '-o', join(d, 'a.jpg')]);
    expect(alpha.code).toBe(2);
    expect(alpha.stderr).toMatch(/--alpha needs a PNG output \(JPEG has no alpha channel\)/);
    const gif = await inProcess(['render', '-o', join(d, 'a.gif')]);
    expect(gif.code).toBe(2);
    expect(gif.stderr).toMatch(/-o\/--output must end with \.png, \.jpg or \.jpeg/);
    expect(readdirSync(d)).toEqual(['out.jpg']);
    expect(existsSync(join(d, 'a.jpg'))).toBe(false);
  });
});

/**
 * The gallery directory's housekeeping: temporary files left by a killed writer are removed by the
 * next rebuild, and those of live writers (this process, a fresh file of another host) are kept.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { GalleryStore, removeStaleTemps, writeAtomic } from '../../src/gallery/node/store';

const host = createHash('sha256').update(os.hostname()).digest('hex').slice(0, 8);
const otherHost = host === '00000000' ? '11111111' : '00000000';
/** The pid of a process that has exited (and been reaped). */
const deadPid = (): number => {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(r.stdout);
};

let dir = '';
afterEach(async () => {
  if (dir) await fs.rm(dir, { recursive: true, force: true });
});

describe('gallery store: temporary files of killed writers', () => {
  it('writeAtomic leaves no temporary file and names them <pid>@<host>', async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'optvis-store-'));
    await writeAtomic(path.join(dir, 'a.txt'), 'x');
    expect(await fs.readdir(dir)).toEqual(['a.txt']);
    // the name pattern removeStaleTemps relies on: a dead pid of this host is recognised
    await fs.writeFile(path.join(dir, `.a.txt.${deadPid()}@${host}.0123456789ab.tmp`), 'partial');
    expect(await removeStaleTemps(dir)).toHaveLength(1);
    expect(await fs.readdir(dir)).toEqual(['a.txt']);
  });

  it('rebuild removes stale temporaries in the gallery and channels/, keeps live ones and other files', async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'optvis-store-'));
    const store = new GalleryStore(dir);
    await store.create();
    await store.init({ model: 'm', layer: 'l', depth: 4, options: { size: 16, steps: 1, seed: 0, alpha: false, backend: 'cpu', inputRange: null } });
    const dead = deadPid();
    const stale = [
      path.join(dir, `.index.html.${dead}@${host}.aaaaaaaaaaaa.tmp`),
      path.join(store.channelsDir, `.0003.png.${dead}@${host}.bbbbbbbbbbbb.tmp`),
      path.join(store.channelsDir, `.0004.json.${process.pid + 1_000_000}@${otherHost}.cccccccccccc.tmp`), // another host, old
    ];
    const live = [
      path.join(store.channelsDir, `.0005.png.${process.pid}@${host}.dddddddddddd.tmp`), // this process: in flight
      path.join(store.channelsDir, `.0006.png.${dead}@${otherHost}.eeeeeeeeeeee.tmp`), // another host, fresh
      path.join(store.channelsDir, `.0007.png.tmp`), // not ours
    ];
    for (const f of [...stale, ...live]) await fs.writeFile(f, 'partial');
    const old = new Date(Date.now() - 2 * 60 * 60_000);
    await fs.utimes(stale[2], old, old);
    await store.rebuild();
    for (const f of stale) await expect(fs.stat(f)).rejects.toThrow(/ENOENT/);
    for (const f of live) expect((await fs.stat(f)).isFile()).toBe(true);
    expect((await fs.stat(path.join(dir, 'manifest.json'))).isFile()).toBe(true);
    expect((await fs.stat(path.join(dir, 'index.html'))).isFile()).toBe(true);
  });
});

/**
 * A gallery directory on disk, safe for several processes at once (shards on one machine or on a
 * shared file system):
 *
 * - `channels/NNNN.png` and `channels/NNNN.json` (the channel's record), each written to a temporary
 *   file and renamed, the record after the PNG: a channel is finished iff its record exists;
 * - `manifest.json`, `index.html`, `contact-sheet.png`: derived from the records, rewritten (also
 *   atomically) only while holding `.lock`, a file created with O_EXCL. A process writes its
 *   records before taking the lock, so whoever takes the lock last sees every record.
 *
 * @internal
 */
import { createHash, randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fail, show } from '../../errors';
import { fromPng, toPng } from '../../io/png';
import type { ChannelRecord, GalleryManifest, GalleryRenderOptions } from '../manifest';
import { contactSheet, galleryHtml } from '../page';

const FN = 'buildGallery';

/** What identifies a gallery: a rerun into the same directory must match it. */
export interface GalleryIdentity {
  readonly model: string;
  readonly layer: string;
  readonly depth: number;
  readonly options: GalleryRenderOptions;
}

/** `0007` for channel 7 (at least 4 digits). */
export function channelName(channel: number): string {
  return String(channel).padStart(4, '0');
}

/** This host, as 8 hex digits (host names may hold dots and other characters unfit for a file name). */
const HOST = createHash('sha256').update(os.hostname()).digest('hex').slice(0, 8);

/** `.<name>.<pid>@<host>.<12 hex>.tmp`: the temporary files of {@link writeAtomic}. */
const TEMP_NAME = /^\..+\.(\d+)@([0-9a-f]{8})\.[0-9a-f]{12}\.tmp$/;

/** Temporary files older than this are removed whoever wrote them (a write takes milliseconds). */
const TEMP_MAX_AGE_MS = 60 * 60_000;

/** Writes `data` to `file` through a uniquely named temporary file in the same directory and a rename. */
export async function writeAtomic(file: string, data: string | Uint8Array): Promise<void> {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}@${HOST}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await fs.writeFile(tmp, data);
    await fs.rename(tmp, file);
  } catch (e) {
    await fs.rm(tmp, { force: true }).catch(() => undefined);
    const err = e as NodeJS.ErrnoException;
    fail(FN, `the gallery directory must be writable, but writing ${show(file)} failed (${err.code ?? err.message}).`);
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Whether process `pid` of this host is gone. */
function processIsGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return false;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/**
 * Removes the temporary files a killed process left in `dir` (SIGKILL skips every cleanup): those
 * of a process of this host that is gone, and any older than an hour (from another host of a shared
 * file system). Files of live writers are kept. Returns the names removed.
 */
export async function removeStaleTemps(dir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    const m = TEMP_NAME.exec(name);
    if (m === null) continue;
    const file = path.join(dir, name);
    let stale = m[2] === HOST && Number(m[1]) !== process.pid && processIsGone(Number(m[1]));
    if (!stale) {
      const st = await fs.lstat(file).catch(() => null);
      stale = st !== null && st.isFile() && Date.now() - st.mtimeMs > TEMP_MAX_AGE_MS;
    }
    if (stale && (await fs.rm(file, { force: true }).then(() => true, () => false))) removed.push(name);
  }
  return removed;
}

/** The files of one gallery directory. */
export class GalleryStore {
  readonly dir: string;
  readonly channelsDir: string;
  readonly manifestFile: string;
  private readonly lockFile: string;
  /** Serialises this process's own writes of the derived files. */
  private chain: Promise<unknown> = Promise.resolve();

  constructor(dir: string) {
    this.dir = path.resolve(dir);
    this.channelsDir = path.join(this.dir, 'channels');
    this.manifestFile = path.join(this.dir, 'manifest.json');
    this.lockFile = path.join(this.dir, '.lock');
  }

  /** Creates the directory and `channels/` (parents included). */
  async create(): Promise<void> {
    try {
      await fs.mkdir(this.channelsDir, { recursive: true });
    } catch (e) {
      fail(FN, `-o/dir must be a directory that can be created, but got ${show(this.dir)} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}).`);
    }
  }

  /** The manifest, or `null` when the directory has none. */
  async readManifest(): Promise<GalleryManifest | null> {
    let text: string;
    try {
      text = await fs.readFile(this.manifestFile, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw e;
    }
    try {
      const m = JSON.parse(text) as GalleryManifest;
      if (m.format !== 'tfjs-optvis-gallery') throw new Error('not a gallery manifest');
      return m;
    } catch (e) {
      return fail(FN, `${show(this.manifestFile)} must be a gallery manifest, but it is not (${(e as Error).message}).`);
    }
  }

  /** Channels with a record (and so a PNG), ascending. */
  async finishedChannels(): Promise<number[]> {
    let names: string[];
    try {
      names = await fs.readdir(this.channelsDir);
    } catch {
      return [];
    }
    return names
      .filter((n) => /^\d{4,}\.json$/.test(n))
      .map((n) => Number(n.slice(0, -5)))
      .sort((a, b) => a - b);
  }

  /** Every record on disk, ascending (records without their PNG are skipped). */
  async records(): Promise<ChannelRecord[]> {
    const out: ChannelRecord[] = [];
    for (const c of await this.finishedChannels()) {
      const file = path.join(this.channelsDir, `${channelName(c)}.json`);
      try {
        const r = JSON.parse(await fs.readFile(file, 'utf8')) as ChannelRecord;
        await fs.access(path.join(this.dir, r.file));
        out.push(r);
      } catch {
        // A record whose PNG is missing (deleted by hand) does not count: the channel is rendered again.
      }
    }
    return out;
  }

  /** Writes a channel's PNG, then its record (both atomically). */
  async writeChannel(record: ChannelRecord, png: Uint8Array): Promise<void> {
    await writeAtomic(path.join(this.dir, record.file), png);
    await writeAtomic(path.join(this.channelsDir, `${channelName(record.channel)}.json`), `${JSON.stringify(record)}\n`);
  }

  /**
   * Under the lock: creates the manifest for `identity`, or checks that the existing one matches it
   * (a directory holds one gallery: other settings would mix images of different renders).
   */
  async init(identity: GalleryIdentity): Promise<void> {
    await this.locked(async () => {
      const m = await this.readManifest();
      if (m === null) {
        await this.writeManifest({ ...identity, channels: {} });
        return;
      }
      const differences: string[] = [];
      const cmp = (name: string, a: unknown, b: unknown) => {
        if (JSON.stringify(a) !== JSON.stringify(b)) differences.push(`${name} ${JSON.stringify(a)} (asked ${JSON.stringify(b)})`);
      };
      cmp('model', m.model, identity.model);
      cmp('layer', m.layer, identity.layer);
      for (const k of Object.keys(identity.options) as (keyof GalleryRenderOptions)[]) cmp(k, m.options[k], identity.options[k]);
      if (differences.length > 0) {
        fail(
          FN,
          `the directory ${show(this.dir)} must hold a gallery with the same settings to resume it, but it has ${differences.join(', ')}. ` +
            'Use another output directory (or delete this one).',
        );
      }
    });
  }

  /** Under the lock: adds `records` to manifest.json. */
  async addToManifest(records: readonly ChannelRecord[]): Promise<void> {
    await this.locked(async () => {
      const m = await this.readManifest();
      if (m === null) fail(FN, `${show(this.manifestFile)} must exist while the gallery is built, but it was removed.`);
      const channels: Record<string, ChannelRecord> = { ...m.channels };
      for (const r of records) channels[String(r.channel)] = r;
      await this.writeManifest({ ...m, channels });
    });
  }

  /**
   * Under the lock: removes temporary files left by killed processes, rebuilds manifest.json from
   * the records on disk, then `index.html` and `contact-sheet.png` from it. Returns the manifest.
   */
  async rebuild(): Promise<GalleryManifest> {
    return this.locked(async () => {
      for (const d of [this.dir, this.channelsDir]) await removeStaleTemps(d);
      const m = await this.readManifest();
      if (m === null) fail('rebuildGallery', `the directory must hold a gallery (manifest.json), but ${show(this.dir)} has none.`);
      const channels: Record<string, ChannelRecord> = {};
      for (const r of await this.records()) channels[String(r.channel)] = r;
      const manifest: GalleryManifest = { ...m, channels };
      await this.writeManifest(manifest);
      await writeAtomic(path.join(this.dir, 'index.html'), galleryHtml(manifest));
      const list = Object.values(channels);
      if (list.length > 0) {
        const images = await Promise.all(list.map(async (r) => fromPng(await fs.readFile(path.join(this.dir, r.file)))));
        const thumb = Math.min(manifest.options.size, list.length <= 256 ? 128 : 64);
        await writeAtomic(path.join(this.dir, 'contact-sheet.png'), toPng(contactSheet(images, { thumb })));
      } else {
        await fs.rm(path.join(this.dir, 'contact-sheet.png'), { force: true });
      }
      return manifest;
    });
  }

  private async writeManifest(m: Omit<GalleryManifest, 'format' | 'version'>): Promise<void> {
    const channels: Record<string, ChannelRecord> = {};
    for (const k of Object.keys(m.channels).sort((a, b) => Number(a) - Number(b))) channels[k] = m.channels[k];
    const ordered: GalleryManifest = {
      format: 'tfjs-optvis-gallery',
      version: 1,
      model: m.model,
      layer: m.layer,
      depth: m.depth,
      options: m.options,
      channels,
    };
    await writeAtomic(this.manifestFile, `${JSON.stringify(ordered, null, 2)}\n`);
  }

  /** Runs `f` holding `.lock` (O_EXCL), after this process's earlier locked work. */
  private locked<T>(f: () => Promise<T>): Promise<T> {
    const run = this.chain.then(async () => {
      await this.acquire();
      try {
        return await f();
      } finally {
        await fs.rm(this.lockFile, { force: true });
      }
    });
    this.chain = run.catch(() => undefined);
    return run;
  }

  private async acquire(): Promise<void> {
    const deadline = Date.now() + 5 * 60_000;
    for (let attempt = 0; ; attempt++) {
      try {
        const h = await fs.open(this.lockFile, 'wx');
        try {
          await h.writeFile(`${os.hostname()} ${process.pid} ${new Date().toISOString()}\n`);
        } finally {
          await h.close();
        }
        return;
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code !== 'EEXIST') fail(FN, `the gallery directory must be writable, but creating ${show(this.lockFile)} failed (${code ?? (e as Error).message}).`);
      }
      if (await this.lockIsStale()) {
        await fs.rm(this.lockFile, { force: true });
        continue;
      }
      if (Date.now() > deadline) {
        fail(FN, `the lock ${show(this.lockFile)} must be released by the process holding it, but it was held for 5 minutes. Remove it if no gallery process is running.`);
      }
      await sleep(Math.min(250, 5 * 2 ** Math.min(attempt, 6)) + Math.random() * 20);
    }
  }

  /** A lock left by a dead process on this host, or older than 10 minutes (derived files take seconds). */
  private async lockIsStale(): Promise<boolean> {
    try {
      const [text, st] = await Promise.all([fs.readFile(this.lockFile, 'utf8'), fs.stat(this.lockFile)]);
      const [host, pid] = text.trim().split(' ');
      if (Date.now() - st.mtimeMs > 10 * 60_000) return true;
      return host === os.hostname() && Number(pid) !== process.pid && Number.isInteger(Number(pid)) && processIsGone(Number(pid));
    } catch {
      return false; // being written or just removed: try again
    }
  }
}

import { fail, show } from '../errors';
import { checkFinite, checkNonNegative, checkPositive } from '../validate';

/**
 * Parses a channel list as the gallery CLI takes it: `'all'`, a number (`'7'`), a range (`'0-63'`,
 * both ends included) or a comma-separated mix (`'0-3,8,10-11'`). The result is sorted and without
 * duplicates; `'all'` (and ranges) need the layer's channel count `depth`.
 *
 * @example
 * ```ts
 * gallery.parseChannels('0-3,8', 16); // [0, 1, 2, 3, 8]
 * gallery.parseChannels('all', 4);    // [0, 1, 2, 3]
 * ```
 * @param spec the list, e.g. `'0-63'` or `'all'`.
 * @param depth number of channels of the layer; every channel must be below it.
 * @returns the channel indices, ascending.
 */
export function parseChannels(spec: string, depth: number): number[] {
  const fn = 'gallery.parseChannels';
  checkPositive(fn, 'depth', depth);
  if (typeof spec !== 'string' || spec.trim() === '') fail(fn, `spec must be 'all' or a list like '0-63' or '1,5,9', but got ${show(spec)}.`);
  if (spec.trim() === 'all') return Array.from({ length: depth }, (_, i) => i);
  const out = new Set<number>();
  for (const raw of spec.split(',')) {
    const part = raw.trim();
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m) fail(fn, `spec must be 'all' or a list like '0-63' or '1,5,9', but got ${show(spec)} (bad part ${show(part)}).`);
    const lo = Number(m[1]);
    const hi = m[2] === undefined ? lo : Number(m[2]);
    if (hi < lo) fail(fn, `a range must go up (lo-hi with lo <= hi), but got ${show(part)}.`);
    if (hi >= depth) fail(fn, `channels must be in [0, ${depth - 1}] (the layer has ${depth} channels), but got ${show(part)}.`);
    for (let c = lo; c <= hi; c++) out.add(c);
  }
  return [...out].sort((a, b) => a - b);
}

/**
 * The channels of shard `index` of `count`: the list cut into `count` contiguous blocks whose
 * sizes differ by at most one (the first `length % count` blocks get the extra channel).
 * Deterministic, so a batch engine (Kubernetes Indexed Job, Slurm array, GNU parallel) can run the
 * shards anywhere and together they cover every channel exactly once.
 *
 * @example
 * ```ts
 * gallery.shardChannels([0, 1, 2, 3, 4], 0, 2); // [0, 1, 2]
 * gallery.shardChannels([0, 1, 2, 3, 4], 1, 2); // [3, 4]
 * ```
 * @param channels the whole job's channels (not modified).
 * @param index the shard, an integer in `[0, count)`.
 * @param count the number of shards, a positive integer.
 * @returns a new array: this shard's channels, in the list's order.
 */
export function shardChannels(channels: readonly number[], index: number, count: number): number[] {
  const fn = 'gallery.shardChannels';
  if (!Array.isArray(channels)) fail(fn, `channels must be an array of channel indices, but got ${show(channels)}.`);
  checkPositive(fn, 'count', count);
  if (typeof index !== 'number' || !Number.isInteger(index) || index < 0 || index >= count) {
    fail(fn, `index must be an integer in [0, ${count - 1}], but got ${show(index)}.`);
  }
  const n = channels.length;
  const base = Math.floor(n / count);
  const extra = n % count;
  const start = index * base + Math.min(index, extra);
  return channels.slice(start, start + base + (index < extra ? 1 : 0));
}

/**
 * The seed of one channel's render: a hash of the job's `seed` and the `channel` index, so that a
 * channel's image depends on nothing else (not on which channels share its batch, worker or shard).
 *
 * @example
 * ```ts
 * gallery.channelSeed(0, 7) === gallery.channelSeed(0, 7); // true, and differs from channelSeed(0, 8)
 * ```
 * @param seed the job's seed (a finite number).
 * @param channel the channel index (a non-negative integer).
 * @returns an integer in `[0, 2^32)`.
 */
export function channelSeed(seed: number, channel: number): number {
  const fn = 'gallery.channelSeed';
  checkFinite(fn, 'seed', seed);
  checkNonNegative(fn, 'channel', channel, true);
  return mix(mix(Math.floor(seed) ^ 0x2545f491, Math.floor((seed % 1) * 2 ** 31)), channel);
}

/** A 32-bit avalanche of `a` combined with `b` (murmur3 finaliser). @internal */
export function mix(a: number, b: number): number {
  let h = (a ^ Math.imul(b + 0x9e3779b9, 0x85ebca6b)) | 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

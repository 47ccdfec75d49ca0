/**
 * A small cache of the most recently used host-side tables (trigonometric bases, FFT plans):
 * plain arrays, no tensors, so nothing to free. Internal.
 */

/** Values by key, at most `size` of them; the least recently used is dropped first. */
export interface RecentCache<K, V> {
  /** The value for `key`, made by `make()` on a miss. */
  get(key: K, make: () => V): V;
}

/** A {@link RecentCache} holding at most `size` values. */
export function recentCache<K, V>(size: number): RecentCache<K, V> {
  const entries = new Map<K, V>();
  return {
    get(key: K, make: () => V): V {
      const hit = entries.get(key);
      if (hit !== undefined) {
        entries.delete(key); // re-inserted last: most recently used
        entries.set(key, hit);
        return hit;
      }
      const value = make();
      entries.set(key, value);
      if (entries.size > size) entries.delete(entries.keys().next().value as K);
      return value;
    },
  };
}

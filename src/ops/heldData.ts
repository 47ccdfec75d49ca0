import * as tf from '@tensorflow/tfjs-core';

/**
 * Values derived once from tensors and kept in a backend's memory under their own data ids, outside
 * tfjs's tensor count (internal).
 *
 * Why: some values are functions of a model's weights alone (a flipped filter, a convolution
 * filter with a batch norm folded in). Computing them at every step costs kernels, and on wasm a
 * new filter tensor also makes XNNPACK pack the weights again. Held here, they are computed once
 * per source and each use gets a new tensor over the held data (disposed by the caller as usual),
 * so `tf.memory().numTensors` does not change. An entry is made again when the backend or any
 * source's data changed (a variable assigned new values gets a new data id), and freed when its
 * key tensor's data id is garbage-collected or by {@link releaseHeld}.
 */

/** One held derivation: its backend, data ids and shapes, and the sources it was made from. */
export interface HeldEntry {
  readonly backend: tf.KernelBackend;
  readonly dataIds: readonly tf.DataId[];
  readonly shapes: readonly number[][];
  /** The data ids of the sources (`null` for an absent optional source). */
  readonly sources: readonly (tf.DataId | null)[];
  /** The group it belongs to (see {@link releaseHeld}). */
  readonly group: string;
}

const live = new Set<HeldEntry>();
const releaseWhenCollected = new FinalizationRegistry<HeldEntry>(release);

function release(e: HeldEntry): void {
  if (!live.delete(e)) return;
  // Only while the backend is still registered (a removed backend has freed its memory).
  if (!Object.values(tf.engine().registry).includes(e.backend)) return;
  // Drops the held reference; tensors still viewing the data free it when they are disposed.
  for (const id of e.dataIds) if (e.backend.disposeData(id)) tf.engine().removeDataId(id, e.backend);
}

/**
 * New tensors over the values `make()` derives from `key` and `sources`, computed on the first call
 * for this key (per cache) and held in the current backend's memory (see the module comment).
 *
 * @param cache the entries of one kind of derivation, by the key's data id.
 * @param group a name for {@link releaseHeld}.
 * @param key the tensor whose data's lifetime bounds the entry's.
 * @param sources further tensors the values depend on (`undefined` for an absent one).
 * @param make computes the values (float32) and shapes; it must not leave tensors allocated.
 * @returns one new float32 tensor per part `make` returns, owned by the caller.
 */
export function heldDerived(
  cache: WeakMap<object, HeldEntry>,
  group: string,
  key: tf.Tensor,
  sources: readonly (tf.Tensor | undefined)[],
  make: () => { values: Float32Array; shape: number[] }[],
): tf.Tensor[] {
  const backend = tf.backend();
  const ids = sources.map((t) => t?.dataId ?? null);
  let e = cache.get(key.dataId);
  if (e === undefined || e.backend !== backend || !live.has(e) || e.sources.length !== ids.length || e.sources.some((id, i) => id !== ids[i])) {
    if (e !== undefined) release(e);
    const parts = make();
    e = { backend, dataIds: parts.map((p) => backend.write(p.values, p.shape, 'float32')), shapes: parts.map((p) => p.shape), sources: ids, group };
    cache.set(key.dataId, e);
    live.add(e);
    releaseWhenCollected.register(key.dataId, e);
  }
  const entry = e;
  // A tensor over held data, as a kernel output is made: one more reference to the data.
  return entry.dataIds.map((id, i) => {
    backend.incRef(id);
    return tf.engine().makeTensorFromDataId(id, entry.shapes[i], 'float32', backend);
  });
}

/**
 * Frees every held entry of `group` (they are made again on next use).
 *
 * @returns how many were freed.
 */
export function releaseHeld(group: string): number {
  const all = [...live].filter((e) => e.group === group);
  for (const e of all) release(e);
  return all.length;
}

/**
 * A pool of gallery worker threads (`node:worker_threads`), each with its own tfjs backend and
 * model. Batches of channels go to whichever worker is free.
 * @internal
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { OptvisError } from '../../errors';
import type { ToMain, ToWorker, WorkerChannel } from './protocol';
import type { WorkerInit } from './worker';

/** This module's URL (ES module) or file (CommonJS build). */
function here(): string {
  const url = (import.meta as { url?: string }).url;
  if (typeof url === 'string' && url !== '') return url;
  return pathToFileURL(__filename).href;
}

/**
 * Starts one worker. From the TypeScript sources (a clone of the repository, tests) the worker is
 * `worker.ts`, loaded through tsx, registered inside the worker; from the built package it is
 * `gallery-worker.js` (or `.cjs`) next to the bundle.
 */
function spawnWorker(init: WorkerInit): Worker {
  const self = here();
  if (self.endsWith('.ts')) {
    // The ES module build of tsx's API (require.resolve finds its CommonJS twin next to it).
    const cjs = createRequire(fileURLToPath(self)).resolve('tsx/esm/api');
    const mjs = cjs.replace(/\.cjs$/, '.mjs');
    const tsx = pathToFileURL(existsSync(mjs) ? mjs : cjs).href;
    const entry = new URL('./worker.ts', self).href;
    const code = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); });`;
    return new Worker(code, { eval: true, workerData: init });
  }
  const file = path.join(path.dirname(fileURLToPath(self)), self.endsWith('.cjs') ? 'gallery-worker.cjs' : 'gallery-worker.js');
  return new Worker(file, { workerData: init });
}

/** Rebuilds a worker's error in this thread (OptvisErrors keep their message). */
function workerError(name: string, message: string): Error {
  if (name === 'OptvisError') {
    const m = /^Error in ([^:]+): ([\s\S]*)$/.exec(message);
    if (m) return new OptvisError(m[1], m[2]);
  }
  const e = new Error(message);
  e.name = name;
  return e;
}

interface Slot {
  readonly worker: Worker;
  /** Settles the startup (until the worker reports its model loaded). */
  starting: { resolve: (depth: number) => void; reject: (e: Error) => void } | null;
  /** Settles the current job of this worker. */
  pending: { resolve: (r: readonly WorkerChannel[]) => void; reject: (e: Error) => void } | null;
  onStep: ((step: number) => void) | null;
}

/** A started pool; `close()` ends every worker. */
export class WorkerPool {
  private readonly slots: Slot[];
  /** Number of channels of the layer, as the workers' model reports it. */
  readonly depth: number;
  private closed = false;

  private constructor(slots: Slot[], depth: number) {
    this.slots = slots;
    this.depth = depth;
  }

  /** Starts `count` workers and waits until each has loaded its model. */
  static async start(count: number, init: WorkerInit): Promise<WorkerPool> {
    const slots: Slot[] = [];
    const ready: Promise<number>[] = [];
    const state = { closed: false };
    for (let i = 0; i < count; i++) {
      const worker = spawnWorker(init);
      const slot: Slot = { worker, starting: null, pending: null, onStep: null };
      slots.push(slot);
      ready.push(new Promise<number>((resolve, reject) => (slot.starting = { resolve, reject })));
      const fault = (e: Error) => {
        const s = slot.starting;
        slot.starting = null;
        if (s) s.reject(e);
        else WorkerPool.settle(slot, (p) => p.reject(e));
      };
      worker.on('message', (m: ToMain) => {
        if (m.type === 'ready') {
          const s = slot.starting;
          slot.starting = null;
          s?.resolve(m.depth);
        } else if (m.type === 'step') slot.onStep?.(m.step);
        else if (m.type === 'result') WorkerPool.settle(slot, (p) => p.resolve(m.results));
        else if (m.type === 'error') fault(workerError(m.name, m.message));
      });
      worker.on('error', fault);
      worker.on('exit', (code) => {
        if (!state.closed) fault(new Error(`a gallery worker exited unexpectedly (code ${code})`));
      });
    }
    try {
      const depths = await Promise.all(ready);
      const pool = new WorkerPool(slots, depths[0]);
      pool.state = state;
      return pool;
    } catch (e) {
      state.closed = true;
      await Promise.all(slots.map((s) => s.worker.terminate()));
      throw e;
    }
  }

  private state = { closed: false };

  private static settle(slot: Slot, f: (p: NonNullable<Slot['pending']>) => void): void {
    const p = slot.pending;
    slot.pending = null;
    slot.onStep = null;
    if (p) f(p);
  }

  /**
   * Renders `batches` on the workers; `onBatch` is awaited for each finished batch (in completion
   * order) before that worker gets another one. Rejects on the first error or when `signal` aborts
   * (batches in flight are then lost; call `close()`).
   */
  async run(
    batches: readonly (readonly number[])[],
    onBatch: (results: readonly WorkerChannel[]) => Promise<void>,
    onStep: (worker: number, step: number, batchSize: number) => void,
    signal?: AbortSignal,
  ): Promise<void> {
    let next = 0;
    let failed: unknown = null;
    // On abort, stop waiting for the batches in flight (they are lost); a batch whose results are
    // being written (onBatch) finishes writing first.
    const stop = () => {
      for (const slot of this.slots) WorkerPool.settle(slot, (p) => p.reject(signal?.reason instanceof Error ? signal.reason : new Error('aborted')));
    };
    signal?.addEventListener('abort', stop, { once: true });
    const loop = async (index: number, slot: Slot): Promise<void> => {
      while (failed === null && next < batches.length && !signal?.aborted) {
        const channels = batches[next++];
        const results = await new Promise<readonly WorkerChannel[]>((resolve, reject) => {
          slot.pending = { resolve, reject };
          slot.onStep = (step) => onStep(index, step, channels.length);
          slot.worker.postMessage({ type: 'render', channels } satisfies ToWorker);
        });
        await onBatch(results);
      }
    };
    try {
      const settled = await Promise.allSettled(
        this.slots.map((s, i) =>
          loop(i, s).catch((e: unknown) => {
            failed ??= e;
            throw e;
          }),
        ),
      );
      if (failed !== null) throw failed;
      void settled;
    } finally {
      signal?.removeEventListener('abort', stop);
    }
  }

  /** Ends every worker (a worker in the middle of a batch is stopped at once). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.state.closed = true;
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }
}

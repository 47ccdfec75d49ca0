/** Messages between the gallery's main thread and its workers. @internal */

/** Main → worker: render these channels as one batch, or finish. */
export type ToWorker = { readonly type: 'render'; readonly channels: readonly number[] } | { readonly type: 'close' };

/** One channel's result, as a worker posts it. */
export interface WorkerChannel {
  readonly channel: number;
  readonly png: Uint8Array;
  readonly objective: number;
  readonly seconds: number;
}

/** Worker → main. */
export type ToMain =
  | { readonly type: 'ready'; readonly depth: number }
  | { readonly type: 'step'; readonly step: number }
  | { readonly type: 'result'; readonly results: readonly WorkerChannel[] }
  | { readonly type: 'error'; readonly name: string; readonly message: string };

/**
 * A gallery worker thread: opens its own backend and model, then renders the batches of channels
 * the main thread sends, one at a time, and posts back PNG bytes and objective values.
 * @internal
 */
import { parentPort, workerData } from 'node:worker_threads';
import { toPng } from '../../io/png';
import { layerDepth, renderLayer, type ResolvedLayerOptions } from '../renderLayer';
import { openGalleryModel, useGalleryBackend, type GalleryBackend, type GalleryModelSpec } from './model';
import type { ToMain, ToWorker } from './protocol';

/** What the main thread passes to every worker. */
export interface WorkerInit {
  readonly backend: GalleryBackend;
  readonly model: GalleryModelSpec;
  readonly layer: string;
  readonly options: Omit<ResolvedLayerOptions, 'batch'>;
}

const port = parentPort;
if (port === null) throw new Error('the gallery worker must run in a worker thread');
const init = workerData as WorkerInit;
const post = (m: ToMain, transfer: ArrayBuffer[] = []) => port.postMessage(m, transfer);
const errorMessage = (e: unknown) => ({ name: e instanceof Error ? e.name : 'Error', message: e instanceof Error ? e.message : String(e) });

async function main(): Promise<void> {
  await useGalleryBackend(init.backend);
  const vm = await openGalleryModel(init.model);
  post({ type: 'ready', depth: layerDepth('buildGallery', vm, init.layer) });
  port!.on('message', (msg: ToWorker) => {
    if (msg.type === 'close') {
      vm.dispose();
      port!.close();
      return;
    }
    renderLayer(vm, init.layer, {
      ...init.options,
      channels: msg.channels,
      batch: msg.channels.length,
      onProgress: (p) => post({ type: 'step', step: p.step }),
    }).then(
      (results) => {
        const out = results.map((r) => ({ channel: r.channel, png: toPng(r.image), objective: r.objective, seconds: r.seconds }));
        post({ type: 'result', results: out }, out.map((o) => o.png.buffer as ArrayBuffer));
      },
      (e: unknown) => post({ type: 'error', ...errorMessage(e) }),
    );
  });
}

main().catch((e: unknown) => post({ type: 'error', ...errorMessage(e) }));

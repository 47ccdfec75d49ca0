/**
 * Opening the gallery's model and backend, the same way in the main thread and in every worker.
 * @internal
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { fail, show } from '../../errors';
import { loadDefaultModel, loadModel } from '../../model/loadNode';
import { DEFAULT_MODEL_INFO } from '../../model/defaultModel';
import type { VisModel } from '../../model/types';

/** Which model a gallery renders: a tfjs model directory / model.json, or the embedded default model. */
export interface GalleryModelSpec {
  /** Directory or model.json path; `undefined` for the default model. */
  readonly source?: string;
  /** Input range of `source` (default `[0, 1]`); not allowed with the default model. */
  readonly inputRange?: readonly [number, number];
}

/** The tfjs backends a gallery can run on in Node. */
export type GalleryBackend = 'wasm' | 'cpu';

/** Switches this thread's tfjs to `name` (quietly: no "use tfjs-node" banner). */
export async function useGalleryBackend(name: GalleryBackend): Promise<void> {
  tf.env().set('PROD', true);
  if (!(await tf.setBackend(name))) fail('buildGallery', `backend ${show(name)} must initialise, but it failed.`);
  await tf.ready();
}

/** Loads the model of `spec`. */
export async function openGalleryModel(spec: GalleryModelSpec): Promise<VisModel> {
  if (spec.source === undefined) return loadDefaultModel();
  return loadModel(spec.source, { inputRange: spec.inputRange ?? [0, 1] });
}

/** How the manifest names the model. */
export function modelLabel(spec: GalleryModelSpec): string {
  return spec.source ?? DEFAULT_MODEL_INFO.name;
}

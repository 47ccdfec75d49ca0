/**
 * Opening the gallery's model and backend, the same way in the main thread and in every worker.
 * @internal
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { existsSync } from 'node:fs';
import { fail, show } from '../../errors';
import { loadDefaultModel, loadModel } from '../../model/loadNode';
import { DEFAULT_MODEL_INFO } from '../../model/defaultModel';
import { EMBEDDED_MODELS, EMBEDDED_MODEL_NAMES, type EmbeddedModelName } from '../../model/embeddedModels';
import type { VisModel } from '../../model/types';
import { useNativeKernels } from '../../backends/nativeKernels';

/**
 * Which model a gallery renders: a tfjs model directory / model.json, an embedded model by name
 * (`'mobilenet-v2'`, `'inception-v3'`; a path of that name wins), or the embedded default model.
 */
export interface GalleryModelSpec {
  /** Directory or model.json path, or an embedded model's name; `undefined` for the default model. */
  readonly source?: string;
  /** Input range of a `source` path (default `[0, 1]`); not allowed with an embedded model. */
  readonly inputRange?: readonly [number, number];
}

/** The embedded model `source` names, if it is such a name and no file or directory of that name exists. */
function embeddedName(source: string | undefined): EmbeddedModelName | undefined {
  if (source === undefined) return 'mobilenet-v2';
  return (EMBEDDED_MODEL_NAMES as readonly string[]).includes(source) && !existsSync(source) ? (source as EmbeddedModelName) : undefined;
}

/**
 * The tfjs backends a gallery can run on in Node: `'wasm-native'` is wasm with the native
 * convolutions (`useNativeKernels`, one addon thread per worker: the workers use the cores).
 */
export type GalleryBackend = 'wasm' | 'cpu' | 'wasm-native';

/** The backends {@link GalleryBackend} names, for checks and messages. */
export const GALLERY_BACKENDS: readonly GalleryBackend[] = ['wasm', 'cpu', 'wasm-native'];

/** Switches this thread's tfjs to `name` (quietly: no "use tfjs-node" banner). */
export async function useGalleryBackend(name: GalleryBackend): Promise<void> {
  tf.env().set('PROD', true);
  const tfName = name === 'wasm-native' ? 'wasm' : name;
  if (!(await tf.setBackend(tfName))) fail('buildGallery', `backend ${show(name)} must initialise, but it failed.`);
  await tf.ready();
  if (name === 'wasm-native') useNativeKernels({ threads: 1 });
}

/** Loads the model of `spec`. */
export async function openGalleryModel(spec: GalleryModelSpec): Promise<VisModel> {
  const name = embeddedName(spec.source);
  if (name !== undefined) {
    if (spec.inputRange !== undefined) {
      fail('buildGallery', `inputRange applies to model directories; the embedded model ${name} has its own (${EMBEDDED_MODELS[name].inputRange.join(',')}), but got ${show(spec.inputRange)}.`);
    }
    return loadDefaultModel({ name });
  }
  return loadModel(spec.source as string, { inputRange: spec.inputRange ?? [0, 1] });
}

/** How the manifest names the model (the default model and `'mobilenet-v2'` alike). */
export function modelLabel(spec: GalleryModelSpec): string {
  const name = embeddedName(spec.source);
  if (name === 'mobilenet-v2') return DEFAULT_MODEL_INFO.name;
  return name !== undefined ? EMBEDDED_MODELS[name].name : (spec.source as string);
}

/**
 * The playground's bridge to the library: loading a model into a `VisModel` and preparing a backend.
 * Kept in one file so that the page itself only deals with the UI.
 */
import * as tf from '@tensorflow/tfjs-core';
import { model, type VisModel, type InputRange } from '../src/index';

/** A model URL (`model.json`) or a `tf.io` handler (e.g. `tf.io.browserFiles`). */
export type ModelSource = string | tf.io.IOHandler;

/** What the dev server says about its default model (`/models/default/info.json`). */
export interface DefaultModelInfo {
  name: string;
  inputRange: [number, number];
  cutAt?: string;
  layer: string;
  channel: number;
}

/** Fetches the default model's description, or `undefined` when the server has no default model. */
export async function defaultModelInfo(url: string): Promise<DefaultModelInfo | undefined> {
  const res = await fetch(url);
  if (!res.ok) return undefined;
  return (await res.json()) as DefaultModelInfo;
}

/**
 * Switches tfjs to `name`. (The render session installs the library's gradient fixes for the
 * backend it runs on, so nothing else is needed here.)
 */
export async function prepareBackend(name: string): Promise<void> {
  // The random scales of the standard transforms give the model a new input size at every step;
  // webgl compiles shaders per shape unless shapes are uniforms, which made each step recompile
  // (seconds per step on SwiftShader). With this flag programs are reused across sizes.
  if (name === 'webgl') tf.env().set('WEBGL_USE_SHAPES_UNIFORMS', true);
  const ok = await tf.setBackend(name);
  if (!ok) throw new Error(`Backend ${name} failed to initialise in this browser.`);
  await tf.ready();
}

/**
 * Loads a model (URL or handler) with the library's `model.loadModel` and wraps it for
 * visualization. `inputRange` is required by the library: a model file does not say it.
 */
export async function loadVisModel(source: ModelSource, options: { inputRange: InputRange; cutAt?: string }): Promise<VisModel> {
  return model.loadModel(source, { inputRange: options.inputRange, cutAt: options.cutAt });
}

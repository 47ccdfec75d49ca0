/**
 * The playground's bridge to the library: loading a model into a `VisModel` and preparing a backend.
 * Kept in one file so that the page itself only deals with the UI.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import type { VisModel, LayerInfo, InputRange } from '../src/index';
import { modelFromArtifacts } from '../src/model/loadArtifacts';

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

/** Switches tfjs to `name` and installs the library's gradient fixes; returns the kernels fixed. */
export async function prepareBackend(name: string): Promise<string[]> {
  // The random scales of the standard transforms give the model a new input size at every step;
  // webgl compiles shaders per shape unless shapes are uniforms, which made each step recompile
  // (seconds per step on SwiftShader). With this flag programs are reused across sizes.
  if (name === 'webgl') tf.env().set('WEBGL_USE_SHAPES_UNIFORMS', true);
  const ok = await tf.setBackend(name);
  if (!ok) throw new Error(`Backend ${name} failed to initialise in this browser.`);
  await tf.ready();
  return [];
}

/** Loads a model (URL or handler) and wraps it for visualization. */
export async function loadVisModel(
  source: ModelSource,
  options: { inputRange?: InputRange; cutAt?: string } = {},
): Promise<VisModel> {
  const handler = typeof source === 'string' ? tf.io.http(source) : source;
  if (!handler.load) throw new Error('The model source cannot be loaded (its tf.io handler has no load()).');
  const artifacts = await handler.load();
  const loaded = await modelFromArtifacts('playground', artifacts, { cutAt: options.cutAt });
  if (loaded.format !== 'layers-model') {
    loaded.model.dispose();
    throw new Error('TEMPORARY: GraphModels need the library model adapter.');
  }
  return tempLayersVisModel(loaded.model, options.inputRange ?? [-1, 1]);
}

/** TEMPORARY minimal LayersModel wrapper until `src/model` exports its adapter. */
function tempLayersVisModel(m: tfl.LayersModel, range: InputRange): VisModel {
  const layers: LayerInfo[] = m.layers
    .filter((l) => l.getClassName() !== 'InputLayer')
    .map((l) => {
      const shape = l.outputShape as (number | null)[];
      return { name: l.name, shape, depth: shape[shape.length - 1] ?? null, kind: l.getClassName() };
    });
  const subs = new Map<string, tfl.LayersModel>();
  const [lo, hi] = range as readonly [number, number];
  return {
    inputRange: range,
    imageShape: [null, null, 3],
    channelOrder: 'RGB',
    layers,
    layer(name: string): LayerInfo {
      const l = layers.find((x) => x.name === name);
      if (!l) throw new Error(`unknown layer ${name}`);
      return l;
    },
    activations(image: tf.Tensor4D, names: readonly string[]): Map<string, tf.Tensor> {
      const key = names.join('\u0000');
      let sub = subs.get(key);
      if (!sub) {
        sub = tfl.model({ inputs: m.inputs, outputs: names.map((n) => m.getLayer(n).output as tfl.SymbolicTensor) });
        subs.set(key, sub);
      }
      const x = tf.add(tf.mul(image, hi - lo), lo);
      const out = sub.apply(x) as tf.Tensor | tf.Tensor[];
      const list = Array.isArray(out) ? out : [out];
      return new Map(names.map((n, i) => [n, list[i]]));
    },
    dispose(): void {
      m.dispose();
    },
  };
}

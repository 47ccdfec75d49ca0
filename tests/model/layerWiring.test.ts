/**
 * The loader's wiring check (src/model/loadArtifacts.ts, `checkLayerWiring`) on layer entries that
 * share a "name": tfjs-layers' deserializer keys its layers by the entry name and its pending calls
 * by the layer's own name, so the calls of a shadowed entry are never made and it loops forever.
 * The check used to loop forever with it (it mirrors that queue). Run in a child process killed
 * after 60 s, so that a regression fails this test instead of hanging the suite.
 */
import { runTsChild } from '../helpers/child';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const dir = mkdtempSync(join(tmpdir(), 'optvis-wiring-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A functional model.json topology: an input and two relu layers reading it, with these entry and layer names. */
function topology(entries: readonly [entry: string, layer: string][]): object {
  const layers = [
    { name: 'in', class_name: 'InputLayer', config: { name: 'in', batch_input_shape: [null, 4, 4, 3], dtype: 'float32' }, inbound_nodes: [] },
    ...entries.map(([entry, layer]) => ({ name: entry, class_name: 'Activation', config: { name: layer, activation: 'relu' }, inbound_nodes: [[['in', 0, 0, {}]]] })),
  ];
  return { class_name: 'Model', config: { name: 'm', layers, input_layers: [['in', 0, 0]], output_layers: [[entries[entries.length - 1][0], 0, 0]] } };
}

/** `model.loadModel` on each topology (from memory, no weights) in a fresh process: `LOADED <layers>` or `ERROR <message>`, then `TIMEOUT` if killed. */
function loadInChild(topologies: readonly object[]): string[] {
  const script = join(dir, 'child.ts');
  writeFileSync(
    script,
    "import * as tf from '@tensorflow/tfjs-core';\nimport '@tensorflow/tfjs-backend-cpu';\n" +
      `import { loadModel } from ${JSON.stringify(resolve(__dirname, '../../src/model/loadModel.ts'))};\n` +
      `(async () => {\n  await tf.setBackend('cpu');\n  for (const modelTopology of ${JSON.stringify(topologies)}) {\n` +
      '    const handler = tf.io.fromMemory({ modelTopology, format: "layers-model", weightSpecs: [], weightData: new ArrayBuffer(0) });\n' +
      "    try { const vm = await loadModel(handler, { inputRange: [0, 1] }); console.log('LOADED ' + vm.layers.map((l) => l.name).join(',')); vm.dispose(); }\n" +
      "    catch (e) { console.log('ERROR ' + (e as Error).message); }\n  }\n})();\n",
  );
  const out = runTsChild(script, 60_000);
  const lines = out.stdout.split('\n').filter((l) => l.startsWith('ERROR') || l.startsWith('LOADED'));
  if (out.error !== undefined || out.signal !== null) lines.push('TIMEOUT');
  if (lines.length === 0) console.log(`[layerWiring] the child printed nothing:\n${out.stderr.slice(-2000)}`);
  return lines;
}

describe('loader wiring check', () => {
  it('refuses two layer entries with one "name" (tfjs would never make the first one\'s calls) and loads the same model with distinct names', () => {
    const lines = loadInChild([
      topology([
        ['a', 'x'],
        ['a', 'y'],
      ]),
      topology([
        ['a', 'x'],
        ['b', 'y'],
      ]),
    ]);
    expect(lines).toEqual([
      `ERROR Error in model.loadModel: model.json's layer entries must have distinct "name"s, but the entry of layer "x" shares its "name" with a later entry, so its calls are never made; tfjs would loop forever on it.`,
      'LOADED y', // the model is cut at its output, which reads only layer y
    ]);
  });
});

import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileHandler, loadModel } from '../../src/model/loadNode';
import { loadModel as loadModelFromHandler } from '../../src/model/loadModel';
import { detectFormat, modelFromArtifacts } from '../../src/model/loadArtifacts';
import { makeTestGraphModel, makeTestGraphModelArtifacts, makeTestLayersModel } from '../fixtures/models';
import { expectNoLeak, maxAbsDiff, useBackend } from '../helpers/tf';

const root = mkdtempSync(join(tmpdir(), 'optvis-load-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** Writes artifacts as model.json + shards of `shardBytes` (one weights group), like the tfjs converter. */
function writeModel(dir: string, arts: tf.io.ModelArtifacts, shardBytes: number): string[] {
  mkdirSync(dir, { recursive: true });
  const data = new Uint8Array(arts.weightData as ArrayBuffer);
  const paths: string[] = [];
  const n = Math.max(1, Math.ceil(data.length / shardBytes));
  for (let i = 0; i < n; i++) {
    const p = `group1-shard${i + 1}of${n}.bin`;
    writeFileSync(join(dir, p), data.subarray(i * shardBytes, (i + 1) * shardBytes));
    paths.push(p);
  }
  const json = { format: arts.format, modelTopology: arts.modelTopology, weightsManifest: [{ paths, weights: arts.weightSpecs }] };
  writeFileSync(join(dir, 'model.json'), JSON.stringify(json));
  return paths;
}

async function layersArtifacts(model: tfl.LayersModel): Promise<tf.io.ModelArtifacts> {
  let saved: tf.io.ModelArtifacts | undefined;
  await model.save(tf.io.withSaveHandler(async (a) => {
    saved = a;
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
  }));
  return saved as tf.io.ModelArtifacts;
}

const x32 = () => tf.randomUniform([1, 32, 32, 3], -1, 1, 'float32', 7);
let layersDir = '';
let graphDir = '';
let reference: Float32Array;
let referenceConv4: Float32Array;
let conv4Model: tfl.LayersModel;
/** conv4 activations of the original model on `x` (in its own input range). */
const referenceFor = (x: tf.Tensor): Float32Array => tf.tidy(() => (conv4Model.predict(x) as tf.Tensor).dataSync() as Float32Array);

beforeAll(async () => {
  await useBackend('cpu');
  const model = makeTestLayersModel(3);
  const arts = await layersArtifacts(model);
  layersDir = join(root, 'layers');
  // Small shards so that weights straddle shard boundaries.
  writeModel(layersDir, arts, 1000);
  const x = x32();
  reference = (model.predict(x) as tf.Tensor).dataSync() as Float32Array;
  const conv4 = tfl.model({ inputs: model.inputs, outputs: model.getLayer('conv4').output as tfl.SymbolicTensor });
  referenceConv4 = tf.tidy(() => (conv4.predict(x) as tf.Tensor).dataSync() as Float32Array);
  tf.dispose(x);
  const again = makeTestLayersModel(3);
  conv4Model = tfl.model({ inputs: again.inputs, outputs: again.getLayer('conv4').output as tfl.SymbolicTensor });
  graphDir = join(root, 'graph');
  writeModel(graphDir, makeTestGraphModelArtifacts(2), 1 << 20);
});

describe('fileHandler + modelFromArtifacts', () => {
  it('loads a multi-shard LayersModel from a directory with identical outputs', async () => {
    await expectNoLeak(async () => {
      const arts = await fileHandler(layersDir).load!();
      expect(detectFormat('t', arts)).toBe('layers-model');
      const loaded = await modelFromArtifacts('t', arts);
      expect(loaded.format).toBe('layers-model');
      const x = x32();
      const y = (loaded.model as tfl.LayersModel).predict(x) as tf.Tensor;
      expect(maxAbsDiff(y.dataSync(), reference)).toBe(0);
      tf.dispose([x, y]);
      loaded.model.dispose();
    });
  });

  it('cuts the topology at a layer (and reads model.json paths too)', async () => {
    await expectNoLeak(async () => {
      const arts = await fileHandler(join(layersDir, 'model.json')).load!();
      const loaded = await modelFromArtifacts('t', arts, { cutAt: 'conv4' });
      const m = loaded.model as tfl.LayersModel;
      expect(m.layers.map((l) => l.name)).not.toContain('logits');
      expect(m.outputs[0].shape).toEqual([null, null, null, 32]);
      const x = x32();
      const y = m.predict(x) as tf.Tensor;
      expect(maxAbsDiff(y.dataSync(), referenceConv4)).toBe(0);
      tf.dispose([x, y]);
      m.dispose();
    });
  });

  it('detects and loads a GraphModel', async () => {
    await expectNoLeak(async () => {
      const arts = await fileHandler(graphDir).load!();
      expect(detectFormat('t', arts)).toBe('graph-model');
      const loaded = await modelFromArtifacts('t', arts);
      expect(loaded.format).toBe('graph-model');
      const x = x32();
      const y = (loaded.model as { predict(x: tf.Tensor): tf.Tensor }).predict(x);
      expect(y.shape).toEqual([1, 10]);
      const direct = await makeTestGraphModel(2);
      const ref = direct.predict(x) as tf.Tensor;
      expect(maxAbsDiff(y.dataSync(), ref.dataSync())).toBe(0);
      tf.dispose([x, y, ref]);
      direct.dispose();
      loaded.model.dispose();
    });
  });

  it('cuts a GraphModel at a node (dropping the weights after it) with identical values', async () => {
    await expectNoLeak(async () => {
      const arts = await fileHandler(graphDir).load!();
      const cut = await modelFromArtifacts('t', arts, { cutAt: 'conv5/Relu' });
      const topo = (cut.model as unknown as { artifacts: tf.io.ModelArtifacts }).artifacts?.modelTopology as { node: { name: string }[] } | undefined;
      if (topo) expect(topo.node.map((n) => n.name)).not.toContain('logits');
      const direct = await makeTestGraphModel(2);
      const x = x32();
      const y = (cut.model as { predict(x: tf.Tensor): tf.Tensor }).predict(x);
      const ref = direct.execute(x, 'conv5/Relu') as tf.Tensor;
      expect(y.shape).toEqual(ref.shape);
      expect(maxAbsDiff(y.dataSync(), ref.dataSync())).toBe(0);
      tf.dispose([x, y, ref]);
      direct.dispose();
      cut.model.dispose();
    });
  });

  it('loadModel wraps a directory or any tf.io handler as a VisModel that frees everything on dispose', async () => {
    await expectNoLeak(async () => {
      const vm = await loadModel(layersDir, { inputRange: [-1, 1] });
      expect(vm.layer('conv4').depth).toBe(32);
      const x = tf.randomUniform([1, 32, 32, 3], 0, 1, 'float32', 3) as tf.Tensor4D;
      const a = vm.activations(x, ['conv4']).get('conv4') as tf.Tensor;
      // The wrapper maps [0, 1] to the declared [-1, 1]: same values as the raw model on 2x - 1.
      const x11 = tf.tidy(() => tf.sub(tf.mul(x, 2), 1));
      expect(maxAbsDiff(a.dataSync(), referenceFor(x11))).toBeLessThan(1e-4);
      tf.dispose([x, a, x11]);
      vm.dispose();
      vm.dispose(); // twice is harmless
      const arts = await fileHandler(graphDir).load!();
      const gvm = await loadModelFromHandler(tf.io.fromMemory(arts), { inputRange: [-1, 1] });
      expect(gvm.layers.map((l) => l.name)).toContain('conv5/Relu');
      gvm.dispose();
    });
    await expect(loadModelFromHandler(42 as never, { inputRange: [0, 1] })).rejects.toThrow(
      /^Error in model\.loadModel: source must be a model\.json URL or a tf\.io handler with load\(\), but got 42\.$/,
    );
  });

  it('names a missing shard, and loads without it when strict is false and the cut avoids it', async () => {
    const model = makeTestLayersModel(4);
    const arts = await layersArtifacts(model);
    model.dispose();
    // Put the Dense head's weights ("logits/...") alone in a second group, then delete that shard.
    const specs = arts.weightSpecs!;
    const data = new Uint8Array(arts.weightData as ArrayBuffer);
    const sizes = specs.map((s) => s.shape.reduce((a, b) => a * b, 1) * 4);
    const starts = sizes.map((_, i) => sizes.slice(0, i).reduce((a, b) => a + b, 0));
    const head = specs.map((s, i) => [s, i] as const).filter(([s]) => s.name.startsWith('logits/'));
    const body = specs.map((s, i) => [s, i] as const).filter(([s]) => !s.name.startsWith('logits/'));
    const cat = (list: (readonly [tf.io.WeightsManifestEntry, number])[]) => {
      const out = new Uint8Array(list.reduce((n, [, i]) => n + sizes[i], 0));
      let o = 0;
      for (const [, i] of list) { out.set(data.subarray(starts[i], starts[i] + sizes[i]), o); o += sizes[i]; }
      return out;
    };
    const dir = join(root, 'partial');
    mkdirSync(dir);
    writeFileSync(join(dir, 'body.bin'), cat(body));
    writeFileSync(join(dir, 'head.bin'), new Uint8Array(0)); // an empty file, as in ../shared's MobileNet
    writeFileSync(join(dir, 'model.json'), JSON.stringify({
      modelTopology: arts.modelTopology,
      weightsManifest: [{ paths: ['body.bin'], weights: body.map(([s]) => s) }, { paths: ['head.bin'], weights: head.map(([s]) => s) }],
    }));
    await expectNoLeak(async () => {
      await expect(fileHandler(dir).load!()).rejects.toThrow(
        /^Error in fileHandler: weight shard "head\.bin" must hold \d+ bytes, but ".*partial" has 0 \(it holds \["logits\/kernel", "logits\/bias"\]\)\. Pass strict: false/,
      );
      const lenient = await fileHandler(dir, { strict: false }).load!();
      await expect(modelFromArtifacts('loadModel', lenient)).rejects.toThrow(
        /^Error in loadModel: weight shard "head\.bin" must be present for the layers kept, but it is missing \(it holds "logits\/kernel"\)\. Cut the model before "logits" with cutAt\.$/,
      );
      const cut = await modelFromArtifacts('loadModel', lenient, { cutAt: 'gap' });
      expect((cut.model as tfl.LayersModel).outputs[0].shape).toEqual([null, 32]);
      cut.model.dispose();
    });
  });

  it('skips one missing shard of a multi-shard group (strict: false), keeping the weights of the others', async () => {
    const model = makeTestLayersModel(6);
    const arts = await layersArtifacts(model);
    const dir = join(root, 'multi-missing');
    const paths = writeModel(dir, arts, 1000);
    expect(paths.length).toBeGreaterThan(3);
    rmSync(join(dir, paths[2]));
    const x = x32();
    const conv1 = tfl.model({ inputs: model.inputs, outputs: model.getLayer('conv1').output as tfl.SymbolicTensor });
    const ref = tf.tidy(() => (conv1.predict(x) as tf.Tensor).dataSync() as Float32Array);
    model.dispose();
    await expectNoLeak(async () => {
      const lenient = await fileHandler(dir, { strict: false }).load!();
      await expect(modelFromArtifacts('loadModel', lenient)).rejects.toThrow(new RegExp(`weight shard "${paths[2]}" must be present for the layers kept`));
      // conv1's kernel and bias are in the first shard (3·3·3·8 + 8 floats = 896 bytes < 1000).
      const cut = await modelFromArtifacts('loadModel', lenient, { cutAt: 'conv1' });
      const y = (cut.model as tfl.LayersModel).predict(x) as tf.Tensor;
      expect(maxAbsDiff(y.dataSync(), ref)).toBe(0);
      tf.dispose(y);
      cut.model.dispose();
    });
    tf.dispose(x);
  });

  it('fails clearly on a missing directory, a directory without model.json, invalid JSON and a missing shard file', async () => {
    await expect(fileHandler(join(root, 'nope')).load!()).rejects.toThrow(
      /^Error in fileHandler: source must be an existing model directory or model\.json file, but got ".*nope" \(no such file or directory\)\.$/,
    );
    const empty = join(root, 'empty');
    mkdirSync(empty);
    await expect(fileHandler(empty).load!()).rejects.toThrow(/source must be a directory containing model\.json, but got ".*empty" \(no model\.json in it\)/);
    const bad = join(root, 'bad');
    mkdirSync(bad);
    writeFileSync(join(bad, 'model.json'), '{"modelTopology": ');
    await expect(fileHandler(bad).load!()).rejects.toThrow(/^Error in fileHandler: model\.json must be valid JSON, but ".*model\.json" has a syntax error/);
    writeFileSync(join(bad, 'model.json'), '{"foo": 1}');
    await expect(fileHandler(bad).load!()).rejects.toThrow(/model\.json must have "modelTopology" and "weightsManifest", but ".*" has keys \["foo"\]/);
    const noShard = join(root, 'noshard');
    const model = makeTestLayersModel(5);
    writeModel(noShard, await layersArtifacts(model), 1 << 20);
    model.dispose();
    rmSync(join(noShard, 'group1-shard1of1.bin'));
    await expect(fileHandler(noShard).load!()).rejects.toThrow(
      /^Error in fileHandler: weight shard "group1-shard1of1\.bin" must exist next to model\.json, but it is missing from/,
    );
  });

  it('rejects unknown cutAt layers with suggestions and unknown formats', async () => {
    await expectNoLeak(async () => {
      const arts = await fileHandler(layersDir).load!();
      await expect(modelFromArtifacts('loadModel', arts, { cutAt: 'conv_4' })).rejects.toThrow(
        /^Error in loadModel: cutAt must name a layer of the model, but got "conv_4"\. Did you mean 'conv4'/,
      );
      await expect(modelFromArtifacts('loadModel', { modelTopology: { foo: 1 } })).rejects.toThrow(
        /model\.json must describe a tfjs LayersModel or GraphModel .* topology keys \["foo"\]/,
      );
    });
  });
});

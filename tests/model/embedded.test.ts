/**
 * The embedded models read from the installed nsfwjs package: MobileNetV2 (the default) and
 * InceptionV3 (issue 16), their SHA-256 checks (issue 11 item 7), and the error when nsfwjs is
 * missing (simulated with an injected resolver, never by uninstalling).
 */
import * as tf from '@tensorflow/tfjs-core';
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OptvisError } from '../../src/errors';
import {
  EMBEDDED_MODEL_NAMES,
  EMBEDDED_MODELS,
  INCEPTION_V3_LAYERS,
  INCEPTION_V3_TARGET,
  embeddedModelArtifacts,
  loadEmbedded,
  type NsfwjsResolver,
} from '../../src/model/embeddedModels';
import { loadDefaultModel } from '../../src/model/loadNode';
import type { VisModel } from '../../src/model/types';
import { channel } from '../../src/objectives/index';
import { image } from '../../src/param/index';
import { renderVis } from '../../src/render/index';
import * as node from '../../src/node';
import { IN_CI, recordSkip } from '../helpers/skips';
import { expectNoLeak, useBackend } from '../helpers/tf';

const req = createRequire(__filename);
let nsfwjsMain: string | null = null;
try {
  nsfwjsMain = req.resolve('nsfwjs');
} catch {
  if (IN_CI) throw new Error('tests/model/embedded: the nsfwjs package (a devDependency) must be installed in CI.');
  recordSkip('tests/model/embedded (nsfwjs model files)', 'the nsfwjs package is not installed (npm install nsfwjs@4.4.0)');
}
const hasNsfwjs = nsfwjsMain !== null;
const modelsDir = hasNsfwjs ? path.join(path.dirname(nsfwjsMain as string), '..', 'models') : '';

/** A resolver that fails as `require.resolve` does when a package is not installed. */
const missing: NsfwjsResolver = () => {
  const e = new Error("Cannot find module 'nsfwjs'") as NodeJS.ErrnoException;
  e.code = 'MODULE_NOT_FOUND';
  throw e;
};

async function errorOf(p: Promise<unknown>): Promise<OptvisError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(OptvisError);
    return e as OptvisError;
  }
  throw new Error('expected a rejection');
}

let tmp: string;
beforeAll(async () => {
  await useBackend('cpu');
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'optvis-embedded-'));
});
afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

/** A fake nsfwjs package under the temp dir; returns its resolver. Files are copied from the real one. */
async function fakePackage(label: string, version: string, files: Record<string, Buffer>): Promise<NsfwjsResolver> {
  const root = path.join(tmp, label, 'node_modules', 'nsfwjs');
  await fs.mkdir(path.join(root, 'dist', 'cjs'), { recursive: true });
  await fs.writeFile(path.join(root, 'package.json'), JSON.stringify({ name: 'nsfwjs', version }));
  for (const [rel, bytes] of Object.entries(files)) {
    await fs.mkdir(path.dirname(path.join(root, 'dist', 'models', rel)), { recursive: true });
    await fs.writeFile(path.join(root, 'dist', 'models', rel), bytes);
  }
  const main = path.join(root, 'dist', 'cjs', 'index.js');
  return () => main;
}

describe('embedded model table', () => {
  it('lists both models with licence, provenance, range and a checksum for every file of their manifest', () => {
    expect(EMBEDDED_MODEL_NAMES).toEqual(['mobilenet-v2', 'inception-v3']);
    expect(Object.keys(EMBEDDED_MODELS).sort()).toEqual([...EMBEDDED_MODEL_NAMES].sort());
    for (const name of EMBEDDED_MODEL_NAMES) {
      const info = EMBEDDED_MODELS[name];
      expect(info.id).toBe(name);
      expect(info.license).toBe('MIT');
      expect(info.provenance).toMatch(/ImageNet/);
      expect(info.inputRange).toEqual([0, 1]);
      expect(Object.keys(info.sha256)).toContain('model.min.js');
      for (const h of Object.values(info.sha256)) expect(h).toMatch(/^[0-9a-f]{64}$/);
      expect(info.layers.some((l) => l.layer === info.target.layer && l.channels.includes(info.target.channel))).toBe(true);
    }
    expect(Object.keys(EMBEDDED_MODELS['inception-v3'].sha256)).toHaveLength(7);
    // The public entry exports the table and the guide.
    expect(node.EMBEDDED_MODELS).toBe(EMBEDDED_MODELS);
    expect(node.INCEPTION_V3_LAYERS).toBe(INCEPTION_V3_LAYERS);
    expect(node.DEFAULT_LAYERS).toBe(EMBEDDED_MODELS['mobilenet-v2'].layers);
  });

  it.skipIf(!hasNsfwjs)('the checksums are those of the installed nsfwjs files (computed here with node:crypto)', async () => {
    for (const name of EMBEDDED_MODEL_NAMES) {
      const info = EMBEDDED_MODELS[name];
      const files = (await fs.readdir(path.join(modelsDir, info.folder))).sort();
      expect(files).toEqual(Object.keys(info.sha256).sort());
      for (const f of files) {
        const got = createHash('sha256').update(await fs.readFile(path.join(modelsDir, info.folder, f))).digest('hex');
        expect(got, `${info.folder}/${f}`).toBe(info.sha256[f]);
      }
    }
  });

  it('an unknown name is refused with the allowed names and a suggestion', async () => {
    const e = await errorOf(loadDefaultModel({ name: 'inception_v3' as 'inception-v3' }));
    expect(e.message).toBe(
      "Error in loadDefaultModel: name must be one of 'mobilenet-v2', 'inception-v3', but got \"inception_v3\". Did you mean 'inception-v3'?",
    );
    const e2 = await errorOf(loadDefaultModel({ name: 3 as unknown as 'inception-v3' }));
    expect(e2.message).toMatch(/name must be one of 'mobilenet-v2', 'inception-v3', but got 3\.$/);
    const e3 = await errorOf(loadDefaultModel(null as unknown as {}));
    expect(e3.message).toMatch(/options must be an object/);
  });
});

describe('nsfwjs missing (injected resolver)', () => {
  it('both models give the same clear error, naming the package and the install command', async () => {
    const before = tf.memory().numTensors;
    const messages: string[] = [];
    for (const name of EMBEDDED_MODEL_NAMES) {
      const e = await errorOf(loadEmbedded({ name }, missing));
      expect(e.fn).toBe('loadDefaultModel');
      expect(e.message).toBe(
        `Error in loadDefaultModel: the embedded model "${name}" needs the optional peer dependency "nsfwjs" (MIT), but it is not installed. Run \`npm install nsfwjs@4.4.0\`, or pass your own model.`,
      );
      messages.push(e.message.replace(name, '<name>'));
    }
    expect(messages[0]).toBe(messages[1]);
    // The default (no name) is the MobileNetV2 message.
    expect((await errorOf(loadEmbedded({}, missing))).message).toMatch(/the embedded model "mobilenet-v2" needs/);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('a real resolution failure (a directory with no node_modules) gives that error too', async () => {
    const dir = await fs.mkdtemp(path.join(tmp, 'empty-'));
    const lonely = createRequire(path.join(dir, 'index.js'));
    let resolvable = true;
    try {
      lonely.resolve('nsfwjs');
    } catch {
      resolvable = false;
    }
    // Guard: if some parent of os.tmpdir() has node_modules/nsfwjs, the premise does not hold.
    expect(resolvable, `nsfwjs is resolvable from ${dir}`).toBe(false);
    const e = await errorOf(loadEmbedded({ name: 'inception-v3' }, () => lonely.resolve('nsfwjs')));
    expect(e.message).toMatch(/needs the optional peer dependency "nsfwjs" \(MIT\), but it is not installed/);
  });

  it('a resolver failing for another reason says so', async () => {
    const e = await errorOf(
      loadEmbedded({ name: 'inception-v3' }, () => {
        throw new Error('EACCES: permission denied');
      }),
    );
    expect(e.message).toBe('Error in loadDefaultModel: the nsfwjs package must be resolvable, but resolving it failed: EACCES: permission denied.');
  });

  it('an nsfwjs without the model folder names the folder it looked in', async () => {
    const resolve = await fakePackage('nofolder', '3.0.0', {});
    const e = await errorOf(loadEmbedded({ name: 'inception-v3' }, resolve));
    expect(e.message).toMatch(/the "inception-v3" model files must be in the nsfwjs package, but ".*inception_v3" has no model\.min\.js \(nsfwjs 4\.4\.0 expected\)\./);
  });
});

describe.skipIf(!hasNsfwjs)('checksums of the embedded files', () => {
  const mobile = (f: string) => fs.readFile(path.join(modelsDir, 'mobilenet_v2', f));

  it('a modified model.min.js is refused before it is evaluated, naming the file and both hashes', async () => {
    const json = await mobile('model.min.js');
    // A payload that would set a global if the file were evaluated: it must never run.
    const tampered = Buffer.concat([json, Buffer.from(';globalThis.__h6_tampered = 1;\n')]);
    const resolve = await fakePackage('badjson', '4.4.1', { 'mobilenet_v2/model.min.js': tampered });
    const before = tf.memory().numTensors;
    const e = await errorOf(loadEmbedded({}, resolve));
    const file = path.join(path.dirname(resolve()), '..', 'models', 'mobilenet_v2', 'model.min.js');
    const got = createHash('sha256').update(tampered).digest('hex');
    expect(e.message).toBe(
      `Error in loadDefaultModel: the nsfwjs file ${JSON.stringify(file)} must have SHA-256 ${EMBEDDED_MODELS['mobilenet-v2'].sha256['model.min.js']} (nsfwjs 4.4.0), but it has ${got}: the file is modified or from another nsfwjs version (installed: 4.4.1). Reinstall with \`npm install nsfwjs@4.4.0\`.`,
    );
    expect((globalThis as Record<string, unknown>).__h6_tampered).toBeUndefined();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('one flipped byte in a weight shard is refused, naming the shard', async () => {
    const shard = Buffer.from(await mobile('group1-shard1of1.min.js'));
    // Flip one base64 character in the middle of the weights to another valid one.
    const i = Math.floor(shard.length / 2);
    shard[i] = shard[i] === 0x41 ? 0x42 : 0x41;
    const resolve = await fakePackage('badshard', '4.4.0', {
      'mobilenet_v2/model.min.js': await mobile('model.min.js'),
      'mobilenet_v2/group1-shard1of1.min.js': shard,
    });
    const before = tf.memory().numTensors;
    const e = await errorOf(loadEmbedded({ name: 'mobilenet-v2' }, resolve));
    expect(e.message).toMatch(/the nsfwjs file ".*mobilenet_v2\/group1-shard1of1\.min\.js" must have SHA-256 ef2e0a63f7d2c496\w+ \(nsfwjs 4\.4\.0\), but it has [0-9a-f]{64}: /);
    expect(e.message).toMatch(/\(installed: 4\.4\.0\)/);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('an unmodified copy of the files loads (the check accepts the right bytes)', async () => {
    const resolve = await fakePackage('good', '4.4.0', {
      'mobilenet_v2/model.min.js': await mobile('model.min.js'),
      'mobilenet_v2/group1-shard1of1.min.js': await mobile('group1-shard1of1.min.js'),
    });
    const arts = await embeddedModelArtifacts('t', 'mobilenet-v2', resolve);
    expect((arts.weightData as ArrayBuffer).byteLength).toBeGreaterThan(2_000_000);
    const missingShard = await fakePackage('noshard', '4.4.0', { 'mobilenet_v2/model.min.js': await mobile('model.min.js') });
    const e = await errorOf(embeddedModelArtifacts('t', 'mobilenet-v2', missingShard));
    expect(e.message).toMatch(/the nsfwjs file ".*group1-shard1of1\.min\.js" must be readable, but reading it failed \(ENOENT\)\./);
  });
});

describe.skipIf(!hasNsfwjs)('InceptionV3 (nsfwjs)', () => {
  let vm: VisModel;
  let disposed = false;
  let before = 0;
  beforeAll(async () => {
    await useBackend('wasm');
    before = tf.memory().numTensors;
    vm = await loadDefaultModel({ name: 'inception-v3' });
  }, 60_000);
  afterAll(() => {
    if (!disposed) vm?.dispose();
  });

  it('loads with a relaxed input shape, cut at mixed10 (no Flatten/Dense head)', () => {
    expect(vm.imageShape).toEqual([null, null, 3]);
    expect(vm.inputRange).toEqual([0, 1]);
    const names = vm.layers.map((l) => l.name);
    expect(names[names.length - 1]).toBe('mixed10');
    expect(vm.layers.some((l) => /^(Flatten|Dense|Dropout)$/.test(l.kind))).toBe(false);
    expect(names).not.toContain('dense_3');
  });

  it('lists every mixed block (with its depth) and the 94 pre-activation batch_normalization_* layers', () => {
    const depth = (n: string) => vm.layer(n).depth;
    const expected: Record<string, number> = {
      mixed0: 256, mixed1: 288, mixed2: 288, mixed3: 768, mixed4: 768, mixed5: 768,
      mixed6: 768, mixed7: 768, mixed8: 1280, mixed9: 2048, mixed10: 2048,
    };
    for (const [n, d] of Object.entries(expected)) expect(depth(n), n).toBe(d);
    expect(vm.layers.filter((l) => /^batch_normalization_\d+$/.test(l.name))).toHaveLength(94);
    // mixed4's channels 0–191 are its 1×1 branch: relu(batch_normalization_31).
    expect(depth('batch_normalization_31')).toBe(192);
    expect(() => vm.layer('mixed_4')).toThrow(/mixed4/);
  });

  it('every layer and channel of the guide exists', () => {
    for (const { layer, channels } of INCEPTION_V3_LAYERS) {
      const info = vm.layer(layer);
      for (const c of channels) expect(c, `${layer}:${c}`).toBeLessThan(info.depth as number);
    }
    expect(vm.layer(INCEPTION_V3_TARGET.layer).depth).toBeGreaterThan(INCEPTION_V3_TARGET.channel);
  });

  it('mixed4:100 is relu(batch_normalization_31:100) (the guide\'s pre-activation mapping)', () => {
    tf.tidy(() => {
      const x = tf.randomUniform([1, 96, 96, 3], 0, 1, 'float32', 7) as tf.Tensor4D;
      const acts = vm.activations(x, ['mixed4', 'batch_normalization_31']);
      const post = tf.slice(acts.get('mixed4') as tf.Tensor4D, [0, 0, 0, 100], [-1, -1, -1, 1]).dataSync();
      const pre = tf.slice(acts.get('batch_normalization_31') as tf.Tensor4D, [0, 0, 0, 100], [-1, -1, -1, 1]).dataSync();
      expect(post.length).toBe(16); // 96 px → 4×4 at mixed4
      for (let i = 0; i < pre.length; i++) expect(post[i]).toBeCloseTo(Math.max(0, pre[i]), 5);
    });
  });

  it('a short render rises and fires well above random images, leak-free', async () => {
    // Only what the objective's layer depends on is computed: mixed2 keeps this short.
    const [layer, ch, size, steps] = ['mixed2', 40, 80, 16] as const;
    const param = image(size, { seed: 0 });
    const t0 = Date.now();
    const r = await expectNoLeak(() => renderVis(vm, channel(layer, ch), { param, seed: 0, thresholds: [steps - 1] })).finally(() => param.dispose());
    const seconds = (Date.now() - t0) / 1000;
    const { losses } = r;
    expect(losses).toHaveLength(steps);
    expect(losses.every(Number.isFinite)).toBe(true);
    const img = r.images[0];
    const [rendered, random] = tf.tidy(() => {
      const mean = (x: tf.Tensor4D) => tf.mean(tf.slice(vm.activations(x, [layer]).get(layer) as tf.Tensor4D, [0, 0, 0, ch], [-1, -1, -1, 1])).dataSync()[0];
      return [mean(tf.tensor4d(img.data, img.shape as [number, number, number, number])), mean(tf.randomUniform([2, size, size, 3], 0, 1, 'float32', 3) as tf.Tensor4D)];
    });
    console.log(
      `inception-v3 ${layer}:${ch}, ${steps} steps at ${size} px in ${seconds.toFixed(1)} s: loss ${losses[0].toFixed(3)} → ${losses[steps - 1].toFixed(3)}; rendered ${rendered.toFixed(3)} vs random ${random.toFixed(3)}`,
    );
    expect(losses[steps - 1]).toBeGreaterThan(2 * Math.max(losses[0], 0.05));
    expect(rendered).toBeGreaterThan(2 * Math.max(random, 0.05));
  }, 120_000);

  it('frees every tensor on dispose (load + dispose of a second instance)', async () => {
    const mid = tf.memory().numTensors;
    const other = await loadDefaultModel({ name: 'inception-v3', cutAt: 'mixed2' });
    expect(other.layers[other.layers.length - 1].name).toBe('mixed2');
    expect(tf.memory().numTensors).toBeGreaterThan(mid);
    other.dispose();
    expect(tf.memory().numTensors).toBe(mid);
    vm.dispose();
    disposed = true;
    expect(tf.memory().numTensors).toBe(before);
  }, 60_000);
});

describe.skipIf(!hasNsfwjs)('MobileNetV2 (the default) is unchanged', () => {
  it('no name = mobilenet-v2 cut at out_relu, relaxed input, range [0, 1]; leak-free', async () => {
    await useBackend('cpu');
    await expectNoLeak(async () => {
      const vm = await loadDefaultModel();
      expect(vm.layers[vm.layers.length - 1].name).toBe('out_relu');
      expect(vm.imageShape).toEqual([null, null, 3]);
      expect(vm.inputRange).toEqual([0, 1]);
      vm.dispose();
    });
  });
});

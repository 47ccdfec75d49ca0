/**
 * The loader fuzzer's cases and loop (run in a child process by loaderFuzz.test.ts, so that a hang
 * is a failure naming its case rather than a stuck test run). A seeded, time-bounded fuzzer over
 * the Node model loader (issue 11): model folders built from
 * the two fixture models (a LayersModel in several shards and a GraphModel), with mutated weights
 * manifests, topologies, shard files and model.json text, loaded with `loadModel`.
 *
 * For every case: either the model loads (and is disposed) or the loader throws an `OptvisError`
 * of the project's form (`Error in loadModel|fileHandler: … must …, but …`) with no raw JavaScript
 * error in our own words; no tensor is left; and the process's peak resident memory (VmHWM) grows
 * by less than {@link PEAK_RSS_GROWTH} over the whole run (the old loader reached 542 MB on a
 * 591-byte model.json, and 10 GB on one edited layer).
 *
 * Case i uses seed `SEED + i`; set OPTVIS_FUZZ_SEED / OPTVIS_FUZZ_MS to explore more. Everything is
 * written under a temporary folder; "outside" files live in that temporary folder, and the only
 * device is a symbolic link to /dev/zero that a correct loader never opens.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { OptvisError } from '../../src/errors';
import { loadModel } from '../../src/model/loadNode';
import { makeTestGraphModelArtifacts, makeTestLayersModel, TEST_LAYERS_MODEL_LAYERS } from '../fixtures/models';
import { peakRss } from '../helpers/rss';

let root = '';
let OUTSIDE = '';

type Json = Record<string, unknown>;
interface Group {
  paths: unknown;
  weights: unknown;
}
interface Base {
  kind: 'layers' | 'graph';
  json: Json & { modelTopology: Json; weightsManifest: Group[] };
  shards: Uint8Array[];
}

/** Small deterministic PRNG (mulberry32). */
function prng(seed: number) {
  let a = seed >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number): number => Math.floor(next() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)];
  return { next, int, pick, chance: (p: number) => next() < p };
}
type Rand = ReturnType<typeof prng>;

function split(data: Uint8Array, shardBytes: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let o = 0; o < data.length; o += shardBytes) out.push(data.slice(o, o + shardBytes));
  return out.length > 0 ? out : [new Uint8Array(0)];
}

let bases: Base[] = [];

async function layersBase(): Promise<Base> {
  const model = makeTestLayersModel(5);
  let saved: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      saved = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  model.dispose();
  const a = saved as tf.io.ModelArtifacts;
  const shards = split(new Uint8Array(a.weightData as ArrayBuffer), 2048);
  return {
    kind: 'layers',
    json: { format: 'layers-model', modelTopology: a.modelTopology as Json, weightsManifest: [{ paths: shards.map((_, i) => `group1-shard${i + 1}of${shards.length}.bin`), weights: a.weightSpecs }] },
    shards,
  };
}

function graphBase(): Base {
  const a = makeTestGraphModelArtifacts(3);
  const shards = split(new Uint8Array(a.weightData as ArrayBuffer), 4096);
  return {
    kind: 'graph',
    json: { format: 'graph-model', modelTopology: a.modelTopology as Json, weightsManifest: [{ paths: shards.map((_, i) => `s${i}.bin`), weights: a.weightSpecs }] },
    shards,
  };
}

// ---- mutations ------------------------------------------------------------------------------

const JUNK: readonly unknown[] = [null, 0, -1, 1.5, 1e9, 4_000_000, 2 ** 31, 'x', '', [], {}, [[]], true, [-1], [1e6, 1e6]];

function randomJson(r: Rand, depth = 0): unknown {
  const k = r.int(depth > 3 ? 4 : 7);
  if (k === 0) return r.pick(JUNK);
  if (k === 1) return r.int(1000) - 10;
  if (k === 2) return r.pick(['relu', 'same', 'Conv2D', 'kernel', '../x', 'float32']);
  if (k === 3) return null;
  if (k === 4) return Array.from({ length: r.int(4) }, () => randomJson(r, depth + 1));
  const o: Json = {};
  for (let i = r.int(4); i > 0; i--) o[r.pick(['name', 'config', 'class_name', 'shape', 'dtype', 'paths', 'a'])] = randomJson(r, depth + 1);
  return o;
}

function deepJson(depth: number): unknown {
  let v: unknown = [];
  for (let i = 0; i < depth; i++) v = [v];
  return v;
}

/** Every object (with its parent and key) in a JSON value, for random subtree edits. */
function slots(v: unknown, out: { parent: Json | unknown[]; key: string | number }[] = [], depth = 0): typeof out {
  if (v === null || typeof v !== 'object' || depth > 40) return out;
  const entries = Array.isArray(v) ? v.map((x, i) => [i, x] as const) : Object.entries(v as Json);
  for (const [k, x] of entries) {
    out.push({ parent: v as Json, key: k });
    slots(x, out, depth + 1);
  }
  return out;
}

const set = (slot: { parent: Json | unknown[]; key: string | number }, value: unknown): void => {
  (slot.parent as Record<string | number, unknown>)[slot.key] = value;
};

function layerConfigs(topo: Json): { class_name: string; config: Json; inbound_nodes?: unknown }[] {
  const mc = (topo.model_config ?? topo) as Json;
  const cfg = mc.config as Json | undefined;
  const layers = Array.isArray(cfg) ? cfg : (cfg?.layers as unknown[] | undefined);
  return Array.isArray(layers) ? (layers.filter((l) => l && typeof l === 'object' && (l as Json).config && typeof (l as Json).config === 'object') as never) : [];
}

interface Case {
  json: Base['json'];
  /** Shard files by name: bytes, or a special file. */
  files: Map<string, Uint8Array | { link: string } | 'fifo'>;
  modelText?: string;
  options: Json;
  log: string[];
}

/** A group of the (possibly already mutated) manifest, or null when there is none left. */
function someGroup(c: Case, r: Rand): Group | null {
  const m = c.json.weightsManifest as unknown;
  const gs = Array.isArray(m) ? (m.filter((g) => g !== null && typeof g === 'object' && !Array.isArray(g)) as Group[]) : [];
  return gs.length > 0 ? r.pick(gs) : null;
}

const MUTATIONS: readonly ((c: Case, r: Rand, base: Base) => void)[] = [
  // Manifest: group fields.
  (c, r) => {
    const g = someGroup(c, r);
    if (g === null) return;
    const v = r.pick<unknown>(['w.bin', 7, null, {}, [], [''], ['../outside.bin'], [OUTSIDE], ['a/../../outside.bin'], ['zero.bin'], ['pipe.bin'], ['nested/x.bin']]);
    g.paths = v;
    c.log.push(`paths = ${JSON.stringify(v)}`);
  },
  // Manifest: one weight entry's shape.
  (c, r) => {
    const ws = someGroup(c, r)?.weights;
    const objs = Array.isArray(ws) ? (ws.filter((x) => x !== null && typeof x === 'object' && !Array.isArray(x)) as Json[]) : [];
    if (!Array.isArray(ws) || objs.length === 0) return;
    const w = r.pick(objs);
    const shape = Array.isArray(w.shape) ? [...(w.shape as unknown[])] : [];
    const k = r.int(7);
    if (k === 0 && shape.length > 0) shape[r.int(shape.length)] = r.pick(JUNK);
    else if (k === 1) shape.push(r.pick([1, 2, 1e6]));
    else if (k === 2) shape.reverse();
    else if (k === 3) shape.splice(0, 1);
    else if (k === 4 && shape.length > 0) shape[r.int(shape.length)] = -(shape[0] as number);
    else if (k === 5) w.shape = r.pick(JUNK);
    else shape.push(-1, -1);
    if (k !== 5) w.shape = shape;
    c.log.push(`${String(w.name)}.shape = ${JSON.stringify(w.shape)}`);
  },
  // Manifest: dtype, name, quantization.
  (c, r) => {
    const ws = someGroup(c, r)?.weights;
    const objs = Array.isArray(ws) ? (ws.filter((x) => x !== null && typeof x === 'object' && !Array.isArray(x)) as Json[]) : [];
    if (!Array.isArray(ws) || objs.length === 0) return;
    const w = r.pick(objs);
    const k = r.int(4);
    if (k === 0) w.dtype = r.pick(['float64', 'string', 'int32', 'bool', 'complex64', 7, null]);
    else if (k === 1) w.name = r.pick([null, '', 'x', (ws[0] as Json).name, 'conv1/kernel']);
    else if (k === 2) w.quantization = r.pick([{ dtype: 'uint8', scale: 0.1, min: -1 }, { dtype: 'float16' }, { dtype: 'uint4' }, { dtype: 'uint16', scale: null, min: 0 }, 'q']);
    else delete w[r.pick(['name', 'shape', 'dtype'])];
    c.log.push(`entry ${String(w.name)} = ${JSON.stringify(w)}`);
  },
  // Manifest: entries dropped, duplicated, reordered; or the whole manifest replaced.
  (c, r) => {
    const g = someGroup(c, r);
    if (g === null) return;
    const ws = Array.isArray(g.weights) ? [...(g.weights as unknown[])] : [];
    const k = r.int(5);
    if (k === 0 && ws.length > 0) ws.splice(r.int(ws.length), 1);
    else if (k === 1 && ws.length > 0) ws.push(ws[r.int(ws.length)]);
    else if (k === 2) ws.reverse();
    else if (k === 3) g.weights = r.pick(JUNK);
    else (c.json as Json).weightsManifest = r.pick([[], {}, null, [[]], [7]]);
    if (k < 3) g.weights = ws;
    c.log.push(`manifest edit ${k}`);
  },
  // Topology (layers): a numeric field of a layer.
  (c, r, base) => {
    if (base.kind !== 'layers') return;
    const layers = layerConfigs(c.json.modelTopology);
    if (layers.length === 0) return;
    const l = r.pick(layers);
    const key = r.pick(['filters', 'units', 'kernel_size', 'strides', 'depth_multiplier', 'axis', 'pool_size', 'epsilon', 'dilation_rate', 'padding']);
    const v = r.pick<unknown>([0, -1, 1.5, 3, 1e6, 4_000_000, 2 ** 31, null, 'x', [2, 2], [1e5, 1e5]]);
    l.config[key] = v;
    c.log.push(`${String(l.config.name)}.${key} = ${JSON.stringify(v)}`);
  },
  // Topology (layers): class name, config keys, wiring, input shape.
  (c, r, base) => {
    if (base.kind !== 'layers') return;
    const layers = layerConfigs(c.json.modelTopology);
    if (layers.length === 0) return;
    const l = r.pick(layers);
    const k = r.int(5);
    if (k === 0) l.class_name = r.pick(['Dense', 'Conv2D', 'DepthwiseConv2D', 'NoSuchLayer', 'Flatten', 'Embedding', 'LSTM', 'Model']);
    else if (k === 1) delete l.config[r.pick(Object.keys(l.config))];
    else if (k === 2) l.inbound_nodes = r.pick([[[['nope', 0, 0, {}]]], [], 'x', [[[String(layers[0].config.name), 9, 9, {}]]]]);
    else if (k === 3) (l as unknown as Json).name = (r.pick(layers) as unknown as Json).name; // entry names shared: tfjs loops forever on that
    else l.config.batch_input_shape = r.pick([[null, 1e6, 1e6, 3], [null, null, null, 4e6], [null, 8, 8, 3], 'x', [-1, -1]]);
    c.log.push(`${String(l.config.name)} edit ${k}: ${JSON.stringify(l).slice(0, 200)}`);
  },
  // Topology (graph): ops, inputs, attributes, versions.
  (c, r, base) => {
    if (base.kind !== 'graph') return;
    const nodes = c.json.modelTopology.node as Json[];
    const n = r.pick(nodes);
    const k = r.int(5);
    if (k === 0) n.op = r.pick(['NoSuchOp', 'Const', 'Conv2D', 'Placeholder', 'MatMul']);
    else if (k === 1) n.input = r.pick([['nope'], [], 'x', [String(nodes[0].name), String(nodes[0].name), 'zzz']]);
    else if (k === 2) delete n[r.pick(['attr', 'op', 'name'])];
    else if (k === 3) delete c.json.modelTopology.versions;
    else n.attr = randomJson(r) as Json;
    c.log.push(`node ${String(n.name)} edit ${k}`);
  },
  // Anywhere in the topology: a subtree replaced by random or deeply nested JSON.
  (c, r) => {
    const all = slots(c.json.modelTopology);
    if (all.length === 0) return;
    const slot = r.pick(all);
    const v = r.chance(0.15) ? deepJson(600 + r.int(3000)) : randomJson(r);
    set(slot, v);
    c.log.push(`topology[${String(slot.key)}] = ${JSON.stringify(v)?.slice(0, 80)}`);
  },
  // Shard files: size, contents, non-finite values, special files, removal.
  (c, r) => {
    const names = [...c.files.keys()];
    if (names.length === 0) return;
    const name = r.pick(names);
    const f = c.files.get(name);
    if (!(f instanceof Uint8Array)) return;
    const k = r.int(8);
    if (k === 0) c.files.set(name, f.slice(0, r.int(f.length + 1)));
    else if (k === 1) c.files.set(name, new Uint8Array([...f, ...new Uint8Array(1 + r.int(64))]));
    else if (k === 2) c.files.set(name, new Uint8Array(0));
    else if (k === 3 && f.length >= 4) {
      const g = f.slice();
      new DataView(g.buffer).setFloat32(4 * r.int(g.length >> 2), r.pick([NaN, Infinity, -Infinity]), true);
      c.files.set(name, g);
    } else if (k === 4) c.files.set(name, { link: r.pick([OUTSIDE, '../outside.bin', '/dev/zero', 'nonexistent.bin']) });
    else if (k === 5) c.files.set(name, 'fifo');
    else if (k === 6) c.files.delete(name);
    else {
      const g = f.slice();
      for (let i = 0; i < 8 && g.length > 0; i++) g[r.int(g.length)] = r.int(256);
      c.files.set(name, g);
    }
    c.log.push(`shard ${name} edit ${k}`);
  },
  // model.json text: cut, a byte flipped, junk appended.
  (c, r) => {
    const text = JSON.stringify(c.json);
    const k = r.int(3);
    if (k === 0) c.modelText = text.slice(0, r.int(text.length));
    else if (k === 1) {
      const i = r.int(text.length);
      c.modelText = text.slice(0, i) + String.fromCharCode(r.int(128)) + text.slice(i + 1);
    } else c.modelText = text + r.pick(['x', '{}', '\u0000', ' ']);
    c.log.push(`model.json text edit ${k}`);
  },
  // Options: strict false, cutAt.
  (c, r) => {
    c.options.strict = r.chance(0.5);
    if (r.chance(0.5)) c.options.cutAt = r.pick<unknown>([...TEST_LAYERS_MODEL_LAYERS, 'conv5/Relu', 'nope', '', 3]);
    c.log.push(`options ${JSON.stringify(c.options)}`);
  },
];

/** The mutated model of case seed `seed` written to `dir` (for reproducing a failure by hand). */
export async function writeFuzzCase(seed: number, dir: string): Promise<string[]> {
  if (bases.length === 0) bases = [await layersBase(), graphBase()];
  const r = prng(seed);
  const c = makeCase(r, bases[r.int(bases.length)]);
  writeCase(c, dir);
  return [...c.log, `options ${JSON.stringify(c.options)}`];
}

function makeCase(r: Rand, base: Base): Case {
  const c: Case = { json: structuredClone(base.json), files: new Map(), options: { inputRange: [-1, 1] }, log: [`base ${base.kind}`] };
  (base.json.weightsManifest[0].paths as string[]).forEach((p, i) => c.files.set(p, base.shards[i].slice()));
  for (let n = 1 + r.int(3); n > 0; n--) r.pick(MUTATIONS)(c, r, base);
  return c;
}

function writeCase(c: Case, dir: string): void {
  mkdirSync(dir);
  writeFileSync(join(dir, 'model.json'), c.modelText ?? JSON.stringify(c.json));
  symlinkSync('/dev/zero', join(dir, 'zero.bin'));
  if ((c.modelText ?? JSON.stringify(c.json)).includes('pipe.bin')) execFileSync('mkfifo', [join(dir, 'pipe.bin')]);
  for (const [name, f] of c.files) {
    const file = join(dir, name);
    if (f instanceof Uint8Array) writeFileSync(file, f);
    else if (f === 'fifo') execFileSync('mkfifo', [file]);
    else symlinkSync(f.link, file);
  }
}


/** Raw JavaScript errors that must never be the message itself (only inside a quoted tfjs cause). */
const RAW = /is not a function|Cannot read propert|is not iterable|Maximum call stack|undefined is not|of undefined|of null\b/;
const FORM = /^Error in (loadModel|fileHandler): \S.* must .*but /s;


/** What one fuzz run found. */
export interface FuzzReport {
  seed: number;
  cases: number;
  loaded: number;
  refused: number;
  /** Distinct message shapes (quoted names and numbers blanked) with their counts. */
  kinds: Record<string, number>;
  /** One line per broken expectation, naming the case and its mutations. */
  failures: string[];
  elapsedMs: number;
  /** Peak resident memory (VmHWM) after the warm-up loads and at the end, bytes; null without /proc. */
  peakBefore: number | null;
  peakAfter: number | null;
}

/**
 * Runs cases `0, 1, …` (case i seeded with `seed + i`) until `budgetMs` has passed or `maxCases`
 * ran. `onCase(i, log)` is called before each case (the child prints it, so a hang names its case).
 */
export async function runLoaderFuzz(options: { seed: number; budgetMs: number; maxCases: number; onCase?: (i: number, log: string) => void }): Promise<FuzzReport> {
  root = mkdtempSync(join(tmpdir(), 'optvis-fuzz-'));
  OUTSIDE = join(root, 'outside.bin');
  try {
    writeFileSync(OUTSIDE, new Uint8Array(4096).fill(1));
    bases = [await layersBase(), graphBase()];
    const addWeight = (tfl.layers.Layer.prototype as unknown as { addWeight: unknown }).addWeight;
    // Warm up: one clean load of each base, so that the peak below excludes tfjs's own start-up.
    for (const base of bases) {
      const dir = join(root, `warm-${base.kind}`);
      writeCase({ json: base.json, files: new Map((base.json.weightsManifest[0].paths as string[]).map((p, i) => [p, base.shards[i]])), options: {}, log: [] }, dir);
      (await loadModel(dir, { inputRange: [-1, 1] })).dispose();
      rmSync(dir, { recursive: true, force: true });
    }
    const report: FuzzReport = { seed: options.seed, cases: 0, loaded: 0, refused: 0, kinds: {}, failures: [], elapsedMs: 0, peakBefore: peakRss(), peakAfter: null };
    const baseTensors = tf.memory().numTensors;
    const started = Date.now();
    for (let i = 0; i < options.maxCases && Date.now() - started < options.budgetMs; i++) {
      const r = prng(options.seed + i);
      const c = makeCase(r, bases[r.int(bases.length)]);
      const where = `case ${i} (seed ${options.seed + i}): ${c.log.join('; ')}`;
      options.onCase?.(i, where);
      const dir = join(root, `case-${i}`);
      writeCase(c, dir);
      try {
        const vm = await loadModel(dir, c.options as never);
        vm.dispose();
        report.loaded++;
      } catch (e) {
        report.refused++;
        const msg = e instanceof Error ? e.message : String(e);
        if (!(e instanceof OptvisError)) report.failures.push(`${where}: not an OptvisError: ${msg}`);
        else if (!FORM.test(msg)) report.failures.push(`${where}: message not of the form "Error in loadModel|fileHandler: … must …, but …": ${msg}`);
        else if (RAW.test(msg.split(' failed: ')[0])) report.failures.push(`${where}: raw JavaScript error in the message: ${msg}`);
        else if (msg.length >= 1500) report.failures.push(`${where}: message of ${msg.length} characters`);
        const kind = msg.replace(/^Error in \w+: /, '').replace(/".*?"|\[.*?\]|\d+/g, '·').slice(0, 70);
        report.kinds[kind] = (report.kinds[kind] ?? 0) + 1;
      }
      const left = tf.memory().numTensors - baseTensors;
      if (left !== 0) report.failures.push(`${where}: ${left} tensors left`);
      if ((tfl.layers.Layer.prototype as unknown as { addWeight: unknown }).addWeight !== addWeight) report.failures.push(`${where}: Layer.prototype.addWeight not restored`);
      rmSync(dir, { recursive: true, force: true });
      report.cases++;
      if (report.failures.length >= 20) break;
    }
    report.elapsedMs = Date.now() - started;
    report.peakAfter = peakRss();
    return report;
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

// Run as a script (by loaderFuzz.test.ts): print each case before running it, then the report.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const seed = Number(process.env.OPTVIS_FUZZ_SEED ?? 20261129);
  const budgetMs = Number(process.env.OPTVIS_FUZZ_MS ?? 15_000);
  void (async () => {
    await tf.setBackend('cpu');
    await tf.ready();
    const report = await runLoaderFuzz({ seed, budgetMs, maxCases: 5000, onCase: (_, log) => writeSync(1, `CASE ${log}\n`) });
    writeSync(1, `REPORT ${JSON.stringify(report)}\n`);
  })().catch((e: unknown) => {
    writeSync(1, `CRASH ${e instanceof Error ? e.stack : String(e)}\n`);
    process.exitCode = 1;
  });
}

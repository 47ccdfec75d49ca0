/**
 * Puts the results of the transparency examples into the docs: copies the PNGs of a render
 * directory to docs/images/ and rewrites a results block of docs/transparency.md from the
 * directory's `transparency-results.jsonl` (one row per finished run, with its time; runs not at
 * the notebook's settings are labelled "shortened"). Not an example; a helper for the docs:
 *
 *   npx tsx examples/lib/update-transparency-docs.ts <render-dir> [model]
 *
 * `model` (default: the examples' default, TRANSPARENCY_MODEL) says which network rendered the
 * directory. The default model's results fill `<!-- transparency-results:start -->` …
 * `<!-- transparency-results:end -->` in README.md and docs/transparency.md; another model's fill
 * `<!-- transparency-results-<model>:start -->` … `:end -->` in docs/transparency.md only, and its
 * model-independent file names (the opening run, experiment 2) get a `<model>-` prefix.
 */
import { copyFileSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { TRANSPARENCY_MODEL, unitsFor } from './units';

interface Meaning { real: number; shuffled: number; wins: number; count: number }
interface Row {
  experiment: number | string;
  unit: string;
  background?: string;
  title?: string;
  w: number;
  steps: number;
  seconds: number;
  /** set by hand when the render was paused (SIGSTOP) for an unknown time: its wall time is not a measurement */
  paused?: boolean;
  alphaMean?: number;
  concentration?: number;
  meaning?: Meaning;
  run?: number;
  sharedParamCoef?: number;
  perBackground?: { background: string; adversarial: boolean; alphaMean: number; concentration: number; meaning: Meaning }[];
}

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const dir = process.argv[2];
const model = process.argv[3] ?? TRANSPARENCY_MODEL;
if (!dir) {
  process.stderr.write('usage: update-transparency-docs.ts <render-dir> [model]\n');
  process.exit(2);
}
const isDefault = model === TRANSPARENCY_MODEL;
/** docs/images name of a render's PNG: the opening run and experiment 2 are named per model. */
const imageName = (f: string) => (isDefault || !/^transparency-(opening|shared-\d+)\.png$/.test(f) ? f : f.replace(/^transparency-/, `transparency-${model}-`));
const rows: Row[] = readFileSync(path.join(dir, 'transparency-results.jsonl'), 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Row);
for (const f of readdirSync(dir)) {
  if (/^transparency-.*\.png$/.test(f) && f !== 'transparency-unit-search.png') copyFileSync(path.join(dir, f), path.join(root, 'docs', 'images', imageName(f)));
}

const minutes = (s: number, paused = false) => (paused ? '— (paused)' : `${(s / 60).toFixed(0)} min`);
const slug = (u: string) => u.replace(':', '-');
const full = (r: Row) => (r.experiment === 'opening' ? r.w === 256 && r.steps === 512 : r.w === 128 && r.steps === 512);
const label = (r: Row) => (full(r) ? '' : ` (**shortened: ${r.w} px, ${r.steps} steps**)`);
const m = (x: Meaning) => `${x.real.toFixed(2)} vs ${x.shuffled.toFixed(2)} (${x.wins}/${x.count})`;
const exp1 = rows.filter((r) => r.experiment === 1);
const units = [...new Set(exp1.map((r) => r.unit))];

function exp1Tables(prefix: string, height: number, withNumbers: boolean): string[] {
  const out: string[] = [];
  for (const u of units) {
    out.push('', `\`${u}\` — the notebook's \`test()\`:`, '');
    out.push(withNumbers
      ? '| background | foreground on white \\| background | time | mean α | α concentration | activation: real α vs shuffled α (real wins) |\n|---|---|---|---|---|---|'
      : '| background | foreground on white \\| background | time |\n|---|---|---|');
    for (const r of exp1.filter((x) => x.unit === u)) {
      const img = `<img src="${prefix}/transparency-${slug(u)}-${r.background}.png" height="${height}">`;
      out.push(withNumbers
        ? `| ${r.title}${label(r)} | ${img} | ${minutes(r.seconds, r.paused)} | ${r.alphaMean?.toFixed(3)} | ${r.concentration?.toFixed(3)} | ${r.meaning ? m(r.meaning) : ''} |`
        : `| ${r.title}${label(r)} | ${img} | ${minutes(r.seconds, r.paused)} |`);
    }
  }
  return out;
}

function others(prefix: string): string[] {
  const out: string[] = [];
  for (const r of rows.filter((x) => x.experiment === 'opening')) {
    out.push('', `The notebook's opening run (\`${r.unit}\`, ${r.w} px, noise background, its own transforms)${label(r)}: ${minutes(r.seconds, r.paused)}, mean α ${r.alphaMean?.toFixed(3)}, activation ${r.meaning ? m(r.meaning) : ''}`, '', `<img src="${prefix}/${imageName('transparency-opening.png')}" height="192">`);
  }
  for (const r of rows.filter((x) => x.experiment === 2)) {
    out.push('', `Experiment 2, run ${r.run} (\`${r.unit}\`, \`shared_param_coef\` ${r.sharedParamCoef})${label(r)}: ${minutes(r.seconds, r.paused)}. Rows: the composites the model saw, the foregrounds on white, the backgrounds (columns: the 8 backgrounds of \`bg_list\`).`, '', `<img src="${prefix}/${imageName(`transparency-shared-${r.run}.png`)}" width="820">`);
  }
  return out;
}

function meaningTable(): string[] {
  const kinds = new Map<string, { ms: Meaning[]; units: Set<string> }>();
  const add = (k: string, u: string, x: Meaning) => {
    const e = kinds.get(k) ?? { ms: [], units: new Set<string>() };
    e.ms.push(x);
    e.units.add(u);
    kinds.set(k, e);
  };
  for (const r of rows) {
    if (r.experiment === 1 && r.meaning && r.title) add(`experiment 1: ${r.title}`, r.unit, r.meaning);
    if (r.experiment === 'opening' && r.meaning) add('opening run: noise background', r.unit, r.meaning);
    for (const b of r.perBackground ?? []) add(`experiment 2: ${b.background}`, r.unit, b.meaning);
  }
  const out = ['', '| background kind | foregrounds (units) | real α wins | mean activation, real α | mean activation, shuffled α |', '|---|---|---|---|---|'];
  for (const [k, { ms, units: us }] of kinds) {
    const avg = (f: (x: Meaning) => number) => (ms.reduce((s, x) => s + f(x), 0) / ms.length).toFixed(3);
    out.push(`| ${k} | ${ms.length} (${[...us].map((u) => `\`${u}\``).join(', ')}) | ${ms.reduce((s, x) => s + x.wins, 0)}/${ms.reduce((s, x) => s + x.count, 0)} | ${avg((x) => x.real)} | ${avg((x) => x.shuffled)} |`);
  }
  return out;
}

function replaceBlock(file: string, body: string[]): void {
  const p = path.join(root, file);
  const text = readFileSync(p, 'utf8');
  const tag = isDefault ? 'transparency-results' : `transparency-results-${model}`;
  const start = `<!-- ${tag}:start -->`;
  const end = `<!-- ${tag}:end -->`;
  const i = text.indexOf(start);
  const j = text.indexOf(end);
  if (i < 0 || j < i) throw new Error(`${file} has no ${start} … ${end} block`);
  writeFileSync(p, `${text.slice(0, i + start.length)}\n${body.join('\n')}\n${text.slice(j)}`);
}

/** What the notebook runs that has no full-settings result yet. */
function missing(): string[] {
  const done = (f: (r: Row) => boolean) => rows.some((r) => f(r) && full(r));
  const list: string[] = [];
  for (const u of unitsFor(model).map((x) => `${x.layer}:${x.n}`)) {
    const n = rows.filter((r) => r.experiment === 1 && r.unit === u && full(r)).length;
    if (n < 7) list.push(`\`test()\` on \`${u}\` (${n}/7 backgrounds done)`);
  }
  if (!done((r) => r.experiment === 'opening')) list.push('the opening run');
  for (let k = 1; k <= 5; k++) if (!done((r) => r.experiment === 2 && r.run === k)) list.push(`experiment 2 run ${k}`);
  return list.length === 0 ? [] : ['', `Not rendered at the notebook's settings yet: ${list.join('; ')}.`];
}

replaceBlock('docs/transparency.md', [...missing(), ...exp1Tables('images', 96, true), ...others('images'), '', '"Alpha carries the meaning", per background kind:', ...meaningTable()]);
if (isDefault) replaceBlock('README.md', [...missing(), ...exp1Tables('docs/images', 64, false), ...others('docs/images')]);
process.stdout.write(`updated ${isDefault ? 'README.md and ' : ''}docs/transparency.md (${model}) from ${rows.length} runs\n`);

/**
 * The experiments of Lucid's "semi-transparent feature visualization" notebook, written on the
 * library's `transparency` namespace: `alpha_experiment` (experiment 1), `alpha_experiment_2`
 * (experiment 2), the notebook's background lists, and two measurements that are not in the
 * notebook — how concentrated a final alpha is, and whether the alpha carries the meaning.
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  objectives,
  param,
  render,
  transparency,
  io,
  Rng,
  type ImageArray,
  type Objective,
  type Transform,
  type VisModel,
} from 'tfjs-optvis/node';
import { runSteps } from './common';

/** A unit: a channel of a layer (the notebook's `layer, neuron`). */
export interface Unit {
  readonly layer: string;
  readonly n: number;
}

/** Parses `layer:n[,layer:n...]`. */
export function parseUnits(text: string): Unit[] {
  return text.split(',').map((s) => {
    const i = s.lastIndexOf(':');
    const n = Number(s.slice(i + 1));
    if (i <= 0 || !Number.isInteger(n) || n < 0) throw new Error(`a unit must be "layer:n", but got ${JSON.stringify(s)}`);
    return { layer: s.slice(0, i), n };
  });
}

export const unitName = (u: Unit): string => `${u.layer}:${u.n}`;

/** One background of the notebook: its title, whether it fights the objective, `make_bg_func`'s arguments. */
export interface BackgroundSpec {
  readonly title: string;
  /** Short name for files and tables. */
  readonly key: string;
  readonly adversarial: boolean;
  readonly options: Omit<transparency.BackgroundOptions, 'seed'>;
}

const IMG = { noiseRatio: 0.0, decayPower: 1.5, baseSd: 0.3, decorrelate: true, varMode: 'image' } as const;
const COLOR = { noiseRatio: 0.0, decayPower: 1.5, baseSd: 0.3, decorrelate: true, varMode: 'color' } as const;

/** The seven backgrounds of the notebook's `test()`, in its order, with its exact `make_bg_func` arguments. */
export const TEST_BACKGROUNDS: readonly BackgroundSpec[] = [
  { title: 'Adverserial Background Image Full', key: 'adv-image-full', adversarial: true, options: { ...IMG, varImageJitter: 0 } },
  { title: 'Adverserial Background Image Random Offset', key: 'adv-image-offset', adversarial: true, options: { ...IMG, varImageJitter: 128 } },
  { title: 'Adverserial Background Color', key: 'adv-color', adversarial: true, options: COLOR },
  { title: 'Noise Background', key: 'noise', adversarial: true, options: { noiseRatio: 1.0, decayPower: 2, baseSd: 0.1, decorrelate: true, varMode: 'color' } },
  { title: 'Allied Background Color', key: 'allied-color', adversarial: false, options: COLOR },
  { title: 'Allied Background Image Random Offset', key: 'allied-image-offset', adversarial: false, options: { ...IMG, varImageJitter: 128 } },
  { title: 'Allied Background Image Full', key: 'allied-image-full', adversarial: false, options: { ...IMG, varImageJitter: 0 } },
];

/** The notebook's 8-entry `bg_list` of experiment 2 (adversarial flag, `make_bg_func` arguments), in order. */
export const BG_LIST: readonly BackgroundSpec[] = [
  { title: 'adversarial image, jitter 2', key: 'adv-image-j2', adversarial: true, options: { ...IMG, varImageJitter: 2 } },
  { title: 'adversarial image, random offset', key: 'adv-image-offset', adversarial: true, options: { ...IMG, varImageJitter: 128 } },
  { title: 'adversarial colour', key: 'adv-color', adversarial: true, options: COLOR },
  { title: 'noise sd 0.4, decay 2', key: 'noise-0.4', adversarial: true, options: { noiseRatio: 1.0, decayPower: 2, baseSd: 0.4, decorrelate: true } },
  { title: 'noise sd 0.1, decay 2', key: 'noise-0.1', adversarial: true, options: { noiseRatio: 1.0, decayPower: 2, baseSd: 0.1, decorrelate: true } },
  { title: 'allied colour', key: 'allied-color', adversarial: false, options: COLOR },
  { title: 'allied image, random offset', key: 'allied-image-offset', adversarial: false, options: { ...IMG, varImageJitter: 128 } },
  { title: 'allied image, jitter 2', key: 'allied-image-j2', adversarial: false, options: { ...IMG, varImageJitter: 2 } },
];

/** Settings of one `alpha_experiment` run (the notebook's keyword arguments). */
export interface ExperimentSettings {
  readonly w: number;
  readonly steps: number;
  readonly jitterN: number;
  readonly alphaLossCoef: number;
  /** `undefined` = Lucid's standard transforms (`make_vis_T`'s default). */
  readonly transforms?: readonly Transform[];
  readonly seed: number;
}

/** What a finished run returns: plain arrays (nothing to dispose). */
export interface ExperimentResult {
  /** `[N, w, w, 4]` final RGBA foregrounds. */
  readonly rgba: ImageArray;
  /** `[N, w, w, 3]` the backgrounds as the notebook shows them (`t_bg.eval()`: a fresh draw). */
  readonly background: ImageArray;
  /** `[N, w, w, 3]` the foregrounds over white. */
  readonly onWhite: ImageArray;
  /** `[N, w−j, w−j, 3]` the item-0 composites (the notebook's `flats[::2]`). */
  readonly composites: ImageArray;
  readonly loss: number;
  readonly seconds: number;
}

const toArray = (t: tf.Tensor): ImageArray => ({ shape: [...t.shape], data: new Float32Array(t.dataSync()) });

async function optimize(
  vm: VisModel,
  objective: Objective,
  p: ReturnType<typeof transparency.composite>,
  s: ExperimentSettings,
  label: string,
): Promise<ExperimentResult> {
  const session = render.visSession(vm, objective, { param: p, transforms: s.transforms, seed: s.seed });
  try {
    const every = Math.max(1, Math.floor(s.steps / 4));
    const { loss, seconds } = await runSteps(session, s.steps, (i, l) => {
      if (i % every === 0 && i < s.steps) process.stdout.write(`  ${label}: step ${i}/${s.steps} objective ${l.toFixed(3)}\n`);
    });
    const out = tf.tidy(() => {
      const o = p.build ? p.build() : { image: p.image() };
      const image = o.image;
      const n = image.shape[0] / 2;
      const firsts = tf.gather(image, Array.from({ length: n }, (_, k) => 2 * k));
      return [o.foreground, o.background, o.onWhite, firsts];
    });
    try {
      const [rgba, background, onWhite, composites] = out.map(toArray);
      return { rgba, background, onWhite, composites, loss, seconds };
    } finally {
      tf.dispose(out);
    }
  } finally {
    session.dispose();
  }
}

/**
 * The notebook's `alpha_experiment`: one RGBA foreground (`param.image(w, alpha=True)`) over one
 * background, objective `channel(batch 0) ∓ channel(batch 1) + alphaLossCoef · alpha penalty`.
 */
export async function alphaExperiment(vm: VisModel, unit: Unit, bg: BackgroundSpec, s: ExperimentSettings): Promise<ExperimentResult> {
  const rng = new Rng(s.seed);
  const fg = param.image(s.w, { alpha: true, seed: rng.seed() });
  const back = transparency.background(s.w, { ...bg.options, seed: rng.seed() });
  const p = transparency.composite(fg, [back], { jitter: s.jitterN, seed: rng.seed() });
  try {
    const c0 = objectives.channel(unit.layer, unit.n, { batch: 0 });
    const c1 = objectives.channel(unit.layer, unit.n, { batch: 1 });
    const obj = (bg.adversarial ? c0.sub(c1) : c0.add(c1)).add(transparency.alphaPenalty({ weight: s.alphaLossCoef }));
    return await optimize(vm, obj, p, s, bg.title);
  } finally {
    p.dispose();
  }
}

/**
 * The notebook's `alpha_experiment_2`: N foregrounds with a partly shared parameterization, one per
 * background, batch 2N; objective per pair `neuron(2n) + sign·(neuron(2n+1) + channel(2n+1))`
 * (sign −1 for adversarial backgrounds) plus `1e4 · Σ` alpha penalties.
 */
export async function alphaExperiment2(
  vm: VisModel,
  unit: Unit,
  bgs: readonly BackgroundSpec[],
  s: ExperimentSettings & { readonly sharedParamCoef: number },
): Promise<ExperimentResult> {
  const rng = new Rng(s.seed);
  const fgs = transparency.sharedForegrounds(s.w, bgs.length, { sharedParamCoef: s.sharedParamCoef, seed: rng.seed() });
  const backs = bgs.map((b) => transparency.background(s.w, { ...b.options, seed: rng.seed() }));
  const p = transparency.composite(fgs, backs, { jitter: s.jitterN, seed: rng.seed() });
  try {
    const terms: Objective[] = [];
    bgs.forEach((b, n) => {
      terms.push(objectives.neuron(unit.layer, unit.n, { batch: 2 * n }));
      const second = objectives.neuron(unit.layer, unit.n, { batch: 2 * n + 1 }).add(objectives.channel(unit.layer, unit.n, { batch: 2 * n + 1 }));
      terms.push(b.adversarial ? second.neg() : second);
    });
    const obj = objectives.Objective.sum(terms).add(transparency.alphaPenalty({ weight: s.alphaLossCoef }));
    return await optimize(vm, obj, p, s, `coef ${s.sharedParamCoef}`);
  } finally {
    p.dispose();
  }
}

/** Image `i` of a batch, `[h, w, c]` → `[1, h, w, c]`. */
export function item(a: ImageArray, i: number): ImageArray {
  const [, h, w, c] = a.shape;
  const size = h * w * c;
  return { shape: [1, h, w, c], data: a.data.slice(i * size, (i + 1) * size) };
}

/** Centres every image of `a` on a white `size × size` canvas (for rows of jittered composites). */
export function padTo(a: ImageArray, size: number): ImageArray {
  const [b, h, w, c] = a.shape;
  const out = new Float32Array(b * size * size * c).fill(1);
  const oy = Math.floor((size - h) / 2), ox = Math.floor((size - w) / 2);
  for (let i = 0; i < b; i++) for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let k = 0; k < c; k++) {
    out[((i * size + y + oy) * size + x + ox) * c + k] = a.data[((i * h + y) * w + x) * c + k];
  }
  return { shape: [b, size, size, c], data: out };
}

/** The notebook's row: foreground on white | background, no gap. */
export function notebookRow(r: ExperimentResult, i = 0): ImageArray {
  return io.hstack([item(r.onWhite, i), item(r.background, i)]);
}

/**
 * How concentrated an alpha is: the largest share of the total alpha that fits in a window of a
 * quarter of the area (w/2 × w/2). 0.25 for a uniform alpha, 1 for an object that fits the window.
 */
export function alphaConcentration(rgba: ImageArray, i = 0): number {
  const [, h, w] = rgba.shape;
  const a = new Float64Array((h + 1) * (w + 1));
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const v = rgba.data[((i * h + y) * w + x) * 4 + 3];
      a[(y + 1) * (w + 1) + x + 1] = v + a[y * (w + 1) + x + 1] + a[(y + 1) * (w + 1) + x] - a[y * (w + 1) + x];
    }
  }
  const total = a[h * (w + 1) + w];
  const wh = Math.floor(h / 2), ww = Math.floor(w / 2);
  let best = 0;
  for (let y = 0; y + wh <= h; y++) {
    for (let x = 0; x + ww <= w; x++) {
      const s = a[(y + wh) * (w + 1) + x + ww] - a[y * (w + 1) + x + ww] - a[(y + wh) * (w + 1) + x] + a[y * (w + 1) + x];
      best = Math.max(best, s);
    }
  }
  return total > 0 ? best / total : 0;
}

/** Mean of image `i`'s alpha. */
export function alphaMean(rgba: ImageArray, i = 0): number {
  const [, h, w] = rgba.shape;
  let s = 0;
  for (let k = 0; k < h * w; k++) s += rgba.data[(i * h * w + k) * 4 + 3];
  return s / (h * w);
}

/** Result of {@link alphaMeaning}. */
export interface AlphaMeaning {
  /** Mean activation over the random backgrounds with the real alpha. */
  readonly real: number;
  /** The same with the alpha's pixels shuffled (same values, same mean). */
  readonly shuffled: number;
  /** On how many of the backgrounds the real alpha gives the higher activation. */
  readonly wins: number;
  readonly count: number;
}

/**
 * Does the alpha carry the meaning? The unit's activation when foreground `i` is composited over
 * `count` fresh random backgrounds (`param.imageSample`, decay 1.5, sd 0.8·20^−0.5 = the defaults of
 * `make_bg_func`), against the same foreground with its alpha shuffled spatially (one seeded
 * permutation of the pixels: same values, same mean). `how`: `'channel'` = the channel's mean,
 * `'neuron'` = the centre position. No transforms.
 */
export function alphaMeaning(vm: VisModel, unit: Unit, rgba: ImageArray, i: number, how: 'channel' | 'neuron', seed: number, count = 16): AlphaMeaning {
  const [, h, w] = rgba.shape;
  const rng = new Rng(seed);
  const fg = item(rgba, i);
  // Shuffled copy: permute the alpha values over the h·w positions.
  const perm = Array.from({ length: h * w }, (_, k) => k);
  for (let k = perm.length - 1; k > 0; k--) {
    const j = rng.int(k + 1);
    [perm[k], perm[j]] = [perm[j], perm[k]];
  }
  const shuffled = new Float32Array(fg.data);
  for (let k = 0; k < h * w; k++) shuffled[k * 4 + 3] = fg.data[perm[k] * 4 + 3];
  const sample = param.imageSample([count, h, w, 3], { sd: 0.8 * 20 ** -0.5, decayPower: 1.5, seed: rng.seed() });
  try {
    const scores = tf.tidy(() => {
      const bgs = sample.image();
      const acts = (data: Float32Array) => {
        const x = tf.tile(tf.tensor4d(data, [1, h, w, 4]), [count, 1, 1, 1]) as tf.Tensor4D;
        const comp = transparency.over(x, bgs);
        const a = vm.activations(comp, [unit.layer]).get(unit.layer) as tf.Tensor4D;
        const [, ah, aw, ac] = a.shape;
        const ch = tf.slice(a, [0, 0, 0, unit.n], [count, ah, aw, 1]);
        const v = how === 'channel' ? tf.mean(ch, [1, 2, 3]) : tf.reshape(tf.slice(ch, [0, Math.floor(ah / 2), Math.floor(aw / 2), 0], [count, 1, 1, 1]), [count]);
        void ac;
        return v;
      };
      return tf.stack([acts(fg.data), acts(shuffled)]);
    });
    const v = scores.arraySync() as number[][];
    scores.dispose();
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    return { real: mean(v[0]), shuffled: mean(v[1]), wins: v[0].filter((x, k) => x > v[1][k]).length, count };
  } finally {
    sample.dispose();
  }
}

/** One line for {@link alphaMeaning}. */
export function meaningText(m: AlphaMeaning): string {
  return `activation over ${m.count} random backgrounds: real alpha ${m.real.toFixed(3)}, shuffled alpha ${m.shuffled.toFixed(3)}, real wins ${m.wins}/${m.count}`;
}

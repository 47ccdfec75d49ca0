/**
 * The transparency namespace against the notebook's formulas, computed independently in float64:
 * backgrounds (`make_bg_func`), the stop-gradient split composite, the alpha-mean penalty and
 * experiment 2's shared parameterization; which gradients the stop-gradients let through; leaks;
 * errors.
 */
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectNoLeak, useBackend } from '../helpers/tf';
import { smallVisModel } from '../reliability/api';
import { objectives, param, render, transparency, Rng, COLOR_CORRELATION, type Param } from './imports';

/** A param whose image is its variable (values given), for exact formula checks. */
function fixedParam(values: ArrayLike<number>, shape: [number, number, number, number]): Param<tf.Tensor4D> {
  const init = tf.tensor4d(Float32Array.from(values), shape);
  const v = tf.variable(init, true);
  init.dispose();
  let disposed = false;
  return {
    shape,
    variables: [v],
    image: () => tf.mul(v, 1) as tf.Tensor4D,
    dispose: () => {
      if (!disposed) v.dispose();
      disposed = true;
    },
  };
}

/** Seeded uniform values in [lo, hi) (float64 on the host). */
function uniform(n: number, seed: number, lo = 0, hi = 1): Float64Array {
  const rng = new Rng(seed);
  return Float64Array.from({ length: n }, () => rng.uniform(lo, hi));
}

const idx = (w: number, c: number) => (y: number, x: number, ch: number, b = 0, h = w) => ((b * h + y) * w + x) * c + ch;

/** Float64 `rgb·α + (1 − α)·bg` for one pair with crop offsets (rgb, α, bg) of size s. */
function compositeRef(fg: ArrayLike<number>, bg: ArrayLike<number>, w: number, s: number, o: [number, number][], b = 0): Float64Array {
  const out = new Float64Array(s * s * 3);
  const f = idx(w, 4);
  const g = idx(w, 3);
  for (let y = 0; y < s; y++) {
    for (let x = 0; x < s; x++) {
      const a = fg[f(y + o[1][0], x + o[1][1], 3, b)];
      for (let c = 0; c < 3; c++) {
        const rgb = fg[f(y + o[0][0], x + o[0][1], c, b)];
        const back = bg[g(y + o[2][0], x + o[2][1], c, b)];
        out[(y * s + x) * 3 + c] = rgb * a + (1 - a) * back;
      }
    }
  }
  return out;
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** All (oy, ox) offsets of a crop of d px. */
const offsets = (d: number): [number, number][] => Array.from({ length: (d + 1) ** 2 }, (_, k) => [Math.floor(k / (d + 1)), k % (d + 1)]);

beforeAll(async () => {
  await useBackend('cpu');
});

describe('transparency.composite', () => {
  it('item 0 and item 1 both equal rgb·α + (1 − α)·bg (float64), with independent crops per part, pairs in order', async () => {
    const w = 6, j = 1, s = w - j, n = 2;
    const fgVals = uniform(n * w * w * 4, 1);
    const bgVals = uniform(n * w * w * 3, 2);
    await expectNoLeak(() => {
      const fg = fixedParam(fgVals, [n, w, w, 4]);
      const bgs = [0, 1].map((b) => fixedParam(bgVals.slice(b * w * w * 3, (b + 1) * w * w * 3), [1, w, w, 3]));
      const p = transparency.composite(fg, bgs, { jitter: j, seed: 3 });
      const distinct = new Set<string>();
      for (let call = 0; call < 12; call++) {
        const img = p.image();
        expect(img.shape).toEqual([2 * n, s, s, 3]);
        const data = img.dataSync();
        img.dispose();
        for (let b = 0; b < n; b++) {
          const item0 = data.slice(2 * b * s * s * 3, (2 * b + 1) * s * s * 3);
          const item1 = data.slice((2 * b + 1) * s * s * 3, (2 * b + 2) * s * s * 3);
          expect(maxDiff(item0, item1)).toBe(0);
          // Find the crop offsets (rgb, α, bg) that reproduce item 0 in float64.
          let found: string | null = null;
          for (const a of offsets(j)) for (const al of offsets(j)) for (const g of offsets(j)) {
            if (found === null && maxDiff(item0, compositeRef(fgVals, bgVals, w, s, [a, al, g], b)) < 1e-6) found = `${a}|${al}|${g}`;
          }
          expect(found, `pair ${b}, call ${call}: no crop offsets reproduce the composite`).not.toBeNull();
          const [r, a, g] = (found as string).split('|');
          if (r !== a || a !== g) distinct.add(found as string);
        }
      }
      // rgb, α and background are cropped independently: some calls use different offsets for them.
      expect(distinct.size).toBeGreaterThan(0);
      p.dispose();
    });
  });

  it('jitter 0: exact values of image and named outputs (float64), the alpha un-jittered', async () => {
    const w = 5, n = 1;
    const fgVals = uniform(w * w * 4, 4);
    const bgVals = uniform(w * w * 3, 5);
    await expectNoLeak(() => {
      const p = transparency.composite(fixedParam(fgVals, [n, w, w, 4]), fixedParam(bgVals, [1, w, w, 3]), { jitter: 0 });
      const o = p.build!();
      const ref = compositeRef(fgVals, bgVals, w, w, [[0, 0], [0, 0], [0, 0]]);
      const img = o.image.dataSync();
      expect(maxDiff(img.slice(0, w * w * 3), ref)).toBeLessThan(1e-6);
      expect(maxDiff(img.slice(w * w * 3), ref)).toBeLessThan(1e-6);
      expect(o.alpha.shape).toEqual([1, w, w, 1]);
      const alphaRef = Array.from({ length: w * w }, (_, k) => fgVals[k * 4 + 3]);
      expect(maxDiff(o.alpha.dataSync(), alphaRef)).toBeLessThan(1e-7);
      expect(maxDiff(o.foreground.dataSync(), fgVals)).toBeLessThan(1e-7);
      expect(maxDiff(o.background.dataSync(), bgVals)).toBeLessThan(1e-7);
      const onWhiteRef = Array.from({ length: w * w * 3 }, (_, k) => {
        const px = Math.floor(k / 3), a = fgVals[px * 4 + 3];
        return fgVals[px * 4 + (k % 3)] * a + 1 - a;
      });
      expect(maxDiff(o.onWhite.dataSync(), onWhiteRef)).toBeLessThan(1e-6);
      tf.dispose(Object.values(o));
      p.dispose();
    });
  });

  it('gradients: item 0 reaches only the foreground, item 1 only the background, with the formula values', async () => {
    const w = 4, s = w;
    const fgVals = uniform(w * w * 4, 6);
    const bgVals = uniform(w * w * 3, 7);
    const weights = uniform(s * s * 3, 8, -1, 1);
    await expectNoLeak(() => {
      const fg = fixedParam(fgVals, [1, w, w, 4]);
      const bg = fixedParam(bgVals, [1, w, w, 3]);
      const p = transparency.composite(fg, [bg], { jitter: 0 });
      const W = tf.tensor4d(Float32Array.from(weights), [1, s, s, 3]);
      const gradsOf = (item: number) =>
        tf.tidy(() => {
          const { grads } = tf.variableGrads(() => tf.sum(tf.mul(tf.slice(p.image(), [item, 0, 0, 0], [1, s, s, 3]), W)) as tf.Scalar, [
            fg.variables[0],
            bg.variables[0],
          ]);
          return [grads[fg.variables[0].name].dataSync(), grads[bg.variables[0].name].dataSync()] as const;
        });
      // Float64: d/d rgb = W·α, d/dα = Σc W·(rgb − bg), d/d bg = W·(1 − α).
      const dFg = new Float64Array(w * w * 4);
      const dBg = new Float64Array(w * w * 3);
      for (let px = 0; px < w * w; px++) {
        const a = fgVals[px * 4 + 3];
        for (let c = 0; c < 3; c++) {
          const wt = weights[px * 3 + c];
          dFg[px * 4 + c] = wt * a;
          dFg[px * 4 + 3] += wt * (fgVals[px * 4 + c] - bgVals[px * 3 + c]);
          dBg[px * 3 + c] = wt * (1 - a);
        }
      }
      const [fg0, bg0] = gradsOf(0);
      expect(maxDiff(fg0, dFg)).toBeLessThan(1e-5);
      expect(Array.from(bg0).every((v) => v === 0)).toBe(true);
      const [fg1, bg1] = gradsOf(1);
      expect(Array.from(fg1).every((v) => v === 0)).toBe(true);
      expect(maxDiff(bg1, dBg)).toBeLessThan(1e-5);
      W.dispose();
      p.dispose();
    });
  });

  it('takes ownership: dispose() frees the foreground and backgrounds; variables are theirs', async () => {
    await expectNoLeak(() => {
      const fg = param.image(8, { alpha: true, seed: 1 });
      const bg = transparency.background(8, { varMode: 'color', seed: 2 });
      const p = transparency.composite(fg, bg, { seed: 3 });
      expect(p.variables).toEqual([...fg.variables, ...bg.variables]);
      expect(p.shape).toEqual([2, 6, 6, 3]);
      p.dispose();
      p.dispose();
      expect(() => fg.image()).toThrow(/disposed/);
    });
  });

  it('rejects bad input with clear errors and leaks nothing', async () => {
    // Params made for a call that throws stay the caller's: the test frees them.
    let made: Param<tf.Tensor4D>[] = [];
    const keep = (p: Param<tf.Tensor4D>) => (made.push(p), p);
    const fg = () => keep(param.image(8, { alpha: true, seed: 1 }));
    const rgb = () => keep(param.image(8, { seed: 1 }));
    const bg = (w = 8) => keep(param.image(w, { seed: 2 }));
    const cases: [() => unknown, RegExp][] = [
      [() => transparency.composite(rgb(), [bg()]), /foreground must produce \[N, h, w, 4\] RGBA images, but its shape is \[1, 8, 8, 3\]/],
      [() => transparency.composite(fg(), [bg(9)]), /backgrounds\[0\] must produce \[b, 8, 8, 3\] images .* but its shape is \[1, 9, 9, 3\]/],
      [() => transparency.composite(fg(), [bg(), bg()]), /backgrounds must hold one image per foreground \(1 in all\), but got 2/],
      [() => transparency.composite(fg(), []), /backgrounds must be a param or a non-empty array of params, but got \[\]/],
      [() => transparency.composite({} as Param<tf.Tensor4D>, [bg()]), /foreground must be a Param \(with image\(\), variables and dispose\(\)\), but got \[object Object\]/],
      [() => { const f = fg(); return transparency.composite(f, [f]); }, /backgrounds must not contain the foreground param itself/],
      [() => transparency.composite(fg(), [bg()], { jitter: -1 }), /options\.jitter must be/],
      [() => transparency.composite(fg(), [bg()], { jitter: 8 }), /the foreground must be larger than options\.jitter = 8 px, but it is 8×8/],
      [() => transparency.composite(fg(), [bg()], { seed: NaN }), /options\.seed must be a finite number or an Rng, but got NaN/],
      [() => transparency.composite(fg(), [bg()], 3 as unknown as object), /options must be an object, but got 3/],
    ];
    for (const [f, re] of cases) {
      await expectNoLeak(() => {
        let err: unknown;
        try {
          f();
        } catch (e) {
          err = e;
        }
        expect((err as Error | undefined)?.name).toBe('OptvisError');
        expect((err as Error).message).toMatch(/^Error in transparency\.composite: /);
        expect((err as Error).message).toMatch(re);
        made.forEach((p) => p.dispose());
        made = [];
      });
    }
    await expectNoLeak(() => {
      const t3 = tf.zeros([1, 2, 2, 3]) as tf.Tensor4D;
      const t4 = tf.zeros([1, 2, 2, 4]) as tf.Tensor4D;
      expect(() => transparency.over(t3, 1)).toThrow(/^Error in transparency\.over: rgba must have shape \[b, h, w, 4\], but got \[1, 2, 2, 3\]/);
      expect(() => transparency.over(t4, NaN)).toThrow(/backgroundImage must be a finite number or a tensor, but got NaN/);
      expect(() => transparency.over(t4, 'x' as unknown as number)).toThrow(/backgroundImage must be a finite number or a live tf\.Tensor, but got "x"/);
      tf.dispose([t3, t4]);
    });
  });
});

describe('transparency.over', () => {
  it('is rgb·α + (1 − α)·bg (float64), broadcasting the background', async () => {
    const vals = uniform(2 * 3 * 3 * 4, 9);
    const bgVals = uniform(3, 10);
    await expectNoLeak(() => {
      const rgba = tf.tensor4d(Float32Array.from(vals), [2, 3, 3, 4]);
      const bg = tf.tensor1d(Float32Array.from(bgVals));
      const out = transparency.over(rgba, bg);
      const ref = Array.from({ length: 2 * 9 * 3 }, (_, k) => {
        const px = Math.floor(k / 3), c = k % 3, a = vals[px * 4 + 3];
        return vals[px * 4 + c] * a + (1 - a) * bgVals[c];
      });
      expect(maxDiff(out.dataSync(), ref)).toBeLessThan(1e-6);
      tf.dispose([rgba, bg, out]);
    });
  });
});

describe('transparency.background', () => {
  it("colour mode is pixel (3, 3) of a 5×5 param.image, broadcast; the mix with noise is (1 − r)·var + r·noise (float64)", async () => {
    const w = 8, seed = 11, r = 0.3, baseSd = 0.5, dp = 1.7;
    await expectNoLeak(() => {
      // Replay the seeds the background draws: image, then noise.
      const rng = new Rng(seed);
      const ref5 = param.image(5, { seed: rng.seed() });
      const noise = param.imageSample([1, w, w, 3], { sd: baseSd * 20 ** (1 - dp), decayPower: dp, seed: rng.seed() });
      const v5 = ref5.image();
      const nz = noise.image();
      const v5d = v5.dataSync();
      const nzd = nz.dataSync();
      const bg = transparency.background(w, { noiseRatio: r, baseSd, decayPower: dp, varMode: 'color', seed });
      expect(bg.variables.length).toBe(1);
      const out = bg.image();
      expect(out.shape).toEqual([1, w, w, 3]);
      const pix = [0, 1, 2].map((c) => v5d[(3 * 5 + 3) * 3 + c]);
      const ref = Array.from({ length: w * w * 3 }, (_, k) => (1 - r) * pix[k % 3] + r * nzd[k]);
      expect(maxDiff(out.dataSync(), ref)).toBeLessThan(1e-6);
      tf.dispose([v5, nz, out]);
      ref5.dispose();
      noise.dispose();
      bg.dispose();
    });
  });

  it('noise is redrawn at every call; noiseRatio 0 draws none; noiseRatio 1 has no variables', async () => {
    await expectNoLeak(() => {
      const noisy = transparency.background(8, { noiseRatio: 1, decayPower: 2, baseSd: 0.4, seed: 1 });
      expect(noisy.variables.length).toBe(0);
      const a = noisy.image(), b = noisy.image();
      expect(maxDiff(a.dataSync(), b.dataSync())).toBeGreaterThan(1e-4);
      tf.dispose([a, b]);
      noisy.dispose();
      const plain = transparency.background(8, { noiseRatio: 0, varMode: 'color', seed: 1 });
      const c = plain.image(), d = plain.image();
      expect(maxDiff(c.dataSync(), d.dataSync())).toBe(0);
      tf.dispose([c, d]);
      plain.dispose();
    });
  });

  it("image mode with varImageJitter J: a fresh w×w crop of a (w + J)-px param.image at every call", async () => {
    const w = 6, J = 3, seed = 12;
    await expectNoLeak(() => {
      const rng = new Rng(seed);
      const big = param.image(w + J, { seed: rng.seed() });
      const bigImg = big.image();
      const B = bigImg.dataSync();
      const bg = transparency.background(w, { noiseRatio: 0, varMode: 'image', varImageJitter: J, seed });
      const seen = new Set<string>();
      for (let call = 0; call < 16; call++) {
        const out = bg.image();
        const o = out.dataSync();
        out.dispose();
        let hit: string | null = null;
        for (const [oy, ox] of offsets(J)) {
          let m = 0;
          for (let y = 0; y < w; y++) for (let x = 0; x < w; x++) for (let c = 0; c < 3; c++) {
            m = Math.max(m, Math.abs(o[(y * w + x) * 3 + c] - B[((y + oy) * (w + J) + x + ox) * 3 + c]));
          }
          if (m < 1e-7) hit = `${oy},${ox}`;
        }
        expect(hit, `call ${call}: not a crop of the ${w + J}-px image`).not.toBeNull();
        seen.add(hit as string);
      }
      expect(seen.size).toBeGreaterThan(2);
      bigImg.dispose();
      big.dispose();
      bg.dispose();
    });
  });

  it('rejects bad options with clear errors', () => {
    const FN = /^Error in transparency\.background: /;
    const cases: [() => unknown, RegExp][] = [
      [() => transparency.background(1), /w must be at least 2 .* but got 1/],
      [() => transparency.background(0), /w must be/],
      [() => transparency.background(8, { noiseRatio: 1.5 }), /options\.noiseRatio must be a number in \[0, 1\], but got 1\.5/],
      [() => transparency.background(8, { varMode: 'colour' as 'color' }), /options\.varMode must be one of 'image', 'color', but got "colour"/],
      [() => transparency.background(8, { varImageJitter: 2.5 }), /options\.varImageJitter must be/],
      [() => transparency.background(8, { varMode: 'color', varImageJitter: 4 }), /options\.varImageJitter must be 0 \(or unset\) when varMode is 'color', but got 4/],
      [() => transparency.background(8, { baseSd: -1 }), /options\.baseSd must be/],
      [() => transparency.background(8, { decayPower: Infinity }), /options\.decayPower must be a finite number, but got Infinity/],
      [() => transparency.background(8, { decorrelate: 1 as unknown as boolean }), /options\.decorrelate must be a boolean, but got 1/],
      [() => transparency.background(8, null as unknown as object), /options must be an object, but got null/],
    ];
    const before = tf.memory().numTensors;
    for (const [f, re] of cases) {
      expect(f).toThrow(FN);
      expect(f).toThrow(re);
    }
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('transparency.alphaPenalty', () => {
  it('is −weight·Σₙ(mean αₙ − target)² (float64), one term per foreground, and its gradient', async () => {
    const vals = uniform(3 * 4 * 4, 13);
    await expectNoLeak(() => {
      const a = tf.tensor4d(Float32Array.from(vals), [3, 4, 4, 1]);
      const T = Object.assign((name: string) => {
        if (name !== 'alpha') throw new Error(name);
        return a;
      }, { step: 0 });
      const obj = transparency.alphaPenalty({ target: 0.3, weight: 7 });
      expect(obj.layers).toEqual(['alpha']);
      const v = tf.tidy(() => obj.evaluate(T).dataSync()[0]);
      let ref = 0;
      const means = [0, 1, 2].map((n) => vals.slice(n * 16, (n + 1) * 16).reduce((s, x) => s + x, 0) / 16);
      for (const m of means) ref += (m - 0.3) ** 2;
      expect(v).toBeCloseTo(-7 * ref, 5);
      const g = tf.tidy(() => tf.grad((x: tf.Tensor) => obj.evaluate(Object.assign(() => x, { step: 0 })))(a).dataSync());
      // d/dα = −weight · 2(mean − target) / (h·w) for every pixel of foreground n.
      const gRef = Array.from({ length: 48 }, (_, k) => (-7 * 2 * (means[Math.floor(k / 16)] - 0.3)) / 16);
      expect(maxDiff(g, gRef)).toBeLessThan(1e-6);
      a.dispose();
    });
  });

  it('defaults to the notebook (1e4 toward 0.25) and rejects bad options', () => {
    const obj = transparency.alphaPenalty();
    expect(obj.description).toBe('-10000 * AlphaMean [alpha, 0.25]');
    expect(() => transparency.alphaPenalty({ target: NaN })).toThrow(/Error in transparency\.alphaPenalty: options\.target must be a finite number, but got NaN/);
    expect(() => transparency.alphaPenalty({ weight: Infinity })).toThrow(/options\.weight must be a finite number, but got Infinity/);
    expect(() => transparency.alphaPenalty({ name: '' })).toThrow(/options\.name must be a non-empty string, but got ""/);
    const bad = tf.zeros([1, 2, 2, 3]);
    expect(() => tf.tidy(() => obj.evaluate(Object.assign(() => bad, { step: 0 })))).toThrow(/the param output "alpha" must be alphas of shape \[N, h, w, 1\], but got \[1, 2, 2, 3\]/);
    bad.dispose();
  });
});

describe('transparency.sharedForegrounds', () => {
  it('scales [1]: rgb = sigmoid(M·(coef·shared + own)), α = sigmoid(·) (float64)', async () => {
    const w = 3, N = 2, coef = 0.7;
    await expectNoLeak(() => {
      const p = transparency.sharedForegrounds(w, N, { sharedParamCoef: coef, scales: [1], seed: 1 });
      expect(p.variables.map((v) => v.shape)).toEqual([[1, w, w, 4], [N, w, w, 4]]);
      const shared = uniform(w * w * 4, 14, -2, 2);
      const own = uniform(N * w * w * 4, 15, -2, 2);
      tf.tidy(() => {
        p.variables[0].assign(tf.tensor4d(Float32Array.from(shared), [1, w, w, 4]));
        p.variables[1].assign(tf.tensor4d(Float32Array.from(own), [N, w, w, 4]));
      });
      const out = p.image();
      expect(out.shape).toEqual([N, w, w, 4]);
      const sig = (x: number) => 1 / (1 + Math.exp(-x));
      const M = COLOR_CORRELATION;
      const ref = new Float64Array(N * w * w * 4);
      for (let b = 0; b < N; b++) for (let px = 0; px < w * w; px++) {
        const raw = [0, 1, 2, 3].map((c) => coef * shared[px * 4 + c] + own[(b * w * w + px) * 4 + c]);
        for (let r = 0; r < 3; r++) ref[(b * w * w + px) * 4 + r] = sig(M[r][0] * raw[0] + M[r][1] * raw[1] + M[r][2] * raw[2]);
        ref[(b * w * w + px) * 4 + 3] = sig(raw[3]);
      }
      expect(maxDiff(out.dataSync(), ref)).toBeLessThan(1e-6);
      out.dispose();
      p.dispose();
    });
  });

  it('default scales [1, 2, 4, 8]: each part is the sum divided by 4 (constant variables), 8 variables, shared first', async () => {
    const w = 16, N = 3, coef = 0.5, c = 0.8;
    await expectNoLeak(() => {
      const p = transparency.sharedForegrounds(w, N, { sharedParamCoef: coef, seed: 2 });
      expect(p.variables.map((v) => v.shape)).toEqual([
        [1, 16, 16, 4], [1, 8, 8, 4], [1, 4, 4, 4], [1, 2, 2, 4],
        [N, 16, 16, 4], [N, 8, 8, 4], [N, 4, 4, 4], [N, 2, 2, 4],
      ]);
      tf.tidy(() => p.variables.forEach((v) => v.assign(tf.fill(v.shape, c))));
      const out = p.image();
      // Bilinear upsampling keeps constants: raw = coef·c + c; α = sigmoid(raw).
      const a = 1 / (1 + Math.exp(-(coef * c + c)));
      const d = out.dataSync();
      for (let k = 3; k < d.length; k += 4) expect(Math.abs(d[k] - a)).toBeLessThan(1e-6);
      out.dispose();
      p.dispose();
    });
  });

  it('the shared part receives gradients only when sharedParamCoef ≠ 0', async () => {
    await expectNoLeak(() => {
      for (const coef of [0, 0.5]) {
        const p = transparency.sharedForegrounds(8, 2, { sharedParamCoef: coef, seed: 3 });
        const norms = tf.tidy(() => {
          const { grads } = tf.variableGrads(() => tf.sum(tf.square(p.image())) as tf.Scalar, [...p.variables]);
          return p.variables.map((v) => tf.sum(tf.abs(grads[v.name])).dataSync()[0]);
        });
        for (const g of norms.slice(4)) expect(g).toBeGreaterThan(0);
        for (const g of norms.slice(0, 4)) (coef === 0 ? expect(g).toBe(0) : expect(g).toBeGreaterThan(0));
        p.dispose();
      }
    });
  });

  it('rejects bad input with clear errors', () => {
    const before = tf.memory().numTensors;
    expect(() => transparency.sharedForegrounds(4, 2)).toThrow(/Error in transparency\.sharedForegrounds: w \/\/ 8 \(the coarsest scale\) must be at least 1, but got w = 4/);
    expect(() => transparency.sharedForegrounds(16, 0)).toThrow(/Error in transparency\.sharedForegrounds: count must be/);
    expect(() => transparency.sharedForegrounds(16, 2, { sharedParamCoef: NaN })).toThrow(/options\.sharedParamCoef must be a finite number, but got NaN/);
    expect(() => transparency.sharedForegrounds(16, 2, { scales: [] })).toThrow(/options\.scales must be a non-empty array of positive integers, but got \[\]/);
    expect(() => transparency.sharedForegrounds(16, 2, { scales: [1, 1.5] })).toThrow(/options\.scales\[1\] must be/);
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('transparency in a render session (fixture model)', () => {
  let small: Awaited<ReturnType<typeof smallVisModel>>;
  beforeAll(async () => {
    small = await smallVisModel(1);
  });
  afterAll(() => small.dispose());

  it('optimizes foreground and background together, the penalty pulls mean α to 0.25, and leaks nothing', async () => {
    // The model adapter caches a sub-model per layer set on first use: warm it up first.
    tf.tidy(() => {
      small.vm.activations(tf.zeros([1, 16, 16, 3]) as tf.Tensor4D, ['conv4']);
    });
    await expectNoLeak(async () => {
      const fg = param.image(24, { alpha: true, seed: 1, sd: 1 });
      const bg = transparency.background(24, { noiseRatio: 0, varMode: 'color', seed: 2 });
      const p = transparency.composite(fg, [bg], { seed: 3 });
      const c = (batch: number) => objectives.channel('conv4', 3, { batch });
      const obj = c(0).sub(c(1)).add(transparency.alphaPenalty({ weight: 100 }));
      const before = tf.tidy(() => bg.image().dataSync().slice(0, 3));
      const session = render.visSession(small.vm, obj, { param: p, seed: 4, transforms: [] });
      const meanAlpha = () => {
        const a = session.evaluate('alpha');
        const m = tf.tidy(() => tf.mean(a).dataSync()[0]);
        a.dispose();
        return m;
      };
      const m0 = meanAlpha();
      for (let i = 0; i < 30; i++) session.step();
      const m1 = meanAlpha();
      expect(Math.abs(m1 - 0.25)).toBeLessThan(Math.abs(m0 - 0.25));
      const after = tf.tidy(() => bg.image().dataSync().slice(0, 3));
      expect(maxDiff(before, after)).toBeGreaterThan(1e-4); // the background variable was optimized too
      session.dispose();
      p.dispose();
    });
  });
});

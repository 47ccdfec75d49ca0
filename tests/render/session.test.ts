import * as tf from '@tensorflow/tfjs-core';
import { pixelImage } from '../../src/param/spatial';
import { describe, expect, it, vi } from 'vitest';
import { renderVis, RenderAbortError, visSession, RELU_OVERRIDE_LAST_STEP } from '../../src/render/index';
import { Objective } from '../../src/objectives/objective';
import type { Transform } from '../../src/transform/types';
import type { Param } from '../../src/param/types';
import { BACKENDS, expectNoLeak, maxAbsDiff, useBackend } from '../helpers/tf';
import { channelMean, compositeParam, pixelParam, tinyModel, values } from './standins';

/** A random crop by 0–2 px per side, drawn from the session's Rng (makes seeds matter). */
const randomCrop: Transform = (image, rng) => {
  const [, h, w] = image.shape;
  return tf.slice(image, [0, rng.int(3), rng.int(3), 0], [-1, h - 2, w - 2, -1]);
};

function mean(xs: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i];
  return s / xs.length;
}

/** Mean of channel c of an NHWC (or NC) tensor's values. */
function channelOf(t: tf.Tensor, c: number): number[] {
  const d = t.shape[t.rank - 1];
  return values(t).filter((_, i) => i % d === c);
}

describe.each(BACKENDS)('visSession on %s', (backend) => {
  it('raises the objective and updates only the param variables', async () => {
    await useBackend(backend);
    const model = tinyModel();
    const weightsBefore = model.weights.map(values);
    await expectNoLeak(() => {
      const param = pixelParam(16, 1);
      const before = values(param.variables[0]);
      const s = visSession(model, channelMean('relu', 1), { param, transforms: [] });
      const losses = Array.from({ length: 30 }, () => s.step());
      expect(s.steps).toBe(30);
      // Adam(0.05) on a 16-px pixel image: the channel mean rises well above its start.
      expect(losses[29]).toBeGreaterThan(losses[0] + 0.5);
      expect(maxAbsDiff(values(param.variables[0]), before)).toBeGreaterThan(0.1);
      s.dispose();
      param.dispose();
    });
    // The model's weights are trainable variables, yet untouched (the optimizer got varList).
    model.weights.forEach((w, i) => expect(values(w)).toEqual(weightsBefore[i]));
    model.dispose();
  });

  it('allocates nothing per step after the first, and frees everything on dispose', async () => {
    await useBackend(backend);
    const model = tinyModel();
    const param = pixelParam(16, 2);
    await expectNoLeak(() => {
      const s = visSession(model, channelMean('relu', 0), { param, transforms: [randomCrop], seed: 1 });
      s.step();
      const after1 = tf.memory().numTensors;
      for (let i = 0; i < 5; i++) s.step();
      expect(tf.memory().numTensors).toBe(after1);
      s.dispose();
      s.dispose(); // harmless
      expect(() => s.step()).toThrow(/Error in render\.visSession\.step: the session must not be disposed/);
    });
    expect(param.variables[0].isDisposed).toBe(false); // the caller's param stays alive
    param.dispose();
    model.dispose();
  });

  it('redirects dead ReLU gradients for exactly the updates Lucid does (steps 0..16), upwards', async () => {
    await useBackend(backend);
    const model = tinyModel({ bias: -20 }); // relu is dead everywhere
    await expectNoLeak(() => {
      const run = (override: boolean) => {
        const param = pixelParam(8, 3);
        const s = visSession(model, channelMean('relu', 0), {
          param, transforms: [], optimizer: tf.train.sgd(20), reluGradientOverride: override,
        });
        const conv0 = () => {
          const t = s.evaluate('conv');
          const m = mean(channelOf(t, 0));
          t.dispose();
          return m;
        };
        const moved: boolean[] = [];
        const startConv = conv0();
        for (let i = 0; i < 20; i++) {
          const v = values(param.variables[0]);
          s.step();
          moved.push(maxAbsDiff(values(param.variables[0]), v) > 0);
        }
        const endConv = conv0();
        s.dispose();
        param.dispose();
        return { moved, startConv, endConv };
      };
      const on = run(true);
      expect(on.moved).toEqual(Array.from({ length: 20 }, (_, i) => i <= 16)); // Lucid: plain gradient once global_step > 16
      expect(RELU_OVERRIDE_LAST_STEP).toBe(16);
      expect(on.endConv).toBeGreaterThan(on.startConv); // pushed towards firing
      expect(on.endConv).toBeLessThan(0); // still dead, so the stock gradient is zero afterwards
      const off = run(false);
      expect(off.moved.every((m) => !m)).toBe(true);
    });
    model.dispose();
  });

  it('redirects only the model\'s ReLUs, not those of the param (as Lucid, around import_model)', async () => {
    await useBackend(backend);
    const model = tinyModel(); // alive ReLUs
    await expectNoLeak(() => {
      const inner = pixelParam(8, 14);
      // A param whose own ReLU is dead: image = 0.5 + relu(v - 10), so d image / d v = 0.
      const deadParam: Param = { ...inner, image: () => tf.tidy(() => tf.add(tf.relu(tf.sub(inner.variables[0], 10)), 0.5)) as tf.Tensor4D };
      const v = values(inner.variables[0]);
      const s = visSession(model, channelMean('relu', 0), { param: deadParam, transforms: [], optimizer: tf.train.sgd(1), reluGradientOverride: true });
      s.step();
      expect(maxAbsDiff(values(inner.variables[0]), v)).toBe(0);
      s.dispose();
      inner.dispose();
    });
    model.dispose();
  });

  it('lets a ReLU6 above 6 move only downwards', async () => {
    await useBackend(backend);
    const model = tinyModel({ bias: 10 }); // relu6(4·conv) saturated at 6 everywhere
    await expectNoLeak(() => {
      const moves = (objective: Objective) => {
        const param = pixelParam(8, 4);
        const v = values(param.variables[0]);
        const s = visSession(model, objective, { param, transforms: [], optimizer: tf.train.sgd(1), reluGradientOverride: true });
        s.step();
        const d = maxAbsDiff(values(param.variables[0]), v);
        s.dispose();
        param.dispose();
        return d;
      };
      expect(moves(channelMean('relu6', 0))).toBe(0); // pushing higher is blocked
      expect(moves(channelMean('relu6', 0).neg())).toBeGreaterThan(0); // pushing lower passes
    });
    model.dispose();
  });

  it('cleans up when a step throws in the forward or backward pass', async () => {
    await useBackend(backend);
    const model = tinyModel();
    const param = pixelParam(8, 5);
    const throwsAt = (k: number) =>
      new Objective((T) => {
        if (T.step === k) throw new Error('objective failed');
        return tf.mean(T('relu'));
      }, 'failing', ['relu']);
    const badGrad = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => ({
      value: tf.clone(args[0] as tf.Tensor),
      gradFunc: (): tf.Tensor => {
        throw new Error('gradient failed');
      },
    }));
    const gradThrows = new Objective((T) => tf.mean(badGrad(T('relu')) as tf.Tensor), 'bad gradient', ['relu']);
    await expectNoLeak(() => {
      const s = visSession(model, throwsAt(2), { param, transforms: [], reluGradientOverride: true });
      s.step();
      s.step();
      const stock = tf.getGradient('Relu');
      expect(() => s.step()).toThrow('objective failed');
      expect(tf.getGradient('Relu')).toBe(stock);
      expect(s.steps).toBe(2);
      s.dispose();
    });
    await expectNoLeak(() => {
      const s = visSession(model, gradThrows, { param, transforms: [] });
      expect(() => s.step()).toThrow('gradient failed');
      s.dispose();
    });
    param.dispose();
    model.dispose();
  });

  it('stepAsync gives exactly step()\'s losses and images, one at a time; dispose() while pending frees the update', async () => {
    await useBackend(backend);
    const model = tinyModel();
    await expectNoLeak(async () => {
      const run = async (asyncRead: boolean) => {
        const param = pixelParam(16, 7);
        const s = visSession(model, channelMean('relu', 1), { param, transforms: [randomCrop], seed: 3 });
        const losses: number[] = [];
        for (let i = 0; i < 6; i++) losses.push(asyncRead ? await s.stepAsync() : s.step());
        const image = s.imageArray().data;
        expect(s.steps).toBe(6);
        s.dispose();
        param.dispose();
        return { losses, image };
      };
      const sync = await run(false);
      const later = await run(true);
      expect(later.losses).toEqual(sync.losses);
      expect(Array.from(later.image)).toEqual(Array.from(sync.image));
      expect(sync.losses[5]).toBeGreaterThan(sync.losses[0]);
    });
    const param = pixelParam(16, 8);
    await expectNoLeak(async () => {
      const s = visSession(model, channelMean('relu', 1), { param, transforms: [] });
      const before = values(param.variables[0]);
      const first = s.stepAsync();
      expect(() => s.step()).toThrow(/Error in render\.visSession\.step: the previous stepAsync\(\) must have resolved, but got a call while it is pending/);
      await expect(s.stepAsync()).rejects.toThrow(/Error in render\.visSession\.stepAsync: the previous stepAsync\(\) must have resolved/);
      await first;
      expect(s.steps).toBe(1);
      const afterOne = values(param.variables[0]);
      expect(maxAbsDiff(afterOne, before)).toBeGreaterThan(0);
      const second = s.stepAsync();
      s.dispose();
      await expect(second).rejects.toThrow(/Error in render\.visSession\.stepAsync: the session must stay alive until stepAsync\(\) resolves, but got dispose\(\) while it was pending; the update was not applied/);
      expect(values(param.variables[0])).toEqual(afterOne);
      await expect(s.stepAsync()).rejects.toThrow(/Error in render\.visSession\.stepAsync: the session must not be disposed/);
    });
    param.dispose();
    model.dispose();
  });
});

describe('visSession reads and errors (cpu)', () => {
  it('evaluates input, loss, layers and named param outputs', async () => {
    await useBackend('cpu');
    const model = tinyModel();
    const param = compositeParam(8, 6);
    await expectNoLeak(() => {
      const s = visSession(model, channelMean('relu', 2), { param, transforms: [] });
      const v = values(param.variables[0]);
      const fg = v.map((x) => 1 / (1 + Math.exp(-x)));
      const read = (name: string) => {
        const t = s.evaluate(name);
        const out = { shape: t.shape, data: values(t) };
        t.dispose();
        return out;
      };
      expect(read('t_bg').data.every((x) => x === 0.25)).toBe(true);
      expect(maxAbsDiff(read('fg').data, fg)).toBeLessThan(1e-6);
      const input = read('input');
      expect(input.shape).toEqual([1, 8, 8, 3]);
      expect(maxAbsDiff(input.data, fg.map((x) => (x + 0.25) / 2))).toBeLessThan(1e-6);
      const arr = s.imageArray();
      expect(arr.shape).toEqual([1, 8, 8, 3]);
      expect(maxAbsDiff(arr.data, input.data)).toBe(0);
      const relu = read('relu');
      const loss = read('loss');
      expect(loss.shape).toEqual([]);
      expect(loss.data[0]).toBeCloseTo(mean(relu.data.filter((_, i) => i % 4 === 2)), 5);
      // step() returns the objective before its update (no transforms: the same value).
      expect(s.step()).toBeCloseTo(loss.data[0], 5);
      expect(() => s.evaluate('reluu')).toThrow(
        /Error in render\.visSession\.evaluate: name must be 'input', 'loss', a named output of the param \(image, fg, t_bg\) or a layer of the model, but got "reluu"\. Did you mean 'relu'/,
      );
      s.dispose();
    });
    param.dispose();
    model.dispose();
  });

  it('lets the objective read named param outputs (Lucid T(name) of a local), and still rejects unknown names', async () => {
    await useBackend('cpu');
    const model = tinyModel();
    const param = compositeParam(8, 7);
    await expectNoLeak(() => {
      // Maximise the mean of the foreground output `fg` only: no model layer is read.
      const fgMean = new Objective((T) => tf.mean(T('fg')), 'mean(fg)', ['fg']);
      const s = visSession(model, fgMean, { param, transforms: [] });
      const fg0 = mean(values(param.variables[0]).map((x) => 1 / (1 + Math.exp(-x))));
      const first = s.step();
      expect(first).toBeCloseTo(fg0, 5);
      for (let i = 0; i < 10; i++) s.step();
      const fg1 = mean(values(param.variables[0]).map((x) => 1 / (1 + Math.exp(-x))));
      expect(fg1).toBeGreaterThan(fg0 + 0.05);
      s.dispose();
      // Combined with a layer objective, both are read in one step.
      const both = visSession(model, fgMean.add(channelMean('relu', 2)), { param, transforms: [] });
      expect(Number.isFinite(both.step())).toBe(true);
      both.dispose();
      const bad = new Objective((T) => tf.mean(T('fgg')), 'mean(fgg)', ['fgg']);
      expect(() => visSession(model, bad, { param, transforms: [] })).toThrow(
        /Error in render\.visSession: the objective's layer must be a layer of the model, but got "fgg"/,
      );
    });
    param.dispose();
    model.dispose();
  });

  it('snapshots threshold i after i + 1 updates, as a hand-run session with the same seed', async () => {
    await useBackend('cpu');
    const model = tinyModel();
    await expectNoLeak(async () => {
      const common = { transforms: [randomCrop], seed: 5 };
      const p1 = pixelParam(12, 7);
      const progress: number[] = [];
      const result = await renderVis(model, channelMean('relu', 3), {
        ...common, param: p1, thresholds: [2, 0], onProgress: (p) => progress.push(p.step),
      });
      expect(result.steps).toBe(3);
      expect(result.thresholds).toEqual([0, 2]);
      expect(result.losses).toHaveLength(3);
      expect(progress).toEqual([1, 2, 3]);
      const p2 = pixelParam(12, 7);
      const s = visSession(model, channelMean('relu', 3), { ...common, param: p2, reluGradientOverride: true });
      const snaps = [s.imageArray()];
      const losses: number[] = [];
      for (let i = 0; i < 4; i++) {
        losses.push(s.step());
        snaps.push(s.imageArray());
      }
      s.dispose();
      expect(result.images).toHaveLength(2);
      expect(maxAbsDiff(result.images[0].data, snaps[1].data)).toBe(0); // after 1 update
      expect(maxAbsDiff(result.images[1].data, snaps[3].data)).toBe(0); // after 3 updates
      expect(maxAbsDiff(result.images[1].data, snaps[2].data)).toBeGreaterThan(0);
      expect(maxAbsDiff(result.images[1].data, snaps[4].data)).toBeGreaterThan(0);
      expect(result.losses).toEqual(losses.slice(0, 3));
      // The param passed in holds the final image and is still the caller's.
      expect(maxAbsDiff(values(p1.variables[0]), values(p2.variables[0]))).toBeGreaterThan(0); // p2 did 4 updates
      p1.dispose();
      p2.dispose();
    });
    model.dispose();
  });

  it('is deterministic for a seed on cpu, and seeds matter', async () => {
    await useBackend('cpu');
    const model = tinyModel();
    const run = async (seed: number) => {
      const param = pixelParam(12, 8);
      const r = await renderVis(model, channelMean('relu', 0), { param, transforms: [randomCrop, randomCrop], seed, thresholds: [5] });
      param.dispose();
      return r.images[0].data;
    };
    const a = await run(1), b = await run(1), c = await run(2);
    expect(maxAbsDiff(a, b)).toBe(0);
    expect(maxAbsDiff(a, c)).toBeGreaterThan(0);
    model.dispose();
  });

  it('aborts between updates, rejecting with an AbortError and freeing everything', async () => {
    await useBackend('cpu');
    const model = tinyModel();
    const param = pixelParam(12, 9);
    await expectNoLeak(async () => {
      const controller = new AbortController();
      const p = renderVis(model, channelMean('relu', 0), {
        param, transforms: [], thresholds: [0, 100], signal: controller.signal, onProgress: (pr) => {
          if (pr.step === 3) controller.abort();
        },
      });
      const error = await p.catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RenderAbortError);
      const e = error as RenderAbortError;
      expect(e.name).toBe('AbortError');
      expect(e.message).toMatch(/Error in render\.renderVis: the render was aborted after 3 updates\./);
      expect(e.steps).toBe(3);
      expect(e.images).toHaveLength(1);
      expect(e.losses).toHaveLength(3);
      await expect(renderVis(model, channelMean('relu', 0), { param, signal: AbortSignal.abort() })).rejects.toThrow(/aborted after 0 updates/);
    });
    param.dispose();
    model.dispose();
  });

  it('stops on a non-finite objective, naming the update and the objective', async () => {
    await useBackend('cpu');
    const model = tinyModel();
    const param = pixelParam(8, 10);
    const nanAt2 = new Objective((T) => tf.mul(tf.mean(T('relu')), T.step === 2 ? NaN : 1), 'channel(relu:0) * maybe NaN', ['relu']);
    await expectNoLeak(async () => {
      await expect(renderVis(model, nanAt2, { param, transforms: [] })).rejects.toThrow(
        /Error in render\.visSession\.stepAsync: the objective must be finite, but got NaN at update 3 \(after 2 updates\) for objective "channel\(relu:0\) \* maybe NaN"/,
      );
    });
    expect(values(param.variables[0]).every(Number.isFinite)).toBe(true);
    param.dispose();
    model.dispose();
  });

  it('rejects bad arguments clearly, leaving nothing allocated', async () => {
    await useBackend('cpu');
    const model = tinyModel();
    const param = pixelParam(8, 11);
    const bad = (f: () => unknown, re: RegExp) => expect(f).toThrow(re);
    await expectNoLeak(async () => {
      bad(() => visSession(model, channelMean('gapp', 0), { param }), /Error in render\.visSession: the objective's layer must be a layer of the model, but got "gapp" \(in "channel\(gapp:0\)"\)\. Did you mean 'gap'/);
      bad(() => visSession(model, 'reluu:1', { param }), /must be a layer of the model, but got "reluu".*Did you mean 'relu'/);
      bad(() => visSession(model, 'relu:9', { param }), /out of range/); // the objective's own error, from the trial pass
      bad(() => visSession(model, {} as unknown as Objective, { param }), /Error in render\.visSession: objective must be an Objective, a number or a 'layer:n' string, but got \[object Object\]\./);
      bad(() => visSession(model, null as unknown as Objective, { param }), /objective must be an Objective.*but got null/);
      bad(() => visSession({} as never, 'relu:0', { param }), /Error in render\.visSession: model must be a VisModel/);
      bad(() => visSession(model, 'relu:0', { param, transforms: 'none' as never }), /transforms must be an array/);
      bad(() => visSession(model, 'relu:0', { param, seed: NaN }), /seed must be a finite number, but got NaN/);
      bad(() => visSession(model, 'relu:0', { param, optimizer: 'adam' as never }), /optimizer must be a tf\.Optimizer/);
      bad(() => visSession(model, 'relu:0', { param: { image: 1 } as unknown as Param }), /param must be a Param/);
      const fixed = tinyModel({ fixedSize: 32 });
      bad(() => visSession(fixed, 'relu:0', { param, transforms: [] }), /Error in render\.visSession: the param image must be 32×32 px after transforms \(the model's fixed input size\), but got 8×8/);
      fixed.dispose();
      const small = tinyModel({ minSize: 10 });
      bad(() => visSession(small, 'relu:0', { param, transforms: [randomCrop] }), /Error in render\.visSession: the param image must have a size the model can take, but got \[1, 6, 6, 3\] after transforms/);
      small.dispose();
      const rgba: Param = { ...param, shape: [1, 8, 8, 4], image: () => tf.concat([param.image(), tf.ones([1, 8, 8, 1])], 3) as tf.Tensor4D };
      bad(() => visSession(model, 'relu:0', { param: rgba, transforms: [] }), /must have 3 channels \(the model's input\) after transforms, but got 4 \(an alpha channel/);
      const s = visSession(model, 3, { param, transforms: [] });
      bad(() => s.step(), /Error in render\.visSession\.step: objective must depend on the param's variables, but got "3\.0"/);
      s.dispose();
      await expect(renderVis(model, 'relu:0', { param, thresholds: [] })).rejects.toThrow(/Error in render\.renderVis: thresholds must be a non-empty array of non-negative integers, but got \[\]/);
      await expect(renderVis(model, 'relu:0', { param, thresholds: [1.5] })).rejects.toThrow(/thresholds must be/);
      await expect(renderVis(model, 'rel:0', { param })).rejects.toThrow(/Did you mean 'relu'/);
      // Unknown option keys name the allowed ones and the closest.
      bad(() => visSession(model, 'relu:0', { param, seeed: 1 } as never), /^Error in render\.visSession: options must only have known keys, but got unknown option "seeed" \(allowed: "param", "optimizer", "transforms", "reluGradientOverride", "seed"; did you mean "seed"\?\)\.$/);
      await expect(renderVis(model, 'relu:0', { param, onProgres: () => undefined } as never)).rejects.toThrow(/^Error in render\.renderVis: options must only have known keys, but got unknown option "onProgres" \(allowed: .*; did you mean "onProgress"\?\)\.$/);
      // A disposed param is refused (every library param has a `disposed` flag).
      const gone = pixelImage([1, 8, 8, 3], { sd: 0.1, seed: 1 });
      gone.dispose();
      bad(() => visSession(model, 'relu:0', { param: gone, transforms: [] }), /^Error in render\.visSession: param must not be disposed, but got a disposed param\.$/);
    });
    param.dispose();
    model.dispose();
  });

  it('defaults: a seeded param.image(128) it owns, standard transforms unless [] is given, ReLU override on in renderVis', async () => {
    await useBackend('cpu');
    const model = tinyModel();
    await expectNoLeak(async () => {
      // The session's own param: image(128) seeded from `seed` (transforms [] only to keep this fast).
      const initial = (seed: number) => {
        const s = visSession(model, 'relu:0', { seed, transforms: [] });
        expect(s.param.shape).toEqual([1, 128, 128, 3]);
        const v = s.param.variables.map(values);
        s.dispose();
        expect(s.param.variables.every((x) => x.isDisposed)).toBe(true);
        return v.flat();
      };
      const a = initial(3), b = initial(3), c = initial(4);
      expect(maxAbsDiff(a, b)).toBe(0);
      expect(maxAbsDiff(a, c)).toBeGreaterThan(0);

      const param = pixelParam(32, 12);
      const size = (transforms?: []) => {
        const s = visSession(model, 'relu:0', { param, transforms, seed: 1 });
        const t = s.evaluate('relu');
        const shape = t.shape;
        t.dispose();
        s.dispose();
        return shape;
      };
      expect(size([])).toEqual([1, 32, 32, 4]);
      expect(size(undefined)[1]).not.toBe(32); // pad 12, jitter 8, scale, rotate, jitter 4
      param.dispose();
    });
    const dead = tinyModel({ bias: -20 });
    const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    await expectNoLeak(async () => {
      const moved = async (options: { reluGradientOverride?: boolean; verbose?: boolean }) => {
        const param = pixelParam(8, 13);
        const v = values(param.variables[0]);
        const r = await renderVis(dead, 'relu:0', { param, transforms: [], optimizer: tf.train.sgd(1), thresholds: [1], ...options });
        const d = maxAbsDiff(values(param.variables[0]), v);
        param.dispose();
        return { d, r };
      };
      const on = await moved({ verbose: true });
      expect(on.d).toBeGreaterThan(0);
      expect(log).toHaveBeenCalledTimes(1);
      expect(log).toHaveBeenCalledWith(1, on.r.losses[1]);
      expect((await moved({ reluGradientOverride: false })).d).toBe(0);
    });
    log.mockRestore();
    dead.dispose();
    model.dispose();
  });
});

import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import * as tfc from '@tensorflow/tfjs-converter';
import { describe, expect, it } from 'vitest';
import { expectNoLeak, useBackend } from '../helpers/tf';
import { fromGraphModel, fromLayersModel, visModel } from '../../src/model/index';
import { Rng } from '../../src/ops/random';

/** A LayersModel whose only layer is the identity: its activation is exactly the model input. */
function identityLayersModel(): tfl.LayersModel {
  const input = tfl.input({ shape: [null, null, 3] as unknown as number[], name: 'img' });
  const out = tfl.layers.activation({ activation: 'linear', name: 'id' }).apply(input) as tfl.SymbolicTensor;
  return tfl.model({ inputs: input, outputs: out });
}

/** A GraphModel computing `neg = -input` (so the input the model sees is `-neg`). */
async function negGraphModel(): Promise<tfc.GraphModel> {
  const FLOAT = { type: 'DT_FLOAT' };
  const shape = { shape: { dim: [{ size: '-1' }, { size: '-1' }, { size: '-1' }, { size: '3' }] } };
  return tfc.loadGraphModel(
    tf.io.fromMemory({
      modelTopology: {
        node: [
          { name: 'image', op: 'Placeholder', attr: { dtype: FLOAT, shape } },
          { name: 'neg', op: 'Neg', input: ['image'], attr: { T: FLOAT } },
        ],
        versions: { producer: 1 },
      },
      weightSpecs: [],
      weightData: new ArrayBuffer(0),
      format: 'graph-model',
    }),
  );
}

function image(seed: number): { data: Float32Array; t: tf.Tensor4D } {
  const r = new Rng(seed);
  const data = Float32Array.from({ length: 2 * 3 * 4 * 3 }, () => r.next());
  return { data, t: tf.tensor4d(data, [2, 3, 4, 3]) };
}

/** The expected model input in float64: order channels, then per channel (x − mean) / std. */
function expected(data: Float32Array, order: 'RGB' | 'BGR', scale: number[], offset: number[]): number[] {
  const out: number[] = [];
  for (let p = 0; p < data.length; p += 3) {
    const px = order === 'RGB' ? [data[p], data[p + 1], data[p + 2]] : [data[p + 2], data[p + 1], data[p]];
    for (let c = 0; c < 3; c++) out.push(px[c] * scale[c] + offset[c]);
  }
  return out;
}

describe('inputRange', () => {
  it('maps [0, 1] RGB to [lo, hi] and to per-channel (x - mean) / std, in the model channel order (LayersModel)', async () => {
    await useBackend('cpu');
    const m = identityLayersModel();
    const { data, t } = image(1);
    const cases: { range: Parameters<typeof fromLayersModel>[1]['inputRange']; order: 'RGB' | 'BGR'; scale: number[]; offset: number[] }[] = [
      { range: [-117, 138], order: 'RGB', scale: [255, 255, 255], offset: [-117, -117, -117] },
      { range: [0, 1], order: 'BGR', scale: [1, 1, 1], offset: [0, 0, 0] },
      {
        range: { mean: [0.406, 0.456, 0.485], std: [0.225, 0.224, 0.229] },
        order: 'BGR',
        scale: [1 / 0.225, 1 / 0.224, 1 / 0.229],
        offset: [-0.406 / 0.225, -0.456 / 0.224, -0.485 / 0.229],
      },
    ];
    for (const c of cases) {
      const vm = await fromLayersModel(m, { inputRange: c.range, channelOrder: c.order });
      const got = await expectNoLeak(() => {
        const a = vm.activations(t, ['id']);
        const v = Array.from((a.get('id') as tf.Tensor).dataSync());
        tf.dispose([...a.values()]);
        return v;
      });
      const want = expected(data, c.order, c.scale, c.offset);
      got.forEach((v, i) => expect(v).toBeCloseTo(want[i], 4));
    }
    t.dispose();
    m.dispose();
  });

  it('maps the same way for a GraphModel', async () => {
    await useBackend('cpu');
    const gm = await negGraphModel();
    const vm = await fromGraphModel(gm, { inputRange: { mean: [1, 2, 3], std: [0.5, 2, 4] }, channelOrder: 'BGR' });
    expect(vm.layers.map((l) => l.name)).toEqual(['neg']);
    const { data, t } = image(2);
    const got = await expectNoLeak(() => {
      const a = vm.activations(t, ['neg']);
      const v = Array.from((a.get('neg') as tf.Tensor).dataSync()).map((x) => -x);
      tf.dispose([...a.values()]);
      return v;
    });
    const want = expected(data, 'BGR', [2, 0.5, 0.25], [-2, -1, -0.75]);
    got.forEach((v, i) => expect(v).toBeCloseTo(want[i], 4));
    t.dispose();
    vm.dispose();
    gm.dispose();
  });

  it('is required and validated, with the expected shape in the message and nothing allocated', async () => {
    await useBackend('cpu');
    const m = identityLayersModel();
    const bad: [unknown, RegExp][] = [
      [undefined, /^Error in model\.fromLayersModel: inputRange is required: it must be a value range \[lo, hi\] with finite lo < hi .*, but got undefined\.$/],
      [[1, 1], /^Error in model\.fromLayersModel: inputRange must be a value range \[lo, hi\] with finite lo < hi.*, but got \[1, 1\]\.$/],
      [[0, NaN], /inputRange must be .*, but got \[0, NaN\]\./],
      [[0, 1, 2], /inputRange must be .*, but got \[0, 1, 2\]\./],
      [{ mean: [1, 2], std: [1, 1, 1] }, /inputRange must be .*\{ mean: \[m0, m1, m2\], std: \[s0, s1, s2\] \} with finite means and std > 0, but got \{ mean: \[1, 2\], std: \[1, 1, 1\] \}\./],
      [{ mean: [1, 2, 3], std: [1, 0, 1] }, /std > 0, but got \{ mean: \[1, 2, 3\], std: \[1, 0, 1\] \}\./],
      ['[-1, 1]', /inputRange must be .*, but got "\[-1, 1\]"\./],
    ];
    await expectNoLeak(async () => {
      for (const [range, re] of bad) {
        await expect(fromLayersModel(m, { inputRange: range as [number, number] })).rejects.toThrow(re);
      }
    });
    await expect(visModel(m, {} as { inputRange: [number, number] })).rejects.toThrow(/^Error in model\.visModel: inputRange is required/);
    await expect(fromLayersModel(m, { inputRange: [0, 1], channelOrder: 'rgb' as 'RGB' })).rejects.toThrow(
      /^Error in model\.fromLayersModel: channelOrder must be one of 'RGB', 'BGR', but got "rgb"\.$/,
    );
    await expect(fromLayersModel(m, { inputRange: [0, 1], labels: [1, 2] as unknown as string[] })).rejects.toThrow(
      /^Error in model\.fromLayersModel: labels must be an array of class names \(strings\), but got \[1, 2\]\.$/,
    );
    m.dispose();
  });
});

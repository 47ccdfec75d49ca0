/**
 * Gallery throughput: channels per minute for workers 1/2 × batch 1/4/8 on the default model, and
 * the speedup of 2 workers over 1 at each batch size.
 *
 *   npx tsx bench/gallery.bench.ts [--layer block_13_expand_relu] [--size 128] [--steps 8] [--channels 16] [--rounds 2] [--backend wasm|cpu|wasm-native] [--reverse]
 *
 * Steady state: each configuration's worker pool is started (model loaded) before the clock
 * starts; the clock covers rendering `--channels` channels of `--steps` updates each (PNG encoding
 * in the workers included, file writes not). Configurations run interleaved, `--rounds` times, in
 * alternating order (`--reverse` starts with the last); the table shows the median per configuration
 * (the upper one of two).
 */
import { parseArgs } from 'node:util';
import { availableParallelism } from 'node:os';
import { WorkerPool } from '../src/gallery/node/pool';

const { values } = parseArgs({
  options: {
    layer: { type: 'string', default: 'block_13_expand_relu' },
    size: { type: 'string', default: '128' },
    steps: { type: 'string', default: '8' },
    channels: { type: 'string', default: '16' },
    rounds: { type: 'string', default: '2' },
    backend: { type: 'string', default: 'wasm' },
    reverse: { type: 'boolean', default: false },
  },
});
const size = Number(values.size);
const steps = Number(values.steps);
const nChannels = Number(values.channels);
const rounds = Number(values.rounds);
const backend = values.backend as 'wasm' | 'cpu' | 'wasm-native';
const layer = values.layer as string;

const configs = [1, 2].flatMap((workers) => [1, 4, 8].map((batch) => ({ workers, batch })));
const key = (c: { workers: number; batch: number }) => `${c.workers}x${c.batch}`;
const times = new Map<string, number[]>();

async function measure(workers: number, batch: number): Promise<number> {
  const pool = await WorkerPool.start(workers, { backend, model: {}, layer, options: { size, steps, seed: 0, alpha: false } });
  try {
    const channels = Array.from({ length: nChannels }, (_, i) => i);
    const batches: number[][] = [];
    for (let i = 0; i < channels.length; i += batch) batches.push(channels.slice(i, i + batch));
    const t0 = performance.now();
    await pool.run(batches, async () => undefined, () => undefined);
    return (performance.now() - t0) / 1000;
  } finally {
    await pool.close();
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

console.log(`gallery bench: ${layer}, ${size} px, ${steps} steps/channel, ${nChannels} channels per measurement, ${backend}, ${rounds} rounds, ${availableParallelism()} cores`);
for (let r = 0; r < rounds; r++) {
  const order = (r % 2 === 0) !== values.reverse ? configs : [...configs].reverse();
  for (const c of order) {
    const s = await measure(c.workers, c.batch);
    times.set(key(c), [...(times.get(key(c)) ?? []), s]);
    console.log(`round ${r + 1}: workers ${c.workers}, batch ${c.batch}: ${s.toFixed(1)} s, ${((nChannels / s) * 60).toFixed(1)} channels/min`);
  }
}
console.log('\n| workers | batch | channels/min (median) | s per channel |');
console.log('|---|---|---|---|');
for (const c of configs) {
  const s = median(times.get(key(c)) as number[]);
  console.log(`| ${c.workers} | ${c.batch} | ${((nChannels / s) * 60).toFixed(1)} | ${(s / nChannels).toFixed(2)} |`);
}
console.log('\n| batch | speedup of 2 workers over 1 | batch B over batch 1 (1 worker) |');
console.log('|---|---|---|');
const b1 = median(times.get('1x1') as number[]);
for (const batch of [1, 4, 8]) {
  const one = median(times.get(`1x${batch}`) as number[]);
  const two = median(times.get(`2x${batch}`) as number[]);
  console.log(`| ${batch} | ${(one / two).toFixed(2)}× | ${(b1 / one).toFixed(2)}× |`);
}

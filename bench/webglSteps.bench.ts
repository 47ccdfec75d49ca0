/**
 * The render loop on webgl in Debian's Chromium over many steps with Lucid's standard transforms
 * (issue 13 item 5): how many shader programs each step compiles, and what a step costs, for
 *   - `WEBGL_USE_SHAPES_UNIFORMS` off (tfjs's default: shapes are compiled into each program) and
 *     the jitter crops as plain `tf.slice` (tfjs's slice gradient is a pad whose offsets webgl
 *     compiles into the shader: the library before its own crop gradient),
 *   - the flag on (what the playground sets), `tf.slice` jitter,
 *   - the flag on, the library's `transform.jitter` (offset-free gradient programs),
 *   - the same, loss read with `await session.stepAsync()` instead of `session.step()`'s `dataSync`
 *     (what `renderVis` and the playground do).
 *
 * Run: `npm run bench:webgl -- [rounds=2] [steps=40]`. Needs /usr/bin/chromium. Each variant runs in
 * a fresh page (an empty program cache), the variants interleaved round by round. Fixture
 * LayersModel, `sep3:1`, 48 px, alpha, standard transforms (pad 12, jitter 8, 11 scales,
 * 11 angles, jitter 4): the webgl e2e test's model and size. WebGL runs on SwiftShader (the CPU).
 */
import { median, renderSteps, runBrowserBench } from './browserPage';
import type { RenderRequest, RenderResult } from '../tests/browser/webgpu.entry';

interface Variant {
  name: string;
  req: Pick<RenderRequest, 'read' | 'shapesUniforms' | 'sliceJitter'>;
}

const VARIANTS: Variant[] = [
  { name: 'shapes in programs, tf.slice jitter, dataSync', req: { shapesUniforms: false, sliceJitter: true, read: 'sync' } },
  { name: 'shapes as uniforms, tf.slice jitter, dataSync', req: { shapesUniforms: true, sliceJitter: true, read: 'sync' } },
  { name: 'shapes as uniforms, library jitter, dataSync', req: { shapesUniforms: true, read: 'sync' } },
  { name: 'shapes as uniforms, library jitter, await data()', req: { shapesUniforms: true, read: 'async' } },
];

const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);

runBrowserBench([], async (openPage) => {
  const rounds = Number(process.argv[2] ?? 2);
  const steps = Number(process.argv[3] ?? 40);
  if (!(Number.isInteger(rounds) && rounds > 0 && Number.isInteger(steps) && steps >= 20)) {
    throw new Error(`usage: webglSteps.bench.ts [rounds >= 1] [steps >= 20], but got ${process.argv.slice(2).join(' ')}`);
  }
  const tail = Math.floor(steps / 2);
  const results = new Map<string, RenderResult[]>(VARIANTS.map((v) => [v.name, []]));
  for (let r = 0; r < rounds; r++) {
    for (const v of VARIANTS) {
      const page = await openPage();
      const req: RenderRequest = { backend: 'webgl', layer: 'sep3', channel: 1, size: 48, steps, transforms: 'standard', alpha: true, seed: 1 + r, ...v.req };
      const res = await renderSteps(page, req);
      if (res.backendUsed !== 'webgl') throw new Error(`ran on ${res.backendUsed}`);
      results.get(v.name)!.push(res);
      await page.close();
      process.stderr.write(`round ${r + 1} ${v.name}: ${(sum(res.stepMs) / 1000).toFixed(1)} s\n`);
    }
  }
  console.log(`webgl (SwiftShader), fixture sep3:1, 48 px, alpha, standard transforms; ${rounds} rounds x ${steps} steps per variant, fresh page each`);
  console.log(`medians over rounds; "late" = the last ${tail} steps\n`);
  console.log('| variant | first step (ms) | steps 1-10 (s) | programs after 1 / 10 / all steps | new programs per late step | late step (ms) | late steps/s | tensor growth |');
  console.log('|---|---:|---:|---|---:|---:|---:|---:|');
  const lateMs = new Map<string, number>();
  for (const v of VARIANTS) {
    const rs = results.get(v.name)!;
    const m = (f: (x: RenderResult) => number) => median(rs.map(f));
    const late = median(rs.flatMap((x) => x.stepMs.slice(steps - tail)));
    lateMs.set(v.name, late);
    const newLate = m((x) => (x.programs[steps - 1] - x.programs[steps - tail - 1]) / tail);
    const growth = rs.map((x) => x.tensorsAfter - x.tensorsBefore).join('/');
    console.log(
      `| ${v.name} | ${m((x) => x.stepMs[0]).toFixed(0)} | ${m((x) => sum(x.stepMs.slice(0, 10)) / 1000).toFixed(1)} | ` +
        `${m((x) => x.programs[0])} / ${m((x) => x.programs[9])} / ${m((x) => x.programs[steps - 1])} | ${newLate.toFixed(2)} | ` +
        `${late.toFixed(0)} | ${(1000 / late).toFixed(2)} | ${growth} |`,
    );
  }
  const base = lateMs.get(VARIANTS[0].name)!;
  console.log(`\nlate-step speed-up over "${VARIANTS[0].name}": ${VARIANTS.map((v) => `${v.name} ${(base / lateMs.get(v.name)!).toFixed(2)}x`).join(', ')}`);
  // same seeds in every variant: how far the losses drift apart (float32 shader code differs between variants)
  const rel = (a: number, b: number) => Math.abs(a - b) / Math.max(1, Math.abs(b));
  const drift = (a: RenderResult[], b: RenderResult[], from: number, to: number) =>
    Math.max(...a.map((x, i) => Math.max(...x.values.slice(from, to).map((y, k) => rel(y, b[i].values[from + k])))));
  console.log('\nlargest relative difference of the losses, same seeds (steps 1-5 | all steps):');
  for (let k = 1; k < VARIANTS.length; k++) {
    const a = results.get(VARIANTS[k].name)!;
    const first = results.get(VARIANTS[0].name)!;
    const prev = results.get(VARIANTS[k - 1].name)!;
    console.log(
      `- ${VARIANTS[k].name}: vs "${VARIANTS[0].name}" ${drift(a, first, 0, 5).toExponential(1)} | ${drift(a, first, 0, steps).toExponential(1)}; ` +
        `vs "${VARIANTS[k - 1].name}" ${drift(a, prev, 0, 5).toExponential(1)} | ${drift(a, prev, 0, steps).toExponential(1)}`,
    );
  }
});

/**
 * The render loop on webgl in Debian's Chromium over many steps with Lucid's standard transforms
 * (issue 13 item 5): how many shader programs each step compiles, and what a step costs once the
 * programs exist, for
 *   - `WEBGL_USE_SHAPES_UNIFORMS` off (tfjs's default: shapes are compiled into each program),
 *   - the flag on (what the playground and the library's browser pages set), loss read with
 *     `session.step()` (`dataSync`),
 *   - the flag on, loss read with `await session.stepAsync()` (what `renderVis` and the playground do).
 *
 * Run: `npm run bench:webgl -- [rounds=2] [steps=40]`. Needs /usr/bin/chromium. Each variant runs in
 * a fresh page (an empty program cache), the variants interleaved round by round. Fixture
 * LayersModel, `sep3:1`, 48 px, alpha, standard transforms (pad 12, jitter 8, 11 scales,
 * 11 angles, jitter 4): the webgl e2e test's model and size. WebGL runs on SwiftShader (the CPU).
 */
import { startServer } from '../scripts/serve';
import { HAS_CHROMIUM, NO_CHROMIUM_MESSAGE, launchChromium } from '../tests/browser/chromium';
import type { RenderRequest, RenderResult } from '../tests/browser/webgpu.entry';

interface Variant {
  name: string;
  req: Pick<RenderRequest, 'read' | 'shapesUniforms'>;
}

const VARIANTS: Variant[] = [
  { name: 'shapes in programs, dataSync', req: { shapesUniforms: false, read: 'sync' } },
  { name: 'shapes as uniforms, dataSync', req: { shapesUniforms: true, read: 'sync' } },
  { name: 'shapes as uniforms, await data()', req: { shapesUniforms: true, read: 'async' } },
];

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);

async function main(): Promise<void> {
  if (!HAS_CHROMIUM) {
    console.log(`skipped: ${NO_CHROMIUM_MESSAGE}`);
    return;
  }
  const rounds = Number(process.argv[2] ?? 2);
  const steps = Number(process.argv[3] ?? 40);
  if (!(Number.isInteger(rounds) && rounds > 0 && Number.isInteger(steps) && steps >= 20)) {
    throw new Error(`usage: webglSteps.bench.ts [rounds >= 1] [steps >= 20], but got ${process.argv.slice(2).join(' ')}`);
  }
  const tail = Math.floor(steps / 2);
  const [server, browser] = await Promise.all([startServer({ testEntries: true, defaultModel: false }), launchChromium()]);
  const results = new Map<string, RenderResult[]>(VARIANTS.map((v) => [v.name, []]));
  try {
    for (let r = 0; r < rounds; r++) {
      for (const v of VARIANTS) {
        const page = await browser.context.newPage();
        await page.goto(`${server.url}test/webgpu.html`);
        await page.waitForFunction(() => (window as unknown as { __ready?: boolean }).__ready === true, null, { timeout: 30_000 });
        const req: RenderRequest = { backend: 'webgl', layer: 'sep3', channel: 1, size: 48, steps, transforms: 'standard', alpha: true, seed: 1 + r, ...v.req };
        const res = await page.evaluate(
          (q) => (window as unknown as { __webgpu: { renderSteps(q: RenderRequest): Promise<RenderResult> } }).__webgpu.renderSteps(q),
          req,
        );
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
    const same = VARIANTS.slice(1).every((v) => results.get(v.name)!.every((x, i) => x.values.every((y, k) => Math.abs(y - results.get(VARIANTS[1].name)![i].values[k]) <= 1e-4 * Math.max(1, Math.abs(y)))));
    console.log(`losses of the uniforms variants equal step by step (1e-4): ${same}`);
  } finally {
    await browser.close();
    await server.close();
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});

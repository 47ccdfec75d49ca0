/**
 * Steps/s of the library's render loop in Debian's Chromium on webgpu, webgl, wasm and cpu, in the
 * same page, interleaved (round-robin over the backends, a fresh session per round).
 *
 * Run: `npx tsx bench/browserBackends.bench.ts [rounds=3] [steps=6]`. Needs /usr/bin/chromium
 * (`apt-get install -y chromium`). The page is `tests/browser/webgpu.entry.ts`, served by the
 * playground server from http://127.0.0.1 (WebGPU needs a secure context); Chromium runs with the
 * e2e tests' flags plus `--enable-unsafe-webgpu --enable-features=Vulkan --use-vulkan=swiftshader`
 * (WebGPU and WebGL both on SwiftShader, i.e. on the CPU).
 *
 * Settings: the webgl end-to-end test's (fixture LayersModel, `sep3:1`, 48 px, alpha, jitter 8), and
 * the same with Lucid's standard transforms (a new input size every step). Per round and backend:
 * 2 warm-up steps (the first round's first step compiles the shaders/pipelines; reported apart),
 * then `steps` timed steps; the median step over all rounds is reported. Wall time, loss read back
 * synchronously every step (`session.step()`), as in the playground. Also prints the cost of
 * reading one scalar back, synchronously and asynchronously, per backend.
 */
import { median, renderSteps, runBrowserBench } from './browserPage';
import type { PageBackend, RenderRequest } from '../tests/browser/webgpu.entry';

const WEBGPU_ARGS = ['--enable-unsafe-webgpu', '--enable-features=Vulkan', '--use-vulkan=swiftshader'];
const BACKENDS: PageBackend[] = ['webgpu', 'webgl', 'wasm', 'cpu'];
const WARMUP = 2;

runBrowserBench(WEBGPU_ARGS, async (openPage) => {
  const rounds = Number(process.argv[2] ?? 3);
  const steps = Number(process.argv[3] ?? 6);
  const configs: { name: string; req: Omit<RenderRequest, 'backend'> }[] = [
    { name: 'jitter 8, 48 px, alpha (webgl e2e)', req: { layer: 'sep3', channel: 1, size: 48, steps: WARMUP + steps, transforms: 'jitter', alpha: true, seed: 1 } },
    { name: 'standard transforms, 48 px, alpha', req: { layer: 'sep3', channel: 1, size: 48, steps: WARMUP + steps, transforms: 'standard', alpha: true, seed: 1 } },
  ];
  const page = await openPage();
  const adapter = await page.evaluate(() => (window as unknown as { __webgpu: { adapterInfo(): Promise<unknown> } }).__webgpu.adapterInfo());
  const ua = await page.evaluate(() => navigator.userAgent);
  console.log(`${/Chrom\S+/.exec(ua)?.[0] ?? ua}; WebGPU adapter: ${JSON.stringify(adapter)}`);
  console.log(`${rounds} rounds x ${steps} timed steps per backend (after ${WARMUP} warm-up steps), interleaved\n`);
  console.log('## reading a scalar back (sum of 4096 values), median of 9');
  console.log('| backend | dataSync (ms) | await data() (ms) |');
  console.log('|---|---:|---:|');
  for (const backend of BACKENDS) {
    const t = await page.evaluate(
      (b) => (window as unknown as { __webgpu: { readTiming(b: PageBackend): Promise<{ syncMs: number; asyncMs: number }> } }).__webgpu.readTiming(b),
      backend,
    );
    console.log(`| ${backend} | ${t.syncMs.toFixed(2)} | ${t.asyncMs.toFixed(2)} |`);
  }
  console.log('');
  for (const cfg of configs) {
    const times = new Map<PageBackend, number[]>(BACKENDS.map((b) => [b, []]));
    const first = new Map<PageBackend, number>();
    const leaks = new Map<PageBackend, number>(BACKENDS.map((b) => [b, 0]));
    const errors = new Map<PageBackend, string>();
    for (let r = 0; r < rounds; r++) {
      for (const backend of BACKENDS) {
        if (errors.has(backend)) continue;
        try {
          const res = await renderSteps(page, { ...cfg.req, backend, seed: cfg.req.seed + r });
          if (res.backendUsed !== backend) throw new Error(`ran on ${res.backendUsed}`);
          if (r === 0) first.set(backend, res.stepMs[0]);
          times.get(backend)!.push(...res.stepMs.slice(WARMUP));
          leaks.set(backend, leaks.get(backend)! + res.tensorsAfter - res.tensorsBefore);
        } catch (e) {
          errors.set(backend, (e as Error).message.split('\n')[0]);
        }
      }
    }
    const cpuMs = median(times.get('cpu')!);
    console.log(`## ${cfg.name}`);
    console.log('| backend | first step (ms) | median step (ms) | steps/s | steps/s ÷ cpu | tensor growth |');
    console.log('|---|---:|---:|---:|---:|---:|');
    for (const b of BACKENDS) {
      if (errors.has(b)) {
        console.log(`| ${b} | failed: ${errors.get(b)} | | | | |`);
        continue;
      }
      const ms = median(times.get(b)!);
      console.log(`| ${b} | ${first.get(b)!.toFixed(0)} | ${ms.toFixed(1)} | ${(1000 / ms).toFixed(2)} | ${(cpuMs / ms).toFixed(2)} | ${leaks.get(b)} |`);
    }
    console.log('');
  }
});

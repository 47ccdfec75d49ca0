/**
 * The playground's dev server: a tiny static HTTP server on 127.0.0.1 (Node built-ins only).
 *
 * It bundles the playground page (which imports the library from `src/index.ts`) with esbuild for
 * the browser, and serves:
 * - `/` — `playground/index.html`; `/app.js` — the page bundle;
 * - `/wasm/*.wasm` — the tfjs wasm binaries from `node_modules/@tensorflow/tfjs-backend-wasm/dist`
 *   (the page calls `setWasmPaths('/wasm/')`);
 * - `/models/default/*` — the default model as plain tfjs files (`model.json` + shards), from the
 *   package that ships it in node_modules (see {@link defaultModelFiles});
 * - with `testEntries: true`, `/test/<name>.js` bundles of `tests/browser/<name>.entry.ts` (pages
 *   used only by the end-to-end tests, e.g. the webgl-vs-cpu gradient check on the fixture model).
 *
 * Bundles are built once at start-up, with `platform: 'browser'`: an import of a Node built-in by
 * our own code (`src/`, `playground/`, `tests/`) fails the build with a message naming the file, and
 * a Node built-in reached from a dependency fails it too, unless the dependency's own `browser`
 * field maps it away (as tfjs does for `fs`, `worker_threads`, ...).
 *
 * Run it with `npm run playground` (options: `--port N`, default 8080; `--host`, default 127.0.0.1).
 *
 * Hardening (the page is reachable by any web page the user opens, through the browser):
 * - malformed requests (`GET /%zz`, `GET //[`) get a 400 and the server keeps serving; a handler
 *   error gives a 500, never a crash; the 404 does not echo the path;
 * - only loopback host names are answered (`localhost`, `*.localhost`, `127.0.0.1`, `[::1]`, and the
 *   `--host` given): any other `Host` header gets a 421, so a DNS-rebinding page cannot read it;
 * - every response carries `X-Content-Type-Options: nosniff`, a Content-Security-Policy (scripts
 *   and wasm from this origin only), and `Cross-Origin-Opener-Policy: same-origin` +
 *   `Cross-Origin-Embedder-Policy: require-corp` (cross-origin isolation, which also lets the
 *   browser use SharedArrayBuffer and wasm threads);
 * - run as a script, it stops on SIGTERM/SIGINT/SIGHUP and when its parent process dies, so killing
 *   `npm run playground` by its PID stops the server.
 */
import * as http from 'node:http';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { builtinModules } from 'node:module';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

/** The project root (the folder that holds package.json). */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

const WASM_DIR = path.join(ROOT, 'node_modules', '@tensorflow', 'tfjs-backend-wasm', 'dist');

/** Options of {@link startServer}. */
export interface ServeOptions {
  /** Port; 0 (default) picks a free one. */
  port?: number;
  /** Interface to listen on. Default `'127.0.0.1'`. */
  host?: string;
  /** Also bundle and serve the test-only pages `tests/browser/*.entry.ts` under `/test/`. Default false. */
  testEntries?: boolean;
  /** Minify the bundles. Default false. */
  minify?: boolean;
  /** Inline source maps (handy in devtools, slower to build and load). Default false; the CLI turns them on. */
  sourcemap?: boolean;
  /** Serve the default model under `/models/default/`. Default true (false starts faster, for tests). */
  defaultModel?: boolean;
  /** Other entry points (name → file) instead of the page's; for tests of the server itself. */
  entries?: Record<string, string>;
}

/** A running server. */
export interface PlaygroundServer {
  /** Base URL, e.g. `http://127.0.0.1:41234/`. */
  readonly url: string;
  readonly port: number;
  /** Stops listening and closes open connections. */
  close(): Promise<void>;
}

/** A file served from memory. */
interface Asset {
  readonly body: Uint8Array | string;
  readonly type: string;
}

const NODE_BUILTINS = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));

/**
 * esbuild plugin: our own browser code must not import Node built-ins. Dependencies are left to
 * esbuild, which fails on a built-in unless the package's `browser` field disables it.
 */
const noNodeBuiltins: esbuild.Plugin = {
  name: 'no-node-builtins',
  setup(build) {
    build.onResolve({ filter: /^(node:)?[a-z_/]+$/ }, (args) => {
      if (!NODE_BUILTINS.has(args.path)) return undefined;
      const importer = path.relative(ROOT, args.importer);
      if (importer.startsWith('node_modules')) return undefined;
      return {
        errors: [
          {
            text:
              `Node built-in "${args.path}" imported by ${importer}: the browser build of tfjs-optvis must not ` +
              `use Node built-ins (move this code to a Node-only module such as src/node.ts).`,
          },
        ],
      };
    });
  },
};

/** The browser entry points: name → source file. */
export function entryPoints(testEntries: boolean): Record<string, string> {
  const entries: Record<string, string> = { app: path.join(ROOT, 'playground', 'main.ts') };
  if (testEntries) {
    const dir = path.join(ROOT, 'tests', 'browser');
    for (const f of fs.readdirSync(dir)) {
      const m = /^(.+)\.entry\.ts$/.exec(f);
      if (m) entries[`test/${m[1]}`] = path.join(dir, f);
    }
  }
  return entries;
}

/**
 * Bundles the page (and test pages) for the browser, in memory. Throws with esbuild's messages
 * when the build fails, e.g. when a Node built-in reaches the browser bundle.
 * Returns a map from URL path (`/app.js`, `/test/gradcheck.js`) to bundle text.
 */
export async function buildBundles(
  options: Pick<ServeOptions, 'testEntries' | 'minify' | 'sourcemap'> & {
    /** Other entry points (name → file) instead of the page's; for tests of the build itself. */
    entries?: Record<string, string>;
  } = {},
): Promise<Map<string, string>> {
  const result = await esbuild.build({
    entryPoints: options.entries ?? entryPoints(options.testEntries ?? false),
    bundle: true,
    write: false,
    outdir: '/',
    format: 'esm',
    platform: 'browser',
    target: 'es2020',
    minify: options.minify ?? false,
    sourcemap: options.sourcemap ? 'inline' : false,
    logLevel: 'silent',
    define: { 'process.env.NODE_ENV': '"production"' },
    plugins: [noNodeBuiltins],
  }).catch((e: unknown) => {
    const failure = e as esbuild.BuildFailure;
    const lines = (failure.errors ?? []).map(
      (m) => `${m.location ? `${m.location.file}:${m.location.line}: ` : ''}${m.text}${m.notes.map((n) => `\n  ${n.text}`).join('')}`,
    );
    throw new Error(`Browser bundle failed:\n${lines.join('\n') || String(e)}`);
  });
  const out = new Map<string, string>();
  for (const f of result.outputFiles) out.set(f.path.replace(/\\/g, '/'), f.text);
  return out;
}

/**
 * The default model as plain tfjs files: URL file name → contents (`model.json`, `weights.bin`,
 * and `info.json` with its input range, the layer to cut it at and a suggested layer/channel).
 *
 * The default model (`src/model/defaultModel.ts`) ships inside an npm package as JavaScript files;
 * the server decodes it once with the library's Node reader and exposes it under `/models/default/`
 * so that the page loads it like any other model URL. When it cannot be read (package missing),
 * the map is empty, `reason` says why, and the page asks the user to pick files instead.
 */
export async function defaultModelFiles(): Promise<{ files: Map<string, Asset>; reason?: string }> {
  const files = new Map<string, Asset>();
  try {
    const dm = await import('../src/model/defaultModel');
    const artifacts = await dm.defaultModelArtifacts('playground');
    const weights = new Uint8Array(artifacts.weightData as ArrayBuffer);
    const modelJson = {
      format: artifacts.format,
      generatedBy: 'tfjs-optvis playground server',
      modelTopology: artifacts.modelTopology,
      weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs }],
    };
    const info = {
      name: dm.DEFAULT_MODEL_INFO.name,
      inputRange: dm.DEFAULT_MODEL_INFO.inputRange,
      cutAt: dm.DEFAULT_MODEL_INFO.cutAt,
      layer: dm.DEFAULT_TARGET.layer,
      channel: dm.DEFAULT_TARGET.channel,
    };
    files.set('model.json', { body: JSON.stringify(modelJson), type: TYPES['.json'] });
    files.set('weights.bin', { body: weights, type: 'application/octet-stream' });
    files.set('info.json', { body: JSON.stringify(info), type: TYPES['.json'] });
    return { files };
  } catch (e) {
    return { files, reason: e instanceof Error ? e.message : String(e) };
  }
}

/**
 * Headers sent with every response. The CSP allows scripts and wasm only from this origin and
 * from blob: URLs (`'wasm-unsafe-eval'` compiles the tfjs wasm binaries; with cross-origin isolation
 * tfjs runs threaded wasm, whose workers are blob: URLs that `importScripts` a blob: copy of the
 * glue code), inline styles (the page's `<style>`), and the page's one inline handler by its hash.
 * No `'unsafe-eval'`, no `'unsafe-inline'` scripts, no plugins, no framing.
 */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'x-content-type-options': 'nosniff',
  'content-security-policy': [
    "default-src 'self'",
    // 'unsafe-hashes' + hash: only the form's onsubmit="return false" in playground/index.html.
    "script-src 'self' blob: 'wasm-unsafe-eval' 'unsafe-hashes' 'sha256-GZIcz60Uwd6wT3vaYke/atSr53TehbYAPepOa3d03Vw='",
    "worker-src 'self' blob:",
    "img-src 'self' data: blob:",
    "style-src 'self' 'unsafe-inline'",
    "connect-src 'self' blob: data:",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; '),
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-embedder-policy': 'require-corp',
  'cross-origin-resource-policy': 'same-origin',
  'referrer-policy': 'no-referrer',
});

/**
 * Which `Host` headers the server answers: loopback names (and `listenHost` itself when it is a
 * specific name or address), any port. Blocks DNS rebinding (a foreign name resolving to 127.0.0.1).
 */
export function hostAllowed(listenHost: string): (hostHeader: string | undefined) => boolean {
  const extra = listenHost === '0.0.0.0' || listenHost === '::' ? null : listenHost.toLowerCase().replace(/^\[|\]$/g, '');
  return (header) => {
    if (!header) return false;
    const m = /^(\[[0-9a-f:.]+\]|[^:\[\]]+)(?::\d{1,5})?$/i.exec(header.trim());
    if (!m) return false;
    const name = m[1].toLowerCase().replace(/^\[|\]$/g, '').replace(/\.$/, '');
    if (name === 'localhost' || name.endsWith('.localhost') || name === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(name)) return true;
    return extra !== null && name === extra;
  };
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.png': 'image/png',
};

/** Starts the playground server; resolves once it listens. */
export async function startServer(options: ServeOptions = {}): Promise<PlaygroundServer> {
  const host = options.host ?? '127.0.0.1';
  const bundles = await buildBundles(options);
  const assets = new Map<string, Asset>();
  for (const [p, text] of bundles) assets.set(p, { body: text, type: TYPES['.js'] });
  const model = options.defaultModel === false ? { files: new Map<string, Asset>() } : await defaultModelFiles();
  for (const [name, a] of model.files) assets.set(`/models/default/${name}`, a);
  if (model.reason) console.warn(`playground: no default model (${model.reason}); users can still pick model files.`);

  const allowedHost = hostAllowed(host);
  const server = http.createServer((req, res) => {
    const send = (status: number, body: Uint8Array | string, type: string): void => {
      res.writeHead(status, { ...SECURITY_HEADERS, 'content-type': type, 'cache-control': 'no-store' });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    try {
      if (!allowedHost(req.headers.host)) return send(421, 'misdirected request: this server answers only to localhost', 'text/plain; charset=utf-8');
      let p: string;
      try {
        p = decodeURIComponent(new URL(req.url ?? '/', 'http://localhost').pathname);
      } catch {
        return send(400, 'bad request', 'text/plain; charset=utf-8');
      }
      if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'method not allowed', 'text/plain; charset=utf-8');
      const asset = assets.get(p);
      if (asset) return send(200, asset.body, asset.type);
      const testPage = /^\/test\/([\w-]+)\.html$/.exec(p);
      if (testPage && assets.has(`/test/${testPage[1]}.js`)) {
        return send(200, `<!doctype html><meta charset="utf-8"><title>${testPage[1]}</title><link rel="icon" href="data:,"><script type="module" src="/test/${testPage[1]}.js"></script>`, TYPES['.html']);
      }
      let file: string | undefined;
      if (p === '/' || p === '/index.html') file = path.join(ROOT, 'playground', 'index.html');
      else if (/^\/wasm\/[\w-]+\.wasm$/.test(p)) file = path.join(WASM_DIR, path.basename(p));
      else if (/^\/[\w-]+\.(css|png)$/.test(p)) file = path.join(ROOT, 'playground', path.basename(p));
      if (file && fs.existsSync(file)) return send(200, fs.readFileSync(file), TYPES[path.extname(file)] ?? 'application/octet-stream');
      return send(404, 'not found', 'text/plain; charset=utf-8');
    } catch {
      if (!res.headersSent) return send(500, 'internal error', 'text/plain; charset=utf-8');
      res.destroy();
    }
  });
  const sockets = new Set<import('node:net').Socket>();
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://${host}:${port}/`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

function parseArgs(argv: readonly string[]): ServeOptions {
  const opts: ServeOptions = { port: 8080, sourcemap: true };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`Error in playground: ${a} must be followed by a value, but got nothing.`);
      return v;
    };
    if (a === '--port') {
      const n = Number(next());
      if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`Error in playground: --port must be an integer in [0, 65535], but got ${argv[i]}.`);
      opts.port = n;
    } else if (a === '--host') opts.host = next();
    else if (a === '--test-entries') opts.testEntries = true;
    else if (a === '--minify') opts.minify = true;
    else throw new Error(`Error in playground: argument must be one of --port, --host, --test-entries, --minify, but got ${JSON.stringify(a)}.`);
  }
  return opts;
}

/**
 * Stops the server (and the process) on SIGTERM, SIGINT and SIGHUP, and when the parent process
 * goes away (its pid changes: `npm run playground` killed, even with SIGKILL).
 */
function stopWithParent(server: PlaygroundServer): void {
  let stopping = false;
  const stop = (why: string): void => {
    if (stopping) return;
    stopping = true;
    console.log(`tfjs-optvis playground: stopping (${why}).`);
    const force = setTimeout(() => process.exit(0), 2000);
    force.unref();
    void server.close().then(() => process.exit(0));
  };
  for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.on(sig, () => stop(sig));
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) stop('parent process exited');
  }, 500).unref();
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  startServer(parseArgs(process.argv.slice(2))).then(
    (s) => {
      stopWithParent(s);
      console.log(`tfjs-optvis playground: ${s.url}  (Ctrl+C to stop)`);
    },
    (e: unknown) => {
      console.error(e instanceof Error ? e.message : e);
      process.exit(1);
    },
  );
}

/**
 * The playground server under hostile requests (issue 11, item 5) and its lifetime (issue 12,
 * item 8). Over 127.0.0.1 only; malformed request lines go through raw sockets; every wait is
 * bounded and every process started here is stopped here.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hostAllowed, startServer, type PlaygroundServer } from '../../scripts/serve';

const ROOT = resolve(__dirname, '../..');
const dir = mkdtempSync(join(tmpdir(), 'optvis-serve-'));
let server: PlaygroundServer;

beforeAll(async () => {
  const entry = join(dir, 'tiny.ts');
  writeFileSync(entry, 'export const answer = 42;\n');
  server = await startServer({ defaultModel: false, entries: { app: entry } });
});
afterAll(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Sends `request` as raw bytes to 127.0.0.1:`port` and parses the response (5 s at most). */
function raw(port: number, request: string): Promise<RawResponse> {
  return new Promise((done, fail) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    let data = '';
    const timer = setTimeout(() => {
      socket.destroy();
      fail(new Error(`no complete response within 5 s to ${JSON.stringify(request.split('\r\n')[0])}`));
    }, 5000);
    socket.on('data', (d) => (data += d.toString('latin1')));
    socket.on('error', (e) => {
      clearTimeout(timer);
      fail(e);
    });
    socket.on('close', () => {
      clearTimeout(timer);
      const [head, ...rest] = data.split('\r\n\r\n');
      const lines = head.split('\r\n');
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? '')?.[1] ?? NaN);
      const headers: Record<string, string> = {};
      for (const l of lines.slice(1)) {
        const i = l.indexOf(':');
        if (i > 0) headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
      }
      done({ status, headers, body: rest.join('\r\n\r\n') });
    });
    socket.write(request);
  });
}

const get = (path: string, host = '127.0.0.1'): Promise<RawResponse> =>
  raw(server.port, `GET ${path} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);

describe('playground server: malformed requests', () => {
  it.each([
    ['GET /%zz (bad percent-encoding)', 'GET /%zz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n'],
    ['GET //[ (not a URL)', 'GET //[ HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n'],
    ['GET /%E0%A4%A (truncated UTF-8)', 'GET /%E0%A4%A HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n'],
  ])('%s gets a 400 and the server keeps serving', async (_name, request) => {
    const r = await raw(server.port, request);
    expect(r.status).toBe(400);
    const ok = await get('/app.js');
    expect(ok.status).toBe(200);
    expect(ok.body).toMatch(/42/);
  });
});

describe('playground server: headers and host names', () => {
  it.each(['/app.js', '/', '/no-such-file', '/%zz'])('%s carries nosniff, a CSP and COOP/COEP', async (p) => {
    const r = await get(p);
    expect(r.headers['x-content-type-options']).toBe('nosniff');
    expect(r.headers['content-security-policy']).toMatch(/default-src 'self'/);
    expect(r.headers['content-security-policy']).toMatch(/script-src 'self' blob: 'wasm-unsafe-eval'/);
    expect(/script-src [^;]*/.exec(r.headers['content-security-policy'])?.[0]).not.toMatch(/'unsafe-inline'|\*|https?:/);
    expect(r.headers['content-security-policy']).toMatch(/object-src 'none'/);
    expect(r.headers['content-security-policy']).not.toMatch(/'unsafe-eval'/);
    expect(r.headers['cross-origin-opener-policy']).toBe('same-origin');
    expect(r.headers['cross-origin-embedder-policy']).toBe('require-corp');
  });

  it('the 404 does not echo the path', async () => {
    const r = await get('/secret-%3Cscript%3Ealert(1)%3C%2Fscript%3E');
    expect(r.status).toBe(404);
    expect(r.body).not.toMatch(/secret|script|alert/);
  });

  it.each(['evil.example', `evil.example:${'8080'}`, 'localhost.evil.example', '10.0.0.1', '[::2]', 'attacker.com:80'])('Host: %s gets a 421 (DNS rebinding)', async (host) => {
    const r = await get('/app.js', host);
    expect(r.status).toBe(421);
    expect(r.body).not.toMatch(/42/);
  });

  it.each(['127.0.0.1', 'localhost', 'LOCALHOST', 'app.localhost', '[::1]'])('Host: %s (with the port) is served', async (name) => {
    const r = await get('/app.js', `${name}:${server.port}`);
    expect(r.status).toBe(200);
  });

  it('a request without a Host header is refused', async () => {
    const r = await raw(server.port, 'GET /app.js HTTP/1.0\r\n\r\n');
    expect(r.status).toBe(421);
  });

  it('hostAllowed also accepts the --host name it listens on', () => {
    expect(hostAllowed('myhost.lan')('myhost.lan:8080')).toBe(true);
    expect(hostAllowed('0.0.0.0')('0.0.0.0:8080')).toBe(false);
    expect(hostAllowed('127.0.0.1')('evil.example')).toBe(false);
  });
});

/** Waits until `port` refuses connections (true) or `ms` passes (false). */
async function refusedWithin(port: number, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const refused = await new Promise<boolean>((done) => {
      const s = net.connect({ host: '127.0.0.1', port });
      s.on('connect', () => {
        s.destroy();
        done(false);
      });
      s.on('error', () => done(true));
    });
    if (refused) return true;
    await new Promise((r) => setTimeout(r, 200));
  }
  return false;
}

/** Starts `npm run playground -- --port 0` in its own process group; resolves with its port. */
function startPlayground(): Promise<{ child: ChildProcess; port: number }> {
  return new Promise((done, fail) => {
    const child = spawn('npm', ['run', 'playground', '--', '--port', '0'], { cwd: ROOT, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    started.push(child);
    let out = '';
    const timer = setTimeout(() => fail(new Error(`playground did not start within 90 s:\n${out}`)), 90_000);
    const onData = (d: Buffer): void => {
      out += d.toString();
      const m = /http:\/\/127\.0\.0\.1:(\d+)\//.exec(out);
      if (m) {
        clearTimeout(timer);
        done({ child, port: Number(m[1]) });
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.on('exit', (code) => {
      clearTimeout(timer);
      fail(new Error(`playground exited early (${code}):\n${out}`));
    });
  });
}

const started: ChildProcess[] = [];
afterAll(() => {
  // Whatever happened, stop the process groups started here (by their ids).
  for (const c of started) {
    try {
      if (c.pid) process.kill(-c.pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
});

describe('npm run playground stops with its process', () => {
  it.each(['SIGTERM', 'SIGKILL'] as const)('killing the npm process (%s) by its PID stops the server', async (signal) => {
    const { child, port } = await startPlayground();
    const ok = await new Promise<number>((done) => {
      const s = net.connect({ host: '127.0.0.1', port }, () => {
        s.destroy();
        done(1);
      });
      s.on('error', () => done(0));
    });
    expect(ok).toBe(1);
    process.kill(child.pid as number, signal);
    expect(await refusedWithin(port, 10_000)).toBe(true);
  });
});

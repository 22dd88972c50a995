// Starts real processes for tests: the redred binary, redis-server, Xvfb. Each on a free loopback port or
// display, each stopped by the caller (and killed when the test process exits).
import { spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import net from 'node:net';
import path from 'node:path';

export const sourceDir = process.env.REDRED_SOURCE_DIR ?? path.resolve(new URL('../../..', import.meta.url).pathname);
export const buildDir = process.env.REDRED_BUILD_DIR ?? path.join(sourceDir, 'build');
export const redredBin = process.env.REDRED_BIN ?? path.join(buildDir, 'redred');
export const outputDir = path.join(process.env.REDRED_TEST_OUTPUT ?? path.join(sourceDir, 'test-output'));

const running = new Set();
process.on('exit', () => { for (const p of running) { try { p.kill('SIGKILL'); } catch { /* gone */ } } });

export function tempDir(prefix = 'redred-test-') {
  return mkdtempSync(path.join(tmpdir(), prefix));
}

export function testOutputDir(name) {
  const dir = path.join(outputDir, name);
  mkdirSync(dir, { recursive: true });
  return dir;
}

export async function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => { const { port } = srv.address(); srv.close(() => resolve(port)); });
    srv.on('error', reject);
  });
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Waits until `predicate()` returns a truthy value, polling; throws after `timeoutMs`, or at once when the
// predicate throws an error marked `fatal`.
export async function waitFor(predicate, { timeoutMs = 10000, intervalMs = 50, what = 'condition' } = {}) {
  const deadline = Date.now() + timeoutMs;
  let lastError;
  while (Date.now() < deadline) {
    try { const v = await predicate(); if (v) return v; } catch (e) { if (e.fatal) throw e; lastError = e; }
    await sleep(intervalMs);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? `: ${lastError.message}` : ''}`);
}

function track(proc, name) {
  running.add(proc);
  proc.on('exit', () => running.delete(proc));
  const output = [];
  const collect = (chunk) => { output.push(chunk.toString()); if (process.env.REDRED_TEST_VERBOSE) process.stderr.write(`[${name}] ${chunk}`); };
  proc.stdout?.on('data', collect);
  proc.stderr?.on('data', collect);
  return output;
}

// Sends `signal` and waits for the exit; SIGKILL after `timeoutMs`. Resolves with { code, signal }.
export async function stopProcess(proc, signal = 'SIGTERM', timeoutMs = 10000) {
  if (proc.exitCode !== null || proc.signalCode !== null) return { code: proc.exitCode, signal: proc.signalCode };
  const exited = new Promise((resolve) => proc.once('exit', (code, sig) => resolve({ code, signal: sig })));
  proc.kill(signal);
  const timer = setTimeout(() => proc.kill('SIGKILL'), timeoutMs);
  const result = await exited;
  clearTimeout(timer);
  return result;
}

// Starts `redred serve` on 127.0.0.1 with a free port. Returns { url, port, proc, log(), stop(signal) }.
export async function startRedred({ args = [], env = {}, screenSource = 'pattern', dataDir, webRoot } = {}) {
  const dir = dataDir ?? tempDir('redred-data-');
  const fullArgs = ['serve', '--listen', '127.0.0.1:0', '--data-dir', dir, '--screen-source', screenSource];
  if (webRoot !== undefined) fullArgs.push('--web-root', webRoot);
  fullArgs.push(...args);
  const proc = spawn(redredBin, fullArgs, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const output = track(proc, 'redred');
  const log = () => output.join('');
  const port = await waitFor(() => {
    if (proc.exitCode !== null) throw Object.assign(new Error(`redred exited with ${proc.exitCode}:\n${log()}`), { fatal: true });
    const m = log().match(/listening address=127\.0\.0\.1:(\d+)/);
    return m ? Number(m[1]) : 0;
  }, { timeoutMs: 15000, what: 'redred to listen' }).catch((e) => { proc.kill('SIGKILL'); throw new Error(`${e.message}\n${log()}`); });
  const url = `http://127.0.0.1:${port}`;
  return { url, port, proc, dataDir: dir, log, stop: (signal = 'SIGTERM') => stopChecked(proc, signal, log) };
}

// The server under test was built with -DREDRED_SANITIZE=ON (CTest sets this in build-asan/). Bounds on its memory
// and speed then allow for AddressSanitizer: freed memory is held in a quarantine (256 MB by default) and
// everything runs 2-3x slower.
export const SANITIZED = process.env.REDRED_SANITIZED === '1';
export const memoryBoundMb = (mb) => (SANITIZED ? mb + 256 : mb);

// Under -DREDRED_SANITIZE=ON a finding aborts the server or is printed as it exits (leaks): either way the test
// file fails, with the report. Not by throwing here: a throw in an `after` hook would leave the file's other
// servers running and the file hanging until its timeout.
const sanitizerReport = /ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:/;
let sanitizerFindings = 0;
process.on('exit', () => {
  if (sanitizerFindings > 0) {
    console.error(`${sanitizerFindings} redred process(es) reported sanitizer findings (above)`);
    process.exitCode = 1;
  }
});
async function stopChecked(proc, signal, log) {
  const result = await stopProcess(proc, signal);
  const text = log();
  const at = text.search(sanitizerReport);
  if (at >= 0) {
    sanitizerFindings += 1;
    console.error(`redred's sanitizer reported a problem:\n${text.slice(Math.max(0, at - 200), at + 6000)}`);
  }
  return result;
}

// Starts a real redis-server on a free loopback port, persistence off. Returns { url, port, proc, stop(), restart() }.
export async function startRedis({ port } = {}) {
  const chosen = port ?? await freePort();
  const dir = tempDir('redred-redis-');
  const launch = async () => {
    const proc = spawn('redis-server', ['--port', String(chosen), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no',
      '--dir', dir, '--protected-mode', 'yes'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const output = track(proc, 'redis');
    await waitFor(() => {
      if (proc.exitCode !== null) throw Object.assign(new Error(`redis-server exited: ${output.join('')}`), { fatal: true });
      return output.join('').includes('Ready to accept connections');
    }, { timeoutMs: 10000, what: 'redis-server' });
    return proc;
  };
  const handle = { port: chosen, url: `redis://127.0.0.1:${chosen}/0` };
  handle.proc = await launch();
  handle.stop = () => stopProcess(handle.proc, 'SIGKILL');
  handle.restart = async () => { handle.proc = await launch(); };
  return handle;
}

// Runs redis-cli against a test server and returns its trimmed stdout.
export async function redisCli(port, ...args) {
  return new Promise((resolve, reject) => {
    const proc = spawn('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    proc.stdout.on('data', (c) => { out += c; });
    proc.on('exit', (code) => (code === 0 ? resolve(out.trim()) : reject(new Error(`redis-cli exited ${code}`))));
  });
}

// Starts Xvfb on a free display number. Returns { display, stop() }.
export async function startXvfb({ width = 1280, height = 720 } = {}) {
  for (let n = 90 + Math.floor(Math.random() * 300); n < 1000; n++) {
    if (existsSync(`/tmp/.X${n}-lock`) || existsSync(`/tmp/.X11-unix/X${n}`)) continue;
    const proc = spawn('Xvfb', [`:${n}`, '-screen', '0', `${width}x${height}x24`, '-nolisten', 'tcp'], { stdio: ['ignore', 'pipe', 'pipe'] });
    track(proc, 'xvfb');
    try {
      await waitFor(() => {
        if (proc.exitCode !== null) throw new Error('Xvfb exited');
        return existsSync(`/tmp/.X11-unix/X${n}`);
      }, { timeoutMs: 5000, what: 'Xvfb' });
      return { display: `:${n}`, proc, stop: () => stopProcess(proc) };
    } catch { proc.kill('SIGKILL'); }
  }
  throw new Error('no free X display');
}

// Reads Server-Sent Events from `url` and calls onEvent(dataString) for each `data:` event until it returns
// false, the stream ends, or `timeoutMs` passes. Resolves with { events, ended }.
export async function readSse(url, { onEvent = () => true, timeoutMs = 10000 } = {}) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  const events = [];
  let ended = false;
  try {
    const res = await fetch(url, { signal: controller.signal });
    if (res.headers.get('content-type')?.split(';')[0] !== 'text/event-stream') throw new Error(`not an event stream: ${res.status}`);
    const decoder = new TextDecoder();
    let buffer = '';
    for await (const chunk of res.body) {
      buffer += decoder.decode(chunk, { stream: true });
      let end;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const data = block.split('\n').filter((l) => l.startsWith('data:')).map((l) => l.slice(5).trimStart()).join('\n');
        events.push(data);
        if (onEvent(data) === false) { controller.abort(); return { events, ended }; }
      }
    }
    ended = true;
  } catch (e) {
    if (e.name !== 'AbortError') throw e;
  } finally {
    clearTimeout(timer);
  }
  return { events, ended };
}

export async function json(url, { method = 'GET', body, headers = {} } = {}) {
  const res = await fetch(url, {
    method,
    headers: body !== undefined ? { 'content-type': 'application/json', ...headers } : headers,
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed;
  try { parsed = JSON.parse(text); } catch { parsed = undefined; }
  return { status: res.status, body: parsed, text, headers: res.headers };
}

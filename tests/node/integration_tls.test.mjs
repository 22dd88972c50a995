// TLS (--tls-cert/--tls-key) against the real binary with a self-signed certificate the test trusts: HTTPS
// for the REST API, WSS for the stream WebSocket, the screen feed (SSE, MJPEG, WebSocket) over TLS decoding
// real JPEG frames, modern protocols and ciphers only, plain HTTP refused on the TLS port, the certificate
// reloaded on SIGHUP (new connections get the new one; open ones keep working; a bad file keeps the old one),
// a bad file at start refused with a clear message and exit code 2, and `doctor --url https://...`.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import net from 'node:net';
import path from 'node:path';
import tls from 'node:tls';
import jpeg from 'jpeg-js';
import WebSocket from 'ws';
import { redredBin, tempDir, waitFor } from './lib/redred.mjs';
import { LiveClient, PASSWORD, uniqueName } from './lib/live.mjs';
import { httpsRequest, makeCertificate, startTlsRedred } from './lib/tls.mjs';

const dir = tempDir('redred-tls-files-');
const first = makeCertificate({ cn: 'redred-first' });
const second = makeCertificate({ cn: 'redred-second' });
const certPath = path.join(dir, 'server.crt.pem');
const keyPath = path.join(dir, 'server.key.pem');
copyFileSync(first.cert, certPath);
copyFileSync(first.key, keyPath);
const served = { cert: certPath, key: keyPath };
const ca = [first.certPem, second.certPem];

let server;
before(async () => { server = await startTlsRedred(served); });
after(async () => { await server?.stop(); });

const get = (p, options = {}) => httpsRequest(server.url + p, { ca, ...options });
const post = (p, body, options = {}) => httpsRequest(server.url + p, { ca, method: 'POST', body, ...options });

async function account() {
  const username = uniqueName('tls');
  const res = await post('/api/auth/register/', { username, password: PASSWORD });
  assert.equal(res.status, 201, res.text);
  return { token: res.body.token, user: res.body.user };
}

function connectWss(streamId, token, label) {
  const query = token ? `?token=${encodeURIComponent(token)}` : '';
  const ws = new WebSocket(`${server.wsBase}/ws/live/${streamId}/${query}`, { ca, handshakeTimeout: 5000 });
  const client = new LiveClient(ws, label);
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(client));
    ws.once('error', reject);
  });
}

// TLS handshake only; resolves with { protocol, cipher } or rejects with the handshake error.
function handshake(options) {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: '127.0.0.1', port: server.port, ca, servername: undefined, ...options }, () => {
      const result = { protocol: socket.getProtocol(), cipher: socket.getCipher().name, fingerprint: socket.getPeerCertificate().fingerprint256 };
      socket.end();
      resolve(result);
    });
    socket.setTimeout(5000, () => socket.destroy(new Error('handshake timed out')));
    socket.on('error', reject);
  });
}

describe('HTTPS', () => {
  test('healthz and the REST API answer over TLS 1.3 with the configured certificate', async () => {
    const health = await get('/healthz');
    assert.equal(health.status, 200, health.text);
    assert.equal(health.body.status, 'ok');
    assert.equal(health.protocol, 'TLSv1.3');
    assert.equal(health.cert.fingerprint256, first.fingerprint, 'the certificate from --tls-cert');
    const me = await account();
    const created = await post('/api/live/create/', { title: 'Over TLS', description: '' }, { headers: { authorization: `Bearer ${me.token}` } });
    assert.equal(created.status, 201, created.text);
    const bad = await post('/stream/start', { fps: 0 });
    assert.equal(bad.status, 400, 'errors are the same JSON over TLS');
    assert.equal(bad.body.field, 'fps');
  });

  test('TLS 1.2 gets a forward-secret AEAD cipher; older protocols and weak ciphers are refused', async () => {
    const tls12 = await handshake({ maxVersion: 'TLSv1.2' });
    assert.equal(tls12.protocol, 'TLSv1.2');
    assert.match(tls12.cipher, /^ECDHE-(ECDSA|RSA)-(AES(128|256)-GCM-SHA(256|384)|CHACHA20-POLY1305)$/);
    await assert.rejects(handshake({ minVersion: 'TLSv1', maxVersion: 'TLSv1.1', ciphers: 'ALL:@SECLEVEL=0' }), 'TLS 1.0/1.1 refused');
    await assert.rejects(handshake({ maxVersion: 'TLSv1.2', ciphers: 'AES128-SHA:AES256-SHA:AES128-GCM-SHA256' }),
      'ciphers without forward secrecy refused');
  });

  test('plain HTTP on the TLS port gets no HTTP answer, and TLS clients are still served', async () => {
    const received = await new Promise((resolve, reject) => {
      const socket = net.connect(server.port, '127.0.0.1', () => socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n'));
      const chunks = [];
      socket.on('data', (c) => chunks.push(c));
      socket.on('close', () => resolve(Buffer.concat(chunks).toString('latin1')));
      socket.on('error', () => resolve(Buffer.concat(chunks).toString('latin1')));
      socket.setTimeout(12000, () => { socket.destroy(); reject(new Error('the server kept a plain HTTP client open')); });
    });
    assert.doesNotMatch(received, /HTTP\/1\.1 200/);
    assert.equal((await get('/healthz')).status, 200);
  });
});

describe('WSS', () => {
  test('the stream WebSocket works over TLS: live, viewer count, chat both ways', async () => {
    const streamer = await account();
    const viewer = await account();
    const created = await post('/api/live/create/', { title: 'WSS', description: '' }, { headers: { authorization: `Bearer ${streamer.token}` } });
    const id = created.body.stream.id;
    const s = await connectWss(id, streamer.token, 'streamer');
    const hello = await s.next('connection_established');
    assert.equal(hello.stream.status, 'live');
    const v = await connectWss(id, viewer.token, 'viewer');
    await v.next('connection_established');
    await s.next('user_joined');
    const ack = await s.comment('hola por wss');
    assert.equal(ack.content, 'hola por wss');
    const got = await v.next('comment', { where: (m) => m.content === 'hola por wss' });
    assert.equal(got.username, streamer.user.username);
    const reply = await v.comment('respuesta cifrada');
    assert.equal((await s.next('comment', { where: (m) => m.id === reply.id })).content, 'respuesta cifrada');
    await v.close();
    await s.close();
  });
});

// Reads an HTTPS response body incrementally, calling onChunk(buffer) until it returns true or timeoutMs.
function streamHttps(p, onChunk, timeoutMs = 15000) {
  return new Promise((resolve, reject) => {
    const req = https.request(server.url + p, { ca, agent: false }, (res) => {
      const timer = setTimeout(() => { req.destroy(); reject(new Error(`${p}: not done within ${timeoutMs} ms`)); }, timeoutMs);
      res.on('data', (c) => { if (onChunk(c, res)) { clearTimeout(timer); req.destroy(); resolve(res); } });
      res.on('end', () => { clearTimeout(timer); resolve(res); });
      res.on('error', () => {});
    });
    req.on('error', (e) => { if (!req.destroyed) reject(e); });
    req.end();
  });
}

describe('screen feed over TLS', () => {
  before(async () => {
    const started = await post('/stream/start', { fps: 10, quality: 60 });
    assert.equal(started.status, 200, started.text);
  });
  after(async () => { await post('/stream/stop'); });

  test('SSE events decode to 1280x720 JPEG frames', async () => {
    let text = '';
    const frames = [];
    const res = await streamHttps('/stream/feed', (chunk) => {
      text += chunk.toString('latin1');
      let end;
      while ((end = text.indexOf('\n\n')) >= 0) {
        const event = text.slice(0, end);
        text = text.slice(end + 2);
        if (event.startsWith('data: ') && event.length > 100) frames.push(Buffer.from(event.slice(6), 'base64'));
      }
      return frames.length >= 3;
    });
    assert.equal(res.headers['content-type'], 'text/event-stream');
    assert.ok(frames.length >= 3, `${frames.length} frames`);
    for (const f of frames) {
      const image = jpeg.decode(f, { useTArray: true });
      assert.equal(image.width, 1280);
      assert.equal(image.height, 720);
    }
  });

  test('MJPEG parts decode to JPEG frames', async () => {
    let data = Buffer.alloc(0);
    const parts = [];
    await streamHttps('/stream/mjpeg', (chunk) => {
      data = Buffer.concat([data, chunk]);
      for (;;) {
        const header = data.indexOf('\r\n\r\n');
        if (header < 0) break;
        const m = /Content-Length: (\d+)/i.exec(data.subarray(0, header).toString('latin1'));
        if (!m) break;
        const length = Number(m[1]);
        if (data.length < header + 4 + length) break;
        parts.push(data.subarray(header + 4, header + 4 + length));
        data = data.subarray(header + 4 + length);
      }
      return parts.length >= 2;
    });
    assert.ok(parts.length >= 2, `${parts.length} parts`);
    assert.equal(jpeg.decode(parts[1], { useTArray: true }).width, 1280);
  });

  test('the WebSocket feed (wss) sends binary JPEG frames', async () => {
    const ws = new WebSocket(`${server.wsBase}/stream/ws`, { ca });
    const frame = await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no frame within 10 s')), 10000);
      ws.on('message', (data, isBinary) => { if (isBinary) { clearTimeout(timer); resolve(data); } });
      ws.on('error', reject);
    });
    ws.terminate();
    assert.equal(jpeg.decode(frame, { useTArray: true }).width, 1280);
  });
});

describe('certificate reload', () => {
  test('SIGHUP: new connections get the new certificate, open ones keep going, a bad file keeps the current one', async () => {
    const streamer = await account();
    const created = await post('/api/live/create/', { title: 'Reload', description: '' }, { headers: { authorization: `Bearer ${streamer.token}` } });
    const opened = await connectWss(created.body.stream.id, streamer.token, 'before-reload');
    await opened.next('connection_established');
    assert.equal((await handshake({})).fingerprint, first.fingerprint);

    copyFileSync(second.cert, certPath);
    copyFileSync(second.key, keyPath);
    const reloads = () => (server.log().match(/tls certificate reloaded/g) ?? []).length;
    server.proc.kill('SIGHUP');
    await waitFor(() => reloads() === 1, { what: 'the reload in the log' });
    assert.equal((await handshake({})).fingerprint, second.fingerprint, 'a new connection gets the new certificate');
    assert.equal((await get('/healthz')).cert.fingerprint256, second.fingerprint);
    const ack = await opened.comment('still here after the reload');
    assert.equal(ack.content, 'still here after the reload', 'a connection opened before the reload keeps working');

    writeFileSync(certPath, 'not a certificate\n');
    server.proc.kill('SIGHUP');
    await waitFor(() => /tls reload failed, keeping the previous certificate: --tls-cert .*not a PEM certificate/.test(server.log()),
      { what: 'the failed reload in the log' });
    assert.equal((await handshake({})).fingerprint, second.fingerprint, 'a bad file keeps the current certificate');
    assert.equal(server.proc.exitCode, null, 'the server is still running');
    await opened.close();
  });
});

describe('start-up and doctor', () => {
  const serve = (extra) => spawnSync(redredBin, ['serve', '--listen', '127.0.0.1:0', '--data-dir', tempDir(), '--screen-source', 'pattern', ...extra],
    { encoding: 'utf8', timeout: 15000 });

  test('a missing or wrong file is refused at start with a clear message and exit code 2', () => {
    const missing = serve(['--tls-cert', path.join(dir, 'nope.pem'), '--tls-key', first.key]);
    assert.equal(missing.status, 2, missing.stdout + missing.stderr);
    assert.match(missing.stdout + missing.stderr, /--tls-cert .*nope\.pem: no such file/);
    const mismatched = serve(['--tls-cert', first.cert, '--tls-key', second.key]);
    assert.equal(mismatched.status, 2, mismatched.stdout + mismatched.stderr);
    assert.match(mismatched.stdout + mismatched.stderr, /does not belong to the certificate/);
    const alone = serve(['--tls-cert', first.cert]);
    assert.equal(alone.status, 2);
    assert.match(alone.stdout + alone.stderr, /--tls-cert and --tls-key go together/);
  });

  test('REDRED_TLS_CERT and REDRED_TLS_KEY work like the flags; doctor checks an https:// URL with --tls-ca', async () => {
    const env = { ...process.env, REDRED_TLS_CERT: first.cert, REDRED_TLS_KEY: first.key };
    const proc = spawn(redredBin, ['serve', '--listen', '127.0.0.1:0', '--data-dir', tempDir(), '--screen-source', 'pattern'],
      { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    proc.stdout.on('data', (c) => { log += c; });
    proc.stderr.on('data', (c) => { log += c; });
    try {
      const port = await waitFor(() => Number(/listening address=127\.0\.0\.1:(\d+) url=https:/.exec(log)?.[1] ?? 0), { what: 'https listen line' });
      const health = await httpsRequest(`https://127.0.0.1:${port}/healthz`, { ca: first.certPem });
      assert.equal(health.cert.fingerprint256, first.fingerprint);
      const trusted = spawnSync(redredBin, ['doctor', '--url', `https://127.0.0.1:${port}`, '--tls-ca', first.cert, '--screen-source', 'pattern'],
        { encoding: 'utf8', timeout: 20000 });
      assert.match(trusted.stdout, /ok {4}server/, trusted.stdout);
      const untrusted = spawnSync(redredBin, ['doctor', '--url', `https://127.0.0.1:${port}`, '--screen-source', 'pattern'],
        { encoding: 'utf8', timeout: 20000 });
      assert.notEqual(untrusted.status, 0);
      assert.match(untrusted.stdout, /FAIL {2}server .*TLS handshake .*failed/, untrusted.stdout);
    } finally {
      proc.kill('SIGKILL');
    }
  });
});

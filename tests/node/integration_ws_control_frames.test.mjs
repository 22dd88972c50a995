// WebSocket control frames: a client's ping that arrives while a frame of ours is half-written must never
// corrupt the stream (docs/PROTOCOL.md). A raw-socket viewer stops reading, the streamer relays large offers to
// it so the server's frames block half-way, the viewer pings meanwhile, then reads everything: every frame must
// parse (valid header, text frames valid JSON) and the pongs must come back in order. Plain TCP and TLS.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import tls from 'node:tls';
import WebSocket from 'ws';
import { startRedred, sleep } from './lib/redred.mjs';
import { LiveClient, PASSWORD, connectWs, createStream, register, uniqueName } from './lib/live.mjs';
import { httpsRequest, makeCertificate, startTlsRedred } from './lib/tls.mjs';

const certificate = makeCertificate({ cn: 'redred-ping' });

// A masked client frame.
function clientFrame(opcode, payload) {
  const data = Buffer.from(payload);
  const mask = randomBytes(4);
  const header = data.length < 126 ? Buffer.from([0x80 | opcode, 0x80 | data.length]) : Buffer.from([0x80 | opcode, 0x80 | 126, data.length >> 8, data.length & 0xff]);
  const masked = Buffer.from(data.map((b, i) => b ^ mask[i % 4]));
  return Buffer.concat([header, mask, masked]);
}

// Splits server bytes into frames; throws on anything that is not a well-formed unmasked frame.
function parseFrames(bytes) {
  const frames = [];
  let at = 0;
  while (at + 2 <= bytes.length) {
    const b0 = bytes[at];
    const b1 = bytes[at + 1];
    if ((b0 & 0x70) !== 0) throw new Error(`reserved bits set at byte ${at}`);
    if (b1 & 0x80) throw new Error(`masked server frame at byte ${at}`);
    let length = b1 & 0x7f;
    let header = 2;
    if (length === 126) { if (at + 4 > bytes.length) break; length = bytes.readUInt16BE(at + 2); header = 4; }
    else if (length === 127) { if (at + 10 > bytes.length) break; length = Number(bytes.readBigUInt64BE(at + 2)); header = 10; }
    if (at + header + length > bytes.length) break;  // the rest was not read (the server may still be writing)
    frames.push({ fin: (b0 & 0x80) !== 0, opcode: b0 & 0x0f, payload: bytes.subarray(at + header, at + header + length) });
    at += header + length;
  }
  return frames;
}

// Opens a raw WebSocket to /ws/live/<id>/ and returns { socket, chunks } with the 101 answer consumed.
async function rawViewer(server, streamId, secure) {
  const socket = secure
    ? tls.connect({ host: '127.0.0.1', port: server.port, ca: certificate.certPem })
    : net.connect(server.port, '127.0.0.1');
  await new Promise((resolve, reject) => { socket.once(secure ? 'secureConnect' : 'connect', resolve); socket.once('error', reject); });
  const key = randomBytes(16).toString('base64');
  socket.write(`GET /ws/live/${streamId}/ HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
    `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`);
  const chunks = [];
  let head = Buffer.alloc(0);
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no 101 within 5 s')), 5000);
    const onData = (c) => {
      head = Buffer.concat([head, c]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      clearTimeout(timer);
      socket.off('data', onData);
      assert.match(head.subarray(0, end).toString(), /^HTTP\/1\.1 101/);
      if (head.length > end + 4) chunks.push(head.subarray(end + 4));
      resolve();
    };
    socket.on('data', onData);
  });
  socket.on('data', (c) => chunks.push(c));
  socket.on('error', () => {});
  return { socket, chunks, bytes: () => Buffer.concat(chunks) };
}

// The streamer's account, stream and WebSocket, over HTTPS/WSS when `secure`.
async function streamerOf(server, secure) {
  if (!secure) {
    const account = await register(server);
    const stream = await createStream(server, account.token);
    return { stream, client: await connectWs(server, stream.id, { token: account.token, label: 'streamer' }) };
  }
  const ca = certificate.certPem;
  const reg = await httpsRequest(`${server.url}/api/auth/register/`, { ca, method: 'POST', body: { username: uniqueName('ping'), password: PASSWORD } });
  assert.equal(reg.status, 201, reg.text);
  const created = await httpsRequest(`${server.url}/api/live/create/`, { ca, method: 'POST', body: { title: 'pings', description: '' },
    headers: { authorization: `Bearer ${reg.body.token}` } });
  assert.equal(created.status, 201, created.text);
  const ws = new WebSocket(`${server.wsBase}/ws/live/${created.body.stream.id}/?token=${reg.body.token}`, { ca });
  const client = new LiveClient(ws, 'streamer');
  await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); });
  return { stream: created.body.stream, client };
}

async function pingsDuringHalfWrittenFrames(server, secure) {
  const { stream, client: streamer } = await streamerOf(server, secure);
  await streamer.next('connection_established');
  const viewer = await rawViewer(server, stream.id, secure);
  // The first frame is connection_established: learn our connection id.
  let hello;
  for (let i = 0; i < 100 && !hello; i++) {
    const frames = parseFrames(viewer.bytes());
    for (const f of frames) {
      if (f.opcode !== 1) continue;
      const parsed = JSON.parse(f.payload.toString());
      for (const m of Array.isArray(parsed) ? parsed : [parsed]) if (m.type === 'connection_established') hello = m;
    }
    if (!hello) await sleep(50);
  }
  assert.ok(hello, 'connection_established');
  await streamer.next('user_joined', { where: (m) => m.connection_id === hello.connection_id });

  // Stop reading: the server's socket fills and its frames are left half-written. Offers of ~12 KB each, a
  // ping after every one (the server takes the pings: only its writes are blocked).
  viewer.socket.pause();
  const pings = [];
  // ~7 MB: more than the socket buffers (up to ~5 MB on loopback) plus the 1 MiB queue cap, so the server's
  // writes certainly block and it ends with 1013 (proof that frames were left half-written while pings came).
  const offers = 600;
  const sdp = 'v=0 '.repeat(3000);
  for (let i = 0; i < offers; i++) {
    streamer.send({ type: 'offer', target: hello.connection_id, sdp: `${i}:${sdp}` });
    const payload = `ping-${String(i).padStart(4, '0')}`;
    pings.push(payload);
    viewer.socket.write(clientFrame(0x9, payload));
    if (i % 10 === 9) await sleep(20);
  }
  await sleep(1000);
  viewer.socket.resume();
  // Read until nothing more arrives for a second (bounded).
  let size = -1;
  for (let i = 0; i < 60 && size !== viewer.bytes().length; i++) { size = viewer.bytes().length; await sleep(1000); }
  const bytes = viewer.bytes();
  viewer.socket.destroy();
  await streamer.close();

  const frames = parseFrames(bytes);
  const offersSeen = [];
  const pongs = [];
  let closeCode;
  for (const [n, f] of frames.entries()) {
    assert.ok(f.fin, `frame ${n} is final`);
    assert.ok([0x1, 0x8, 0x9, 0xa].includes(f.opcode), `frame ${n}: opcode ${f.opcode} (corrupt stream)`);
    if (f.opcode === 0xa) pongs.push(f.payload.toString());
    if (f.opcode === 0x8) closeCode = f.payload.readUInt16BE(0);
    if (f.opcode !== 0x1) continue;
    let parsed;
    try { parsed = JSON.parse(f.payload.toString()); } catch (e) {
      throw new Error(`frame ${n} of ${frames.length} (${f.payload.length} bytes) is not JSON: ${f.payload.subarray(0, 80)}... (${e.message})`);
    }
    for (const m of Array.isArray(parsed) ? parsed : [parsed]) if (m.type === 'offer') offersSeen.push(Number(m.sdp.split(':')[0]));
  }
  assert.equal(closeCode, 1013, `the viewer that stopped reading is closed as too slow (got ${closeCode}; ${bytes.length} bytes)`);
  assert.ok(offersSeen.length > 20, `${offersSeen.length} offers arrived`);
  assert.deepEqual(offersSeen, [...offersSeen].sort((a, b) => a - b), 'offers in order');
  assert.ok(pongs.length > 0, 'pongs arrived');
  assert.deepEqual(pongs, pings.slice(0, pongs.length), 'pongs answer the pings in order');
  return { bytes: bytes.length, frames: frames.length, pongs: pongs.length, offers: offersSeen.length };
}

describe('a client ping while a frame of ours is half-written', () => {
  test('plain TCP: every frame parses and every pong is whole', { timeout: 120000 }, async () => {
    const server = await startRedred();
    try {
      const result = await pingsDuringHalfWrittenFrames(server, false);
      assert.ok(result.frames > 0);
    } finally {
      await server.stop();
    }
  });

  test('TLS: every frame parses and every pong is whole', { timeout: 120000 }, async () => {
    const server = await startTlsRedred(certificate);
    try {
      const result = await pingsDuringHalfWrittenFrames(server, true);
      assert.ok(result.frames > 0);
    } finally {
      await server.stop();
    }
  });
});

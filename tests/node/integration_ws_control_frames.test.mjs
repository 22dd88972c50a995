// WebSocket control frames: a client's ping that arrives while a frame of ours is half-written must never
// corrupt the stream (docs/PROTOCOL.md). The server writes its own frames straight to the socket while Beast
// answers pings on the same socket (GatedConnection makes the pong wait for the end of our frame). The two can
// only interleave when one of our frames goes out in several writes (write_some) and a pong is queued between two
// of them, so the frame must be large and the socket must take it a little at a time: a raw-socket viewer stops
// reading until the server's socket is full (one frame of ours half-written), then the streamer relays offers to
// it, which the server holds and sends together as one frame of ~950 KB (just under the 1 MiB queue bound: ~60
// TLS records; many writes on plain TCP, see RELAY). The viewer then reads a little at a time, a ping before
// every read, so that a pong is due at every write of that frame. Every byte read must parse as frames: no pong
// inside another frame, every header valid, text frames JSON, every offer there in order, every ping answered in
// order. Plain TCP and TLS. (Small frames, as this test once used, fit in one write or one TLS record: it passed
// without the gate.)
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { spawn } from 'node:child_process';
import tls from 'node:tls';
import WebSocket from 'ws';
import { startRedred, sleep } from './lib/redred.mjs';
import { LiveClient, PASSWORD, connectWs, createStream, register, uniqueName } from './lib/live.mjs';
import { httpsRequest, makeCertificate, startTlsRedred } from './lib/tls.mjs';

const certificate = makeCertificate({ cn: 'redred-ping' });
const verbose = !!process.env.REDRED_TEST_VERBOSE;

// A masked client frame.
function clientFrame(opcode, payload) {
  const data = Buffer.from(payload);
  const mask = randomBytes(4);
  const header = data.length < 126 ? Buffer.from([0x80 | opcode, 0x80 | data.length]) : Buffer.from([0x80 | opcode, 0x80 | 126, data.length >> 8, data.length & 0xff]);
  const masked = Buffer.from(data.map((b, i) => b ^ mask[i % 4]));
  return Buffer.concat([header, mask, masked]);
}

// Splits server bytes into frames. Returns the frames, where the unparsed rest starts (an incomplete frame, or
// the first header that is not a well-formed unmasked frame's) and, for the latter, what is wrong with it.
function parseFrames(bytes) {
  const frames = [];
  let at = 0;
  const bad = (what) => ({ frames, rest: at, error: `${what} at byte ${at} (corrupt stream)` });
  while (at + 2 <= bytes.length) {
    const b0 = bytes[at];
    const b1 = bytes[at + 1];
    if ((b0 & 0x70) !== 0) return bad('reserved bits set');
    if (![0x1, 0x8, 0x9, 0xa].includes(b0 & 0x0f)) return bad(`opcode ${b0 & 0x0f}`);
    if (!(b0 & 0x80)) return bad('a fragment');
    if (b1 & 0x80) return bad('a masked frame');
    let length = b1 & 0x7f;
    let header = 2;
    if (length === 126) { if (at + 4 > bytes.length) break; length = bytes.readUInt16BE(at + 2); header = 4; }
    else if (length === 127) { if (at + 10 > bytes.length) break; length = Number(bytes.readBigUInt64BE(at + 2)); header = 10; }
    if (at + header + length > bytes.length) break;  // the rest was not read yet
    frames.push({ at, opcode: b0 & 0x0f, payload: bytes.subarray(at + header, at + header + length) });
    at += header + length;
  }
  return { frames, rest: at };
}

const PING_PAYLOAD = (n) => `ping-${String(n).padStart(5, '0')}`;
// A pong to one of our pings as it appears on the wire: FIN + opcode 0xA, unmasked length 10, "ping-".
const PONG_SIGNATURE = Buffer.concat([Buffer.from([0x8a, PING_PAYLOAD(0).length]), Buffer.from('ping-')]);

// Plain TCP on loopback: the kernel lets the server write again only once a third of its send buffer is free,
// and that buffer grows with the connection's congestion window (to 4 MB with loopback's 64 KiB segments), so a
// frame under the 1 MiB queue bound goes out in one or two writes: there is hardly a moment between two of them.
// Node cannot set a socket's MSS or receive buffer, so the plain viewer's connection is made by this relay with
// a small MSS and receive buffer, and the relay reads the socket only when told: 'P' stops reading, 'R' reads
// once (up to `chunk` bytes), 'F' reads on. Little crosses the connection before the frame, so the server's send
// buffer stays small, and a large frame takes many writes. Socket to stdout, stdin to socket.
const RELAY = String.raw`
import os, select, socket, sys, threading
host, port, mss, rcvbuf, chunk = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
s = socket.socket()
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_MAXSEG, mss)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
s.connect((host, port))
sys.stderr.write('connected\n'); sys.stderr.flush()
def up():
    while True:
        data = os.read(0, 65536)
        if not data: break
        s.sendall(data)
    s.shutdown(socket.SHUT_WR)
threading.Thread(target=up, daemon=True).start()
out = sys.stdout.buffer
flowing, reads = True, 0
while True:
    ready = select.select([3, s] if flowing or reads else [3], [], [])[0]
    if 3 in ready:
        commands = os.read(3, 256)
        if not commands: break
        for c in commands:
            if c == ord('F'): flowing = True
            elif c == ord('P'): flowing, reads = False, 0
            elif c == ord('R'): reads += 1
        continue
    data = s.recv(chunk)
    if not data: break
    if not flowing: reads -= 1
    out.write(data); out.flush()
`;

const relays = new Set();
process.on('exit', () => { for (const r of relays) { try { r.kill('SIGKILL'); } catch { /* gone */ } } });

async function relayedSocket(port) {
  const relay = spawn('python3', ['-c', RELAY, '127.0.0.1', String(port), '1000', '4096', '4096'],
    { stdio: ['pipe', 'pipe', 'pipe', 'pipe'] });
  relays.add(relay);
  relay.on('exit', () => relays.delete(relay));
  let err = '';
  await new Promise((resolve, reject) => {
    relay.stderr.on('data', (c) => { err += c; if (err.includes('connected')) resolve(); });
    relay.once('exit', (code) => reject(new Error(`the TCP relay (python3) exited (${code}): ${err}`)));
    relay.once('error', (e) => reject(new Error(`the TCP relay needs python3: ${e.message}`)));
  });
  const control = relay.stdio[3];
  return {
    write: (data) => relay.stdin.write(data),
    on: (event, listener) => relay.stdout.on(event, listener),
    off: (event, listener) => relay.stdout.off(event, listener),
    pause: () => control.write('P'),
    resume: () => control.write('F'),
    readOnce: () => control.write('R'),
    destroy: () => { relay.stdin.destroy(); relay.stdout.destroy(); control.destroy(); relay.kill('SIGKILL'); },
  };
}

// Opens a raw WebSocket to /ws/live/<id>/ (TLS, or plain TCP through the relay) and returns { socket, bytes(),
// size(), readALittle() } with the 101 answer consumed.
async function rawViewer(server, streamId, secure) {
  let socket;
  if (secure) {
    socket = tls.connect({ host: '127.0.0.1', port: server.port, ca: certificate.certPem });
    await new Promise((resolve, reject) => { socket.once('secureConnect', resolve); socket.once('error', reject); });
  } else {
    socket = await relayedSocket(server.port);
  }
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
  let size = chunks.reduce((n, c) => n + c.length, 0);
  let wake;
  socket.on('data', (c) => { chunks.push(c); size += c.length; wake?.(); });
  socket.on('error', () => {});
  return {
    socket,
    bytes: () => Buffer.concat(chunks),
    size: () => size,
    // Reads at most about one chunk (whatever one read gives) within `ms`, then stops reading again.
    async readALittle(ms) {
      const before = size;
      if (socket.readOnce) socket.readOnce(); else socket.resume();
      await new Promise((resolve) => { const timer = setTimeout(resolve, ms); wake = () => { clearTimeout(timer); resolve(); }; });
      wake = undefined;
      if (!socket.readOnce) socket.pause();
      return size - before;
    },
  };
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

// redred_ws_messages_sent_total: messages the server has put into frames and started writing.
async function messagesSent(server, secure) {
  const text = secure
    ? (await httpsRequest(`${server.url}/metrics`, { ca: certificate.certPem })).text
    : await (await fetch(`${server.url}/metrics`)).text();
  const m = text.match(/^redred_ws_messages_sent_total (\d+)/m);
  assert.ok(m, 'redred_ws_messages_sent_total in /metrics');
  return Number(m[1]);
}

// The relayed offers' indices, in the order received, from text frames (each a message or an array of them).
function offersIn(frames) {
  const seen = [];
  for (const [n, f] of frames.entries()) {
    if (f.opcode !== 0x1) continue;
    let parsed;
    try { parsed = JSON.parse(f.payload.toString()); } catch (e) {
      throw new Error(`frame ${n} of ${frames.length} (${f.payload.length} bytes at byte ${f.at}) is not JSON: ` +
        `${f.payload.subarray(0, 60)}... (${e.message}) (corrupt stream)`);
    }
    for (const m of Array.isArray(parsed) ? parsed : [parsed]) if (m.type === 'offer') seen.push(Number(m.sdp.split(':')[0]));
  }
  return seen;
}

async function pingsDuringHalfWrittenFrames(server, secure) {
  const started = Date.now();
  const { stream, client: streamer } = await streamerOf(server, secure);
  await streamer.next('connection_established');
  const viewer = await rawViewer(server, stream.id, secure);
  // The first frame is connection_established: learn our connection id.
  let hello;
  for (let i = 0; i < 100 && !hello; i++) {
    for (const f of parseFrames(viewer.bytes()).frames) {
      if (f.opcode !== 1) continue;
      const parsed = JSON.parse(f.payload.toString());
      for (const m of Array.isArray(parsed) ? parsed : [parsed]) if (m.type === 'connection_established') hello = m;
    }
    if (!hello) await sleep(50);
  }
  assert.ok(hello, 'connection_established');
  await streamer.next('user_joined', { where: (m) => m.connection_id === hello.connection_id });

  // Offers as large as a client frame may be (16 KiB): "<index>:v=0 v=0 ...".
  const sdp = 'v=0 '.repeat(3900);
  let offers = 0;
  const offer = () => streamer.send({ type: 'offer', target: hello.connection_id, sdp: `${offers++}:${sdp}` });
  // One read normally: learn how large a relayed offer is.
  offer();
  let relayed;
  for (let i = 0; i < 100 && !relayed; i++) {
    relayed = parseFrames(viewer.bytes()).frames.find((f) => f.opcode === 1 && f.payload.includes('"offer"'));
    if (!relayed) await sleep(20);
  }
  assert.ok(relayed, 'the first offer arrived');
  const offerBytes = relayed.payload.length;

  // Stop reading; offers (a few at a time) until the server's socket is full: those not counted as sent wait
  // in the session's queue, behind a frame of ours that is half-written.
  viewer.socket.pause();
  const base = await messagesSent(server, secure);
  let counted = 0;
  const before = offers;
  for (;;) {
    assert.ok(offers < 3000, `the server's socket never filled (${offers} offers)`);
    for (let i = 0; i < 8; i++) offer();
    for (let until = Date.now() + 500; Date.now() < until && counted < offers - before;) {
      const now = (await messagesSent(server, secure)) - base;
      if (now > counted) { counted = now; until = Date.now() + 500; }
      else await sleep(5);
    }
    if (counted < offers - before) break;
  }
  const filled = before + counted;
  // More offers behind them, up to ~90% of the 1 MiB queue bound: they leave together, as one frame of ~950 KB.
  const queued = Math.floor((0.9 * 1024 * 1024) / (offerBytes + 1)) - (offers - filled);
  for (let i = 0; i < queued; i++) offer();
  // An offer to nobody: its error comes back once the room has relayed all of the above.
  const barrier = await streamer.request({ type: 'offer', target: 1, sdp: 'v=0' });
  assert.equal(barrier.type, 'error', JSON.stringify(barrier));
  await sleep(100);
  if (verbose) console.error(`${secure ? 'tls' : 'tcp'}: socket full after ${filled} offers of ${offerBytes} bytes, ${offers - filled} queued`);

  // Read a little at a time, a ping before every read: the large frame goes out over many writes, each taking
  // the room that one read made, and every one of them finds a pong due.
  const pings = [];
  const deadline = Date.now() + 15000;
  const total = offers * offerBytes;  // about what all the offers take on the wire
  for (let idle = 0; Date.now() < deadline && idle < 20 && viewer.size() < total;) {
    const payload = PING_PAYLOAD(pings.length);
    pings.push(payload);
    viewer.socket.write(clientFrame(0x9, payload));
    await sleep(2);  // the server reads the ping and its pong is due
    idle = (await viewer.readALittle(200)) > 0 ? 0 : idle + 1;
  }
  // Then everything else (bounded): until all pongs and offers are in, or nothing more comes for a second.
  viewer.socket.resume();
  for (let last = -1; Date.now() < deadline + 8000 && last !== viewer.size();) { last = viewer.size(); await sleep(1000); }
  const bytes = viewer.bytes();
  viewer.socket.destroy();
  await streamer.close();

  const summary = `${bytes.length} bytes read, ${pings.length} pings, ${offers} offers (${filled} until the socket was full), ` +
    `${((Date.now() - started) / 1000).toFixed(1)} s`;
  const { frames, rest, error } = parseFrames(bytes);
  // A pong of ours anywhere but at the start of a frame was written inside another frame.
  const starts = new Set(frames.map((f) => f.at));
  const inside = [];
  for (let at = bytes.indexOf(PONG_SIGNATURE); at >= 0 && at < rest; at = bytes.indexOf(PONG_SIGNATURE, at + 1)) if (!starts.has(at)) inside.push(at);
  if (verbose) console.error(`${secure ? 'tls' : 'tcp'}: ${summary}; ${frames.length} frames parsed, ${inside.length} pongs inside other frames${error ? `, then ${error}` : ''}`);
  if (inside.length) {
    const frame = frames.findLast((f) => f.at < inside[0]);
    assert.fail(`a pong (${bytes.subarray(inside[0] + 2, inside[0] + 2 + PING_PAYLOAD(0).length)}) was written inside frame ` +
      `${frames.indexOf(frame)} (opcode ${frame.opcode}, ${frame.payload.length} bytes from byte ${frame.at}), at byte ${inside[0]}; ` +
      `${inside.length} pongs inside other frames in all; ${summary}`);
  }
  assert.equal(error, undefined, `every frame header is valid; ${summary}`);
  assert.equal(rest, bytes.length, `the stream ends inside a frame (at byte ${rest} of ${bytes.length}); ${summary}`);
  const offersSeen = offersIn(frames);
  assert.deepEqual(offersSeen, Array.from({ length: offers }, (_, i) => i), `every offer, in order; ${summary}`);
  assert.ok(frames.some((f) => f.opcode === 0x1 && f.payload.length > 0.8 * 1024 * 1024), `a frame of ~950 KB was written; ${summary}`);
  const pongs = frames.filter((f) => f.opcode === 0xa).map((f) => f.payload.toString());
  assert.deepEqual(pongs, pings, `every ping answered, in order; ${summary}`);
  assert.ok(!frames.some((f) => f.opcode === 0x8), `no close frame; ${summary}`);
  return { bytes: bytes.length, frames: frames.length, pongs: pongs.length, offers: offersSeen.length };
}

describe('a client ping while a frame of ours is half-written', () => {
  test('plain TCP: every frame parses and every pong is whole', { timeout: 60000 }, async () => {
    const server = await startRedred();
    try {
      await pingsDuringHalfWrittenFrames(server, false);
    } finally {
      await server.stop();
    }
  });

  test('TLS: every frame parses and every pong is whole', { timeout: 60000 }, async () => {
    const server = await startTlsRedred(certificate);
    try {
      await pingsDuringHalfWrittenFrames(server, true);
    } finally {
      await server.stop();
    }
  });
});

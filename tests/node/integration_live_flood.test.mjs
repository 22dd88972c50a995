// Flood control on the stream WebSocket: a viewer that stops reading is closed (1013) before it costs
// unbounded memory, and the viewers that do read get every comment.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import fs from 'node:fs';
import { randomBytes } from 'node:crypto';
import { startRedred, json, waitFor, memoryBoundMb } from './lib/redred.mjs';
import { register, createStream, join, uniqueName } from './lib/live.mjs';

let server;
before(async () => { server = await startRedred({ args: ['--chat-burst', '100000', '--chat-rate', '100000'] }); });
after(async () => { await server?.stop(); });

async function metric(name) {
  const text = await (await fetch(server.url + '/metrics')).text();
  const line = text.split('\n').find((l) => l.startsWith(name + ' '));
  return Number(line.split(' ')[1]);
}

const rssMb = () => Number(fs.readFileSync(`/proc/${server.proc.pid}/status`, 'utf8').match(/VmRSS:\s+(\d+)/)[1]) / 1024;

// A WebSocket client that completes the handshake and then never reads a byte.
function stuckViewer(streamId) {
  return new Promise((resolve, reject) => {
    const socket = net.connect(server.port, '127.0.0.1', () => {
      socket.write(`GET /ws/live/${streamId}/ HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`);
    });
    socket.on('error', () => {});
    socket.once('data', (d) => {
      if (!d.toString().startsWith('HTTP/1.1 101')) return reject(new Error(`no upgrade: ${d}`));
      socket.pause();  // from here on, nothing is read: the kernel buffers fill, then the server's queue
      resolve(socket);
    });
  });
}

test('a viewer that never reads is closed with 1013; readers get everything; memory stays bounded', async () => {
  const streamer = await register(server, uniqueName('flood_s'));
  const sender = await register(server, uniqueName('flood_c'));
  const stream = await createStream(server, streamer.token);
  const reader = await join(server, stream.id, { guest: true });
  const talker = await join(server, stream.id, { account: sender });
  const stuck = await stuckViewer(stream.id);
  await waitFor(async () => (await metric('redred_ws_connections')) === 3, { what: 'three sockets' });
  const rssBefore = rssMb();

  // ~2 KB per comment (500 four-byte characters): 6000 of them is ~12 MB for the stuck viewer, far past its
  // 1 MiB queue plus what the kernel buffers on loopback.
  const content = '🔥'.repeat(500);
  const total = 6000;
  let acked = 0;
  for (let sent = 0; sent < total; sent += 200) {
    for (let i = 0; i < 200; i++) talker.send({ type: 'comment', content, ref: `f${sent + i}` });
    await waitFor(() => talker.messages.filter((m) => m.type === 'comment' && typeof m.ref === 'string').length >= sent + 200,
      { timeoutMs: 20000, what: 'acknowledgements' });
    acked = sent + 200;
  }
  assert.equal(acked, total);
  await waitFor(async () => (await metric('redred_ws_slow_closed_total')) >= 1, { timeoutMs: 10000, what: 'the stuck viewer closed' });
  await waitFor(() => reader.messages.filter((m) => m.type === 'comment').length >= total, { timeoutMs: 20000, what: 'every comment at the reader' });
  assert.equal(reader.messages.filter((m) => m.type === 'comment').length, total, 'the reader got every comment, once');
  const boundMb = memoryBoundMb(150);
  assert.ok(rssMb() - rssBefore < boundMb, `server RSS grew by ${(rssMb() - rssBefore).toFixed(0)} MB (bound ${boundMb})`);
  stuck.destroy();
  const health = await json(server.url + '/healthz');
  assert.equal(health.status, 200);
  await reader.close();
  await talker.close();
});

// The server spreads connections over a fixed set of strands (256) and a room's fan-out serves each strand's
// sockets in one handler: with more sockets than strands, sockets share a handler. Each of them must still get
// every comment exactly once and in order, a socket that joins mid-burst must start cleanly after its
// connection_established, and what is meant for one socket (the sender's acknowledgements, a kick) reaches it
// alone.
test('more sockets than connection strands: every viewer gets every comment once, in order; a kick reaches only its target', async () => {
  const streamer = await register(server, uniqueName('many_s'));
  const sender = await register(server, uniqueName('many_c'));
  const target = await register(server, uniqueName('many_k'));
  const stream = await createStream(server, streamer.token);
  const host = await join(server, stream.id, { account: streamer });
  const talker = await join(server, stream.id, { account: sender });
  const kicked = await join(server, stream.id, { account: target });
  const viewers = [];
  for (let i = 0; i < 300; i++) viewers.push(await join(server, stream.id, { guest: true, label: `v${i}` }));

  const total = 300;
  const contents = Array.from({ length: total }, (_, i) => `many ${i}`);
  let late;
  for (let i = 0; i < total; i++) {
    talker.send({ type: 'comment', content: contents[i], ref: `m${i}` });
    if (i === total / 2) late = join(server, stream.id, { guest: true, label: 'late' });  // joins mid-burst
    if (i % 50 === 49) await new Promise((r) => setImmediate(r));
  }
  late = await late;
  const commentsOf = (c) => c.all('comment').map((m) => m.content);
  await waitFor(() => viewers.every((v) => commentsOf(v).length >= total) && commentsOf(talker).length >= total,
    { timeoutMs: 30000, what: 'every comment at every viewer' });
  for (const v of [...viewers, host, kicked]) assert.deepEqual(commentsOf(v), contents, `${v.label}: every comment once, in order`);
  assert.deepEqual(commentsOf(talker), contents, 'the sender sees its comments once, in order');
  assert.equal(talker.all('comment', (m) => typeof m.ref === 'string').length, total, 'every comment acknowledged to its sender');
  for (const v of [...viewers, host]) assert.equal(v.all('comment', (m) => m.ref !== undefined).length, 0, `${v.label}: no refs of others`);
  // The late viewer: connection_established first, then a tail of the burst, still in order and without gaps.
  const lateComments = commentsOf(late);
  assert.equal(late.messages[0].type, 'connection_established');
  assert.deepEqual(lateComments, contents.slice(total - lateComments.length), 'the late viewer gets an unbroken tail');

  host.send({ type: 'kick_user', username: target.user.username, ref: 'k1' });
  const closed = await kicked.waitClosed(10000);
  assert.equal(closed.code, 4001, 'the kicked socket is closed with 4001');
  assert.equal(kicked.all('kicked').length, 1, 'the kicked user is told once');
  const others = [...viewers, late, talker, host];
  await waitFor(() => others.every((v) => v.all('user_kicked').length === 1), { timeoutMs: 10000, what: 'user_kicked everywhere' });
  assert.ok(others.every((v) => v.isOpen && v.all('kicked').length === 0), 'only the kicked socket is told and closed');
  for (const v of [...viewers, late, talker, host]) await v.close();
});

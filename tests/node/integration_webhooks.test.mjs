// Webhooks (docs/WEBHOOKS.md) against a real receiver: a small HTTP server in this test that checks every
// signature with node:crypto. Events arrive in order per stream with the documented payloads; a receiver that
// answers 500 is retried until it takes the event, which then arrives once; a receiver that is down while redred
// is killed with SIGKILL and restarted gets everything after the restart; a full backlog drops the oldest.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import https from 'node:https';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { startRedred, tempDir, waitFor, freePort, sleep } from './lib/redred.mjs';
import { api, register, createStream, setupRoom, nowSeconds, assertNear } from './lib/live.mjs';
import { startPostgres } from './lib/postgres.mjs';

const SECRET = 'whsec-test-5f1a';
// Short retries so the tests do not wait long; the schedule itself is unit-tested.
const FAST = ['--webhook-retry-min-ms', '200', '--webhook-retry-max-ms', '800', '--webhook-timeout-ms', '2000'];

function sign(body, secret = SECRET) {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

function signatureValid(header, body) {
  const expected = Buffer.from(sign(body));
  const got = Buffer.from(String(header ?? ''));
  return got.length === expected.length && timingSafeEqual(got, expected);
}

// A webhook receiver on 127.0.0.1:`port`. `answer(req)` picks each reply's status (default 200). Keeps every
// request ({ status, raw, body, headers, valid }) and can go down and come back on the same port.
async function startReceiver({ port, answer = () => 200 } = {}) {
  const r = { port: port ?? await freePort(), requests: [], answer, server: null };
  r.url = `http://127.0.0.1:${r.port}/hooks/redred?source=test`;
  r.up = () => new Promise((resolve, reject) => {
    r.server = http.createServer((req, res) => {
      const chunks = [];
      req.on('data', (c) => chunks.push(c));
      req.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        let body;
        try { body = JSON.parse(raw); } catch { body = null; }
        const status = r.answer(req, body);
        r.requests.push({ status, raw, body, headers: req.headers, path: req.url, valid: signatureValid(req.headers['x-redred-signature'], raw) });
        res.writeHead(status, { 'content-type': 'text/plain' });
        res.end(status < 300 ? 'ok' : 'nope');
      });
    });
    r.server.once('error', reject);
    r.server.listen(r.port, '127.0.0.1', () => resolve());
  });
  r.down = () => new Promise((resolve) => { r.server.close(() => resolve()); r.server.closeAllConnections?.(); });
  // Events taken (2xx), in arrival order, for one stream.
  r.accepted = (streamId) => r.requests.filter((q) => q.status < 300 && q.body?.stream_id === streamId).map((q) => q.body);
  r.waitAccepted = (streamId, n, what) => waitFor(() => r.accepted(streamId).length >= n && r.accepted(streamId),
    { timeoutMs: 20000, intervalMs: 50, what: `${n} ${what ?? 'events'} accepted for stream ${streamId}` });
  await r.up();
  return r;
}

async function metric(server, name) {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  const m = text.match(new RegExp(`^${name} (\\S+)$`, 'm'));
  return m ? Number(m[1]) : undefined;
}

const startWith = (receiverUrl, extra = [], options = {}) =>
  startRedred({ ...options, args: ['--webhook-url', receiverUrl, '--webhook-secret', SECRET, ...FAST, ...extra, ...(options.args ?? [])] });

describe('webhooks', () => {
  test('live, comments and end arrive signed, in order, with the documented payloads', async () => {
    const receiver = await startReceiver();
    const server = await startWith(receiver.url);
    try {
      const room = await setupRoom(server, { viewers: 1 });
      const viewer = room.viewers[0];
      const hola = await room.streamer.comment('hola');
      const buenas = await viewer.comment('buenas');
      room.streamer.send({ type: 'end_stream' });
      await room.streamer.next('stream_ended');
      const events = await receiver.waitAccepted(room.id, 4);

      assert.deepEqual(events.map((e) => e.event), ['stream.live', 'comment.created', 'comment.created', 'stream.ended']);
      const requests = receiver.requests.filter((q) => q.body?.stream_id === room.id);
      for (const q of requests) {
        assert.ok(q.valid, `signature of ${q.raw} is ${q.headers['x-redred-signature']}`);
        assert.equal(q.headers['content-type'], 'application/json');
        assert.equal(q.headers['x-redred-event'], q.body.event);
        assert.equal(q.path, '/hooks/redred?source=test');
        // The envelope, keys in the documented order.
        assert.deepEqual(Object.keys(q.body), ['id', 'event', 'stream_id', 'created_at', 'data']);
        assert.equal(q.headers['x-redred-delivery'], String(q.body.id));
        assertNear(q.body.created_at, nowSeconds(), 30, 'created_at');
      }
      // A receiver checking with another secret would refuse them.
      assert.notEqual(requests[0].headers['x-redred-signature'], sign(requests[0].raw, 'another secret'));
      const ids = events.map((e) => e.id);
      assert.deepEqual(ids, [...ids].sort((a, b) => a - b), 'ids grow');
      assert.equal(new Set(ids).size, ids.length, 'no event twice');

      const [live, c1, c2, ended] = events;
      assert.equal(live.data.stream.id, room.id);
      assert.equal(live.data.stream.title, room.stream.title);
      assert.equal(live.data.stream.status, 'live');
      assert.deepEqual(live.data.stream.streamer, { id: room.streamerAccount.user.id, username: room.streamerAccount.user.username });
      assert.equal(typeof live.data.stream.started_at, 'number');
      assert.deepEqual(c1.data.comment, {
        id: hola.id, user: { id: room.streamerAccount.user.id, username: room.streamerAccount.user.username },
        role: 'streamer', content: 'hola', created_at: hola.created_at,
      });
      assert.equal(c2.data.comment.id, buenas.id);
      assert.equal(c2.data.comment.role, 'viewer');
      assert.equal(c2.data.comment.user.username, viewer.account.user.username);
      assert.equal(ended.data.reason, 'streamer');
      assert.equal(ended.data.stream.status, 'ended');
      assert.equal(typeof ended.data.stream.ended_at, 'number');

      // Ended over REST: a stream that never went live is reported too, with reason "api", once.
      const waiting = await createStream(server, room.streamerAccount.token, { title: 'never live' });
      const res = await api(server, `/api/live/${waiting.id}/end/`, { method: 'POST', token: room.streamerAccount.token });
      assert.equal(res.status, 200);
      const [restEnded] = await receiver.waitAccepted(waiting.id, 1);
      assert.equal(restEnded.event, 'stream.ended');
      assert.equal(restEnded.data.reason, 'api');
      assert.equal(restEnded.data.stream.started_at, null);
      await waitFor(async () => (await metric(server, 'redred_webhook_delivered_total')) === 5, { what: '5 delivered' });
      assert.equal(await metric(server, 'redred_webhook_failed_total'), 0);
      await waitFor(async () => (await metric(server, 'redred_webhook_backlog')) === 0, { what: 'backlog 0' });
      await sleep(600);
      assert.equal(receiver.requests.length, 5, 'nothing sent twice');
      await room.closeAll();
    } finally {
      await server.stop();
      await receiver.down();
    }
  });

  test('a moderation action is reported as moderation.action, after the stream went live', async () => {
    const receiver = await startReceiver();
    const server = await startWith(receiver.url);
    try {
      const room = await setupRoom(server, { viewers: 1 });
      const viewer = room.viewers[0];
      room.streamer.send({ type: 'warn_user', username: viewer.account.user.username, reason: 'sin spam' });
      await viewer.next('warned');
      const events = await receiver.waitAccepted(room.id, 2);
      assert.deepEqual(events.map((e) => e.event), ['stream.live', 'moderation.action']);
      const { action } = events[1].data;
      assert.equal(action.action, 'warn');
      assert.deepEqual(action.actor, { id: room.streamerAccount.user.id, username: room.streamerAccount.user.username });
      assert.deepEqual(action.target, { id: viewer.account.user.id, username: viewer.account.user.username });
      assert.equal(action.reason, 'sin spam');
      assert.equal(action.seconds, null);
      assert.ok(receiver.requests.every((q) => q.valid));
      await room.closeAll();
    } finally {
      await server.stop();
      await receiver.down();
    }
  });

  test('a receiver answering 500 is retried with the same signed body; each event is taken once, in order', async () => {
    let refusals = 3;
    const receiver = await startReceiver({ answer: () => (refusals-- > 0 ? 500 : 200) });
    const server = await startWith(receiver.url);
    try {
      const room = await setupRoom(server);
      for (const text of ['uno', 'dos', 'tres']) await room.streamer.comment(text);
      const events = await receiver.waitAccepted(room.id, 4);
      assert.deepEqual(events.map((e) => e.event), ['stream.live', 'comment.created', 'comment.created', 'comment.created']);
      assert.deepEqual(events.slice(1).map((e) => e.data.comment.content), ['uno', 'dos', 'tres']);
      // The first three requests were the same event (the stream's first), byte for byte; nothing after it was
      // sent before it was taken.
      const [a, b, c, d] = receiver.requests;
      assert.deepEqual([a.status, b.status, c.status, d.status], [500, 500, 500, 200]);
      for (const q of [b, c, d]) assert.equal(q.raw, a.raw);
      for (const q of receiver.requests) assert.ok(q.valid);
      assert.equal(new Set(events.map((e) => e.id)).size, 4, 'each event taken once');
      await sleep(800);
      assert.equal(receiver.requests.filter((q) => q.status < 300).length, 4, 'nothing taken twice');
      assert.equal(await metric(server, 'redred_webhook_failed_total'), 3);
      assert.equal(await metric(server, 'redred_webhook_delivered_total'), 4);
      await room.closeAll();
    } finally {
      await server.stop();
      await receiver.down();
    }
  });

  test('with a full backlog the oldest events are dropped and counted; the newest are delivered', async () => {
    const receiver = await startReceiver();
    await receiver.down();
    const server = await startWith(receiver.url, ['--webhook-max-backlog', '3', '--chat-burst', '20']);
    try {
      const room = await setupRoom(server);
      for (let i = 1; i <= 6; i++) await room.streamer.comment(`c${i}`);
      // live + 6 comments = 7 events, 3 kept.
      await waitFor(async () => (await metric(server, 'redred_webhook_dropped_total')) === 4, { timeoutMs: 10000, what: '4 dropped' });
      assert.equal(await metric(server, 'redred_webhook_backlog'), 3);
      assert.ok((await metric(server, 'redred_webhook_failed_total')) > 0, 'the receiver was down');
      await receiver.up();
      const events = await receiver.waitAccepted(room.id, 3);
      assert.deepEqual(events.map((e) => e.data.comment?.content), ['c4', 'c5', 'c6']);
      await waitFor(async () => (await metric(server, 'redred_webhook_backlog')) === 0, { what: 'backlog 0' });
      await room.closeAll();
    } finally {
      await server.stop();
      await receiver.down();
    }
  });

  describe('receiver down across kill -9 and a restart', () => {
    let postgres;
    before(async () => { postgres = await startPostgres(); });
    after(async () => { await postgres?.stop(); });

    for (const backend of ['sqlite', 'postgres']) {
      test(`on ${backend}: every acknowledged fact is delivered after the restart, in order`, async () => {
        const receiver = await startReceiver();
        await receiver.down();
        const dataDir = tempDir('redred-webhooks-');
        const args = backend === 'postgres' ? ['--database', await postgres.createDatabase()] : [];
        let server = await startWith(receiver.url, [], { dataDir, args });
        try {
          const room = await setupRoom(server);
          await room.streamer.comment('antes');
          const account = await register(server);
          const other = await createStream(server, account.token, { title: 'ended by REST' });
          assert.equal((await api(server, `/api/live/${other.id}/end/`, { method: 'POST', token: account.token })).status, 200);
          const last = await room.streamer.comment('justo antes del kill');
          await waitFor(async () => (await metric(server, 'redred_webhook_failed_total')) >= 1, { what: 'a failed attempt' });
          // Killed right after the last acknowledgement: nothing had been delivered.
          await server.stop('SIGKILL');
          assert.equal(receiver.requests.length, 0);
          await receiver.up();
          server = await startWith(receiver.url, [], { dataDir, args });
          const events = await receiver.waitAccepted(room.id, 3);
          assert.deepEqual(events.map((e) => e.event), ['stream.live', 'comment.created', 'comment.created']);
          assert.deepEqual(events.slice(1).map((e) => e.data.comment.content), ['antes', 'justo antes del kill']);
          assert.equal(events[2].data.comment.id, last.id);
          const [ended] = await receiver.waitAccepted(other.id, 1);
          assert.equal(ended.event, 'stream.ended');
          for (const q of receiver.requests) assert.ok(q.valid);
          await sleep(600);
          assert.equal(receiver.requests.filter((q) => q.status < 300).length, 4, 'each event once');
        } finally {
          await server.stop();
          await receiver.down();
        }
      });
    }
  });

  test('an https:// receiver is verified against the trusted certificates (SSL_CERT_FILE here)', async () => {
    const dir = tempDir('redred-webhook-tls-');
    const cert = path.join(dir, 'cert.pem');
    const key = path.join(dir, 'key.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1',
      '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', key, '-out', cert], { stdio: 'ignore' });
    const requests = [];
    const receiver = https.createServer({ cert: readFileSync(cert), key: readFileSync(key) }, (req, res) => {
      const chunks = [];
      req.on('data', (c) => chunks.push(c));
      req.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        requests.push({ body: JSON.parse(raw), valid: signatureValid(req.headers['x-redred-signature'], raw) });
        res.writeHead(204).end();
      });
    });
    await new Promise((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const url = `https://127.0.0.1:${receiver.address().port}/in`;
    // Not trusted: the handshake fails and nothing is delivered; trusted: delivered.
    const untrusted = await startRedred({ args: ['--webhook-url', url, '--webhook-secret', SECRET, ...FAST] });
    const trusted = await startRedred({ args: ['--webhook-url', url, '--webhook-secret', SECRET, ...FAST], env: { SSL_CERT_FILE: cert } });
    try {
      const roomA = await setupRoom(untrusted);
      await waitFor(() => /TLS handshake/.test(untrusted.log()), { what: 'a refused TLS handshake in the log' });
      const roomB = await setupRoom(trusted);
      await waitFor(() => requests.find((q) => q.body.stream_id === roomB.id), { timeoutMs: 15000, what: 'stream.live over https' });
      const got = requests.filter((q) => q.body.stream_id === roomB.id);
      assert.equal(got[0].body.event, 'stream.live');
      assert.ok(got[0].valid);
      assert.ok((await metric(untrusted, 'redred_webhook_failed_total')) > 0);
      await roomA.closeAll();
      await roomB.closeAll();
    } finally {
      await untrusted.stop();
      await trusted.stop();
      receiver.closeAllConnections?.();
      await new Promise((resolve) => receiver.close(resolve));
    }
  });

  test('bad webhook options are refused at start with a clear message', async () => {
    const cases = [
      [['--webhook-url', 'http://127.0.0.1:9/x'], /--webhook-url needs --webhook-secret/],
      [['--webhook-url', 'ftp://127.0.0.1/x', '--webhook-secret', 's'], /must start with http:\/\/ or https:\/\//],
      [['--webhook-url', 'http://127.0.0.1:9/x', '--webhook-secret', 's', '--webhook-max-backlog', '0'], /--webhook-max-backlog must be >= 1/],
    ];
    for (const [args, message] of cases) {
      await assert.rejects(startRedred({ args }), (e) => { assert.match(e.message, message); return true; });
    }
  });
});

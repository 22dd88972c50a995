// Several `redred serve` processes on one real redis-server act as one service: the seed's keys, the seed's
// redis-cli stop, one capture relayed to every instance, one winner for simultaneous starts, no zombie after a
// crash, and a clean 503 while Redis is away.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startRedred, startRedis, redisCli, readSse, json, sleep, waitFor } from './lib/redred.mjs';

let redis;
const servers = [];
before(async () => { redis = await startRedis(); });
after(async () => {
  for (const s of servers) await s.stop('SIGKILL');
  await redis?.stop();
});

async function instance(extra = {}) {
  const s = await startRedred({ args: ['--redis', redis.url, '--tick-ms', '200', '--lease-ms', '1000'], ...extra });
  servers.push(s);
  return s;
}
const post = (s, path, body) => json(s.url + path, { method: 'POST', body });
const status = async (s) => (await json(s.url + '/stream/status')).body;
async function hash() {
  const flat = (await redisCli(redis.port, 'HGETALL', 'streaming:state')).split('\n');
  const out = {};
  for (let i = 0; i + 1 < flat.length; i += 2) out[flat[i]] = flat[i + 1];
  return out;
}
async function capturingCount() {
  const health = await Promise.all(servers.map(async (s) => (await json(s.url + '/healthz')).body));
  return health.filter((h) => h?.capturing).length;
}
// Stops the stream and waits until the service agrees: status inactive and no instance still capturing.
async function ensureStopped(s) {
  await post(s, '/stream/stop');
  await waitFor(async () => !(await status(s)).active, { what: 'stopped' });
  await waitFor(async () => (await capturingCount()) === 0, { what: 'every capture ended', timeoutMs: 3000 });
}

test('the seed keys: streaming:state with its fields, streaming:stop_requested with a 60 s TTL', async () => {
  const a = await instance();
  const started = await post(a, '/stream/start', { fps: 12, quality: 66 });
  assert.equal(started.status, 200, started.text);
  const h = await hash();
  assert.deepEqual(Object.keys(h).sort(), ['active', 'fps', 'host', 'port', 'quality', 'started_at', 'task_id']);
  assert.equal(h.active, 'true');
  assert.equal(h.task_id, started.body.task_id);
  assert.equal(h.fps, '12');
  assert.equal(h.quality, '66');
  assert.equal(h.host, '127.0.0.1');
  assert.equal(h.port, String(a.port));
  assert.match(h.started_at, /^\d{10}\.\d{3}$/);

  const stopped = await post(a, '/stream/stop');
  assert.equal(stopped.status, 200);
  assert.equal((await hash()).active, 'false');
  assert.equal(await redisCli(redis.port, 'GET', 'streaming:stop_requested'), 'true');
  const ttl = Number(await redisCli(redis.port, 'TTL', 'streaming:stop_requested'));
  assert.ok(ttl > 50 && ttl <= 60, `TTL ${ttl}`);
});

test('redis-cli SET streaming:stop_requested true stops the stream within a second, as in the seed runbook', async () => {
  const a = servers[0];
  await post(a, '/stream/start', {});
  let frames = 0;
  const reading = readSse(a.url + '/stream/feed', { onEvent: (d) => { if (d !== 'stream_stopped') frames++; return true; }, timeoutMs: 8000 });
  await waitFor(() => frames > 2, { what: 'frames' });
  const t0 = Date.now();
  await redisCli(redis.port, 'SET', 'streaming:stop_requested', 'true');
  const { events } = await reading;
  const took = Date.now() - t0;
  assert.equal(events.at(-1), 'stream_stopped');
  assert.ok(took < 1500, `stopped after ${took} ms`);
  assert.equal((await status(a)).active, false);
  assert.equal((await hash()).active, 'false');
});

test('two instances act as one: status, feed and stop from either', async () => {
  const a = servers[0];
  const b = await instance();
  const started = await post(a, '/stream/start', { fps: 15 });
  assert.equal(started.status, 200);
  const onB = await status(b);
  assert.equal(onB.active, true);
  assert.equal(onB.task_id, started.body.task_id);
  assert.equal(onB.port, a.port, 'host/port name the capturing instance');
  assert.equal((await post(b, '/stream/start', {})).status, 409);

  // B serves the feed with frames captured by A, relayed through Redis.
  let frames = 0;
  const reading = readSse(b.url + '/stream/feed', { onEvent: (d) => { if (d !== 'stream_stopped') frames++; return true; }, timeoutMs: 10000 });
  await waitFor(() => frames >= 5, { what: 'relayed frames on B', timeoutMs: 5000 });
  const metricsB = await (await fetch(b.url + '/metrics')).text();
  assert.match(metricsB, /redred_screen_frames_relayed_total [1-9]/);
  assert.match(metricsB, /redred_screen_frames_encoded_total 0\n/, 'B encodes nothing: one capture for the service');

  // Stopped on B: A's capture ends and B's viewer gets stream_stopped.
  assert.equal((await post(b, '/stream/stop')).status, 200);
  const { events } = await reading;
  assert.equal(events.at(-1), 'stream_stopped');
  await waitFor(async () => (await (await fetch(a.url + '/healthz')).json()).capturing === false, { what: 'A stops capturing' });
  assert.equal((await post(b, '/stream/stop')).status, 409);
});

test('simultaneous starts on two instances: exactly one wins', async () => {
  const [a, b] = servers;
  for (let round = 0; round < 5; round++) {
    const results = await Promise.all([post(a, '/stream/start', {}), post(b, '/stream/start', {})]);
    const codes = results.map((r) => r.status).sort();
    assert.deepEqual(codes, [200, 409], `round ${round}: ${codes}`);
    const capturing = await Promise.all([a, b].map(async (s) => (await (await fetch(s.url + '/healthz')).json()).capturing));
    assert.equal(capturing.filter(Boolean).length, 1, 'exactly one instance captures');
    await ensureStopped(a);
  }
});

test('an instance without a screen source hands the capture to one that has one', async () => {
  const relayOnly = await instance({ screenSource: 'none' });
  const started = await post(relayOnly, '/stream/start', { fps: 10 });
  assert.equal(started.status, 200, started.text);
  const frames = [];
  await readSse(relayOnly.url + '/stream/feed', { onEvent: (d) => { frames.push(d); return frames.length < 3; }, timeoutMs: 8000 });
  assert.equal(frames.length, 3);
  assert.notEqual(frames[0], 'stream_stopped');
  const st = await status(relayOnly);
  assert.ok([servers[0].port, servers[1].port].includes(st.port), `captured by ${st.port}`);
  await ensureStopped(relayOnly);
  servers.splice(servers.indexOf(relayOnly), 1);
  await relayOnly.stop();
});

test('kill -9 of the capturing instance: status turns inactive within seconds and a new start works', async () => {
  const [a, b] = servers;
  assert.equal((await post(a, '/stream/start', {})).status, 200);
  let frames = 0;
  const reading = readSse(b.url + '/stream/feed', { onEvent: (d) => { if (d !== 'stream_stopped') frames++; return true; }, timeoutMs: 15000 });
  await waitFor(() => frames > 2, { what: 'frames on B' });
  const t0 = Date.now();
  await a.stop('SIGKILL');
  servers.splice(servers.indexOf(a), 1);
  await waitFor(async () => !(await status(b)).active, { timeoutMs: 5000, what: 'status inactive after the crash' });
  const took = Date.now() - t0;
  assert.ok(took < 4000, `inactive after ${took} ms`);
  const { events } = await reading;
  assert.equal(events.at(-1), 'stream_stopped', 'B ends its viewers cleanly');
  assert.equal((await hash()).active, 'false', 'the shared record is consistent');
  const restarted = await post(b, '/stream/start', {});
  assert.equal(restarted.status, 200, 'no "restart the server" needed');
  await ensureStopped(b);
});

test('Redis goes away: 503 with a message, feeds end; Redis returns: service resumes by itself', async () => {
  const b = servers[0];
  assert.equal((await post(b, '/stream/start', {})).status, 200);
  let frames = 0;
  const reading = readSse(b.url + '/stream/feed', { onEvent: (d) => { if (d !== 'stream_stopped') frames++; return true; }, timeoutMs: 15000 });
  await waitFor(() => frames > 2, { what: 'frames' });
  await redis.stop();
  const { events } = await reading;
  assert.equal(events.at(-1), 'stream_stopped');
  const down = await json(b.url + '/stream/status');
  assert.equal(down.status, 503);
  assert.equal(down.body.error, 'unavailable');
  assert.match(down.body.message, /redis/i);
  assert.equal((await post(b, '/stream/start', {})).status, 503);
  assert.equal((await json(b.url + '/healthz')).status, 503);

  await redis.restart();
  await waitFor(async () => (await json(b.url + '/stream/status')).status === 200, { timeoutMs: 8000, what: 'service back' });
  const again = await post(b, '/stream/start', {});
  assert.equal(again.status, 200, again.text);
  const got = [];
  await readSse(b.url + '/stream/feed', { onEvent: (d) => { got.push(d); return got.length < 3; }, timeoutMs: 5000 });
  assert.equal(got.length, 3);
  await ensureStopped(b);
  assert.equal((await json(b.url + '/healthz')).status, 200);
});

test('graceful shutdown of the capturer leaves the shared state consistent', async () => {
  const c = await instance();
  await post(c, '/stream/start', {});
  assert.equal((await hash()).active, 'true');
  const exit = await c.stop('SIGTERM');
  servers.splice(servers.indexOf(c), 1);
  assert.equal(exit.code, 0);
  assert.equal((await hash()).active, 'false');
  assert.equal(await redisCli(redis.port, 'EXISTS', 'redred:screen:capturer'), '0');
});

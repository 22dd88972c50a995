// The publisher grace (--publisher-grace-s, docs/PROTOCOL.md "When the streamer's connection drops") against
// the real binary: the streamer's WebSocket drops, the stream stays live and viewers are told; the streamer
// back within the window gets user_joined for every viewer again and signaling resumes; past the window the
// stream ends (stream_ended, status ended); 0 ends it at once; on two processes sharing Redis and PostgreSQL
// exactly one process ends it.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startRedred, startRedis, sleep } from './lib/redred.mjs';
import { register, createStream, getStream, join, connectWs, uniqueName, nowSeconds } from './lib/live.mjs';
import { startPostgres } from './lib/postgres.mjs';

// A live stream with its streamer, a viewer with an account and a guest (each on the server named for it).
async function liveRoom(server, { viewerServer = server, guestServer = server, streamerServer = server } = {}) {
  const streamerAccount = await register(server, uniqueName('streamer'));
  const viewerAccount = await register(server, uniqueName('viewer'));
  const stream = await createStream(server, streamerAccount.token);
  const streamer = await join(streamerServer, stream.id, { account: streamerAccount, label: 'streamer' });
  const viewer = await join(viewerServer, stream.id, { account: viewerAccount, label: 'viewer' });
  const guest = await join(guestServer, stream.id, { guest: true, label: 'guest' });
  await streamer.next('user_joined', { where: (m) => m.connection_id === guest.cid });
  return { id: stream.id, streamerAccount, streamer, viewer, guest };
}

describe('a grace of 3 s', () => {
  const GRACE_S = 3;
  let server;
  before(async () => { server = await startRedred({ args: ['--publisher-grace-s', String(GRACE_S)] }); });
  after(async () => { await server?.stop(); });

  test('the streamer drops and comes back within the window: live throughout, viewers told, offers resume', async () => {
    const room = await liveRoom(server);
    const droppedAt = nowSeconds();
    await room.streamer.close();
    for (const c of [room.viewer, room.guest]) {
      const m = await c.next('streamer_disconnected');
      assert.equal(m.grace_s, GRACE_S);
      assert.ok(Math.abs(m.until - (droppedAt + GRACE_S)) < 1, `until ${m.until}, dropped at ${droppedAt}`);
    }
    assert.equal((await getStream(server, room.id)).status, 'live', 'still live while the streamer is away');

    // Someone who arrives during the grace is told too, right after connection_established.
    const late = await join(server, room.id, { guest: true, label: 'late guest' });
    const lateNotice = await late.next('streamer_disconnected');
    assert.ok(late.messages.indexOf(lateNotice) > late.messages.indexOf(late.hello));
    assert.equal(lateNotice.grace_s, GRACE_S);

    await sleep(1000);
    const streamer = await join(server, room.id, { account: room.streamerAccount, label: 'streamer again' });
    for (const c of [room.viewer, room.guest, late]) await c.next('streamer_reconnected');
    // user_joined again for every viewer connection, so the studio offers to each.
    const viewers = [room.viewer, room.guest, late].map((c) => c.cid).sort();
    const joined = [];
    for (let i = 0; i < viewers.length; i++) joined.push((await streamer.next('user_joined')).connection_id);
    assert.deepEqual(joined.sort(), viewers);
    assert.equal(streamer.all('streamer_reconnected').length, 0, 'the streamer is not told about themselves');
    // Signaling resumes: the new connection's offer reaches the viewer from the new connection id.
    streamer.send({ type: 'offer', target: room.viewer.cid, sdp: 'v=0 fresh offer' });
    const offer = await room.viewer.next('offer');
    assert.equal(offer.from, streamer.cid);
    assert.equal(offer.sdp, 'v=0 fresh offer');

    // The window passes with the streamer back: nothing ends.
    await sleep((GRACE_S + 1) * 1000);
    assert.equal(room.viewer.all('stream_ended').length, 0);
    assert.equal((await getStream(server, room.id)).status, 'live');
    assert.ok(room.viewer.isOpen && room.guest.isOpen && streamer.isOpen);
    await Promise.all([streamer.close(), room.viewer.close(), room.guest.close(), late.close()]);
  });

  test('the streamer does not come back: the stream ends when the window runs out', async () => {
    const room = await liveRoom(server);
    const droppedAt = Date.now();
    await room.streamer.close();
    await room.viewer.next('streamer_disconnected');
    const ends = await Promise.all([room.viewer, room.guest].map((c) => c.next('stream_ended', { timeoutMs: (GRACE_S + 5) * 1000 })));
    const tookMs = Date.now() - droppedAt;
    assert.ok(tookMs >= GRACE_S * 1000 - 100 && tookMs < (GRACE_S + 3) * 1000, `ended after ${tookMs} ms`);
    for (const m of ends) assert.equal(m.reason, 'streamer_gone');
    for (const c of [room.viewer, room.guest]) {
      assert.equal((await c.waitClosed()).code, 1000);
      assert.equal(c.all('stream_ended').length, 1);
      assert.equal(c.all('streamer_reconnected').length, 0);
    }
    const rest = await getStream(server, room.id);
    assert.equal(rest.status, 'ended');
    assert.ok(Math.abs(rest.ended_at - ends[0].ended_at) < 0.01);
    // Too late: the streamer is told it ended.
    const back = await connectWs(server, room.id, { token: room.streamerAccount.token, label: 'too late' });
    await back.next('stream_ended');
    assert.equal((await back.waitClosed()).code, 1000);
  });

  test('a streamer alone in their stream (nobody watching) keeps it through a reload', async () => {
    const streamerAccount = await register(server, uniqueName('alone'));
    const stream = await createStream(server, streamerAccount.token);
    const first = await join(server, stream.id, { account: streamerAccount });
    await first.close();
    await sleep(1500);
    const again = await join(server, stream.id, { account: streamerAccount });
    assert.equal(again.hello.stream.status, 'live');
    await sleep((GRACE_S + 1) * 1000);
    assert.equal((await getStream(server, stream.id)).status, 'live', 'the earlier drop no longer counts');
    await again.close();
    await sleep((GRACE_S + 1.5) * 1000);
    assert.equal((await getStream(server, stream.id)).status, 'ended', 'ended by the grace with nobody connected');
  });
});

describe('a grace of 0', () => {
  let server;
  before(async () => { server = await startRedred({ args: ['--publisher-grace-s', '0'] }); });
  after(async () => { await server?.stop(); });

  test('the stream ends as soon as the streamer leaves', async () => {
    const room = await liveRoom(server);
    await room.streamer.close();
    const ended = await room.viewer.next('stream_ended', { timeoutMs: 3000 });
    assert.equal(ended.reason, 'streamer_gone');
    assert.equal(room.viewer.all('streamer_disconnected').length, 0);
    assert.equal((await getStream(server, room.id)).status, 'ended');
  });
});

describe('two processes on one Redis and one PostgreSQL', () => {
  let redis;
  let postgres;
  let a;
  let b;
  const GRACE_S = 2;
  before(async () => {
    [redis, postgres] = await Promise.all([startRedis(), startPostgres()]);
    const database = await postgres.createDatabase();
    const args = ['--redis', `redis://127.0.0.1:${redis.port}/3`, '--database', database, '--publisher-grace-s', String(GRACE_S)];
    a = await startRedred({ args });
    b = await startRedred({ args });
  });
  after(async () => { await Promise.all([a?.stop(), b?.stop()]); await Promise.all([redis?.stop(), postgres?.stop()]); });

  test('the streamer moves to the other process within the window; later leaves for good: one end, by one process', async () => {
    const room = await liveRoom(a, { viewerServer: a, guestServer: b });
    await room.streamer.close();
    for (const c of [room.viewer, room.guest]) await c.next('streamer_disconnected');
    const streamer = await join(b, room.id, { account: room.streamerAccount, label: 'streamer@b' });
    for (const c of [room.viewer, room.guest]) await c.next('streamer_reconnected');
    const joined = [];
    for (let i = 0; i < 2; i++) joined.push((await streamer.next('user_joined')).connection_id);
    assert.deepEqual(joined.sort(), [room.viewer.cid, room.guest.cid].sort(), 'every viewer, on either process');
    streamer.send({ type: 'offer', target: room.viewer.cid, sdp: 'v=0 across' });
    assert.equal((await room.viewer.next('offer')).from, streamer.cid);
    await sleep((GRACE_S + 1) * 1000);
    assert.equal((await getStream(a, room.id)).status, 'live');

    await streamer.close();
    const ends = await Promise.all([room.viewer, room.guest].map((c) => c.next('stream_ended', { timeoutMs: (GRACE_S + 8) * 1000 })));
    for (const m of ends) assert.equal(m.reason, 'streamer_gone');
    for (const c of [room.viewer, room.guest]) {
      assert.equal((await c.waitClosed()).code, 1000);
      assert.equal(c.all('stream_ended').length, 1, 'ended once');
    }
    assert.equal((await getStream(b, room.id)).status, 'ended');
    const logs = a.log() + b.log();
    assert.equal((logs.match(new RegExp(`publisher grace over stream=${room.id} `, 'g')) ?? []).length, 1, 'one process ended it');
  });
});

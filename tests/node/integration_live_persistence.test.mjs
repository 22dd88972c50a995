// What the live platform keeps across restarts, on the embedded SQLite store and on PostgreSQL (--database):
// streams, comments, roles, sessions and sanctions, after a graceful stop (SIGTERM) and after kill -9 right
// after acknowledgements.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startRedred, tempDir, waitFor } from './lib/redred.mjs';
import {
  api, register, login, createStream, getStream, getComments, getRoles, join, setupRoom, connectWs,
  uniqueName, assertNear, nowSeconds, usernameOf, commentFields,
} from './lib/live.mjs';
import { startPostgres } from './lib/postgres.mjs';

let postgres;
before(async () => { postgres = await startPostgres(); });
after(async () => { await postgres?.stop(); });

for (const backend of ['sqlite', 'postgres']) describe(`on ${backend}`, () => {
  let server;
  let start;
  before(async () => {
    const dataDir = tempDir('redred-live-persist-');
    const args = backend === 'postgres' ? ['--database', await postgres.createDatabase()] : [];
    start = () => startRedred({ dataDir, args });
    server = await start();
  });
  after(async () => { await server?.stop(); });

  // Stops the server with `signal` and starts it again on the same database.
  async function restart(signal = 'SIGTERM') {
    await server.stop(signal);
    server = await start();
  }

  const stableStream = (s) => ({ ...s, viewers_count: undefined });

  test('streams, comments and roles survive a graceful restart', async () => {
    const room = await setupRoom(server, { moderators: 1, vips: 1, viewers: 1 });
    await room.streamer.comment('uno');
    const gone = await room.viewers[0].comment('dos (deleted)');
    await room.vips[0].comment('tres');
    room.streamer.send({ type: 'delete_comment', comment_id: gone.id });
    await room.viewers[0].next('comment_deleted', { where: (m) => m.comment_id === gone.id });
    const ended = await createStream(server, room.streamerAccount.token, { title: 'ended before the restart' });
    assert.equal((await api(server, `/api/live/${ended.id}/end/`, { method: 'POST', token: room.streamerAccount.token })).status, 200);
    await room.closeAll();
    // The room's last counts reach the database a moment after it empties.
    await waitFor(async () => {
      const s = await getStream(server, room.id);
      return s.viewers_count === 0 && s.peak_viewers === 3;
    }, { timeoutMs: 3000, what: 'viewers_count 0 and peak 3 stored' });

    const before1 = {
      live: await getStream(server, room.id), ended: await getStream(server, ended.id),
      comments: await getComments(server, room.id), roles: await getRoles(server, room.id),
    };
    assert.equal(before1.live.status, 'live');
    assert.equal(before1.live.peak_viewers, 3);
    assert.deepEqual(before1.comments.results.map((c) => c.content), ['uno', 'tres']);

    await restart('SIGTERM');

    assert.deepEqual(stableStream(await getStream(server, room.id)), stableStream(before1.live));
    assert.deepEqual(await getStream(server, ended.id), before1.ended);
    assert.deepEqual(await getComments(server, room.id), before1.comments);
    assert.deepEqual(await getRoles(server, room.id), before1.roles);
    const streamer = await join(server, room.id, { account: room.streamerAccount });
    assert.equal(streamer.hello.stream.status, 'live');
    assert.equal(streamer.hello.stream.started_at, before1.live.started_at, 'reconnecting after a restart keeps started_at');
    assert.deepEqual(streamer.hello.comments.map(commentFields), before1.comments.results.map(commentFields));
    assert.deepEqual(streamer.hello.roles, before1.roles);
    await streamer.close();
    const endedAgain = await connectWs(server, ended.id, { token: room.streamerAccount.token });
    await endedAgain.next('stream_ended');
    assert.equal((await endedAgain.waitClosed()).code, 1000);
  });

  test('SIGTERM closes stream WebSockets with 1012 (service restart) and the stream stays live', async () => {
    const room = await setupRoom(server, { viewers: 1 });
    const closes = [room.streamer.waitClosed(), room.viewers[0].waitClosed()];
    await restart('SIGTERM');
    for (const closed of await Promise.all(closes)) assert.equal(closed.code, 1012);
    assert.equal((await getStream(server, room.id)).status, 'live');
    const back = await join(server, room.id, { account: room.viewers[0].account });
    assert.equal(back.hello.stream.status, 'live');
    await back.close();
  });

  test('every acknowledged comment survives kill -9 right after the acknowledgements', async () => {
    const room = await setupRoom(server, { viewers: 4 });
    const senders = [room.streamer, ...room.viewers];
    const pending = [];
    for (const [i, c] of senders.entries()) {
      for (let j = 0; j < 5; j++) {  // five each: the burst the rate limit allows
        const ref = `k${i}-${j}`;
        c.send({ type: 'comment', content: `durable ${i}.${j}`, ref });
        pending.push(c.next('comment', { where: (m) => m.ref === ref }));
      }
    }
    const acks = await Promise.all(pending);
    const liveBefore = await getStream(server, room.id);
    await restart('SIGKILL');

    const history = await getComments(server, room.id, 'limit=100');
    const stored = new Map(history.results.map((c) => [c.id, c]));
    const missing = acks.filter((a) => !stored.has(a.id));
    assert.deepEqual(missing.map((a) => a.id), [], `acknowledged but lost after kill -9: ${missing.length}`);
    for (const ack of acks) assert.deepEqual(commentFields(stored.get(ack.id)), commentFields(ack));
    assert.equal(history.count, acks.length);
    const liveAfter = await getStream(server, room.id);
    assert.equal(liveAfter.status, 'live');
    assert.equal(liveAfter.started_at, liveBefore.started_at);
  });

  test('sessions survive a restart; a logged-out session stays logged out', async () => {
    const username = uniqueName('sess');
    const a = await register(server, username);
    const b = await login(server, username);
    assert.equal((await api(server, '/api/auth/logout/', { method: 'POST', token: b.token })).status, 200);
    await restart('SIGTERM');
    for (const auth of [{ token: a.token }, { cookie: a.cookie }]) {
      const me = await api(server, '/api/me/', auth);
      assert.equal(me.status, 200, me.text);
      assert.deepEqual(me.body.user, a.user);
    }
    assert.equal((await api(server, '/api/me/', { token: b.token })).status, 401);
    const s = await createStream(server, a.token);
    const c = await join(server, s.id, { account: a });
    assert.equal(c.hello.you.username, username);
    assert.equal(c.hello.you.role, 'streamer');
    await c.close();
  });

  test('timeouts and kicks persist across a restart', async () => {
    const room = await setupRoom(server, { viewers: 2 });
    const [muted, banned] = room.viewers;
    room.streamer.send({ type: 'timeout_user', username: usernameOf(muted), seconds: 600 });
    const { until } = await room.streamer.next('user_timed_out');
    assertNear(until, nowSeconds() + 600, 5, 'timeout until');
    room.streamer.send({ type: 'kick_user', username: usernameOf(banned) });
    const kicked = await banned.next('kicked');
    await room.closeAll();
    await restart('SIGTERM');

    const again = await join(server, room.id, { account: muted.account });
    assertNear(again.hello.you.timed_out_until, until, 0.01, 'timed_out_until after the restart');
    await again.expectError({ type: 'comment', content: 'still muted?' }, ['forbidden', 'rate_limited']);
    const refused = await connectWs(server, room.id, { token: banned.account.token });
    const msg = await refused.next('kicked');
    assertNear(msg.until, kicked.until, 0.01, 'kick until after the restart');
    assert.equal((await refused.waitClosed()).code, 4001);
    assert.equal((await getComments(server, room.id)).count, 0);
    await again.close();
  });
});

// The live platform on several processes (--redis + --database postgres://): one room across processes.
// Real redis-server and PostgreSQL 15; clients of one stream spread over two or three `redred serve`.
// What a user would see is asserted: the same comments in the same order everywhere, exactly once; equal
// counts; signaling, moderation and the one-streamer rule across processes; a killed process's viewers
// leaving the count; Redis restarted mid-stream.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startRedred, startRedis, redisCli, sleep, waitFor } from './lib/redred.mjs';
import {
  api, register, createStream, getComments, join, connectWs, uniqueName, grantRole, commentFields, runRedred,
} from './lib/live.mjs';
import { startPostgres, holdTableLock, databaseName } from './lib/postgres.mjs';

let redis;
let postgres;
before(async () => {
  [redis, postgres] = await Promise.all([startRedis(), startPostgres()]);
});
after(async () => {
  await Promise.all([redis?.stop(), postgres?.stop()]);
});

// `count` processes on one Redis database and one PostgreSQL database, both fresh for each cluster (stream and
// user ids start at 1 in each PostgreSQL database; Redis keys and channels are per Redis database).
let redisDb = 0;
async function startCluster(count, extraArgs = []) {
  const database = await postgres.createDatabase();
  redisDb = (redisDb % 15) + 1;
  const args = ['--redis', `redis://127.0.0.1:${redis.port}/${redisDb}`, '--database', database, ...extraArgs];
  const servers = [];
  for (let i = 0; i < count; i++) servers.push(await startRedred({ args }));  // one at a time: migrations print once
  return { servers, database, stop: () => Promise.all(servers.map((s) => s.stop())) };
}

// Runs `body(servers)` on a fresh cluster and stops every process afterwards, whatever happens.
async function withCluster(count, extraArgs, body) {
  const cluster = await startCluster(count, extraArgs);
  try {
    await body(cluster.servers, cluster);
  } finally {
    await cluster.stop();
  }
}

const lastCount = (client) => client.all('viewers_update').at(-1)?.viewers_count ?? client.hello.viewers_count;
async function countsReach(clients, expected, what = `viewers_count ${expected} everywhere`) {
  await waitFor(() => clients.every((c) => lastCount(c) === expected), {
    timeoutMs: 8000, what: `${what}; have ${clients.map((c) => `${c.label}=${lastCount(c)}`).join(' ')}`,
  });
}

test('chat across three processes: every client sees every comment once, in one order', async () => {
  await withCluster(3, [], async ([a, b, c]) => {
    const streamerAccount = await register(a, uniqueName('streamer'));
    const stream = await createStream(b, streamerAccount.token, { title: 'Tres procesos' });
    const streamer = await join(c, stream.id, { account: streamerAccount });
    const accounts = await Promise.all([0, 1, 2, 3, 4, 5].map(() => register(a, uniqueName('viewer'))));
    const servers = [a, b, c, a, b, c];
    const viewers = [];
    for (let i = 0; i < accounts.length; i++) viewers.push(await join(servers[i], stream.id, { account: accounts[i], label: `v${i}@${'abc'[i % 3]}` }));
    const everyone = [streamer, ...viewers];
    await countsReach(everyone, 6);
    assert.equal((await api(a, `/api/live/${stream.id}/`)).body.stream.status, 'live', 'made live through another process');

    // Everyone writes at once: 4 comments each from 7 people on 3 processes.
    const sent = [];
    for (let round = 0; round < 4; round++)
      for (const [i, client] of everyone.entries()) {
        const ref = `r${round}-${i}`;
        client.send({ type: 'comment', content: `mensaje ${round} de ${client.label}`, ref });
        sent.push({ client, ref });
      }
    const acks = await Promise.all(sent.map(({ client, ref }) => client.next('comment', { where: (m) => m.ref === ref })));
    const total = acks.length;
    await waitFor(() => everyone.every((cl) => cl.all('comment').length >= total), { timeoutMs: 8000, what: 'every comment everywhere' });
    await sleep(300);
    const order = (cl) => cl.all('comment').map((m) => m.id);
    const reference = order(streamer);
    assert.equal(reference.length, total, 'nothing duplicated');
    assert.equal(new Set(reference).size, total, 'each exactly once');
    for (const cl of viewers) assert.deepEqual(order(cl), reference, `${cl.label} saw the same comments in the same order`);
    const history = await getComments(b, stream.id, 'limit=100');
    assert.deepEqual(new Set(history.results.map((m) => m.id)), new Set(reference), 'every acknowledged comment is stored');
    assert.deepEqual(commentFields(acks[0]), commentFields(streamer.all('comment').find((m) => m.id === acks[0].id)));

    // The viewer list is the whole cluster's, wherever it is asked.
    streamer.send({ type: 'get_viewers' });
    const list = await streamer.next('viewer_list');
    assert.equal(list.viewers_count, 6);
    assert.deepEqual(list.viewers.map((v) => v.username).sort(), accounts.map((x) => x.user.username).sort());
    const rest = await api(a, `/api/live/${stream.id}/viewers/`, { token: streamerAccount.token });
    assert.equal(rest.status, 200, JSON.stringify(rest.body));
    assert.equal(rest.body.viewers_count, 6);

    // Leaving on one process lowers the count on all.
    await viewers[1].close();
    await viewers[2].close();
    await countsReach([streamer, viewers[0], viewers[3], viewers[4], viewers[5]], 4);
    const peak = streamer.all('viewers_update').at(-1).peak_viewers;
    assert.equal(peak, 6);
    await waitFor(async () => (await api(b, `/api/live/${stream.id}/`)).body.stream.peak_viewers === 6,
      { what: 'peak_viewers stored' });
    const metrics = await (await fetch(`${a.url}/metrics`)).text();
    assert.match(metrics, /^redred_cluster_link_up 1$/m);
    assert.ok(Number(metrics.match(/^redred_cluster_published_total (\d+)/m)?.[1]) > 0, metrics);
    assert.ok(Number(metrics.match(/^redred_cluster_received_total (\d+)/m)?.[1]) >= total, 'every process receives every event');
    assert.match(metrics, /^redred_cluster_lag_seconds_count \d+/m);
    await Promise.all(everyone.map((cl) => cl.close()));
  });
});

test('signaling across processes keeps its isolation; one streamer connection in the whole cluster', async () => {
  await withCluster(2, [], async ([a, b]) => {
    const streamerAccount = await register(a, uniqueName('streamer'));
    const stream = await createStream(a, streamerAccount.token);
    const viewerAccount = await register(a, uniqueName('viewer'));
    const otherAccount = await register(a, uniqueName('other'));
    const streamer = await join(a, stream.id, { account: streamerAccount, label: 'streamer@a' });
    const viewer = await join(b, stream.id, { account: viewerAccount, label: 'viewer@b' });
    const other = await join(b, stream.id, { account: otherAccount, label: 'other@b' });
    const joined = await streamer.next('user_joined', { where: (m) => m.connection_id === viewer.cid });
    assert.equal(joined.username, viewerAccount.user.username);
    assert.notEqual(viewer.cid, streamer.cid);

    streamer.send({ type: 'offer', target: viewer.cid, sdp: 'offer-sdp-1' });
    const offer = await viewer.next('offer');
    assert.deepEqual(offer, { type: 'offer', from: streamer.cid, sdp: 'offer-sdp-1' });
    viewer.send({ type: 'answer', target: other.cid, sdp: 'answer-sdp-1' });  // names another: goes to the streamer anyway
    const answer = await streamer.next('answer');
    assert.deepEqual(answer, { type: 'answer', from: viewer.cid, sdp: 'answer-sdp-1' });
    viewer.send({ type: 'ice_candidate', candidate: { candidate: 'candidate:1 1 udp 1 10.0.0.1 9 typ host' } });
    assert.equal((await streamer.next('ice_candidate')).from, viewer.cid);
    await other.expectNone('offer');
    await other.expectNone('answer');
    await viewer.expectError({ type: 'offer', target: streamer.cid, sdp: 'x' }, 'forbidden');
    await streamer.expectError({ type: 'offer', target: 999999999999, sdp: 'x' }, 'not_found');

    // A viewer joining on either process reaches the streamer; leaving too.
    await other.close();
    const left = await streamer.next('user_left', { where: (m) => m.connection_id === other.cid });
    assert.equal(left.username, otherAccount.user.username);

    // The streamer opens the studio on the other process: the first connection is replaced (4002).
    const second = await join(b, stream.id, { account: streamerAccount, label: 'streamer@b' });
    const replaced = await streamer.next('error', { where: (m) => m.error === 'replaced' });
    assert.match(replaced.message, /another window/);
    assert.equal((await streamer.waitClosed()).code, 4002);
    // The new one gets the viewers (on any process) and the viewers' answers.
    assert.equal((await second.next('user_joined')).connection_id, viewer.cid);
    await sleep(300);
    assert.equal(second.all('user_joined').length, 1, 'the one viewer, once');
    second.send({ type: 'offer', target: viewer.cid, sdp: 'offer-sdp-2' });
    assert.equal((await viewer.next('offer', { where: (m) => m.sdp === 'offer-sdp-2' })).from, second.cid);
    viewer.send({ type: 'answer', sdp: 'answer-sdp-2' });
    assert.equal((await second.next('answer')).from, viewer.cid);
    await Promise.all([viewer.close(), second.close()]);
  });
});

test('a viewer joining on another process gets connection_established first, then the offer the streamer sent at once', async () => {
  // The join reaches the streamer before the joiner's connection_established, which waits for the chat history.
  // Holding the history read up (the comments table locked) lets the streamer's offer cross first: it must still
  // reach the viewer after connection_established, or the page starts afresh and drops it (no video).
  await withCluster(2, [], async ([a, b], { database }) => {
    const streamerAccount = await register(a, uniqueName('streamer'));
    const stream = await createStream(a, streamerAccount.token);
    const streamer = await join(a, stream.id, { account: streamerAccount, label: 'streamer@a' });
    streamer.ws.on('message', (data) => {
      for (const m of [JSON.parse(data.toString())].flat())
        if (m.type === 'user_joined') streamer.send({ type: 'offer', target: m.connection_id, sdp: `offer for ${m.connection_id}` });
    });
    const lock = await holdTableLock(postgres.port, databaseName(database), 'live_stream_comments');
    let viewer;
    try {
      viewer = await connectWs(b, stream.id, { label: 'viewer@b' });
      const joined = await streamer.next('user_joined');
      await sleep(300);  // the offer crosses to b meanwhile
      assert.ok(!viewer.messages.some((m) => m.type === 'offer'), `an offer before connection_established: ${viewer.summary()}`);
      await lock.release();
      const hello = await viewer.next('connection_established');
      assert.equal(hello.connection_id, joined.connection_id);
      const offer = await viewer.next('offer');
      assert.equal(viewer.messages[0].type, 'connection_established', `the first message: ${viewer.summary()}`);
      assert.deepEqual([offer.sdp, offer.from], [`offer for ${hello.connection_id}`, streamer.cid]);
    } finally {
      await lock.release();
    }
    await viewer.close();
    await streamer.close();
  });
});

test('moderation across processes: delete, timeout, kick, roles; chat limits per user across processes', async () => {
  await withCluster(3, ['--chat-burst', '4', '--chat-rate', '0.2'], async ([a, b, c]) => {
    const streamerAccount = await register(a, uniqueName('streamer'));
    const stream = await createStream(a, streamerAccount.token);
    const [modAccount, targetAccount, bystanderAccount, vipAccount] = await Promise.all(
      ['mod', 'target', 'bystander', 'vip'].map((p) => register(a, uniqueName(p))));
    await grantRole(a, stream.id, streamerAccount.token, 'moderators', modAccount.user.username);
    const streamer = await join(a, stream.id, { account: streamerAccount, label: 'streamer@a' });
    const mod = await join(b, stream.id, { account: modAccount, label: 'mod@b' });
    const target = await join(c, stream.id, { account: targetAccount, label: 'target@c' });
    const targetTab = await join(a, stream.id, { account: targetAccount, label: 'target2@a' });
    const bystander = await join(c, stream.id, { account: bystanderAccount, label: 'bystander@c' });
    const everyone = [streamer, mod, target, targetTab, bystander];
    await countsReach(everyone, 3, 'three people (the target counts once for two tabs)');

    // Delete across processes.
    const bad = await target.comment('spam desde c');
    mod.send({ type: 'delete_comment', comment_id: bad.id });
    for (const cl of everyone) {
      const deleted = await cl.next('comment_deleted');
      assert.deepEqual(deleted, { type: 'comment_deleted', comment_id: bad.id, by: modAccount.user.username });
    }

    // Timeout across processes: holds on every process where the user is.
    mod.send({ type: 'timeout_user', username: targetAccount.user.username, seconds: 60 });
    for (const cl of everyone) assert.equal((await cl.next('user_timed_out')).username, targetAccount.user.username);
    for (const tab of [target, targetTab]) {
      const err = await tab.expectError({ type: 'comment', content: 'déjenme hablar' }, 'forbidden');
      assert.ok(err.until > Date.now() / 1000 + 50, JSON.stringify(err));
    }

    // Roles across processes, from the WebSocket on a and from REST on b.
    streamer.send({ type: 'add_vip', username: vipAccount.user.username });
    for (const cl of everyone) assert.deepEqual((await cl.next('roles_update')).vips, [vipAccount.user.username]);
    const revoke = await api(b, `/api/live/${stream.id}/vips/${vipAccount.user.username}/`, { method: 'DELETE', token: streamerAccount.token });
    assert.ok([200, 204].includes(revoke.status), JSON.stringify(revoke.body));
    for (const cl of everyone) assert.deepEqual((await cl.next('roles_update')).vips, []);

    // Kick across processes: every tab of the user closed with 4001 wherever it is; the others are told.
    mod.send({ type: 'kick_user', username: targetAccount.user.username });
    for (const tab of [target, targetTab]) {
      assert.equal((await tab.next('kicked')).by, modAccount.user.username);
      assert.equal((await tab.waitClosed()).code, 4001);
    }
    for (const cl of [streamer, mod, bystander]) assert.equal((await cl.next('user_kicked')).username, targetAccount.user.username);
    const refused = await join(b, stream.id, { account: targetAccount, label: 'target-again@b' }).catch((e) => e);
    assert.ok(refused instanceof Error && /4001|kicked/.test(refused.message), `a kicked user may not rejoin on another process: ${refused}`);
    await countsReach([streamer, mod, bystander], 2);

    // One user on two processes shares one bucket: 4 at once, then refused on either.
    const tabA = await join(a, stream.id, { account: bystanderAccount, label: 'bystander@a' });
    const results = [];
    for (let i = 0; i < 6; i++) {
      const tab = i % 2 ? tabA : bystander;
      results.push(await tab.request({ type: 'comment', content: `ráfaga ${i}` }));
    }
    const accepted = results.filter((m) => m.type === 'comment').length;
    const limited = results.filter((m) => m.type === 'error' && m.error === 'rate_limited');
    assert.equal(accepted, 4, `burst 4 across both processes: ${JSON.stringify(results.map((m) => m.error ?? m.type))}`);
    assert.equal(limited.length, 2);
    assert.ok(limited.every((m) => m.retry_after_ms > 0));
    await Promise.all([streamer, mod, bystander, tabA].map((cl) => cl.close()));
  });
});

test('a killed process: its viewers leave the count everywhere within seconds; the stream stays live', async () => {
  await withCluster(2, [], async ([a, b]) => {
    const streamerAccount = await register(a, uniqueName('streamer'));
    const stream = await createStream(a, streamerAccount.token);
    const streamer = await join(a, stream.id, { account: streamerAccount });
    const onA = await join(a, stream.id, { guest: true, label: 'guest@a' });
    const onB = [];
    for (let i = 0; i < 3; i++) onB.push(await join(b, stream.id, { guest: true, label: `guest${i}@b` }));
    await countsReach([streamer, onA], 4);
    const killedAt = Date.now();
    await b.stop('SIGKILL');
    await countsReach([streamer, onA], 1, 'the killed process\'s viewers gone');
    const took = Date.now() - killedAt;
    assert.ok(took < 8000, `took ${took} ms`);
    const left = streamer.all('user_left').map((m) => m.connection_id).sort();
    assert.deepEqual(left, onB.map((g) => g.cid).sort(), 'the streamer is told each one left');
    await waitFor(async () => await redisCli(redis.port, '-n', String(redisDb), 'HLEN', `redred:live:presence:${stream.id}`) === '2',
      { what: 'their entries gone from Redis' });
    assert.equal((await api(a, `/api/live/${stream.id}/`)).body.stream.status, 'live');
    assert.equal((await streamer.comment('sigo aquí')).content, 'sigo aquí');
    await Promise.all([streamer.close(), onA.close()]);
  });
});

test('a killed process\'s streamer: the stream waits out the publisher grace, then one process ends it', async () => {
  await withCluster(3, ['--cleanup-interval-ms', '300', '--publisher-grace-s', '2'], async ([a, b, c]) => {
    const streamerAccount = await register(a, uniqueName('streamer'));
    const stream = await createStream(a, streamerAccount.token);
    const streamer = await join(b, stream.id, { account: streamerAccount, label: 'streamer@b' });
    const viewerA = await join(a, stream.id, { guest: true, label: 'guest@a' });
    const viewerC = await join(c, stream.id, { guest: true, label: 'guest@c' });
    await countsReach([streamer, viewerA, viewerC], 2);
    // Every process sweeps every 300 ms, yet the stream stays live while its streamer is on another process.
    await sleep(2500);
    assert.equal((await api(c, `/api/live/${stream.id}/`)).body.stream.status, 'live', 'not ended while the streamer is there');
    const killedAt = Date.now();
    await b.stop('SIGKILL');
    for (const viewer of [viewerA, viewerC]) await viewer.next('streamer_disconnected', { timeoutMs: 10000 });
    for (const viewer of [viewerA, viewerC]) {
      const ended = await viewer.next('stream_ended', { timeoutMs: 12000 });
      assert.equal(ended.reason, 'streamer_gone');
      assert.equal(viewer.all('stream_ended').length, 1, 'ended once');
      assert.equal((await viewer.waitClosed()).code, 1000);
    }
    assert.ok(Date.now() - killedAt >= 2000, 'not before the grace');
    assert.equal((await api(a, `/api/live/${stream.id}/`)).body.stream.status, 'ended');
    const logs = a.log() + c.log();
    assert.equal((logs.match(new RegExp(`publisher grace over stream=${stream.id}[ :]`, 'g')) ?? []).length +
      (logs.match(new RegExp(`cleanup ended stream id=${stream.id} `, 'g')) ?? []).length, 1, 'one process ended it');
  });
});

test('Redis restarted mid-stream: clients stay, nothing acknowledged is lost, delivery across processes comes back', async () => {
  await withCluster(2, [], async ([a, b]) => {
    const streamerAccount = await register(a, uniqueName('streamer'));
    const viewerAccount = await register(a, uniqueName('viewer'));
    const stream = await createStream(a, streamerAccount.token);
    const streamer = await join(a, stream.id, { account: streamerAccount, label: 'streamer@a' });
    const viewer = await join(b, stream.id, { account: viewerAccount, label: 'viewer@b' });
    const guestA = await join(a, stream.id, { guest: true, label: 'guest@a' });
    await countsReach([streamer, viewer, guestA], 2);

    await redis.stop();
    await waitFor(async () => (await fetch(`${a.url}/healthz`)).status === 503, { what: 'healthz degraded' });
    const health = await (await fetch(`${b.url}/healthz`)).json();
    assert.equal(health.status, 'degraded');
    // Each process keeps serving its own sockets; the comment is stored and acknowledged.
    const during = await streamer.comment('sin Redis');
    assert.equal((await guestA.next('comment', { where: (m) => m.id === during.id })).content, 'sin Redis');
    const fromB = await viewer.comment('también sin Redis');
    assert.ok(streamer.isOpen && viewer.isOpen && guestA.isOpen, 'nobody was disconnected');

    await redis.restart();
    await waitFor(async () => (await fetch(`${a.url}/healthz`)).status === 200 && (await fetch(`${b.url}/healthz`)).status === 200,
      { timeoutMs: 10000, what: 'healthz ok again' });
    // Across processes again, by itself.
    await waitFor(async () => {
      const ack = await streamer.comment(`de vuelta ${Date.now()}`);
      return viewer.all('comment').some((m) => m.id === ack.id);
    }, { timeoutMs: 10000, intervalMs: 300, what: 'a comment from a reaching b' });
    const back = await viewer.comment('y de b a a');
    await streamer.next('comment', { where: (m) => m.id === back.id });
    // Presence was restored from both processes: the counts are right again.
    const third = await join(b, stream.id, { guest: true, label: 'guest@b' });
    await countsReach([streamer, viewer, guestA, third], 3);
    const history = (await getComments(a, stream.id)).results.map((m) => m.id);
    for (const id of [during.id, fromB.id, back.id]) assert.ok(history.includes(id), `comment ${id} stored`);
    await Promise.all([streamer, viewer, guestA, third].map((cl) => cl.close()));
  });
});

test('doctor lists the cluster\'s live processes with their connection counts', async () => {
  await withCluster(2, [], async ([a, b]) => {
    const streamerAccount = await register(a, uniqueName('streamer'));
    const stream = await createStream(a, streamerAccount.token);
    const clients = [await join(a, stream.id, { account: streamerAccount }), await join(a, stream.id, { guest: true }),
      await join(b, stream.id, { guest: true })];
    const url = `redis://127.0.0.1:${redis.port}/${redisDb}`;
    let out = '';
    await waitFor(async () => {
      out = (await runRedred(['doctor', '--screen-source', 'none', '--redis', url])).stdout;
      return /cluster\s+2 live process\(es\), 3 stream connection\(s\)/.test(out);
    }, { timeoutMs: 6000, intervalMs: 500, what: 'doctor to count 3 connections on 2 processes' }).catch((e) => { throw new Error(`${e.message}\n${out}`); });
    assert.match(out, new RegExp(`127\\.0\\.0\\.1:${a.port}: 2 connection\\(s\\), 1 room\\(s\\)`));
    assert.match(out, new RegExp(`127\\.0\\.0\\.1:${b.port}: 1 connection\\(s\\), 1 room\\(s\\)`));
    await Promise.all(clients.map((c) => c.close()));
  });
});

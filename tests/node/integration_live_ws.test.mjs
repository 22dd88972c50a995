// The stream WebSocket (docs/PROTOCOL.md) against the real binary: lifecycle, viewer counts, signaling relay
// and isolation, chat, rate limit, moderation for every action and role, end of stream and bad frames.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import { startRedred, sleep, waitFor } from './lib/redred.mjs';
import {
  QUIET_MS, api, register, createStream, getStream, getComments, getRoles, grantRole, connectWs, join, setupRoom,
  uniqueName, assertNear, assertHealthy, nowSeconds, usernameOf, commentFields,
} from './lib/live.mjs';

let server;
before(async () => { server = await startRedred(); });
after(async () => { await server?.stop(); });

const nonce = (what) => `${what}-${randomBytes(6).toString('hex')}`;
const HELLO_KEYS = ['comments', 'connection_id', 'emotes', 'media', 'peak_viewers', 'roles', 'stream', 'type', 'viewers_count', 'you'];
const MODERATION = ['delete_comment', 'timeout_user', 'kick_user'];
const ROLE_CHANGES = ['add_moderator', 'remove_moderator', 'add_vip', 'remove_vip'];

// The standard cast for moderation tests: streamer, two moderators, a VIP, two viewers and a guest.
const castRoom = () => setupRoom(server, { moderators: 2, vips: 1, viewers: 2, guests: 1 });
const everyone = (room) => [room.streamer, ...room.mods, ...room.vips, ...room.viewers, ...room.guests];
function actorFor(room, role) {
  return { streamer: room.streamer, moderator: room.mods[0], vip: room.vips[0], viewer: room.viewers[0], guest: room.guests[0] }[role];
}
// What a refusal looks like for each role: guests may be told to sign in instead.
const refusalFor = (role) => (role === 'guest' ? ['forbidden', 'unauthenticated'] : 'forbidden');

const viewersIs = (n) => (m) => m.viewers_count === n;

// Every client of `clients` receives a message of `type` matching `where`; returns them in order.
async function allReceive(clients, type, where) {
  return Promise.all(clients.map((c) => c.next(type, { where })));
}

// None of `clients` received a message of `type` matching `where` (after one quiet period).
async function noneReceive(clients, type, where = () => true) {
  await Promise.all(clients.map((c) => c.expectNone(type, { where })));
}

async function assertClosedWith(client, code) {
  const { code: got } = await client.waitClosed();
  assert.equal(got, code, `${client.label} closed with ${got}, expected ${code}`);
}

// Connecting must be refused after the upgrade with exactly one `type` message and close `code`.
async function assertJoinRefused(streamId, token, type, code) {
  const c = await connectWs(server, streamId, { token, label: `refused-${type}` });
  const msg = await c.next(type);
  await assertClosedWith(c, code);
  assert.equal(c.all('connection_established').length, 0, 'no connection_established before the refusal');
  return msg;
}

describe('lifecycle', () => {
  test('the streamer connecting makes a waiting stream live; connection_established has every field', async () => {
    const acct = await register(server, uniqueName('life'));
    const stream = await createStream(server, acct.token);
    const early = await join(server, stream.id, { account: await register(server, uniqueName('early')) });
    assert.equal(early.hello.stream.status, 'waiting', 'viewers may wait for the start');
    assert.equal((await getStream(server, stream.id)).status, 'waiting', 'a viewer does not start the stream');

    const s = await join(server, stream.id, { account: acct });
    const h = s.hello;
    assert.deepEqual(Object.keys(h).sort(), HELLO_KEYS);
    assert.deepEqual(h.media, { mode: 'p2p', server: null, source: null }, 'peer-to-peer by default');
    assert.ok(h.connection_id !== undefined && h.connection_id !== null && h.connection_id !== '', 'connection_id');
    assert.notEqual(h.connection_id, early.cid);
    assert.equal(h.stream.id, stream.id);
    assert.equal(h.stream.status, 'live');
    assertNear(h.stream.started_at, nowSeconds(), 5, 'started_at');
    assert.equal(h.you.user_id, acct.user.id);
    assert.equal(h.you.username, acct.user.username);
    assert.equal(h.you.role, 'streamer');
    assert.equal(h.you.timed_out_until, null);
    assert.equal(h.viewers_count, 1, 'the early viewer counts, the streamer does not');
    assert.equal(h.peak_viewers, 1);
    assert.deepEqual(h.comments, []);
    assert.deepEqual(h.roles, { moderators: [], vips: [] });
    assert.ok(Array.isArray(h.emotes) && h.emotes.length > 0, 'emotes');
    for (const e of h.emotes) assert.deepEqual(Object.keys(e).sort(), ['code', 'glyph', 'label']);
    assert.ok(h.emotes.some((e) => e.code === ':fire:'));

    const rest = await getStream(server, stream.id);
    assert.equal(rest.status, 'live');
    assertNear(rest.started_at, h.stream.started_at, 0.01, 'REST started_at');
    const joined = await s.next('user_joined', { where: (m) => m.connection_id === early.cid });
    assert.equal(joined.username, early.account.user.username, 'a streamer connecting gets user_joined for viewers already there');
    await s.close();
    await early.close();
  });

  test('connection_established for each role: role, permissions, user fields and roles', async () => {
    const room = await setupRoom(server, { moderators: 1, vips: 1, viewers: 1, guests: 1 });
    const perms = {};
    for (const role of ['streamer', 'moderator', 'vip', 'viewer', 'guest']) {
      const c = actorFor(room, role);
      assert.deepEqual(Object.keys(c.hello).sort(), HELLO_KEYS, role);
      assert.equal(c.hello.you.role, role);
      assert.equal(c.hello.you.user_id, c.account?.user.id ?? null, `${role} user_id`);
      assert.equal(c.hello.you.username, usernameOf(c), `${role} username`);
      assert.equal(c.hello.you.timed_out_until, null);
      assert.ok(Array.isArray(c.hello.you.permissions) && c.hello.you.permissions.every((p) => typeof p === 'string'), role);
      perms[role] = new Set(c.hello.you.permissions);
    }
    assert.deepEqual(room.guests[0].hello.roles, { moderators: [usernameOf(room.mods[0])], vips: [usernameOf(room.vips[0])] });
    const has = (role, list) => list.forEach((p) => assert.ok(perms[role].has(p), `${role} should have ${p}: ${[...perms[role]]}`));
    const lacks = (role, list) => list.forEach((p) => assert.ok(!perms[role].has(p), `${role} should not have ${p}: ${[...perms[role]]}`));
    has('streamer', ['comment', ...MODERATION, 'end_stream']);
    has('moderator', ['comment', ...MODERATION]);
    lacks('moderator', ['end_stream']);
    for (const role of ['vip', 'viewer']) { has(role, ['comment']); lacks(role, [...MODERATION, 'end_stream']); }
    lacks('guest', ['comment', ...MODERATION, 'end_stream']);
    // Each role can do everything the one below it can (seed table).
    const subset = (a, b) => [...perms[a]].every((p) => perms[b].has(p)) && perms[b].size > perms[a].size;
    for (const [a, b] of [['guest', 'viewer'], ['viewer', 'vip'], ['vip', 'moderator'], ['moderator', 'streamer']])
      assert.ok(subset(a, b), `${a} ⊂ ${b}: ${[...perms[a]]} / ${[...perms[b]]}`);
    const ids = everyone(room).map((c) => c.cid);
    assert.equal(new Set(ids).size, ids.length, 'connection ids are distinct');
    await room.closeAll();
  });

  test('a second streamer connection replaces the first (error replaced, close 4002); viewers stay', async () => {
    const room = await setupRoom(server, { viewers: 1 });
    const [viewer] = room.viewers;
    const old = room.streamer;
    const startedAt = old.hello.stream.started_at;
    const fresh = await room.join(room.streamerAccount);
    const err = await old.next('error', { where: (m) => m.error === 'replaced' });
    assert.equal(typeof err.message, 'string');
    await assertClosedWith(old, 4002);
    assert.equal(fresh.hello.you.role, 'streamer');
    assert.equal(fresh.hello.stream.started_at, startedAt, 'a reconnect does not restart the stream');
    assert.equal(fresh.hello.viewers_count, 1);
    const offer = await fresh.next('user_joined', { where: (m) => m.connection_id === viewer.cid });
    assert.equal(offer.username, usernameOf(viewer));
    await sleep(QUIET_MS);
    assert.ok(viewer.isOpen, 'the viewer stays connected');
    assert.equal((await getStream(server, room.id)).status, 'live');
    await room.closeAll();
  });

  test('user_joined per viewer connection and user_left reach only the streamer', async () => {
    const room = await setupRoom(server, { viewers: 1 });
    const [watcher] = room.viewers;
    const acct = await register(server, uniqueName('tabs'));
    const tab1 = await room.join(acct);
    const tab2 = await room.join(acct);
    const guest = await room.addGuest();
    for (const [c, username, role] of [[tab1, acct.user.username, 'viewer'], [tab2, acct.user.username, 'viewer'], [guest, null, 'guest']]) {
      const m = await room.streamer.next('user_joined', { where: (x) => x.connection_id === c.cid });
      assert.equal(m.username, username);
      assert.equal(m.role, role);
    }
    assert.notEqual(tab1.cid, tab2.cid, 'each tab is its own connection');
    await tab1.close();
    const left = await room.streamer.next('user_left', { where: (m) => m.connection_id === tab1.cid });
    assert.equal(left.username, acct.user.username);
    await guest.close();
    const guestLeft = await room.streamer.next('user_left', { where: (m) => m.connection_id === guest.cid });
    assert.equal(guestLeft.username, null);
    await noneReceive([watcher, tab2], 'user_joined');
    assert.equal(watcher.all('user_left').length, 0, 'viewers do not get user_left');
    await room.closeAll();
  });
});

describe('viewer count', () => {
  test('distinct people: tabs count once, guests count, the streamer never; peak stays', async () => {
    const room = await setupRoom(server);
    const s = room.streamer;
    assert.equal(s.hello.viewers_count, 0);
    const a = await room.addViewer('va');
    await s.next('viewers_update', { where: viewersIs(1) });
    const b = await room.addViewer('vb');
    const seen = await Promise.all([s, a, b].map((c) => c.next('viewers_update', { where: viewersIs(2) })));
    for (const m of seen) assert.equal(m.peak_viewers, 2);
    const a2 = await room.join(a.account);  // A's second tab
    await sleep(QUIET_MS);
    assert.equal(s.all('viewers_update').at(-1).viewers_count, 2, 'a second tab of the same account does not count');
    const g = await room.addGuest();
    await s.next('viewers_update', { where: viewersIs(3) });
    assert.equal(g.hello.viewers_count, 3);
    await g.close();
    await s.next('viewers_update', { where: viewersIs(2) });
    await a.close();
    await sleep(QUIET_MS);
    assert.equal(s.all('viewers_update').at(-1).viewers_count, 2, 'A still watches in the other tab');
    await b.close();
    const last = await s.next('viewers_update', { where: viewersIs(1) });
    assert.equal(last.peak_viewers, 3);
    const updates = s.all('viewers_update');
    assert.ok(updates.every((m) => m.viewers_count <= 3), JSON.stringify(updates));
    updates.forEach((m, i) => assert.ok(i === 0 || m.peak_viewers >= updates[i - 1].peak_viewers, 'peak never decreases'));
    const rest = await waitFor(async () => { const st = await getStream(server, room.id); return st.viewers_count === 1 && st; }, { timeoutMs: 3000, what: 'stored viewers_count 1' });
    assert.equal(rest.peak_viewers, 3);
    // The streamer reconnecting is not a viewer either.
    const again = await room.join(room.streamerAccount);
    assert.equal(again.hello.viewers_count, 1);
    assert.equal(again.hello.peak_viewers, 3);
    await a2.close();
    await room.closeAll();
  });
});

describe('signaling', () => {
  const candidate = (tag) => ({ candidate: `candidate:${tag} 1 udp 2122260223 127.0.0.1 50000 typ host`, sdpMid: '0', sdpMLineIndex: 0 });

  test('offer, answer and ICE go between the streamer and one viewer; from is set by the server', async () => {
    const room = await setupRoom(server, { viewers: 2, guests: 1 });
    const s = room.streamer;
    const [a, b] = room.viewers;
    const bystanders = [b, room.guests[0]];
    const offerSdp = nonce('offer');
    s.send({ type: 'offer', target: a.cid, sdp: offerSdp, from: b.cid });
    const offer = await a.next('offer');
    assert.equal(offer.sdp, offerSdp);
    assert.equal(offer.from, s.cid, 'from is the streamer connection, whatever the client sent');

    const answerSdp = nonce('answer');
    a.send({ type: 'answer', target: s.cid, sdp: answerSdp, from: 'forged' });
    const answer = await s.next('answer');
    assert.equal(answer.sdp, answerSdp);
    assert.equal(answer.from, a.cid);

    const toViewer = candidate(nonce('s2a'));
    s.send({ type: 'ice_candidate', target: a.cid, candidate: toViewer });
    const iceA = await a.next('ice_candidate');
    assert.deepEqual(iceA.candidate, toViewer);
    assert.equal(iceA.from, s.cid);

    const toStreamer = candidate(nonce('a2s'));
    a.send({ type: 'ice_candidate', candidate: toStreamer, from: b.cid });
    const iceS = await s.next('ice_candidate');
    assert.deepEqual(iceS.candidate, toStreamer);
    assert.equal(iceS.from, a.cid);

    const answerNoTarget = nonce('answer2');
    a.send({ type: 'answer', sdp: answerNoTarget });
    assert.equal((await s.next('answer', { where: (m) => m.sdp === answerNoTarget })).from, a.cid, 'answer target is optional');

    for (const type of ['offer', 'answer', 'ice_candidate']) await noneReceive(bystanders, type);
    assert.equal(a.all('error').length + s.all('error').length, 0, JSON.stringify([...a.all('error'), ...s.all('error')]));
    await room.closeAll();
  });

  test('a guest watches: receives the offer and its answer reaches the streamer', async () => {
    const room = await setupRoom(server, { guests: 1 });
    const [g] = room.guests;
    const sdp = nonce('goffer');
    room.streamer.send({ type: 'offer', target: g.cid, sdp });
    assert.equal((await g.next('offer')).from, room.streamer.cid);
    const ans = nonce('ganswer');
    g.send({ type: 'answer', sdp: ans });
    assert.equal((await room.streamer.next('answer', { where: (m) => m.sdp === ans })).from, g.cid);
    await room.closeAll();
  });

  test('viewers cannot offer, and cannot reach another viewer', async () => {
    const room = await setupRoom(server, { viewers: 2, guests: 1 });
    const s = room.streamer;
    const [a, b] = room.viewers;
    const g = room.guests[0];
    await a.expectError({ type: 'offer', target: b.cid, sdp: nonce('bad-offer') }, 'forbidden');
    await g.expectError({ type: 'offer', target: b.cid, sdp: nonce('bad-offer') }, ['forbidden', 'unauthenticated']);
    for (const [type, key] of [['answer', 'sdp'], ['ice_candidate', 'candidate']]) {
      const value = key === 'sdp' ? nonce(type) : candidate(nonce(type));
      const matches = (m) => isDeepStrictEqual(m[key], value);
      const reply = a.request({ type, target: b.cid, [key]: value }, { timeoutMs: 2000 }).catch(() => null);
      const atStreamer = s.next(type, { where: matches, timeoutMs: 2000 }).catch(() => null);
      const [err, relayed] = await Promise.all([reply, atStreamer]);
      assert.ok(relayed || err?.type === 'error', `${type} aimed at a viewer is relayed to the streamer or refused`);
      if (relayed) assert.equal(relayed.from, a.cid);
      await noneReceive([b, g], type, matches);
    }
    await noneReceive([b, g, s], 'offer');
    await room.closeAll();
  });

  test('the streamer aiming at an unknown connection gets not_found; missing fields bad_input', async () => {
    const room = await setupRoom(server, { viewers: 1 });
    const gone = await room.addViewer('gone');
    await gone.close();
    await room.streamer.next('user_left', { where: (m) => m.connection_id === gone.cid });
    await room.streamer.expectError({ type: 'offer', target: gone.cid, sdp: 'x' }, 'not_found');
    await room.streamer.expectError({ type: 'ice_candidate', target: 'no-such-connection', candidate: candidate('x') }, 'not_found');
    await room.streamer.expectError({ type: 'offer', target: room.viewers[0].cid }, 'bad_input');
    await room.streamer.expectError({ type: 'offer', sdp: 'x' }, ['bad_input', 'not_found']);
    await room.closeAll();
  });
});

describe('chat', () => {
  function assertComment(c, { username, role, highlighted, content }) {
    assert.ok(Number.isInteger(c.id) && c.id > 0, `id ${c.id}`);
    assert.equal(c.username, username);
    assert.equal(c.role, role);
    assert.equal(c.highlighted, highlighted);
    assert.equal(c.content, content);
    assertNear(c.created_at, nowSeconds(), 5, 'created_at');
  }

  test('a comment is broadcast to everyone with its fields; the sender gets its ref back', async () => {
    const room = await setupRoom(server, { viewers: 2, guests: 1 });
    const [v, w] = room.viewers;
    v.send({ type: 'comment', content: '  hola a todos  ', ref: 'r-1' });
    const ack = await v.next('comment', { where: (m) => m.ref === 'r-1' });
    assertComment(ack, { username: usernameOf(v), role: 'viewer', highlighted: false, content: 'hola a todos' });
    const copies = await allReceive([room.streamer, w, room.guests[0]], 'comment', (m) => m.id === ack.id);
    const { ref, ...plain } = ack;
    for (const copy of copies) assert.deepEqual(copy, plain, 'the same comment, without the sender\'s ref');
    v.send({ type: 'comment', content: 'numeric ref', ref: 42 });
    assert.equal((await v.next('comment', { where: (m) => m.content === 'numeric ref' })).ref, 42);
    const history = await getComments(server, room.id);
    assert.deepEqual(history.results[0], commentFields(ack));
    await room.closeAll();
  });

  test('empty, too long, control characters or not a string: bad_input, nothing broadcast or stored', async () => {
    const room = await setupRoom(server, { viewers: 4 });
    const observer = room.viewers[3];
    const invalid = [
      { content: '' }, { content: '   ' }, { content: 'x'.repeat(501) }, { content: '🔥'.repeat(501) },
      { content: 'a\u0007b' }, { content: 'line\nbreak' }, { content: 'tab\there' }, { content: 'del\u007fx' },
      { content: 'c1\u0085x' }, { content: 5 }, {}, { content: null },
    ];
    // At most four per sender, so the rate limit (5 in a burst) cannot be what refuses them.
    await Promise.all(invalid.map((m, i) => room.viewers[Math.floor(i / 4)].expectError({ type: 'comment', ...m }, 'bad_input', { field: 'content' })));
    await noneReceive([observer, room.streamer], 'comment');
    assert.equal((await getComments(server, room.id)).count, 0);
    // 500 characters is fine, counted as characters (an emoji is one), not bytes or UTF-16 units.
    const edge = await room.addViewer('edge');
    for (const content of ['x'.repeat(500), 'é'.repeat(500), '🔥'.repeat(500)]) assert.equal((await edge.comment(content)).content, content);
    await room.closeAll();
  });

  test('a guest cannot comment: unauthenticated', async () => {
    const room = await setupRoom(server, { guests: 1, viewers: 1 });
    await room.guests[0].expectError({ type: 'comment', content: 'hi' }, 'unauthenticated');
    await noneReceive([room.viewers[0]], 'comment');
    await room.closeAll();
  });

  test('a new connection gets the last 50 comments, chronological', async () => {
    const room = await setupRoom(server);
    const senders = [];
    for (let i = 0; i < 11; i++) senders.push(await room.addViewer(`h${i}`));
    const acks = [];
    for (let i = 0; i < 55; i++) acks.push(await senders[i % 11].comment(`message ${i}`));
    const late = await room.addGuest();
    assert.equal(late.hello.comments.length, 50);
    assert.deepEqual(late.hello.comments.map((c) => c.content), acks.slice(5).map((a) => a.content));
    assert.deepEqual(late.hello.comments.map((c) => c.id), acks.slice(5).map((a) => a.id));
    assert.deepEqual(late.hello.comments.map(commentFields), acks.slice(5).map(commentFields));
    const times = late.hello.comments.map((c) => c.created_at);
    assert.deepEqual(times, [...times].sort((x, y) => x - y));
    await room.closeAll();
  });

  test('highlighted for streamer, moderators and VIPs; not for viewers', async () => {
    const room = await setupRoom(server, { moderators: 1, vips: 1, viewers: 1 });
    for (const [role, highlighted] of [['streamer', true], ['moderator', true], ['vip', true], ['viewer', false]]) {
      const c = actorFor(room, role);
      const ack = await c.comment(`from the ${role}`);
      assertComment(ack, { username: usernameOf(c), role, highlighted, content: `from the ${role}` });
    }
    const history = await getComments(server, room.id);
    assert.deepEqual(history.results.map((c) => [c.role, c.highlighted]), [['streamer', true], ['moderator', true], ['vip', true], ['viewer', false]]);
    await room.closeAll();
  });

  test('VIP emotes: refused for viewers (forbidden), accepted for VIPs, moderators and the streamer', async () => {
    const room = await setupRoom(server, { moderators: 1, vips: 1, viewers: 2 });
    await room.viewers[0].expectError({ type: 'comment', content: 'nice :fire:' }, 'forbidden');
    await noneReceive([room.viewers[1]], 'comment');
    for (const role of ['vip', 'moderator', 'streamer']) {
      const ack = await actorFor(room, role).comment(':fire: from the ' + role);
      assert.equal(ack.content, ':fire: from the ' + role);
      await room.viewers[1].next('comment', { where: (m) => m.id === ack.id });
    }
    await room.closeAll();
  });

  test('rate limit: a burst of 20 gets some rate_limited with retry_after_ms; every accepted one is broadcast', async () => {
    const room = await setupRoom(server, { viewers: 2 });
    const [v, observer] = room.viewers;
    const refs = Array.from({ length: 20 }, (_, i) => `burst-${i}`);
    for (const ref of refs) v.send({ type: 'comment', content: `burst ${ref}`, ref });
    const replies = await Promise.all(refs.map((ref) => v.next(null, { where: (m) => m.ref === ref })));
    const accepted = replies.filter((m) => m.type === 'comment');
    const refused = replies.filter((m) => m.type === 'error');
    assert.equal(accepted.length + refused.length, 20, JSON.stringify(replies));
    assert.ok(accepted.length >= 5 && accepted.length <= 7, `accepted ${accepted.length}: 5 in a burst then 1 per second`);
    for (const e of refused) {
      assert.equal(e.error, 'rate_limited', JSON.stringify(e));
      assert.ok(Number.isFinite(e.retry_after_ms) && e.retry_after_ms > 0 && e.retry_after_ms <= 1000, `retry_after_ms ${e.retry_after_ms}`);
    }
    await allReceive([observer], 'comment', (m) => m.id === accepted.at(-1).id);
    assert.deepEqual(observer.all('comment').map((m) => m.id), accepted.map((m) => m.id));
    await observer.expectNone('comment', { where: (m) => !accepted.some((a) => a.id === m.id) });
    assert.equal((await getComments(server, room.id)).count, accepted.length);
    await sleep(Math.max(...refused.map((e) => e.retry_after_ms)) + 100);
    assert.equal((await v.comment('after waiting')).content, 'after waiting');
    await room.closeAll();
  });
});

describe('moderation: delete_comment', () => {
  for (const role of ['streamer', 'moderator']) {
    test(`by the ${role}: comment_deleted to everyone, gone from the history`, async () => {
      const room = await castRoom();
      const keep = await room.viewers[1].comment('stays');
      const victim = await room.viewers[0].comment('borrame');
      const actor = actorFor(room, role);
      actor.send({ type: 'delete_comment', comment_id: victim.id });
      const notices = await allReceive(everyone(room), 'comment_deleted', (m) => m.comment_id === victim.id);
      for (const n of notices) assert.equal(n.by, usernameOf(actor));
      const history = await getComments(server, room.id);
      assert.deepEqual(history.results.map((c) => c.id), [keep.id]);
      assert.equal(history.count, 1);
      const late = await room.addGuest();
      assert.deepEqual(late.hello.comments.map((c) => c.id), [keep.id]);
      await actor.expectError({ type: 'delete_comment', comment_id: 987654321 }, 'not_found');
      await room.closeAll();
    });
  }

  test('a moderator cannot delete the streamer\'s comment', async () => {
    const room = await castRoom();
    const c = await room.streamer.comment('mine');
    await room.mods[0].expectError({ type: 'delete_comment', comment_id: c.id }, 'forbidden');
    assert.equal((await getComments(server, room.id)).count, 1);
    await room.closeAll();
  });

  test('a comment of another stream is not_found', async () => {
    const other = await setupRoom(server);
    const foreign = await other.streamer.comment('elsewhere');
    const room = await castRoom();
    await room.streamer.expectError({ type: 'delete_comment', comment_id: foreign.id }, 'not_found');
    assert.equal((await getComments(server, other.id)).count, 1);
    await other.closeAll();
    await room.closeAll();
  });
});

describe('moderation: timeout_user', () => {
  for (const role of ['streamer', 'moderator']) {
    test(`by the ${role}: user_timed_out to everyone, comments refused until it expires`, async () => {
      const room = await castRoom();
      const [target, observer] = room.viewers;
      const actor = actorFor(room, role);
      actor.send({ type: 'timeout_user', username: usernameOf(target), seconds: 2 });
      const notices = await allReceive(everyone(room), 'user_timed_out', (m) => m.username === usernameOf(target));
      for (const n of notices) {
        assert.equal(n.seconds, 2);
        assert.equal(n.by, usernameOf(actor));
        assertNear(n.until, nowSeconds() + 2, 1.5, 'until');
      }
      const { until } = notices[0];
      const err = await target.expectError({ type: 'comment', content: 'let me talk' }, ['forbidden', 'rate_limited']);
      assert.match(String(err.message), /.+/);
      await observer.expectNone('comment');
      assert.ok(target.isOpen, 'a timed-out user still watches');
      const tab = await room.join(target.account);
      assertNear(tab.hello.you.timed_out_until, until, 0.01, 'timed_out_until on join');
      await sleep(Math.max(0, (until - nowSeconds()) * 1000) + 300);
      const ack = await target.comment('back again');
      await observer.next('comment', { where: (m) => m.id === ack.id });
      await room.closeAll();
    });
  }

  test('limits: moderators not on moderators, nobody on the streamer, seconds 1–604800, unknown user', async () => {
    const room = await castRoom();
    const [mod, mod2] = room.mods;
    const streamerName = usernameOf(room.streamer);
    await mod.expectError({ type: 'timeout_user', username: usernameOf(mod2), seconds: 60 }, 'forbidden');
    await mod.expectError({ type: 'timeout_user', username: streamerName, seconds: 60 }, 'forbidden');
    await room.streamer.expectError({ type: 'timeout_user', username: streamerName, seconds: 60 }, 'forbidden');
    for (const seconds of [0, -5, 604801, 'abc', null])
      await room.streamer.expectError({ type: 'timeout_user', username: usernameOf(room.viewers[0]), seconds }, 'bad_input', { field: 'seconds' });
    await room.streamer.expectError({ type: 'timeout_user', username: uniqueName('ghost'), seconds: 60 }, 'not_found');
    await noneReceive(everyone(room), 'user_timed_out');
    assert.equal((await mod2.comment('still allowed')).content, 'still allowed');
    assert.equal((await room.viewers[0].comment('me too')).content, 'me too');
    await room.closeAll();
  });
});

describe('moderation: kick_user', () => {
  for (const role of ['streamer', 'moderator']) {
    test(`by the ${role}: kicked + close 4001 on every tab, user_kicked to the rest, rejoin refused`, async () => {
      const room = await castRoom();
      const target = room.viewers[0];
      const tab = await room.join(target.account);
      const actor = actorFor(room, role);
      const rest = everyone(room).filter((c) => c !== target);
      actor.send({ type: 'kick_user', username: usernameOf(target) });
      for (const c of [target, tab]) {
        const k = await c.next('kicked');
        assert.equal(k.by, usernameOf(actor));
        assert.equal(typeof k.reason, 'string');
        assertNear(k.until, nowSeconds() + 600, 5, 'kick until');
        await assertClosedWith(c, 4001);
      }
      const notices = await allReceive(rest, 'user_kicked', (m) => m.username === usernameOf(target));
      for (const n of notices) assert.equal(n.by, usernameOf(actor));
      assert.equal(target.all('user_kicked').length, 0, 'the kicked user gets kicked, not user_kicked');
      for (const c of [target, tab]) await room.streamer.next('user_left', { where: (m) => m.connection_id === c.cid });
      await room.streamer.next('viewers_update', { where: viewersIs(5) });  // 2 mods, VIP, the other viewer, guest
      const again = await assertJoinRefused(room.id, target.account.token, 'kicked', 4001);
      assertNear(again.until, nowSeconds() + 600, 5, 'rejoin refused until');
      await room.closeAll();
    });
  }

  test('limits: moderators not on moderators, nobody on the streamer, unknown user; nothing changes', async () => {
    const room = await castRoom();
    const [mod, mod2] = room.mods;
    await mod.expectError({ type: 'kick_user', username: usernameOf(mod2) }, 'forbidden');
    await mod.expectError({ type: 'kick_user', username: usernameOf(room.streamer) }, 'forbidden');
    await room.streamer.expectError({ type: 'kick_user', username: usernameOf(room.streamer) }, 'forbidden');
    await room.streamer.expectError({ type: 'kick_user', username: uniqueName('ghost') }, 'not_found');
    await noneReceive(everyone(room), 'kicked');
    assert.ok(everyone(room).every((c) => c.isOpen));
    await room.closeAll();
  });
});

describe('moderation: roles over the WebSocket', () => {
  test('add/remove moderator and VIP: roles_update to everyone and the new role applies at once', async () => {
    const room = await castRoom();
    const [v, w] = room.viewers;
    const base = { moderators: room.mods.map(usernameOf), vips: room.vips.map(usernameOf) };
    const sorted = (r) => ({ moderators: [...r.moderators].sort(), vips: [...r.vips].sort() });
    const expectRoles = async (expected) => {
      const updates = await allReceive(everyone(room), 'roles_update', (m) => JSON.stringify(sorted(m)) === JSON.stringify(sorted(expected)));
      assert.equal(updates.length, everyone(room).length);
      assert.deepEqual(sorted(await getRoles(server, room.id)), sorted(expected));
    };
    room.streamer.send({ type: 'add_moderator', username: usernameOf(v) });
    await expectRoles({ ...base, moderators: [...base.moderators, usernameOf(v)] });
    const victim = await w.comment('moderated soon');
    v.send({ type: 'delete_comment', comment_id: victim.id });
    await w.next('comment_deleted', { where: (m) => m.comment_id === victim.id });

    room.streamer.send({ type: 'remove_moderator', username: usernameOf(v) });
    await expectRoles(base);
    const other = await w.comment('not any more');
    await v.expectError({ type: 'delete_comment', comment_id: other.id }, 'forbidden');

    room.streamer.send({ type: 'add_vip', username: usernameOf(w) });
    await expectRoles({ ...base, vips: [...base.vips, usernameOf(w)] });
    const vipAck = await w.comment(':crown: thanks');
    assert.equal(vipAck.role, 'vip');
    assert.equal(vipAck.highlighted, true);

    room.streamer.send({ type: 'remove_vip', username: usernameOf(w) });
    await expectRoles(base);
    await w.expectError({ type: 'comment', content: ':crown: again' }, 'forbidden');

    await grantRole(server, room.id, room.streamerAccount.token, 'vips', usernameOf(v));
    await expectRoles({ ...base, vips: [...base.vips, usernameOf(v)] });  // REST changes are announced too
    await room.streamer.expectError({ type: 'add_moderator', username: uniqueName('ghost') }, 'not_found');
    await room.closeAll();
  });
});

describe('moderation: refusals by role change nothing', () => {
  // What each role may not do, aimed at the first viewer (or the streamer / another moderator for moderators).
  const refusals = (room, victimComment) => {
    const viewer = usernameOf(room.viewers[1]);
    const everything = [
      { type: 'delete_comment', comment_id: victimComment.id },
      { type: 'timeout_user', username: viewer, seconds: 60 },
      { type: 'kick_user', username: viewer },
      ...ROLE_CHANGES.map((type) => ({ type, username: viewer })),
      { type: 'end_stream' },
      { type: 'get_viewers' },
    ];
    return {
      vip: everything,
      viewer: everything,
      guest: everything,
      moderator: [
        ...ROLE_CHANGES.map((type) => ({ type, username: viewer })),
        { type: 'end_stream' },
        { type: 'timeout_user', username: usernameOf(room.mods[1]), seconds: 60 },
        { type: 'kick_user', username: usernameOf(room.mods[1]) },
        { type: 'timeout_user', username: usernameOf(room.streamer), seconds: 60 },
        { type: 'kick_user', username: usernameOf(room.streamer) },
      ],
    };
  };

  for (const role of ['moderator', 'vip', 'viewer', 'guest']) {
    test(`a ${role} is refused every action above its role`, async () => {
      const room = await castRoom();
      const victimComment = await room.viewers[1].comment('target comment');
      const rolesBefore = await getRoles(server, room.id);
      const actor = actorFor(room, role);
      for (const msg of refusals(room, victimComment)[role]) await actor.expectError(msg, refusalFor(role));
      await sleep(QUIET_MS);
      for (const type of ['comment_deleted', 'user_timed_out', 'kicked', 'user_kicked', 'roles_update', 'stream_ended', 'viewer_list'])
        for (const c of everyone(room)) await c.expectNone(type, { ms: 0 });
      assert.ok(everyone(room).every((c) => c.isOpen), 'nobody was disconnected');
      assert.deepEqual(await getRoles(server, room.id), rolesBefore);
      assert.deepEqual((await getComments(server, room.id)).results.map((c) => c.id), [victimComment.id]);
      assert.equal((await getStream(server, room.id)).status, 'live');
      assert.equal((await room.viewers[1].comment('not timed out')).content, 'not timed out');
      await room.closeAll();
    });
  }
});

describe('get_viewers', () => {
  for (const role of ['streamer', 'moderator']) {
    test(`the ${role} gets viewer_list`, async () => {
      const room = await castRoom();
      const tab = await room.join(room.viewers[0].account);
      await room.streamer.next('viewers_update', { where: viewersIs(6) });
      const actor = actorFor(room, role);
      actor.send({ type: 'get_viewers' });
      const list = await actor.next('viewer_list');
      assert.equal(list.viewers_count, 6);
      const named = Object.fromEntries(list.viewers.filter((x) => x.username).map((x) => [x.username, x]));
      assert.deepEqual(named[usernameOf(room.viewers[0])], { user_id: room.viewers[0].account.user.id, username: usernameOf(room.viewers[0]), role: 'viewer', connections: 2 });
      assert.equal(named[usernameOf(room.mods[1])].role, 'moderator');
      assert.equal(named[usernameOf(room.vips[0])].role, 'vip');
      assert.equal(named[usernameOf(room.streamer)], undefined, 'the streamer is not a viewer');
      await tab.close();
      await room.closeAll();
    });
  }
});

describe('end of stream', () => {
  async function assertEndedForAll(room, reason) {
    const clients = everyone(room);
    const msgs = await allReceive(clients, 'stream_ended', () => true);
    for (const m of msgs) {
      assert.equal(m.stream_id, room.id);
      assert.equal(m.reason, reason);
      assertNear(m.ended_at, nowSeconds(), 5, 'ended_at');
    }
    for (const c of clients) await assertClosedWith(c, 1000);
    const rest = await getStream(server, room.id);
    assert.equal(rest.status, 'ended');
    assertNear(rest.ended_at, msgs[0].ended_at, 0.01, 'REST ended_at');
    return rest;
  }

  test('end_stream by the streamer: stream_ended to everyone, sockets close; rejoining is refused; never live again', async () => {
    const room = await castRoom();
    room.streamer.send({ type: 'end_stream' });
    const ended = await assertEndedForAll(room, 'streamer');
    const refused = await assertJoinRefused(room.id, room.viewers[0].account.token, 'stream_ended', 1000);
    assert.equal(refused.stream_id, room.id);
    await assertJoinRefused(room.id, undefined, 'stream_ended', 1000);
    await assertJoinRefused(room.id, room.streamerAccount.token, 'stream_ended', 1000);
    const after1 = await getStream(server, room.id);
    assert.deepEqual([after1.status, after1.started_at, after1.ended_at], [ended.status, ended.started_at, ended.ended_at],
      'the streamer reconnecting does not revive it');
  });

  test('ending over REST tells the connected clients (reason api)', async () => {
    const room = await castRoom();
    const res = await api(server, `/api/live/${room.id}/end/`, { method: 'POST', token: room.streamerAccount.token });
    assert.equal(res.status, 200, res.text);
    await assertEndedForAll(room, 'api');
  });

  test('end_stream by a moderator is forbidden and the stream stays live', async () => {
    const room = await castRoom();
    await room.mods[0].expectError({ type: 'end_stream' }, 'forbidden');
    await noneReceive(everyone(room), 'stream_ended');
    assert.equal((await getStream(server, room.id)).status, 'live');
    await room.closeAll();
  });
});

describe('bad frames and connections', () => {
  test('unknown type, malformed JSON, non-objects: error bad_input and the socket stays open', async () => {
    const room = await setupRoom(server, { viewers: 1 });
    const [v] = room.viewers;
    await v.expectError({ type: 'no_such_message' }, 'bad_input');
    await v.expectError({ content: 'no type' }, 'bad_input');
    await v.expectError({ type: 42 }, 'bad_input');
    for (const raw of ['{"type": "comment", ', 'not json at all', '[]', '42', '"comment"', 'null']) {
      const before1 = v.all('error').length;
      v.sendRaw(raw);
      await waitFor(() => v.all('error').length > before1, { timeoutMs: 3000, what: `an error for ${raw}` });
      assert.equal(v.all('error').at(-1).error, 'bad_input', raw);
    }
    assert.equal((await getComments(server, room.id)).count, 0);
    assert.equal((await v.comment('still here')).content, 'still here');
    await room.closeAll();
  });

  test('a 16 KiB frame is read; a larger one closes 1009; a binary frame closes 1008; others unaffected', async () => {
    const room = await setupRoom(server, { viewers: 3 });
    const [a, b, c] = room.viewers;
    const head = '{"type":"comment","ref":"big","content":"';
    const exact = head + 'x'.repeat(16 * 1024 - head.length - 2) + '"}';
    assert.equal(Buffer.byteLength(exact), 16 * 1024);
    a.sendRaw(exact);
    assert.equal((await a.next('error', { where: (m) => m.ref === 'big' })).error, 'bad_input', 'too long a comment, but read');
    assert.ok(a.isOpen);
    b.sendRaw(head + 'x'.repeat(16 * 1024 - head.length - 1) + '"}');
    await assertClosedWith(b, 1009);
    c.sendRaw(Buffer.from('{"type":"comment","content":"binary"}'), { binary: true });
    await assertClosedWith(c, 1008);
    await noneReceive([a, room.streamer], 'comment');
    assert.ok(a.isOpen && room.streamer.isOpen);
    await assertHealthy(server);
    assert.equal((await a.comment('after the abuse')).content, 'after the abuse');
    await room.closeAll();
  });

  test('unknown or non-numeric stream ids are refused with HTTP 404 before the upgrade', async () => {
    for (const id of ['987654321', 'abc']) {
      const err = await connectWs(server, id).then(() => null, (e) => e);
      assert.ok(err?.status, `upgrade to ${id} should be refused, got ${err}`);
      assert.ok(id === 'abc' ? [400, 404].includes(err.status) : err.status === 404, `${id}: ${err.status}`);
    }
    await assertHealthy(server);
  });

  test('identity: ?token=, the session cookie, a bad token (guest), and the path without the slash', async () => {
    const room = await setupRoom(server);
    const acct = await register(server, uniqueName('ident'));
    const viaCookie = await join(server, room.id, { account: { ...acct, token: undefined }, cookie: acct.cookie });
    assert.equal(viaCookie.hello.you.username, acct.user.username);
    assert.equal(viaCookie.hello.you.role, 'viewer');
    const bad = await join(server, room.id, { account: { token: 'not-a-session' }, label: 'bad-token' });
    assert.equal(bad.hello.you.role, 'guest');
    assert.equal(bad.hello.you.username, null);
    const noSlash = await join(server, room.id, { account: acct, slash: false });
    assert.equal(noSlash.hello.you.username, acct.user.username);
    for (const c of [viaCookie, bad, noSlash]) await c.close();
    await room.closeAll();
  });
});

describe('keep-alive', () => {
  test('a quiet client that answers pings stays connected; one that answers nothing is closed after the idle timeout', async () => {
    const quickServer = await startRedred({ args: ['--idle-timeout-ms', '1200'] });
    try {
      const acct = await register(quickServer, uniqueName('quiet'));
      const stream = await createStream(quickServer, acct.token);
      const answering = await join(quickServer, stream.id, { guest: true, label: 'answering' });
      const silent = await join(quickServer, stream.id, { guest: true, label: 'silent', autoPong: false });
      // Nothing is sent by either for more than three idle timeouts; only pongs come back from the first.
      await sleep(4000);
      assert.equal(answering.closeInfo, undefined, `the client answering pings was closed: ${JSON.stringify(answering.closeInfo)}`);
      assert.ok(silent.closeInfo, 'the client that answers nothing is still connected');
      answering.ws.close();
    } finally {
      await quickServer.stop();
    }
  });
});

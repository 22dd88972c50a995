// The warning step and the moderation log (issue 9) against the real binary: WS `warn_user` → `warned` to the
// user, `user_warned` to the streamer and moderators; `reason` on warn, timeout and kick, validated and shown to
// the user concerned; every moderation action recorded once (WebSocket and REST), announced live to the
// streamer and moderators as `moderation_action` only once its row is stored, and listed by
// GET /api/live/<id>/moderation/ (401 guests, 403 others, 404 unknown stream; newest first; limit/offset).
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startRedis, startRedred, waitFor } from './lib/redred.mjs';
import {
  api, assertHttpError, assertNear, createStream, grantRole, join, nowSeconds, register, setupRoom, uniqueName, usernameOf,
} from './lib/live.mjs';
import { startPostgres } from './lib/postgres.mjs';

let server;
before(async () => { server = await startRedred(); });
after(async () => { await server?.stop(); });

// Streamer, two moderators, a VIP, two viewers and a guest, all connected.
const castRoom = () => setupRoom(server, { moderators: 2, vips: 1, viewers: 2, guests: 1 });
const staff = (room) => [room.streamer, ...room.mods];
const everyone = (room) => [room.streamer, ...room.mods, ...room.vips, ...room.viewers, ...room.guests];
// castRoom's set-up grants two moderators and a VIP over REST: three entries before any test action.
const SETUP_GRANTS = 3;
const ENTRY_KEYS = ['action', 'by', 'comment_id', 'created_at', 'id', 'reason', 'seconds', 'username'];

const moderationLog = (room, { token = room.streamerAccount.token, query = '' } = {}) =>
  api(server, `/api/live/${room.id}/moderation/${query}`, { token });

async function logOk(room, options) {
  const res = await moderationLog(room, options);
  assert.equal(res.status, 200, `moderation log: ${res.status} ${res.text}`);
  return res.body;
}

describe('warn_user', () => {
  test('the warned user gets warned {reason, by}; the streamer and moderators get user_warned; nobody else', async () => {
    const room = await castRoom();
    const target = room.viewers[0];
    const tab = await room.join(target.account);  // every tab of the warned account
    const [mod] = room.mods;
    mod.send({ type: 'warn_user', username: usernameOf(target), reason: '  please keep it civil  ' });
    for (const c of [target, tab]) {
      const w = await c.next('warned');
      assert.deepEqual(w, { type: 'warned', reason: 'please keep it civil', by: usernameOf(mod) }, 'trimmed reason, by whom');
    }
    for (const c of staff(room)) {
      const n = await c.next('user_warned');
      assert.deepEqual(n, { type: 'user_warned', username: usernameOf(target), reason: 'please keep it civil', by: usernameOf(mod) });
      const logged = await c.next('moderation_action', { where: (m) => m.action === 'warn' });
      assert.deepEqual(Object.keys(logged).sort(), ['type', ...ENTRY_KEYS].sort());
      assert.equal(logged.by, usernameOf(mod));
      assert.equal(logged.username, usernameOf(target));
      assert.equal(logged.reason, 'please keep it civil');
      assert.equal(logged.seconds, null);
      assertNear(logged.created_at, nowSeconds(), 5, 'created_at');
    }
    const others = [...room.vips, room.viewers[1], ...room.guests];
    for (const c of others) {
      await c.expectNone('warned');
      for (const type of ['user_warned', 'moderation_action']) assert.equal(c.all(type).length, 0, `${c.label} got ${type}`);
    }
    for (const type of ['user_warned', 'moderation_action']) assert.equal(target.all(type).length, 0, `the warned viewer got ${type}`);
    // Warned users stay: they can still watch and comment.
    assert.ok(target.isOpen && tab.isOpen);
    await target.comment('sorry!');
    await room.closeAll();
  });

  test('the reason is optional: none, or only spaces, is null', async () => {
    const room = await castRoom();
    const target = room.viewers[0];
    room.streamer.send({ type: 'warn_user', username: usernameOf(target) });
    assert.deepEqual(await target.next('warned'), { type: 'warned', reason: null, by: usernameOf(room.streamer) });
    room.streamer.send({ type: 'warn_user', username: usernameOf(target), reason: ' \t ' });
    assert.equal((await target.next('warned')).reason, null);
    room.streamer.send({ type: 'warn_user', username: usernameOf(target), reason: null });
    assert.equal((await target.next('warned')).reason, null);
    await room.closeAll();
  });

  test('limits: the same as a timeout; bad reasons refused with a clear error; nothing is sent or recorded', async () => {
    const room = await castRoom();
    const [mod, mod2] = room.mods;
    const viewer = usernameOf(room.viewers[0]);
    for (const actor of [room.vips[0], room.viewers[1]]) {
      await actor.expectError({ type: 'warn_user', username: viewer, reason: 'x' }, 'forbidden');
    }
    await room.guests[0].expectError({ type: 'warn_user', username: viewer }, ['forbidden', 'unauthenticated']);
    await mod.expectError({ type: 'warn_user', username: usernameOf(mod2) }, 'forbidden');
    await mod.expectError({ type: 'warn_user', username: usernameOf(room.streamer) }, 'forbidden');
    await room.streamer.expectError({ type: 'warn_user', username: usernameOf(room.streamer) }, 'forbidden');
    await room.streamer.expectError({ type: 'warn_user', username: uniqueName('ghost') }, 'not_found');
    await room.streamer.expectError({ type: 'warn_user' }, 'bad_input', { field: 'username' });
    const tooLong = await room.streamer.expectError({ type: 'warn_user', username: viewer, reason: 'é'.repeat(201) }, 'bad_input', { field: 'reason' });
    assert.match(tooLong.message, /at most 200 characters/);
    await room.streamer.expectError({ type: 'warn_user', username: viewer, reason: 42 }, 'bad_input', { field: 'reason' });
    await room.streamer.expectError({ type: 'warn_user', username: viewer, reason: 'a\u0000b' }, 'bad_input', { field: 'reason' });
    for (const c of everyone(room)) for (const type of ['warned', 'user_warned', 'moderation_action']) {
      assert.equal(c.all(type).length, 0, `${c.label} got ${type} after refusals`);
    }
    assert.equal((await logOk(room)).count, SETUP_GRANTS, 'only the set-up grants are in the log');
    // 200 characters exactly is accepted, as given.
    room.streamer.send({ type: 'warn_user', username: viewer, reason: 'é'.repeat(200) });
    assert.equal((await room.viewers[0].next('warned')).reason, 'é'.repeat(200));
    // A moderator may warn themselves? No: nobody moderates themselves.
    await mod.expectError({ type: 'warn_user', username: usernameOf(mod) }, 'forbidden');
    await room.closeAll();
  });
});

describe('reasons on timeout and kick', () => {
  test('a timeout with a reason: the user gets timed_out with it; everyone gets user_timed_out without it', async () => {
    const room = await castRoom();
    const target = room.viewers[0];
    room.mods[0].send({ type: 'timeout_user', username: usernameOf(target), seconds: 120, reason: 'flooding the chat' });
    const own = await target.next('timed_out');
    assert.equal(own.reason, 'flooding the chat');
    assert.equal(own.by, usernameOf(room.mods[0]));
    assert.equal(own.seconds, 120);
    assertNear(own.until, nowSeconds() + 120, 5, 'until');
    for (const c of everyone(room)) {
      const pub = await c.next('user_timed_out');
      assert.equal(pub.username, usernameOf(target));
      assert.equal(pub.reason, undefined, `${c.label}: the public notice carries no reason`);
    }
    for (const c of everyone(room).filter((x) => x !== target)) assert.equal(c.all('timed_out').length, 0, `${c.label} got timed_out`);
    const logged = await room.streamer.next('moderation_action', { where: (m) => m.action === 'timeout' });
    assert.equal(logged.reason, 'flooding the chat');
    assert.equal(logged.seconds, 120);
    // Without a reason the user's own notice says null.
    room.streamer.send({ type: 'timeout_user', username: usernameOf(room.viewers[1]), seconds: 5 });
    assert.equal((await room.viewers[1].next('timed_out')).reason, null);
    await room.streamer.expectError({ type: 'timeout_user', username: usernameOf(target), seconds: 60, reason: 'x'.repeat(201) }, 'bad_input', { field: 'reason' });
    await room.closeAll();
  });

  test('a kick with a reason: kicked carries it; without one, the default text', async () => {
    const room = await castRoom();
    const [a, b] = room.viewers;
    room.streamer.send({ type: 'kick_user', username: usernameOf(a), reason: 'spam links' });
    const k = await a.next('kicked');
    assert.equal(k.reason, 'spam links');
    assert.equal(k.by, usernameOf(room.streamer));
    assert.equal((await a.waitClosed()).code, 4001);
    const logged = await room.mods[0].next('moderation_action', { where: (m) => m.action === 'kick' });
    assert.equal(logged.reason, 'spam links');
    assert.equal(logged.seconds, 600, 'the ban length');
    room.mods[0].send({ type: 'kick_user', username: usernameOf(b) });
    assert.equal((await b.next('kicked')).reason, 'removed from this stream');
    await room.closeAll();
  });
});

describe('the moderation log', () => {
  test('every action is recorded once, newest first, and announced live only after it is stored', async () => {
    const room = await castRoom();
    const [mod] = room.mods;
    const [v1, v2] = room.viewers;
    const vip = room.vips[0];
    const c = await v1.comment('something rude');
    // Each action, then: the live announcement to the streamer, and at that moment the row is already readable.
    const steps = [
      [mod, { type: 'delete_comment', comment_id: c.id }, 'delete_comment', usernameOf(v1)],
      [mod, { type: 'warn_user', username: usernameOf(v1), reason: 'first warning' }, 'warn', usernameOf(v1)],
      [mod, { type: 'timeout_user', username: usernameOf(v1), seconds: 30, reason: 'second time' }, 'timeout', usernameOf(v1)],
      [room.streamer, { type: 'add_moderator', username: usernameOf(v2) }, 'add_moderator', usernameOf(v2)],
      [room.streamer, { type: 'remove_moderator', username: usernameOf(v2) }, 'remove_moderator', usernameOf(v2)],
      [room.streamer, { type: 'remove_vip', username: usernameOf(vip) }, 'remove_vip', usernameOf(vip)],
      [room.streamer, { type: 'add_vip', username: usernameOf(vip) }, 'add_vip', usernameOf(vip)],
      [mod, { type: 'kick_user', username: usernameOf(v1), reason: 'third time' }, 'kick', usernameOf(v1)],
    ];
    const announced = [];
    for (const [actor, message, action, whom] of steps) {
      actor.send(message);
      const live = await room.streamer.next('moderation_action', { where: (m) => m.action === action });
      assert.equal(live.by, usernameOf(actor), action);
      assert.equal(live.username, whom, action);
      const { results } = await logOk(room, { query: '?limit=1' });
      assert.deepEqual(results[0], Object.fromEntries(Object.entries(live).filter(([k]) => k !== 'type')), `${action}: stored before announced`);
      announced.push(live);
    }
    assert.equal(announced[0].comment_id, c.id);
    // Moderators see the same live entries; viewers, VIPs and guests none.
    for (const m of announced) await room.mods[1].next('moderation_action', { where: (x) => x.id === m.id });
    for (const other of [vip, ...room.guests]) assert.equal(other.all('moderation_action').length, 0, `${other.label} got moderation_action`);
    // v2 saw the log only while a moderator: its own appointment (roles apply first), not its removal.
    assert.deepEqual(v2.all('moderation_action').map((m) => m.action), ['add_moderator']);

    // REST over the same rows: the set-up grants (oldest), then the steps; newest first.
    const all = await logOk(room, { query: '?limit=100' });
    assert.equal(all.count, SETUP_GRANTS + steps.length, 'each action recorded exactly once');
    assert.deepEqual(all.results.slice(0, steps.length).map((e) => e.action), steps.map((s) => s[2]).reverse());
    assert.deepEqual(all.results.slice(steps.length).map((e) => e.action), ['add_vip', 'add_moderator', 'add_moderator']);
    for (const e of all.results) assert.deepEqual(Object.keys(e).sort(), ENTRY_KEYS);
    const byAction = Object.fromEntries(all.results.slice(0, steps.length).map((e) => [e.action, e]));
    assert.equal(byAction.warn.reason, 'first warning');
    assert.equal(byAction.timeout.seconds, 30);
    assert.equal(byAction.kick.reason, 'third time');
    assert.equal(byAction.add_vip.reason, null);
    for (let i = 1; i < all.results.length; i++) assert.ok(all.results[i - 1].created_at >= all.results[i].created_at, 'newest first');

    // A change that changes nothing is not an action: not recorded, not announced.
    const updates = room.streamer.all('roles_update').length;
    await grantRole(server, room.id, room.streamerAccount.token, 'vips', usernameOf(vip));  // already VIP
    room.streamer.send({ type: 'add_vip', username: usernameOf(vip) });
    await waitFor(() => room.streamer.all('roles_update').length >= updates + 2, { what: 'the two roles_update' });
    assert.equal((await logOk(room)).count, SETUP_GRANTS + steps.length);
    await room.streamer.expectNone('moderation_action', { where: (m) => !announced.some((a) => a.id === m.id) });
    await room.closeAll();
  });

  test('REST role changes are recorded and announced like WebSocket ones', async () => {
    const room = await castRoom();
    const v = usernameOf(room.viewers[0]);
    const res = await api(server, `/api/live/${room.id}/moderators/`, { method: 'POST', token: room.streamerAccount.token, body: { username: v } });
    assert.equal(res.status, 200, res.text);
    const live = await room.mods[0].next('moderation_action', { where: (m) => m.action === 'add_moderator' && m.username === v });
    assert.equal(live.by, usernameOf(room.streamer));
    const del = await api(server, `/api/live/${room.id}/vips/${usernameOf(room.vips[0])}/`, { method: 'DELETE', token: room.streamerAccount.token });
    assert.equal(del.status, 200, del.text);
    await room.streamer.next('moderation_action', { where: (m) => m.action === 'remove_vip' });
    const { results } = await logOk(room, { query: '?limit=2' });
    assert.deepEqual(results.map((e) => [e.action, e.by]), [['remove_vip', usernameOf(room.streamer)], ['add_moderator', usernameOf(room.streamer)]]);
    // Recorded even when nobody is connected to the stream.
    await room.closeAll();
    const quiet = await register(server, uniqueName('quiet'));
    await grantRole(server, room.id, room.streamerAccount.token, 'vips', quiet.user.username);
    assert.equal((await logOk(room, { query: '?limit=1' })).results[0].username, quiet.user.username);
  });

  test('who may read it: 401 guests, 403 viewers and VIPs, 404 unknown streams; moderators and the streamer may', async () => {
    const room = await castRoom();
    room.streamer.send({ type: 'warn_user', username: usernameOf(room.viewers[0]), reason: 'r' });
    await room.viewers[0].next('warned');
    assertHttpError(await moderationLog(room, { token: null }), 401, 'unauthenticated');
    assertHttpError(await moderationLog(room, { token: room.viewers[0].account.token }), 403, 'forbidden');
    assertHttpError(await moderationLog(room, { token: room.vips[0].account.token }), 403, 'forbidden');
    const outsider = await register(server, uniqueName('outsider'));
    assertHttpError(await moderationLog(room, { token: outsider.token }), 403, 'forbidden');
    assertHttpError(await api(server, '/api/live/999999999/moderation/', { token: room.streamerAccount.token }), 404, 'not_found');
    assertHttpError(await api(server, '/api/live/abc/moderation/', { token: room.streamerAccount.token }), 404, 'not_found');
    const asMod = await logOk(room, { token: room.mods[1].account.token });
    assert.equal(asMod.results[0].action, 'warn');
    // A moderator of another stream is no moderator here.
    const other = await setupRoom(server, { moderators: 1, connectStreamer: false });
    assertHttpError(await moderationLog(room, { token: other.mods[0].account.token }), 403, 'forbidden');
    // Without the trailing slash too, as every /api/ path.
    const noSlash = await api(server, `/api/live/${room.id}/moderation`, { token: room.streamerAccount.token });
    assert.equal(noSlash.status, 200, noSlash.text);
    await room.closeAll();
    await other.closeAll();
  });

  test('pagination: limit and offset, count, bad values refused', async () => {
    const room = await setupRoom(server, { viewers: 1 });
    const target = room.viewers[0];
    for (let i = 0; i < 7; i++) {
      room.streamer.send({ type: 'warn_user', username: usernameOf(target), reason: `warning ${i}` });
      await target.next('warned', { where: (m) => m.reason === `warning ${i}` });
    }
    const first = await logOk(room, { query: '?limit=3' });
    assert.deepEqual({ count: first.count, limit: first.limit, offset: first.offset }, { count: 7, limit: 3, offset: 0 });
    assert.deepEqual(first.results.map((e) => e.reason), ['warning 6', 'warning 5', 'warning 4']);
    const second = await logOk(room, { query: '?limit=3&offset=3' });
    assert.deepEqual(second.results.map((e) => e.reason), ['warning 3', 'warning 2', 'warning 1']);
    const last = await logOk(room, { query: '?limit=3&offset=6' });
    assert.deepEqual(last.results.map((e) => e.reason), ['warning 0']);
    assert.deepEqual((await logOk(room, { query: '?offset=50' })).results, []);
    assert.equal((await logOk(room)).limit, 20, 'default page size');
    assertHttpError(await moderationLog(room, { query: '?limit=0' }), 400, 'bad_input', 'limit');
    assertHttpError(await moderationLog(room, { query: '?limit=101' }), 400, 'bad_input', 'limit');
    assertHttpError(await moderationLog(room, { query: '?offset=-1' }), 400, 'bad_input', 'offset');
    await room.closeAll();
  });
});

describe('on several processes (--redis)', () => {
  test('a warning reaches the user on another process; the row is written once; the log is live everywhere', async () => {
    const [redis, postgres] = await Promise.all([startRedis(), startPostgres()]);
    const servers = [];
    try {
      const args = ['--redis', `redis://127.0.0.1:${redis.port}/3`, '--database', await postgres.createDatabase()];
      for (let i = 0; i < 2; i++) servers.push(await startRedred({ args }));  // one at a time: one migration
      const [a, b] = servers;
      const [sAcct, mAcct, tAcct] = await Promise.all(['streamer', 'mod', 'target'].map((p) => register(a, uniqueName(p))));
      const stream = await createStream(a, sAcct.token);
      await grantRole(b, stream.id, sAcct.token, 'moderators', mAcct.user.username);
      const streamer = await join(a, stream.id, { account: sAcct, label: 'streamer@a' });
      const mod = await join(b, stream.id, { account: mAcct, label: 'mod@b' });
      const targetA = await join(a, stream.id, { account: tAcct, label: 'target@a' });
      const targetB = await join(b, stream.id, { account: tAcct, label: 'target@b' });
      await waitFor(() => streamer.all('user_joined').length >= 3, { timeoutMs: 8000, what: 'the streamer sees every viewer' });

      mod.send({ type: 'warn_user', username: tAcct.user.username, reason: 'across processes' });
      for (const c of [targetA, targetB]) {
        assert.deepEqual(await c.next('warned'), { type: 'warned', reason: 'across processes', by: mAcct.user.username }, c.label);
      }
      for (const c of [streamer, mod]) {
        assert.equal((await c.next('user_warned')).username, tAcct.user.username, c.label);
        assert.equal((await c.next('moderation_action', { where: (m) => m.action === 'warn' })).reason, 'across processes', c.label);
      }
      // A REST role change on one process is announced on the other.
      const res = await api(a, `/api/live/${stream.id}/vips/`, { method: 'POST', token: sAcct.token, body: { username: tAcct.user.username } });
      assert.equal(res.status, 200, res.text);
      await mod.next('moderation_action', { where: (m) => m.action === 'add_vip' });

      // One row per action, whichever process is asked.
      for (const server of [a, b]) {
        const log = await api(server, `/api/live/${stream.id}/moderation/`, { token: mAcct.token });
        assert.equal(log.status, 200, log.text);
        assert.deepEqual(log.body.results.map((e) => e.action), ['add_vip', 'warn', 'add_moderator']);
      }
      for (const c of [streamer, mod]) {
        await c.expectNone('warned');
        assert.equal(c.all('moderation_action').filter((m) => m.action === 'warn').length, 1, `${c.label}: the warning announced once`);
      }
      for (const c of [targetA, targetB]) assert.equal(c.all('warned').length, 1, `${c.label}: warned once`);
      for (const c of [streamer, mod, targetA, targetB]) await c.close();
    } finally {
      await Promise.all(servers.map((s) => s.stop()));
      await Promise.all([redis.stop(), postgres.stop()]);
    }
  });
});

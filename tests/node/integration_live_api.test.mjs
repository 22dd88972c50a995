// The live platform's HTTP API (docs/API.md) on the embedded SQLite store: accounts and sessions, CSRF,
// streams, comment history, statistics, viewers, roles, WebRTC config and bad input, against the real binary.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { startRedred, sleep, waitFor } from './lib/redred.mjs';
import {
  PASSWORD, api, register, login, createStream, getStream, getComments, getRoles, grantRole, setupRoom,
  uniqueName, assertNear, assertHttpError, assertHealthy, sessionSetCookie, nowSeconds, usernameOf,
} from './lib/live.mjs';

let server;
before(async () => { server = await startRedred(); });
after(async () => { await server?.stop(); });

const registerRaw = (body) => api(server, '/api/auth/register/', { method: 'POST', body });
const origin = () => `http://127.0.0.1:${server.port}`;

function assertUser(user, username) {
  assert.deepEqual(Object.keys(user).sort(), ['created_at', 'id', 'username']);
  assert.equal(user.username, username);
  assert.ok(Number.isInteger(user.id) && user.id > 0, `user id ${user.id}`);
  assertNear(user.created_at, nowSeconds(), 30, 'user.created_at');
}

function assertStreamShape(stream) {
  for (const key of ['id', 'streamer', 'title', 'description', 'status', 'created_at', 'started_at', 'ended_at', 'viewers_count', 'peak_viewers'])
    assert.ok(key in stream, `stream has ${key}: ${JSON.stringify(stream)}`);
  assert.deepEqual(Object.keys(stream.streamer).sort(), ['id', 'username']);
}

describe('accounts', () => {
  test('register answers 201 with user, token, expires_at and an HttpOnly SameSite=Lax session cookie', async () => {
    const username = uniqueName('Reg');
    const { res, token, user, cookie } = await register(server, username);
    assertUser(user, username);
    assert.equal(typeof token, 'string');
    assert.ok(token.length >= 32, `token too short: ${token}`);
    assertNear(res.body.expires_at, nowSeconds() + 30 * 86400, 120, 'expires_at');
    const set = sessionSetCookie(res);
    assert.ok(set, `no redred_session cookie: ${res.headers.getSetCookie()}`);
    assert.equal(cookie, token, 'the cookie carries the session token');
    assert.equal(set.attributes.httponly, true, set.line);
    assert.equal(String(set.attributes.samesite).toLowerCase(), 'lax', set.line);
    assert.equal(set.attributes.path, '/', set.line);
    const lifetime = set.attributes['max-age'] !== undefined ? Number(set.attributes['max-age'])
      : (Date.parse(set.attributes.expires) - Date.now()) / 1000;
    assert.ok(Math.abs(lifetime - 30 * 86400) < 120, `cookie lifetime ${lifetime}s: ${set.line}`);
  });

  test('a username is taken case-insensitively: 409 conflict', async () => {
    const username = uniqueName('Dup');
    await register(server, username);
    for (const variant of [username, username.toUpperCase(), username.toLowerCase()]) {
      const res = await registerRaw({ username: variant, password: PASSWORD });
      assertHttpError(res, 409, 'conflict');
    }
  });

  test('bad usernames and passwords: 400 bad_input naming the field', async () => {
    const badUsernames = ['ab', 'x'.repeat(31), 'with space', 'bad!char', 'dot.ted', 'ñandú_x', '', 123, null];
    for (const username of badUsernames) {
      const res = await registerRaw({ username, password: PASSWORD });
      assertHttpError(res, 400, 'bad_input', 'username');
    }
    assertHttpError(await registerRaw({ password: PASSWORD }), 400, 'bad_input', 'username');
    // 8–128 bytes: 'ñ' is two bytes in UTF-8.
    for (const password of ['1234567', 'x'.repeat(129), 'ñ'.repeat(65), '', 12345678]) {
      const res = await registerRaw({ username: uniqueName('pw'), password });
      assertHttpError(res, 400, 'bad_input', 'password');
    }
    assertHttpError(await registerRaw({ username: uniqueName('pw') }), 400, 'bad_input', 'password');
  });

  test('boundary usernames and passwords are accepted (3 and 30 characters; 8 and 128 bytes)', async () => {
    const short = `a${Math.random().toString(36).slice(2, 4)}`.padEnd(3, 'z');
    const long = uniqueName('L-_').padEnd(30, 'q');
    assert.equal(long.length, 30);
    await register(server, short, 'ññññ');  // 4 characters, 8 bytes
    await register(server, long, 'p'.repeat(128));
    await login(server, short, 'ññññ');
    await login(server, long, 'p'.repeat(128));
  });

  test('login: 200 with a new session; wrong password or unknown user 401', async () => {
    const username = uniqueName('login');
    const first = await register(server, username);
    const second = await login(server, username);
    assertUser(second.user, username);
    assert.equal(second.user.id, first.user.id);
    assert.notEqual(second.token, first.token, 'each login is its own session');
    assert.equal(sessionSetCookie(second.res)?.value, second.token);
    assertNear(second.res.body.expires_at, nowSeconds() + 30 * 86400, 120, 'expires_at');
    const wrong = await api(server, '/api/auth/login/', { method: 'POST', body: { username, password: 'wrong password!' } });
    assertHttpError(wrong, 401, 'unauthenticated');
    assert.equal(sessionSetCookie(wrong), undefined, 'no cookie on a failed login');
    const unknown = await api(server, '/api/auth/login/', { method: 'POST', body: { username: uniqueName('nobody'), password: PASSWORD } });
    assertHttpError(unknown, 401, 'unauthenticated');
  });

  test('/api/me/ with Bearer, with the cookie, and 401 without or with a bad token', async () => {
    const username = uniqueName('me');
    const { token, cookie } = await register(server, username);
    for (const auth of [{ token }, { cookie }]) {
      const res = await api(server, '/api/me/', auth);
      assert.equal(res.status, 200, res.text);
      assertUser(res.body.user, username);
    }
    assertHttpError(await api(server, '/api/me/'), 401, 'unauthenticated');
    assertHttpError(await api(server, '/api/me/', { token: 'not-a-real-token' }), 401, 'unauthenticated');
    assertHttpError(await api(server, '/api/me/', { cookie: 'not-a-real-token' }), 401, 'unauthenticated');
  });

  test('logout deletes only that session and clears the cookie', async () => {
    const username = uniqueName('logout');
    const a = await register(server, username);
    const b = await login(server, username);
    const res = await api(server, '/api/auth/logout/', { method: 'POST', token: a.token });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.body, { logged_out: true });
    const cleared = sessionSetCookie(res);
    assert.ok(cleared, 'logout sets the cookie again to clear it');
    const gone = cleared.value === '' || Number(cleared.attributes['max-age']) <= 0 || Date.parse(cleared.attributes.expires) < Date.now();
    assert.ok(gone, `cookie not cleared: ${cleared.line}`);
    assertHttpError(await api(server, '/api/me/', { token: a.token }), 401, 'unauthenticated');
    assertHttpError(await api(server, '/api/me/', { cookie: a.token }), 401, 'unauthenticated');
    assert.equal((await api(server, '/api/me/', { token: b.token })).status, 200, 'the other session still works');
  });

  test('paths work with and without the trailing slash', async () => {
    const username = uniqueName('slash');
    const { token } = await register(server, username);
    const noSlashLogin = await api(server, '/api/auth/login', { method: 'POST', body: { username, password: PASSWORD } });
    assert.equal(noSlashLogin.status, 200, noSlashLogin.text);
    for (const path of ['/api/me', '/api/me/']) assert.equal((await api(server, path, { token })).status, 200, path);
    const created = await api(server, '/api/live/create', { method: 'POST', token, body: { title: 'no slash' } });
    assert.equal(created.status, 201, created.text);
    const id = created.body.stream.id;
    for (const path of [`/api/live/${id}`, `/api/live/${id}/`, '/api/live', '/api/live/', `/api/live/${id}/comments`,
      `/api/live/${id}/stats`, `/api/live/${id}/roles`, '/api/live/ended/recent', '/api/rtc/config', '/api/rtc/config/']) {
      const res = await api(server, path);
      assert.equal(res.status, 200, `${path}: ${res.status} ${res.text}`);
    }
    const ended = await api(server, `/api/live/${id}/end`, { method: 'POST', token });
    assert.equal(ended.status, 200, ended.text);
  });
});

describe('CSRF: cookie-authenticated state changes must come from our own origin', () => {
  async function assertCookieCreateRefused(headers) {
    const { cookie, user } = await register(server, uniqueName('csrf'));
    const res = await api(server, '/api/live/create/', { method: 'POST', cookie, headers, body: { title: 'csrf' } });
    assertHttpError(res, 403, 'forbidden');
    const list = await api(server, '/api/live/?limit=100');
    assert.equal(list.body.results.filter((s) => s.streamer.id === user.id).length, 0, 'no stream was created');
  }

  test('a foreign Origin with the cookie is 403 and changes nothing', async () => {
    await assertCookieCreateRefused({ origin: 'http://evil.example' });
    await assertCookieCreateRefused({ origin: `http://127.0.0.1:${server.port + 1}` });
  });

  test('no Origin at all with the cookie is 403 too (it does not show our own origin)', async () => {
    await assertCookieCreateRefused({});
  });

  test('the cookie with the same Origin works, and so does Bearer without any Origin', async () => {
    const { cookie, token } = await register(server, uniqueName('csrfok'));
    const viaCookie = await api(server, '/api/live/create/', { method: 'POST', cookie, headers: { origin: origin() }, body: { title: 'cookie' } });
    assert.equal(viaCookie.status, 201, viaCookie.text);
    const foreignEnd = await api(server, `/api/live/${viaCookie.body.stream.id}/end/`, { method: 'POST', cookie, headers: { origin: 'http://evil.example' } });
    assertHttpError(foreignEnd, 403, 'forbidden');
    assert.equal((await getStream(server, viaCookie.body.stream.id)).status, 'waiting');
    const viaBearer = await api(server, '/api/live/create/', { method: 'POST', token, body: { title: 'bearer' } });
    assert.equal(viaBearer.status, 201, viaBearer.text);
    const bearerEnd = await api(server, `/api/live/${viaBearer.body.stream.id}/end/`, { method: 'POST', token, headers: { origin: 'http://evil.example' } });
    assert.equal(bearerEnd.status, 200, `Bearer is not subject to the Origin check: ${bearerEnd.text}`);
  });

  test('logout with the cookie from a foreign Origin is refused and the session stays', async () => {
    const { cookie } = await register(server, uniqueName('csrflo'));
    const res = await api(server, '/api/auth/logout/', { method: 'POST', cookie, headers: { origin: 'http://evil.example' } });
    assertHttpError(res, 403, 'forbidden');
    assert.equal((await api(server, '/api/me/', { cookie })).status, 200);
  });
});

describe('streams', () => {
  let owner;
  before(async () => { owner = await register(server, uniqueName('owner')); });

  test('create: 201 waiting stream with every field', async () => {
    const res = await api(server, '/api/live/create/', { method: 'POST', token: owner.token, body: { title: '  Clase 1  ', description: 'Primera\nclase' } });
    assert.equal(res.status, 201, res.text);
    const s = res.body.stream;
    assertStreamShape(s);
    assert.deepEqual(s.streamer, { id: owner.user.id, username: owner.user.username });
    assert.equal(s.title, 'Clase 1');
    assert.equal(s.description, 'Primera\nclase');
    assert.equal(s.status, 'waiting');
    assertNear(s.created_at, nowSeconds(), 5, 'created_at');
    assert.equal(s.started_at, null);
    assert.equal(s.ended_at, null);
    assert.equal(s.viewers_count, 0);
    assert.equal(s.peak_viewers, 0);
    assert.deepEqual(await getStream(server, s.id), s);
  });

  test('create: title 1–140 characters and description up to 2000, else 400 naming the field; 401 signed out', async () => {
    const create = (body, token = owner.token) => api(server, '/api/live/create/', { method: 'POST', token, body });
    for (const title of ['', '   ', 'x'.repeat(141), 'é'.repeat(141), 'bad\u0007title', 42, null])
      assertHttpError(await create({ title }), 400, 'bad_input', 'title');
    assertHttpError(await create({ description: 'no title' }), 400, 'bad_input', 'title');
    for (const description of ['d'.repeat(2001), 7])
      assertHttpError(await create({ title: 'ok', description }), 400, 'bad_input', 'description');
    // Characters, not bytes: 140 two-byte letters and 2000 emoji are fine.
    const atLimit = await create({ title: 'é'.repeat(140), description: '🔥'.repeat(2000) });
    assert.equal(atLimit.status, 201, atLimit.text);
    assert.equal(atLimit.body.stream.title, 'é'.repeat(140));
    const noDescription = await create({ title: 'only a title' });
    assert.equal(noDescription.status, 201, noDescription.text);
    assert.equal(noDescription.body.stream.description, '');
    assertHttpError(await api(server, '/api/live/create/', { method: 'POST', body: { title: 'anon' } }), 401, 'unauthenticated');
  });

  test('list: newest first with count/limit/offset pagination', async () => {
    const made = [];
    for (let i = 0; i < 3; i++) made.push(await createStream(server, owner.token, { title: `page ${i}` }));
    const first = await api(server, '/api/live/?limit=3&offset=0');
    assert.equal(first.status, 200, first.text);
    assert.equal(first.body.limit, 3);
    assert.equal(first.body.offset, 0);
    assert.deepEqual(first.body.results.map((s) => s.id), made.map((s) => s.id).reverse());
    first.body.results.forEach(assertStreamShape);
    const all = await api(server, '/api/live/?limit=100');
    assert.equal(first.body.count, all.body.count, 'count is the total, not the page size');
    assert.ok(all.body.count >= 3);
    const ids = all.body.results.map((s) => s.id);
    assert.deepEqual(ids, [...ids].sort((a, b) => b - a), 'newest first');
    const middle = await api(server, '/api/live/?limit=1&offset=1');
    assert.deepEqual(middle.body.results.map((s) => s.id), [made[1].id]);
    const defaults = await api(server, '/api/live/');
    assert.equal(defaults.body.limit, 20);
    assert.equal(defaults.body.offset, 0);
    const beyond = await api(server, `/api/live/?offset=${all.body.count}`);
    assert.deepEqual(beyond.body.results, []);
    assert.equal(beyond.body.count, all.body.count);
  });

  test('list: ?status filters; bad status or limit is 400', async () => {
    const waiting = await createStream(server, owner.token, { title: 'stays waiting' });
    const ended = await createStream(server, owner.token, { title: 'ends' });
    const liveRoom = await setupRoom(server);
    assert.equal((await api(server, `/api/live/${ended.id}/end/`, { method: 'POST', token: owner.token })).status, 200);
    for (const [status, mine] of [['waiting', waiting.id], ['ended', ended.id], ['live', liveRoom.id]]) {
      const res = await api(server, `/api/live/?status=${status}&limit=100`);
      assert.equal(res.status, 200, res.text);
      assert.ok(res.body.results.every((s) => s.status === status), `${status}: ${JSON.stringify(res.body.results.map((s) => s.status))}`);
      assert.ok(res.body.results.some((s) => s.id === mine), `${status} list has stream ${mine}`);
      assert.equal(res.body.count, res.body.results.length);
    }
    for (const query of ['status=bogus', 'limit=0', 'limit=101', 'limit=-1', 'limit=abc', 'offset=-1', 'offset=x', 'limit=1.5'])
      assertHttpError(await api(server, `/api/live/?${query}`), 400, 'bad_input', query.split('=')[0]);
    await liveRoom.closeAll();
  });

  test('ended/recent: most recently ended first', async () => {
    const a = await createStream(server, owner.token, { title: 'ended first' });
    const b = await createStream(server, owner.token, { title: 'ended second' });
    for (const s of [b, a]) {
      assert.equal((await api(server, `/api/live/${s.id}/end/`, { method: 'POST', token: owner.token })).status, 200);
      await sleep(20);  // distinct ended_at
    }
    const res = await api(server, '/api/live/ended/recent/?limit=2');
    assert.equal(res.status, 200, res.text);
    const list = res.body.results ?? res.body;
    assert.deepEqual(list.map((s) => s.id), [a.id, b.id]);
    assert.ok(list.every((s) => s.status === 'ended'));
  });

  test('get: 404 for an unknown id', async () => {
    assertHttpError(await api(server, '/api/live/987654321/'), 404, 'not_found');
  });

  test('end: 401 signed out, 403 for another user, 200 for the streamer, then 409', async () => {
    const s = await createStream(server, owner.token);
    const other = await register(server, uniqueName('other'));
    assertHttpError(await api(server, `/api/live/${s.id}/end/`, { method: 'POST' }), 401, 'unauthenticated');
    assertHttpError(await api(server, `/api/live/${s.id}/end/`, { method: 'POST', token: other.token }), 403, 'forbidden');
    assert.equal((await getStream(server, s.id)).status, 'waiting');
    const res = await api(server, `/api/live/${s.id}/end/`, { method: 'POST', token: owner.token });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.stream.status, 'ended');
    assertNear(res.body.stream.ended_at, nowSeconds(), 5, 'ended_at');
    assert.deepEqual(await getStream(server, s.id), res.body.stream);
    assertHttpError(await api(server, `/api/live/${s.id}/end/`, { method: 'POST', token: owner.token }), 409, 'conflict');
    assertHttpError(await api(server, '/api/live/987654321/end/', { method: 'POST', token: owner.token }), 404, 'not_found');
  });
});

describe('comments, stats, viewers and roles over REST', () => {
  test('comment history: chronological, paginated, with every field', async () => {
    const room = await setupRoom(server, { viewers: 1 });
    const [viewer] = room.viewers;
    const acks = [];
    for (const [client, text] of [[room.streamer, 'uno'], [viewer, 'dos'], [room.streamer, 'tres']]) acks.push(await client.comment(text));
    const all = await getComments(server, room.id, 'limit=50');
    assert.equal(all.count, 3);
    assert.equal(all.limit, 50);
    assert.equal(all.offset, 0);
    assert.deepEqual(all.results.map((c) => c.content), ['uno', 'dos', 'tres']);
    assert.deepEqual(all.results.map((c) => c.id), acks.map((a) => a.id));
    for (const c of all.results) assert.deepEqual(Object.keys(c).sort(), ['content', 'created_at', 'highlighted', 'id', 'role', 'username']);
    assert.deepEqual(all.results.map((c) => [c.username, c.role, c.highlighted]),
      [[usernameOf(room.streamer), 'streamer', true], [usernameOf(viewer), 'viewer', false], [usernameOf(room.streamer), 'streamer', true]]);
    assert.deepEqual(all.results.map((c) => c.created_at), acks.map((a) => a.created_at));
    const page = await getComments(server, room.id, 'limit=2&offset=1');
    assert.deepEqual(page.results.map((c) => c.content), ['dos', 'tres']);
    assert.equal(page.count, 3);
    assertHttpError(await api(server, `/api/live/${room.id}/comments/?limit=0`), 400, 'bad_input', 'limit');
    assertHttpError(await api(server, '/api/live/987654321/comments/'), 404, 'not_found');
    await room.closeAll();
  });

  test('stats: the documented shape, counts and live duration', async () => {
    const room = await setupRoom(server, { viewers: 2 });
    await room.streamer.comment('stats 1');
    await room.viewers[0].comment('stats 2');
    await room.streamer.next('viewers_update', { where: (m) => m.viewers_count === 2 });
    const res = await api(server, `/api/live/${room.id}/stats/`);
    assert.equal(res.status, 200, res.text);
    const s = await waitFor(async () => { const b = (await api(server, `/api/live/${room.id}/stats/`)).body; return b.viewers_count === 2 && b; },
      { timeoutMs: 3000, what: `stats viewers_count 2 (first answer ${res.text})` });
    for (const key of ['average_viewers', 'comments_count', 'duration', 'ended_at', 'peak_viewers', 'series', 'started_at', 'status',
      'stream_id', 'viewers_count']) assert.ok(key in s, `stats has ${key}: ${JSON.stringify(s)}`);
    assert.equal(s.stream_id, room.id);
    assert.equal(s.status, 'live');
    assert.equal(s.viewers_count, 2);
    assert.equal(s.peak_viewers, 2);
    assert.equal(s.comments_count, 2);
    assert.equal(s.ended_at, null);
    assertNear(s.started_at, room.streamer.hello.stream.started_at, 0.01, 'started_at');
    assert.ok(s.duration >= 0 && s.duration < 60, `duration ${s.duration}`);
    assert.ok(s.average_viewers >= 0 && s.average_viewers <= 2, `average_viewers ${s.average_viewers}`);
    assert.ok(Array.isArray(s.series) && s.series.length <= 300);
    for (const p of s.series) {
      assert.deepEqual(Object.keys(p).sort(), ['at', 'viewers']);
      assert.ok(p.viewers >= 0 && p.viewers <= 2);
    }
    assert.equal((await api(server, `/api/live/${room.id}/end/`, { method: 'POST', token: room.streamerAccount.token })).status, 200);
    const after1 = (await api(server, `/api/live/${room.id}/stats/`)).body;
    assert.equal(after1.status, 'ended');
    assertNear(after1.duration, after1.ended_at - after1.started_at, 1, 'duration of an ended stream');
    await sleep(1100);
    const after2 = (await api(server, `/api/live/${room.id}/stats/`)).body;
    assert.equal(after2.duration, after1.duration, 'an ended stream no longer accrues duration');
    assertHttpError(await api(server, '/api/live/987654321/stats/'), 404, 'not_found');
    await room.closeAll();
  });

  test('viewers: 200 for the streamer and moderators, 403 for viewers, VIPs and guests', async () => {
    const room = await setupRoom(server, { moderators: 1, vips: 1, viewers: 1 });
    const second = await room.join(room.viewers[0].account);  // the same viewer's second tab
    await room.streamer.next('viewers_update', { where: (m) => m.viewers_count === 3 });
    for (const token of [room.streamerAccount.token, room.mods[0].account.token]) {
      const res = await api(server, `/api/live/${room.id}/viewers/`, { token });
      assert.equal(res.status, 200, res.text);
      assert.equal(res.body.viewers_count, 3);
      const byName = Object.fromEntries(res.body.viewers.map((v) => [v.username, v]));
      const viewer = byName[usernameOf(room.viewers[0])];
      assert.deepEqual(viewer, { user_id: room.viewers[0].account.user.id, username: usernameOf(room.viewers[0]), role: 'viewer', connections: 2 });
      assert.equal(byName[usernameOf(room.mods[0])]?.role, 'moderator');
      assert.equal(byName[usernameOf(room.vips[0])]?.role, 'vip');
      assert.equal(byName[usernameOf(room.streamer)], undefined, 'the streamer is not a viewer');
    }
    for (const token of [room.viewers[0].account.token, room.vips[0].account.token])
      assertHttpError(await api(server, `/api/live/${room.id}/viewers/`, { token }), 403, 'forbidden');
    const guest = await api(server, `/api/live/${room.id}/viewers/`);
    assert.ok([401, 403].includes(guest.status), `guest: ${guest.status} ${guest.text}`);
    await second.close();
    await room.closeAll();
  });

  test('roles: the streamer adds and removes moderators and VIPs; others 403; unknown user 404; self 400', async () => {
    const streamer = await register(server, uniqueName('rstreamer'));
    const stream = await createStream(server, streamer.token);
    const mod = await register(server, uniqueName('rmod'));
    const vip = await register(server, uniqueName('rvip'));
    const base = `/api/live/${stream.id}`;
    assert.deepEqual((await api(server, `${base}/roles/`)).body, { moderators: [], vips: [] });
    const added = await grantRole(server, stream.id, streamer.token, 'moderators', mod.user.username);
    assert.deepEqual(added.moderators.map((u) => u.id), [mod.user.id]);
    assertUser(added.moderators[0], mod.user.username);
    const withVip = await grantRole(server, stream.id, streamer.token, 'vips', vip.user.username);
    assert.deepEqual(withVip.vips.map((u) => u.username), [vip.user.username]);
    assert.deepEqual(await getRoles(server, stream.id), { moderators: [mod.user.username], vips: [vip.user.username] });

    for (const token of [mod.token, vip.token]) {
      assertHttpError(await api(server, `${base}/moderators/`, { method: 'POST', token, body: { username: vip.user.username } }), 403, 'forbidden');
      assertHttpError(await api(server, `${base}/vips/${vip.user.username}/`, { method: 'DELETE', token }), 403, 'forbidden');
    }
    assertHttpError(await api(server, `${base}/moderators/`, { method: 'POST', body: { username: vip.user.username } }), 401, 'unauthenticated');
    assertHttpError(await api(server, `${base}/moderators/`, { method: 'POST', token: streamer.token, body: { username: uniqueName('ghost') } }), 404, 'not_found');
    assertHttpError(await api(server, `${base}/vips/`, { method: 'POST', token: streamer.token, body: { username: uniqueName('ghost') } }), 404, 'not_found');
    assertHttpError(await api(server, `${base}/moderators/`, { method: 'POST', token: streamer.token, body: { username: streamer.user.username } }), 400, 'bad_input');
    assertHttpError(await api(server, `${base}/moderators/`, { method: 'POST', token: streamer.token, body: {} }), 400, 'bad_input', 'username');
    assert.deepEqual(await getRoles(server, stream.id), { moderators: [mod.user.username], vips: [vip.user.username] });

    const removedMod = await api(server, `${base}/moderators/${mod.user.username}/`, { method: 'DELETE', token: streamer.token });
    assert.equal(removedMod.status, 200, removedMod.text);
    assert.deepEqual(removedMod.body.moderators, []);
    const removedVip = await api(server, `${base}/vips/${vip.user.username}`, { method: 'DELETE', token: streamer.token });
    assert.equal(removedVip.status, 200, removedVip.text);
    assert.deepEqual(await getRoles(server, stream.id), { moderators: [], vips: [] });
    assertHttpError(await api(server, '/api/live/987654321/roles/'), 404, 'not_found');
  });
});

describe('WebRTC configuration', () => {
  test('without STUN/TURN the ICE server list is empty', async () => {
    const res = await api(server, '/api/rtc/config');
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.body.iceServers, []);
    assert.equal(typeof res.body.ttl, 'number');
  });

  test('TURN credentials follow the coturn shared-secret scheme', async () => {
    const turnServer = await startRedred({ args: ['--stun-url', 'stun:127.0.0.1:3478', '--turn-url', 'turn:127.0.0.1:3478',
      '--turn-secret', 's3cret', '--turn-ttl', '600'] });
    try {
      const me = await register(turnServer, uniqueName('turn'));
      for (const [token, names] of [[undefined, ['guest']], [me.token, [me.user.username, String(me.user.id)]]]) {
        const res = await api(turnServer, '/api/rtc/config', { token });
        assert.equal(res.status, 200, res.text);
        assert.equal(res.body.ttl, 600);
        const urlsOf = (s) => [s.urls].flat();
        const stun = res.body.iceServers.find((s) => urlsOf(s).includes('stun:127.0.0.1:3478'));
        assert.ok(stun, JSON.stringify(res.body));
        const turn = res.body.iceServers.find((s) => urlsOf(s).includes('turn:127.0.0.1:3478'));
        assert.ok(turn, JSON.stringify(res.body));
        const m = /^(\d+):(.+)$/.exec(turn.username);
        assert.ok(m, `username ${turn.username}`);
        assertNear(Number(m[1]), nowSeconds() + 600, 5, 'TURN expiry');
        assert.ok(names.includes(m[2]), `TURN name ${m[2]}, expected one of ${names}`);
        assert.equal(turn.credential, createHmac('sha1', 's3cret').update(turn.username).digest('base64'));
        assert.equal(JSON.stringify(res.body).includes('s3cret'), false, 'the secret never leaves the server');
      }
    } finally {
      await turnServer.stop();
    }
  });
});

describe('bad input', () => {
  test('malformed JSON, non-object bodies and wrong types are 400; the server stays healthy', async () => {
    const { token } = await register(server, uniqueName('bad'));
    for (const body of ['{"username": "abc", ', 'not json', '[]', '"a string"', '42', 'null', ''])
      assertHttpError(await api(server, '/api/auth/register/', { method: 'POST', body }), 400, 'bad_input');
    for (const body of ['{"title": ', '[1,2]', '{"title": ["x"]}', '{"title": {"a": 1}}'])
      assertHttpError(await api(server, '/api/live/create/', { method: 'POST', token, body }), 400, 'bad_input');
    await assertHealthy(server);
  });

  test('a body over the limit is 413 too_large', async () => {
    const huge = JSON.stringify({ username: 'x', password: 'p'.repeat(2 * 1024 * 1024) });
    const res = await api(server, '/api/auth/register/', { method: 'POST', body: huge }).catch((e) => ({ status: 'reset', text: String(e) }));
    assert.equal(res.status, 413, `${res.status} ${res.text?.slice(0, 200)}`);
    assert.equal(res.body?.error, 'too_large');
    await assertHealthy(server);
  });

  test('ids that are not numbers are 404 or 400, never 500; unknown methods 405', async () => {
    const { token } = await register(server, uniqueName('ids'));
    for (const id of ['abc', '-1', '0', '1.5', '1e3', '99999999999999999999999', '%00', '..']) {
      for (const [method, suffix] of [['GET', '/'], ['GET', '/comments/'], ['GET', '/stats/'], ['POST', '/end/']]) {
        const res = await api(server, `/api/live/${id}${suffix}`, { method, token });
        assert.ok([400, 404].includes(res.status), `${method} /api/live/${id}${suffix}: ${res.status} ${res.text}`);
        assert.ok(['bad_input', 'not_found'].includes(res.body?.error), res.text);
      }
    }
    const getCreate = await api(server, '/api/live/create/', { method: 'GET' });
    assert.ok([404, 405].includes(getCreate.status), `GET /api/live/create/: ${getCreate.status}`);
    assertHttpError(await api(server, '/api/auth/login/', { method: 'PUT', body: {} }), 405, 'method_not_allowed');
    await assertHealthy(server);
  });
});

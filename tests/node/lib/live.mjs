// Helpers for the live-platform tests (docs/API.md, docs/PROTOCOL.md): accounts, streams and a WebSocket
// client for /ws/live/<id>/ that keeps every message and lets a test wait, with a bound, for the next one
// of a type. Every wait here is bounded; a timeout names what was awaited and what did arrive.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { spawn } from 'node:child_process';
import WebSocket from 'ws';
import { json, sleep, redredBin } from './redred.mjs';

export const PASSWORD = 'correct horse battery staple';
export const DEFAULT_WAIT_MS = 5000;
// How long a test listens before concluding that a message was NOT delivered.
export const QUIET_MS = 400;

export const nowSeconds = () => Date.now() / 1000;

// A username unique across tests: `prefix_` + 8 hex digits (prefix up to 20 characters).
export function uniqueName(prefix = 'u') {
  return `${prefix.slice(0, 20)}_${randomBytes(4).toString('hex')}`;
}

// Asserts a unix-seconds time is within `slackS` of `expected` (default: now).
export function assertNear(actual, expected = nowSeconds(), slackS = 5, what = 'time') {
  assert.equal(typeof actual, 'number', `${what} should be a number, got ${JSON.stringify(actual)}`);
  assert.ok(Math.abs(actual - expected) <= slackS, `${what} ${actual} is not within ${slackS}s of ${expected}`);
}

// ---------------------------------------------------------------------------------------------------------
// HTTP

// A JSON request to the server; `token` becomes `Authorization: Bearer`, `cookie` a `redred_session` cookie.
export async function api(server, path, { method = 'GET', body, token, cookie, headers = {} } = {}) {
  const h = { ...headers };
  if (token) h.authorization = `Bearer ${token}`;
  if (cookie) h.cookie = `redred_session=${cookie}`;
  return json(server.url + path, { method, body, headers: h });
}

// The Set-Cookie header of `res` for the session cookie: { value, attributes: {lowercased name: value|true} }.
export function sessionSetCookie(res) {
  const line = res.headers.getSetCookie().find((c) => c.trim().startsWith('redred_session='));
  if (!line) return undefined;
  const [pair, ...attrs] = line.split(';').map((s) => s.trim());
  const attributes = {};
  for (const a of attrs) {
    const eq = a.indexOf('=');
    if (eq < 0) attributes[a.toLowerCase()] = true;
    else attributes[a.slice(0, eq).toLowerCase()] = a.slice(eq + 1);
  }
  return { value: pair.slice('redred_session='.length), attributes, line };
}

function account(res, expectedStatus, what) {
  assert.equal(res.status, expectedStatus, `${what}: ${res.status} ${res.text}`);
  return { token: res.body.token, user: res.body.user, cookie: sessionSetCookie(res)?.value, res };
}

// Signs up; asserts 201. Returns { token, user, cookie, res }.
export async function register(server, username = uniqueName(), password = PASSWORD) {
  const res = await api(server, '/api/auth/register/', { method: 'POST', body: { username, password } });
  return account(res, 201, `register ${username}`);
}

// Logs in; asserts 200. Returns { token, user, cookie, res }.
export async function login(server, username, password = PASSWORD) {
  const res = await api(server, '/api/auth/login/', { method: 'POST', body: { username, password } });
  return account(res, 200, `login ${username}`);
}

// Creates a stream as `token`; asserts 201 and returns the stream object.
export async function createStream(server, token, { title = `Stream ${randomBytes(3).toString('hex')}`, description = '' } = {}) {
  const res = await api(server, '/api/live/create/', { method: 'POST', token, body: { title, description } });
  assert.equal(res.status, 201, `create stream: ${res.status} ${res.text}`);
  return res.body.stream;
}

export async function getStream(server, id) {
  const res = await api(server, `/api/live/${id}/`);
  assert.equal(res.status, 200, `get stream ${id}: ${res.status} ${res.text}`);
  return res.body.stream;
}

export async function getComments(server, id, query = 'limit=100') {
  const res = await api(server, `/api/live/${id}/comments/?${query}`);
  assert.equal(res.status, 200, `comments of ${id}: ${res.status} ${res.text}`);
  return res.body;
}

export async function getRoles(server, id) {
  const res = await api(server, `/api/live/${id}/roles/`);
  assert.equal(res.status, 200, `roles of ${id}: ${res.status} ${res.text}`);
  return { moderators: res.body.moderators.map((u) => u.username), vips: res.body.vips.map((u) => u.username) };
}

// Grants a role over REST as the streamer: kind is 'moderators' or 'vips'. Asserts 200.
export async function grantRole(server, streamId, streamerToken, kind, username) {
  const res = await api(server, `/api/live/${streamId}/${kind}/`, { method: 'POST', token: streamerToken, body: { username } });
  assert.equal(res.status, 200, `grant ${kind} ${username}: ${res.status} ${res.text}`);
  return res.body;
}

// Asserts an error answer: status, `error` code and (if given) `field`.
export function assertHttpError(res, status, code, field) {
  assert.equal(res.status, status, `expected ${status} ${code}, got ${res.status} ${res.text}`);
  assert.equal(res.body?.error, code, res.text);
  assert.equal(typeof res.body.message, 'string', res.text);
  if (field !== undefined) assert.equal(res.body.field, field, res.text);
}

export async function assertHealthy(server) {
  const res = await json(server.url + '/healthz');
  assert.equal(res.status, 200, `healthz: ${res.status} ${res.text}`);
}

// ---------------------------------------------------------------------------------------------------------
// WebSocket

// One WebSocket to /ws/live/<id>/. Every received message is kept in `messages` (a server frame holding a
// JSON array counts as its messages, in order). next() hands out each message at most once.
export class LiveClient {
  constructor(ws, label) {
    this.ws = ws;
    this.label = label;
    this.messages = [];
    this.consumed = new Set();
    this.rawFrames = [];
    this.waiters = new Set();
    this.closeInfo = undefined;
    this.closed = new Promise((resolve) => {
      ws.on('close', (code, reason) => {
        this.closeInfo = { code, reason: reason.toString() };
        for (const w of this.waiters) w.fail(new Error(`${this.label}: socket closed (${code}) while waiting for ${w.what}; got ${this.summary()}`));
        resolve(this.closeInfo);
      });
    });
    ws.on('message', (data, isBinary) => this.receive(data, isBinary));
  }

  receive(data, isBinary) {
    this.rawFrames.push({ data, isBinary });
    let parsed;
    try { parsed = JSON.parse(data.toString()); } catch { parsed = { type: '__unparsable__', raw: data.toString() }; }
    for (const m of Array.isArray(parsed) ? parsed : [parsed]) this.messages.push(m);
    for (const w of this.waiters) w.check();
  }

  summary() {
    return JSON.stringify(this.messages.map((m) => m.type)).slice(0, 2000);
  }

  // `type` null matches any type.
  find(type, where = () => true) {
    return this.messages.findIndex((m, i) => !this.consumed.has(i) && (type === null || m.type === type) && where(m));
  }

  // All messages (consumed or not) of `type` matching `where`.
  all(type, where = () => true) {
    return this.messages.filter((m) => m.type === type && where(m));
  }

  // The next not-yet-consumed message of `type` matching `where`; rejects after `timeoutMs`.
  next(type, { timeoutMs = DEFAULT_WAIT_MS, where = () => true } = {}) {
    const what = type === null ? 'a message' : `'${type}'`;
    return new Promise((resolve, reject) => {
      const waiter = {
        what,
        check: () => {
          const i = this.find(type, where);
          if (i < 0) return false;
          this.consumed.add(i);
          waiter.done();
          resolve(this.messages[i]);
          return true;
        },
        fail: (err) => { waiter.done(); reject(err); },
        done: () => { clearTimeout(waiter.timer); this.waiters.delete(waiter); },
      };
      if (waiter.check()) return;
      if (this.closeInfo) { reject(new Error(`${this.label}: socket already closed (${this.closeInfo.code}); no ${what} in ${this.summary()}`)); return; }
      waiter.timer = setTimeout(() => waiter.fail(new Error(`${this.label}: no ${what} within ${timeoutMs} ms; got ${this.summary()}`)), timeoutMs);
      this.waiters.add(waiter);
    });
  }

  // Asserts that no message of `type` matching `where` arrived, after listening `ms` more.
  async expectNone(type, { where = () => true, ms = QUIET_MS, what = type } = {}) {
    await sleep(ms);
    const got = this.all(type, where);
    assert.equal(got.length, 0, `${this.label} should not have received ${what}: ${JSON.stringify(got).slice(0, 500)}`);
  }

  send(obj) { this.ws.send(JSON.stringify(obj)); }
  sendRaw(data, options = {}) { this.ws.send(data, options); }

  // Sends `obj` with a fresh ref and waits for the `error` carrying that ref.
  async expectError(obj, code, { field, timeoutMs } = {}) {
    const ref = `ref-${randomBytes(4).toString('hex')}`;
    this.send({ ...obj, ref });
    const err = await this.next('error', { where: (m) => m.ref === ref, timeoutMs });
    const codes = Array.isArray(code) ? code : [code];
    assert.ok(codes.includes(err.error), `${this.label}: ${JSON.stringify(obj)} answered ${JSON.stringify(err)}, expected error ${codes.join(' or ')}`);
    assert.equal(typeof err.message, 'string', JSON.stringify(err));
    if (field !== undefined) assert.equal(err.field, field, JSON.stringify(err));
    return err;
  }

  // Sends `obj` with a fresh ref; resolves with whatever answers it first (any message carrying the ref).
  async request(obj, { timeoutMs } = {}) {
    const ref = `q-${randomBytes(4).toString('hex')}`;
    this.send({ ...obj, ref });
    return this.next(null, { where: (m) => m.ref === ref, timeoutMs });
  }

  // Sends a comment and waits for its acknowledgement (the sender's own `comment` with the ref).
  async comment(content, { timeoutMs } = {}) {
    const ref = `c-${randomBytes(4).toString('hex')}`;
    this.send({ type: 'comment', content, ref });
    return this.next('comment', { where: (m) => m.ref === ref, timeoutMs });
  }

  // Resolves with { code, reason } once the server closes the socket; rejects after timeoutMs.
  async waitClosed(timeoutMs = DEFAULT_WAIT_MS) {
    let timer;
    const timeout = new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`${this.label}: not closed within ${timeoutMs} ms; got ${this.summary()}`)), timeoutMs); });
    try { return await Promise.race([this.closed, timeout]); } finally { clearTimeout(timer); }
  }

  get isOpen() { return this.ws.readyState === WebSocket.OPEN; }

  async close() {
    if (this.closeInfo) return this.closeInfo;
    this.ws.close();
    try { return await this.waitClosed(3000); } catch { this.ws.terminate(); return this.closed; }
  }
}

export function wsUrl(server, streamId, { token, slash = true } = {}) {
  const query = token ? `?token=${encodeURIComponent(token)}` : '';
  return `ws://127.0.0.1:${server.port}/ws/live/${streamId}${slash ? '/' : ''}${query}`;
}

// Opens a WebSocket to the stream; resolves with a LiveClient once open (before any message). Rejects with
// an error carrying `status` and `body` when the server refuses the upgrade with plain HTTP.
// `autoPong: false` makes a client that never answers the server's pings (a vanished peer).
export function connectWs(server, streamId, { token, cookie, headers = {}, slash = true, label, timeoutMs = DEFAULT_WAIT_MS, autoPong = true } = {}) {
  const h = { ...headers };
  if (cookie) h.cookie = `redred_session=${cookie}`;
  const ws = new WebSocket(wsUrl(server, streamId, { token, slash }), { headers: h, handshakeTimeout: timeoutMs, autoPong });
  const client = new LiveClient(ws, label ?? `ws(${streamId})`);
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(client));
    ws.once('unexpected-response', (req, res) => {
      let body = '';
      res.on('data', (c) => { body += c; });
      res.on('end', () => { req.destroy(); reject(Object.assign(new Error(`upgrade refused: ${res.statusCode} ${body}`), { status: res.statusCode, body })); });
    });
    ws.once('error', (e) => reject(e));
  });
}

// Connects and waits for `connection_established`; the client gets `hello` (that message) and `cid`.
export async function join(server, streamId, { account: acct, guest = false, label, ...options } = {}) {
  const token = guest ? undefined : acct?.token;
  const client = await connectWs(server, streamId, { token, label: label ?? acct?.user?.username ?? 'guest', ...options });
  client.account = acct;
  client.hello = await client.next('connection_established');
  client.cid = client.hello.connection_id;
  return client;
}

// A stream with a cast, all connected: the streamer first, then moderators and VIPs (granted over REST
// before they join), viewers and guests. Each member is a LiveClient with `.account`, `.username`.
export async function setupRoom(server, { moderators = 0, vips = 0, viewers = 0, guests = 0, connectStreamer = true } = {}) {
  const streamerAccount = await register(server, uniqueName('streamer'));
  const stream = await createStream(server, streamerAccount.token);
  const room = { server, stream, id: stream.id, streamerAccount, mods: [], vips: [], viewers: [], guests: [], clients: [] };
  const track = (c) => { room.clients.push(c); return c; };
  room.join = async (acct, opts = {}) => track(await join(server, stream.id, { account: acct, ...opts }));
  room.addViewer = async (prefix = 'viewer') => room.join(await register(server, uniqueName(prefix)));
  room.addGuest = async () => track(await join(server, stream.id, { guest: true, label: 'guest' }));
  // Roles are granted before anyone connects, so no test sees the set-up's roles_update messages.
  // Sign-ups run in parallel (argon2id is slow on purpose); grants go one by one.
  const [modAccounts, vipAccounts, viewerAccounts] = await Promise.all([[moderators, 'mod'], [vips, 'vip'], [viewers, 'viewer']]
    .map(([n, prefix]) => Promise.all(Array.from({ length: n }, () => register(server, uniqueName(prefix))))));
  for (const acct of modAccounts) await grantRole(server, stream.id, streamerAccount.token, 'moderators', acct.user.username);
  for (const acct of vipAccounts) await grantRole(server, stream.id, streamerAccount.token, 'vips', acct.user.username);
  if (connectStreamer) room.streamer = track(await join(server, stream.id, { account: streamerAccount }));
  for (const acct of modAccounts) room.mods.push(await room.join(acct));
  for (const acct of vipAccounts) room.vips.push(await room.join(acct));
  for (const acct of viewerAccounts) room.viewers.push(await room.join(acct));
  for (let i = 0; i < guests; i++) room.guests.push(await room.addGuest());
  room.closeAll = async () => { await Promise.all(room.clients.map((c) => c.close())); };
  return room;
}

export const usernameOf = (client) => client.account?.user?.username ?? null;

// A comment reduced to its documented fields (API.md), to compare REST, acknowledgements and history.
export const COMMENT_FIELDS = ['id', 'username', 'role', 'highlighted', 'content', 'created_at'];
export const commentFields = (c) => Object.fromEntries(COMMENT_FIELDS.map((k) => [k, c[k]]));

// ---------------------------------------------------------------------------------------------------------
// The CLI

// Runs the redred binary with `args`; resolves with { code, signal, stdout, stderr } (killed after timeoutMs).
export function runRedred(args, { timeoutMs = 20000, env = {} } = {}) {
  return new Promise((resolve, reject) => {
    const proc = spawn(redredBin, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    proc.stdout.on('data', (c) => { stdout += c; });
    proc.stderr.on('data', (c) => { stderr += c; });
    const timer = setTimeout(() => proc.kill('SIGKILL'), timeoutMs);
    proc.on('error', reject);
    proc.on('exit', (code, signal) => { clearTimeout(timer); resolve({ code, signal, stdout, stderr }); });
  });
}

// Starts a real Janus (Debian's `janus` 1.1.2) for tests: a private config folder that loads only the
// VideoRoom and NoSIP plugins and the WebSockets transport (on 127.0.0.1, a free port), ICE only on the
// test namespace's veth interface ($REDRED_TEST_MEDIA_IFACE, see scripts/test.sh). Janus refuses loopback for
// ICE, and libnice pins its sockets to that interface (IP_UNICAST_IF): Janus can only reach peers on its own
// address, $REDRED_TEST_MEDIA_IP (Chromium has a host candidate there; coturn.mjs relays from there).
// Also a small Janus API client over WebSocket for tests that check Janus's own state.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, openSync, closeSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import WebSocket from 'ws';
import { freePort, sleep, stopProcess, tempDir, testOutputDir, waitFor } from './redred.mjs';

export const janusBin = process.env.REDRED_JANUS ?? '/usr/bin/janus';
export const janusLibDir = process.env.REDRED_JANUS_LIB_DIR ?? '/usr/lib/x86_64-linux-gnu/janus';
export const JANUS_SUBPROTOCOL = 'janus-protocol';

const running = new Set(); // live Janus processes, killed when the test process exits
const instances = []; // every started instance, for keeping logs of failed runs
process.on('exit', (code) => {
  for (const p of running) { try { p.kill('SIGKILL'); } catch { /* gone */ } }
  // node --test sets a non-zero exit code when a test failed: then keep each Janus log in $REDRED_TEST_OUTPUT/janus/.
  const failed = (code ?? process.exitCode ?? 0) !== 0;
  for (const j of instances) {
    try {
      if (failed) copyFileSync(j.logFile, path.join(testOutputDir('janus'), `${j.name}.log`));
      rmSync(j.dir, { recursive: true, force: true });
    } catch { /* best effort at exit */ }
  }
});

const secret = () => randomBytes(18).toString('base64url');

// jcfg (libconfig) string literal.
const q = (s) => `"${String(s).replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;

// A random, small port range below the usual ephemeral range, so that parallel tests rarely collide
// (libnice and NoSIP retry another port in their range when one is taken).
function randomPortRange(size) {
  const slots = Math.floor((32000 - 20000) / size);
  const base = 20000 + Math.floor(Math.random() * slots) * size;
  return [base, base + size - 1];
}

function writeConfig(dir, o) {
  const folders = {};
  for (const [kind, libs] of [['plugins', ['libjanus_videoroom.so', 'libjanus_nosip.so']], ['transports', ['libjanus_websockets.so']],
    ['events', []], ['loggers', []]]) {
    folders[kind] = path.join(dir, kind);
    mkdirSync(folders[kind], { recursive: true });
    for (const lib of libs) {
      const target = path.join(janusLibDir, kind, lib);
      if (!existsSync(target)) throw new Error(`${target} not found: install Debian's janus (bash scripts/setup.sh)`);
      symlinkSync(target, path.join(folders[kind], lib));
    }
  }
  writeFileSync(path.join(dir, 'janus.jcfg'), `general: {
  configs_folder = ${q(dir)}
  plugins_folder = ${q(folders.plugins)}
  transports_folder = ${q(folders.transports)}
  events_folder = ${q(folders.events)}
  loggers_folder = ${q(folders.loggers)}
  debug_level = ${o.debugLevel}
  debug_timestamps = true
  interface = ${q(o.iface)}
  server_name = "redred-test-janus"
  api_secret = ${q(o.apiSecret)}
  hide_dependencies = true
}
certificates: {
}
media: {
  rtp_port_range = "${o.rtpPorts[0]}-${o.rtpPorts[1]}"
}
nat: {
  nice_debug = ${o.niceDebug ? 'true' : 'false'}
  ignore_mdns = true
  ice_enforce_list = ${q(o.iface)}
}
plugins: {
}
transports: {
}
loggers: {
}
events: {
  broadcast = false
}
`);
  writeFileSync(path.join(dir, 'janus.transport.websockets.jcfg'), `general: {
  json = "plain"
  ws = true
  ws_port = ${o.port}
  ws_ip = "127.0.0.1"
  wss = false
  ws_logging = "err,warn"
}
admin: {
  admin_ws = false
  admin_wss = false
}
`);
  writeFileSync(path.join(dir, 'janus.plugin.videoroom.jcfg'), `general: {
  admin_key = ${q(o.adminKey)}
  lock_rtp_forward = true
  events = false
}
`);
  writeFileSync(path.join(dir, 'janus.plugin.nosip.jcfg'), `general: {
  local_ip = "127.0.0.1"
  rtp_port_range = "${o.nosipPorts[0]}-${o.nosipPorts[1]}"
  events = false
}
`);
}

// Starts Janus. Options: debugLevel (0-7, default 4 or $REDRED_JANUS_DEBUG_LEVEL), niceDebug (libnice's
// ICE debug lines in the log), iface (default $REDRED_TEST_MEDIA_IFACE), port (default: a free one), name (for
// the kept log file), env, timeoutMs.
// Returns { wsUrl, port, apiSecret, adminKey, iface, pid, proc, dir, logFile, rtpPortRange, nosipPortRange, log(),
// stop(signal), restart({ downMs }) }.
export async function startJanus(opts = {}) {
  const iface = opts.iface ?? process.env.REDRED_TEST_MEDIA_IFACE;
  if (!iface) {
    throw new Error('REDRED_TEST_MEDIA_IFACE is not set: Janus refuses loopback for ICE, so tests need the veth pair that '
      + 'scripts/test.sh creates in its network namespace (run the suite with bash scripts/test.sh, as root)');
  }
  if (!existsSync(janusBin)) throw new Error(`${janusBin} not found: install Debian's janus (bash scripts/setup.sh)`);
  const dir = tempDir('redred-janus-');
  const rtpPorts = randomPortRange(200);
  const o = {
    iface,
    port: opts.port ?? await freePort(),
    debugLevel: opts.debugLevel ?? Number(process.env.REDRED_JANUS_DEBUG_LEVEL ?? 4),
    niceDebug: Boolean(opts.niceDebug),
    apiSecret: secret(),
    adminKey: secret(),
    rtpPorts: [rtpPorts[0], rtpPorts[0] + 99],
    nosipPorts: [rtpPorts[0] + 100, rtpPorts[1]],
  };
  writeConfig(dir, o);
  const logFile = path.join(dir, 'janus.log');
  const name = opts.name ?? `janus-${process.pid}-${instances.length + 1}`;
  const handle = {
    wsUrl: `ws://127.0.0.1:${o.port}`, port: o.port, apiSecret: o.apiSecret, adminKey: o.adminKey, iface, dir, logFile, name,
    rtpPortRange: o.rtpPorts, nosipPortRange: o.nosipPorts,
    log: () => { try { return readFileSync(logFile, 'utf8'); } catch { return ''; } },
  };
  instances.push(handle);

  const launch = async () => {
    const fd = openSync(logFile, 'a');
    const proc = spawn(janusBin, ['-F', dir, '-C', path.join(dir, 'janus.jcfg'), '--disable-colors'],
      { stdio: ['ignore', fd, fd], env: { ...process.env, ...(o.niceDebug ? { G_MESSAGES_DEBUG: 'libnice' } : {}), ...opts.env } });
    closeSync(fd);
    running.add(proc);
    proc.on('exit', () => running.delete(proc));
    handle.proc = proc;
    handle.pid = proc.pid;
    try {
      await waitFor(async () => {
        if (proc.exitCode !== null || proc.signalCode !== null) {
          throw Object.assign(new Error(`janus exited (${proc.exitCode ?? proc.signalCode})`), { fatal: true });
        }
        const info = await janusRequest(handle.wsUrl, o.apiSecret, { janus: 'info' }, { timeoutMs: 1000 });
        const plugins = Object.keys(info.plugins ?? {});
        if (!plugins.includes('janus.plugin.videoroom') || !plugins.includes('janus.plugin.nosip')) {
          throw Object.assign(new Error(`janus is missing plugins (has: ${plugins.join(', ')})`), { fatal: true });
        }
        return info;
      }, { timeoutMs: opts.timeoutMs ?? 20000, intervalMs: 100, what: `janus to answer on ${handle.wsUrl}` });
    } catch (e) {
      proc.kill('SIGKILL');
      throw new Error(`${e.message}\n--- janus log (tail):\n${handle.log().slice(-4000)}`);
    }
  };

  await launch();
  handle.stop = (signal = 'SIGTERM') => stopProcess(handle.proc, signal);
  // Kills Janus at once (SIGKILL) and starts it again with the same config and port: every session, handle,
  // room and forwarder is gone afterwards.
  handle.restart = async ({ downMs = 0 } = {}) => {
    await stopProcess(handle.proc, 'SIGKILL');
    if (downMs > 0) await sleep(downMs);
    await launch();
  };
  return handle;
}

// One Janus API request on its own WebSocket: adds `transaction` and `apisecret`, resolves with the
// first non-`ack` reply for that transaction (throws on `{"janus":"error"}`).
export async function janusRequest(wsUrl, apiSecret, body, { timeoutMs = 5000 } = {}) {
  const client = await JanusClient.connect(wsUrl, apiSecret, { timeoutMs });
  try { return await client.request(body, { timeoutMs }); } finally { client.close(); }
}

// A minimal Janus API client over one WebSocket. Every message sent and received is kept in `messages`
// ({ dir: 'out'|'in', t: ms since connect, msg }) for failure reports and protocol notes.
export class JanusClient {
  static connect(wsUrl, apiSecret, { timeoutMs = 5000 } = {}) {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(wsUrl, JANUS_SUBPROTOCOL);
      const timer = setTimeout(() => { ws.terminate(); reject(new Error(`no WebSocket to Janus at ${wsUrl} within ${timeoutMs} ms`)); }, timeoutMs);
      ws.once('open', () => { clearTimeout(timer); resolve(new JanusClient(ws, apiSecret)); });
      ws.once('error', (e) => { clearTimeout(timer); reject(e); });
    });
  }

  constructor(ws, apiSecret) {
    this.ws = ws;
    this.apiSecret = apiSecret;
    this.started = Date.now();
    this.messages = [];
    this.pending = new Map(); // transaction -> { resolve, reject, timer }
    this.listeners = new Set();
    this.closed = new Promise((resolve) => ws.once('close', (code, reason) => {
      this.closeInfo = { code, reason: reason.toString(), t: Date.now() - this.started };
      for (const p of this.pending.values()) { clearTimeout(p.timer); p.reject(new Error(`Janus WebSocket closed (${code})`)); }
      this.pending.clear();
      resolve(this.closeInfo);
    }));
    ws.on('error', () => {}); // reported through 'close'
    ws.on('message', (data) => {
      let msg;
      try { msg = JSON.parse(data.toString()); } catch { return; }
      this.messages.push({ dir: 'in', t: Date.now() - this.started, msg });
      const p = msg.transaction !== undefined ? this.pending.get(msg.transaction) : undefined;
      if (p && (msg.janus !== 'ack' || p.ackIsReply)) {
        this.pending.delete(msg.transaction);
        clearTimeout(p.timer);
        if (msg.janus === 'error') p.reject(Object.assign(new Error(`Janus error ${msg.error?.code}: ${msg.error?.reason}`), { janus: msg }));
        else p.resolve(msg);
      }
      for (const l of this.listeners) l(msg);
    });
  }

  send(body) {
    const msg = { ...body };
    if (msg.transaction === undefined) msg.transaction = randomBytes(6).toString('hex');
    if (this.apiSecret) msg.apisecret = this.apiSecret;
    this.messages.push({ dir: 'out', t: Date.now() - this.started, msg });
    this.ws.send(JSON.stringify(msg));
    return msg.transaction;
  }

  // Sends and resolves with the reply: the first non-ack message with the same transaction (for plugin
  // messages answered asynchronously that is the `event`); with { ack: true }, the `ack` itself.
  request(body, { timeoutMs = 10000, ack = false } = {}) {
    return new Promise((resolve, reject) => {
      const transaction = randomBytes(6).toString('hex');
      const timer = setTimeout(() => { this.pending.delete(transaction); reject(new Error(`no Janus reply to ${JSON.stringify(body).slice(0, 200)} within ${timeoutMs} ms`)); }, timeoutMs);
      this.pending.set(transaction, { resolve, reject, timer, ackIsReply: ack });
      this.send({ ...body, transaction });
    });
  }

  // Resolves with the first incoming message for which predicate(msg) is truthy (messages already received count).
  waitFor(predicate, { timeoutMs = 10000, what = 'a Janus message', since = 0 } = {}) {
    const seen = this.messages.slice(since).find((m) => m.dir === 'in' && predicate(m.msg));
    if (seen) return Promise.resolve(seen.msg);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => { this.listeners.delete(l); reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)); }, timeoutMs);
      const l = (msg) => { if (predicate(msg)) { clearTimeout(timer); this.listeners.delete(l); resolve(msg); } };
      this.listeners.add(l);
    });
  }

  async createSession() {
    const r = await this.request({ janus: 'create' });
    this.sessionId = r.data.id;
    return this.sessionId;
  }

  async attach(plugin) {
    const r = await this.request({ janus: 'attach', session_id: this.sessionId, plugin });
    return r.data.id;
  }

  // A plugin message; resolves with the synchronous `success` or the asynchronous `event` reply.
  message(handleId, body, { jsep, timeoutMs = 10000 } = {}) {
    const msg = { janus: 'message', session_id: this.sessionId, handle_id: handleId, body };
    if (jsep) msg.jsep = jsep;
    return this.request(msg, { timeoutMs });
  }

  trickle(handleId, candidate) {
    const msg = { janus: 'trickle', session_id: this.sessionId, handle_id: handleId };
    if (candidate) msg.candidate = candidate; else msg.candidate = { completed: true };
    this.send(msg);
  }

  keepalive() { this.send({ janus: 'keepalive', session_id: this.sessionId }); }

  close() { try { this.ws.close(); } catch { /* already closed */ } }
}

// Starts a real TURN server (Debian's coturn `turnserver`) for tests, with coturn's shared-secret scheme
// (`use-auth-secret`, the scheme redred's --turn-secret speaks). It listens on 127.0.0.1 (UDP and TCP) and
// relays from the test namespace's veth address $REDRED_TEST_MEDIA_IP (127.0.0.1 without it). That one
// address reaches both browsers on loopback and Janus: Janus (libnice) pins its ICE sockets to the veth
// interface (IP_UNICAST_IF), so it can only answer peers on its own address; a relay on 127.0.0.1 or on the
// other veth end never hears back from Janus. See ../shared/TESTING-WEBRTC.md.
import { spawn } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import { copyFileSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { freePort, tempDir, testOutputDir, waitFor } from './redred.mjs';

export const turnserverBin = process.env.REDRED_TURNSERVER ?? '/usr/bin/turnserver';

const running = new Set();
const instances = [];
process.on('exit', (code) => {
  for (const p of running) { try { p.kill('SIGKILL'); } catch { /* gone */ } }
  const failed = (code ?? process.exitCode ?? 0) !== 0;
  for (const c of instances) {
    try {
      if (failed) copyFileSync(c.logFile, path.join(testOutputDir('coturn'), `${c.name}.log`));
      rmSync(c.dir, { recursive: true, force: true });
    } catch { /* best effort at exit */ }
  }
});

// coturn's use-auth-secret credentials: username "<expiry unix seconds>:<name>",
// credential base64(HMAC-SHA1(secret, username)).
export function turnCredentials(secret, name = 'test', ttlSeconds = 3600) {
  const username = `${Math.floor(Date.now() / 1000) + ttlSeconds}:${name}`;
  const credential = createHmac('sha1', secret).update(username).digest('base64');
  return { username, credential };
}

// Resolves true once a STUN Binding request to 127.0.0.1:port gets a Binding success response.
function stunBindingAnswers(port, timeoutMs = 300) {
  return new Promise((resolve) => {
    const socket = dgram.createSocket('udp4');
    const request = Buffer.alloc(20);
    request.writeUInt16BE(0x0001, 0); // Binding request, no attributes
    request.writeUInt32BE(0x2112a442, 4); // magic cookie
    randomBytes(12).copy(request, 8);
    const done = (ok) => { clearTimeout(timer); socket.close(); resolve(ok); };
    const timer = setTimeout(() => done(false), timeoutMs);
    socket.on('message', (msg) => done(msg.length >= 20 && msg.readUInt16BE(0) === 0x0101 && msg.subarray(8, 20).equals(request.subarray(8, 20))));
    socket.on('error', () => done(false));
    socket.send(request, port, '127.0.0.1');
  });
}

// Starts turnserver. Options: secret (default random), realm (default 'redred.test'), port (default free),
// relayIps (default [$REDRED_TEST_MEDIA_IP], else ['127.0.0.1']), verbose (log every allocation and permission),
// extraConfig (more turnserver.conf lines). Returns { url, urls, port, secret, realm, credentials(name, ttl),
// iceServer(name, ttl), pid, dir, logFile, log(), stop() }.
export async function startCoturn({ secret = randomBytes(18).toString('base64url'), realm = 'redred.test', port, relayIps = [process.env.REDRED_TEST_MEDIA_IP ?? '127.0.0.1'], name, verbose = false, extraConfig = [] } = {}) {
  if (!existsSync(turnserverBin)) throw new Error(`${turnserverBin} not found: install Debian's coturn (bash scripts/setup.sh)`);
  const chosen = port ?? await freePort();
  const dir = tempDir('redred-coturn-');
  const minPort = 10000 + Math.floor(Math.random() * 99) * 100; // 100 relay ports below the ephemeral range
  const logFile = path.join(dir, 'turnserver.log');
  const conf = path.join(dir, 'turnserver.conf');
  writeFileSync(conf, [
    'listening-ip=127.0.0.1',
    `listening-port=${chosen}`,
    ...relayIps.map((ip) => `relay-ip=${ip}`),
    `min-port=${minPort}`,
    `max-port=${minPort + 99}`,
    'use-auth-secret',
    `static-auth-secret=${secret}`,
    `realm=${realm}`,
    'fingerprint',
    'no-tls',
    'no-dtls',
    'no-cli',
    'no-rfc5780', // no second (alternate) listening port
    'allow-loopback-peers', // peers on 127.0.0.1: without it, 403 Forbidden IP
    'no-software-attribute',
    `userdb=${path.join(dir, 'turndb')}`,
    `pidfile=${path.join(dir, 'turnserver.pid')}`,
    `log-file=${logFile}`,
    'simple-log',
    ...(verbose ? ['verbose'] : []),
    ...extraConfig,
    'no-stdout-log',
    '',
  ].join('\n'));
  const proc = spawn(turnserverBin, ['-c', conf], { stdio: ['ignore', 'ignore', 'ignore'] });
  running.add(proc);
  proc.on('exit', () => running.delete(proc));
  const handle = {
    port: chosen, secret, realm, dir, logFile, pid: proc.pid, proc, name: name ?? `coturn-${process.pid}-${instances.length + 1}`,
    url: `turn:127.0.0.1:${chosen}?transport=udp`,
    urls: [`turn:127.0.0.1:${chosen}?transport=udp`, `turn:127.0.0.1:${chosen}?transport=tcp`],
    log: () => { try { return readFileSync(logFile, 'utf8'); } catch { return ''; } },
    credentials: (user = 'test', ttlSeconds = 3600) => turnCredentials(secret, user, ttlSeconds),
  };
  // An RTCIceServer for this server, with fresh credentials.
  handle.iceServer = (user, ttlSeconds) => ({ urls: handle.urls, ...handle.credentials(user, ttlSeconds) });
  instances.push(handle);
  try {
    await waitFor(async () => {
      if (proc.exitCode !== null || proc.signalCode !== null) {
        throw Object.assign(new Error(`turnserver exited (${proc.exitCode ?? proc.signalCode})`), { fatal: true });
      }
      return stunBindingAnswers(chosen);
    }, { timeoutMs: 10000, intervalMs: 100, what: `turnserver to answer STUN on 127.0.0.1:${chosen}` });
  } catch (e) {
    proc.kill('SIGKILL');
    throw new Error(`${e.message}\n--- turnserver log (tail):\n${handle.log().slice(-3000)}`);
  }
  handle.stop = async () => {
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise((resolve) => proc.once('exit', resolve));
    proc.kill('SIGTERM');
    const timer = setTimeout(() => proc.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  };
  return handle;
}

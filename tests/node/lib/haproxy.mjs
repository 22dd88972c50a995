// Runs Debian's HAProxy for tests with the configuration redred ships, deploy/haproxy.cfg: the file is read
// and only its addresses change (the `bind` lines to free loopback ports, the `server` lines to the test's
// redred processes), so what the tests exercise is what operators install. Started in the foreground
// (`haproxy -f <cfg> -db`) and stopped by the caller (killed when the test process exits).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { freePort, sourceDir, stopProcess, tempDir, waitFor } from './redred.mjs';

export const haproxyBin = process.env.REDRED_HAPROXY ?? '/usr/sbin/haproxy';
export const shippedConfig = path.join(sourceDir, 'deploy', 'haproxy.cfg');

const running = new Set();
process.on('exit', () => { for (const p of running) { try { p.kill('SIGKILL'); } catch { /* gone */ } } });

// The shipped file with its addresses replaced. `ports` are the redred processes' ports, in the order of the
// shipped `server` lines' ports (127.0.0.1:8081 → ports[0], :8082 → ports[1], ...); server lines beyond
// `ports.length` are left out. Throws if the file no longer has the shape this relies on, so a change to it
// cannot silently stop being tested. As non-root, chroot/user/group are left out (they need root).
export function configFor(text, { ports, listenPort, statsPort }) {
  const shipped = [...text.matchAll(/^\s*server\s+\S+\s+127\.0\.0\.1:(\d+)\b/gm)].map((m) => Number(m[1]));
  const order = [...new Set(shipped)].sort((a, b) => a - b);
  if (order.length < ports.length) throw new Error(`deploy/haproxy.cfg has ${order.length} server ports, the test needs ${ports.length}`);
  let binds = 0;
  const lines = text.split('\n').flatMap((line) => {
    const bind = line.match(/^(\s*)bind\s+(\S+)(.*)$/);
    if (bind) {
      binds += 1;
      const port = bind[2] === '127.0.0.1:8404' ? statsPort : bind[2] === ':80' ? listenPort : null;
      if (port === null) throw new Error(`unexpected bind line in deploy/haproxy.cfg: ${line.trim()}`);
      return [`${bind[1]}bind 127.0.0.1:${port}${bind[3]}`];
    }
    const server = line.match(/^(\s*)server\s+(\S+)\s+127\.0\.0\.1:(\d+)(.*)$/);
    if (server) {
      const index = order.indexOf(Number(server[3]));
      return index < ports.length ? [`${server[1]}server ${server[2]} 127.0.0.1:${ports[index]}${server[4]}`] : [];
    }
    if (process.getuid() !== 0 && /^\s*(chroot|user|group)\s/.test(line)) return [];
    return [line];
  });
  if (binds !== 2) throw new Error(`deploy/haproxy.cfg: expected the site's bind (:80) and the stats bind (127.0.0.1:8404), found ${binds}`);
  return lines.join('\n');
}

// HAProxy's view of its servers from the stats page: [{ backend, server, status }] ('UP', 'DOWN', 'UP 1/2', ...).
export async function serverStates(statsUrl) {
  const res = await fetch(`${statsUrl};csv`);
  const text = await res.text();
  const [header, ...rows] = text.trim().split('\n');
  const columns = header.replace(/^#\s*/, '').split(',');
  const at = (name) => columns.indexOf(name);
  return rows.map((row) => row.split(','))
    .filter((cells) => !['FRONTEND', 'BACKEND'].includes(cells[at('svname')]))
    .map((cells) => ({ backend: cells[at('pxname')], server: cells[at('svname')], status: cells[at('status')] }));
}

// Starts HAProxy with the shipped configuration in front of `ports`. Resolves once it accepts and sees every
// server of the `redred` backend UP. Returns { url, port, statsUrl, config, proc, log(), states(), stop() }.
export async function startHaproxy({ ports }) {
  if (!existsSync(haproxyBin)) throw new Error(`${haproxyBin} not found: install Debian's haproxy (bash scripts/setup.sh)`);
  const [listenPort, statsPort] = [await freePort(), await freePort()];
  const dir = tempDir('redred-haproxy-');
  const config = configFor(readFileSync(shippedConfig, 'utf8'), { ports, listenPort, statsPort });
  const file = path.join(dir, 'haproxy.cfg');
  writeFileSync(file, config);
  const check = spawnSync(haproxyBin, ['-c', '-f', file], { encoding: 'utf8' });
  if (check.status !== 0) throw new Error(`haproxy -c refused the configuration:\n${check.stdout}${check.stderr}\n${config}`);
  const proc = spawn(haproxyBin, ['-f', file, '-db'], { stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(proc);
  proc.on('exit', () => running.delete(proc));
  const output = [];
  proc.stdout.on('data', (c) => output.push(c.toString()));
  proc.stderr.on('data', (c) => output.push(c.toString()));
  const statsUrl = `http://127.0.0.1:${statsPort}/stats`;
  const handle = {
    port: listenPort, url: `http://127.0.0.1:${listenPort}`, statsUrl, config, proc,
    log: () => output.join(''),
    states: () => serverStates(statsUrl),
    stop: async () => { await stopProcess(proc, 'SIGTERM', 5000); rmSync(dir, { recursive: true, force: true }); },
  };
  try {
    await waitFor(async () => {
      if (proc.exitCode !== null) throw Object.assign(new Error(`haproxy exited with ${proc.exitCode}`), { fatal: true });
      const states = (await handle.states()).filter((s) => s.backend === 'redred');
      return states.length === ports.length && states.every((s) => s.status === 'UP');
    }, { timeoutMs: 10000, intervalMs: 100, what: 'haproxy to see every redred process UP' });
  } catch (e) {
    proc.kill('SIGKILL');
    throw new Error(`${e.message}\n--- haproxy output:\n${handle.log()}`);
  }
  return handle;
}

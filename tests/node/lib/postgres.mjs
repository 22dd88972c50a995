// A private PostgreSQL server for the Node tests (like tests/integration/postgres_server_fixture.cpp): `initdb`
// into a temp dir and `postgres` on a free loopback port, as the `postgres` user when the tests run as root
// (PostgreSQL refuses root). One per test file; a fresh database per test.
import { spawn, execFileSync } from 'node:child_process';
import { chownSync, chmodSync, existsSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { freePort, stopProcess, tempDir, waitFor } from './redred.mjs';

export const PG_ROLE = 'redred';
export const PG_PASSWORD = 'redred-test-secret';

function bindir() {
  if (process.env.REDRED_PG_BINDIR) return process.env.REDRED_PG_BINDIR;
  const versions = existsSync('/usr/lib/postgresql') ? readdirSync('/usr/lib/postgresql').map(Number).filter((v) => v > 0) : [];
  const found = versions.sort((a, b) => b - a).map((v) => `/usr/lib/postgresql/${v}/bin`).find((d) => existsSync(`${d}/postgres`));
  if (!found) throw new Error('no PostgreSQL server in /usr/lib/postgresql (apt-get install postgresql-15)');
  return found;
}

function serverUser() {
  if (process.getuid() !== 0) return {};
  const id = (flag) => Number(execFileSync('id', [flag, 'postgres']).toString().trim());
  return { uid: id('-u'), gid: id('-g') };
}

const pgRunning = new Set();
process.on('exit', () => { for (const p of pgRunning) { try { p.kill('SIGKILL'); } catch { /* gone */ } } });

// Starts the server. Returns { port, createDatabase(), psql(db, sql), stop(), kill(), restart(), log() }.
export async function startPostgres() {
  const bin = bindir();
  const user = serverUser();
  const dir = tempDir('redred-pg-');
  if (user.uid !== undefined) { chmodSync(dir, 0o700); chownSync(dir, user.uid, user.gid); }
  execFileSync(`${bin}/initdb`, ['-D', `${dir}/data`, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync'],
    { ...user, stdio: 'pipe', cwd: dir });
  // The superuser needs no password on loopback (the tests' admin); everyone else logs in with one.
  writeFileSync(`${dir}/data/pg_hba.conf`, 'host all postgres 127.0.0.1/32 trust\nhost all all 127.0.0.1/32 scram-sha-256\n');
  const port = await freePort();
  let output = [];
  const handle = { port, dir, log: () => output.join('') };
  const launch = async () => {
    output = [];
    const proc = spawn(`${bin}/postgres`, ['-D', `${dir}/data`, '-p', String(port), '-c', 'listen_addresses=127.0.0.1',
      '-c', `unix_socket_directories=${dir}`, '-c', 'fsync=off', '-c', 'full_page_writes=off', '-c', 'max_connections=200',
      '-c', 'shared_buffers=32MB'], { ...user, cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    pgRunning.add(proc);
    proc.on('exit', () => pgRunning.delete(proc));
    proc.stdout.on('data', (c) => output.push(c.toString()));
    proc.stderr.on('data', (c) => output.push(c.toString()));
    await waitFor(() => {
      if (proc.exitCode !== null) throw Object.assign(new Error(`postgres exited: ${handle.log()}`), { fatal: true });
      return handle.log().includes('database system is ready to accept connections');
    }, { timeoutMs: 20000, what: 'postgres to accept connections' });
    handle.proc = proc;
  };
  await launch();
  handle.psql = (database, sql) => psql(port, database, sql);
  await handle.psql('postgres', `CREATE ROLE ${PG_ROLE} LOGIN PASSWORD '${PG_PASSWORD}'`);
  let created = 0;
  handle.url = (database) => `postgres://${PG_ROLE}:${PG_PASSWORD}@127.0.0.1:${port}/${database}`;
  // An empty database owned by the redred role; resolves with its URL.
  handle.createDatabase = async () => {
    const name = `redred_test_${process.pid}_${++created}`;
    await handle.psql('postgres', `CREATE DATABASE ${name} OWNER ${PG_ROLE}`);
    return handle.url(name);
  };
  handle.stop = async () => { await stopProcess(handle.proc, 'SIGINT'); rmSync(dir, { recursive: true, force: true }); };
  handle.kill = () => stopProcess(handle.proc, 'SIGKILL');
  handle.restart = () => launch();
  return handle;
}

// Runs SQL as the superuser; resolves with psql's unaligned output (rows on lines, columns split by '|').
export function psql(port, database, sql) {
  return new Promise((resolve, reject) => {
    const proc = spawn('psql', ['-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', '-d', database, '-At', '-v', 'ON_ERROR_STOP=1', '-c', sql],
      { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    proc.stdout.on('data', (c) => { out += c; });
    proc.stderr.on('data', (c) => { err += c; });
    proc.on('error', reject);
    proc.on('exit', (code) => (code === 0 ? resolve(out.trim()) : reject(new Error(`psql ${sql}: ${err}`))));
  });
}

// The database name in a postgres:// URL.
export const databaseName = (url) => path.basename(new URL(url).pathname);

// Holds `table` locked (ACCESS EXCLUSIVE, in an open transaction of its own psql session) until release():
// every query that touches it waits meanwhile. Resolves once the lock is held.
export async function holdTableLock(port, database, table) {
  const proc = spawn('psql', ['-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', '-d', database, '-At', '-v', 'ON_ERROR_STOP=1'],
    { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout.on('data', (c) => { out += c; });
  proc.stderr.on('data', (c) => { out += c; });
  const exited = new Promise((resolve) => proc.on('exit', resolve));
  proc.stdin.write(`BEGIN; LOCK TABLE ${table} IN ACCESS EXCLUSIVE MODE; SELECT 'locked';\n`);
  await waitFor(() => {
    if (proc.exitCode !== null) throw Object.assign(new Error(`psql could not lock ${table}: ${out}`), { fatal: true });
    return out.includes('locked');
  }, { timeoutMs: 10000, what: `a lock on ${table}` });
  let released = false;
  return {
    release: async () => {
      if (!released) { released = true; proc.stdin.end('COMMIT;\n'); }
      await exited;
    },
  };
}

// scripts/run.sh with the README's own example: extra arguments override every default the script sets
// (the script used to pass its own --listen, and CLI11 refused the second one). Setup and build are skipped
// (REDRED_RUN_SKIP_SETUP=1): the tree is already built by the test command.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { sourceDir, redredBin, freePort, tempDir, waitFor, stopProcess, json } from './lib/redred.mjs';

const script = path.join(sourceDir, 'scripts', 'run.sh');

function runScript(args, env = {}) {
  const proc = spawn('bash', [script, ...args], {
    env: { ...process.env, REDRED_RUN_SKIP_SETUP: '1', REDRED_BIN: redredBin, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  proc.stdout.on('data', (c) => { output += c; });
  proc.stderr.on('data', (c) => { output += c; });
  return { proc, log: () => output };
}

async function healthz(port, proc, log) {
  return waitFor(async () => {
    if (proc.exitCode !== null) throw Object.assign(new Error(`run.sh exited with ${proc.exitCode}:\n${log()}`), { fatal: true });
    const res = await json(`http://127.0.0.1:${port}/healthz`);
    return res.status === 200 ? res : undefined;
  }, { timeoutMs: 15000, what: `/healthz on port ${port}` });
}

test("the README's example (`--screen-source pattern --listen 0.0.0.0:PORT`) starts and answers /healthz", async () => {
  const readme = readFileSync(path.join(sourceDir, 'README.md'), 'utf8');
  const example = readme.match(/bash scripts\/run\.sh (--screen-source pattern --listen 0\.0\.0\.0:)8080/);
  assert.ok(example, 'the README still shows the example this test runs');
  const port = await freePort();
  // The README's arguments, with a free port instead of 8080 (and a temporary data dir so the tree stays clean);
  // the server binds 0.0.0.0, the test talks to it over loopback only.
  const { proc, log } = runScript(['--screen-source', 'pattern', '--listen', `0.0.0.0:${port}`, '--data-dir', tempDir()]);
  try {
    const res = await healthz(port, proc, log);
    assert.equal(res.body.status, 'ok');
    assert.equal(res.body.screen_source, 'pattern');
    assert.match(log(), new RegExp(`listening address=0\\.0\\.0\\.0:${port}`));
    assert.doesNotMatch(log(), /At Most 1 required/);
  } finally {
    await stopProcess(proc);
  }
});

test('run.sh defaults apply when not overridden, and flags win over them', async () => {
  const port = await freePort();
  const webRoot = tempDir('redred-webroot-');
  // REDRED_LISTEN is the script's default mechanism; a --web-root flag replaces the script's web/dist.
  const { proc, log } = runScript(['--screen-source', 'pattern', '--data-dir', tempDir(), '--web-root', webRoot],
    { REDRED_LISTEN: `127.0.0.1:${port}` });
  try {
    await healthz(port, proc, log);
    const page = await fetch(`http://127.0.0.1:${port}/`);
    // The empty web root has no index.html: the script's web/dist would have served the UI.
    assert.equal(page.status, 404, `GET / with an empty --web-root: ${page.status}`);
  } finally {
    await stopProcess(proc);
  }
});
